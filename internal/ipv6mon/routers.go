package ipv6mon

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// router is what advertisements taught about one router.
type router struct {
	MAC            string   `json:"mac"`
	Addr           string   `json:"link_local"`
	Prefixes       []string `json:"prefixes"`
	Flags          string   `json:"flags"`
	Preference     string   `json:"preference"`
	RouterLifetime int      `json:"router_lifetime"`
	MTU            uint32   `json:"mtu,omitempty"`
	RDNSS          []string `json:"rdnss,omitempty"`
	FirstSeen      float64  `json:"first_seen"`
	LastSeen       float64  `json:"last_seen"`
	Adverts        int      `json:"adverts"`
	Legitimate     bool     `json:"legitimate"`
	// WasDefault: some advertisement of its own had a router lifetime
	// above 0 (it offered itself as a default router).
	WasDefault bool `json:"-"`
}

// routerTable learns routers and judges each advertisement.
type routerTable struct {
	m          *Monitor
	byKey      map[string]*router // by MAC, else link-local address
	prefixes   map[string]bool    // prefixes learned as legitimate
	firstRA    float64
	window     []float64 // RA times within the flood window
	winSources map[string]float64
	floodUntil float64 // while a flood lasts, its sources are not judged one by one
	// held: rogue-router findings waiting holdFor seconds of data time
	// before they are raised; a flood detected meanwhile absorbs them
	// (flood_router26's first sources are not rogue routers one by one).
	held []Finding
}

const holdFor = 2.0

// hold queues a finding about a router advertisement (a rogue router, an
// RFC 4861 violation).
func (t *routerTable) hold(f Finding) { t.held = append(t.held, f) }

// release raises the held findings older than holdFor at now (all of
// them when now is +Inf); a flood drops them instead.
func (t *routerTable) release(now float64) {
	if t.floodUntil > 0 && now <= t.floodUntil {
		t.held = t.held[:0]
		return
	}
	keep := t.held[:0]
	for _, f := range t.held {
		if now-f.TS >= holdFor {
			t.m.report(f)
		} else {
			keep = append(keep, f)
		}
	}
	t.held = keep
}

// flooding reports whether an RA flood is under way at ts.
func (t *routerTable) flooding(ts float64) bool { return t.floodUntil > 0 && ts <= t.floodUntil }

func newRouterTable(m *Monitor) *routerTable {
	return &routerTable{m: m, byKey: map[string]*router{}, prefixes: map[string]bool{}, firstRA: -1, winSources: map[string]float64{}}
}

func routerKey(f *ndFact) string {
	if f.SrcMAC != "" {
		return f.SrcMAC
	}
	return f.Src
}

// learning reports whether ts is still inside the learning window (and no
// allowlist replaces learning).
func (t *routerTable) learning(ts float64) bool {
	if len(t.m.allowR) > 0 || len(t.m.allowP) > 0 {
		return false
	}
	return ts-t.firstRA <= t.m.cfg.LearnWindow.Seconds()
}

func (t *routerTable) onRA(f *ndFact) {
	if t.firstRA < 0 {
		t.firstRA = f.TS
	}
	t.flood(f)
	t.release(f.TS)
	key := routerKey(f)
	r, known := t.byKey[key]
	if !known {
		if len(t.byKey) >= t.m.cfg.MaxRouters {
			return // a flood of sources: reported by flood, not learned
		}
		r = &router{MAC: f.SrcMAC, Addr: f.Src, FirstSeen: f.TS, Flags: f.Flags, Preference: f.Prf}
		r.Legitimate = t.m.allowR[f.SrcMAC] || t.m.allowR[f.Src] || t.learning(f.TS) && !t.intruder(f)
		t.byKey[key] = r
	}
	t.judge(r, f, known)
	r.WasDefault = r.WasDefault || f.RouterLifetime > 0
	r.LastSeen, r.Adverts = f.TS, r.Adverts+1
	r.RouterLifetime, r.MTU = f.RouterLifetime, f.MTU
	if len(f.RDNSS) > 0 {
		r.RDNSS = f.RDNSS
	}
	for _, p := range f.Prefixes {
		if !contains(r.Prefixes, p.Prefix) && len(r.Prefixes) < 16 {
			r.Prefixes = append(r.Prefixes, p.Prefix)
		}
		if r.Legitimate && (t.learning(f.TS) || len(t.m.allowR) > 0 && len(t.m.allowP) == 0) && !t.prefixes[p.Prefix] {
			t.prefixes[p.Prefix] = true
			if t.m.cfg.OnLocalPrefix != nil {
				t.m.cfg.OnLocalPrefix(p.Prefix)
			}
		}
	}
}

