package ipv6mon

// Review G (IPv6 specialist): failing tests for problems found in the
// monitor's state bounds, streaming behaviour, NA-spoof and posture logic.
// Each test fails against the code as reviewed and passes once fixed.

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func hasClass(fs []Finding, class string) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Class == class })
}

// TestReviewGRouterTableFullBlindsRogueRA: flood_router26 for a few
// seconds fills the router table (MaxRouters, 1024 by default); the
// ra_flood alert is raised once and deduplicated forever. A rogue router
// that starts ten minutes later is then never learned, never judged and
// never reported: onRA returns before judge when the table is full. The
// package doc promises "the oldest forgotten first" instead.
func TestReviewGRouterTableFullBlindsRogueRA(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m) // legitimate router learned, t 0..590
	for i := 0; i < 1100; i++ {
		feed(m, "_nd", ra(700+float64(i)*0.004, fmt.Sprintf("fe80::%x", 0x1000+i),
			fmt.Sprintf("02:00:00:01:%02x:%02x", i>>8, i&255), fmt.Sprintf("2001:db8:%x::/64", 0x100+i), 1800, "high"))
	}
	if !hasClass(m.Findings(), "ipv6.ra_flood") {
		t.Fatalf("flood not reported: %+v", m.Findings())
	}
	// Ten minutes later: one rogue router (fake_router26), every 2 s.
	for i := 0; i < 10; i++ {
		feed(m, "_nd", ra(1300+2*float64(i), "fe80::bad", "02:00:00:00:0b:ad", "2001:db8:bad::/64", 1800, "high"))
	}
	m.Close()
	for _, f := range m.Findings() {
		if f.Class == "ipv6.rogue_ra" && f.Src == "fe80::bad" {
			return
		}
	}
	t.Errorf("rogue router after an RA flood not reported (router table full: %d routers): %+v", len(m.routers.byKey), m.Findings())
}

// TestReviewGBindingTableFullBlindsNASpoof: the same blinding for
// neighbour bindings. A flood of NAs from random MACs for random targets
// (flood_advertise6) fills MaxHosts bindings; afterwards a host that
// joins is never bound, so parasite6-style theft of its address with the
// override flag raises nothing. (MaxHosts lowered to keep the test fast;
// the default 65536 is a few seconds of flood_advertise6.)
func TestReviewGBindingTableFullBlindsNASpoof(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxHosts = 2000
	m := New(cfg, nil)
	benignLink(m)
	for i := 0; i < 2100; i++ { // flood_advertise6: random MAC, random target
		tgt := fmt.Sprintf("2001:db8:1:0:%x::%x", i, i)
		feed(m, "_nd", na(700+float64(i)*0.001, tgt, fmt.Sprintf("02:aa:00:00:%02x:%02x", i>>8, i&255), tgt, "O"))
	}
	// Much later a new host joins and announces itself...
	const victim, victimMAC = "2001:db8:1::77", "02:00:00:00:00:77"
	feed(m, "_nd", ns(2000, routerLL, routerMAC, victim))
	feed(m, "_nd", na(2000.01, victim, victimMAC, victim, "SO"))
	// ...and the attacker takes its address over.
	feed(m, "_nd", na(2010, victim, "02:00:00:00:0b:ad", victim, "O"))
	m.Close()
	for _, f := range m.Findings() {
		if f.Class == "ipv6.na_spoof" && f.Evidence["target"] == victim {
			return
		}
	}
	t.Errorf("NA spoofing after a binding-table flood not reported (%d bindings, MaxHosts %d)", len(m.nd.bindings), cfg.MaxHosts)
}

// TestReviewGTentativeUnbounded: every DAD probe (NS from ::) is kept in
// neighbours.tentative until an NA for its target arrives, with no bound
// and no expiry. A flood of DAD probes for random targets (or simply a
// long capture of hosts configuring privacy addresses) grows it without
// limit; the state bound the package promises (MaxHosts) does not apply.
func TestReviewGTentativeUnbounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxHosts = 1000
	m := New(cfg, nil)
	for i := 0; i < 20000; i++ {
		feed(m, "_nd", ns(float64(i)*0.01, "::", fmt.Sprintf("02:bb:00:00:%02x:%02x", (i>>8)&255, i&255), fmt.Sprintf("2001:db8:1:%x::%x", i>>16, i&0xffff)))
	}
	if n := len(m.nd.tentative); n > cfg.MaxHosts {
		t.Errorf("%d DAD probes kept (MaxHosts %d): the tentative table is unbounded and never expires", n, cfg.MaxHosts)
	}
}

