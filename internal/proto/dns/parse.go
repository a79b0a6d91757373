// Package dns parses DNS messages (RFC 1035 and later) and turns a
// connection's DNS traffic into Zeek-compatible dns.log records.
//
// The parser follows Zeek's DNS analyzer (src/analyzer/protocol/dns) where
// its behaviour is visible in dns.log: names are decompressed and
// lower-cased, a trailing dot is dropped, a name ends (without failing the
// message) at a forward or too deep compression pointer, a label longer
// than 63 bytes (NetBIOS excepted) or a label that would overflow Zeek's
// 512-byte name buffer; a record whose fixed part or RDATA does not fit
// ends the parse of the message, keeping what was parsed before it. Each
// record's RDATA is parsed within its RDLENGTH. Answers are rendered as the
// strings Zeek's base scripts put in dns.log's answers field.
package dns

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// HeaderLen is the length of the fixed DNS header.
const HeaderLen = 12

// Bounds.
const (
	// MaxQueries is Zeek's dns_max_queries: a message announcing more
	// questions is not parsed past its header.
	MaxQueries = 25
	// maxNameBuf is Zeek's name buffer (513 bytes, one kept for a NUL).
	maxNameBuf = 512
	// maxPointerHops bounds compression pointers followed for one name.
	maxPointerHops = 10
	// maxArena bounds the bytes of names and answer strings kept for one
	// message; parsing stops (as for a malformed record) beyond it.
	maxArena = 1 << 20
)

// Section is the part of a message a record came from.
type Section uint8

// Sections. For dynamic updates (opcode 5) Answer holds the prerequisites
// and Authority the updates (RFC 2136).
const (
	Answer Section = iota + 1
	Authority
	Additional
)

// Header is the fixed DNS header.
type Header struct {
	ID                                 uint16
	QR                                 bool
	Opcode                             uint8
	AA, TC, RD, RA                     bool
	Z                                  uint8 // the three bits between RA and RCODE (Z, AD, CD) as Zeek reports them
	Rcode                              uint8
	QDCount, ANCount, NSCount, ARCount uint16
}

// ParseHeader decodes the fixed header; ok is false when b is shorter than
// HeaderLen.
func ParseHeader(b []byte) (h Header, ok bool) {
	if len(b) < HeaderLen {
		return h, false
	}
	fl := binary.BigEndian.Uint16(b[2:])
	h.ID = binary.BigEndian.Uint16(b)
	h.QR = fl&0x8000 != 0
	h.Opcode = uint8(fl>>11) & 0xf
	h.AA = fl&0x0400 != 0
	h.TC = fl&0x0200 != 0
	h.RD = fl&0x0100 != 0
	h.RA = fl&0x0080 != 0
	h.Z = uint8(fl>>4) & 0x7
	h.Rcode = uint8(fl & 0xf)
	h.QDCount = binary.BigEndian.Uint16(b[4:])
	h.ANCount = binary.BigEndian.Uint16(b[6:])
	h.NSCount = binary.BigEndian.Uint16(b[8:])
	h.ARCount = binary.BigEndian.Uint16(b[10:])
	return h, true
}

// Question is one entry of the question section (for dynamic updates, the
// zone section).
type Question struct {
	Name  []byte // lower-cased, no trailing dot
	Type  uint16
	Class uint16

	ns, ne int
}

// RR is one resource record.
type RR struct {
	Section Section
	Name    []byte // owner name, lower-cased, no trailing dot
	Type    uint16
	Class   uint16
	TTL     uint32
	RData   []byte // raw RDATA, a view into the message
	// Text is the string Zeek's base scripts log in dns.log's answers for
	// this record (empty when they log none).
	Text []byte
	// Reply reports whether Zeek's scripts see this record as a reply
	// (DNS::do_reply): it then counts for rtt, AA/RA and query even when
	// Text is empty (WKS).
	Reply bool

	ns, ne, ts, te int
}

