package dns

import (
	"encoding/binary"
	"strconv"
	"sync"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Bounds of one connection's state.
const (
	// maxPendingIDs and maxPendingPerID are Zeek's DNS::max_pending_query_ids
	// and DNS::max_pending_msgs: past them the unmatched messages are
	// logged and forgotten.
	maxPendingIDs   = 50
	maxPendingPerID = 50
	// maxPending bounds each of the pending query and reply lists.
	maxPending = 64
	// maxAnswers and maxAnswerBytes bound one record's answers (Zeek has
	// no bound; hostile compression can make a 64 KiB message render to
	// megabytes).
	maxAnswers     = 1024
	maxAnswerBytes = 64 << 10
	// maxTCPMessage is the largest framed message (the 2-byte length).
	maxTCPMessage = 0xffff
	// maxFree bounds the logged records kept for reuse.
	maxFree = 4
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "dns",
		Transports: []uint8{6, 17},
		Ports:      []uint16{53, 137, 5353, 5355},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect says whether the first bytes a side sent look like DNS: Likely
// when they parse as a plausible message (for TCP after the 2-byte
// length), Maybe for a DNS port alone.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	b := first
	if transport == 6 {
		if len(b) < 2 {
			return portGuess(respPort)
		}
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n < HeaderLen {
			return proto.No
		}
		if len(b) > n {
			b = b[:n]
		}
	}
	if Plausible(b, respPort == 137) {
		return proto.Likely
	}
	return portGuess(respPort)
}

func portGuess(port uint16) proto.Confidence {
	switch port {
	case 53, 137, 5353, 5355:
		return proto.Maybe
	}
	return proto.No
}

// Plausible reports whether b (possibly cut short) starts like a DNS
// message: a known opcode, sane counts, a parsable first question whose
// labels are printable, and a known class.
func Plausible(b []byte, netbios bool) bool {
	h, ok := ParseHeader(b)
	if !ok {
		return false
	}
	switch h.Opcode {
	case 0, 1, 2, 4, 5, 6:
	default:
		if !(netbios && h.Opcode <= 8) {
			return false
		}
	}
	if h.QDCount > 16 || h.ANCount > 512 || h.NSCount > 512 || h.ARCount > 512 {
		return false
	}
	if h.QDCount == 0 && (!h.QR || h.ANCount == 0) {
		return false
	}
	if !h.QR && h.Rcode != 0 {
		return false
	}
	// The first question (or record), uncompressed.
	o := HeaderLen
	for n := 0; ; n++ {
		if o >= len(b) || n > 127 {
			return false
		}
		l := int(b[o])
		o++
		if l == 0 {
			break
		}
		if l&0xc0 != 0 && !netbios || o+l > len(b) {
			return false
		}
		for _, c := range b[o : o+l] {
			if c < 0x20 || c >= 0x7f {
				return false
			}
		}
		o += l
	}
	if o+4 > len(b) {
		return false
	}
	cl := binary.BigEndian.Uint16(b[o+2:]) &^ 0x8000 // mDNS unicast-response bit
	switch cl {
	case 1, 3, 4, 254, 255:
		return true
	}
	return false
}

// info is one dns.log record under construction (Zeek's DNS::Info).
type info struct {
	ts       int64
	transID  uint16
	rtt      int64
	hasRTT   bool
	query    []byte
	hasQuery bool
	qclass   uint16
	qtype    uint16
	hasQ     bool
	rcode    uint16
	hasRcode bool
	aa, tc   bool
	rd, ra   bool
	z        uint8
	text     []byte   // the answers, concatenated
	answers  []answer // where each answer ends in text, and its TTL
	rejected bool
	opcode   uint8
	hasOp    bool
	netbios  bool
	sawQuery bool
	sawReply bool
	pending  bool // in one of the pending lists
}

// answer is one logged answer: its text ends at text[end], and its TTL.
type answer struct {
	end int32
	ttl uint32
}

// Room given to a record's answers on the first one (a reply rarely
// carries more).
const (
	answersCap = 8
	textCap    = 128
)

// Analyzer is the DNS analyzer of one connection (UDP: one message per
// datagram; TCP: messages framed by a 2-byte length). It pairs queries
// and replies like Zeek's base/protocols/dns/main.zeek and writes dns.log
// records through the Sink.
//
// State is bounded: at most maxPending unmatched queries and as many
// unmatched replies (fewer when Zeek's own limits of 50 ids / 50 messages
// per id flush them first), each record's answers capped, and one
// reassembly buffer of at most 64 KiB per TCP direction.
type Analyzer struct {
	ci          *proto.ConnInfo
	out         proto.Sink
	tcp         bool
	mcast       bool
	netbios     bool // the responder's port is 137: NetBIOS name service rules
	started     bool
	flipped     bool
	proto.Named // conn.log service, once confirmed

	cur      *info
	pendingQ *info
	queries  []*info
	replies  []*info
	// free holds up to maxFree logged records for reuse (an array, not
	// a slice grown per analyzer: a UDP connection's analyzer, made for
	// a query or two, would throw the slice away).
	free  [maxFree]*info
	nfree int

	// tcpBuf is each direction's framing, made for a TCP connection's
	// first bytes (framers).
	tcpBuf *[2]framer
}

// A connection's analyzer keeps no parser and no line buffer of its own:
// a parsed message lives while message handles it (what a record keeps is
// copied out of it) and a line while the sink copies it, so every analyzer
// borrows these for that long. Under a DNS flood (a "water torture":
// hundreds of thousands of open connections, one unanswered query each)
// a parser and a line apiece were 1.2 KiB of every connection's 1.7.
var (
	parsers = sync.Pool{New: func() any { return new(Parser) }}
	lines   = sync.Pool{New: func() any { b := make([]byte, 0, record.LineCap); return &b }}
)

// framer reassembles one TCP direction's length-framed messages.
type framer struct {
	hdr   [2]byte
	nhdr  int
	size  int
	buf   []byte
	inMsg bool
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	a := &Analyzer{}
	a.init(ci, out)
	return a
}

// init sets up a zero analyzer for the connection ci writing to out.
func (a *Analyzer) init(ci *proto.ConnInfo, out proto.Sink) {
	a.ci, a.out, a.tcp = ci, out, ci.Transport == 6
	a.mcast = ci.RespH.Unmap().IsMulticast()
	a.netbios = ci.RespP == 137
}

// Reuse implements proto.Reuser: the analyzer, ended, becomes what New
// returns for ci and out, keeping the records it keeps for reuse and its
// pending lists' arrays.
func (a *Analyzer) Reuse(ci *proto.ConnInfo, out proto.Sink) {
	*a = Analyzer{free: a.free, nfree: a.nfree, queries: a.queries[:0], replies: a.replies[:0]}
	a.init(ci, out)
}

// framers returns the TCP framing state, making it on first use.
func (a *Analyzer) framers() *[2]framer {
	if a.tcpBuf == nil {
		a.tcpBuf = new([2]framer)
	}
	return a.tcpBuf
}

// Data takes one UDP datagram or the next piece of a TCP stream.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if !a.tcp {
		a.message(dir, ts, data, true)
		return
	}
	f := &a.framers()[dir&1]
	for len(data) > 0 {
		if !f.inMsg {
			f.hdr[f.nhdr] = data[0]
			f.nhdr++
			data = data[1:]
			if f.nhdr < 2 {
				continue
			}
			f.nhdr = 0
			f.size = int(binary.BigEndian.Uint16(f.hdr[:]))
			f.buf = f.buf[:0]
			f.inMsg = true
		}
		n := min(f.size-len(f.buf), len(data))
		if len(f.buf) == 0 && n == f.size {
			// A whole message in hand: no copy.
			f.inMsg = false
			a.message(dir, ts, data[:n], true)
			data = data[n:]
			continue
		}
		f.buf = append(f.buf, data[:n]...)
		data = data[n:]
		if len(f.buf) == f.size {
			f.inMsg = false
			a.message(dir, ts, f.buf, true)
		}
	}
}