// TestReviewGNICChangeIsNoSpoof: a host whose NIC was replaced (or a VM
// moved to another vNIC) comes back with a new MAC: it runs duplicate
// address detection for its address from the new MAC, nobody defends it
// (the old NIC is gone), and it announces the address with an
// unsolicited override NA (Windows, macOS, Linux with ndisc_notify). The
// monitor saw the clean DAD (neighbours.dad even recognises the
// announcement as the prober's own), yet bind() raises ipv6.na_spoof at
// severity 1 naming the host as the attacker. parasite6 never runs DAD
// before stealing an address.
func TestReviewGNICChangeIsNoSpoof(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m) // 2001:db8:1::5 bound to 02:00:00:00:00:05
	const addr, newMAC = "2001:db8:1::5", "02:00:00:00:00:e5"
	feed(m, "_nd", ns(900, "::", newMAC, addr))        // DAD from the new NIC; no answer
	feed(m, "_nd", na(901.0, addr, newMAC, addr, "O")) // unsolicited announcement after RetransTimer
	m.Close()
	for _, f := range m.Findings() {
		if f.Class == "ipv6.na_spoof" {
			t.Errorf("host with a new NIC that passed DAD reported as spoofer: %s", f.Summary)
		}
	}
}

// TestReviewGRogueRAHeldUntilNextRA: rogue-router findings (and RA
// RFC 4861 violations) are held holdFor seconds to let a flood absorb
// them, but release() runs only when the next RA arrives (or at Close).
// In a live run a single rogue RA (fake_router26 -n 1, or a SLAAC attack
// with a 30-min prefix) is not reported until some other router speaks —
// with RFC 4861's default MaxRtrAdvInterval up to 600 s later — although
// neighbour discovery, ICMPv6 and extension-header records keep arriving
// and advance the data clock (settleEchoes already uses them). Streaming
// and offline runs then differ by minutes.
func TestReviewGRogueRAHeldUntilNextRA(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m) // last legitimate RA at t=590
	feed(m, "_nd", ra(600, "fe80::bad", "02:00:00:00:0b:ad", "2001:db8:bad::/64", 1800, "high"))
	// 60 s of ordinary neighbour discovery and ICMPv6 after it, no RA.
	for i := 0; i < 60; i++ {
		ts := 601 + float64(i)
		feed(m, "_nd", ns(ts, routerLL, routerMAC, "2001:db8:1::3"))
		feed(m, "_nd", na(ts+0.001, "2001:db8:1::3", "02:00:00:00:00:03", "2001:db8:1::3", "S"))
		feed(m, "_icmp6", map[string]any{"ts": ts + 0.5, "type": 143, "code": 0, "src": "fe80::3", "dst": "ff02::16", "src_mac": "02:00:00:00:00:03", "hop_limit": 1, "len": 20})
	}
	if !hasClass(m.Findings(), "ipv6.rogue_ra") {
		t.Errorf("rogue RA at t=600 still unreported at t=661 (held %d finding(s) until the next RA or Close)", len(m.routers.held))
	}
}