// Message is a parsed DNS message. Slices point into the parser's buffers
// and the message bytes: valid until the next Parse.
type Message struct {
	Header
	Questions []Question
	Records   []RR
	// TooManyQueries is set when QDCount exceeded MaxQueries: nothing past
	// the header was parsed (Zeek's DNS_Conn_count_too_large).
	TooManyQueries bool
	// QuestionsOK and AnswersOK report whether the question and answer
	// sections were parsed to their announced counts; Complete whether
	// every section parsed was.
	QuestionsOK bool
	AnswersOK   bool
	Complete    bool
}

// Parser parses DNS messages, reusing its buffers: after warm-up a Parse
// allocates nothing. The zero value is ready; set the options before use.
type Parser struct {
	// NetBIOS selects NetBIOS name service rules (responder port 137):
	// labels may be longer than 63 bytes, type 33 is NBSTAT, not SRV, and
	// opcodes have NetBIOS names.
	NetBIOS bool
	// AllSections parses the authority and additional sections too. Zeek
	// skips them by default (dns_skip_all_auth/addl), so its dns.log only
	// depends on the question and answer sections (and, for dynamic
	// updates, the update section, which is parsed whatever this says).
	AllSections bool

	msg   Message
	arena []byte
	b     []byte
}

// Parse parses b. It returns nil when b is shorter than a header. A
// malformed message yields what was parsed before the fault.
func (p *Parser) Parse(b []byte) *Message {
	h, ok := ParseHeader(b)
	if !ok {
		return nil
	}
	m := &p.msg
	m.Header = h
	m.Questions = m.Questions[:0]
	m.Records = m.Records[:0]
	m.TooManyQueries, m.QuestionsOK, m.AnswersOK, m.Complete = false, false, false, false
	p.arena = p.arena[:0]
	p.b = b
	defer func() { p.b = nil }()

	if h.QDCount > MaxQueries {
		m.TooManyQueries = true
		return m
	}
	p.reserve(len(b))
	off := HeaderLen
	off, ok = p.questions(off)
	m.QuestionsOK = ok
	if ok {
		update := h.Opcode == 5 && !p.NetBIOS
		off, ok = p.records(off, int(h.ANCount), Answer)
		m.AnswersOK = ok
		if ok && (p.AllSections || update) {
			off, ok = p.records(off, int(h.NSCount), Authority)
			if ok && p.AllSections {
				_, ok = p.records(off, int(h.ARCount), Additional)
			}
			m.Complete = ok
		} else {
			m.Complete = ok && h.NSCount == 0 && h.ARCount == 0
		}
	}
	// The arena is final: point the slices into it.
	for i := range m.Questions {
		q := &m.Questions[i]
		q.Name = p.arena[q.ns:q.ne:q.ne]
	}
	for i := range m.Records {
		r := &m.Records[i]
		r.Name = p.arena[r.ns:r.ne:r.ne]
		r.Text = p.arena[r.ts:r.te:r.te]
	}
	return m
}

// arenaCap is the room a parser's arena gets on its first message: the
// names and answers of most messages fit.
const arenaCap = 512

// minRRLen is the smallest resource record: a root owner name and the
// fixed fields.
const minRRLen = 11

// emptied returns a zero Parser that keeps p's buffers for reuse, unless
// an unusual message grew them past what a typical one needs.
func (p *Parser) emptied() Parser {
	var e Parser
	if cap(p.arena) <= 4*arenaCap {
		e.arena = p.arena[:0]
	}
	if cap(p.msg.Questions) <= 4 {
		e.msg.Questions = p.msg.Questions[:0]
	}
	if cap(p.msg.Records) <= 32 {
		e.msg.Records = p.msg.Records[:0]
	}
	return e
}

