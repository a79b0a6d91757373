package flow

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
	"unsafe"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Input is one datagram to account.
type Input struct {
	TS int64 // Unix ns
	D  *decode.Datagram
	// Payload is the transport payload as captured (may be shorter than
	// D.L4Len).
	Payload []byte
	// IPRaw optionally holds the datagram as captured, IP header first
	// (decode.Packet.IPRaw). With it the table validates transport
	// checksums as Zeek does (unless Config.IgnoreChecksums).
	IPRaw []byte
	// ChecksumChecked says the caller already validated the transport
	// checksum (Table.BadChecksum) and ChecksumBad holds the answer, so
	// IPRaw is not needed.
	ChecksumChecked, ChecksumBad bool
	// Link, when set, is the frame's link layer; only a datagram that
	// starts a connection reads it (nil: no Ethernet header, no VLAN).
	Link *Link
	// Parents, when set, are the uids of the tunnels the datagram came
	// through (nil: none).
	Parents *Parents
	// Service is a hint for the conn's service field (e.g. "vxlan" for a
	// tunnel's outer UDP conn); "" for none. The first non-empty hint is
	// kept.
	Service string

	// Set by Update, for the application layer: Counted is false when the
	// packet was not accounted — when Update returned a connection's uid,
	// only for a bad transport checksum; FromOrig says whether it came
	// from the originator (after any role flip).
	Counted  bool
	FromOrig bool
	// App points at the connection's AppLayer handle, valid until the next
	// call to Update, Expire or Flush.
	App *uint32
	// conn is the connection Update accounted the datagram to (nil when
	// not accounted), valid as long as App; TCPStart reads it.
	conn *conn
}

// ConnID returns the connection Update accounted the datagram to, as
// conn.log's id fields name it (the originator first; ICMP's ports are its
// types); ok is false when the datagram was not accounted to one.
func (in *Input) ConnID() (origH, respH netip.Addr, origP, respP uint16, ok bool) {
	c := in.conn
	if c == nil {
		return netip.Addr{}, netip.Addr{}, 0, 0, false
	}
	return c.origAddr.netip(c.v6), c.respAddr.netip(c.v6), c.origPort, c.respPort, true
}

// Link is a frame's link layer as a connection it starts logs it.
type Link struct {
	// SrcMAC and DstMAC are the frame's Ethernet addresses (HasMAC): a
	// new connection logs them as orig_l2_addr and resp_l2_addr.
	SrcMAC, DstMAC [6]byte
	HasMAC         bool
	// VLANs are the first NumVLANs VLAN tags, outermost first (vlan and
	// inner_vlan).
	VLANs    [2]uint16
	NumVLANs uint8
}

// TCPStart is what the application layer needs of a TCP connection when
// it starts analysing it.
type TCPStart struct {
	// Seen is true when the connection's SYN or SYN-ACK was seen (Zeek
	// analyses no application protocol on partial connections).
	Seen bool
	// Where each side's data starts in sequence space (Zeek's start_seq
	// + 1; also right for connections picked up mid-stream), known once
	// that side has sent a packet. Stream reassembly starts there, so a
	// first data segment that arrives out of order is held.
	OrigDataSeq, RespDataSeq   uint32
	OrigSeqKnown, RespSeqKnown bool
}

// TCPStart describes the TCP connection Update last accounted in's
// datagram to (valid as long as in.App); zero for any other datagram.
// It is computed on demand: most packets' connections need none of it.
func (in *Input) TCPStart() TCPStart {
	c := in.conn
	if c == nil || c.kind != kindTCP {
		return TCPStart{}
	}
	o, r := c.orig(), c.resp()
	return TCPStart{
		Seen:        c.histSeen&(histSYN|histSYN<<16) != 0,
		OrigDataSeq: o.startSeq + 1, OrigSeqKnown: o.pkts > 0,
		RespDataSeq: r.startSeq + 1, RespSeqKnown: r.pkts > 0,
	}
}

// Emitter receives records synchronously from Update, Expire and Flush.
// The record is only valid during the call: it and its strings are reused.
type Emitter interface {
	Conn(c *record.Conn)
	Weird(w *record.Weird)
}

// LongEmitter is implemented by an Emitter that takes conn_long records:
// connections still open at the ages of Config.LongDurations, as they
// stand (the record is reused after the call, as Conn's).
type LongEmitter interface {
	ConnLong(c *record.Conn)
}

// AppServicer is implemented by an AppLayer that can name a connection's
// service before it ends (for conn_long records).
type AppServicer interface {
	ConnService(app uint32) string
}

// EmitNotifier is implemented by an Emitter that wants to know which
// connection the records it is about to get belong to: the table calls
// BeginEmit with the uid before ending a connection (the application
// layer's last records, then the conn record).
type EmitNotifier interface {
	BeginEmit(uid UID)
}

// AppLayer is implemented by an Emitter that runs application analyzers
// on connections. It keeps a handle per connection in the word Update
// points Input.App at (0 until it sets one). The table calls EndConn with
// that handle when a connection ends (at its last packet time ts), before
// its record is emitted, so the analyzers can flush their records; a
// non-empty result names the conn.log service.
type AppLayer interface {
	EndConn(uid UID, app uint32, ts int64) (service string)
}

