package insight

// Review test (TLS/PKI review, revE): fails on the code as reviewed and
// passes once the problem it names is fixed.

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReviewEVECertificateAnomalies: `vigil analyze eve.json` reads
// Suricata's tls events into ssl records (subject and issuer kept,
// notbefore/notafter and the certificate fingerprint dropped) but makes no
// x509 record and no cert_chain_fps, so the tls detector, which judges only
// x509.log certificates linked through cert_chain_fps, never reports a
// certificate from EVE input: here an external C2 server's self-signed
// certificate that expired three years before the event (subject =
// issuerdn, notafter 2021, event 2024) raises nothing.
func TestReviewEVECertificateAnomalies(t *testing.T) {
	line := `{"timestamp":"2024-04-03T13:17:03.656853+0000","flow_id":1234567,"event_type":"tls","src_ip":"192.168.134.106","src_port":23481,` +
		`"dest_ip":"203.0.113.30","dest_port":443,"proto":"TCP","tls":{"subject":"CN=c2.example","issuerdn":"CN=c2.example","serial":"01",` +
		`"fingerprint":"3c:07:66:98:6a:49:48:4d:91:db:e4:df:31:00:11:22:33:44:55:66","sni":"c2.example","version":"TLS 1.2",` +
		`"notbefore":"2020-01-01T00:00:00","notafter":"2021-01-01T00:00:00"}}` + "\n"
	path := filepath.Join(t.TempDir(), "eve.json")
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if classes := alertClasses(t, path); !classes["tls.anomaly"] {
		t.Errorf("self-signed certificate expired in 2021, seen in 2024 on an external server, from EVE: alerts %v, want tls.anomaly", classes)
	}
}