// reserve gives the buffers room for the n-byte message whose header is
// in p.msg before it is parsed, so that they are not grown step by step
// (a UDP connection's parser sees a message or two): the arena gets
// arenaCap bytes once, the lists the announced question and record counts
// (records bounded by what n bytes can hold).
func (p *Parser) reserve(n int) {
	m := &p.msg
	if cap(p.arena) == 0 {
		p.arena = make([]byte, 0, arenaCap)
	}
	if q := int(m.QDCount); cap(m.Questions) < q {
		m.Questions = make([]Question, 0, q)
	}
	r := int(m.ANCount)
	if p.AllSections || m.Opcode == 5 && !p.NetBIOS {
		r += int(m.NSCount)
	}
	if p.AllSections {
		r += int(m.ARCount)
	}
	if r = min(r, (n-HeaderLen)/minRRLen); cap(m.Records) < r {
		m.Records = make([]RR, 0, r)
	}
}

func (p *Parser) questions(off int) (int, bool) {
	m := &p.msg
	for n := int(m.QDCount); n > 0; n-- {
		ns := len(p.arena)
		off = p.name(off, maxNameBuf)
		ne := len(p.arena)
		if len(p.b)-off < 4 || len(p.arena) > maxArena {
			return off, false
		}
		m.Questions = append(m.Questions, Question{
			Type:  binary.BigEndian.Uint16(p.b[off:]),
			Class: binary.BigEndian.Uint16(p.b[off+2:]),
			ns:    ns, ne: ne,
		})
		off += 4
	}
	return off, true
}

func (p *Parser) records(off, n int, sec Section) (int, bool) {
	for ; n > 0; n-- {
		var ok bool
		off, ok = p.record(off, sec)
		if !ok || len(p.arena) > maxArena {
			return off, false
		}
	}
	return off, true
}

// record parses one resource record at off.
func (p *Parser) record(off int, sec Section) (int, bool) {
	b := p.b
	m := &p.msg
	ns := len(p.arena)
	off = p.name(off, maxNameBuf)
	ne := len(p.arena)
	if len(b)-off < 10 {
		return off, false
	}
	r := RR{
		Section: sec,
		Type:    binary.BigEndian.Uint16(b[off:]),
		Class:   binary.BigEndian.Uint16(b[off+2:]),
		TTL:     binary.BigEndian.Uint32(b[off+4:]),
		ns:      ns, ne: ne,
	}
	rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
	off += 10
	if rdlen > len(b)-off {
		return off, false
	}
	rd := off
	r.RData = b[rd : rd+rdlen : rd+rdlen]
	r.ts = len(p.arena)
	r.te = r.ts
	ok := true
	switch {
	case m.Opcode == 5 && !p.NetBIOS && sec == Answer:
		p.prereq(&r)
	case m.Opcode == 5 && !p.NetBIOS && sec == Authority && (r.Class == ClassANY || r.Class == ClassNONE):
		p.deletion(&r)
	default:
		ok = p.rdata(&r, rd, rdlen)
		if ok && r.Reply && m.Opcode == 5 && !p.NetBIOS && sec == Authority && r.te > r.ts {
			p.prefixAdd(&r)
		}
	}
	m.Records = append(m.Records, r)
	return rd + rdlen, ok
}

// prefixAdd turns r's text into "add: TEXT" (Zeek's rendering of an
// addition in a dynamic update).
func (p *Parser) prefixAdd(r *RR) {
	n := r.te - r.ts
	p.arena = append(p.arena, "add: "...)
	copy(p.arena[r.ts+5:], p.arena[r.ts:r.ts+n])
	copy(p.arena[r.ts:], "add: ")
	r.te = len(p.arena)
}