// Stats are the table's counters.
type Stats struct {
	Active    uint64 // connections tracked now
	Created   uint64 // connections created
	Emitted   uint64 // conn records emitted (all causes)
	Expired   uint64 // emitted because a timer fired
	Evicted   uint64 // emitted early because the table was full
	MaxActive uint64 // high-water mark of Active
	// BytesPerFlow approximates the memory one tracked flow costs (state
	// plus its share of the index).
	BytesPerFlow int
	// Packets counts datagrams accounted; Ignored those not accounted
	// (no transport header, non-IP).
	Packets, Ignored uint64
}

const (
	chunkShift = 12
	chunkSize  = 1 << chunkShift
	nilIdx     = -1
	histCap    = 46
	maxBlocks  = 4
	maxParents = 4
	wheelBits  = 12
	wheelSize  = 1 << wheelBits
	wheelTick  = int64(time.Second)
)

// transport kinds
const (
	kindTCP uint8 = iota + 1
	kindUDP
	kindICMP
	kindOther
)

type seqRange struct{ lo, hi uint64 }

// endpoint is one side of a connection: Zeek's TCP_Endpoint plus the
// ConnSize counters and the UDP/ICMP size. The fields a packet reads come
// first (through size), so they share one or two cache lines.
type endpoint struct {
	pkts, ipBytes uint64

	// TCP
	state, prevState uint8
	didClose         bool
	skip             bool // reassembler gave up (skip_deliveries)
	nblocks          uint8
	startSeq         uint32
	lastSeq, ackSeq  uint32
	seqWraps         uint32
	ackWraps         uint32
	finCnt           uint32
	rxmtCnt, rxmtThr uint32
	win0Cnt, win0Thr uint32
	lastReassem      uint64
	trimSeq          uint64

	// UDP / ICMP / other: payload bytes; -1 until the side is active.
	size int64

	// Rarely read: control segments, gaps, bad checksums.
	rstCnt         uint32
	gapCnt, gapThr uint32
	chkCnt, chkThr uint32
	finSeq         uint64
	histLastSYN    uint64
	histLastFIN    uint64
	histLastRST    uint64
	blocks         [maxBlocks]seqRange
}

// conn is one connection's state. The fields each packet reads come
// first, followed by the endpoints (whose own per-packet fields lead), so
// a packet touches a few adjacent cache lines rather than one in each
// part of the struct.
type conn struct {
	k          key
	deadline   int64 // where the wheel files c: no later than its earliest timer; 0 none
	last       int64
	uid        UID
	origAddr   addr
	inactivity int64 // ns, 0 = none
	attemptAt  int64
	expireAt   int64
	deleteAt   int64
	lruAt      int64 // capture time of the last move to the LRU front
	longAt     int64 // when the next conn_long record is due (0: none)

	histSeen       uint32
	origPort       uint16
	origIdx        uint8 // index in ep of the current originator
	firstSeen      uint8 // Zeek's first_packet_seen bits (1 orig, 2 resp)
	used           bool
	isPartial      bool
	timersCanceled bool
	histLen        uint8
	kind           uint8
	isActive       bool
	v6             bool
	ipProto        uint8
	// app is read with every packet the application layer takes
	// (Input.App), so it sits with the fields each packet reads.
	app uint32 // the AppLayer's handle for this connection (0: none)

	ep [2]endpoint

	// Read when a connection starts or ends, or seldom in between.
	tag              uint32
	hasVLAN          bool
	hasInner         bool
	nParents         uint8
	seenFirstUDPOrig bool
	vlan, innerVLAN  uint16
	respPort         uint16
	hasMAC           bool
	origMAC, respMAC [6]byte
	respAddr         addr
	start            int64
	missed           uint64
	longAge          uint32 // s, the conn_long age longAt is for (see emitLong)

	service string
	parents [maxParents]UID
	hist    [histCap]byte

	lruPrev, lruNext     int32
	wheelPrev, wheelNext int32
	wheelSlot            int32
	// The size is a whole number of cache lines (TestConnLayout): chunks
	// are page-aligned, so every conn then starts a line and the fields
	// a packet reads span as few lines as they can (six, not seven or
	// eight as where a conn starts mid-line).
	_ [8]byte
}

func (c *conn) orig() *endpoint           { return &c.ep[c.origIdx&1] }
func (c *conn) resp() *endpoint           { return &c.ep[(c.origIdx^1)&1] }
func (c *conn) isOrigEp(e *endpoint) bool { return e == &c.ep[c.origIdx&1] }

// side is the originator's endpoint if isOrig, else the responder's.
func (c *conn) side(isOrig bool) *endpoint {
	e, _ := c.sides(isOrig)
	return e
}

// sides returns side(isOrig) and its peer. It selects pointers rather
// than indexing ep, so the per-packet path keeps two pointers live instead
// of pointers and offsets.
func (c *conn) sides(isOrig bool) (e, p *endpoint) {
	e, p = &c.ep[0], &c.ep[1]
	if (c.origIdx == 0) != isOrig {
		e, p = p, e
	}
	return e, p
}

type slot struct {
	tag uint32
	idx int32 // conn index + 1; 0 = empty
}

