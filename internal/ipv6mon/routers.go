package ipv6mon

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/domain"
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
	// drops counts its advertisements with a router lifetime of 0 that
	// followed one above 0 (the last at lastDrop).
	drops    int
	lastDrop float64
}

// routerTable learns routers and judges each advertisement.
type routerTable struct {
	m        *Monitor
	byKey    map[string]*router // by MAC, else link-local address
	order    fifo[string]       // keys of the routers not legitimate, oldest first (forgotten first)
	prefixes map[string]bool    // prefixes learned as legitimate
	flags    map[string]bool    // M/O flags the legitimate routers announce
	firstRA  float64
	counter  raCounter
	// floodUntil: while a flood lasts, its sources are not judged one by
	// one; floods counts the floods seen (one ends after a quiet window).
	floodUntil float64
	floods     int
	// open is the latest flood's totals, told as updates of its finding.
	open floodTotals
	// held: rogue-router findings waiting holdFor seconds of data time
	// before they are raised; a flood detected meanwhile absorbs them
	// (flood_router26's first sources are not rogue routers one by one).
	held []Finding
}

const holdFor = 2.0

// hold queues a finding about a router advertisement (a rogue router, an
// RFC 4861 violation).
func (t *routerTable) hold(f Finding) {
	if len(t.held) >= maxHeld {
		t.release(f.TS) // a burst of findings, no flood (yet): the ripe ones go
	}
	if len(t.held) < maxHeld {
		t.held = append(t.held, f)
	}
}

// maxHeld bounds the findings held (a flood is detected long before).
const maxHeld = 1024

// release raises the held findings older than holdFor at now (all of
// them when now is +Inf); a flood drops them instead. It runs on every
// fact's time (Record), so that a live run reports a rogue router
// holdFor seconds after its advertisement, whatever comes next.
func (t *routerTable) release(now float64) {
	if len(t.held) == 0 {
		return
	}
	if t.flooding(now) {
		clear(t.held)
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
	clear(t.held[len(keep):])
	t.held = keep
}

// flooding reports whether an RA flood is under way at ts.
func (t *routerTable) flooding(ts float64) bool { return t.floodUntil > 0 && ts <= t.floodUntil }

func newRouterTable(m *Monitor) *routerTable {
	return &routerTable{m: m, byKey: map[string]*router{}, prefixes: map[string]bool{}, flags: map[string]bool{}, firstRA: -1,
		counter: newRACounter(m.cfg.RAFloodCount, m.cfg.RAFloodSources)}
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
	r, known := t.lookup(f)
	t.judge(r, f, known)
	t.learn(r, f)
}

// lookup returns f's router and whether it was known. A new router is
// learned; when the table is full (MaxRouters) the oldest router that is
// not legitimate is forgotten for it, and when every router kept is
// legitimate the new one is judged all the same, but not kept.
func (t *routerTable) lookup(f *ndFact) (*router, bool) {
	key := routerKey(f)
	if r, ok := t.byKey[key]; ok {
		return r, true
	}
	r := &router{MAC: f.SrcMAC, Addr: f.Src, FirstSeen: f.TS, Flags: f.Flags, Preference: f.Prf}
	r.Legitimate = t.m.allowR[f.SrcMAC] || t.m.allowR[f.Src] || t.learning(f.TS) && !t.intruder(f)
	if t.makeRoom() {
		t.byKey[key] = r
		if !r.Legitimate {
			t.order.push(key, f.TS)
		}
	}
	return r, false
}

// makeRoom forgets the oldest routers that are not legitimate until the
// table has room for one more; false when it cannot.
func (t *routerTable) makeRoom() bool {
	for len(t.byKey) >= t.m.cfg.MaxRouters {
		if t.order.len() == 0 {
			return false
		}
		delete(t.byKey, t.order.pop().key)
	}
	return true
}

// learn keeps what f tells about its router r.
func (t *routerTable) learn(r *router, f *ndFact) {
	if f.RouterLifetime == 0 && r.RouterLifetime > 0 && r.Adverts > 0 {
		r.drops, r.lastDrop = r.drops+1, f.TS
	}
	r.WasDefault = r.WasDefault || f.RouterLifetime > 0
	r.LastSeen, r.Adverts = f.TS, r.Adverts+1
	r.RouterLifetime, r.MTU = f.RouterLifetime, f.MTU
	if len(f.RDNSS) > 0 {
		r.RDNSS = f.RDNSS
	}
	if r.Legitimate && len(t.flags) < 16 {
		t.flags[f.Flags] = true
	}
	for _, p := range f.Prefixes {
		if !contains(r.Prefixes, p.Prefix) && len(r.Prefixes) < 16 {
			r.Prefixes = append(r.Prefixes, p.Prefix)
		}
		t.m.onLinkPrefix(p.Prefix)
		if r.Legitimate && (t.learning(f.TS) || len(t.m.allowR) > 0 && len(t.m.allowP) == 0) && !t.prefixes[p.Prefix] && len(t.prefixes) < maxPrefixes {
			t.prefixes[p.Prefix] = true
			if t.m.cfg.OnLocalPrefix != nil {
				t.m.cfg.OnLocalPrefix(p.Prefix)
			}
		}
	}
}

// maxPrefixes bounds the prefixes learned as legitimate and those taken
// as on-link (Monitor.onLink).
const maxPrefixes = 256

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
	if len(t.prefixes) == 0 {
		return false // the first router
	}
	for _, p := range f.Prefixes {
		if t.prefixes[p.Prefix] {
			return false
		}
	}
	return true
}

// peer reports whether f, from a router not learned as legitimate,
// announces only prefixes known to be the link's, and flags that a
// legitimate router announces: a redundant router (the second of a pair
// whose first advertisement came after the learning window), or an
// attacker copying the link's own prefix to become a default router.
func (t *routerTable) peer(f *ndFact) bool {
	if len(f.Prefixes) == 0 || !t.flags[f.Flags] {
		return false
	}
	for _, p := range f.Prefixes {
		if !t.prefixAllowed(p.Prefix, f.TS) {
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
	if t.flooding(f.TS) {
		return // part of a flood, reported as one
	}
	if !r.Legitimate {
		t.rogue(r, f, ev)
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

// rogue holds the finding about an advertisement from a router not
// learned as legitimate (r).
func (t *routerTable) rogue(r *router, f *ndFact, ev map[string]any) {
	why := "a router not seen " + t.baseline()
	sev, conf, what := 1, rogueConfidence(f), fmt.Sprintf("with %s preference", f.Prf)
	switch {
	case t.learning(f.TS):
		why = "a second router that shares no prefix with the known one(s)"
	case t.peer(f):
		// The link's own prefix and flags: hosts gain a second default
		// router, which may be a redundant one; an attacker copying the
		// prefix is a man in the middle all the same, so it is said.
		sev, conf = 2, 0.6
		why = fmt.Sprintf("a second router announcing the known prefix(es) with the known flags %q, not seen %s (a redundant router, or an attacker copying the link's prefix to become a default router)",
			f.Flags, t.baseline())
	}
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

// killRouter: lifetime 0 tells every host to drop the router. In
// another's name (impostor's how and conf), or from a router not learned
// as legitimate, it is an attack (kill_router6); from the legitimate
// router itself, a shutdown (shutdown).
func (t *routerTable) killRouter(r *router, f *ndFact, ev map[string]any, how string, conf float64) {
	if how == "" && r.Legitimate {
		t.shutdown(r, f, ev)
		return
	}
	if how == "" {
		how, conf = "a router lifetime of 0", 0.85
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

// flipWindow: a legitimate router that says goodbye (router lifetime 0)
// twice within this many seconds, offering itself as default router in
// between, is not shutting down: someone forges its address and MAC
// (RFC 4861's MaxRtrAdvInterval is 600 s).
const flipWindow = 600.0

// shutdown: the legitimate router, by its own MAC and address, sends a
// router lifetime of 0: RFC 4861 §6.2.5 asks a router that stops
// advertising (a reload, a daemon restart, a VRRP member giving up) to
// do so. Hosts lose it as their default router, which is worth knowing
// (severity 3). Lifetime 0 again after it offered itself anew within
// flipWindow is a kill-router attack with a forged MAC (severity 1).
func (t *routerTable) shutdown(r *router, f *ndFact, ev map[string]any) {
	mitre := []string{"T1498", "T1557"}
	if r.drops >= 1 && r.RouterLifetime > 0 && f.TS-r.lastDrop <= flipWindow {
		ev["previous_drop"], ev["drops"] = r.lastDrop, r.drops+1
		t.m.report(Finding{TS: f.TS, Class: "ipv6.kill_router", Severity: 1, Confidence: 0.8, Src: f.Src, Dst: "ff02::1", MITRE: mitre,
			Summary: fmt.Sprintf("router %s (%s) advertised a router lifetime of 0 again %.0f s after the last time, offering itself as default router (lifetime %d) in between: its address and MAC are forged to make hosts drop it",
				f.Src, f.SrcMAC, f.TS-r.lastDrop, r.RouterLifetime),
			Evidence: ev, once: f.Src + "|" + f.SrcMAC})
		return
	}
	t.m.report(Finding{TS: f.TS, Class: "ipv6.kill_router", Severity: 3, Confidence: 0.5, Src: f.Src, Dst: "ff02::1", MITRE: mitre,
		Summary: fmt.Sprintf("the learned router %s (%s) advertised a router lifetime of 0 after %d advertisements: a shutdown or restart (RFC 4861 §6.2.5); hosts drop it as their default router",
			f.Src, f.SrcMAC, r.Adverts),
		Evidence: ev, once: "shutdown|" + f.Src + "|" + f.SrcMAC})
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

// flood counts advertisements and their sources in the sliding
// RAFloodWindow and raises ra_flood when either reaches its threshold: once
// per flood, a flood ending after a quiet window (so that one that
// starts again later is raised again). The finding is told again, an
// update, once a window while the flood goes on and at Close, with the
// flood's totals: adverts, sources/prefix sets, span and rate (the
// window's counts stop at the thresholds; a flood_router26 run sends
// thousands a second).
func (t *routerTable) flood(f *ndFact) {
	win := t.m.cfg.RAFloodWindow.Seconds()
	key := routerKey(f) + "|" + strings.Join(prefixList(f.Prefixes), ",")
	adverts, sources := t.counter.add(f.TS, key, win)
	over := adverts >= t.m.cfg.RAFloodCount || sources >= t.m.cfg.RAFloodSources
	switch {
	case t.flooding(f.TS):
		t.open.add(f.TS, key)
	case !over:
		return
	default:
		t.tellFlood(f.TS) // the flood before, if it has counts untold
		t.floods++
		t.open = floodTotals{first: f.TS, last: f.TS, adverts: adverts, found: -1}
		for _, ts := range t.counter.times { // the flood began with the window's first advert
			if f.TS-ts <= win {
				t.open.first = min(t.open.first, ts)
			}
		}
		for _, src := range t.counter.sources { // the window's, this advert's among them
			if f.TS-src.ts <= win {
				t.open.sources.add(src.key)
			}
		}
	}
	if over {
		t.floodUntil = f.TS + win
	}
	if t.open.found < 0 {
		fnd := t.floodFinding(adverts, sources)
		if n := len(t.m.found); t.m.report(fnd) && len(t.m.found) > n {
			t.open.found = n
		}
		t.open.told = f.TS
		return
	}
	if f.TS-t.open.told >= win {
		t.tellFlood(f.TS)
	}
}

// floodFinding is the ra_flood finding of the open flood: at its start,
// the window's adverts and sources that crossed a threshold; later, the
// flood's totals.
func (t *routerTable) floodFinding(adverts, sources int) Finding {
	cfg := &t.m.cfg
	ev := map[string]any{"adverts": adverts, "sources": sources, "window_s": cfg.RAFloodWindow.Seconds(), "flood": t.floods,
		"threshold_adverts": cfg.RAFloodCount, "threshold_sources": cfg.RAFloodSources}
	summary := fmt.Sprintf("router advertisement flood: %d adverts from %d sources/prefix sets within %s (thresholds %d adverts or %d sources)",
		adverts, sources, cfg.RAFloodWindow, cfg.RAFloodCount, cfg.RAFloodSources)
	if o := &t.open; o.adverts > adverts {
		span := o.last - o.first
		n, more := o.sources.count()
		ev["adverts"], ev["sources"], ev["first"], ev["last"], ev["span_s"] = o.adverts, n, o.first, o.last, round1(span)
		ev["adverts_per_s"] = round1(float64(o.adverts) / max(span, 1))
		atLeast := ""
		if more {
			ev["sources_at_least"], atLeast = true, "at least "
		}
		summary = fmt.Sprintf("router advertisement flood: %d adverts from %s%d sources/prefix sets in %.0f s (%.0f a second; thresholds %d adverts or %d sources within %s)",
			o.adverts, atLeast, n, span, ev["adverts_per_s"], cfg.RAFloodCount, cfg.RAFloodSources, cfg.RAFloodWindow)
	}
	return Finding{TS: t.open.first, Class: "ipv6.ra_flood", Severity: 1, Confidence: 0.9, Dst: "ff02::1", MITRE: []string{"T1498", "T1499"},
		Summary: summary, Evidence: ev, once: fmt.Sprint(t.floods)}
}

// tellFlood tells the open flood's totals at ts, an update of its finding,
// when it counted adverts since it was last told.
func (t *routerTable) tellFlood(ts float64) {
	o := &t.open
	if o.found < 0 || o.last <= o.told {
		return
	}
	f := t.floodFinding(0, 0)
	if o.found < len(t.m.found) {
		t.m.found[o.found] = f
	}
	o.told = ts
	if t.m.emit != nil {
		f.Update, f.Last = true, o.last
		t.m.emit(f)
	}
}

// floodTotals counts a flood's adverts and distinct sources (with their
// prefixes), from the advert that crossed a threshold on.
type floodTotals struct {
	first, last float64
	adverts     int
	sources     distinct
	found       int     // its finding's index in Monitor.found; -1 before it is raised
	told        float64 // when its counts were last told
}

func (o *floodTotals) add(ts float64, key string) {
	o.adverts++
	o.last = max(o.last, ts)
	o.sources.add(key)
}

// distinct counts distinct strings in fixed space (8 KiB): linear counting
// over a map of distinctBits bits, within a few per cent up to some
// 200,000 items; past that the map fills and the count says "at least".
type distinct struct {
	bits [distinctBits / 64]uint64
	set  int
}

const distinctBits = 1 << 16

func (d *distinct) add(s string) {
	i := (domain.Hash(s) * 0x9e3779b97f4a7c15) >> (64 - 16) // FNV-1a, the same in every run, mixed
	if w, b := i/64, uint64(1)<<(i%64); d.bits[w]&b == 0 {
		d.bits[w] |= b
		d.set++
	}
}

// count returns the estimated number of distinct strings added, and
// whether there may be more (the map is nearly full).
func (d *distinct) count() (int, bool) {
	zero := distinctBits - d.set
	if zero < distinctBits/64 {
		return int(math.Round(-distinctBits * math.Log(float64(distinctBits/64)/distinctBits))), true
	}
	return int(math.Round(-distinctBits * math.Log(float64(zero)/distinctBits))), false
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// raCounter counts advertisements and their distinct sources in a
// sliding window, in bounded state and constant work per advert: the
// times of the last count adverts (a ring: count of them are in the
// window when the oldest is) and the last sources distinct sources seen
// (least recently seen first).
type raCounter struct {
	times   []float64
	next    int
	sources []stamp[string]
	maxSrc  int
}

func newRACounter(count, sources int) raCounter {
	c := raCounter{times: make([]float64, max(count, 1)), maxSrc: max(sources, 1)}
	for i := range c.times {
		c.times[i] = math.Inf(-1)
	}
	return c
}

// add counts an advert from key at ts and returns the adverts and
// distinct sources within win of ts, each up to its threshold.
func (c *raCounter) add(ts float64, key string, win float64) (adverts, sources int) {
	c.times[c.next] = ts
	c.next = (c.next + 1) % len(c.times)
	for _, t := range c.times {
		if ts-t <= win {
			adverts++
		}
	}
	if i := slices.IndexFunc(c.sources, func(s stamp[string]) bool { return s.key == key }); i >= 0 {
		c.sources = slices.Delete(c.sources, i, i+1)
	} else if len(c.sources) >= c.maxSrc {
		c.sources = slices.Delete(c.sources, 0, 1)
	}
	c.sources = append(c.sources, stamp[string]{key, ts})
	for _, s := range c.sources {
		if ts-s.ts <= win {
			sources++
		}
	}
	return adverts, sources
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