// prereq renders a dynamic-update prerequisite (RFC 2136 2.4).
func (p *Parser) prereq(r *RR) {
	a := append(p.arena, "pre: "...)
	name := p.arena[r.ns:r.ne]
	switch {
	case r.Class == ClassNONE && r.Type == TypeANY:
		a = append(append(a, "NameNotInUse "...), name...)
	case r.Class == ClassANY && r.Type == TypeANY:
		a = append(append(a, "NameInUse "...), name...)
	case r.Class == ClassNONE:
		a = appendTypeName(append(a, "NoRRSet "...), r.Type)
		a = append(append(a, ' '), name...)
	default:
		a = appendTypeName(append(a, "RRSetExists "...), r.Type)
		a = append(append(a, ' '), name...)
	}
	p.arena = a
	r.te = len(a)
	r.Reply = true
}

// deletion renders a dynamic-update deletion (RFC 2136 2.5.2-4).
func (p *Parser) deletion(r *RR) {
	a := append(p.arena, "del: "...)
	name := p.arena[r.ns:r.ne]
	switch {
	case r.Class == ClassANY && r.Type == TypeANY:
		a = append(append(a, "RRSet * "...), name...)
	case r.Class == ClassNONE:
		a = appendTypeName(append(a, "RR "...), r.Type)
		a = append(append(a, ' '), name...)
	default:
		a = appendTypeName(append(a, "RRSet "...), r.Type)
	}
	p.arena = a
	r.te = len(a)
	r.Reply = true
}