// Table tracks connections. It is not safe for concurrent use.
type Table struct {
	cfg  Config
	out  Emitter
	seed uint64

	likelyTCP, likelyUDP *portSet
	dnsPorts             *portSet
	dnsTimeout           int64

	chunks   []*[chunkSize]conn
	nconns   int32        // slots handed out of the slab
	free     int32        // free-list head (linked through lruNext)
	app      AppLayer     // out, when it runs application analyzers
	notify   EmitNotifier // out, when it wants to know whose records come
	index    []slot
	maxIndex uint32 // the size the index may grow to: 2×MaxFlows, a power of two
	mask     uint32
	lruHead  int32 // most recently active
	lruTail  int32

	// last is the connection the previous datagram was accounted to
	// (lastIdx, nilIdx and nil for none): consecutive datagrams often
	// belong to one connection, and then need no hash or index probe, only
	// a comparison with its key. remove forgets it.
	lastIdx  int32
	lastConn *conn

	// due: the connections a flush or an expiry in UID order takes up
	// (FlushByUID, ExpireByUID).
	due []dueConn

	wheel    [wheelSize]int32
	wheelPos int64 // next wheel tick (in ticks) to process
	now      int64

	lastFullWeird int64
	evictSince    uint64

	stats Stats

	rec     record.Conn
	weird   record.Weird
	uidBuf  [16]byte
	histBuf [histCap]byte
	macBuf  [2][17]byte
	cidBuf  [64]byte
	parBuf  [maxParents][16]byte
	parStr  [maxParents]string

	tcpInact, udpInact, icmpInact, otherInact int64
	closeDelay, attemptDelay, synTimeout      int64
	sessionTimer, linger                      int64
}

// NewTable returns an empty table. The index is allocated here; the
// connection slab grows in chunks of 4096 up to MaxFlows.
func NewTable(cfg Config, out Emitter) (*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Table{cfg: cfg, out: out, seed: rand.Uint64(), free: nilIdx, lruHead: nilIdx, lruTail: nilIdx, lastIdx: nilIdx}
	t.app, _ = out.(AppLayer)
	t.notify, _ = out.(EmitNotifier)
	t.maxIndex = 64
	for int(t.maxIndex) < cfg.MaxFlows*2 {
		t.maxIndex <<= 1
	}
	t.setIndexSize(min(t.maxIndex, initialIndex))
	for i := range t.wheel {
		t.wheel[i] = nilIdx
	}
	t.likelyTCP, t.likelyUDP = new(portSet), new(portSet)
	tcp, udp := cfg.LikelyServerPortsTCP, cfg.LikelyServerPortsUDP
	if tcp == nil {
		tcp = cfg.LikelyServerPorts
	}
	if udp == nil {
		udp = cfg.LikelyServerPorts
	}
	t.dnsPorts = new(portSet)
	t.dnsPorts.addAll(cfg.DNSPorts)
	t.dnsTimeout = int64(cfg.DNSSessionTimeout)
	t.likelyTCP.addAll(tcp)
	t.likelyUDP.addAll(udp)
	t.tcpInact = int64(cfg.TCPInactivity)
	t.udpInact = int64(cfg.UDPInactivity)
	t.icmpInact = int64(cfg.ICMPInactivity)
	t.otherInact = int64(cfg.OtherInactivity)
	t.closeDelay = int64(cfg.TCPCloseDelay)
	t.attemptDelay = int64(cfg.TCPAttemptDelay)
	t.synTimeout = int64(cfg.TCPSYNTimeout)
	t.sessionTimer = int64(cfg.TCPSessionTimer)
	t.linger = int64(cfg.TCPConnectionLinger)
	t.wheelPos = -1
	return t, nil
}

// Stats returns the counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.BytesPerFlow = int(unsafe.Sizeof(conn{})) + int(unsafe.Sizeof(slot{}))*int(t.maxIndex)/t.cfg.MaxFlows
	return s
}

func (t *Table) at(i int32) *conn { return &t.chunks[i>>chunkShift][i&(chunkSize-1)] }

// ---- index ----

// lookup finds the connection keyed k, whose hash is h: its index and
// state, or nilIdx and nil.
func (t *Table) lookup(k *key, h uint64) (int32, *conn) {
	tag := uint32(h >> 32)
	for i := uint32(h) & t.mask; ; i = (i + 1) & t.mask {
		s := t.index[i]
		if s.idx == 0 {
			return nilIdx, nil
		}
		if s.tag == tag {
			c := t.at(s.idx - 1)
			if c.k.equal(k) {
				return s.idx - 1, c
			}
		}
	}
}

// initialIndex is the index size a table starts with; it doubles while
// more than half full, up to twice MaxFlows, so a small capture does not
// pay for a large cap.
const initialIndex = 1 << 12

func (t *Table) setIndexSize(n uint32) {
	t.index = make([]slot, n)
	t.mask = n - 1
}

// growIndex doubles the index and re-inserts every entry. Growth allocates,
// but only O(log MaxFlows) times over a table's life.
func (t *Table) growIndex() {
	old := t.index
	t.setIndexSize(uint32(len(old)) * 2)
	for _, s := range old {
		if s.idx != 0 {
			t.indexInsert(s.idx-1, hashKey(&t.at(s.idx-1).k, t.seed))
		}
	}
}