// TestReviewGSecondRouterSamePrefixAfterWindow: a redundant second
// router (an HSRP/VRRP-like pair whose members also advertise, or two
// routers on a dual-homed link) announces the same prefix and flags at a
// lower preference. With RFC 4861's default advertisement interval
// (MinRtrAdvInterval 200 s .. MaxRtrAdvInterval 600 s) its first
// unsolicited RA usually falls after the 2-minute learning window, and
// it is then reported as a severity-1 rogue router with a summary that
// says it is "a router not seen in the first 2m0s of advertisements" —
// although intruder() already encodes that peers announce the same
// prefixes. (An attacker can copy the prefix too; but then the finding
// should say so and not be the same top-severity rogue_ra.)
func TestReviewGSecondRouterSamePrefixAfterWindow(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.LearnWindow >= 600*time.Second {
		t.Skip("learning window covers MaxRtrAdvInterval")
	}
	m := New(cfg, nil)
	// Router A, RFC 4861 default intervals (every ~400 s).
	feed(m, "_nd", ra(0, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
	feed(m, "_nd", ra(410, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
	// Router B, the redundant peer: same prefix, low preference, first RA at 250 s.
	feed(m, "_nd", ra(250, "fe80::2", "02:00:00:00:00:02", "2001:db8:1::/64", 1800, "low"))
	feed(m, "_nd", ra(650, "fe80::2", "02:00:00:00:00:02", "2001:db8:1::/64", 1800, "low"))
	m.Close()
	for _, f := range m.Findings() {
		if f.Class == "ipv6.rogue_ra" && f.Severity == 1 {
			t.Errorf("redundant router announcing the link's own prefix at low preference reported as severity-1 rogue: %s", f.Summary)
		}
	}
}

// TestReviewGEvasionDedupHidesWorseEvasions: ipv6.evasion findings are
// raised once per class|src|dst for the whole run, whatever the weird.
// An attacker who first sends one atomic fragment (severity 3, confidence
// 0.5: "only a hint") then overlapping fragments, RH0 and NDP in fragments
// to the same host is reported only for the hint; the severity-2 evasions
// that follow are counted in the posture's anomalies but never alerted.
func TestReviewGEvasionDedupHidesWorseEvasions(t *testing.T) {
	m := New(DefaultConfig(), nil)
	const atk, victim = "2001:db8:1::66", "2001:db8:1::10"
	for i, name := range []string{"atomic_fragment", "fragment_overlap", "routing0_hdr", "ndp_in_fragment"} {
		feed(m, "weird", map[string]any{"ts": 100.0 + float64(i), "name": name, "id.orig_h": atk, "id.resp_h": victim})
	}
	m.Close()
	var got []string
	worst := 9
	for _, f := range m.Findings() {
		if f.Class == "ipv6.evasion" {
			got = append(got, fmt.Sprint(f.Evidence["weird"]))
			worst = min(worst, f.Severity)
		}
	}
	if worst > 2 || !slices.Contains(got, "fragment_overlap") {
		t.Errorf("atomic fragment, overlap, RH0 and NDP-in-fragment from %s: reported only %v (worst severity %d); anomalies counted %v",
			atk, got, worst, m.Posture().Anomalies)
	}
}

// TestReviewGRAFloodQuadratic: routerTable.flood scans every entry of
// winSources (source|prefix-set keys seen in the last RAFloodWindow) on
// every RA, and nothing bounds winSources: flood_router26 at line rate
// (tens of thousands of RAs a second, each a new source and prefix set)
// makes the monitor's work per RA grow with the flood, O(n²) over the
// window. Here 10× more RAs in the same window cost far more than 10× the
// time; the monitor, fed from one goroutine, falls behind the very
// attack it reports.
func TestReviewGRAFloodQuadratic(t *testing.T) {
	run := func(n int) time.Duration {
		m := New(DefaultConfig(), nil)
		recs := make([][]byte, n)
		for i := range recs {
			recs[i] = []byte(fmt.Sprintf(`{"ts":%f,"type":"ra","src":"fe80::%x","dst":"ff02::1","src_mac":"02:00:%02x:%02x:%02x:%02x","hop_limit":255,"flags":"","prf":"high","router_lifetime":1800,"prefixes":[{"prefix":"2001:db8:%x::/64","flags":"LA","valid":86400,"preferred":14400}]}`,
				1000+float64(i)*(8.0/float64(n)), i, byte(i>>24), byte(i>>16), byte(i>>8), byte(i), i))
		}
		start := time.Now()
		for _, r := range recs {
			m.Record("_nd", r)
		}
		return time.Since(start)
	}
	small, large := run(4000), run(40000)
	t.Logf("4000 RAs in 8 s: %v; 40000 RAs in 8 s: %v (ratio %.1f)", small, large, float64(large)/float64(small))
	if large > 25*small {
		t.Errorf("RA flood processing is superlinear: 10x the RAs took %.0fx the time (%v vs %v)", float64(large)/float64(small), large, small)
	}
}

// TestReviewGRouterShutdownNotTopSeverity: RFC 4861 §6.2.5: a router
// that stops advertising (reload, radvd restart, interface down, a
// VRRP/HSRP member giving up mastership) SHOULD send its final RAs with
// router lifetime 0. From the learned router's own MAC and address, then
// silence, that is maintenance; the monitor raises ipv6.kill_router at
// severity 1 with the same "hosts drop their default router" text as
// kill_router6 in its name. (Confidence 0.6 is the only difference.)
func TestReviewGRouterShutdownNotTopSeverity(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	for k := 0; k < 3; k++ { // MAX_FINAL_RTR_ADVERTISEMENTS
		feed(m, "_nd", ra(600+3*float64(k), routerLL, routerMAC, "2001:db8:1::/64", 0, "medium"))
	}
	m.Close()
	for _, f := range m.Findings() {
		if f.Class == "ipv6.kill_router" && f.Severity == 1 {
			t.Errorf("legitimate router's own final advertisements reported at severity 1: %s", f.Summary)
		}
	}
}
