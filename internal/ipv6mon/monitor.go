// Package ipv6mon is Vigil's IPv6 security monitor. It reads the records and
// packet facts of an analysis (neighbour discovery, ICMPv6, extension-header
// chains, weird.log anomalies, connections, DHCP) and
//
//   - learns the link's state: routers (MAC, link-local address, prefixes,
//     flags, preference, lifetimes, first/last seen), IP↔MAC bindings with
//     their history, DHCPv6 servers, tunnels;
//   - raises findings for the attacks that only IPv6 has: rogue and flooded
//     router advertisements, kill-router, neighbour-advertisement spoofing,
//     DAD denial, redirects, rogue DHCPv6 servers, MLD floods, smurf6,
//     too-small packet-too-big MTUs, RFC 4861 limit violations, and the
//     extension-header and fragmentation evasions (RFC 5095, 5722, 6980,
//     7112, 8021);
//   - summarises the IPv6 posture: address kinds per host (EUI-64 that
//     leaks the MAC, privacy/opaque, DHCPv6, static), routers and prefixes,
//     tunnels (6in4, 6to4, Teredo, ISATAP), IPv6's share of traffic.
//
// A Monitor is fed from one goroutine (analyze.Consumer) and needs no
// packets of its own. What waits for data time to pass (rogue-router
// findings held for a flood to absorb, echoes to multicast groups) is
// decided on every packet fact's time, so a live run reports as an
// offline one does.
//
// State is bounded and a full table forgets, it does not stop judging:
//   - routers: Config.MaxRouters, the oldest not legitimate forgotten
//     first (a router that cannot be kept is judged all the same);
//   - IP↔MAC bindings: Config.MaxHosts, the oldest made by an unsolicited
//     advertisement forgotten first, then the oldest;
//   - posture hosts, answering MACs, MLD sources, DAD-denying MACs:
//     Config.MaxHosts each;
//   - DAD probes: dropped after dadWindow (2 s), at most
//     min(maxTentative, MaxHosts);
//   - the RA flood counter: the last RAFloodCount advert times and
//     RAFloodSources sources (counting stops at the thresholds);
//   - held findings maxHeld, held echoes maxHeldEchoes, prefixes
//     maxPrefixes, findings remembered maxRaised.
package ipv6mon

import (
	"encoding/json"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config tunes the monitor; DefaultConfig gives working values.
type Config struct {
	// LearnWindow is how long after the first router advertisement the
	// routers and prefixes seen are taken as the legitimate ones (when no
	// allowlist is given).
	LearnWindow time.Duration
	// AllowedRouters lists legitimate routers by MAC ("02:00:…") or
	// link-local address; AllowedPrefixes the legitimate prefixes. When
	// set they replace learning.
	AllowedRouters  []string
	AllowedPrefixes []string
	// RAFloodCount router advertisements within RAFloodWindow (from any
	// source) make a flood; so do RAFloodSources distinct sources.
	RAFloodCount   int
	RAFloodSources int
	RAFloodWindow  time.Duration
	// NASpoofTargets: one MAC answering for this many distinct targets
	// within NAWindow is spoofing (parasite6 answers every NS).
	NASpoofTargets int
	NAWindow       time.Duration
	// DADDenials: tentative addresses "defended" by another host this
	// many times within NAWindow is a DAD denial of service.
	DADDenials int
	// MLDFloodCount MLD messages from one source within RAFloodWindow.
	MLDFloodCount int
	// ExtChainLimit: more extension headers than this is an evasion;
	// ExtOptionBytes: so are more bytes of hop-by-hop and destination
	// options than this in one packet.
	ExtChainLimit  int
	ExtOptionBytes int
	// MaxHosts bounds the IP↔MAC bindings, the hosts of the posture and
	// the other per-host tables; MaxRouters the routers kept.
	MaxHosts   int
	MaxRouters int
	// OnLocalPrefix, when set, is called once for each prefix a
	// legitimate router advertises: the site's own IPv6 networks, which
	// other stages (the detectors' internal networks) learn from it.
	OnLocalPrefix func(prefix string)
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		LearnWindow:    2 * time.Minute,
		RAFloodCount:   50,
		RAFloodSources: 8,
		RAFloodWindow:  10 * time.Second,
		NASpoofTargets: 10,
		NAWindow:       30 * time.Second,
		DADDenials:     3,
		MLDFloodCount:  200,
		ExtChainLimit:  8,
		ExtOptionBytes: 512,
		MaxHosts:       1 << 16,
		MaxRouters:     1024,
	}
}