// rdata parses r's RDATA (rdlen bytes at rd) and renders Zeek's answer
// string into the arena. It reports false where Zeek stops parsing the
// message.
func (p *Parser) rdata(r *RR, rd, rdlen int) bool {
	b := p.b
	end := rd + rdlen
	d := b[rd:end]
	switch r.Type {
	case TypeA:
		if rdlen != 4 {
			return false
		}
		p.reply(r)
		if p.msg.Opcode == 5 && !p.NetBIOS {
			p.arena = append(append(append(p.arena, "A "...), p.arena[r.ns:r.ne]...), ' ')
		}
		p.arena = netip.AddrFrom4([4]byte(d)).AppendTo(p.arena)
	case TypeAAAA, TypeA6:
		if rdlen < 16 {
			return false
		}
		p.reply(r)
		if p.msg.Opcode == 5 && !p.NetBIOS {
			p.arena = appendTypeName(p.arena, r.Type)
			p.arena = append(append(append(p.arena, ' '), p.arena[r.ns:r.ne]...), ' ')
		}
		p.arena = netip.AddrFrom16([16]byte(d[:16])).AppendTo(p.arena)
	case TypeNS, TypeCNAME, TypePTR:
		p.reply(r)
		p.nameWithin(rd, end)
	case TypeMX:
		if rdlen < 2 {
			return false
		}
		p.reply(r)
		p.nameWithin(rd+2, end)
	case TypeSOA:
		p.reply(r)
		o := p.nameWithin(rd, end)
		// rname is parsed (into scratch space, dropped) to find the
		// fixed fields after it.
		mark := len(p.arena)
		o = p.nameWithin(o, end)
		p.arena = p.arena[:mark]
		if end-o < 20 {
			r.Reply = false
			p.arena = p.arena[:r.ts]
			return false
		}
	case TypeWKS:
		p.reply(r)
	case TypeHINFO:
		// No dns.log output; Zeek requires exactly two strings.
		n := rdlen
		o := rd
		for range 2 {
			if n <= 0 {
				break
			}
			l := int(b[o])
			n--
			o++
			if l > n {
				return false
			}
			n -= l
			o += l
		}
		return n == 0
	case TypeTXT, TypeSPF:
		return p.txt(r, d)
	case TypeCAA:
		if rdlen < 2 || int(d[1]) >= rdlen-2 {
			return false
		}
	case TypeNBS, TypeTKEY, TypeTSIG:
		// Parsed by Zeek into events dns.log does not use.
	case TypeSRV:
		if p.NetBIOS {
			return true // NBSTAT: Zeek does not parse it
		}
		if rdlen < 6 {
			return false
		}
		p.reply(r)
		p.nameWithin(rd+6, end)
	case TypeNAPTR:
		return p.naptr(r, rd, end)
	case TypeOPT:
		return ednsOK(d)
	case TypeRRSIG:
		if rdlen < 18 {
			return false
		}
		p.reply(r)
		p.arena = append(p.arena, "RRSIG "...)
		p.arena = strconv.AppendUint(p.arena, uint64(binary.BigEndian.Uint16(d)), 10)
		p.arena = append(p.arena, ' ')
		mark := len(p.arena)
		p.nameWithin(rd+18, end)
		if len(p.arena) == mark {
			p.arena = append(p.arena, "<Root>"...)
		}
	case TypeDNSKEY:
		if rdlen < 4 {
			return false
		}
		p.reply(r)
		p.arena = strconv.AppendUint(append(p.arena, "DNSKEY "...), uint64(d[3]), 10)
	case TypeDS:
		if rdlen < 4 {
			return false
		}
		p.reply(r)
		p.arena = strconv.AppendUint(append(p.arena, "DS "...), uint64(d[2]), 10)
		p.arena = strconv.AppendUint(append(p.arena, ' '), uint64(d[3]), 10)
	case TypeNSEC:
		p.reply(r)
		p.arena = append(append(p.arena, "NSEC "...), p.arena[r.ns:r.ne]...)
		p.arena = append(p.arena, ' ')
		p.nameWithin(rd, end)
	case TypeNSEC3:
		if rdlen < 6 {
			return false
		}
		p.reply(r)
		p.arena = append(p.arena, "NSEC3"...)
	case TypeNSEC3PARAM:
		if rdlen < 5 {
			return false
		}
		p.reply(r)
		p.arena = append(p.arena, "NSEC3PARAM"...)
	case TypeBINDS:
		if rdlen < 5 {
			return false
		}
		p.reply(r)
		p.arena = append(p.arena, "BIND9 signing signal"...)
	case TypeSSHFP:
		if rdlen < 2 {
			return false
		}
		p.reply(r)
		p.arena = append(p.arena, "SSHFP: "...)
		for _, c := range d[2:] {
			p.arena = append(p.arena, hexDigits[c>>4], hexDigits[c&0xf])
		}
	case TypeLOC:
		if rdlen < 16 {
			return false
		}
		p.reply(r)
		p.arena = strconv.AppendUint(append(p.arena, "LOC:  "...), uint64(d[1]), 10)
		p.arena = strconv.AppendUint(append(p.arena, ' '), uint64(d[2]), 10)
		p.arena = strconv.AppendUint(append(p.arena, ' '), uint64(d[3]), 10)
	case TypeSVCB, TypeHTTPS:
		// No dns.log output; the target name must be there.
		if rdlen < 3 {
			return false
		}
	default:
		p.reply(r)
		p.arena = append(p.arena, "<unknown type="...)
		p.arena = append(strconv.AppendUint(p.arena, uint64(r.Type), 10), '>')
	}
	r.te = len(p.arena)
	return true
}

const hexDigits = "0123456789abcdef"

func (p *Parser) reply(r *RR) { r.Reply = true }

// txt renders TXT/SPF character strings as Zeek's "TXT <len> <text>"
// joined by spaces. A string running past RDATA ends the message's parse
// after the strings before it are kept.
func (p *Parser) txt(r *RR, d []byte) bool {
	p.reply(r)
	kw := "TXT "
	if r.Type == TypeSPF {
		kw = "SPF "
	}
	first := true
	for len(d) > 0 {
		l := int(d[0])
		d = d[1:]
		if l > len(d) {
			r.te = len(p.arena)
			return false
		}
		if !first {
			p.arena = append(p.arena, ' ')
		}
		first = false
		p.arena = append(p.arena, kw...)
		p.arena = strconv.AppendUint(p.arena, uint64(l), 10)
		p.arena = append(p.arena, ' ')
		p.arena = append(p.arena, d[:l]...)
		d = d[l:]
	}
	r.te = len(p.arena)
	return true
}

