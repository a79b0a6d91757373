// Package scan detects port scans from conn.log: vertical (one source, many
// ports of one host), horizontal (one source, one port on many hosts) and
// the same over IPv6 (class scan.v6; an IPv6 vertical scan is reported
// as scan.vertical and scan.v6).
//
// Only probe-like connections count: attempts that failed or exchanged no
// payload (S0, REJ, RSTO without data, unanswered UDP, ICMP echo). A real
// conversation never makes a scan, so busy web clients stay quiet. Nor
// does a traceroute: its UDP probes go to ports 33434 and up, one per hop
// and try, and are answered by ICMP, never by UDP (tracerouteFirst). A
// source's counts form an episode that starts with its first probe; an
// episode that has not crossed a threshold within Window starts over, one
// that has is reported when the source goes idle for Idle (and every Report
// seconds while it goes on).
//
// An echo request to a host its source has lately had a conversation with
// (TCP payload or an answered UDP exchange, within an hour either way) is
// no probe: a ping sweep discovers hosts, and a host it already talks to
// is found. Squid's pinger (RITA's proxy_rolling logs) pings the origin
// servers it has just fetched from, many of which do not answer.
//
// A source that converses with more distinct hosts on a service than it
// probes there, its probes scattered over the address space (at least
// four in five in networks of their own: /16, /48), is that service's
// client, not its scanner: a recursive resolver whose queries to some
// lame servers go unanswered. A sweep covers networks, so talking to
// other hosts does not hide one. Likewise more ports of a host conversed
// with than probed (passive FTP data connections, some blocked) make no
// vertical scan. Conversations are counted while a source has an episode
// open.
//
// A scan paced below Window (nmap -T0, -T1, a probe a minute) is caught
// by the slow tier (slow.go): each probing source also keeps its latest
// SlowCap distinct probes, judged over SlowWindow against SlowPorts and
// SlowHosts with stricter rules, reported with the same classes and
// "pace": "slow".
//
// State: one entry per probing source, each holding its distinct
// (host, port) probes, conversations and probed networks, and one slow
// record per probing source (at most SlowCap probes); a source of one
// probe so far holds only that probe, as one small value (lone.go: a
// spoofed flood's forged addresses each send one). MaxEntries caps the
// probes, conversations and networks held in all, each source counting
// sourceEntries more for itself, each slow record slowEntries plus its
// probes and each lone probe loneEntries; past it the longest-idle
// sources, slow records and lone probes are dropped (counted in
// Evicted). The conversations
// behind the first rule are kept in a fixed table (package peers).
package scan