// Gap drops the partial message of dir: the framing cannot be trusted
// after bytes were lost.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	if a.tcpBuf == nil {
		return
	}
	f := &a.tcpBuf[dir&1]
	f.inMsg, f.nhdr, f.buf = false, 0, f.buf[:0]
}

// End flushes partial TCP messages (as Zeek does at connection close),
// then logs every unmatched query and reply.
func (a *Analyzer) End(ts int64) {
	if fs := a.tcpBuf; fs != nil {
		for d := range fs {
			f := &fs[d]
			if f.inMsg && len(f.buf) > 0 {
				f.inMsg = false
				a.message(proto.Direction(d), ts, f.buf, false)
			}
			f.inMsg, f.nhdr, f.buf = false, 0, nil
		}
	}
	if q := a.pendingQ; q != nil {
		a.pendingQ = nil
		q.pending = false
		a.log(q)
	}
	a.flush(&a.queries)
	a.flush(&a.replies)
}

// flush logs and drops every entry of list.
func (a *Analyzer) flush(list *[]*info) {
	l := *list
	for i, in := range l {
		in.pending = false
		a.log(in)
		l[i] = nil
	}
	*list = l[:0]
}

// message handles one DNS message; known says whether dir is known
// (a partial TCP message flushed at the end is not, as in Zeek).
func (a *Analyzer) message(dir proto.Direction, ts int64, b []byte, known bool) {
	h, ok := ParseHeader(b)
	if !ok {
		return
	}
	if !a.started {
		a.started = true
		// Zeek flips the roles when the originator's first message is
		// a response (unless the responder is a multicast address).
		if known && h.QR && dir == proto.FromOrig && !a.mcast {
			a.flipped = true
		}
	}
	tracked := h.Opcode == 0 || h.Opcode == 4 || h.Opcode == 5
	if tracked {
		a.setSession(&h, ts)
	}
	p := parsers.Get().(*Parser)
	p.NetBIOS = a.netbios
	m := p.Parse(b)
	if !m.TooManyQueries {
		for i := range m.Questions {
			q := &m.Questions[i]
			switch {
			case !h.QR:
				if tracked && h.Opcode != 5 && a.cur != nil {
					a.request(&h, q)
				}
			case h.ANCount == 0 && h.NSCount == 0 && h.ARCount == 0:
				if a.cur != nil {
					a.cur.rejected = true
				}
			}
		}
		if tracked && h.QR && a.cur != nil {
			for i := range m.Records {
				r := &m.Records[i]
				if !r.Reply || r.Section == Additional || (r.Section == Authority && h.Opcode != 5) {
					continue
				}
				a.reply(ts, &h, r)
			}
		}
		if m.AnswersOK {
			a.Confirm("dns")
		}
	}
	*p = p.emptied()
	parsers.Put(p)
	// dns_end
	if c := a.cur; c != nil {
		if h.QR {
			c.sawReply = true
		} else {
			c.sawQuery = true
		}
		if c.sawReply && c.sawQuery {
			a.cur = nil
			a.log(c)
		}
	}
}

// request is Zeek's dns_request handler.
func (a *Analyzer) request(h *Header, q *Question) {
	c := a.cur
	c.rd, c.tc, c.z = h.RD, h.TC, h.Z
	c.qclass, c.qtype, c.hasQ = q.Class, q.Type, true
	name := q.Name
	if a.ci.RespP == 137 {
		if dec := decodeNetBIOSName(q.Name, c.query[:0]); len(dec) > 0 {
			c.query, c.hasQuery = dec, true
			return
		}
	}
	c.query = append(c.query[:0], name...)
	c.hasQuery = true
}

// decodeNetBIOSName decodes a NetBIOS first-level encoded name (RFC 1001
// 14.1: 32 letters 'A'-'P', two per byte) into dst, dropping the name-type
// byte and trailing spaces; nil when name is not so encoded.
func decodeNetBIOSName(name, dst []byte) []byte {
	enc := name
	for i, c := range name {
		if c == '.' {
			enc = name[:i]
			break
		}
	}
	if len(enc) != 32 {
		return nil
	}
	for i := 0; i < 32; i += 2 {
		hi, lo := enc[i]|0x20, enc[i+1]|0x20
		if hi < 'a' || hi > 'p' || lo < 'a' || lo > 'p' {
			return nil
		}
		if i < 30 {
			dst = append(dst, (hi-'a')<<4|(lo-'a'))
		}
	}
	for len(dst) > 0 && (dst[len(dst)-1] == ' ' || dst[len(dst)-1] == 0) {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// reply is Zeek's DNS::do_reply hook.
func (a *Analyzer) reply(ts int64, h *Header, r *RR) {
	c := a.cur
	if !c.hasQuery {
		c.query, c.hasQuery = append(c.query[:0], r.Name...), true
	}
	c.aa, c.ra = h.AA, h.RA
	if !c.hasRTT {
		c.rtt = ts - c.ts
		c.hasRTT = c.rtt != 0
	}
	if len(r.Text) == 0 || len(c.answers) >= maxAnswers || len(c.text)+len(r.Text) > maxAnswerBytes {
		return
	}
	if c.answers == nil {
		c.answers = make([]answer, 0, answersCap)
		c.text = make([]byte, 0, max(textCap, len(r.Text)))
	}
	c.text = append(c.text, r.Text...)
	c.answers = append(c.answers, answer{int32(len(c.text)), r.TTL})
}

func (a *Analyzer) newInfo(ts int64, id uint16) *info {
	var in *info
	if a.nfree > 0 {
		a.nfree--
		in = a.free[a.nfree]
		a.free[a.nfree] = nil
		*in = info{query: in.query[:0], text: in.text[:0], answers: in.answers[:0]}
	} else {
		in = &info{}
	}
	in.ts, in.transID = ts, id
	return in
}

// setSession is Zeek's DNS::set_session hook.
func (a *Analyzer) setSession(h *Header, ts int64) {
	isQuery := !h.QR
	switch {
	case a.mcast:
		c := a.newInfo(ts, h.ID)
		c.sawQuery, c.sawReply = true, true
		a.cur = c
	case isQuery:
		if i := indexID(a.replies, h.ID); i >= 0 {
			a.cur = a.take(&a.replies, i)
			break
		}
		c := a.newInfo(ts, h.ID)
		a.cur = c
		c.pending = true
		if a.pendingQ == nil {
			a.pendingQ = c
		} else {
			a.enqueue(&a.queries, c)
		}
	default:
		if q := a.pendingQ; q != nil && q.transID == h.ID {
			a.cur = q
			q.pending = false
			a.pendingQ = nil
			if len(a.queries) > 0 {
				i := indexID(a.queries, h.ID)
				if i < 0 {
					i = 0
				}
				a.pendingQ = a.take(&a.queries, i)
				a.pendingQ.pending = true
			}
			break
		}
		if i := indexID(a.queries, h.ID); i >= 0 {
			a.cur = a.take(&a.queries, i)
			break
		}
		c := a.newInfo(ts, h.ID)
		a.cur = c
		c.pending = true
		a.enqueue(&a.replies, c)
	}
	c := a.cur
	if !isQuery {
		c.rcode, c.hasRcode = uint16(h.Rcode), true
		if h.Rcode != 0 && h.QDCount == 0 {
			c.rejected = true
		}
	}
	c.opcode, c.hasOp, c.netbios = h.Opcode, true, a.netbios
}

func indexID(l []*info, id uint16) int {
	for i, in := range l {
		if in.transID == id {
			return i
		}
	}
	return -1
}

// take removes l[i], keeping the order.
func (a *Analyzer) take(l *[]*info, i int) *info {
	s := *l
	in := s[i]
	copy(s[i:], s[i+1:])
	s[len(s)-1] = nil
	*l = s[:len(s)-1]
	in.pending = false
	return in
}

// enqueue is Zeek's enqueue_new_msg with its limits, plus a hard cap.
func (a *Analyzer) enqueue(l *[]*info, c *info) {
	same, ids := 0, 0
	for i, in := range *l {
		if in.transID == c.transID {
			same++
		}
		if indexID((*l)[:i], in.transID) < 0 {
			ids++
		}
	}
	switch {
	case same == 0 && ids > maxPendingIDs, len(*l) >= maxPending:
		a.flush(l)
	case same > maxPendingPerID:
		s := (*l)[:0]
		for _, in := range *l {
			if in.transID == c.transID {
				in.pending = false
				a.log(in)
				continue
			}
			s = append(s, in)
		}
		clear((*l)[len(s):])
		*l = s
	}
	*l = append(*l, c)
}

// log writes c as one dns.log line and recycles it when nothing refers
// to it any more.
func (a *Analyzer) log(c *info) {
	line := lines.Get().(*[]byte)
	*line = a.appendJSON((*line)[:0], c)
	a.out.Record("dns", *line)
	if *line = record.ReuseLine(*line); *line != nil {
		lines.Put(line)
	}
	if !c.pending && c != a.cur && c != a.pendingQ && a.nfree < maxFree {
		a.free[a.nfree] = c
		a.nfree++
	}
}

func (a *Analyzer) appendJSON(dst []byte, c *info) []byte {
	ci := a.ci
	dst = proto.AppendConnHeaderRoles(dst, c.ts, ci, a.flipped)
	if ci.Transport == 6 {
		dst = append(dst, `,"proto":"tcp"`...)
	} else {
		dst = append(dst, `,"proto":"udp"`...)
	}
	dst = append(dst, `,"trans_id":`...)
	dst = strconv.AppendUint(dst, uint64(c.transID), 10)
	if c.hasRTT {
		dst = append(dst, `,"rtt":`...)
		dst = record.AppendInterval(dst, c.rtt)
	}
	if c.hasQuery {
		dst = append(dst, `,"query":`...)
		dst = record.AppendBytesString(dst, c.query)
	}
	if c.hasQ {
		dst = append(dst, `,"qclass":`...)
		dst = strconv.AppendUint(dst, uint64(c.qclass), 10)
		dst = append(dst, `,"qclass_name":`...)
		dst = record.AppendString(dst, ClassName(c.qclass))
		dst = append(dst, `,"qtype":`...)
		dst = strconv.AppendUint(dst, uint64(c.qtype), 10)
		dst = append(dst, `,"qtype_name":`...)
		qn := TypeName(c.qtype)
		if c.netbios && c.qtype == TypeSRV {
			qn = "NBSTAT"
		}
		dst = record.AppendString(dst, qn)
	}
	if c.hasRcode {
		dst = append(dst, `,"rcode":`...)
		dst = strconv.AppendUint(dst, uint64(c.rcode), 10)
		dst = append(dst, `,"rcode_name":`...)
		dst = record.AppendString(dst, RcodeName(c.rcode))
	}
	dst = appendBool(dst, `,"AA":`, c.aa)
	dst = appendBool(dst, `,"TC":`, c.tc)
	dst = appendBool(dst, `,"RD":`, c.rd)
	dst = appendBool(dst, `,"RA":`, c.ra)
	dst = append(dst, `,"Z":`...)
	dst = strconv.AppendUint(dst, uint64(c.z), 10)
	if len(c.answers) > 0 {
		dst = append(dst, `,"answers":[`...)
		s := 0
		for i, an := range c.answers {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = record.AppendBytesString(dst, c.text[s:an.end])
			s = int(an.end)
		}
		dst = append(dst, `],"TTLs":[`...)
		for i, an := range c.answers {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = record.AppendInterval(dst, int64(an.ttl)*1e9)
		}
		dst = append(dst, ']')
	}
	dst = appendBool(dst, `,"rejected":`, c.rejected)
	if c.hasOp {
		dst = append(dst, `,"opcode":`...)
		dst = strconv.AppendUint(dst, uint64(c.opcode), 10)
		dst = append(dst, `,"opcode_name":`...)
		dst = record.AppendString(dst, OpcodeName(c.opcode, c.netbios))
	}
	return append(dst, '}')
}

func appendBool(dst []byte, key string, v bool) []byte {
	dst = append(dst, key...)
	return strconv.AppendBool(dst, v)
}
