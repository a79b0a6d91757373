package analyze

import (
	"strings"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/stream"

	// The protocol analyzers register themselves.
	_ "github.com/vigil-nsm/vigil/internal/proto/all"
)

// detectBytes is how much of a side's first payload detection looks at.
const detectBytes = 512

// appLayer runs the application analyzers of one worker's connections. A
// connection gets an analyzer chosen by content (port only as a
// tie-breaker); its TCP sides go through stream reassembly first. A TCP
// connection whose first bytes say nothing yet (a request sent a byte at a
// time) stays undecided while each side's first detectBytes arrive: they
// are kept, detection runs again on what each side sent so far, and the
// analyzer chosen is replayed the kept bytes (Zeek's DPD likewise matches
// signatures on the stream's first bytes, not on one packet). State lives
// until the flow table ends the connection.
type appLayer struct {
	factories []*proto.Factory
	sink      proto.Sink
	shared    *proto.Shared // the run's, common to every worker
	weird     *logSink      // where reassembly anomalies go
	budget    stream.Budget // out-of-order bytes held by this worker's streams
	// anyPartial: some factory analyses TCP connections seen mid-stream;
	// midstream: every factory does (Config.Midstream).
	anyPartial, midstream bool
	// conns[h-1] is the state of the connection with handle h (the flow
	// table keeps each connection's handle); free lists unused handles.
	conns []*appConn
	free  []uint32
	// spare holds ended analyzers that can serve another connection
	// (proto.Reuser), at most maxSpare for each factory.
	spare map[*proto.Factory][]proto.Analyzer
}

// maxSpare bounds the ended analyzers one worker keeps per protocol.
const maxSpare = 32

// made is an analyzer with the factory that made it, to which it goes
// back for reuse when its connection ends.
type made struct {
	an proto.Analyzer
	f  *proto.Factory
}

// appConn is one connection's application-layer state.
type appConn struct {
	layer *appLayer
	info  proto.ConnInfo
	an    proto.Analyzer // nil: no analyzer (undecided or none fits)
	anF   *proto.Factory // the factory that made an
	fin   proto.Finisher // an, when it can say it needs no more data
	up    proto.Upgrader // an, when it may hand the connection over
	// prev are the analyzers that handed the connection over to an (in
	// order): they get no more bytes, only End.
	prev    []made
	done    bool // fin said so: bytes are no longer reassembled
	partial bool // TCP picked up mid-stream: only Factory.Partial analyzers
	decided bool
	// redetect: an analyzer asked for the protocol inside to be detected
	// again (proto.Upgrader with next ""): detection ignores the ports.
	redetect bool
	sides    [2]stream.Side
	recv     [2]sideReceiver
	ts       int64 // time of the segment being delivered
	// Undecided TCP connections keep what each side delivered (pend) and
	// the order it came in (chunks), to replay to the analyzer chosen.
	pend   [2][]byte
	chunks []pendChunk
	fresh  bool // bytes arrived since detection last ran
}

// pendChunk is one delivery (or gap) kept while undecided.
type pendChunk struct {
	dir    proto.Direction
	gap    bool
	ts     int64
	off, n int // into pend[dir]; n is the gap length for a gap
}

// sideReceiver adapts one side's reassembled stream to the analyzer.
type sideReceiver struct {
	ac  *appConn
	dir proto.Direction
}

func (r *sideReceiver) Deliver(b []byte) {
	ac := r.ac
	switch {
	case ac.an != nil:
		ac.data(r.dir, ac.ts, b)
	case !ac.decided:
		ac.keep(r.dir, ac.ts, b)
	}
}

func (r *sideReceiver) Gap(n int) {
	ac := r.ac
	switch {
	case ac.an != nil:
		ac.an.Gap(r.dir, n)
	case !ac.decided:
		ac.chunks = append(ac.chunks, pendChunk{dir: r.dir, gap: true, ts: ac.ts, n: n})
	}
}

// maxUpgrades bounds the hand-overs of one connection.
const maxUpgrades = 4