import (
	"fmt"
	"math"
	"net/netip"
	"sort"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/peers"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the scan thresholds.
type Config struct {
	Enabled bool `json:"enabled"`
	// VerticalPorts distinct ports probed on one host make a vertical scan.
	VerticalPorts int `json:"vertical_ports"`
	// HorizontalHosts distinct hosts probed on one port make a horizontal
	// scan.
	HorizontalHosts int `json:"horizontal_hosts"`
	// Window is the time (s) within which a threshold must be reached.
	Window float64 `json:"window_s"`
	// Idle ends an episode after this many seconds without probes.
	Idle float64 `json:"idle_s"`
	// Report re-emits an ongoing episode's alert this often (s).
	Report float64 `json:"report_s"`
	// MaxEntries caps the (host, port) probes, conversations and probed
	// networks held for all sources, and the sources themselves (each
	// counts as sourceEntries, each slow record as slowEntries).
	MaxEntries int `json:"max_entries"`
	// SlowWindow is the slow tier's window (s): SlowPorts distinct ports
	// of one host, or SlowHosts distinct hosts on one port, probed within
	// it make a slow scan. 0 turns the slow tier off.
	SlowWindow float64 `json:"slow_window_s"`
	// SlowPorts and SlowHosts are the slow tier's thresholds (at most
	// SlowCap).
	SlowPorts int `json:"slow_vertical_ports"`
	SlowHosts int `json:"slow_horizontal_hosts"`
	// SlowIdle ends a slow record (and its episode) after this many
	// seconds without probes.
	SlowIdle float64 `json:"slow_idle_s"`
}

// DefaultConfig returns the default thresholds.
func DefaultConfig() Config {
	return Config{Enabled: true, VerticalPorts: 20, HorizontalHosts: 20, Window: 300, Idle: 600, Report: 600, MaxEntries: 2_000_000,
		SlowWindow: 6 * 3600, SlowPorts: 30, SlowHosts: 30, SlowIdle: 3600}
}

// Valid reports whether the slow tier's settings can work: off, or a
// window no shorter than Window, a positive idle time and thresholds
// from 1 to SlowCap.
func (c Config) Valid() bool {
	return c.SlowWindow == 0 || c.SlowWindow >= c.Window && c.SlowIdle > 0 &&
		c.SlowPorts > 0 && c.SlowPorts <= SlowCap && c.SlowHosts > 0 && c.SlowHosts <= SlowCap
}

type probe struct {
	dst   netip.Addr
	port  uint16
	proto rec.Proto
}

type service struct {
	port  uint16
	proto rec.Proto
}

type source struct {
	src netip.Addr
	alert.Episode
	first float64
	// one is the episode's only probe while it has one (single): most
	// probing sources send one (a failed connection, a lone ping), and
	// the maps below are made at the second (spread).
	one    probe
	single bool
	probes map[probe]struct{}
	ports  map[netip.Addr]int // distinct ports probed per host
	hosts  map[service]int    // distinct hosts probed per port
	talks  map[probe]struct{} // conversations during the episode
	talkP  map[netip.Addr]int // distinct ports conversed with per host
	talkH  map[service]int    // distinct hosts conversed with per port
	nets   map[probe]struct{} // distinct networks (/16, /48) probed per port
	netsH  map[service]int    // distinct networks probed per port
	uids   alert.UIDs
	idle   idleLink[source] // its place in Detector.idle
}

// restart makes s a new episode of its source whose first probe is at ts,
// as a new source would be, keeping the memory of its maps and uids.
func (s *source) restart(ts float64) {
	s.one, s.single = probe{}, false
	clear(s.probes)
	clear(s.ports)
	clear(s.hosts)
	clear(s.talks)
	clear(s.talkP)
	clear(s.talkH)
	clear(s.nets)
	clear(s.netsH)
	s.uids.Reset()
	s.Restart(ts)
	s.first = ts
}

// sourceEntries is what a source itself costs against MaxEntries: its
// struct and maps take some 2 kB, about twenty probes' worth (a probe
// held costs some 90 bytes). A SYN flood from spoofed addresses makes a
// source of one probe of each address; counted by probes alone, the
// budget held ten times the memory it does for real scanners.
const sourceEntries = 20

// size is the entries the source holds against MaxEntries.
func (s *source) size() int {
	n := sourceEntries + len(s.probes) + len(s.talks) + len(s.nets)
	if s.single {
		n += 2 // its probe and its network
	}
	return n
}

// add counts probe p (not counted yet) and returns the distinct ports
// probed on its host and hosts probed on its service since the episode
// began.
func (s *source) add(p probe) (ports, hosts int) {
	if s.probes == nil && !s.single {
		s.one, s.single = p, true
		return 1, 1
	}
	s.spread()
	s.probes[p] = struct{}{}
	ports = s.ports[p.dst] + 1
	s.ports[p.dst] = ports
	svc := service{p.port, p.proto}
	hosts = s.hosts[svc] + 1
	s.hosts[svc] = hosts
	if n := (probe{network(p.dst), p.port, p.proto}); !has(s.nets, n) {
		s.nets[n] = struct{}{}
		s.netsH[svc]++
	}
	return ports, hosts
}

// seen reports whether p was counted in the episode.
func (s *source) seen(p probe) bool {
	if s.single {
		return p == s.one
	}
	return has(s.probes, p)
}

// spread moves a single probe into the maps, making them (restart keeps
// them made).
func (s *source) spread() {
	if s.probes == nil {
		s.probes, s.ports, s.hosts = map[probe]struct{}{}, map[netip.Addr]int{}, map[service]int{}
		s.nets, s.netsH = map[probe]struct{}{}, map[service]int{}
	}
	if s.single {
		s.single = false
		s.add(s.one)
	}
}

// netsOn returns the distinct networks probed on svc.
func (s *source) netsOn(svc service) int {
	if s.single {
		if svc == (service{s.one.port, s.one.proto}) {
			return 1
		}
		return 0
	}
	return s.netsH[svc]
}

// network is the /16 (IPv4) or /48 (IPv6) holding a: a sweep of one
// site's gateways, the .1 of each /24, stays in one.
func network(a netip.Addr) netip.Addr {
	bits := 48
	if a.Is4() {
		bits = 16
	}
	p, _ := a.Prefix(bits)
	return p.Addr()
}

// talk counts conversation c (of a TCP or UDP service) as the source's.
func (s *source) talk(c *rec.Conn) bool {
	t := probe{c.Resp, c.RespP, c.Proto}
	if _, seen := s.talks[t]; seen {
		return false
	}
	if s.talks == nil { // most sources never converse: made at the first conversation
		s.talks, s.talkP, s.talkH = map[probe]struct{}{}, map[netip.Addr]int{}, map[service]int{}
	}
	s.talks[t] = struct{}{}
	s.talkP[c.Resp]++
	s.talkH[service{c.RespP, c.Proto}]++
	return true
}

// verticalOn reports whether n ports probed on host h make a vertical scan.
func (d *Detector) verticalOn(s *source, h netip.Addr, n int) bool {
	return n >= d.cfg.VerticalPorts && n > s.talkP[h]
}

// horizontalOn reports whether n hosts probed on svc make a horizontal
// scan: at the threshold, and either more than the hosts conversed with
// there or concentrated in fewer networks than four in five.
func (d *Detector) horizontalOn(s *source, svc service, n int) bool {
	return n >= d.cfg.HorizontalHosts && (n > s.talkH[svc] || s.netsOn(svc)*5 < n*4)
}

// Detector is the scan detector.
type Detector struct {
	cfg      Config
	internal *netset.Set // the local networks (answered pings inside them count)
	sources  map[netip.Addr]*source
	due      *alert.Schedule[netip.Addr, *source] // when sources may end or be reported again
	peers    *peers.Table                         // recent conversations: pings between them are no probes
	slow     map[netip.Addr]*slowSource           // the slow tier's records (slow.go)
	slowDue  *alert.Schedule[netip.Addr, *slowSource]
	// idle and slowIdle order the sources and the slow records by their
	// last activity, for evict.
	idle     idleOrder[source, *source]
	slowIdle idleOrder[slowSource, *slowSource]
	// lone holds the sources' lone first probes (lone.go), loneOrder
	// their slots oldest first from loneHead.
	lone         map[netip.Addr]loneProbe
	loneOrder    []loneSlot
	loneHead     int
	loneSeq      uint64
	lonesAllowed bool    // cfg.lonesAllowed()
	flushed      float64 // the latest flush's record time
	entries      int
	// Evicted counts sources dropped to stay under MaxEntries.
	Evicted int
}

// New returns a scan detector.
func New(cfg Config, internal *netset.Set) *Detector {
	return &Detector{cfg: cfg, internal: internal, sources: map[netip.Addr]*source{}, due: alert.NewSchedule[netip.Addr, *source](cfg.Idle, cfg.Report),
		peers: peers.New(), slow: map[netip.Addr]*slowSource{}, slowDue: alert.NewSchedule[netip.Addr, *slowSource](cfg.SlowIdle, cfg.Report),
		lone: map[netip.Addr]loneProbe{}, lonesAllowed: cfg.lonesAllowed(), flushed: math.Inf(-1)}
}

func (d *Detector) Name() string { return "scan" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	if !c.Orig.IsValid() || !c.Resp.IsValid() {
		return
	}
	if !c.Probe() {
		d.peers.Note(c)
		if !peers.Conversation(c) {
			return
		}
		if l, ok := d.lone[c.Orig]; ok {
			d.promote(c.Orig, l, emit) // conversations count in its episode and slow record
		}
		if s := d.sources[c.Orig]; s != nil && s.talk(c) {
			d.entries++
			d.bound()
		}
		if sl := d.slow[c.Orig]; sl != nil {
			sl.talk(c)
		}
		return
	}
	if c.Proto == rec.ProtoUDP && traceroute(c.RespP) {
		return
	}
	if c.Proto == rec.ProtoICMP && (!echoRequest(c.OrigP) || c.RespPkts > 0 && !d.nearby(c.Orig, c.Resp) ||
		d.peers.Talked(c.Orig, c.Resp, c.TS, peers.Memory) || d.peers.Talked(c.Resp, c.Orig, c.TS, peers.Memory)) {
		return
	}
	port := c.RespP
	if c.Proto == rec.ProtoICMP {
		port = c.OrigP // ICMP: the type (echo request) stands for the port
	}
	d.probe(c.Orig, probe{c.Resp, port, c.Proto}, c.TS, c.UID, emit)
}

// probe counts probe p, sent by src at ts in connection uid: a source's
// lone first probe is kept aside (lone.go) until it has a second.
func (d *Detector) probe(src netip.Addr, p probe, ts float64, uid []byte, emit alert.Emit) {
	if l, ok := d.lone[src]; ok {
		if d.repeats(src, l, p, ts) {
			return
		}
		d.promote(src, l, emit)
	} else if d.lonesAllowed && d.sources[src] == nil && d.slow[src] == nil {
		d.addLone(src, p, ts, uid)
		return
	}
	d.count(src, p, ts, uid, emit)
}

// count adds probe p to src's episode and slow record.
func (d *Detector) count(src netip.Addr, p probe, ts float64, uid []byte, emit alert.Emit) {
	s := d.sources[src]
	switch {
	case s == nil:
		s = d.newSource(src, ts)
	case !s.Alerted && ts-s.first > d.cfg.Window:
		// The episode did not cross a threshold within Window: the next
		// starts in the source's own memory, its maps cleared rather than
		// made anew.
		d.entries -= s.size()
		s.restart(ts)
		d.entries += sourceEntries
		d.due.Watch(d.sources, src, s)
	}
	s.first = min(s.first, ts)
	s.Active(ts)
	d.idle.touch(s)
	if s.seen(p) {
		return
	}
	ports, hosts := d.addProbe(s, p, ts, uid)
	// Counts only grow and are checked at every probe until the source
	// alerts: it crosses a threshold with the counts of this probe.
	switch {
	case !s.Alerted && (d.verticalOn(s, p.dst, ports) || d.horizontalOn(s, service{p.port, p.proto}, hosts)):
		d.dropSlow(src, emit) // the episode reports the slow record's probes
		s.Reported(ts)
		d.due.Watch(d.sources, s.src, s)
		d.emit(s, emit)
	case !s.Alerted && d.cfg.SlowWindow > 0:
		d.slowProbe(src, p, ts, uid, emit)
	}
	d.bound()
}

// newSource starts watching src, whose first probe is at ts.
func (d *Detector) newSource(src netip.Addr, ts float64) *source {
	s := &source{src: src, first: ts, Episode: alert.Episode{Last: ts}}
	d.sources[src] = s
	d.entries += sourceEntries
	d.due.Watch(d.sources, src, s)
	return s
}

// addProbe counts probe p (new to s's episode), sent at ts in connection
// uid, and returns the distinct ports probed on its host and hosts probed
// on its service.
func (d *Detector) addProbe(s *source, p probe, ts float64, uid []byte) (ports, hosts int) {
	before := s.size()
	ports, hosts = s.add(p)
	d.entries += s.size() - before // the probe, and its network when new
	s.uids.Add(ts, uid)
	return ports, hosts
}

// bound evicts sources when the entries are over MaxEntries.
func (d *Detector) bound() {
	if d.entries > d.cfg.MaxEntries {
		d.evict()
	}
}

func has(m map[probe]struct{}, p probe) bool {
	_, ok := m[p]
	return ok
}

// tracerouteFirst and tracerouteLast bound the UDP ports traceroute (Linux,
// BSD, mtr -u) sends its probes to: the first port, then one more for
// each probe, 30 hops of 3 at most by default. A trace to one host would
// otherwise be a vertical scan of 30 to 90 ports, and a monitor tracing
// its paths a sweep of port 33434; a port scan loses only these ports.
const tracerouteFirst, tracerouteLast = 33434, 33534

// traceroute reports whether UDP port p is one traceroute probes.
func traceroute(p uint16) bool { return p >= tracerouteFirst && p <= tracerouteLast }

func echoRequest(icmpType uint16) bool { return icmpType == 8 || icmpType == 128 }

// nearby reports whether b is in a's site: the same /16 (IPv4) or /48
// (IPv6), or both in the local networks. An echo request counts as a
// probe when it goes unanswered, or when its target is nearby: a ping
// sweep covers a network, most of whose addresses do not answer, while a
// host that checks its reach or latency (RITA's proxy_rolling logs:
// hundreds of CDN and DNS servers an hour, each pinged once and
// answering) pings hosts that answer all over the internet.
func (d *Detector) nearby(a, b netip.Addr) bool {
	if d.internal.Contains(a) && d.internal.Contains(b) {
		return true
	}
	bits := 48
	if a.Is4() {
		bits = 16
	}
	if a.Is4() != b.Is4() {
		return false
	}
	p, err := a.Prefix(bits)
	return err == nil && p.Contains(b.WithZone(""))
}

// SetRefresh implements detect.Refresher: alerted episodes active since
// their last report are reported again every r seconds (of record time).
func (d *Detector) SetRefresh(r float64) {
	d.due.SetRefresh(r)
	d.slowDue.SetRefresh(r)
}

// Flush implements detect.Detector: idle episodes end (reported when they
// crossed a threshold), ongoing ones are re-reported every Report seconds.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	d.flushed = max(d.flushed, now)
	d.flushFast(now, emit)
	d.slowDue.Flush(d.slow, now, func(sl *slowSource) { d.emitSlow(sl, emit) }, func(k netip.Addr, sl *slowSource) {
		d.entries -= sl.size()
		delete(d.slow, k)
		d.slowIdle.remove(sl)
	})
	d.expireLones()
}

