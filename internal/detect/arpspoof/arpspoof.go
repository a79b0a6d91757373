// Package arpspoof detects ARP spoofing from the "_arp" packet facts (one
// per ARP packet: ts, src_mac, src_ip, dst_mac, dst_ip, op).
//
// An IPv4 address is bound to the first MAC address that claims it. A
// different MAC claiming it is a binding change; the address flapping
// between MACs (MinFlaps changes within Window) is spoofing, as arpspoof and
// ettercap keep re-poisoning while the real owner keeps answering. One MAC
// sending MinGratuitous gratuitous ARPs within Window is a storm. The alert
// blames the newer MAC (and the IPv4 address it uses for itself, when seen)
// and names the impersonated address as destination and the poisoned hosts
// (targets of the forged replies) in dsts. When the first MAC seen is the
// one that keeps claiming the address unasked while the newer MAC only
// answers requests or asks itself, the capture began with the poisoning
// under way: the roles are the other way round, and the first MAC is
// blamed, its unasked claims' targets the poisoned hosts.
//
// Flapping is spoofing only when some MAC other than the owner claimed
// the address more than once in the episode, so that one-off MACs (a
// capture with bit errors) never add up to a spoofer, while one that
// takes turns with several MACs still does; a claim in a frame whose
// Ethernet source is the owner's MAC (the sender MAC corrupted) is none.
//
// Flapping between two MACs that claim the same two or more addresses,
// the newer one only ever in answer to a request (a reply to a request
// for the address seen within askedFor seconds, or a request of its own;
// one announcement is allowed),
// is one host with two interfaces on the link, each answering for the
// other's address (Linux's default "ARP flux"; a dual-homed HMI), not a
// spoofer: arpspoof, ettercap and bettercap send replies nobody asked
// for, and a spoofer's MAC also claims its own address, which its
// victim's never does. Claim lists that reached maxClaims are never
// taken for one host.
//
// State: bindings of at most MaxBindings addresses and per-MAC counters of
// at most MaxBindings MACs. Past that a tenth is dropped: first those
// seen once (an ARP flood from forged addresses or MACs is all of these),
// then the longest idle; bindings in a flapping episode go last, so that
// a flood cannot wipe out the episode of the address being spoofed.
package arpspoof

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the ARP thresholds.
type Config struct {
	Enabled       bool    `json:"enabled"`
	MinFlaps      int     `json:"min_flaps"`
	MinGratuitous int     `json:"min_gratuitous"`
	Window        float64 `json:"window_s"`
	Idle          float64 `json:"idle_s"`
	MaxBindings   int     `json:"max_bindings"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Enabled: true, MinFlaps: 3, MinGratuitous: 50, Window: 300, Idle: 900, MaxBindings: 100_000}
}

type binding struct {
	ip          netip.Addr
	owner       string // first MAC seen
	current     string
	flaps       int
	first, last float64 // of the flapping episode
	spoofer     string
	unasked     int // claims by MACs other than the owner that nobody asked for, this episode
	victims     map[netip.Addr]bool
	// The owner's own claims that nobody asked for: how many (since the
	// last went more than Window before), the last one's time, and whom
	// they went to (at most alert.MaxDsts; nil until one does). When the
	// owner is the spoofer (the capture began mid-attack), they are the
	// poisoning.
	ownerUnasked     int
	ownerUnaskedLast float64
	ownerVictims     map[netip.Addr]bool
	alerted          bool
	seen             float64
	more             bool // claimed more than once
	// claims counts the claims of each MAC other than the owner this
	// episode (at most maxClaimers MACs).
	claims map[string]int
}

// maxClaimers bounds binding.claims.
const maxClaimers = 16

// claim counts a claim of the address by mac, not its owner.
func (b *binding) claim(mac string) {
	if b.claims == nil {
		b.claims = map[string]int{}
	}
	if _, ok := b.claims[mac]; ok || len(b.claims) < maxClaimers {
		b.claims[mac]++
	}
}

// repeated reports whether some MAC other than the owner claimed the
// address more than once this episode: a spoofer re-poisons again and
// again (from one MAC, or several in turn), while MACs that each claim it
// once (sender MACs corrupted by bit errors, a NIC swapped once) are none.
func (b *binding) repeated() bool {
	for _, n := range b.claims {
		if n > 1 {
			return true
		}
	}
	return false
}

type macState struct {
	mac        string
	ownIP      netip.Addr   // first address it claimed
	claims     []netip.Addr // the first maxClaims addresses it claimed
	gratuitous int
	gFirst     float64
	gLast      float64
	gAlerted   bool
	seen       float64
	more       bool // seen more than once
}

// Detector is the ARP spoofing detector.
type Detector struct {
	cfg      Config
	bindings map[netip.Addr]*binding
	macs     map[string]*macState
	asked    *askedTable // recent requests: which address was asked for, when
}

// askedTable remembers the latest request for an address in a
// direct-mapped table: a slot holds the last address asked for that lands
// there.
type askedTable [askedSlots]askedSlot

type askedSlot struct {
	ip netip.Addr
	ts float64
}

const (
	askedSlots = 4096
	// askedFor is how long (s) after a request a reply counts as its answer.
	askedFor = 2
)

func (t *askedTable) slot(ip netip.Addr) *askedSlot {
	b := ip.As16()
	h := (binary.LittleEndian.Uint64(b[8:]) ^ binary.LittleEndian.Uint64(b[:8])*31) * 0x9e3779b97f4a7c15
	return &t[h>>(64-12)]
}

// ask notes a request for ip at ts.
func (t *askedTable) ask(ip netip.Addr, ts float64) {
	s := t.slot(ip)
	s.ip, s.ts = ip, ts
}

// answers reports whether a claim of ip at ts answers a request.
func (t *askedTable) answers(ip netip.Addr, ts float64) bool {
	s := t.slot(ip)
	return s.ip == ip && ts-s.ts >= 0 && ts-s.ts <= askedFor
}

// New returns an ARP spoofing detector.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg, bindings: map[netip.Addr]*binding{}, macs: map[string]*macState{}, asked: new(askedTable)}
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "arpspoof" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"_arp"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	ts := r.TS()
	mac := strings.ToLower(string(r.Bytes("src_mac")))
	ip := r.Addr("src_ip")
	dstIP := r.Addr("dst_ip")
	if mac == "" || !ip.IsValid() || ip.IsUnspecified() {
		return
	}
	m := d.mac(mac, ip, ts)
	reply := isReply(r)
	gratuitous := ip == dstIP || reply && !dstIP.IsValid()
	if gratuitous {
		d.gratuitous(m, ip, ts, emit)
	} else if !reply && dstIP.IsValid() {
		d.asked.ask(dstIP, ts)
	}
	unasked := gratuitous || reply && !d.asked.answers(ip, ts)
	b := d.bindings[ip]
	if b == nil {
		if len(d.bindings) >= d.cfg.MaxBindings {
			d.evict()
		}
		d.bindings[ip] = &binding{ip: ip, owner: mac, current: mac, seen: ts, victims: map[netip.Addr]bool{}}
		return
	}
	b.seen, b.more = max(b.seen, ts), true
	if mac != b.owner && strings.EqualFold(string(r.Bytes("eth_src")), b.owner) {
		return // the owner's own frame naming another sender MAC: a corrupted frame, no claim
	}
	if mac != b.owner && dstIP.IsValid() && dstIP != ip && len(b.victims) < alert.MaxDsts {
		b.victims[dstIP] = true
	}
	if mac == b.owner && unasked {
		b.ownerClaim(dstIP, ts, d.cfg.Window)
	}
	inEpisode := b.flaps > 0 && ts-b.last <= d.cfg.Window
	if mac != b.owner && inEpisode {
		b.claim(mac)
		if unasked {
			b.unasked++ // within the flapping episode, whether it flaps or not
		}
	}
	if mac == b.current {
		return
	}
	if !inEpisode {
		b.flaps, b.first, b.alerted, b.unasked = 0, ts, false, 0
		clear(b.claims)
		if mac != b.owner {
			b.claim(mac)
			if unasked {
				b.unasked++
			}
		}
	}
	b.flaps++
	b.current, b.last = mac, ts
	if mac != b.owner {
		b.spoofer = mac
	}
	if !b.alerted && b.flaps >= d.cfg.MinFlaps && b.repeated() && !d.flux(b) {
		b.alerted = true
		emit(d.spoofAlert(b))
	}
}

// ownerClaim counts a claim by the owner that nobody asked for, sent to
// dst.
func (b *binding) ownerClaim(dst netip.Addr, ts, window float64) {
	if ts-b.ownerUnaskedLast > window {
		b.ownerUnasked = 0
	}
	b.ownerUnasked++
	b.ownerUnaskedLast = max(b.ownerUnaskedLast, ts)
	if dst.IsValid() && dst != b.ip {
		if b.ownerVictims == nil {
			b.ownerVictims = map[netip.Addr]bool{}
		}
		if len(b.ownerVictims) < alert.MaxDsts {
			b.ownerVictims[dst] = true
		}
	}
}

// ownerSpoofs reports whether the address's first MAC is the spoofer: it
// kept claiming the address unasked (at least twice, the last within
// Window of the episode's end) while the newer MACs only answered
// requests or asked themselves. That is the real owner coming back after
// a capture that began with the poisoning under way.
func (d *Detector) ownerSpoofs(b *binding) bool {
	return b.unasked == 0 && b.ownerUnasked >= 2 && b.last-b.ownerUnaskedLast <= d.cfg.Window
}

func isReply(r *rec.Rec) bool {
	v, _ := r.Raw("op")
	s := strings.Trim(string(v), `"`)
	return s == "2" || strings.EqualFold(s, "reply")
}