// legitimate reports whether a legitimate router has link-local address
// addr and MAC mac.
func (t *routerTable) legitimate(mac, addr string) bool {
	for _, r := range t.byKey {
		if r.Legitimate && r.Addr == addr && mac != "" && strings.EqualFold(r.MAC, mac) {
			return true
		}
	}
	return false
}

// legitimateAddr reports whether addr is a legitimate router's link-local
// address.
func (t *routerTable) legitimateAddr(addr string) bool {
	for _, r := range t.byKey {
		if r.Legitimate && r.Addr == addr {
			return true
		}
	}
	return false
}

// noDHCPv6 reports whether legitimate routers are known and none of them
// announces DHCPv6 (neither the M nor the O flag).
func (t *routerTable) noDHCPv6() bool {
	legit := 0
	for _, r := range t.byKey {
		if r.Legitimate {
			legit++
			if containsByte(r.Flags, 'M') || containsByte(r.Flags, 'O') {
				return false
			}
		}
	}
	return legit > 0
}

// intruder: a second router appearing while the first ones are learned
// that shares none of their prefixes is not a redundant peer (peers
// announce the same prefixes) but a router of its own: rogue, unless
// allowlisted (fake_router6 starts while radvd is still being learned).
func (t *routerTable) intruder(f *ndFact) bool {
	known := map[string]bool{}
	for _, r := range t.byKey {
		if r.Legitimate {
			for _, p := range r.Prefixes {
				known[p] = true
			}
		}
	}
	if len(known) == 0 {
		return false // the first router
	}
	for _, p := range f.Prefixes {
		if known[p.Prefix] {
			return false
		}
	}
	return true
}

// judge raises what this advertisement shows about its router.
func (t *routerTable) judge(r *router, f *ndFact, known bool) {
	ev := map[string]any{"src_mac": f.SrcMAC, "router_lifetime": f.RouterLifetime, "flags": f.Flags,
		"preference": f.Prf, "prefixes": prefixList(f.Prefixes), "first_seen": r.FirstSeen}
	if f.RouterLifetime == 0 {
		if how, conf := t.impostor(r, f, ev); how != "" || r.WasDefault {
			t.killRouter(r, f, ev, how, conf)
			return
		}
		// A router that never offered itself as a default router: an
		// RFC 4191 router of more specific routes, or one without an
		// uplink that advertises its local prefixes (OpenWrt's odhcpd,
		// Thread border routers) — judged as any other advertisement.
	}
	if t.floodUntil > 0 && f.TS <= t.floodUntil {
		return // part of a flood, reported as one
	}
	if !r.Legitimate {
		why := "a router not seen " + t.baseline()
		if t.learning(f.TS) {
			why = "a second router that shares no prefix with the known one(s)"
		}
		sev, conf, what := 1, rogueConfidence(f), fmt.Sprintf("with %s preference", f.Prf)
		if f.RouterLifetime == 0 && len(f.RDNSS) == 0 {
			// No default route and no DNS server: hosts only take its
			// prefixes (a Thread border router or a new ULA router; or an
			// attacker's prefix). With DNS servers (RFC 8106, taken
			// whatever the router lifetime) it can still redirect names.
			sev, conf, what = 2, 0.5, "offering no default route (router lifetime 0)"
		}
		t.hold(Finding{TS: f.TS, Class: "ipv6.rogue_ra", Severity: sev, Confidence: conf, Src: f.Src, Dst: "ff02::1",
			MITRE: []string{"T1557", "T1498"}, Evidence: ev,
			Summary: fmt.Sprintf("router advertisement from %s (%s), %s, announcing %s %s",
				f.Src, f.SrcMAC, why, strings.Join(prefixList(f.Prefixes), ", "), what)})
		return
	}
	for _, p := range f.Prefixes {
		if !t.prefixAllowed(p.Prefix, f.TS) {
			ev["new_prefix"] = p.Prefix
			t.m.raise(f.TS, "ipv6.rogue_ra", 2, 0.7, f.Src, "ff02::1", []string{"T1557"},
				fmt.Sprintf("router %s announced prefix %s, not among the prefixes %s", f.Src, p.Prefix, t.baseline()), ev)
		}
	}
	if known && (r.Flags != f.Flags) && !t.learning(f.TS) {
		ev["previous_flags"] = r.Flags
		t.m.raise(f.TS, "ipv6.rogue_ra", 2, 0.6, f.Src, "ff02::1", []string{"T1557"},
			fmt.Sprintf("router %s changed its M/O flags from %q to %q (hosts may switch to a rogue DHCPv6 server)", f.Src, r.Flags, f.Flags), ev)
	}
	r.Flags, r.Preference = f.Flags, f.Prf
}