// data gives b to the connection's analyzer and, when the analyzer asks
// for it (proto.Upgrader: SMTP's STARTTLS, FTP's AUTH TLS), hands the
// connection over to the analyzer it names, which gets the rest of b and
// every later byte of both sides; the old one is kept for End.
func (ac *appConn) data(dir proto.Direction, ts int64, b []byte) {
	ac.an.Data(dir, ts, b)
	for ac.up != nil {
		next, used, ok := ac.up.Upgrade()
		if !ok {
			return
		}
		ac.up = nil
		if next == "" {
			ac.again(dir, ts, b, used)
			return
		}
		f := ac.layer.factory(next)
		if f == nil || !hasTransport(f, ac.info.Transport) || len(ac.prev) >= maxUpgrades {
			return
		}
		ac.prev = append(ac.prev, made{ac.an, ac.anF})
		ac.setAnalyzer(ac.layer.newAnalyzer(f, ac), f)
		if used < 0 || used >= len(b) {
			return
		}
		b = b[used:]
		ac.an.Data(dir, ts, b)
	}
}

// again puts a TCP connection back to undecided after its analyzer asked
// for the protocol inside to be detected again by content (HTTP CONNECT):
// the analyzer is kept for End, and the rest of b (after the used bytes)
// is the first of the bytes kept for detection.
func (ac *appConn) again(dir proto.Direction, ts int64, b []byte, used int) {
	if ac.info.Transport != 6 || len(ac.prev) >= maxUpgrades {
		return
	}
	ac.prev = append(ac.prev, made{ac.an, ac.anF})
	ac.an, ac.anF, ac.fin, ac.up = nil, nil, nil, nil
	ac.decided, ac.redetect = false, true
	ac.info.Proxied = true
	if used >= 0 && used < len(b) {
		ac.keep(dir, ts, b[used:])
	}
}

// keep adds b, delivered by dir at ts, to an undecided connection's kept
// bytes.
func (ac *appConn) keep(dir proto.Direction, ts int64, b []byte) {
	ac.chunks = append(ac.chunks, pendChunk{dir: dir, ts: ts, off: len(ac.pend[dir]), n: len(b)})
	ac.pend[dir] = append(ac.pend[dir], b...)
	ac.fresh = true
}

// setAnalyzer makes an, made by f, the connection's analyzer.
func (ac *appConn) setAnalyzer(an proto.Analyzer, f *proto.Factory) {
	ac.an, ac.anF = an, f
	ac.fin, _ = an.(proto.Finisher)
	ac.up, _ = an.(proto.Upgrader)
}

