// Package flood detects denial-of-service floods from conn.log: SYN, UDP and
// ICMP floods against one victim (from one source or from many, spoofed,
// random sources) and reflection/amplification, where many large responses
// from DNS, NTP, SNMP, SSDP, CoAP, memcached … servers converge on one
// victim that sent (or appears to have sent) small requests; and from
// http.log, HTTP request floods on a web server (http.go).
//
// A flood is a rate: packets towards the victim within Window must reach
// MinPackets at MinRate packets/s, and the victim must mostly not answer
// (SYN: handshakes not completed; UDP: few packets back). The time span of a
// victim's traffic runs from the first connection's start to the last
// connection's end, so one long connection carrying a flood counts as much
// as thousands of one-packet connections.
//
// A stream the victim asked for is no flood: an IP camera streams RTP to
// the recorder that set the stream up over RTSP, hundreds of packets a
// second one way, unanswered. A UDP connection of at least streamPackets
// packets, none answered, to a port of 1024 or above is left out when the
// victim had a TCP conversation with its source (package peers) within
// askedWithin seconds of its start. One not known to be asked for yet is
// held for holdStream seconds of record time from the first flush after
// its arrival (at most maxHeld of them; the oldest is judged when more
// come), since the RTSP session's record may come after the stream's;
// then, unless asked for by then, it is counted as any other. Such a
// connection to a TelemetryPorts port is export, counted at once against
// tenfold thresholds (with everything else), the victim's other packets
// against the usual ones. Other connections are counted at once.
//
// State: one entry per (victim, kind) with at most MaxSources distinct
// sources counted exactly (beyond, the count is a lower bound) and at most
// MaxVictims entries in all (past it the longest-idle go).
package flood

