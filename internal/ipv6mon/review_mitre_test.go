package ipv6mon

import (
	"slices"
	"testing"
)

// TestReviewMITRE: the IPv6 monitor sets its own ATT&CK ids, which
// override the catalogue's and end up in incidents' "mitre":
//   - a smurf (echo to ff02::1 from the victim's address: every member
//     answers the victim) is reflection/amplification, T1498.002 — the
//     catalogue, the lab's label (internal/lab scenarios_ipv6.go) and
//     flood.amplification all say so; the monitor writes T1498.001
//     (direct network flood);
//   - a rogue DHCPv6 server is ATT&CK's DHCP Spoofing, T1557.003 (its
//     description covers DHCPv6), not the bare parent T1557.
func TestReviewMITRE(t *testing.T) {
	for _, tc := range []struct {
		name, class, want string
		attack            func(m *Monitor)
	}{
		{"smurf", "ipv6.smurf", "T1498.002", func(m *Monitor) {
			feed(m, "_icmp6", map[string]any{"ts": 400.0, "type": 128, "code": 0, "src": "2001:db8:1::5", "dst": "ff02::1", "src_mac": "02:00:00:00:0b:ad", "hop_limit": 64, "len": 56})
		}},
		{"rogue DHCPv6", "ipv6.rogue_dhcpv6", "T1557.003", func(m *Monitor) {
			feed(m, "dhcp", map[string]any{"ts": 402.0, "dhcp_version": 6, "server_addr": "fe80::bad", "client_addr": "fe80::5",
				"assigned_addr": "2001:db8:1::99", "uids": []string{"C2"}})
		}},
	} {
		m := New(DefaultConfig(), nil)
		benignLink(m)
		tc.attack(m)
		m.Close()
		found := false
		for _, f := range m.Findings() {
			if f.Class != tc.class {
				continue
			}
			found = true
			if !slices.Contains(f.MITRE, tc.want) {
				t.Errorf("%s: %s has ATT&CK %v, want %s", tc.name, f.Class, f.MITRE, tc.want)
			}
		}
		if !found {
			t.Errorf("%s: no %s finding: %+v", tc.name, tc.class, m.Findings())
		}
	}
}
