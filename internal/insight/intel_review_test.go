package insight

// Review tests: threat-intelligence feeds matched end to end on real
// captures of the corpus (capture -> records -> intel detector ->
// alerts.log).

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// runIntel analyses a capture with only the given feed lines as intel
// feed and returns the intel.match alerts.
func runIntel(t *testing.T, feed string, capture string) []map[string]any {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "feed.txt")
	if err := os.WriteFile(p, []byte(feed), 0o644); err != nil {
		t.Fatal(err)
	}
	icfg := DefaultConfig()
	icfg.Detect.Intel.Feeds = []string{p}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	set, err := New(icfg, out)
	if err != nil {
		t.Fatal(err)
	}
	cfg := analyze.DefaultConfig()
	cfg.OutDir, cfg.Workers, cfg.Consumers = out, 1, set.Consumers()
	if _, err := analyze.Run(context.Background(), cfg, []string{capture}); err != nil {
		t.Fatal(err)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	var hits []map[string]any
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		if a["class"] == "intel.match" {
			hits = append(hits, a)
		}
	}
	return hits
}

func namesIndicator(hits []map[string]any, ind string) bool {
	for _, a := range hits {
		if ev, ok := a["evidence"].(map[string]any); ok && strings.EqualFold(ev["indicator"].(string), ind) {
			return true
		}
	}
	return false
}

// TestReviewIntelSHA1CertificateMatchesCapture: abuse.ch SSLBL, the main
// public source of C2 certificate IOCs, publishes SHA-1 fingerprints, and
// docs/DETECTION.md promises "certificate hash (SHA-1 or SHA-256 hex)".
// Vigil computes only SHA-256 (x509.log fingerprint, ssl.log
// cert_chain_fps), so a SHA-1 certificate indicator never matches traffic
// Vigil decodes itself. e2fb07… is the SHA-1 of the *.google.com leaf
// certificate in zeek's tls/ecdhe.pcap (its SHA-256 a97a22b6…, which does
// match).
func TestReviewIntelSHA1CertificateMatchesCapture(t *testing.T) {
	pcap := testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "tls", "ecdhe.pcap")
	const sha1 = "e2fb0771ee6fc0d0e324bc863c02b57921257c86"
	hits := runIntel(t, sha1+" AsyncRAT C&C (SSLBL)\n", pcap)
	if !namesIndicator(hits, sha1) {
		t.Errorf("SHA-1 certificate indicator of the server's certificate not matched (%d intel alerts)", len(hits))
	}
}

// TestReviewIntelQUICRecordsMatched: HTTP/3 is most of Chrome's traffic to
// big hosters; quic.log carries server_name and ja4, but the intel
// detector reads only conn, dns, http, ssl and x509. A listed domain or
// JA4 seen in QUIC (zeek's chromium api.cirrus-ci.com capture) raises
// nothing.
func TestReviewIntelQUICRecordsMatched(t *testing.T) {
	pcap := testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "quic", "chromium-115.0.5790.110-api-cirrus-com.pcap")
	for _, tc := range []struct{ name, feed, ind string }{
		{"server_name", "cirrus-ci.com listed domain\n", "cirrus-ci.com"},
		{"ja4", "q13d0311h3_55b375c5d22e_3512bcbbc9ec listed QUIC client\n", "q13d0311h3_55b375c5d22e_3512bcbbc9ec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if hits := runIntel(t, tc.feed, pcap); !namesIndicator(hits, tc.ind) {
				t.Errorf("%s in quic.log not matched against the feed (%d intel alerts)", tc.ind, len(hits))
			}
		})
	}
}

// TestReviewIntelSHA1CertificateMatchesEVE: the same with Suricata EVE
// input. Suricata's tls.fingerprint is the server certificate's SHA-1 —
// exactly what SSLBL lists — but the EVE reader drops it (ssl.log gets
// server_name, subject, issuer, ja3, ja3s, ja4 only), so no certificate
// indicator can ever match EVE input.
func TestReviewIntelSHA1CertificateMatchesEVE(t *testing.T) {
	eve := filepath.Join(t.TempDir(), "eve.json")
	line := `{"timestamp":"2024-05-01T12:00:00.123456+0000","flow_id":1234567,"in_iface":"eth0","event_type":"tls","src_ip":"10.0.0.5","src_port":50000,"dest_ip":"203.0.113.9","dest_port":443,"proto":"TCP","tls":{"subject":"CN=update.c2-panel.example","issuerdn":"CN=update.c2-panel.example","serial":"3A:1F","fingerprint":"e2:fb:07:71:ee:6f:c0:d0:e3:24:bc:86:3c:02:b5:79:21:25:7c:86","sni":"update.c2-panel.example","version":"TLS 1.2","notbefore":"2024-01-01T00:00:00","notafter":"2025-01-01T00:00:00","ja3":{"hash":"b386946a5a44d1ddcc843bc75336dfce","string":"771,49195-49199,0-10-11,23-24,0"}}}` + "\n"
	if err := os.WriteFile(eve, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	const sha1 = "e2fb0771ee6fc0d0e324bc863c02b57921257c86"
	if hits := runIntel(t, sha1+" AsyncRAT C&C (SSLBL)\n", eve); !namesIndicator(hits, sha1) {
		t.Errorf("EVE tls.fingerprint (SHA-1) not matched against the listed certificate (%d intel alerts)", len(hits))
	}
}