func (d *Detector) mac(mac string, ip netip.Addr, ts float64) *macState {
	m := d.macs[mac]
	if m == nil {
		if len(d.macs) >= d.cfg.MaxBindings {
			d.evict()
		}
		m = &macState{mac: mac, ownIP: ip, seen: ts}
		d.macs[mac] = m
	} else {
		m.more = true
	}
	m.seen = max(m.seen, ts)
	if len(m.claims) < maxClaims && !slices.Contains(m.claims, ip) {
		m.claims = append(m.claims, ip)
	}
	return m
}

// maxClaims bounds the addresses remembered per MAC.
const maxClaims = 8

// flux reports whether b's owner and its newer MAC claim the same two or
// more addresses (fewer than maxClaims), the newer one when asked but for
// one announcement at most: one host's two interfaces answering for each
// other. Spoofers send unasked replies every second or two.
func (d *Detector) flux(b *binding) bool {
	o, s := d.macs[b.owner], d.macs[b.spoofer]
	if b.unasked > 1 || o == nil || s == nil || len(o.claims) < 2 || len(o.claims) >= maxClaims || len(o.claims) != len(s.claims) {
		return false
	}
	for _, a := range o.claims {
		if !slices.Contains(s.claims, a) {
			return false
		}
	}
	return true
}

