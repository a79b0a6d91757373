package ipv6mon

import "testing"

// TestFindingRaisedAgainDaysLater: a monitor that runs for weeks (vigil
// serve on a live interface) sees a rogue router on Monday — a
// colleague's travel router plugged in, or an attacker's fake_router6 —
// which goes away, and then the same router again on Thursday. Thursday's
// adverts are a new finding, as they are when Thursday's capture is
// analysed on its own; so is the learned router's restart each night.
// Adverts that go on, minutes apart, stay one finding.
func TestFindingRaisedAgainDaysLater(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	const rogueLL, rogueMAC = "fe80::bad", "02:00:00:00:0b:ad"
	for _, day := range []float64{0, 3 * 86400} {
		for i := 0.0; i < 5; i++ { // five adverts, a minute apart
			feed(m, "_nd", ra(day+1000+60*i, rogueLL, rogueMAC, "2001:db8:bad::/64", 1800, "high"))
		}
		feed(m, "_nd", ra(day+1400, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
		feed(m, "_nd", ra(day+2000, routerLL, routerMAC, "2001:db8:1::/64", 0, "medium")) // nightly restart
		feed(m, "_nd", ra(day+2100, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
	}
	m.Close()
	counts := map[string]int{}
	for _, f := range m.Findings() {
		counts[f.Class]++
	}
	if counts["ipv6.rogue_ra"] != 2 || counts["ipv6.kill_router"] != 2 {
		t.Errorf("findings %v for a rogue router and a router restart on two days three days apart, want 2 ipv6.rogue_ra and 2 ipv6.kill_router", counts)
	}
}