// impostor says why f, an advertisement with a router lifetime of 0,
// was not sent by the router it names, and with what confidence: another
// router (by MAC) has its address, or its EUI-64 address names another
// MAC. It returns "" when nothing says so.
func (t *routerTable) impostor(r *router, f *ndFact, ev map[string]any) (how string, conf float64) {
	for _, other := range t.byKey {
		if other != r && other.Addr == f.Src && other.MAC != f.SrcMAC {
			how, conf = "a router lifetime of 0 on behalf of "+f.Src+" from another MAC", 0.95
			ev["real_router_mac"] = other.MAC
		}
	}
	if a, err := netip.ParseAddr(f.Src); err == nil && classify(a) == kindEUI64 && f.SrcMAC != "" && eui64MAC(a) != f.SrcMAC {
		how, conf = "a router lifetime of 0 on behalf of "+f.Src+" (whose EUI-64 address names MAC "+eui64MAC(a)+")", 0.95
		ev["address_mac"] = eui64MAC(a)
	}
	return how, conf
}

// killRouter: lifetime 0 tells every host to drop the router. From the
// router itself, once a default router, it may be a graceful shutdown
// (confidence 0.6); in another's name (impostor's how and conf), or from
// a router not learned as legitimate, an attack (kill_router6).
func (t *routerTable) killRouter(r *router, f *ndFact, ev map[string]any, how string, conf float64) {
	if how == "" {
		how, conf = "a router lifetime of 0", 0.6
	}
	if !r.Legitimate {
		conf = max(conf, 0.85)
	}
	src := f.Src
	if conf == 0.95 && f.SrcMAC != "" {
		// The router's address from another MAC: name that MAC's host.
		src = t.m.nd.speaker(f.SrcMAC)
	}
	t.m.report(Finding{TS: f.TS, Class: "ipv6.kill_router", Severity: 1, Confidence: conf, Src: src, Dst: "ff02::1",
		MITRE:    []string{"T1498", "T1557"},
		Summary:  fmt.Sprintf("router advertisement from %s (%s) with %s: hosts drop their default router", f.Src, f.SrcMAC, how),
		Evidence: ev, once: f.Src + "|" + f.SrcMAC}) // once per sender, however it is named
}

func (t *routerTable) baseline() string {
	if len(t.m.allowR) > 0 || len(t.m.allowP) > 0 {
		return "in the allowlist"
	}
	return fmt.Sprintf("in the first %s of advertisements", t.m.cfg.LearnWindow)
}

func (t *routerTable) prefixAllowed(p string, ts float64) bool {
	if len(t.m.allowP) > 0 {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return false
		}
		for a := range t.m.allowP {
			if a.Contains(pfx.Addr()) && a.Bits() <= pfx.Bits() {
				return true
			}
		}
		return false
	}
	return t.prefixes[p] || t.learning(ts)
}

// flood counts advertisements and their sources in a sliding window.
func (t *routerTable) flood(f *ndFact) {
	win := t.m.cfg.RAFloodWindow.Seconds()
	t.window = append(t.window, f.TS)
	i := 0
	for i < len(t.window) && f.TS-t.window[i] > win {
		i++
	}
	t.window = t.window[i:]
	t.winSources[routerKey(f)+"|"+strings.Join(prefixList(f.Prefixes), ",")] = f.TS
	for k, seen := range t.winSources {
		if f.TS-seen > win {
			delete(t.winSources, k)
		}
	}
	if len(t.window) >= t.m.cfg.RAFloodCount || len(t.winSources) >= t.m.cfg.RAFloodSources {
		t.floodUntil = f.TS + win
		t.m.raise(f.TS, "ipv6.ra_flood", 1, 0.9, "", "ff02::1", []string{"T1498", "T1499"},
			fmt.Sprintf("%d router advertisements from %d sources/prefix sets within %s", len(t.window), len(t.winSources), t.m.cfg.RAFloodWindow),
			map[string]any{"adverts": len(t.window), "sources": len(t.winSources), "window_s": win,
				"threshold_adverts": t.m.cfg.RAFloodCount, "threshold_sources": t.m.cfg.RAFloodSources})
	}
}

func rogueConfidence(f *ndFact) float64 {
	if f.Prf == "high" {
		return 0.9
	}
	return 0.75
}

func prefixList(ps []prefix) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Prefix)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Routers returns the routers learned, oldest first.
func (m *Monitor) Routers() []router {
	out := make([]router, 0, len(m.routers.byKey))
	for _, r := range m.routers.byKey {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FirstSeen < out[j].FirstSeen })
	return out
}