func (t *Table) indexInsert(ci int32, h uint64) {
	if uint32(t.stats.Active)*2 >= uint32(len(t.index)) && uint32(len(t.index)) < t.maxIndex {
		t.growIndex()
	}
	tag := uint32(h >> 32)
	for i := uint32(h) & t.mask; ; i = (i + 1) & t.mask {
		if t.index[i].idx == 0 {
			t.index[i] = slot{tag: tag, idx: ci + 1}
			return
		}
	}
}

// indexDelete removes ci with backward-shift deletion (no tombstones).
func (t *Table) indexDelete(ci int32, h uint64) {
	i := uint32(h) & t.mask
	for t.index[i].idx != ci+1 {
		if t.index[i].idx == 0 {
			return
		}
		i = (i + 1) & t.mask
	}
	for {
		t.index[i] = slot{}
		j := i
		for {
			j = (j + 1) & t.mask
			s := t.index[j]
			if s.idx == 0 {
				return
			}
			home := uint32(hashKey(&t.at(s.idx-1).k, t.seed)) & t.mask
			// move s to i if its home is not in (i, j]
			if (j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j)) {
				t.index[i] = s
				i = j
				break
			}
		}
	}
}

// ---- LRU ----

func (t *Table) lruUnlink(ci int32, c *conn) {
	if c.lruPrev != nilIdx {
		t.at(c.lruPrev).lruNext = c.lruNext
	} else {
		t.lruHead = c.lruNext
	}
	if c.lruNext != nilIdx {
		t.at(c.lruNext).lruPrev = c.lruPrev
	} else {
		t.lruTail = c.lruPrev
	}
	c.lruPrev, c.lruNext = nilIdx, nilIdx
}

func (t *Table) lruPushFront(ci int32, c *conn) {
	c.lruPrev = nilIdx
	c.lruNext = t.lruHead
	if t.lruHead != nilIdx {
		t.at(t.lruHead).lruPrev = ci
	}
	t.lruHead = ci
	if t.lruTail == nilIdx {
		t.lruTail = ci
	}
}

// lruGrace is how stale a connection's place in the eviction order may
// get: a connection already moved to the front within the last lruGrace of
// capture time is not moved again. Moving touches two neighbours' cache
// lines, which on every packet cost more than the rest of the bookkeeping;
// eviction (only when the table is full) then picks among connections idle
// for about as long as the true least recently used one.
const lruGrace = int64(time.Second)

// touch moves c to the front of the eviction order (see lruGrace).
func (t *Table) touch(ci int32, c *conn, now int64) {
	if now-c.lruAt >= lruGrace && t.lruHead != ci {
		t.moveToFront(ci, c, now)
	}
}

func (t *Table) moveToFront(ci int32, c *conn, now int64) {
	c.lruAt = now
	t.lruUnlink(ci, c)
	t.lruPushFront(ci, c)
}

// ---- timer wheel ----

func (t *Table) wheelUnlink(ci int32, c *conn) {
	if c.wheelSlot < 0 {
		return
	}
	if c.wheelPrev != nilIdx {
		t.at(c.wheelPrev).wheelNext = c.wheelNext
	} else {
		t.wheel[c.wheelSlot] = c.wheelNext
	}
	if c.wheelNext != nilIdx {
		t.at(c.wheelNext).wheelPrev = c.wheelPrev
	}
	c.wheelSlot, c.wheelPrev, c.wheelNext = -1, nilIdx, nilIdx
}

// schedule recomputes c's earliest timer and files it in the wheel.
// c.deadline may be earlier than c's earliest timer (see filedInTime),
// never later: Expire and Update call fire once it has passed.
func (t *Table) schedule(ci int32, c *conn) {
	d := c.nextTimer()
	if d == c.deadline && (d == 0) == (c.wheelSlot < 0) {
		return
	}
	c.deadline = d
	if d == 0 {
		t.wheelUnlink(ci, c)
		return
	}
	s := int32(floorTick(d) & (wheelSize - 1))
	if s == c.wheelSlot {
		return
	}
	t.wheelUnlink(ci, c)
	c.wheelSlot = s
	c.wheelPrev = nilIdx
	c.wheelNext = t.wheel[s]
	if c.wheelNext != nilIdx {
		t.at(c.wheelNext).wheelPrev = ci
	}
	t.wheel[s] = ci
}

func floorTick(ns int64) int64 {
	q := ns / wheelTick
	if ns%wheelTick != 0 && ns < 0 {
		q--
	}
	return q
}

func minNZ(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// nextTimer is the time c's earliest pending timer is due; 0 for none.
func (c *conn) nextTimer() int64 {
	var d int64
	if c.inactivity > 0 {
		d = c.last + c.inactivity
	}
	if !c.timersCanceled {
		d = minNZ(d, c.attemptAt)
		d = minNZ(d, c.expireAt)
	}
	return minNZ(minNZ(d, c.deleteAt), c.longAt)
}

// filedInTime reports whether c is filed in the wheel (c.deadline) no
// later than each of its pending timers. A packet mostly only pushes the
// inactivity timer later, so c may stay filed where it is: the wheel then
// visits c early, and fire, finding nothing due, files it again at its
// earliest timer. A connection so moves in the wheel about once an
// inactivity period rather than each second it is active, and a packet
// costs a few comparisons instead of a schedule.
func (c *conn) filedInTime() bool { return c.inactivityFiled() && c.othersFiled() }

// inactivityFiled is the part of filedInTime for the inactivity timer.
func (c *conn) inactivityFiled() bool {
	dl := c.deadline
	return dl != 0 && c.inactivity > 0 && c.last+c.inactivity >= dl
}

// othersFiled is the part of filedInTime for the other timers. Every
// Update and fire leaves it true (c is filed in time, or schedule has just
// filed it at its earliest timer), so after a packet that moved no timer
// but inactivity's it needs no look.
func (c *conn) othersFiled() bool {
	dl := c.deadline
	return (c.timersCanceled || notBefore(c.attemptAt, dl) && notBefore(c.expireAt, dl)) &&
		notBefore(c.deleteAt, dl) && notBefore(c.longAt, dl)
}

// notBefore reports whether timer at (0: not set) is not due before dl.
func notBefore(at, dl int64) bool { return at == 0 || at >= dl }

// Expire runs every timer due at now (Unix ns) and emits the connections
// they end. Call it as packet time advances (e.g. each second of capture
// time); its cost is proportional to the wheel ticks crossed and the
// connections filed in them.
func (t *Table) Expire(now int64) { t.expire(now, nil) }

// ExpireByUID is Expire with the due connections taken in the order of
// their UIDs, calling ended with each one's UID once its records are out
// (see FlushByUID).
func (t *Table) ExpireByUID(now int64, ended func(UID)) { t.expire(now, ended) }

// expire runs the timers due at now: in wheel order when ended is nil,
// else in UID order (fireByUID).
func (t *Table) expire(now int64, ended func(UID)) {
	if now > t.now {
		t.now = now
	}
	end := floorTick(now)
	if t.wheelPos < 0 {
		t.wheelPos = end
	}
	start := t.wheelPos
	if end-start >= wheelSize {
		start = end - wheelSize + 1
	}
	t.due = t.due[:0]
	for tick := start; tick <= end; tick++ {
		s := tick & (wheelSize - 1)
		ci := t.wheel[s]
		for ci != nilIdx {
			c := t.at(ci)
			next := c.wheelNext
			if c.deadline != 0 && c.deadline <= now {
				if ended == nil {
					t.fire(ci, c, now)
				} else {
					t.due = append(t.due, dueConn{c.uid, ci})
				}
			}
			ci = next
		}
	}
	t.wheelPos = end
	if ended != nil {
		t.fireByUID(now, ended)
	}
}

// dueConn is a connection a flush or an expiry takes up: its UID and slot.
type dueConn struct {
	uid UID
	ci  int32
}

// fireByUID runs the timers due at now of the connections in t.due, in
// the order of their UIDs, and calls ended after each. A connection is
// taken up once: fire runs every timer of it that is due.
func (t *Table) fireByUID(now int64, ended func(UID)) {
	sortDue(t.due)
	for _, d := range t.due {
		if c := t.at(d.ci); c.used && c.uid == d.uid && c.deadline != 0 && c.deadline <= now {
			t.fire(d.ci, c, now)
			ended(d.uid)
		}
	}
	t.keepDue()
}

// sortDue puts due in UID order (a table's live UIDs differ).
func sortDue(due []dueConn) {
	slices.SortFunc(due, func(a, b dueConn) int { return cmp.Compare(a.uid, b.uid) })
}

// keepDue empties t.due, letting go of an array a mass expiry grew.
func (t *Table) keepDue() {
	if cap(t.due) > maxKeptDue {
		t.due = nil
		return
	}
	t.due = t.due[:0]
}

// maxKeptDue bounds the due list a table keeps between expiries.
const maxKeptDue = 4096

// Now is the newest time (Unix ns) the table has seen, in a packet or an
// Expire.
func (t *Table) Now() int64 { return t.now }

// StepBack moves the table's time back to now, where a live run's clock
// went (NTP stepping the sensor's clock back, a NIC's timestamps jumping):
// every connection's times move back by the step (now less the newest time
// the table has seen). Without it, connections open across the step would
// end only once the clock caught up with their timers (hours after a step
// of hours), and one with packets after the step would have its last
// packet before its start (conn.log: no duration, no bytes). A clock that
// goes forward needs nothing: Expire ends what is due, once. Offline runs
// never call it: a capture's time is what its packets say.
func (t *Table) StepBack(now int64) {
	by := now - t.now
	if by >= 0 {
		return
	}
	t.now = now
	for i := range t.wheel {
		t.wheel[i] = nilIdx
	}
	for ci := int32(0); ci < t.nconns; ci++ {
		c := t.at(ci)
		if !c.used {
			continue
		}
		c.start += by
		c.last += by
		c.lruAt += by
		shiftTimer(&c.attemptAt, by)
		shiftTimer(&c.expireAt, by)
		shiftTimer(&c.deleteAt, by)
		shiftTimer(&c.longAt, by)
		c.deadline, c.wheelSlot, c.wheelPrev, c.wheelNext = 0, -1, nilIdx, nilIdx
		t.schedule(ci, c)
	}
	t.wheelPos = floorTick(now)
	shiftTimer(&t.lastFullWeird, by)
}

// shiftTimer moves the time at *p (0: not set) by by.
func shiftTimer(p *int64, by int64) {
	if *p != 0 {
		*p += by
	}
}

// fire runs c's due timers in time order; it reports whether c was removed.
func (t *Table) fire(ci int32, c *conn, now int64) bool {
	for i := 0; i < 64; i++ {
		d := c.nextTimer()
		if d == 0 || d > now {
			break
		}
		if c.deleteAt != 0 && c.deleteAt == d {
			t.remove(ci, c, true)
			return true
		}
		if d == c.longAt {
			t.emitLong(c, now)
			continue
		}
		switch {
		case !c.timersCanceled && d == c.attemptAt:
			c.attemptAt = 0
			if c.kind == kindTCP && t.attemptTimer(c) {
				t.remove(ci, c, true)
				return true
			}
		case !c.timersCanceled && d == c.expireAt:
			c.expireAt = 0
			if t.expireTimer(c, now) {
				t.remove(ci, c, true)
				return true
			}
		default: // inactivity
			t.remove(ci, c, true)
			return true
		}
	}
	t.schedule(ci, c)
	return false
}

// ---- connection lifecycle ----

func (t *Table) alloc() int32 {
	if t.free != nilIdx {
		ci := t.free
		t.free = t.at(ci).lruNext
		return ci
	}
	if int(t.nconns) >= t.cfg.MaxFlows {
		return nilIdx
	}
	if int(t.nconns)>>chunkShift >= len(t.chunks) {
		t.chunks = append(t.chunks, new([chunkSize]conn))
	}
	ci := t.nconns
	t.nconns++
	return ci
}

// remove emits c and frees its slot.
func (t *Table) remove(ci int32, c *conn, expired bool) {
	t.emit(c)
	if expired {
		t.stats.Expired++
	}
	t.indexDelete(ci, hashKey(&c.k, t.seed))
	if ci == t.lastIdx {
		t.lastIdx, t.lastConn = nilIdx, nil
	}
	t.lruUnlink(ci, c)
	t.wheelUnlink(ci, c)
	c.used = false
	c.lruNext = t.free
	t.free = ci
	t.stats.Active--
}

func (t *Table) evict(now int64) {
	ci := t.lruTail
	if ci == nilIdx {
		return
	}
	t.remove(ci, t.at(ci), false)
	t.stats.Evicted++
	t.evictSince++
	if t.lastFullWeird == 0 || now-t.lastFullWeird >= int64(time.Second) {
		t.lastFullWeird = now
		t.weird = record.Weird{TS: now, Name: "flow_table_full_eviction", Source: "flow"}
		n := t.evictSince
		var b [24]byte
		i := len(b)
		for {
			i--
			b[i] = byte('0' + n%10)
			n /= 10
			if n == 0 {
				break
			}
		}
		t.weird.Addl = unsafe.String(&b[i], len(b)-i)
		t.evictSince = 0
		t.out.Weird(&t.weird)
	}
}

// Flush emits every remaining connection, least recently active first.
func (t *Table) Flush() {
	for t.lruTail != nilIdx {
		ci := t.lruTail
		t.remove(ci, t.at(ci), false)
	}
}

// FlushByUID emits every remaining connection, as Flush does, in the order
// of their UIDs, and calls ended with each one's UID once its records are
// out. An ordered writer (internal/analyze) puts a flush's records in UID
// order anyway: given them in that order, it can pass each connection's
// on as soon as the next one starts, instead of holding the records of
// every connection the flush ends (up to MaxFlows of them) until it is
// over. ExpireByUID does the same for the connections an expiry ends.
func (t *Table) FlushByUID(ended func(UID)) {
	t.due = t.due[:0]
	for ci := t.lruHead; ci != nilIdx; ci = t.at(ci).lruNext {
		t.due = append(t.due, dueConn{t.at(ci).uid, ci})
	}
	sortDue(t.due)
	for _, d := range t.due {
		if c := t.at(d.ci); c.used && c.uid == d.uid {
			t.remove(d.ci, c, false)
			ended(d.uid)
		}
	}
	t.keepDue()
}

// Update accounts one datagram and returns its connection's UID (0 when
// the datagram is not accounted: no IP, or no transport header).
func (t *Table) Update(in *Input) UID {
	d := in.D
	if d == nil || d.Version == 0 {
		return t.ignore(in)
	}
	ts := in.TS
	if ts > t.now {
		t.now = ts
	}
	src, dst := addrOf(d.Src), addrOf(d.Dst)
	var kind uint8
	var sp, dp uint16
	flags := versionFlags(d.Version)
	switch proto := d.Proto; proto {
	case decode.ProtoTCP:
		kind, sp, dp = kindTCP, d.SrcPort, d.DstPort
	case decode.ProtoUDP:
		kind, sp, dp = kindUDP, d.SrcPort, d.DstPort
	case decode.ProtoICMP, decode.ProtoICMPv6:
		var oneWay bool
		kind = kindICMP
		sp, dp, oneWay = icmpPorts(proto == decode.ProtoICMPv6, d.ICMPType, d.ICMPCode)
		if oneWay {
			flags |= keyOneWay
		}
	default:
		// IPv6 "no next header" (e.g. Teredo bubbles) carries no
		// transport: Zeek makes no connection of it.
		if !t.cfg.TrackOther || proto == decode.ProtoNoNext {
			return t.ignore(in)
		}
		kind = kindOther
	}
	if kind != kindOther && !d.HasL4 {
		return t.ignore(in)
	}
	var k key
	k.set(src, dst, sp, dp, d.Proto, flags)
	ci, c := t.lastIdx, t.lastConn
	if c == nil || !k.equal(&c.k) {
		ci, c = t.lookup(&k, hashKey(&k, t.seed))
	}
	if ci != nilIdx {
		if c.deadline != 0 && c.deadline <= ts && t.fire(ci, c, ts) {
			ci = nilIdx
		} else if kind == kindTCP && d.TCPFlags&decode.TCPSyn != 0 && t.isReuse(c, d) {
			t.remove(ci, c, false)
			ci = nilIdx
		}
	}
	if ci == nilIdx {
		ci, c = t.create(in, &k, kind, src, dst, sp, dp)
	} else {
		t.touch(ci, c, ts)
	}
	if ci != t.lastIdx {
		t.lastIdx, t.lastConn = ci, c
	}
	t.stats.Packets++

	if ps := in.Parents; in.Service != "" || ps != nil && ps.N > 0 {
		c.noteTunnel(in)
	}

	// For ICMP and other protocols the ports are 0 or the ICMP types of
	// the key, so this is Zeek's role test for every kind.
	isOrig := c.origPort == sp && c.origAddr == src
	roles := c.origIdx // the TCP state machine may flip them
	var role *endpoint
	timersMoved := true
	if kind == kindTCP {
		if t.checksumBad(in, d) {
			e := c.side(isOrig)
			t.scaled(c, isOrig, 'C', &e.chkCnt, &e.chkThr)
		} else {
			role, timersMoved = t.tcpPacket(c, isOrig, d, ts)
		}
	} else {
		role = t.datagram(c, isOrig, in, d, ts)
	}
	if role != nil {
		role.pkts++
		role.ipBytes += uint64(d.IPLen)
	}
	in.Counted = role != nil
	in.FromOrig = isOrig == (c.origIdx == roles)
	in.App = &c.app
	in.conn = c
	// Did the packet bring a timer earlier? (othersFiled: see there.)
	if c.used && !(c.inactivityFiled() && (!timersMoved || c.othersFiled())) {
		t.schedule(ci, c)
	}
	return c.uid
}

// ignore counts a datagram Update does not account and clears the
// results it sets in in.
func (t *Table) ignore(in *Input) UID {
	in.Counted, in.FromOrig, in.App, in.conn = false, false, nil, nil
	t.stats.Ignored++
	return 0
}

// create starts the connection of in's datagram, whose key is k,
// evicting the least recently active one if the table is full.
func (t *Table) create(in *Input, k *key, kind uint8, src, dst addr, sp, dp uint16) (int32, *conn) {
	ts := in.TS
	ci := t.alloc()
	if ci == nilIdx {
		t.evict(ts)
		ci = t.alloc()
	}
	c := t.at(ci)
	t.initConn(c, k, kind, src, dst, sp, dp, ts, in.D)
	if l := in.Link; l != nil {
		c.vlan, c.hasVLAN = l.VLANs[0], l.NumVLANs > 0
		c.innerVLAN, c.hasInner = l.VLANs[1], l.NumVLANs > 1
		c.hasMAC, c.origMAC, c.respMAC = l.HasMAC, l.SrcMAC, l.DstMAC
		if c.origAddr != src || c.origPort != sp { // roles flipped at once
			c.origMAC, c.respMAC = c.respMAC, c.origMAC
		}
	}
	t.indexInsert(ci, hashKey(k, t.seed))
	t.lruPushFront(ci, c)
	t.stats.Active++
	t.stats.Created++
	if t.stats.Active > t.stats.MaxActive {
		t.stats.MaxActive = t.stats.Active
	}
	return ci, c
}

// datagram accounts a UDP, ICMP or other datagram of c and returns the
// endpoint whose counters it adds to (nil for a bad checksum).
func (t *Table) datagram(c *conn, isOrig bool, in *Input, d *decode.Datagram, ts int64) *endpoint {
	e := c.side(isOrig)
	switch c.kind {
	case kindUDP:
		if t.checksumBad(in, d) {
			t.scaled(c, isOrig, 'C', &e.chkCnt, &e.chkThr)
			return nil
		}
		c.last = ts
		if isOrig {
			t.checkHistory(c, 0x1, 'D')
		} else {
			t.checkHistory(c, 0x2, 'd')
		}
		addSize(e, int64(d.L4Len))
	case kindICMP:
		if t.checksumBad(in, d) {
			return nil
		}
		c.last = ts
		addSize(e, int64(d.L4Len))
	default:
		c.last = ts
		if e.size < 0 {
			e.size = 0
		}
	}
	return e
}

// checksumBad is badChecksum answered inline in the common case, a
// checksum the caller already checked (Input.ChecksumChecked).
func (t *Table) checksumBad(in *Input, d *decode.Datagram) bool {
	if in.ChecksumChecked {
		return in.ChecksumBad && !t.cfg.IgnoreChecksums
	}
	return t.badChecksum(in, d)
}

func addSize(e *endpoint, n int64) {
	if n < 0 {
		n = 0
	}
	if e.size < 0 {
		e.size = n
	} else {
		e.size += n
	}
}

// noteTunnel takes in's hints about the tunnels around c's datagram: the
// first service hint, and the innermost tunnel's uid as a parent. Update
// calls it only when in has one (rarely: only tunnels' outer datagrams and
// tunnelled ones have), so it is kept out of line.
//
//go:noinline
func (c *conn) noteTunnel(in *Input) {
	if in.Service != "" && c.service == "" {
		c.service = in.Service
	}
	if ps := in.Parents; ps != nil && ps.N > 0 {
		c.addParent(ps.UIDs[ps.N-1])
	}
}

// addParent adds u to c's tunnel parents unless it is there or they are
// full.
func (c *conn) addParent(u UID) {
	for i := 0; i < int(c.nParents); i++ {
		if c.parents[i] == u {
			return
		}
	}
	if int(c.nParents) < maxParents {
		c.parents[c.nParents] = u
		c.nParents++
	}
}

func (t *Table) initConn(c *conn, k *key, kind uint8, src, dst addr, sp, dp uint16, ts int64, d *decode.Datagram) {
	v6 := k.v6()
	*c = conn{
		k: *k, used: true, kind: kind, v6: v6, ipProto: d.Proto,
		origAddr: src, respAddr: dst, origPort: sp, respPort: dp,
		start: ts, last: ts, isActive: true,
		lruPrev: nilIdx, lruNext: nilIdx, wheelPrev: nilIdx, wheelNext: nilIdx, wheelSlot: -1, lruAt: ts,
	}
	c.uid = makeUID(k, ts)
	if len(t.cfg.LongDurations) > 0 {
		age := longSeconds(t.cfg.LongDurations[0])
		c.longAge, c.longAt = uint32(age/int64(time.Second)), ts+age
	}
	for i := range c.ep {
		e := &c.ep[i]
		e.size = -1
		e.rxmtThr, e.win0Thr, e.gapThr, e.chkThr = 1, 1, 1, 1
		e.lastReassem, e.trimSeq = 1, 1
	}
	if kind == kindOther {
		c.origPort, c.respPort = 0, 0
	}
	flip := false
	switch kind {
	case kindTCP:
		c.inactivity = t.tcpInact
		// TCPAnalyzer::WantConnection: a first packet without SYN, or a
		// SYN-ACK, makes a partial connection whose roles are guessed from
		// the ports.
		f := d.TCPFlags
		if f&decode.TCPSyn == 0 || f&decode.TCPAck != 0 {
			if t.likelyTCP.has(sp) {
				if t.likelyTCP.has(dp) {
					flip = f&decode.TCPSyn == 0 && sp < dp
				} else {
					flip = true
				}
			}
		}
		if t.synTimeout > 0 {
			c.expireAt = ts + t.synTimeout
		}
	case kindUDP:
		c.inactivity = t.udpInact
		flip = t.likelyUDP.has(sp) && !t.likelyUDP.has(dp)
	case kindICMP:
		c.inactivity = t.icmpInact
	default:
		c.inactivity = t.otherInact
	}
	if flip && !isBroadcast(dst, v6) {
		t.flipRoles(c)
	}
	if kind == kindUDP && t.dnsTimeout > 0 && t.dnsPorts.has(c.respPort) {
		c.expireAt = ts + t.dnsTimeout
	}
}

func isBroadcast(a addr, v6 bool) bool {
	return !v6 && uint32(a.lo) == 0xffffffff
}

// flipRoles is Connection::FlipRoles: swap the endpoints and add '^'.
// The history-seen bits are not swapped (as in Zeek).
func (t *Table) flipRoles(c *conn) {
	c.origAddr, c.respAddr = c.respAddr, c.origAddr
	c.origMAC, c.respMAC = c.respMAC, c.origMAC
	c.origPort, c.respPort = c.respPort, c.origPort
	c.origIdx = 1 - c.origIdx
	fs := c.firstSeen
	c.firstSeen = (fs&1)<<1 | (fs&2)>>1
	c.isPartial = false
	t.addHistory(c, '^')
}

// ---- history ----

func (t *Table) addHistory(c *conn, code byte) {
	if int(c.histLen) < histCap {
		c.hist[c.histLen] = code
		c.histLen++
	}
}

// checkHistory is Connection::CheckHistory: it adds code the first time
// mask is seen and reports whether mask had been seen before.
func (t *Table) checkHistory(c *conn, mask uint32, code byte) bool {
	if c.histSeen&mask == 0 {
		c.histSeen |= mask
		t.addHistory(c, code)
		return false
	}
	return true
}

// scaled is Connection::ScaledHistoryEntry: the letter is added at the
// 1st, 10th, 100th... occurrence.
func (t *Table) scaled(c *conn, isOrig bool, code byte, cnt, thr *uint32) {
	*cnt++
	if *cnt == *thr {
		if !isOrig {
			code += 'a' - 'A'
		}
		t.addHistory(c, code)
		nt := *thr * 10
		if nt <= *thr {
			*cnt = 0
		} else {
			*thr = nt
		}
	}
}