// flushFast is Flush for the fast tier's episodes.
func (d *Detector) flushFast(now float64, emit alert.Emit) {
	d.due.Flush(d.sources, now, func(s *source) { d.emit(s, emit) }, func(k netip.Addr, s *source) {
		d.entries -= s.size()
		delete(d.sources, k)
		d.idle.remove(s)
	})
}

// evict drops the longest-idle sources, slow records and lone probes
// until a tenth of the budget is free, taking them from the fronts of the
// tiers' idle orders and the lone order.
func (d *Detector) evict() {
	for target := d.cfg.MaxEntries * 9 / 10; d.entries > target; {
		s, sl := d.idle.front, d.slowIdle.front
		src, l, lone := d.oldestLone()
		switch {
		case lone && (s == nil || l.last <= s.Last) && (sl == nil || l.last <= sl.Last):
			d.dropLone(src)
			d.loneHead++
		case s != nil && (sl == nil || s.Last <= sl.Last):
			d.entries -= s.size()
			delete(d.sources, s.src)
			d.idle.remove(s)
		case sl != nil:
			d.entries -= sl.size()
			delete(d.slow, sl.src)
			d.slowIdle.remove(sl)
		default:
			return // nothing left (entries counted wrong)
		}
		d.Evicted++
	}
}

