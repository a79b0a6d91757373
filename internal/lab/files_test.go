package lab

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
	"time"
)

// TestExpiredCertificate: tls-expired's site serves a chain of two: its
// certificate, for its name, issued by the CA that follows it and expired
// a year ago; and the key that goes with it.
func TestExpiredCertificate(t *testing.T) {
	w := workDir(t.TempDir())
	if err := writeCertificates(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(w.path("tls/expired.crt"))
	if err != nil {
		t.Fatal(err)
	}
	var chain []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	if len(chain) != 2 {
		t.Fatalf("%d certificates", len(chain))
	}
	leaf, ca := chain[0], chain[1]
	if err := leaf.CheckSignatureFrom(ca); err != nil || leaf.Issuer.String() == leaf.Subject.String() {
		t.Errorf("the site's certificate is not the CA's: %v", err)
	}
	if leaf.Subject.CommonName != expiredName || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != expiredName {
		t.Errorf("names %q %v", leaf.Subject.CommonName, leaf.DNSNames)
	}
	if now := time.Now(); !leaf.NotAfter.Before(now.Add(-300*24*time.Hour)) || !ca.NotAfter.After(now) {
		t.Errorf("the site's certificate ends %s, its CA's %s: want the first a year past, the second ahead", leaf.NotAfter, ca.NotAfter)
	}
	if st, err := os.Stat(w.path("tls/expired.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key: %v %v", st, err)
	}
}