// Finding is one detection: the fields of an alerts.log record
// (../shared/DESIGN.md §3) without the detector name, which is "ipv6".
type Finding struct {
	TS         float64        `json:"ts"`
	Class      string         `json:"class"`
	Severity   int            `json:"severity"`
	Confidence float64        `json:"confidence"`
	Src        string         `json:"src,omitempty"`
	Dst        string         `json:"dst,omitempty"`
	MITRE      []string       `json:"mitre"`
	Summary    string         `json:"summary"`
	Evidence   map[string]any `json:"evidence"`
	// OneOfMany: Dst is one target of a behaviour aimed at many (headers
	// that host after host rejects): an alert stands for the source, its
	// targets listed, not one alert per target.
	OneOfMany bool `json:"one_of_many,omitempty"`

	// Update: newer counts of a finding reported before (a tunnel's, as
	// its connections end): its open episode takes them and stays open
	// until Last; it is no new detection.
	Update bool    `json:"-"`
	Last   float64 `json:"-"`

	// once, when set, replaces class|src|dst as what the finding is
	// reported once per.
	once string
}

// Monitor holds the learned state. Use New.
type Monitor struct {
	cfg     Config
	emit    func(Finding)
	allowR  map[string]bool
	allowP  map[netip.Prefix]bool
	routers *routerTable
	nd      *neighbours
	ev      *evasions
	post    *posture
	raised  map[string]float64 // class|src|dst reported → its latest occurrence
	found   []Finding

	dhcpServers map[string]*dhcpServer // DHCPv6 servers seen
	dhcpJudged  int                    // servers judged (onDHCP)
	dhcpFirst   []dhcpRec              // each server's first judged record
	firstDHCP   float64
	line        rec.Shared // a line given to Record

	// onLinkPfx: the prefixes routers advertise (any router's: hosts take
	// a rogue's too), masked, at most maxPrefixes, to tell the link's
	// addresses from remote ones (where).
	onLinkPfx map[netip.Prefix]bool

	// mu lets Snapshot read the state while a live run's records come in.
	mu sync.Mutex
}

// New returns a monitor that hands each finding to emit (may be nil; the
// findings are also kept, see Findings).
func New(cfg Config, emit func(Finding)) *Monitor {
	m := &Monitor{cfg: cfg, emit: emit, raised: map[string]float64{}, onLinkPfx: map[netip.Prefix]bool{},
		allowR: map[string]bool{}, allowP: map[netip.Prefix]bool{}}
	for _, r := range cfg.AllowedRouters {
		m.allowR[r] = true
	}
	for _, p := range cfg.AllowedPrefixes {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			m.allowP[pfx.Masked()] = true
		}
	}
	m.routers = newRouterTable(m)
	m.nd = newNeighbours(m)
	m.ev = newEvasions(m)
	m.post = newPosture(cfg.MaxHosts, m.offLink)
	m.post.tell = m.tellTunnel
	return m
}

// Record takes one log line or packet fact (analyze.Consumer).
func (m *Monitor) Record(log string, line []byte) {
	if !reads(log) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if log == "conn" || log == "tunnel" {
		m.line.Reset(log, line)
		m.shared(&m.line)
		return
	}
	m.record(log, line)
}

