package ipv6mon

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRAFloodRaisedAgainAfterQuiet: a flood that stops and starts again
// after a quiet window is a second flood, raised again; one that goes on
// is one finding.
func TestRAFloodRaisedAgainAfterQuiet(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	burst := func(t0 float64) {
		for i := 0; i < 200; i++ {
			feed(m, "_nd", ra(t0+float64(i)*0.02, fmt.Sprintf("fe80::%x", 0x1000+i), fmt.Sprintf("02:00:00:01:%02x:%02x", i>>8, i&255),
				fmt.Sprintf("2001:db8:%x::/64", 0x100+i), 1800, "high"))
		}
	}
	burst(700)
	burst(703) // the same flood, going on
	burst(2000)
	m.Close()
	n := 0
	for _, f := range m.Findings() {
		if f.Class == "ipv6.ra_flood" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d ra_flood findings for two floods 20 minutes apart, want 2", n)
	}
}

// TestRAFloodTotals: an RA flood's finding is raised when it crosses a
// threshold, then told again (updates, about once a window and at Close)
// with the flood's totals: every advert from the crossing on, its distinct
// sources (an estimate within a few per cent), span and rate. A second
// flood after a quiet window counts from zero.
func TestRAFloodTotals(t *testing.T) {
	var told []Finding
	m := New(DefaultConfig(), func(f Finding) {
		if f.Class == "ipv6.ra_flood" {
			told = append(told, f)
		}
	})
	benignLink(m)
	burst := func(t0 float64, n int, tag int) {
		for i := range n {
			feed(m, "_nd", ra(t0+float64(i)/100, fmt.Sprintf("fe80::%x:%x", tag, i), fmt.Sprintf("02:%02x:00:01:%02x:%02x", tag, i>>8, i&255),
				fmt.Sprintf("2001:db8:%x:%x::/64", tag, i), 1800, "high"))
		}
	}
	burst(1000, 3000, 1) // 30 s at 100 a second
	burst(3000, 500, 2)  // another flood, half an hour later
	m.Close()
	var floods []Finding
	for _, f := range m.Findings() {
		if f.Class == "ipv6.ra_flood" {
			floods = append(floods, f)
		}
	}
	if len(floods) != 2 {
		t.Fatalf("%d ra_flood findings, want 2", len(floods))
	}
	for i, want := range []struct {
		adverts int
		first   float64
		span    float64
	}{{3000, 1000, 30}, {500, 3000, 5}} {
		ev := floods[i].Evidence
		n, _ := ev["sources"].(int)
		if ev["adverts"] != want.adverts || n < want.adverts*97/100 || n > want.adverts*103/100 ||
			ev["first"] != want.first || ev["span_s"] != want.span || ev["sources_at_least"] != nil {
			t.Errorf("flood %d: evidence %v, want %d adverts and about as many sources from %v over %v s", i+1, ev, want.adverts, want.first, want.span)
		}
		if !strings.Contains(floods[i].Summary, fmt.Sprintf("%d adverts from %d sources", want.adverts, n)) {
			t.Errorf("flood %d: summary %q", i+1, floods[i].Summary)
		}
	}
	updates, last := 0, 0.0
	for _, f := range told {
		if f.Update {
			updates++
			last = f.Last
		}
	}
	if len(told)-updates != 2 || updates < 3 || last != 3004.99 {
		t.Errorf("told %d findings, %d of them updates, the last up to %v: want 2 raised, updates about once a window, the last up to 3004.99",
			len(told)-updates, updates, last)
	}
}

// TestRouterLifecycle: the learned router's own goodbye is a severity-3
// shutdown; saying goodbye again after offering itself anew is someone
// forging its address and MAC (severity 1).
func TestRouterLifecycle(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	feed(m, "_nd", ra(600, routerLL, routerMAC, "2001:db8:1::/64", 0, "medium"))
	m.Close()
	fs := m.Findings()
	if len(fs) != 1 || fs[0].Severity != 3 || !strings.Contains(fs[0].Summary, "shutdown") {
		t.Fatalf("router's own lifetime 0: want one severity-3 shutdown, got %+v", fs)
	}
	for k := 0; k < 3; k++ { // back, gone, back: kill_router6 with the router's MAC
		feed(m, "_nd", ra(610+20*float64(k), routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
		feed(m, "_nd", ra(615+20*float64(k), routerLL, routerMAC, "2001:db8:1::/64", 0, "medium"))
	}
	m.Close()
	for _, f := range m.Findings() {
		if f.Class == "ipv6.kill_router" && f.Severity == 1 {
			return
		}
	}
	t.Errorf("router lifetime alternating 0 / 1800: no severity-1 kill_router: %+v", m.Findings())
}

// TestConfigJSON: the "ipv6" section of a config file reads over the
// defaults (seconds for durations), unknown fields are errors, and a
// marshalled config reads back the same.
func TestConfigJSON(t *testing.T) {
	cfg := DefaultConfig()
	if err := json.Unmarshal([]byte(`{"learn_window_s": 600, "allowed_routers": ["02:00:00:00:00:01"]}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.LearnWindow != 10*time.Minute || len(cfg.AllowedRouters) != 1 || cfg.RAFloodCount != DefaultConfig().RAFloodCount {
		t.Errorf("config read %+v", cfg)
	}
	if err := json.Unmarshal([]byte(`{"learn_windo_s": 600}`), &cfg); err == nil {
		t.Error("unknown field accepted")
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || back.LearnWindow != cfg.LearnWindow || back.MaxHosts != cfg.MaxHosts {
		t.Errorf("round trip %s: %+v %v", b, back, err)
	}
	bad := DefaultConfig()
	bad.AllowedPrefixes = []string{"2001:db8::/129"}
	if bad.Validate() == nil {
		t.Error("bad prefix validated")
	}
}

// TestBoundsHold: a flood of forged routers and advertisements keeps the
// tables within their bounds.
func TestBoundsHold(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxHosts, cfg.MaxRouters = 500, 100
	m := New(cfg, nil)
	for i := 0; i < 5000; i++ {
		ts := float64(i) * 0.01
		mac := fmt.Sprintf("02:aa:00:00:%02x:%02x", i>>8&255, i&255)
		feed(m, "_nd", ra(ts, fmt.Sprintf("fe80::%x", i+2), mac, fmt.Sprintf("2001:db8:%x::/64", i), 1800, "high"))
		feed(m, "_nd", na(ts, fmt.Sprintf("2001:db8:1::%x", i), mac, fmt.Sprintf("2001:db8:1::%x", i), "O"))
		feed(m, "_nd", ns(ts, "::", mac, fmt.Sprintf("2001:db8:2::%x", i)))
	}
	if len(m.routers.byKey) > cfg.MaxRouters || len(m.nd.bindings) > cfg.MaxHosts || len(m.nd.tentative) > cfg.MaxHosts ||
		len(m.onLinkPfx) > maxPrefixes || len(m.routers.prefixes) > maxPrefixes || m.routers.order.len() > cfg.MaxRouters ||
		m.nd.weak.len()+m.nd.strong.len() > cfg.MaxHosts || m.nd.probes.len() > maxTentative {
		t.Errorf("bounds broken: routers %d, bindings %d, probes %d, prefixes %d/%d", len(m.routers.byKey), len(m.nd.bindings),
			len(m.nd.tentative), len(m.onLinkPfx), len(m.routers.prefixes))
	}
}