// emit reports the source's vertical and horizontal findings.
func (d *Detector) emit(s *source, emit alert.Emit) {
	s.spread() // what follows reads the maps
	if v := d.vertical(s); v != nil {
		emit(*v)
		if v.Evidence["ipv6"] == true {
			// An IPv6 port scan is a vertical scan and an IPv6 scan.
			v6 := *v
			v6.Class = "scan.v6"
			emit(v6)
		}
	}
	if h := d.horizontal(s); h != nil {
		emit(*h)
	}
}

func (d *Detector) vertical(s *source) *alert.Alert {
	var hosts []netip.Addr
	maxPorts := 0
	for h, n := range s.ports {
		if d.verticalOn(s, h, n) {
			hosts = append(hosts, h)
			maxPorts = max(maxPorts, n)
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Less(hosts[j]) })
	class := "scan.vertical"
	dsts := addrStrings(hosts)
	total := 0
	for _, h := range hosts {
		total += s.ports[h]
	}
	var act string
	if len(hosts) == 1 {
		act = fmt.Sprintf("scanned %d ports on %s", maxPorts, dsts[0])
	} else {
		act = fmt.Sprintf("scanned up to %d ports on each of %d hosts (%d probes)", maxPorts, len(hosts), total)
	}
	return &alert.Alert{
		TS: s.first, TSEnd: s.Last, UIDs: s.uids.List(),
		Src: s.src.String(), Dst: dsts[0], Dsts: many(dsts), DstCount: len(hosts),
		Class: class, Confidence: confidence(maxPorts, d.cfg.VerticalPorts),
		Summary: fmt.Sprintf("%s %s between %s and %s.", s.src, act, alert.Clock(s.first), alert.Clock(s.Last)),
		Act:     act,
		Evidence: map[string]any{
			"kind": "vertical", "max_ports_per_host": maxPorts, "hosts": len(hosts), "probes": total,
			"threshold_ports": d.cfg.VerticalPorts, "window_s": d.cfg.Window, "ipv6": hosts[0].Is6(),
			"first": s.first, "last": s.Last,
		},
		Detector: "scan",
	}
}

