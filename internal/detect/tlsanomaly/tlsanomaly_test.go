package tlsanomaly

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/detect/netset"
)

var internal = netset.MustParse(netset.DefaultInternal...)

func x509(ts float64, fp, subject, issuer string, notAfter float64) dt.Line {
	return dt.Rec("x509", map[string]any{"ts": ts, "fingerprint": fp, "certificate.subject": subject, "certificate.issuer": issuer,
		"certificate.not_valid_before": 1.0e9, "certificate.not_valid_after": notAfter, "host_cert": true})
}

func ssl(ts float64, dst, fp, ja3 string) dt.Line {
	return dt.Rec("ssl", map[string]any{"ts": ts, "uid": "C1", "id.orig_h": "10.0.0.7", "id.orig_p": 50000, "id.resp_h": dst, "id.resp_p": 443,
		"server_name": "c2.example", "cert_chain_fps": []string{fp}, "ja3": ja3})
}

func TestAnomalies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.JA3Blocklist = []string{"72A589DA586844D7F0818CE684948EEA"}
	tests := []struct {
		name    string
		lines   []dt.Line
		problem string
	}{
		{"self-signed external", []dt.Line{x509(1.7e9, "aa", "CN=c2.example", "CN=c2.example", 2e9), ssl(1.7e9+1, "203.0.113.5", "aa", "")}, "self-signed"},
		{"expired, ssl first", []dt.Line{ssl(1.7e9, "10.0.0.80", "bb", ""), x509(1.7e9+0.1, "bb", "CN=old", "CN=CA", 1.6e9)}, "expired"},
		{"self-signed and expired external", []dt.Line{x509(1.7e9, "ff", "CN=c2.example", "CN=c2.example", 1.5e9), ssl(1.7e9+1, "203.0.113.5", "ff", "")}, "self-signed and expired"},
		{"blocklisted ja3", []dt.Line{ssl(1.7e9, "203.0.113.5", "cc", "72a589da586844d7f0818ce684948eea")}, "blocklisted ja3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := dt.Find(t, dt.Run(t, New(cfg, internal), tc.lines), "tls.anomaly")
			if a.Evidence["problem"] != tc.problem || a.Src != "10.0.0.7" {
				t.Errorf("alert %s", a.JSON())
			}
		})
	}
}

func TestQuiet(t *testing.T) {
	for _, selfSigned := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.SelfSigned = selfSigned // its check off: an expired self-signed one stays quiet too
		quiet(t, cfg)
	}
}

func quiet(t *testing.T, cfg Config) {
	t.Helper()
	dt.Quiet(t, dt.Run(t, New(cfg, internal), []dt.Line{
		x509(1.7e9, "aa", "CN=www.example.com", "CN=R3,O=Let's Encrypt", 1.8e9), ssl(1.7e9+1, "93.184.216.34", "aa", "x"),
		// A good certificate whose ssl record came first.
		ssl(1.7e9, "93.184.216.35", "ab", "x"), x509(1.7e9+0.1, "ab", "CN=www.example.org", "CN=R3,O=Let's Encrypt", 1.8e9),
		x509(1.7e9, "dd", "CN=printer.lan", "CN=printer.lan", 1.8e9), ssl(1.7e9+1, "10.0.0.80", "dd", "x"),
		// A switch's web interface still serving the self-signed
		// certificate it was made with, expired years ago.
		x509(1.7e9, "ee", "CN=switch", "CN=switch", 1.5e9), ssl(1.7e9+1, "10.0.0.2", "ee", "x"),
	}))
}

// TestBlocklistWithoutChain checks that a blocklisted client is reported
// from an ssl record without a certificate chain (TLS 1.3), with the
// connection's fields.
func TestBlocklistWithoutChain(t *testing.T) {
	cfg := DefaultConfig()
	cfg.JA4Blocklist = []string{"T13D1516H2_8DAAF6152771_B186095E22B6"}
	line := dt.Rec("ssl", map[string]any{"ts": 1.7e9, "uid": "C9", "id.orig_h": "10.0.0.7", "id.orig_p": 50000,
		"id.resp_h": "203.0.113.5", "id.resp_p": 443, "ja4": "t13d1516h2_8daaf6152771_b186095e22b6"})
	a := dt.Find(t, dt.Run(t, New(cfg, internal), []dt.Line{line}), "tls.anomaly")
	if a.Evidence["problem"] != "blocklisted ja4" || a.UID != "C9" || a.Dst != "203.0.113.5" || a.DstP != 443 || a.SrcP != 50000 {
		t.Errorf("alert %s", a.JSON())
	}
}
