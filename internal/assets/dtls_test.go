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

// TestProxiedTLSNotTheProxys: TLS through an HTTP CONNECT or SOCKS proxy
// (ssl.log proxied) names, versions and certifies the far server, not the
// proxy: the proxy gets no tls-sni name and no deprecated-TLS finding (a
// SOCKS capture made the proxy "choose TLSv10"); the same record without
// proxied gives both.
func TestProxiedTLSNotTheProxys(t *testing.T) {
	for _, proxied := range []bool{true, false} {
		inv := newInv(t, nil)
		line := `{"ts":14,"uid":"Cp1","id.orig_h":"10.0.0.5","id.orig_p":40010,"id.resp_h":"10.0.0.9","id.resp_p":1080,` +
			`"version":"TLSv10","server_name":"far.example","established":true` + map[bool]string{true: `,"proxied":true}`, false: `}`}[proxied]
		feed(inv, "ssl", line)
		if err := inv.Close(); err != nil {
			t.Fatal(err)
		}
		named := hasName(host(t, inv.Hosts(), "10.0.0.9"), "far.example", "tls-sni")
		deprecated := len(findingsOf(inv, "tls_deprecated")) > 0
		if named == proxied || deprecated == proxied {
			t.Errorf("proxied %v: the responder named far.example %v, tls_deprecated %v", proxied, named, deprecated)
		}
	}
}
