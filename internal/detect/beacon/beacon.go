// Package beacon detects command-and-control beaconing (class c2.beacon)
// with RITA's four-part beacon score, updated as connections arrive.
//
// For each (source, destination) pair — a source and the server name its
// connection named (ssl.log server_name, a direct request's http.log
// Host: RITA v5's SNI beacons, one pair whatever addresses the name
// resolved to), an IP pair from conn.log for other connections, or a
// source and a proxied host name from http.log (CONNECT or absolute-URI
// requests, RITA's proxy beacons) — the detector keeps the connection start
// times and the IP bytes the source sent (orig_ip_bytes; the payload bytes
// where the input has none). When a pair has MinConns connections, and
// again whenever its count grew by a quarter or, while it kept connecting,
// the window moved on by a quarter (rescore), it is scored over a window
// of the log the pair comes from (see windowStart: before the end of the
// input a whole Window back from its newest record; at the end, the part
// of the input seen, at most Window):
//
//   - timestamp score: intervals between connections (second resolution,
//     zero intervals dropped): the mean of 1 − |Bowley skew| and
//     (median − MAD)/median;
//   - data-size score: the same of the bytes sent per connection;
//   - histogram score: 24 equal bars over the window; 1 − the coefficient
//     of variation of the bars, or, with at least 11 bars filled, the share
//     of filled bars that fall in the two most common levels (bimodal fit);
//   - duration score: with at least 6 bars filled, the larger of coverage
//     (the pair's first-to-last span over the window) and consistency (the
//     longest run of consecutive filled bars over 12).
//
// The skew is taken as 0 when the quartiles are less than 10 apart (or the
// median equals one), so a spike scores as symmetric. The total is the
// weighted sum (0.25 each by default). These are RITA v5's formulas (the
// earlier rita-legacy judged the MAD against absolute cut-offs, 30 s and
// 32 bytes, and added a smallness term for the data size, which capped a
// jittered beacon below the threshold); the code is Vigil's own. A pair
// scoring at least Threshold is reported. The window start ignores
// connections longer than an hour (their start can lie far before the
// capture, which would stretch the window), as RITA's issue #602 proposes.
//
// Responder ports in IgnorePorts (DNS, NTP, DHCP, NetBIOS, mDNS) are
// skipped only for traffic that is that service: a conn.log service naming
// it, or, without a service, anything but TCP (see ignored).
//
// State: a pair's first connection is kept as a first sighting (most
// pairs never see a second: a scanner's, a busy network's); at most
// MaxPairs of them, the oldest dropped past it at constant cost. Pairs with
// two or more connections: at most MaxPairs (those with the fewest
// connections, then the longest idle, dropped past it), each with at most
// MaxConns connections (the oldest dropped). Connections older than Window
// are dropped at each flush. Server names wait for their conn records,
// and TLS and HTTP conn records for their names (up to 60 s of input), at
// most 100000 each.
package beacon

