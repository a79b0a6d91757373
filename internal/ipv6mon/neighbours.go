package ipv6mon

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
)

// binding is one IPv6 address's link-layer address and its history.
type binding struct {
	MAC     string   `json:"mac"`
	History []string `json:"history,omitempty"` // earlier MACs, oldest first
	Since   float64  `json:"since"`
}

// owner is the first MAC the address was bound to.
func (b *binding) owner() string {
	if len(b.History) > 0 {
		return b.History[0]
	}
	return b.MAC
}

// neighbours follows neighbour solicitations and advertisements.
type neighbours struct {
	m        *Monitor
	bindings map[string]*binding
	// weak and strong queue the bindings' addresses, oldest first: weak
	// ones were made by an unsolicited advertisement (what
	// flood_advertise6 sends), strong ones by a solicited advertisement,
	// a host's own solicitation or a DAD it passed. A full table forgets
	// the oldest weak binding first.
	weak, strong fifo[string]
	// answers: per answering MAC, the targets it advertised and when.
	answers      map[string]map[string]float64
	answersSwept float64 // when answers was last swept of idle MACs
	// tentative: addresses being checked by DAD (NS from ::): when, and
	// by which MAC; probes queues them for expiry after dadWindow.
	tentative map[string]probe
	probes    fifo[string]
	// denials: per MAC, the DAD probes it answered.
	denials map[string][]float64
}

// dadWindow is how long a DAD probe waits for its answer, in seconds;
// maxTentative bounds the probes waiting (hosts probe a handful of
// addresses each; a flood of probes makes the oldest go first).
const (
	dadWindow    = 2.0
	maxTentative = 4096
)

func newNeighbours(m *Monitor) *neighbours {
	return &neighbours{m: m, bindings: map[string]*binding{}, answers: map[string]map[string]float64{},
		tentative: map[string]probe{}, denials: map[string][]float64{}}
}

func (n *neighbours) on(f *ndFact) {
	n.expireProbes(f.TS)
	switch f.Type {
	case "ns":
		if f.Src == "::" {
			n.probe(f)
			return
		}
		if f.LLAddr != "" {
			n.bind(f.Src, f.LLAddr, f.TS, f, false, false)
		}
	case "na":
		mac := f.LLAddr
		if mac == "" {
			mac = f.SrcMAC
		}
		if mac == "" {
			return
		}
		passed := n.dad(f, mac)
		n.everyNS(f, mac)
		n.bind(f.Target, mac, f.TS, f, true, passed)
	}
}

// probe notes a DAD probe (bounded: the oldest goes when full).
func (n *neighbours) probe(f *ndFact) {
	for n.probes.len() >= min(maxTentative, max(n.m.cfg.MaxHosts, 1)) {
		n.dropProbe(n.probes.pop())
	}
	n.tentative[f.Target] = probe{ts: f.TS, mac: f.SrcMAC}
	n.probes.push(f.Target, f.TS)
}

// expireProbes forgets the DAD probes older than dadWindow at now.
func (n *neighbours) expireProbes(now float64) {
	for {
		s, ok := n.probes.peek()
		if !ok || now-s.ts <= dadWindow {
			return
		}
		n.dropProbe(n.probes.pop())
	}
}

// dropProbe deletes a queued probe unless it was probed again since.
func (n *neighbours) dropProbe(s stamp[string]) {
	if p, ok := n.tentative[s.key]; ok && p.ts == s.ts {
		delete(n.tentative, s.key)
	}
}

// bind records addr → mac; a change announced with the override flag by
// another MAC is NA spoofing (parasite6, fake_advertise6), unless that
// MAC passed duplicate address detection for addr (passed): a host with a
// new NIC, or a VM moved to another, probes its address, nobody defends
// it, and it announces it; parasite6 runs no DAD before stealing.
func (n *neighbours) bind(addr, mac string, ts float64, f *ndFact, advert, passed bool) {
	b, ok := n.bindings[addr]
	if !ok {
		n.newBinding(addr, mac, ts, !advert || passed || containsByte(f.Flags, 'S'))
		return
	}
	if b.MAC == mac {
		return
	}
	if passed {
		n.m.ev.kinds["nic_change"]++
	} else if advert && containsByte(f.Flags, 'O') && mac != b.owner() {
		// The advert's source is often the stolen address itself: the
		// alert names the machine behind the new MAC by its own address,
		// and the host it answered (whose cache it poisons) when it went
		// to one. The first owner taking its address back is no news.
		victim := addr
		if d, err := netip.ParseAddr(f.Dst); err == nil && !d.IsMulticast() && f.Dst != addr {
			victim = f.Dst
		}
		n.m.raise(ts, "ipv6.na_spoof", 1, 0.85, n.speaker(mac), victim, []string{"T1557"},
			fmt.Sprintf("neighbour advertisement with override from %s moves %s from %s to %s", mac, addr, b.MAC, mac),
			map[string]any{"target": addr, "old_mac": b.MAC, "new_mac": mac, "bound_since": b.Since, "flags": f.Flags, "advert_src": f.Src})
	}
	if len(b.History) < 8 {
		b.History = append(b.History, b.MAC)
	}
	b.MAC, b.Since = mac, ts
}

