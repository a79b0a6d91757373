package ipv6mon

import (
	"strconv"
	"testing"
)

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

// TestTunnelReportedWhileRunning: a sensor that runs for weeks (vigil
// serve) sees a host open a Teredo tunnel, and another carry IPv6 over
// IPv4 (6in4, named by tunnel.log); each is reported when its first
// connection ends, not when the sensor stops, once however many
// connections follow, and the finding kept has the totals at the end.
func TestTunnelReportedWhileRunning(t *testing.T) {
	var found, updates []Finding
	m := New(DefaultConfig(), func(f Finding) {
		if f.Update {
			updates = append(updates, f)
		} else {
			found = append(found, f)
		}
	})
	teredo := func(ts float64, port int) map[string]any {
		return map[string]any{"ts": ts, "uid": "Cteredo" + strconv.Itoa(port), "id.orig_h": "10.77.0.1", "id.orig_p": port, "id.resp_h": "10.77.0.2",
			"id.resp_p": 3544, "proto": "udp", "service": "teredo", "duration": 5.0, "orig_ip_bytes": 600, "resp_ip_bytes": 600}
	}
	inner := func(ts float64, uid string) map[string]any {
		return map[string]any{"ts": ts, "uid": uid, "id.orig_h": "2001:db8::1", "id.orig_p": 40000,
			"id.resp_h": "2001:db8::2", "id.resp_p": 80, "proto": "tcp",
			"orig_ip_bytes": 1000, "resp_ip_bytes": 2000, "tunnel_parents": []string{"C6in4"}}
	}
	feed(m, "tunnel", map[string]any{"ts": 1.0, "uid": "C6in4", "id.orig_h": "192.0.2.1", "id.orig_p": 0, "id.resp_h": "198.51.100.7", "id.resp_p": 0,
		"tunnel_type": "Tunnel::IP", "action": "Tunnel::DISCOVER"})
	feed(m, "conn", teredo(1, 50000))
	feed(m, "conn", inner(2, "Cin1"))
	if len(found) != 2 {
		t.Fatalf("%d findings after the first connections of two tunnels, want 2: %v", len(found), found)
	}
	for i := 1; i < 5; i++ {
		feed(m, "conn", teredo(float64(10*i), 50000+i))
		feed(m, "conn", inner(float64(10*i), "Cin"+strconv.Itoa(1+i)))
	}
	m.Close()
	if len(found) != 2 {
		t.Errorf("%d tunnel findings after 10 connections, want 2: %v", len(found), found)
	}
	if len(updates) == 0 || updates[len(updates)-1].Evidence["conns"] != 5 {
		t.Errorf("no update with the totals at the end: %v", updates)
	}
	for _, f := range m.Findings() {
		if f.Class == "ipv6.tunnel" && f.Evidence["conns"] != 5 {
			t.Errorf("finding kept at the end: %s, want 5 connections", f.Summary)
		}
	}
}