func (d *Detector) gratuitous(m *macState, ip netip.Addr, ts float64, emit alert.Emit) {
	if m.gratuitous == 0 || ts-m.gFirst > d.cfg.Window && !m.gAlerted {
		m.gratuitous, m.gFirst = 0, ts
	}
	m.gratuitous++
	m.gLast = ts
	if !m.gAlerted && m.gratuitous >= d.cfg.MinGratuitous {
		m.gAlerted = true
		act := fmt.Sprintf("sent %d gratuitous ARPs for %s from %s", m.gratuitous, ip, m.mac)
		emit(alert.Alert{
			TS: m.gFirst, TSEnd: ts, Src: m.ownIP.String(), Dst: ip.String(), Class: "arp.spoof",
			Confidence: 0.6, Act: act,
			Summary:  fmt.Sprintf("%s %s between %s and %s.", m.ownIP, act, alert.Clock(m.gFirst), alert.Clock(ts)),
			Evidence: map[string]any{"kind": "gratuitous storm", "mac": m.mac, "gratuitous": m.gratuitous, "threshold": d.cfg.MinGratuitous, "window_s": d.cfg.Window},
			Detector: "arpspoof",
		})
	}
}

func (d *Detector) spoofAlert(b *binding) alert.Alert {
	spoofer, owner, poisoned := b.spoofer, b.owner, b.victims
	if d.ownerSpoofs(b) {
		spoofer, owner, poisoned = b.owner, b.spoofer, b.ownerVictims
	}
	src := ""
	if m := d.macs[spoofer]; m != nil && m.ownIP != b.ip {
		src = m.ownIP.String()
	}
	victims := make([]netip.Addr, 0, len(poisoned))
	for v := range poisoned {
		victims = append(victims, v)
	}
	sort.Slice(victims, func(i, j int) bool { return victims[i].Less(victims[j]) })
	dsts := []string{b.ip.String()}
	for _, v := range victims {
		dsts = append(dsts, v.String())
	}
	who := src
	if who == "" {
		who = spoofer
	}
	act := fmt.Sprintf("impersonated %s with MAC %s (owner %s; %d binding changes)", b.ip, spoofer, owner, b.flaps)
	if len(victims) > 0 {
		act += fmt.Sprintf(", poisoning %s", alert.Plural(len(victims), "host"))
	}
	return alert.Alert{
		TS: b.first, TSEnd: b.last, Src: src, Dst: b.ip.String(), Dsts: dsts, DstCount: len(dsts),
		Class: "arp.spoof", Confidence: min(1, 0.6+0.1*float64(b.flaps-d.cfg.MinFlaps)),
		Act:     act,
		Summary: fmt.Sprintf("%s %s between %s and %s.", who, act, alert.Clock(b.first), alert.Clock(b.last)),
		Evidence: map[string]any{
			"kind": "binding flaps", "ip": b.ip.String(), "owner_mac": owner, "spoofer_mac": spoofer,
			"flaps": b.flaps, "threshold_flaps": d.cfg.MinFlaps, "window_s": d.cfg.Window,
		},
		Detector: "arpspoof",
	}
}