// naptr renders "NAPTR order pref flags service [regexp] [replacement]".
func (p *Parser) naptr(r *RR, rd, end int) bool {
	b := p.b
	if end-rd < 4 {
		return false
	}
	order := binary.BigEndian.Uint16(b[rd:])
	pref := binary.BigEndian.Uint16(b[rd+2:])
	o := rd + 4
	var strs [3][]byte
	for i := range strs {
		if o >= end {
			return false
		}
		l := int(b[o])
		o++
		if l > end-o {
			return false
		}
		strs[i] = b[o : o+l]
		o += l
	}
	p.reply(r)
	a := append(p.arena, "NAPTR "...)
	a = strconv.AppendUint(a, uint64(order), 10)
	a = strconv.AppendUint(append(a, ' '), uint64(pref), 10)
	a = append(append(a, ' '), strs[0]...)
	a = append(append(a, ' '), strs[1]...)
	a = append(a, ' ')
	a = append(a, strs[2]...)
	p.arena = a
	mark := len(a)
	if len(strs[2]) > 0 {
		p.arena = append(p.arena, ' ')
	}
	nm := len(p.arena)
	p.nameWithin(o, end)
	if len(p.arena) == nm {
		p.arena = p.arena[:mark]
	}
	r.te = len(p.arena)
	return true
}

// ednsOK walks EDNS options; leftover bytes are a truncated option, which
// ends Zeek's parse (EDNS_truncated_option).
func ednsOK(d []byte) bool {
	for len(d) >= 4 {
		l := int(binary.BigEndian.Uint16(d[2:]))
		d = d[4:]
		if l > len(d) {
			return false
		}
		d = d[l:]
	}
	return len(d) == 0
}

// nameWithin decodes the name at off into the arena, reading in place no
// further than end (the RDATA's end), and returns the offset after it.
func (p *Parser) nameWithin(off, end int) int {
	b := p.b
	p.b = b[:end]
	off = p.name(off, maxNameBuf)
	p.b = b
	return off
}

// name decodes the (possibly compressed) name at off into the arena,
// lower-cased, and returns the offset after its in-place part. It follows
// Zeek's ExtractName: the name ends, keeping the labels read so far, at
// the message's end, a forward or too deep pointer, an over-long label or
// a full name buffer.
func (p *Parser) name(off, space int) int {
	start := len(p.arena)
	off, _ = p.extract(off, len(p.b), space, 0)
	a := p.arena
	for i := start; i < len(a); i++ {
		if c := a[i]; c >= 'A' && c <= 'Z' {
			a[i] = c + 'a' - 'A'
		}
	}
	return off
}

// extract reads labels from msg[off:end] into the arena; space is what is
// left of the name buffer. It returns the offset after the in-place bytes
// and the space left.
func (p *Parser) extract(off, end, space, hops int) (int, int) {
	b := p.b
	start := len(p.arena)
	for {
		if end-off <= 0 {
			break
		}
		here := off
		l := int(b[off])
		off++
		if end-off <= 0 || l == 0 {
			break
		}
		if l&0xc0 == 0xc0 {
			ptr := (l&0x3f)<<8 | int(b[off])
			off++
			if ptr >= here || hops >= maxPointerHops {
				break
			}
			before := len(p.arena)
			_, _ = p.extract(ptr, here, space, hops+1)
			space -= len(p.arena) - before
			break
		}
		if l > end-off {
			off = end
			break
		}
		if (l > 63 && !p.NetBIOS) || l >= space {
			break
		}
		p.arena = append(p.arena, b[off:off+l]...)
		p.arena = append(p.arena, '.')
		space -= l + 1
		off += l
	}
	if n := len(p.arena) - start; n >= 2 && p.arena[len(p.arena)-1] == '.' {
		p.arena = p.arena[:len(p.arena)-1]
	}
	return off, space
}
