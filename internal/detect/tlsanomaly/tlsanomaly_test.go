package tlsanomaly

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
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

// weakCert is a host certificate with an RSA key of bits, signed with
// sig, issued at nb by a CA (or self-signed).
func weakCert(fp string, bits int, sig string, nb float64, selfSigned bool) dt.Line {
	issuer := "CN=R3,O=Let's Encrypt"
	if selfSigned {
		issuer = "CN=www.example.com"
	}
	return dt.Rec("x509", map[string]any{"ts": 1.7e9, "fingerprint": fp, "certificate.subject": "CN=www.example.com",
		"certificate.issuer": issuer, "certificate.not_valid_before": nb, "certificate.not_valid_after": 1.8e9,
		"certificate.key_type": "rsa", "certificate.key_length": bits, "certificate.sig_alg": sig, "host_cert": true})
}

// TestWeakCertificates: which weak keys and signatures are reported, and
// that each check can be switched off.
func TestWeakCertificates(t *testing.T) {
	for _, c := range []struct {
		name    string
		fp      string
		cert    dt.Line
		dst     string
		off     func(*Config)
		problem string // "" : no alert
	}{
		{"rsa 1024 from a CA, 2020", "w1", weakCert("w1", 1024, "sha256WithRSAEncryption", 1.6e9, false), "203.0.113.5", nil, "1024-bit RSA"},
		{"rsa 1024 from a CA, 2012 (then allowed)", "w2", weakCert("w2", 1024, "sha256WithRSAEncryption", 1.33e9, false), "203.0.113.5", nil, ""},
		{"rsa 1024 self-signed external", "w3", weakCert("w3", 1024, "sha1WithRSAEncryption", 1.0e9, true), "203.0.113.5", nil, "self-signed and 1024-bit RSA"},
		{"rsa 1024 self-signed internal", "w4", weakCert("w4", 1024, "sha256WithRSAEncryption", 1.6e9, true), "10.0.0.80", nil, ""},
		{"sha1 from a CA, 2017", "w5", weakCert("w5", 2048, "sha1WithRSAEncryption", 1.5e9, false), "10.0.0.80", nil, "SHA-1-signed"},
		{"sha1 from a CA, 2013 (then allowed)", "w6", weakCert("w6", 2048, "sha1WithRSAEncryption", 1.36e9, false), "203.0.113.5", nil, ""},
		{"md5 from a CA, 2005", "w7", weakCert("w7", 2048, "md5WithRSAEncryption", 1.1e9, false), "203.0.113.5", nil, "MD5-signed"},
		{"ecdsa-with-SHA1 2017", "w8", weakCert("w8", 2048, "ecdsa-with-SHA1", 1.5e9, false), "203.0.113.5", nil, "SHA-1-signed"},
		{"rsa 2048 sha256", "w9", weakCert("w9", 2048, "sha256WithRSAEncryption", 1.6e9, false), "203.0.113.5", nil, ""},
		{"weak_key off", "wa", weakCert("wa", 1024, "sha256WithRSAEncryption", 1.6e9, false), "203.0.113.5", func(c *Config) { c.WeakKey = false }, ""},
		{"weak_signature off", "wb", weakCert("wb", 2048, "md5WithRSAEncryption", 1.6e9, false), "203.0.113.5", func(c *Config) { c.WeakSignature = false }, ""},
		{"min_rsa_bits 1024", "wc", weakCert("wc", 1024, "sha256WithRSAEncryption", 1.6e9, false), "203.0.113.5", func(c *Config) { c.MinRSABits = 1024 }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if c.off != nil {
				c.off(&cfg)
			}
			got := dt.Run(t, New(cfg, internal), []dt.Line{c.cert, ssl(1.7e9+1, c.dst, c.fp, "")})
			switch {
			case c.problem == "" && len(got) > 0:
				t.Errorf("unexpected alert %s", got[0].JSON())
			case c.problem != "" && (len(got) != 1 || got[0].Evidence["problem"] != c.problem):
				t.Errorf("alerts %v, want problem %q", got, c.problem)
			}
		})
	}
}

// TestSNIMismatch: reported for external servers only, when switched on.
func TestSNIMismatch(t *testing.T) {
	conn := func(dst string, matches any) dt.Line {
		return dt.Rec("ssl", map[string]any{"ts": 1.7e9, "uid": "C9", "id.orig_h": "10.0.0.7", "id.orig_p": 50000, "id.resp_h": dst,
			"id.resp_p": 443, "server_name": "login.bank.example", "cert_chain_fps": []string{"s1"}, "sni_matches_cert": matches})
	}
	for _, c := range []struct {
		name string
		line dt.Line
		off  bool
		want int
	}{
		{"external mismatch", conn("203.0.113.5", false), false, 1},
		{"external match", conn("203.0.113.5", true), false, 0},
		{"internal mismatch", conn("10.0.0.80", false), false, 0},
		{"switched off", conn("203.0.113.5", false), true, 0},
	} {
		cfg := DefaultConfig()
		cfg.SNIMismatch = !c.off
		got := dt.Run(t, New(cfg, internal), []dt.Line{c.line})
		if len(got) != c.want {
			t.Errorf("%s: %d alerts, want %d", c.name, len(got), c.want)
		}
		if len(got) == 1 && (got[0].Evidence["server_name"] != "login.bank.example" || got[0].Proto != "tcp") {
			t.Errorf("%s: %s", c.name, got[0].JSON())
		}
	}
}