// newBinding binds addr to mac; a full table (MaxHosts) forgets its oldest
// weak binding, else its oldest, to make room: a flood of forged
// advertisements must not blind the monitor to the hosts that come after.
func (n *neighbours) newBinding(addr, mac string, ts float64, strong bool) {
	for len(n.bindings) >= n.m.cfg.MaxHosts {
		q := &n.weak
		if q.len() == 0 {
			q = &n.strong
		}
		if q.len() == 0 {
			return
		}
		delete(n.bindings, q.pop().key)
	}
	n.bindings[addr] = &binding{MAC: mac, Since: ts}
	if strong {
		n.strong.push(addr, ts)
	} else {
		n.weak.push(addr, ts)
	}
}

// everyNS: one MAC advertising many different targets in a short time,
// among them a quarter of NASpoofTargets (two at least) addresses another
// MAC has held, answers every solicitation (parasite6): a count, not a
// share, so that made-up targets cannot dilute it. A server answering for
// its own many addresses (a web host's one per site) holds none of
// another's. A MAC's targets are bounded (answerCap: the oldest goes).
func (n *neighbours) everyNS(f *ndFact, mac string) {
	win := n.m.cfg.NAWindow.Seconds()
	set := n.answers[mac]
	if set == nil {
		if len(n.answers) >= n.m.cfg.MaxHosts {
			n.sweepAnswers(f.TS, win)
		}
		if len(n.answers) >= n.m.cfg.MaxHosts {
			return
		}
		set = map[string]float64{}
		n.answers[mac] = set
	}
	if _, ok := set[f.Target]; !ok && len(set) >= n.answerCap() {
		n.dropOldest(set, mac)
	}
	set[f.Target] = f.TS
	for t, seen := range set {
		if f.TS-seen > win {
			delete(set, t)
		}
	}
	if len(set) < n.m.cfg.NASpoofTargets {
		return
	}
	if others := n.othersHeld(set, mac); others >= max(2, n.m.cfg.NASpoofTargets/4) {
		n.m.raise(f.TS, "ipv6.na_spoof", 1, 0.9, n.speaker(mac), "", []string{"T1557"},
			fmt.Sprintf("%s advertised %d different addresses within %s, %d of them other hosts': it answers every neighbour solicitation", mac, len(set), n.m.cfg.NAWindow, others),
			map[string]any{"mac": mac, "targets": len(set), "others_addresses": others, "window_s": win, "threshold": n.m.cfg.NASpoofTargets})
	}
}

// sweepAnswers forgets the MACs that advertised nothing within win of
// now, at most once per window (a full table of active MACs stays full).
func (n *neighbours) sweepAnswers(now, win float64) {
	if now-n.answersSwept < win {
		return
	}
	n.answersSwept = now
	for mac, set := range n.answers {
		idle := true
		for _, ts := range set {
			idle = idle && now-ts > win
		}
		if idle {
			delete(n.answers, mac)
		}
	}
}

// answerCap bounds the targets kept per MAC: four times NASpoofTargets.
func (n *neighbours) answerCap() int { return 4 * max(n.m.cfg.NASpoofTargets, 1) }

// dropOldest deletes set's earliest target that no MAC but mac holds or
// held, or its earliest when all are others' addresses: made-up targets
// cannot push the evidence out.
func (n *neighbours) dropOldest(set map[string]float64, mac string) {
	var oldest [2]string // [0]: earliest own or unknown; [1]: earliest of all
	first := [2]float64{math.Inf(1), math.Inf(1)}
	for t, ts := range set {
		for k := range 2 {
			if k == 0 && n.heldByOther(t, mac) {
				continue
			}
			if ts < first[k] || ts == first[k] && t < oldest[k] {
				oldest[k], first[k] = t, ts
			}
		}
	}
	if math.IsInf(first[0], 1) {
		delete(set, oldest[1])
		return
	}
	delete(set, oldest[0])
}

// heldByOther reports whether a MAC other than mac holds or held target.
func (n *neighbours) heldByOther(target, mac string) bool {
	b := n.bindings[target]
	return b != nil && (b.MAC != mac || slices.ContainsFunc(b.History, func(m string) bool { return m != mac }))
}

// othersHeld counts the targets of set that a MAC other than mac holds or
// has held.
func (n *neighbours) othersHeld(set map[string]float64, mac string) int {
	others := 0
	for t := range set {
		if n.heldByOther(t, mac) {
			others++
		}
	}
	return others
}