import (
	"fmt"
	"iter"
	"net/netip"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/detect/peers"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Thresholds holds one kind of flood's thresholds.
type Thresholds struct {
	MinPackets uint64  `json:"min_packets"`
	MinRate    float64 `json:"min_rate_pps"`
}

// Config holds the flood thresholds.
type Config struct {
	Enabled bool       `json:"enabled"`
	SYN     Thresholds `json:"syn"`
	UDP     Thresholds `json:"udp"`
	ICMP    Thresholds `json:"icmp"`
	// HTTP: requests at a web server (http.log; http.go).
	HTTP HTTPThresholds `json:"http"`
	// MaxAnswered is the largest share of packets the victim may answer
	// (UDP) or handshakes it may complete (SYN) for a flood.
	MaxAnswered float64 `json:"max_answered_share"`
	// Amplification: reflected bytes and responses per victim within
	// Window, and the smallest response/request byte ratio.
	AmpMinBytes     uint64   `json:"amplification_min_bytes"`
	AmpMinResponses uint64   `json:"amplification_min_responses"`
	AmpMinRatio     float64  `json:"amplification_min_ratio"`
	AmpMinRate      float64  `json:"amplification_min_rate_pps"`
	AmpPorts        []uint16 `json:"amplification_ports"`
	// TelemetryPorts are UDP ports that exporters send to one way, at
	// hundreds of packets a second (syslog, NetFlow, IPFIX, sFlow): such
	// streams (connections of at least streamPackets unanswered packets)
	// make a UDP flood only at ten times the thresholds; the victim's
	// other packets meet the usual ones.
	TelemetryPorts []uint16 `json:"telemetry_ports"`
	Window         float64  `json:"window_s"`
	Idle           float64  `json:"idle_s"`
	Report         float64  `json:"report_s"`
	MaxVictims     int      `json:"max_victims"`
	MaxSources     int      `json:"max_sources_per_victim"`
}

// DefaultConfig returns the default thresholds.
func DefaultConfig() Config {
	return Config{
		Enabled: true,
		SYN:     Thresholds{MinPackets: 1000, MinRate: 100},
		UDP:     Thresholds{MinPackets: 2000, MinRate: 200},
		ICMP:    Thresholds{MinPackets: 1000, MinRate: 100},
		HTTP:    defaultHTTP(),

		MaxAnswered:     0.2,
		AmpMinBytes:     200_000,
		AmpMinResponses: 100,
		AmpMinRatio:     5,
		AmpMinRate:      10,
		// DNS, NTP, SNMP, LDAP/CLDAP, SSDP, CoAP, memcached, chargen,
		// QOTD, portmap, NetBIOS, RIP, mDNS, WS-Discovery, Steam.
		AmpPorts:       []uint16{53, 123, 161, 389, 1900, 5683, 11211, 19, 17, 111, 137, 520, 5353, 3702, 27015},
		TelemetryPorts: []uint16{514, 2055, 4739, 6343, 9995, 9996},
		Window:         60,
		Idle:           300,
		Report:         600,
		MaxVictims:     100_000,
		MaxSources:     10_000,
	}
}

type kind uint8

const (
	kindSYN kind = iota
	kindUDP
	kindICMP
	kindAmp
	kindHTTP
	kindSlowHTTP // slow HTTP DoS (slowloris), from conn.log: class flood.http
)

var classes = [...]string{"flood.syn", "flood.udp", "flood.icmp", "flood.amplification", "flood.http", "flood.http"}

type key struct {
	victim netip.Addr
	kind   kind
}

type victim struct {
	key
	alert.Episode
	first    float64 // start of first conn, end of last
	conns    uint64
	pkts     uint64            // towards the victim
	answered uint64            // answered packets (UDP) or completed handshakes (SYN)
	bytesIn  uint64            // amplification: bytes from reflectors
	bytesOut uint64            // amplification: bytes to reflectors
	sources  tally[netip.Addr] // packets per source
	senders  tally[rec.MAC]    // packets per sending MAC (of the requests, for amplification)
	ports    tally[uint16]     // packets per port
	uids     alert.UIDs
	export   uint64     // packets of export streams (TelemetryPorts)
	http     *httpTally // an HTTP flood's own counts (kindHTTP only)
	// single, singleTenfold: one connection (not export) crossed the
	// thresholds, or one (any) ten times them, on its own packets and
	// duration (UDP, ICMP), however the victim's other traffic spreads
	// the span.
	single, singleTenfold bool
}

const (
	// streamPackets is the fewest packets of a one-way UDP connection
	// that may be a stream asked for, or export.
	streamPackets = 100
	// holdStream is how long (s of record time from the first flush after
	// its arrival) a possible stream waits for the conversation that asked
	// for it: its own times say nothing of when its record came.
	holdStream = 30
	// askedWithin is how far apart (s) the starts of the asking
	// conversation and of the stream may be.
	askedWithin = 60
	// maxHeld bounds the connections held.
	maxHeld = 1024
)

// heldConn is a possible stream waiting for the conversation that asked
// for it: its record's fields that add reads, and when it may go (0:
// not set yet, at the next flush).
type heldConn struct {
	conn  rec.Conn // UID copied; no other byte fields
	until float64
}

// tally counts packets per key, up to a bound on the distinct keys. The
// first key is held inline and a map is made only for a second one: most
// victims only ever see one source and one port.
type tally[K comparable] struct {
	first  K
	firstN uint64 // 0 while the tally is empty
	rest   map[K]uint64
}

// len returns the number of distinct keys counted.
func (t *tally[K]) len() int {
	if t.firstN == 0 {
		return 0
	}
	return 1 + len(t.rest)
}

// add adds n (> 0) to k's count when k is counted already or fewer than
// limit keys are.
func (t *tally[K]) add(k K, n uint64, limit int) {
	switch {
	case t.firstN == 0:
		if limit > 0 {
			t.first, t.firstN = k, n
		}
	case k == t.first:
		t.firstN += n
	default:
		if _, ok := t.rest[k]; ok || t.len() < limit {
			if t.rest == nil {
				t.rest = map[K]uint64{}
			}
			t.rest[k] += n
		}
	}
}

// all yields each key and its count, in no particular order.
func (t *tally[K]) all() iter.Seq2[K, uint64] {
	return func(yield func(K, uint64) bool) {
		if t.firstN == 0 || !yield(t.first, t.firstN) {
			return
		}
		for k, n := range t.rest {
			if !yield(k, n) {
				return
			}
		}
	}
}

// counted is one key of a tally with its count.
type counted[K comparable] struct {
	key K
	n   uint64
}

// sorted returns the tally's keys and counts, most first, ties ordered by
// less.
func (t *tally[K]) sorted(less func(a, b K) bool) []counted[K] {
	out := make([]counted[K], 0, t.len())
	for k, n := range t.all() {
		out = append(out, counted[K]{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return less(out[i].key, out[j].key)
	})
	return out
}

// Detector is the flood detector.
type Detector struct {
	cfg      Config
	ampPorts portSet
	export   portSet // TelemetryPorts
	victims  map[key]*victim
	due      *alert.Schedule[key, *victim] // when victims may end or be reported again
	link     linkLayer
	peers    *peers.Table // TCP conversations: who asked whom for a stream
	held     []heldConn   // possible streams, in arrival order
	lastHTTP *victim      // the latest http record's server (httpVictim)
	// Evicted counts victims dropped to stay under MaxVictims.
	Evicted int
}

// New returns a flood detector.
func New(cfg Config) *Detector {
	d := &Detector{cfg: cfg, victims: map[key]*victim{}, link: newLinkLayer(cfg.MaxVictims), peers: peers.New(),
		due: alert.NewSchedule[key, *victim](cfg.Idle, cfg.Report)}
	for _, p := range cfg.AmpPorts {
		d.ampPorts.add(p)
	}
	for _, p := range cfg.TelemetryPorts {
		d.export.add(p)
	}
	return d
}

// portSet is a set of ports, one bit each: a lookup per conn record costs
// a shift and a mask.
type portSet [1 << 16 / 64]uint64

func (s *portSet) add(p uint16)      { s[p/64] |= 1 << (p % 64) }
func (s *portSet) has(p uint16) bool { return s[p/64]&(1<<(p%64)) != 0 }

// Name implements detect.Detector.
func (d *Detector) Name() string { return "flood" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn", "http"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	if r.Log == "http" {
		d.httpRequest(r, emit)
		return
	}
	c := r.Conn()
	if !c.Orig.IsValid() || !c.Resp.IsValid() || c.Resp.IsMulticast() {
		return
	}
	if c.Proto == rec.ProtoTCP {
		d.peers.Note(c)
	}
	if twoWay(c) {
		d.link.learn(c.Orig, c.OrigMAC)
		d.link.learn(c.Resp, c.RespMAC)
	}
	switch c.Proto {
	case rec.ProtoTCP:
		if c.OrigBytes == 0 || !c.Established() {
			d.add(c, kindSYN, c.Orig, c.Resp, c.OrigMAC, c.OrigPkts, b2u(handshakeDone(c)), 0, 0, emit)
		} else if d.slow(c) {
			d.slowConn(c, emit)
		}
	case rec.ProtoUDP:
		if d.ampPorts.has(c.RespP) && c.RespPkts > 0 {
			// The requests came from the victim's side: their MAC tells
			// whether the victim sent them.
			d.add(c, kindAmp, c.Resp, c.Orig, c.OrigMAC, c.RespPkts, 0, c.RespBytes, c.OrigBytes, emit)
		} else if d.ampPorts.has(c.OrigP) && !d.ampPorts.has(c.RespP) {
			d.add(c, kindAmp, c.Orig, c.Resp, rec.MAC{}, c.OrigPkts, 0, c.OrigBytes, c.RespBytes, emit)
		} else if oneWay(c) && d.export.has(c.RespP) {
			d.addUDP(c, emit) // export: see thresholds
		} else if oneWay(c) && c.RespP >= 1024 { // may be a stream asked for
			d.hold(c, emit)
		} else {
			d.addUDP(c, emit)
		}
	case rec.ProtoICMP:
		if c.OrigP == 8 || c.OrigP == 128 {
			d.add(c, kindICMP, c.Orig, c.Resp, c.OrigMAC, c.OrigPkts, 0, 0, 0, emit)
		}
	}
}

func (d *Detector) addUDP(c *rec.Conn, emit alert.Emit) {
	d.add(c, kindUDP, c.Orig, c.Resp, c.OrigMAC, c.OrigPkts, min(c.RespPkts, c.OrigPkts), 0, 0, emit)
}

// oneWay reports whether c is a one-way stream: many packets, none
// answered.
func oneWay(c *rec.Conn) bool { return c.OrigPkts >= streamPackets && c.RespPkts == 0 }

// asked reports whether c's responder asked its originator for it.
func (d *Detector) asked(c *rec.Conn) bool {
	return d.peers.Talked(c.Resp, c.Orig, c.TS, askedWithin)
}

// hold drops c when its responder asked for it, else keeps it for
// release.
func (d *Detector) hold(c *rec.Conn, emit alert.Emit) {
	if d.asked(c) {
		return
	}
	if len(d.held) >= maxHeld {
		if old := &d.held[0].conn; !d.asked(old) {
			d.addUDP(old, emit)
		}
		d.held = d.held[1:]
	}
	kept := *c
	kept.UID = append([]byte(nil), c.UID...)
	kept.History, kept.Service, kept.State = nil, nil, 0
	d.held = append(d.held, heldConn{conn: kept})
}

// release counts the held connections due at now that nobody asked for.
func (d *Detector) release(now float64, emit alert.Emit) {
	kept := d.held[:0]
	for _, h := range d.held {
		if h.until == 0 {
			h.until = now + holdStream
		}
		switch {
		case h.until > now:
			kept = append(kept, h)
		case !d.asked(&h.conn):
			d.addUDP(&h.conn, emit)
		}
	}
	clear(d.held[len(kept):])
	d.held = kept
}

// twoWay reports whether both sides of c really exchanged packets, so
// that each address was where its MAC is: a completed handshake, or at
// least two packets each way (a forged source gets no answer it could
// acknowledge, and a spoofed query one answer at most).
func twoWay(c *rec.Conn) bool {
	if c.Proto == rec.ProtoTCP {
		return c.Established() && handshakeDone(c)
	}
	return c.OrigPkts >= 2 && c.RespPkts >= 2
}

// handshakeDone: the originator acknowledged the SYN-ACK (an 'A' or 'D'
// of its own in the history). A spoofed SYN to an open port is answered
// (history "Sh", Zeek's S1) but never completed: it still floods.
func handshakeDone(c *rec.Conn) bool {
	if len(c.History) == 0 {
		return c.Established() // a record without history (not Zeek's or Vigil's)
	}
	// A loop: bytes.ContainsAny builds a set of "AD" at every call.
	for _, h := range c.History {
		if h == 'A' || h == 'D' {
			return true
		}
	}
	return false
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// add counts one connection of from → to towards to's flood state; mac is
// the link-layer sender of the flood's packets (of the requests, for
// amplification), zero when unknown.
func (d *Detector) add(c *rec.Conn, k kind, from, to netip.Addr, mac rec.MAC, pkts, answered, bytesIn, bytesOut uint64, emit alert.Emit) {
	if pkts == 0 {
		return
	}
	v := d.state(key{to, k}, c.TS)
	v.first = min(v.first, c.TS)
	v.Active(c.TS + c.Duration)
	v.conns++
	v.pkts += pkts
	v.answered += answered
	v.bytesIn += bytesIn
	v.bytesOut += bytesOut
	v.sources.add(from, pkts, d.cfg.MaxSources)
	if !mac.IsZero() {
		v.senders.add(mac, pkts, maxSenders)
	}
	port := c.RespP
	if k == kindICMP {
		port = c.OrigP // the ICMP type (Zeek's orig_p; resp_p is its counterpart)
	}
	if k == kindAmp {
		port = c.OrigP
		if d.ampPorts.has(c.RespP) {
			port = c.RespP
		}
	}
	v.ports.add(port, pkts, 256)
	v.uids.Add(c.TS, c.UID)
	export := k == kindUDP && oneWay(c) && d.export.has(c.RespP)
	if export {
		v.export += pkts
	}
	if k == kindUDP || k == kindICMP {
		over := func(scale uint64) bool {
			th := d.thresholds(k).scaled(scale)
			return pkts >= th.MinPackets && float64(pkts)/max(c.Duration, 1) >= th.MinRate &&
				float64(answered) <= d.cfg.MaxAnswered*float64(pkts)
		}
		v.single = v.single || !export && over(1)
		v.singleTenfold = v.singleTenfold || over(10)
	}
	if !v.Alerted && d.crossed(v) {
		v.Reported(c.TS)
		d.due.Watch(d.victims, v.key, v)
		emit(d.alert(v))
	}
}

func (d *Detector) state(k key, ts float64) *victim {
	v := d.victims[k]
	if v != nil && (v.Alerted || ts-v.first <= d.cfg.Window) {
		return v
	}
	if v != nil {
		// Its window passed without an alert: the next episode starts in
		// its memory (most victims are clients whose DNS and NTP answers
		// start one a minute; a new one each time took a tenth of the
		// analysis' fresh pages).
		v.restart(ts, d.rate(v))
		d.due.Watch(d.victims, k, v)
		return v
	}
	if len(d.victims) >= d.cfg.MaxVictims {
		d.evict()
	}
	v = &victim{key: k, first: ts, Episode: alert.Episode{Last: ts}}
	d.victims[k] = v
	d.due.Watch(d.victims, k, v)
	return v
}

// restart makes v a new victim of its key whose first connection starts at
// ts, as a new victim would be, keeping the memory of its tallies and uids
// (and an HTTP victim's base rate: rate was its window's).
func (v *victim) restart(ts, rate float64) {
	sources, senders, ports, uids := v.sources.rest, v.senders.rest, v.ports.rest, v.uids
	clear(sources)
	clear(senders)
	clear(ports)
	uids.Reset()
	ep := v.Episode
	ep.Restart(ts)
	h := v.http
	*v = victim{key: v.key, first: ts, Episode: ep}
	v.sources.rest, v.senders.rest, v.ports.rest, v.uids = sources, senders, ports, uids
	if h != nil {
		v.http = h.restart(rate)
	}
}

func (d *Detector) evict() {
	d.lastHTTP = nil
	d.Evicted += evict.DropTenth(d.victims, func(v *victim) float64 { return v.Last })
}

func (d *Detector) rate(v *victim) float64 {
	return float64(v.pkts) / max(v.Last-v.first, 1)
}

func (d *Detector) crossed(v *victim) bool {
	switch v.kind {
	case kindHTTP:
		return d.crossedHTTP(v)
	case kindSlowHTTP:
		return v.conns >= d.cfg.HTTP.SlowMinConns
	case kindAmp:
		ratio := float64(v.bytesIn) / float64(max(v.bytesOut, 1))
		return v.bytesIn >= d.cfg.AmpMinBytes && v.pkts >= d.cfg.AmpMinResponses &&
			ratio >= d.cfg.AmpMinRatio && d.rate(v) >= d.cfg.AmpMinRate
	}
	return d.crossedAt(v, 1) || v.kind == kindUDP && d.crossedAt(v, 10)
}

// crossedAt reports whether v crossed scale times its kind's thresholds:
// at scale 1 without export streams' packets, at 10 with them.
func (d *Detector) crossedAt(v *victim, scale uint64) bool {
	if scale == 1 && v.single || scale == 10 && v.singleTenfold {
		return true
	}
	th := d.thresholds(v.kind).scaled(scale)
	pkts := v.pkts
	if scale == 1 {
		pkts -= v.export
	}
	if pkts < th.MinPackets || float64(pkts)/max(v.Last-v.first, 1) < th.MinRate {
		return false
	}
	switch v.kind {
	case kindSYN:
		return float64(v.answered) <= d.cfg.MaxAnswered*float64(v.conns) && v.ports.len() <= 16
	case kindUDP:
		return float64(v.answered) <= d.cfg.MaxAnswered*float64(pkts) // export is never answered
	}
	return true
}

// scaled returns n times t.
func (t Thresholds) scaled(n uint64) Thresholds {
	return Thresholds{MinPackets: n * t.MinPackets, MinRate: float64(n) * t.MinRate}
}

func (d *Detector) thresholds(k kind) Thresholds {
	switch k {
	case kindSYN:
		return d.cfg.SYN
	case kindUDP:
		return d.cfg.UDP
	}
	return d.cfg.ICMP
}

// SetRefresh implements detect.Refresher: alerted episodes active since
// their last report are reported again every r seconds (of record time).
func (d *Detector) SetRefresh(r float64) { d.due.SetRefresh(r) }

// Flush implements detect.Detector.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	d.release(now, emit)
	d.lastHTTP = nil
	d.due.Flush(d.victims, now, func(v *victim) { emit(d.alert(v)) }, func(k key, _ *victim) { delete(d.victims, k) })
}

// attacker returns the source to blame: the only one, or one sending at
// least half the packets; otherwise none (spoofed or distributed).
func attacker(v *victim) (src netip.Addr, share float64) {
	var top netip.Addr
	var topPkts uint64
	for s, n := range v.sources.all() {
		if n > topPkts || (n == topPkts && s.Less(top)) {
			top, topPkts = s, n
		}
	}
	total := v.pkts
	if v.kind == kindHTTP || v.kind == kindSlowHTTP {
		total = v.conns // the requests tallied, the connections held
	}
	share = float64(topPkts) / float64(max(total, 1))
	if share >= 0.5 {
		return top, share
	}
	return netip.Addr{}, share
}

func (d *Detector) alert(v *victim) alert.Alert {
	src, share := attacker(v)
	rate := d.rate(v)
	ports, portsKey := topPorts(&v.ports, 5), "ports"
	if v.kind == kindICMP {
		ports, portsKey = topICMPTypes(&v.ports, 5, v.victim.Is4()), "icmp_types"
	}
	ev := map[string]any{
		"packets": v.pkts, "connections": v.conns, "rate_pps": round1(rate),
		"distinct_sources": v.sources.len(), "top_source_share": round3(share),
		portsKey: ports, "first": v.first, "last": v.Last, "window_s": d.cfg.Window,
	}
	a := alert.Alert{
		TS: v.first, TSEnd: v.Last, UIDs: v.uids.List(), Src: alert.AddrString(src), Dst: v.victim.String(),
		Class: classes[v.kind], Detector: "flood", Evidence: ev,
	}
	switch v.kind {
	case kindHTTP:
		ev["distinct_sources"] = v.sources.len()
		return d.httpAlert(v, a, ev)
	case kindSlowHTTP:
		return d.slowAlert(v, a, ev)
	}
	from := "from " + alert.Plural(v.sources.len(), "source")
	if src.IsValid() {
		from = "from " + src.String()
	} else if v.sources.len() >= 100 {
		from += " (spoofed or distributed)"
		ev["spoofed"] = true
		if mac, ok := d.link.sender(v); ok {
			// Forged addresses, one sender on the link: name it.
			a.SrcMAC = mac.String()
			from = fmt.Sprintf("from %d sources, all sent by %s", v.sources.len(), a.SrcMAC)
			d.link.describe(mac, ev)
		}
	}
	switch v.kind {
	case kindAmp:
		ratio := float64(v.bytesIn) / float64(max(v.bytesOut, 1))
		ev["reflected_bytes"], ev["request_bytes"], ev["amplification_ratio"] = v.bytesIn, v.bytesOut, round1(ratio)
		ev["reflectors"] = v.sources.len()
		top := topSources(&v.sources, 10)
		ev["reflector_addrs"] = top
		ev["threshold_ratio"], ev["threshold_bytes"] = d.cfg.AmpMinRatio, d.cfg.AmpMinBytes
		a.Src = ""
		a.Proto = "udp"
		if len(top) == v.sources.len() {
			a.Dsts = top // the reflectors, abused too
		}
		spoofer := ""
		if mac, ok := d.link.spoofer(v); ok {
			a.SrcMAC = mac.String()
			spoofer = fmt.Sprintf(" The requests came from %s, not from %s's own link-layer address: its address was forged.", a.SrcMAC, v.victim)
			d.link.describe(mac, ev)
		}
		a.Confidence = min(1, 0.6+0.4*min(ratio/(4*d.cfg.AmpMinRatio), 1))
		reflectors := alert.Plural(v.sources.len(), "reflector")
		if len(top) == v.sources.len() && len(top) <= 3 {
			// Few: name them (the open resolvers or servers to fix).
			reflectors += " (" + strings.Join(top, ", ") + ")"
		}
		a.Act = fmt.Sprintf("was flooded with %d responses (%d bytes, %.0fx amplification) from %s on %s", v.pkts, v.bytesIn, ratio, reflectors, join(ports))
		if spoofer != "" {
			a.Act = fmt.Sprintf("sent requests in %s's name to %s, which flooded it with %d responses (%d bytes, %.0fx amplification) on %s",
				v.victim, reflectors, v.pkts, v.bytesIn, ratio, join(ports))
		}
		a.Summary = fmt.Sprintf("%s received %d reflected responses (%d bytes, %.0fx the requests) from %s on %s at %.0f packets/s between %s and %s.%s",
			v.victim, v.pkts, v.bytesIn, ratio, reflectors, join(ports), rate, alert.Clock(v.first), alert.Clock(v.Last), spoofer)
		return a
	case kindSYN:
		ev["handshakes_completed"] = v.answered
		a.Proto = "tcp"
	case kindUDP:
		ev["answered_packets"] = v.answered
		a.Proto = "udp"
	case kindICMP:
		a.Proto = "icmp"
	}
	th := d.thresholds(v.kind)
	if v.kind == kindUDP && !d.crossedAt(v, 1) { // export streams, judged at ten times the thresholds
		th = th.scaled(10)
	}
	ev["threshold_packets"], ev["threshold_rate_pps"] = th.MinPackets, th.MinRate
	a.Confidence = min(1, 0.6+0.4*min(rate/(10*th.MinRate), 1))
	name := classes[v.kind][len("flood."):]
	a.Act = fmt.Sprintf("flooded %s with %d %s packets at %.0f/s", v.victim, v.pkts, upper(name), rate)
	a.Summary = fmt.Sprintf("%s flood on %s: %d packets %s to %s at %.0f packets/s between %s and %s.",
		upper(name), v.victim, v.pkts, from, join(ports), rate, alert.Clock(v.first), alert.Clock(v.Last))
	return a
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func topPorts(t *tally[uint16], n int) []string {
	out := []string{}
	for i, p := range t.sorted(func(a, b uint16) bool { return a < b }) {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("port %d", p.key))
	}
	return out
}

// topICMPTypes is topPorts for ICMP floods, whose "ports" are ICMP
// types: "type 8 (echo request)".
func topICMPTypes(t *tally[uint16], n int, v4 bool) []string {
	names := icmp6Types
	if v4 {
		names = icmp4Types
	}
	out := []string{}
	for i, p := range t.sorted(func(a, b uint16) bool { return a < b }) {
		if i == n {
			break
		}
		s := fmt.Sprintf("type %d", p.key)
		if name := names[p.key]; name != "" {
			s += " (" + name + ")"
		}
		out = append(out, s)
	}
	return out
}

var (
	icmp4Types = map[uint16]string{0: "echo reply", 3: "unreachable", 5: "redirect", 8: "echo request", 11: "time exceeded", 13: "timestamp"}
	icmp6Types = map[uint16]string{1: "unreachable", 2: "packet too big", 3: "time exceeded", 128: "echo request", 129: "echo reply",
		133: "router solicitation", 134: "router advertisement", 135: "neighbour solicitation", 136: "neighbour advertisement", 137: "redirect"}
)

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// topSources returns up to n of the sources that sent the most packets,
// most first (ties by address).
func topSources(sources *tally[netip.Addr], n int) []string {
	all := sources.sorted(netip.Addr.Less)
	out := make([]string, 0, min(n, len(all)))
	for _, a := range all[:min(n, len(all))] {
		out = append(out, a.key.String())
	}
	return out
}