func (d *Detector) horizontal(s *source) *alert.Alert {
	type portCount struct {
		service
		hosts int
	}
	var crossed []portCount
	for svc, n := range s.hosts {
		if d.horizontalOn(s, svc, n) {
			crossed = append(crossed, portCount{svc, n})
		}
	}
	if len(crossed) == 0 {
		return nil
	}
	sort.Slice(crossed, func(i, j int) bool {
		if crossed[i].hosts != crossed[j].hosts {
			return crossed[i].hosts > crossed[j].hosts
		}
		return crossed[i].port < crossed[j].port
	})
	top := crossed[0]
	var targets []netip.Addr
	for p := range s.probes {
		if p.port == top.port && p.proto == top.proto {
			targets = append(targets, p.dst)
		}
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Less(targets[j]) })
	class := "scan.horizontal"
	if len(targets) > 0 && targets[0].Is6() {
		class = "scan.v6"
	}
	ports := make([]string, 0, len(crossed))
	portHosts := map[string]any{}
	for _, pc := range crossed {
		name := portName(pc.service)
		ports = append(ports, name)
		portHosts[name] = pc.hosts
	}
	act := fmt.Sprintf("scanned %d hosts on %s", top.hosts, joinMax(ports, 5))
	return &alert.Alert{
		TS: s.first, TSEnd: s.Last, UIDs: s.uids.List(),
		Src: s.src.String(), Dsts: many(addrStrings(targets)), DstCount: top.hosts,
		DstP: top.port, Proto: top.proto.String(),
		Class: class, Confidence: confidence(top.hosts, d.cfg.HorizontalHosts),
		Summary: fmt.Sprintf("%s %s between %s and %s.", s.src, act, alert.Clock(s.first), alert.Clock(s.Last)),
		Act:     act,
		Evidence: map[string]any{
			"kind": "horizontal", "hosts": top.hosts, "port": portName(top.service), "hosts_per_port": portHosts,
			"threshold_hosts": d.cfg.HorizontalHosts, "window_s": d.cfg.Window,
			"first": s.first, "last": s.Last,
		},
		Detector: "scan",
	}
}

func portName(s service) string {
	if s.proto == rec.ProtoICMP {
		return "icmp echo"
	}
	return alert.Port(s.port, s.proto.String())
}

// confidence grows from 0.6 at the threshold to 1 at four times it.
func confidence(n, threshold int) float64 {
	return min(1, 0.6+0.4*float64(n-threshold)/float64(3*threshold))
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// many returns the list when it has more than one element.
func many(s []string) []string {
	if len(s) <= 1 {
		return nil
	}
	return s
}

func joinMax(items []string, n int) string {
	if len(items) <= n {
		return join(items)
	}
	return join(items[:n]) + fmt.Sprintf(" and %d more ports", len(items)-n)
}

func join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := items[0]
	for _, s := range items[1 : len(items)-1] {
		out += ", " + s
	}
	return out + " and " + items[len(items)-1]
}