import (
	"bytes"
	"cmp"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the beacon thresholds.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinConns connections of a pair are needed before it is scored. With
	// the default weights and threshold fewer than 11 cannot be reported:
	// they fill at most 10 of the 24 bars, which scores the histogram 0
	// (its coefficient of variation is then over 1, and the bimodal fit
	// needs 11 bars), so the total is at most 0.75.
	MinConns int `json:"min_connections"`
	// Threshold is the smallest total score reported.
	Threshold float64 `json:"threshold"`
	Weights   Weights `json:"weights"`
	// Window is the observation window (s): RITA scores a day.
	Window float64 `json:"window_s"`
	// ExternalOnly scores only internal → external pairs (RITA's
	// internal_subnets filtering).
	ExternalOnly bool `json:"external_only"`
	// IgnorePorts are responder ports whose infrastructure traffic is not
	// scored (DNS and NTP clients poll their servers by design): a conn
	// whose service is DNS, NTP, DHCP or NetBIOS, or which has no service
	// and is not TCP. A TLS channel to port 53 is scored.
	IgnorePorts []uint16 `json:"ignore_ports"`
	// Proxy scores proxied host names from http.log.
	Proxy    bool `json:"proxy"`
	MaxPairs int  `json:"max_pairs"`
	MaxConns int  `json:"max_connections_per_pair"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Enabled: true, MinConns: 11, Threshold: 0.8, Weights: DefaultWeights(), Window: 86400,
		ExternalOnly: true, IgnorePorts: []uint16{53, 123, 137, 5353, 67, 68, 546, 547}, Proxy: true,
		MaxPairs: 200_000, MaxConns: 20_000}
}

// key is a pair: an IP pair; a source and a proxied host name (dst the
// proxy); or a source and the server name its TLS or HTTP connections
// named (dst unset), whatever addresses they went to.
type key struct {
	src, dst netip.Addr
	host     string
}

// proxied reports whether k is a source and a host name requested through
// a proxy: scored over http.log's window.
func (k key) proxied() bool { return k.host != "" && k.dst.IsValid() }

// pair is one (source, destination) pair's connections; its key is the
// map's (pairs, candidates).
type pair struct {
	port      uint16
	proto     string
	ts, sizes []float64
	first     [2]float64 // backs ts and sizes while they hold one connection
	last      float64
	bytes     uint64
	scoring   *scoring // made when the pair first has MinConns connections
}

// scoring is what a pair keeps once it is a candidate: most pairs never
// have MinConns connections and do without it.
type scoring struct {
	evaluated int     // count at the last scoring
	evalEnd   float64 // window end at the last scoring
	uids      []string
	score     Scores
	dst       netip.Addr // the latest connection's responder
}

// single is a pair's first connection, kept out of pairs until a second
// one comes.
type single struct {
	port     uint16
	proto    string
	ts, size float64
	bytes    uint64
	seq      uint64 // its entry in Detector.singleQ
}

// queued is a first sighting's place in arrival order; entries whose
// single has gone (promoted, dropped, or made again later: another seq)
// are skipped.
type queued struct {
	k   key
	seq uint64
}

// connBytes is a proxy connection's size as scored (sent) and its bytes
// both ways.
type connBytes struct {
	sent  float64
	total uint64
}

type proxied struct {
	src, proxy netip.Addr
	host       string
	ts         float64
	port       uint16
}

// Detector is the beacon detector.
type Detector struct {
	cfg      Config
	internal *netset.Set
	ignore   portSet
	pairs    map[key]*pair
	// singles are the pairs seen once, singleQ them in arrival order (the
	// oldest first: dropped first, and first out of the window).
	singles map[key]single
	singleQ []queued
	// singleArr is singleQ's whole array: entries taken off the front
	// leave room there, which pushSingle reuses before it grows it.
	singleArr []queued
	seq       uint64
	// cut is where the window began at the last trim: a first sighting
	// older than it is gone, even while it waits in singleQ behind newer
	// ones (a long connection's record comes at its end).
	cut float64
	// candidates are the pairs with MinConns connections: only they are
	// scored.
	candidates map[key]*pair
	pending    map[string][]proxied // proxied requests by uid, awaiting their conn
	order      []string
	names      map[uint64]string // server names (TLS SNI, HTTP Host) by uid hash, awaiting their conn
	namesQ     []uint64
	nameIntern map[string]string // the names seen, each string once (cleared past 100000)
	seed       maphash.Seed
	held       map[string]*heldConn // TLS and HTTP conns by uid, awaiting their name
	heldQ      []*heldConn
	recent     map[string]connBytes // proxy connections by uid, for requests logged after them
	recentQ    []string
	conns      window // observation window of conn.log (IP pairs)
	requests   window // observation window of http.log (proxied hosts)
}

// window is the time range a log has been observed over.
type window struct{ start, end float64 }

func newWindow() window { return window{math.Inf(1), math.Inf(-1)} }

func (w *window) see(ts float64) {
	w.start, w.end = min(w.start, ts), max(w.end, ts) // as math.Min and Max (NaN, -0), cheaper
}

// portSet is a set of ports, one bit each: a lookup per conn record costs
// a shift and a mask.
type portSet [1 << 16 / 64]uint64

func (s *portSet) add(p uint16)      { s[p/64] |= 1 << (p % 64) }
func (s *portSet) has(p uint16) bool { return s[p/64]&(1<<(p%64)) != 0 }

// New returns a beacon detector.
func New(cfg Config, internal *netset.Set) *Detector {
	d := &Detector{cfg: cfg, internal: internal, pairs: map[key]*pair{}, singles: map[key]single{}, candidates: map[key]*pair{},
		pending: map[string][]proxied{}, recent: map[string]connBytes{}, names: map[uint64]string{}, nameIntern: map[string]string{}, seed: maphash.MakeSeed(), held: map[string]*heldConn{}, conns: newWindow(), requests: newWindow()}
	for _, p := range cfg.IgnorePorts {
		d.ignore.add(p)
	}
	return d
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "beacon" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn", "http", "ssl"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	switch r.Log {
	case "conn":
		d.conn(r)
	case "http":
		d.http(r)
	case "ssl":
		d.name(r, r.Bytes("server_name"), r.Bytes("uid"))
	}
}

func (d *Detector) conn(r *rec.Rec) {
	c := r.Conn()
	if c.Duration < 3600 {
		d.conns.see(c.TS)
	}
	size := sent(c)
	if reqs, ok := d.pending[string(c.UID)]; ok {
		for _, p := range reqs {
			d.add(key{p.src, p.proxy, p.host}, p.proxy, p.port, "tcp", p.ts, size, c.OrigBytes+c.RespBytes, c.UID)
		}
		delete(d.pending, string(c.UID))
	} else if d.cfg.Proxy && c.Proto == rec.ProtoTCP && c.HasService("http") && d.internal.Contains(c.Resp) {
		// A connection to an internal server whose http records may come
		// after it (a proxy's). One that carried no HTTP has none to
		// come: a spoofed SYN flood's are a million.
		d.remember(string(c.UID), connBytes{size, c.OrigBytes + c.RespBytes})
	}
	if d.ignored(c) || mirroredEcho(c) || !c.Orig.IsValid() || !unicast(c.Resp) {
		return
	}
	// Internal → external only; the source's side is checked again when
	// the pair is scored, since internal networks learned from the link
	// (an IPv6 prefix) may arrive after the first connections.
	if d.cfg.ExternalOnly && d.internal.Contains(c.Resp) {
		return
	}
	k := key{src: c.Orig, dst: c.Resp}
	if h := maphash.Bytes(d.seed, c.UID); d.names[h] != "" {
		k = key{src: c.Orig, host: d.names[h]}
		delete(d.names, h)
	} else if c.Proto == rec.ProtoTCP && named(c.Service) {
		d.hold(heldConn{k, c.RespP, "tcp", c.TS, size, c.OrigBytes + c.RespBytes, string(c.UID), r.TS()})
		return
	}
	d.add(k, c.Resp, c.RespP, c.Proto.String(), c.TS, size, c.OrigBytes+c.RespBytes, c.UID)
}

// heldConn is a conn record to be added to its pair (k): its IP pair
// until its server name is known.
type heldConn struct {
	k       key
	port    uint16
	proto   string
	ts      float64
	size    float64
	bytes   uint64
	uid     string
	arrival float64 // the record's time, for release
}

func (d *Detector) addConn(h *heldConn) {
	d.add(h.k, h.k.dst, h.port, h.proto, h.ts, h.size, h.bytes, []byte(h.uid))
}

// nameWait is how long (s of input) a TLS or HTTP conn record waits for
// its server name before it counts for its IP pair.
const nameWait = 60

// hold keeps a TLS or HTTP conn record whose name has not come yet (its
// ssl or http record is logged after it); at most 100000, the oldest
// released to its IP pair past it.
func (d *Detector) hold(h heldConn) {
	for len(d.heldQ) >= 100_000 {
		d.release(math.Inf(1), 1)
	}
	p := &h
	d.held[h.uid] = p
	d.heldQ = append(d.heldQ, p)
}

// release adds held conn records that arrived before now−nameWait (all
// of them at the end) to their IP pairs, at most n of them.
func (d *Detector) release(now float64, n int) {
	i := 0
	for ; i < len(d.heldQ) && i < n; i++ {
		h := d.heldQ[i]
		if h.arrival >= now-nameWait && !math.IsInf(now, 1) {
			break
		}
		if d.held[h.uid] == h {
			delete(d.held, h.uid)
			d.addConn(h)
		}
		d.heldQ[i] = nil
	}
	d.heldQ = d.heldQ[i:]
}

// named reports whether a conn.log service list names TLS or HTTP,
// whose records give the server's name.
func named(service []byte) bool {
	return anyService(service, func(name []byte) bool { return string(name) == "ssl" || string(name) == "http" })
}

// anyService reports whether match holds for a name of a conn.log
// service list ("ssl,http").
func anyService(service []byte, match func(name []byte) bool) bool {
	for name := range bytes.SplitSeq(service, []byte{','}) {
		if len(name) > 0 && match(name) {
			return true
		}
	}
	return false
}

// name notes the server name a connection asked for (TLS SNI, an HTTP
// Host header) for its conn record, which then counts for the source and
// that name rather than the IP pair, as RITA v5 keys HTTP and TLS
// beacons: a beacon to one name over many CDN addresses is one pair. A
// conn record logged before its name (rare: conn records come when
// connections end) counts for its IP pair. At most 100000 names wait.
//
// It runs for every ssl and http record, so it reads only the fields it
// needs, and keeps names by a hash of the uid, each name string once. A
// connection's name waiting already (the 2nd … nth request of a
// connection) is looked up first: then nothing else need be read. No
// connection has both a name waiting and its conn record held (conn takes
// a waiting name, and a name takes a held conn record).
func (d *Detector) name(r *rec.Rec, name, uid []byte) {
	if len(name) == 0 || string(name) == "-" {
		return
	}
	h := maphash.Bytes(d.seed, uid)
	if _, ok := d.names[h]; ok {
		return
	}
	orig, resp := r.Addr("id.orig_h"), r.Addr("id.resp_h")
	if !orig.IsValid() || d.cfg.ExternalOnly && d.internal.Contains(resp) {
		return
	}
	if held, ok := d.held[string(uid)]; ok {
		delete(d.held, string(uid))
		held.k = key{src: held.k.src, host: d.intern(name)}
		d.addConn(held)
		return
	}
	if len(d.namesQ) >= 100_000 {
		delete(d.names, d.namesQ[0])
		d.namesQ = d.namesQ[1:]
	}
	d.names[h] = d.intern(name)
	d.namesQ = append(d.namesQ, h)
}

// intern returns the server name of a Host or SNI value, the same string
// for the same value.
func (d *Detector) intern(name []byte) string {
	if s, ok := d.nameIntern[string(name)]; ok {
		return s
	}
	if len(d.nameIntern) >= 100_000 {
		clear(d.nameIntern)
	}
	s := hostName(string(name))
	d.nameIntern[string(name)] = s
	return s
}

// hostName is a server name in lower case, without a port.
func hostName(host string) string {
	if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	return strings.ToLower(host)
}

// sent is the size a connection is scored by: the IP bytes the source
// sent (orig_ip_bytes, as RITA v5), or its payload bytes where the input
// has no IP bytes.
func sent(c *rec.Conn) float64 {
	if c.OrigIPBytes > 0 {
		return float64(c.OrigIPBytes)
	}
	return float64(c.OrigBytes)
}

// mirroredEcho reports whether c is pings whose every byte came back
// (ICMP or ICMPv6 echo, as many bytes answered as asked): the responder
// sent nothing of its own, so no command can have come back. A monitor
// pinging an outside host every few minutes is such a pair (the lab's
// hour-long benign run: 19 sessions in an hour, scored 0.85); a C2 over
// ICMP answers with its commands, which unbalances the bytes, and pings
// nobody answers are still scored (a beacon to a C2 that is down).
func mirroredEcho(c *rec.Conn) bool {
	if c.Proto != rec.ProtoICMP || c.RespBytes != c.OrigBytes || c.RespPkts == 0 {
		return false
	}
	return c.OrigP == 8 && c.RespP == 0 || c.OrigP == 128 && c.RespP == 129
}

// ignored reports whether c is infrastructure polling on an ignored port:
// its service is DNS, NTP, DHCP or NetBIOS as logged (conn.log service),
// or, where no service was recognised, it is not TCP (a resolver or time
// server is polled over UDP; a TLS or raw TCP channel to port 53 of an
// arbitrary host is scored like any other).
func (d *Detector) ignored(c *rec.Conn) bool {
	if !d.ignore.has(c.RespP) {
		return false
	}
	if len(c.Service) == 0 || string(c.Service) == "-" {
		return c.Proto != rec.ProtoTCP
	}
	return infrastructure(c.Service)
}

// infrastructure reports whether a conn.log service list ("dns",
// "ssl,http") names a protocol that polls by design.
func infrastructure(service []byte) bool {
	return anyService(service, func(name []byte) bool {
		switch string(name) {
		case "dns", "ntp", "dhcp", "netbios", "nbns", "mdns", "llmnr":
			return true
		}
		return false
	})
}

// unicast reports whether a is one host's address: a beacon's server
// answers it. Periodic queries to a multicast group or a broadcast
// address (LLMNR, SSDP, NetBIOS announcements every few seconds) are
// service discovery, never command and control.
func unicast(a netip.Addr) bool {
	return a.IsValid() && !netset.Group(a)
}

// http notes a proxied request, whose bytes come with its conn record, or
// a direct request's host name (name).
func (d *Detector) http(r *rec.Rec) {
	method, uri, hostText, uid := request(r)
	if !d.cfg.Proxy {
		d.name(r, hostText, uid)
		return
	}
	d.requests.see(r.TS())
	host := ""
	switch {
	case string(method) == "CONNECT":
		host = r.Str("host")
		if host == "" {
			host = string(uri)
		}
	case len(uri) > 7 && (string(uri[:7]) == "http://" || string(uri[:8]) == "https://"):
		host = r.Str("host")
	default:
		d.name(r, hostText, uid)
		return
	}
	host = hostName(host)
	c := r.Conn()
	if host == "" || !c.Orig.IsValid() {
		return
	}
	id := string(c.UID)
	p := proxied{c.Orig, c.Resp, host, c.TS, c.RespP}
	if cb, ok := d.recent[id]; ok {
		d.add(key{p.src, p.proxy, p.host}, p.proxy, p.port, "tcp", p.ts, cb.sent, cb.total, c.UID)
		return
	}
	if len(d.order) >= 100_000 {
		delete(d.pending, d.order[0])
		d.order = d.order[1:]
	}
	d.pending[id] = append(d.pending[id], p)
	d.order = append(d.order, id)
}

// request returns the fields http reads of every http record, as
// rec.Rec.Bytes returns them: where the record came with its located
// fields (rec.HTTP), read in place, without a lookup by key each.
func request(r *rec.Rec) (method, uri, host, uid []byte) {
	h := r.HTTP()
	if h == nil {
		return r.Bytes("method"), r.Bytes("uri"), r.Bytes("host"), r.Bytes("uid")
	}
	line := r.Line()
	return rec.Unquoted(h.Method.Raw(line)), rec.Unquoted(h.URI.Raw(line)), rec.Unquoted(h.Host.Raw(line)), rec.Unquoted(h.UID.Raw(line))
}

// remember keeps a connection to an internal server (a possible proxy)
// for http records that come after it; at most 100000.
func (d *Detector) remember(uid string, cb connBytes) {
	if len(d.recentQ) >= 100_000 {
		delete(d.recent, d.recentQ[0])
		d.recentQ = d.recentQ[1:]
	}
	d.recent[uid] = cb
	d.recentQ = append(d.recentQ, uid)
}

func (d *Detector) add(k key, dst netip.Addr, port uint16, proto string, ts, size float64, bytes uint64, uid []byte) {
	p := d.pairs[k]
	if p == nil {
		first, seen := d.singles[k]
		if !seen || first.ts < d.cut {
			d.addSingle(k, single{port: port, proto: proto, ts: ts, size: size, bytes: bytes})
			return
		}
		delete(d.singles, k)
		if len(d.pairs) >= d.cfg.MaxPairs {
			d.evict()
		}
		p = &pair{port: first.port, proto: first.proto, last: first.ts, bytes: first.bytes}
		p.ts, p.sizes = p.first[:1:1], p.first[1:2:2]
		p.ts[0], p.sizes[0] = first.ts, first.size
		d.pairs[k] = p
	}
	if len(p.ts) >= d.cfg.MaxConns {
		p.ts, p.sizes = p.ts[1:], p.sizes[1:]
	}
	p.ts = append(p.ts, ts)
	p.sizes = append(p.sizes, size)
	p.last = max(p.last, ts)
	p.bytes += bytes
	if len(p.ts) >= d.cfg.MinConns {
		if p.scoring == nil {
			p.scoring = &scoring{}
		}
		if len(p.scoring.uids) < 5 {
			p.scoring.uids = append(p.scoring.uids, string(uid))
		}
		p.scoring.dst = dst
		d.candidates[k] = p
	}
}

// addSingle keeps a pair's first connection, dropping the oldest first
// sighting when MaxPairs are kept.
func (d *Detector) addSingle(k key, s single) {
	for len(d.singles) >= d.cfg.MaxPairs && len(d.singleQ) > 0 {
		d.dropOldestSingle()
	}
	d.seq++
	s.seq = d.seq
	d.singles[k] = s
	d.pushSingle(queued{k, s.seq})
	if len(d.singleQ) >= 2*max(d.cfg.MaxPairs, 1024) { // mostly gone entries: keep the live ones
		d.singleQ = slices.DeleteFunc(d.singleQ, func(q queued) bool { return d.singles[q.k].seq != q.seq })
	}
}

// pushSingle appends q to singleQ. When its array is full to the end, the
// entries are moved back to the array's start if at least half of it was
// taken off the front, and a twice larger array is made only otherwise:
// appending to a queue taken from the front made a new array every time
// its end was reached (half of the detector's fresh memory on the
// benchmark capture).
func (d *Detector) pushSingle(q queued) {
	if n := len(d.singleQ); n == cap(d.singleQ) {
		arr := d.singleArr[:cap(d.singleArr)]
		if len(arr) == 0 || n > len(arr)/2 {
			arr = make([]queued, max(2*n, 64))
			copy(arr, d.singleQ)
		} else {
			copy(arr, d.singleQ)
			clear(arr[n:])
		}
		d.singleQ, d.singleArr = arr[:n], arr[:0]
	}
	d.singleQ = append(d.singleQ, q)
}

// dropOldestSingle takes the first entry off singleQ, and its single
// with it if it is still there.
func (d *Detector) dropOldestSingle() {
	q := d.singleQ[0]
	d.singleQ[0] = queued{}
	d.singleQ = d.singleQ[1:]
	if s, ok := d.singles[q.k]; ok && s.seq == q.seq {
		delete(d.singles, q.k)
	}
}

func (d *Detector) evict() {
	type conns struct {
		n    int
		last float64
	}
	order := func(p *pair) conns { return conns{len(p.ts), p.last} }
	fewestIdlest := func(a, b conns) int {
		if c := cmp.Compare(a.n, b.n); c != 0 {
			return c
		}
		return cmp.Compare(a.last, b.last)
	}
	for _, k := range evict.First(d.pairs, len(d.pairs)/10+1, order, fewestIdlest) {
		delete(d.pairs, k)
		delete(d.candidates, k)
	}
}

// Flush implements detect.Detector: old connections leave the window, and
// pairs that grew by a quarter since their last scoring, or that the
// window moved on by a quarter (rescore), are scored again.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	final := math.IsInf(now, 1)
	d.release(now, len(d.heldQ))
	if !final {
		d.trim(now)
	}
	for k, p := range d.candidates {
		n, sc := len(p.ts), p.scoring
		w := d.conns
		if k.proxied() {
			w = d.requests
		}
		grown := float64(n) >= 1.25*float64(sc.evaluated) || d.rescore(p, w)
		if n < d.cfg.MinConns || !grown && !(final && w.end > sc.evalEnd) {
			continue
		}
		if d.cfg.ExternalOnly && !k.proxied() && !d.internal.Contains(k.src) {
			continue
		}
		sc.evaluated, sc.evalEnd = n, w.end
		sc.score = Score(p.ts, p.sizes, d.windowStart(w, final), w.end, d.cfg.Weights)
		if sc.score.Total >= d.cfg.Threshold {
			emit(d.alert(k, p))
		}
	}
}

// rescore reports whether pair p, scored before, is due for scoring again
// although its count did not grow by a quarter: it connected since, and
// the window w moved on by a quarter of its length. In a run that goes on
// for days a pair's count stops growing once its oldest connections leave
// the window as fast as new ones come; without this a beacon that began
// on a pair busy with other traffic before (a browser's site, then malware
// beaconing to it) was never scored once that traffic left the window.
func (d *Detector) rescore(p *pair, w window) bool {
	sc := p.scoring
	return p.last > sc.evalEnd && w.end-sc.evalEnd >= d.cfg.Window/4
}

// windowStart is where the window scored begins. Before the end of the
// input it is a whole Window back from its end, even where the input began
// later: the time before the first record counts as time without the
// pair, as it would for a sensor that had been running, so a burst at the
// start of the input is judged as the same burst at noon (over the part
// seen so far a 2-minute burst fills every bar). At the end, the window is
// the part of the input seen (at most Window back), as RITA scores the
// logs it imported.
func (d *Detector) windowStart(w window, final bool) float64 {
	if final {
		return math.Max(w.start, w.end-d.cfg.Window)
	}
	return w.end - d.cfg.Window
}

// trim drops connections older than the window.
func (d *Detector) trim(now float64) {
	cut := now - d.cfg.Window
	if cut <= math.Min(d.conns.start, d.requests.start) {
		return
	}
	d.cut = cut
	d.conns.start, d.requests.start = math.Max(d.conns.start, cut), math.Max(d.requests.start, cut)
	for len(d.singleQ) > 0 {
		q := d.singleQ[0]
		if s, ok := d.singles[q.k]; ok && s.seq == q.seq && s.ts >= cut {
			break // arrival order is about time order: the rest are newer
		}
		d.dropOldestSingle()
	}
	for k, p := range d.pairs {
		i := 0
		for i < len(p.ts) && p.ts[i] < cut {
			i++
		}
		p.ts, p.sizes = p.ts[i:], p.sizes[i:]
		if len(p.ts) == 0 {
			delete(d.pairs, k)
			delete(d.candidates, k)
		} else if len(p.ts) < d.cfg.MinConns {
			delete(d.candidates, k)
		}
	}
}

// Score returns the last score of the pair src → dst (or src → proxied
// host when host is set), for tests and reports.
func (d *Detector) Score(src, dst netip.Addr, host string) (Scores, bool) {
	k := key{src, dst, host}
	p, ok := d.pairs[k]
	if !ok || p.scoring == nil {
		_, single := d.singles[k]
		return Scores{}, ok || single
	}
	return p.scoring.score, true
}

func (d *Detector) alert(k key, p *pair) alert.Alert {
	s := p.scoring.score
	dst := p.scoring.dst
	target := fmt.Sprintf("%s:%d/%s", dst, p.port, p.proto)
	switch {
	case k.proxied():
		target = fmt.Sprintf("%s via proxy %s", k.host, dst)
	case k.host != "":
		target = fmt.Sprintf("%s (%d/%s; latest address %s)", k.host, p.port, p.proto, dst)
	}
	sorted := append([]float64(nil), p.ts...)
	sort.Float64s(sorted)
	first, last := sorted[0], sorted[len(sorted)-1]
	act := fmt.Sprintf("beaconed to %s %d times about every %.0f s (median interval; score %.3f)", target, s.Conns, s.IntervalMedian, s.Total)
	return alert.Alert{
		TS: first, TSEnd: last, UIDs: p.scoring.uids, Src: k.src.String(), Dst: dst.String(), DstP: p.port,
		Proto: p.proto, Name: k.host, Class: "c2.beacon", Confidence: s.Total, Act: act,
		Summary: fmt.Sprintf("%s %s between %s and %s: timestamp %.3f, data size %.3f, duration %.3f, histogram %.3f (%d of 24 %s bars filled, over the %s window ending at %s).",
			k.src, act, alert.Clock(first), alert.Clock(last), s.Timestamp, s.DataSize, s.Duration, s.Histogram,
			s.HoursSeen, barText((s.End-s.Start)/buckets), barText(s.End-s.Start), alert.Clock(s.End)),
		Evidence: d.evidence(s, p.bytes),
		Detector: "beacon",
	}
}

// evidence is what the score was computed from: enough to recompute
// each part by hand.
func (d *Detector) evidence(s Scores, bytes uint64) map[string]any {
	return map[string]any{
		"score": s.Total, "timestamp_score": s.Timestamp, "datasize_score": s.DataSize,
		"duration_score": s.Duration, "histogram_score": s.Histogram,
		"connections": s.Conns, "total_bytes": bytes, "interval_median_s": s.IntervalMedian, "interval_mode_s": s.Interval,
		"ts_skew": round(s.TSSkew), "ts_mad_s": round(s.TSMAD), "ds_skew": round(s.DSSkew), "ds_mad_bytes": round(s.DSMAD),
		"ds_mode_bytes": s.DSMode, "window_start": s.Start, "window_end": s.End, "bar_s": round((s.End - s.Start) / buckets),
		"histogram_bars": slices.Clone(s.Bars[:]), "bars_seen": s.HoursSeen,
		"hist_cv": round(s.HistCV), "hist_bimodal": round(s.HistBimodal), "coverage": round(s.Coverage), "consistency": round(s.Consistency),
		"threshold": d.cfg.Threshold, "min_connections": d.cfg.MinConns,
	}
}

// barText writes a bar's width: "1 h", "5 min", "30 s".
func barText(sec float64) string {
	switch {
	case sec >= 3600 && math.Mod(sec, 3600) == 0:
		return fmt.Sprintf("%.0f h", sec/3600)
	case sec >= 60:
		return fmt.Sprintf("%g min", math.Round(sec/6)/10)
	}
	return fmt.Sprintf("%g s", math.Round(sec*10)/10)
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }
