package alert

import (
	"slices"
	"testing"
)

// TestReviewCatalogueMITRE: catalogue ATT&CK ids an analyst would
// correct (incidents show these in "mitre"):
//   - flood.syn: a SYN flood exhausts the victim's TCP state table —
//     ATT&CK names it under T1499.001 (OS Exhaustion Flood: "SYN floods
//     and ACK floods"); T1498.001 (direct network flood) is bandwidth.
//   - ipv6.rogue_dhcpv6: DHCP Spoofing is T1557.003.
//   - exfil: T1030 (Data Transfer Size Limits) is exfiltration in small
//     fixed chunks to stay under thresholds; the detector fires on volume
//     far ABOVE baseline, the opposite.
//   - c2.beacon: T1029 (Scheduled Transfer) is exfiltration tactic
//     (data sent at set times), not periodic C2 check-ins.
//   - ipv6.evasion: T1599 (Network Boundary Bridging) is compromising a
//     boundary device to bridge networks; the monitor itself writes
//     T1562/T1027 for extension-header evasion, so the catalogue (used for
//     alerts that arrive without techniques) disagrees with the detector.
func TestReviewCatalogueMITRE(t *testing.T) {
	for _, tc := range []struct {
		class   string
		want    string // must be present ("" none)
		notWant string // must be absent ("" none)
	}{
		{"flood.syn", "T1499.001", ""},
		{"ipv6.rogue_dhcpv6", "T1557.003", ""},
		{"exfil", "", "T1030"},
		{"c2.beacon", "", "T1029"},
		{"ipv6.evasion", "", "T1599"},
	} {
		m := Lookup(tc.class).MITRE
		if tc.want != "" && !slices.Contains(m, tc.want) {
			t.Errorf("%s: ATT&CK %v lacks %s", tc.class, m, tc.want)
		}
		if tc.notWant != "" && slices.Contains(m, tc.notWant) {
			t.Errorf("%s: ATT&CK %v has %s", tc.class, m, tc.notWant)
		}
	}
}
