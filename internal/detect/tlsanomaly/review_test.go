package tlsanomaly

// Review test (TLS/PKI review, revE): fails on the code as reviewed and
// passes once the gap it names is closed.

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestReviewWeakCertificates: the tls detector judges a server certificate
// only on subject = issuer and its dates. A CA-issued, in-date certificate
// of an external server with a 1024-bit RSA key, signed with SHA-1 (or
// MD5), or whose names do not cover the SNI the client asked for
// (ssl.log sni_matches_cert false, which the analyzer already computes)
// raises nothing; Zeek's policy scripts (validate-certs, weak-keys) and
// Suricata's tls.cert_* keywords make these findings. All three occur in
// the corpus (ssl.v3.pcap and tls-conn-with-extensions.pcap: RSA 1024;
// 15 captures with sha1WithRSAEncryption host certificates; pop3-starttls
// with md5WithRSAEncryption).
func TestReviewWeakCertificates(t *testing.T) {
	cert := func(fp string, bits int, sig string) dt.Line {
		return dt.Rec("x509", map[string]any{"ts": 1.7e9, "fingerprint": fp, "certificate.subject": "CN=www.example.com",
			"certificate.issuer": "CN=R3,O=Let's Encrypt", "certificate.not_valid_before": 1.6e9, "certificate.not_valid_after": 1.8e9,
			"certificate.key_type": "rsa", "certificate.key_alg": "rsaEncryption", "certificate.key_length": bits,
			"certificate.sig_alg": sig, "san.dns": []string{"www.example.com"}, "host_cert": true})
	}
	conn := func(fp, sni string, matches bool) dt.Line {
		return dt.Rec("ssl", map[string]any{"ts": 1.7e9 + 1, "uid": "C1", "id.orig_h": "10.0.0.7", "id.orig_p": 50000,
			"id.resp_h": "203.0.113.5", "id.resp_p": 443, "server_name": sni, "cert_chain_fps": []string{fp}, "sni_matches_cert": matches})
	}
	for _, c := range []struct {
		name  string
		lines []dt.Line
	}{
		{"rsa-1024", []dt.Line{cert("a1", 1024, "sha256WithRSAEncryption"), conn("a1", "www.example.com", true)}},
		{"sha1-signature", []dt.Line{cert("a2", 2048, "sha1WithRSAEncryption"), conn("a2", "www.example.com", true)}},
		{"sni-mismatch", []dt.Line{cert("a3", 2048, "sha256WithRSAEncryption"), conn("a3", "login.bank.example", false)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := dt.Run(t, New(DefaultConfig(), internal), c.lines)
			n := 0
			for _, a := range got {
				if a.Class == "tls.anomaly" {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: no tls.anomaly alert", c.name)
			}
		})
	}
}