// factory returns the factory registered under name (nil if none).
func (a *appLayer) factory(name string) *proto.Factory {
	for _, f := range a.factories {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// reassemblyBudget bounds the out-of-order bytes one worker's connections
// hold together (each side also holds at most stream.MaxBuffered).
const reassemblyBudget = 128 << 20

func newAppLayer(sink *logSink, shared *proto.Shared, midstream bool) *appLayer {
	a := &appLayer{factories: proto.Factories(), sink: sink, weird: sink, shared: shared, midstream: midstream}
	a.budget.Max = reassemblyBudget
	for _, f := range a.factories {
		a.anyPartial = a.anyPartial || f.Partial || midstream
	}
	return a
}

// packet hands one accounted TCP or UDP packet to its connection's
// analyzer, creating the connection's state on its first payload. Most
// packets belong to connections that want no more (appIdle): they are
// turned away here, where the caller inlines the test.
func (a *appLayer) packet(uid flow.UID, in *flow.Input) {
	if in.App != nil && *in.App&appIdle == 0 {
		a.analyse(uid, in)
	}
}

// analyse is packet for a connection that is not idle.
func (a *appLayer) analyse(uid flow.UID, in *flow.Input) {
	d := in.D
	tcp := d.Proto == decode.ProtoTCP
	if (!tcp && d.Proto != decode.ProtoUDP) || len(a.factories) == 0 {
		return
	}
	var ac *appConn
	if h := *in.App; h != 0 {
		ac = a.conns[h-1]
	} else {
		if len(in.Payload) == 0 {
			return
		}
		var start flow.TCPStart
		if tcp {
			start = in.TCPStart()
			if !start.Seen && !a.anyPartial {
				return // like Zeek: no application analysis of partial TCP connections
			}
		}
		*in.App, ac = a.newConn(uid, in, &start)
	}
	dir := proto.FromResp
	if in.FromOrig {
		dir = proto.FromOrig
	}
	if !tcp && !ac.decided && len(in.Payload) > 0 {
		var first [2][]byte
		first[dir] = in.Payload
		a.detect(ac, first, true)
	}
	if ac.decided && ac.an == nil || ac.done {
		return
	}
	ac.ts = in.TS
	if !tcp {
		ac.data(dir, in.TS, in.Payload)
	} else {
		// A segment with neither bytes nor SYN means nothing to its side.
		if syn := d.TCPFlags&decode.TCPSyn != 0; syn || len(in.Payload) > 0 {
			side := &ac.sides[dir]
			seen := side.Stats.Inconsistent
			side.Segment(d.Seq, syn, in.Payload, &ac.recv[dir])
			if seen == 0 && side.Stats.Inconsistent > 0 {
				// A retransmission carried other bytes than the first copy:
				// what the analyzer saw may not be what the host saw (evasion).
				a.weird.anomaly(in.TS, ac.info.UID, d, decode.Anomaly{Kind: decode.AnomalyRexmitInconsistency})
			}
		}
		if d.TCPFlags&decode.TCPAck != 0 {
			ac.sides[1-dir].Acked(d.Ack, &ac.recv[1-dir])
		}
		if !ac.decided && ac.fresh {
			a.decidePending(ac, false)
		}
	}
	if ac.fin != nil && ac.fin.Finished() {
		ac.done = true
		ac.sides[0].Reset()
		ac.sides[1].Reset()
	}
	if ac.decided && ac.an == nil || ac.done {
		*in.App |= appIdle
	}
}

// appIdle marks a connection's handle (in the flow table, where a packet
// finds it at no cost) once its application state wants no more packets,
// so they skip loading that state.
const appIdle = 1 << 31

// newConn returns a handle and fresh state for a connection (start: what
// the flow table knows of a TCP connection's start).
func (a *appLayer) newConn(uid flow.UID, in *flow.Input, start *flow.TCPStart) (uint32, *appConn) {
	var h uint32
	if n := len(a.free); n > 0 {
		h, a.free = a.free[n-1], a.free[:n-1]
	} else {
		ac := &appConn{layer: a}
		ac.recv[0] = sideReceiver{ac: ac, dir: proto.FromOrig}
		ac.recv[1] = sideReceiver{ac: ac, dir: proto.FromResp}
		a.conns = append(a.conns, ac)
		h = uint32(len(a.conns))
	}
	ac := a.conns[h-1]
	d := in.D
	ac.info.Renew(proto.ConnInfo{UID: uid.String(), TS: in.TS, Transport: d.Proto, Shared: a.shared})
	if in.FromOrig {
		ac.info.OrigH, ac.info.OrigP, ac.info.RespH, ac.info.RespP = d.Src, d.SrcPort, d.Dst, d.DstPort
	} else {
		ac.info.OrigH, ac.info.OrigP, ac.info.RespH, ac.info.RespP = d.Dst, d.DstPort, d.Src, d.SrcPort
	}
	ac.partial = d.Proto == decode.ProtoTCP && !start.Seen
	ac.sides[0].Budget, ac.sides[1].Budget = &a.budget, &a.budget
	if start.OrigSeqKnown {
		ac.sides[proto.FromOrig].Begin(start.OrigDataSeq)
	}
	if start.RespSeqKnown {
		ac.sides[proto.FromResp].Begin(start.RespDataSeq)
	}
	return h, ac
}

// decidePending runs detection on what an undecided TCP connection's sides
// delivered so far; once it decides (or final: the connection ends), the
// analyzer chosen gets the kept bytes in their order.
func (a *appLayer) decidePending(ac *appConn, final bool) {
	ac.fresh = false
	if len(ac.pend[0]) == 0 && len(ac.pend[1]) == 0 {
		ac.decided = ac.decided || final
		return
	}
	full := len(ac.pend[0]) >= detectBytes || len(ac.pend[1]) >= detectBytes
	a.detect(ac, ac.pend, final || full)
	if !ac.decided {
		return
	}
	if ac.an == nil {
		ac.clearPending()
		return
	}
	// The kept bytes move aside while replayed: the analyzer may ask for
	// the protocol inside to be detected again (proto.Upgrader), and what
	// follows is then kept anew.
	pend, chunks := ac.pend, ac.chunks
	ac.pend, ac.chunks = [2][]byte{}, nil
	for _, c := range chunks {
		switch {
		case ac.an == nil && ac.decided:
		case ac.an == nil && c.gap:
			ac.chunks = append(ac.chunks, c)
		case ac.an == nil:
			ac.keep(c.dir, c.ts, pend[c.dir][c.off:c.off+c.n])
		case c.gap:
			ac.an.Gap(c.dir, c.n)
		default:
			ac.data(c.dir, c.ts, pend[c.dir][c.off:c.off+c.n])
		}
	}
	if ac.decided || (len(ac.chunks) == 0 && len(ac.pend[0]) == 0 && len(ac.pend[1]) == 0) {
		// Nothing kept anew: the buffers are reused.
		ac.pend, ac.chunks = pend, chunks
		ac.clearPending()
	}
	if !ac.decided && ac.fresh {
		a.decidePending(ac, final) // bounded: each re-detection adds to prev
	}
}

// clearPending drops the kept bytes, keeping small buffers for reuse.
func (ac *appConn) clearPending() {
	for i := range ac.pend {
		if cap(ac.pend[i]) > 4*detectBytes {
			ac.pend[i] = nil
		}
		ac.pend[i] = ac.pend[i][:0]
	}
	if cap(ac.chunks) > 64 {
		ac.chunks = nil
	}
	ac.chunks = ac.chunks[:0]
	ac.fresh = false
}

// detect picks the analyzer the first bytes each side sent (first[dir];
// empty for a side that sent none) fit best: content first, the responder
// port only when nothing else speaks up. When no content is recognised
// (nothing Likely or Sure), a factory registered for the responder port
// gets the connection even if its Detect finds the bytes wrong: Zeek
// attaches its port-registered analyzers (HTTP::ports …) whatever the
// content, and they log what they can of malformed traffic. Otherwise the
// connection stays undecided (more bytes may tell) unless final, when the
// best guess (Maybe) stands.
func (a *appLayer) detect(ac *appConn, first [2][]byte, final bool) {
	var best, byPort *proto.Factory
	bestConf, portConf := proto.No, proto.No
	bestOnPort := false // best is registered for the responder port
	for _, f := range a.factories {
		if f.Detect == nil || !hasTransport(f, ac.info.Transport) || (ac.partial && !f.Partial && !a.midstream) {
			continue
		}
		c := proto.No
		for dir, b := range first {
			if len(b) > 0 {
				c = max(c, f.Detect(proto.Direction(dir), b[:min(len(b), detectBytes)], ac.info.RespP, ac.info.Transport))
			}
		}
		onPort := hasPort(f, ac.info.RespP)
		// Content decides; on a tie, the factory registered for the port.
		if c > bestConf || (c == bestConf && c > proto.No && best != nil && !ac.redetect && !bestOnPort && onPort) {
			best, bestConf, bestOnPort = f, c, onPort
		}
		if onPort && (byPort == nil || c > portConf) {
			byPort, portConf = f, c
		}
	}
	switch {
	case bestConf >= proto.Likely:
	case byPort != nil && !ac.redetect:
		best = byPort
	case !final:
		return
	}
	ac.decided = true
	if best != nil {
		ac.layer = a
		ac.setAnalyzer(a.newAnalyzer(best, ac), best)
	}
}

func hasPort(f *proto.Factory, port uint16) bool {
	for _, p := range f.Ports {
		if p == port {
			return true
		}
	}
	return false
}

func hasTransport(f *proto.Factory, t uint8) bool {
	for _, x := range f.Transports {
		if x == t {
			return true
		}
	}
	return false
}

// ConnService implements flow.AppServicer: the services the connection's
// analyzers have recognised so far, without ending them.
func (a *appLayer) ConnService(h uint32) string {
	h &^= appIdle
	if h == 0 || int(h) > len(a.conns) {
		return ""
	}
	ac := a.conns[h-1]
	svc := ""
	for _, p := range ac.prev {
		svc = addService(svc, p.an.Service())
	}
	if ac.an != nil {
		svc = addService(svc, ac.an.Service())
	}
	return svc
}

// EndConn flushes the connection's analyzers and frees its state; it
// returns the services they recognised, in the order they took the
// connection over (Zeek's "smtp,ssl").
func (a *appLayer) EndConn(uid flow.UID, h uint32, ts int64) string {
	h &^= appIdle
	if h == 0 || int(h) > len(a.conns) {
		return ""
	}
	ac := a.conns[h-1]
	svc := ""
	if (ac.an != nil || !ac.decided) && !ac.done {
		ac.ts = ts
		ac.sides[0].Flush(&ac.recv[0])
		ac.sides[1].Flush(&ac.recv[1])
		if !ac.decided {
			a.decidePending(ac, true)
		}
	}
	for _, p := range ac.prev {
		p.an.End(ts)
		svc = addService(svc, p.an.Service())
		a.recycle(p)
	}
	if ac.an != nil {
		ac.an.End(ts)
		svc = addService(svc, ac.an.Service())
		a.recycle(made{ac.an, ac.anF})
	}
	clear(ac.prev)
	ac.prev = ac.prev[:0]
	ac.an, ac.anF, ac.fin, ac.up, ac.decided, ac.done, ac.redetect = nil, nil, nil, nil, false, false, false
	ac.clearPending()
	ac.sides[0].Reset()
	ac.sides[1].Reset()
	a.free = append(a.free, h)
	return svc
}

// newAnalyzer returns an analyzer of f for ac's connection: an ended one
// kept for reuse if there is one, else a new one.
func (a *appLayer) newAnalyzer(f *proto.Factory, ac *appConn) proto.Analyzer {
	spare := a.spare[f]
	n := len(spare)
	if n == 0 {
		return f.New(&ac.info, a.sink)
	}
	an := spare[n-1]
	spare[n-1] = nil
	a.spare[f] = spare[:n-1]
	an.(proto.Reuser).Reuse(&ac.info, a.sink)
	return an
}

// recycle keeps m's analyzer, ended, for reuse by a later connection when
// it can serve one (proto.Reuser) and its factory has room in spare.
func (a *appLayer) recycle(m made) {
	if _, ok := m.an.(proto.Reuser); !ok || m.f == nil || len(a.spare[m.f]) >= maxSpare {
		return
	}
	if a.spare == nil {
		a.spare = make(map[*proto.Factory][]proto.Analyzer)
	}
	a.spare[m.f] = append(a.spare[m.f], m.an)
}

// addService appends s to the comma-separated services list (once).
func addService(list, s string) string {
	if first, rest, many := strings.Cut(s, ","); many { // an analyzer with one inside (websocket)
		return addService(addService(list, first), rest)
	}
	switch {
	case s == "":
		return list
	case list == "":
		return s
	}
	for rest := list; rest != ""; {
		item := rest
		if i := strings.IndexByte(rest, ','); i >= 0 {
			item, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if item == s {
			return list
		}
	}
	return list + "," + s
}
