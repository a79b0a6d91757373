package assets

import (
	"strings"
	"testing"
)

// TestDTLSDeprecated: a server choosing DTLS 1.0 raises tls_deprecated,
// on udp (ssl.log has no transport field: DTLS versions run over UDP).
func TestDTLSDeprecated(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "ssl",
		`{"ts":14,"uid":"Cd1","id.orig_h":"10.0.0.5","id.orig_p":40010,"id.resp_h":"10.0.0.14","id.resp_p":4433,"version":"DTLSv10","established":true}`)
	if err := inv.Close(); err != nil {
		t.Fatal(err)
	}
	f := findingsOf(inv, "tls_deprecated")
	if len(f) != 1 || f[0].Host != "10.0.0.14" || f[0].Value != "DTLSv10" || !strings.Contains(f[0].Summary, "udp/4433") {
		t.Errorf("findings %+v", f)
	}
}