// RecordShared is Record for a line other consumers read too: conn
// records, the busiest, are read with the shared field index.
func (m *Monitor) RecordShared(s *rec.Shared) {
	if !reads(s.Log) {
		return // most records (http, dns, ssl …) tell the monitor nothing
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shared(s)
}

// reads reports whether the monitor reads the records of log (those
// record and shared handle).
func reads(log string) bool {
	switch log {
	case "conn", "_nd", "_icmp6", "_ip6ext", "weird", "dhcp", "tunnel":
		return true
	}
	return false
}

func (m *Monitor) shared(s *rec.Shared) {
	switch s.Log {
	case "conn":
		if r, err := s.Rec(); err == nil {
			m.post.onConn(r)
		}
	case "tunnel":
		if r, err := s.Rec(); err == nil {
			m.post.onTunnel(r)
		}
	default:
		m.record(s.Log, s.Line)
	}
}

func (m *Monitor) record(log string, line []byte) {
	switch log { // the logs reads lists (but conn and tunnel, see shared): keep the two in step
	case "_nd":
		var f ndFact
		if json.Unmarshal(line, &f) == nil && !f.Tunnelled {
			m.onND(&f) // tunnelled ND belongs to the tunnel's far link
			m.settle(f.TS)
		}
	case "_icmp6":
		var f icmp6Fact
		if json.Unmarshal(line, &f) == nil {
			m.settle(f.TS)
			m.ev.onICMP6(&f)
			m.seenICMP6(&f)
		}
	case "_ip6ext":
		var f extFact
		if json.Unmarshal(line, &f) == nil {
			m.settle(f.TS)
			m.ev.onExt(&f)
		}
	case "weird":
		var w weirdRec
		if json.Unmarshal(line, &w) == nil {
			m.ev.onWeird(&w)
		}
	case "dhcp":
		var d dhcpRec
		if json.Unmarshal(line, &d) == nil {
			m.onDHCP(&d)
		}
	}
}

// settle decides what waits for data time to pass (held router findings,
// echoes to multicast groups) at a packet fact's time: facts come in
// packet order, so a live run decides as soon as an offline one.
func (m *Monitor) settle(ts float64) {
	m.routers.release(ts)
	m.ev.settleEchoes(ts)
}

// onLinkPrefix notes a prefix a router advertised (bounded).
func (m *Monitor) onLinkPrefix(p string) {
	if len(m.onLinkPfx) >= maxPrefixes {
		return
	}
	if pfx, err := netip.ParsePrefix(p); err == nil && pfx.Addr().Is6() {
		m.onLinkPfx[pfx.Masked()] = true
	}
}

// offLink tells whether a is known to be off the link: the link's
// prefixes are known (a router advertised one, or the allowlist names
// one) and a is not link-local, in one of them, nor bound to a MAC by
// neighbour discovery. Without a prefix known nothing is off the link,
// and nothing is looked up (most links' connections come to this first
// test). No allocation (a connection's ends are looked up).
func (m *Monitor) offLink(a netip.Addr) bool {
	if len(m.onLinkPfx) == 0 && len(m.allowP) == 0 || a.IsLinkLocalUnicast() {
		return false
	}
	for _, bits := range [...]int{64, 48, 56, 60, 62, 63} {
		if p, err := a.Prefix(bits); err == nil && m.onLinkPfx[p] {
			return false
		}
	}
	for p := range m.allowP {
		if p.Contains(a) {
			return false
		}
	}
	var buf [64]byte
	return m.nd.bindings[string(a.AppendTo(buf[:0]))] == nil
}

// seenICMP6 notes an ICMPv6 message's source, which may be remote (an
// echo reply through the router).
func (m *Monitor) seenICMP6(f *icmp6Fact) {
	if a, err := netip.ParseAddr(f.Src); err == nil {
		m.post.seenEnd(a, []byte(f.SrcMAC), f.TS)
	}
}

// onND routes a neighbour-discovery fact.
func (m *Monitor) onND(f *ndFact) {
	m.post.seenV6(f.Src, f.SrcMAC, f.TS)
	if f.Type == "ra" {
		m.routers.onRA(f)
		if m.routers.flooding(f.TS) {
			return // the flood is the finding; its packets' odd fields are not news
		}
	}
	m.ndLimits(f)
	switch f.Type {
	case "ra":
	case "ns", "na":
		m.nd.on(f)
	case "redirect":
		if m.routers.legitimate(f.SrcMAC, f.Src) && (f.Target == f.RedirectDst || m.routers.legitimateAddr(f.Target)) {
			// The router (its address and its MAC) tells a host that a
			// destination is on its link, or to use another legitimate
			// router: what redirects are for. redir6 forges the router's
			// address and MAC, but points to a host that is no router.
			m.ev.kinds["redirect_from_router"]++
			return
		}
		m.raise(f.TS, "ipv6.redirect", 2, 0.7, m.redirector(f), f.Dst, []string{"T1557"},
			"ICMPv6 redirect from "+f.Src+" sends traffic for "+f.RedirectDst+" to "+f.Target,
			map[string]any{"target": f.Target, "redirect_dst": f.RedirectDst, "src_mac": f.SrcMAC})
	}
}

// redirector names who sent a suspicious redirect f. A redirect in the
// learned router's name and with its MAC, pointing at a host that is no
// router, was forged (redir6 forges both): its beneficiary, the target
// the traffic now goes to, is the attacker. The router's address from
// another MAC is that MAC's own speaker. Any other sender is itself.
func (m *Monitor) redirector(f *ndFact) string {
	switch {
	case !m.routers.legitimateAddr(f.Src) || f.SrcMAC == "":
		return f.Src
	case !m.routers.legitimate(f.SrcMAC, f.Src):
		return m.nd.speaker(f.SrcMAC) // the router's address from another MAC
	case f.Target != "" && f.Target != f.RedirectDst && !m.routers.legitimateAddr(f.Target):
		return f.Target
	}
	return f.Src
}

// maxRaised bounds the findings remembered for deduplication (spoofed
// sources make every key new).
const maxRaised = 1 << 16

// raiseAgain is how long (s) a finding reported must not recur before it
// is reported again: a behaviour back after an hour's quiet (a rogue
// router plugged in again days later, the router's next nightly restart)
// is a new finding in a run that goes on for weeks, as it is in a capture
// of that day; one that goes on (adverts minutes apart) stays one.
const raiseAgain = 3600

// raise reports a finding once per class, source and destination.
func (m *Monitor) raise(ts float64, class string, sev int, conf float64, src, dst string, mitre []string, summary string, ev map[string]any) {
	m.report(Finding{TS: ts, Class: class, Severity: sev, Confidence: conf, Src: src, Dst: dst, MITRE: mitre, Summary: summary, Evidence: ev})
}

// tellTunnel reports tunnel t (update false), or its newer counts at ts
// (update true): the finding kept (Findings) takes them, and the alert's
// open episode through emit.
func (m *Monitor) tellTunnel(t *tunnel, update bool, ts float64) {
	f := t.finding()
	if !update {
		t.raised, t.found = true, -1
		if n := len(m.found); m.report(f) && len(m.found) > n {
			t.found = n
		}
		return
	}
	if t.found >= 0 && t.found < len(m.found) {
		m.found[t.found] = f
	}
	if m.emit != nil {
		f.Update, f.Last = true, ts
		m.emit(f)
	}
}

// report reports f once per class, source and destination (or per
// f.once) while it recurs within raiseAgain.
// It reports whether f was reported (not a recurrence).
func (m *Monitor) report(f Finding) bool {
	key := f.Class + "|" + f.Src + "|" + f.Dst
	if f.once != "" {
		key = f.Class + "|" + f.once
	}
	if last, ok := m.raised[key]; ok && math.Abs(f.TS-last) < raiseAgain {
		m.raised[key] = max(last, f.TS)
		return false
	}
	if len(m.raised) >= maxRaised {
		m.forgetRaised(f.TS)
	}
	m.raised[key] = f.TS
	if len(m.found) < maxRaised {
		m.found = append(m.found, f) // kept for Findings and the posture
	}
	if m.emit != nil {
		m.emit(f)
	}
	return true
}

// forgetRaised makes room among the findings remembered: those quiet for
// raiseAgain at ts go, or all of them when that frees too little (a
// finding may then be raised again).
func (m *Monitor) forgetRaised(ts float64) {
	for k, last := range m.raised {
		if math.Abs(ts-last) >= raiseAgain {
			delete(m.raised, k)
		}
	}
	if len(m.raised) > maxRaised*3/4 {
		clear(m.raised)
	}
}

// Findings returns every finding raised so far, in order.
func (m *Monitor) Findings() []Finding { return m.found }

// Close ends the run: summaries that need the whole capture (tunnels)
// are raised now.
func (m *Monitor) Close() error {
	m.routers.release(math.Inf(1))
	m.routers.tellFlood(m.routers.open.last)
	m.ev.settleEchoes(math.Inf(1))
	m.recheckDHCPv6()
	m.post.raiseTunnels(m)
	return nil
}
