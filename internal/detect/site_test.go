package detect

import (
	"fmt"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestSiteHints: a capture of a campus with public addresses, analysed
// without its networks named, has no connection with an internal end:
// the summary says to name them (beacons, exfiltration and long
// connections judge internal → external, so they were silently off). Zeek
// logs whose local_orig/local_resp call public networks local name the
// networks to give. A private-range capture gets no hint.
func TestSiteHints(t *testing.T) {
	conns := func(src string, extra map[string]any) []dt.Line {
		var l []dt.Line
		for i := 0; i < 120; i++ {
			m := map[string]any{"ts": 1.7e9 + float64(i), "uid": fmt.Sprintf("C%d", i), "id.orig_h": src, "id.orig_p": 40000 + i,
				"id.resp_h": "93.184.216.34", "id.resp_p": 443, "proto": "tcp", "conn_state": "SF", "duration": 1.0, "orig_bytes": 100, "resp_bytes": 900}
			for k, v := range extra {
				m[k] = v
			}
			l = append(l, dt.Rec("conn", m))
		}
		return l
	}
	tests := []struct {
		name  string
		lines []dt.Line
		want  string // "" for no hint
	}{
		{"campus", conns("128.84.12.7", nil), "none of 120 connections has an end in the internal networks"},
		{"zeek local_orig", conns("128.84.12.7", map[string]any{"local_orig": true, "local_resp": false}), "--internal 128.84.12.0/24"},
		{"private", conns("10.1.2.3", map[string]any{"local_orig": true}), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := runEngine(t, DefaultConfig(), Output{}, tc.lines)
			hints := strings.Join(e.Stats().SiteHints, "\n")
			if tc.want == "" && hints != "" || !strings.Contains(hints, tc.want) {
				t.Fatalf("hints %q, want %q", hints, tc.want)
			}
		})
	}
}

// TestSiteHintsZeekPrivateSpace: Zeek without local_nets calls its
// Site::private_address_space local (private_address_space_is_local), and
// that space holds more than the private ranges: a DHCP client's 0.0.0.0
// and the broadcast it asks (in every LAN's conn.log), the documentation
// and benchmarking ranges. Their local_orig/local_resp say nothing of the
// site: a private LAN's Zeek logs get no hint (before: "name them with
// --internal 0.0.0.0/16,255.255.0.0/16").
func TestSiteHintsZeekPrivateSpace(t *testing.T) {
	var lines []dt.Line
	for i := 0; i < 120; i++ {
		lines = append(lines, dt.Rec("conn", map[string]any{"ts": 1.7e9 + float64(i), "uid": fmt.Sprintf("C%d", i), "id.orig_h": "192.168.1.20", "id.orig_p": 40000 + i,
			"id.resp_h": "93.184.216.34", "id.resp_p": 443, "proto": "tcp", "conn_state": "SF", "duration": 1.0, "local_orig": true, "local_resp": false}))
		if i%10 == 0 {
			for _, p := range [][2]string{{"0.0.0.0", "255.255.255.255"}, {"192.0.2.10", "198.51.100.7"}, {"198.18.0.1", "203.0.113.5"}} {
				lines = append(lines, dt.Rec("conn", map[string]any{"ts": 1.7e9 + float64(i), "uid": fmt.Sprintf("D%d%s", i, p[0]), "id.orig_h": p[0], "id.orig_p": 68,
					"id.resp_h": p[1], "id.resp_p": 67, "proto": "udp", "service": "dhcp", "conn_state": "S0", "local_orig": true, "local_resp": true}))
			}
		}
	}
	e := runEngine(t, DefaultConfig(), Output{}, lines)
	if h := e.Stats().SiteHints; len(h) > 0 {
		t.Fatalf("a private LAN's Zeek logs hinted: %q", h)
	}
}

// TestSiteHintsNarrow: the networks hinted are as narrow as the local
// addresses seen allow (a /24 at most for IPv4, a /64 for IPv6, a /16 or
// /48 at least): a site whose Zeek calls a /24 of public addresses local
// is told that /24, not the /16 around it (whose
// other hosts, not the site's, would become internal: a beacon to them
// unseen, the inventory listing them). Before, every hint was a /16.
func TestSiteHintsNarrow(t *testing.T) {
	var lines []dt.Line
	for i, a := range []string{"128.84.12.7", "128.84.12.200", "129.1.2.3", "129.1.200.3", "2001:4860:1:2::5", "2001:4860:1:2::9"} {
		lines = append(lines, dt.Rec("conn", map[string]any{"ts": 1.7e9 + float64(i), "uid": fmt.Sprintf("C%d", i), "id.orig_h": a, "id.orig_p": 40000 + i,
			"id.resp_h": "93.184.216.34", "id.resp_p": 443, "proto": "tcp", "conn_state": "SF", "local_orig": true, "local_resp": false}))
	}
	e := runEngine(t, DefaultConfig(), Output{}, lines)
	hints := strings.Join(e.Stats().SiteHints, "\n")
	for _, want := range []string{"128.84.12.0/24", "129.1.0.0/16", "2001:4860:1:2::/64"} {
		if !strings.Contains(hints, want) {
			t.Errorf("hints %q lack %s", hints, want)
		}
	}
}