// keep orders entries for eviction: the lowest rank (0: seen once, 1:
// more, 2: in a flapping episode) and then the longest idle go first.
type keep struct {
	rank uint8
	seen float64
}

func compareKeep(a, b keep) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return cmp.Compare(a.seen, b.seen)
}

func rank(more, flapping bool) uint8 {
	switch {
	case flapping:
		return 2
	case more:
		return 1
	}
	return 0
}

func (d *Detector) evict() {
	n := d.cfg.MaxBindings / 10
	if len(d.bindings) >= d.cfg.MaxBindings {
		for _, ip := range evict.First(d.bindings, len(d.bindings)-d.cfg.MaxBindings+n+1, func(b *binding) keep {
			return keep{rank(b.more, b.flaps > 0), b.seen}
		}, compareKeep) {
			delete(d.bindings, ip)
		}
	}
	if len(d.macs) >= d.cfg.MaxBindings {
		for _, mac := range evict.First(d.macs, len(d.macs)-d.cfg.MaxBindings+n+1, func(m *macState) keep {
			return keep{rank(m.more, false), m.seen}
		}, compareKeep) {
			delete(d.macs, mac)
		}
	}
}

// Flush implements detect.Detector: flapping episodes that went quiet are
// re-reported with their final counts and reset.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	for _, b := range d.bindings {
		if b.alerted && now-b.last > d.cfg.Window {
			emit(d.spoofAlert(b))
			b.alerted, b.flaps = false, 0
		}
	}
	for mac, m := range d.macs {
		if now-m.seen > d.cfg.Idle {
			delete(d.macs, mac)
		}
	}
}