// dad: an advertisement for an address under duplicate address detection
// makes its owner give it up; repeated, nobody can join (dos-new-ip6).
// It reports whether f is instead the prober's own announcement of the
// address, its detection passed (announcesOwnAddress).
func (n *neighbours) dad(f *ndFact, mac string) (passed bool) {
	probe, ok := n.tentative[f.Target]
	if !ok || f.TS-probe.ts > dadWindow {
		return false
	}
	delete(n.tentative, f.Target)
	if announcesOwnAddress(f, probe) {
		return true
	}
	if b, owned := n.bindings[f.Target]; !owned || b.MAC != mac {
		if _, known := n.answers[mac]; !known && !n.macBound(mac) {
			// The address was nobody's and the answer comes from a MAC
			// never seen before: no real duplicate, a forged defence
			// (dos-new-ip6 answers from made-up MACs).
			n.m.raise(f.TS, "ipv6.dad_dos", 1, 0.75, n.speaker(mac), n.prober(probe.mac), []string{"T1498"},
				fmt.Sprintf("%s, a MAC never seen before, claimed %s the moment a host tested it for duplicates: the host must give the address up", mac, f.Target),
				map[string]any{"mac": mac, "target": f.Target, "probe_to_answer_s": f.TS - probe.ts, "prober_mac": probe.mac})
		}
	}
	win := n.m.cfg.NAWindow.Seconds()
	d := append(n.denials[mac], f.TS)
	for len(d) > 0 && f.TS-d[0] > win {
		d = d[1:]
	}
	if len(n.denials) >= n.m.cfg.MaxHosts && n.denials[mac] == nil {
		clear(n.denials) // bounded: MaxHosts denying MACs (forged ones)
	}
	n.denials[mac] = d
	if len(d) >= n.m.cfg.DADDenials {
		n.m.raise(f.TS, "ipv6.dad_dos", 1, 0.9, n.speaker(mac), n.prober(probe.mac), []string{"T1498"},
			fmt.Sprintf("%s claimed %d addresses that hosts were testing for duplicates within %s: new hosts cannot configure an address", mac, len(d), n.m.cfg.NAWindow),
			map[string]any{"mac": mac, "denials": len(d), "last_target": f.Target, "window_s": win, "threshold": n.m.cfg.DADDenials})
	}
	return false
}

// announcesOwnAddress reports an advertisement that the prober itself
// sends for the address it tested, once detection has passed: Windows
// and Cisco routers announce it to all nodes about a second (RetransTimer)
// after the probe. It must come from the prober's MAC, frame and option
// alike (the option alone is the sender's word), and no sooner than
// dadAnnounceAfter: a denial has to beat the prober's timer, and
// dos-new-ip6 answers within milliseconds.
func announcesOwnAddress(f *ndFact, p probe) bool {
	return p.mac != "" && f.SrcMAC == p.mac && (f.LLAddr == "" || f.LLAddr == p.mac) && f.TS-p.ts >= dadAnnounceAfter
}

// dadAnnounceAfter is how long after its probe a host's own advertisement
// of the address may come (RFC 4861's RetransTimer is 1 s; the corpus's
// hosts announce after 0.94 to 1.01 s).
const dadAnnounceAfter = 0.5

// macBound reports whether mac owns any address (bounded scan, only when
// a DAD probe is answered).
func (n *neighbours) macBound(mac string) bool {
	for _, b := range n.bindings {
		if b.MAC == mac {
			return true
		}
	}
	return false
}

// probe is a duplicate address detection under way.
type probe struct {
	ts  float64
	mac string
}

// prober names the host testing an address for duplicates (mac, "" when
// unknown) by an address bound to it all along, its link-local one first,
// else by the MAC.
func (n *neighbours) prober(mac string) string {
	if mac == "" {
		return ""
	}
	if ll, other := n.ownAddrs(mac); ll != "" {
		return ll
	} else if other != "" {
		return other
	}
	return mac
}

// ownAddrs returns the lowest link-local and other address bound to mac
// and never to another MAC.
func (n *neighbours) ownAddrs(mac string) (ll, other string) {
	for addr, b := range n.bindings {
		if b.MAC != mac || len(b.History) > 0 {
			continue
		}
		if a, err := netip.ParseAddr(addr); err == nil && a.IsLinkLocalUnicast() {
			if ll == "" || addr < ll {
				ll = addr
			}
		} else if other == "" || addr < other {
			other = addr
		}
	}
	return ll, other
}

// speaker names the host behind mac for an alert: an address bound to it
// that it did not merely claim (its link-local one first), else the MAC
// itself — spoofing tools send from the addresses they steal.
func (n *neighbours) speaker(mac string) string {
	ll, other := n.ownAddrs(mac)
	if ll != "" {
		return ll
	}
	if other != "" && n.answers[mac] == nil {
		return other
	}
	return mac
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
