package http

import (
	"bytes"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Parser states of one side.
type state uint8

const (
	stFirst      state = iota // expecting a request or status line
	stHeaders                 // in the headers of a message
	stBody                    // Content-Length body: remain bytes left
	stChunkSize               // expecting a chunk-size line
	stChunkData               // in chunk data: remain bytes left
	stChunkCRLF               // expecting the CRLF after chunk data
	stTrailers                // in the trailer of a chunked body
	stUntilClose              // body runs until the connection closes
	stDead                    // no more parsing on this side
)

// body expectation of a message (Zeek's HTTP_BODY_*).
const (
	bodyMaybe = iota
	bodyExpected
	bodyNotExpected
)

type side struct {
	st      state
	line    []byte // the line being assembled (≤ MaxLine)
	lineLen int    // its length on the wire, truncated part included
	skipLF  bool   // the last line ended with CR: a following LF belongs to it

	// The message being parsed.
	inMsg    bool
	expect   int
	hdr      []byte // the header waiting for possible continuation lines
	hasHdr   bool
	nHeaders int
	cl       int64 // Content-Length, -1 if none
	// For weirds (weird.go): the header waiting in hdr was folded over
	// lines; the message has Expect; its Content-Range's length (0: none).
	folded     bool
	expect100  bool
	rangeLen   int64
	chunked    bool
	remain     int64
	bodyLen    uint64
	sniff      []byte
	sniffDone  bool
	noSniff    bool // 206: the body is not the start of a file
	filename   []byte
	hasFile    bool
	http09Resp bool      // the whole side is one HTTP/0.9 reply body
	enc        int       // Content-Encoding to decode (encNone, encGzip, encDeflate)
	z          *inflater // decoder of the current body, if encoded
	rangeZero  bool      // Content-Range starts at byte 0
	offset     int64     // stream bytes seen (gaps included)

	truncLines uint64

	// hdr points into memory the side does not own (the delivery being
	// parsed, or line) rather than into hdrBuf: see keepHdr.
	hdrBorrowed bool
	hdrBuf      []byte // the side's own copy of hdr, when it has one
}

// Analyzer is the HTTP analyzer of one connection. It implements
// proto.Analyzer.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink
	now int64

	sides [2]side

	// Zeek's HTTP::State.
	pend       []*txn // pending transactions, ordered by idx
	curReq     int
	curResp    int
	transDepth int
	free       []*txn

	// Analyzer-level state (HTTP_Analyzer).
	proto.Named // conn.log service, once confirmed
	numRequests int
	keepAlive   bool
	// reqVersion and respVersion are the versions of the latest request
	// and reply lines (zero: none yet), for HTTP_version_mismatch;
	// weirds are the weirds logged for the connection (weird.go).
	reqVersion, respVersion [2]byte
	weirds                  proto.Weirds
	connectReq              bool
	unanswered              []bool // per unanswered request: was it HEAD
	upgradeConn             bool
	upgradeProt             bool
	upgradeWS               bool         // the reply's Upgrade is websocket
	ws                      *wsHandshake // the Sec-WebSocket-* headers seen (websocket.go)
	upgradeTo               string       // the analyzer a 101 hands over to ("" after a CONNECT)
	replyCode               int
	reqOngoing              bool
	respOngoing             bool
	// A CONNECT answered by 200 (Zeek's condition) makes the rest a
	// tunnel whose protocol is detected again (see Upgrade).
	tunnel     uint8 // tunnelNone … tunnelAsked
	tunnelUsed int   // HTTP bytes of the Data call that opened it

	buf      []byte   // record encoding buffer
	fields   rec.HTTP // where write put the record's busiest fields
	formName []byte   // scratch for the form fields' names (form.go)

	h2 h2state // HTTP/2 (h2c), see h2.go
}

// Tunnel states.
const (
	tunnelNone   = iota
	tunnelOpened // the reply's headers ended: the tunnel is open
	tunnelReady  // tunnelUsed is known: Upgrade may report it
	tunnelAsked  // Upgrade reported it
)

// Upgrade implements proto.Upgrader: after a CONNECT answered by 200, the
// bytes that follow the reply's headers are another protocol, detected
// again by content (next ""), as Zeek attaches a PIA to the tunnel; after
// a 101 switching to WebSocket, they are WebSocket frames (next
// "websocket", as Zeek's HTTP::upgrade_analyzers).
func (a *Analyzer) Upgrade() (next string, consumed int, ok bool) {
	if a.tunnel != tunnelReady {
		return "", 0, false
	}
	a.tunnel = tunnelAsked
	return a.upgradeTo, a.tunnelUsed, true
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	a := &Analyzer{}
	a.init(ci, out)
	return a
}

// init sets up an analyzer, zero but for buffers, for the connection ci
// writing to out.
func (a *Analyzer) init(ci *proto.ConnInfo, out proto.Sink) {
	a.ci, a.out = ci, out
	for i := range a.sides {
		a.sides[i].cl = -1
	}
}

// Reuse implements proto.Reuser: the analyzer, ended, becomes what New
// returns for ci and out, keeping its transactions kept for reuse, its
// record buffer and each side's line, header and sniff buffers.
func (a *Analyzer) Reuse(ci *proto.ConnInfo, out proto.Sink) {
	kept := Analyzer{free: a.free, buf: proto.ReuseBuf(a.buf, MaxLine)}
	for i := range kept.sides {
		s, k := &a.sides[i], &kept.sides[i]
		k.line = proto.ReuseBuf(s.line, MaxLine)
		k.hdrBuf = proto.ReuseBuf(s.hdrBuf, MaxLine)
		k.sniff = proto.ReuseBuf(s.sniff, SniffLen)
	}
	*a = kept
	a.init(ci, out)
}

// TruncatedLines reports how many over-long lines dir sent (each kept
// truncated to MaxLine bytes).
func (a *Analyzer) TruncatedLines(dir proto.Direction) uint64 { return a.sides[dir&1].truncLines }

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	a.now = ts
	if a.h2.no && a.h2.c == nil {
		// HTTP/2 can no longer start: data is HTTP/1.x (data1, inlined).
		a.parse1(dir, data)
		a.sides[dir].keepHdr()
		return
	}
	a.h2Route(dir, data)
}

// data1 parses dir's bytes as HTTP/1.x.
func (a *Analyzer) data1(dir proto.Direction, data []byte) {
	a.parse1(dir, data)
	// A header still waiting for its next line outlives data.
	a.sides[dir].keepHdr()
}

// keepHdr copies a pending header that points into memory the side does
// not own to hdrBuf. A header line is parsed where it lies, like any
// line: it is kept only when the delivery ends (or line is reused) before
// the next line shows whether a continuation line follows.
func (s *side) keepHdr() {
	if s.hasHdr && s.hdrBorrowed {
		s.hdrBuf = append(s.hdrBuf[:0], s.hdr...)
		s.hdr = s.hdrBuf
	}
	s.hdrBorrowed = false
}

// parse1 parses dir's bytes as HTTP/1.x; a pending header may still point
// into data when it returns (see keepHdr).
func (a *Analyzer) parse1(dir proto.Direction, data []byte) {
	s := &a.sides[dir]
	s.offset += int64(len(data))
	total := len(data)
	for len(data) > 0 {
		if s.skipLF {
			s.skipLF = false
			if data[0] == '\n' {
				data = data[1:]
				continue
			}
		}
		switch s.st {
		case stDead:
			if c := a.h2.c; c != nil && c.on[dir] {
				c.data(a, dir, data) // after an h2c upgrade
			}
			return
		case stUntilClose:
			if s.http09Resp && !s.inMsg {
				// The first bytes of an HTTP/0.9 reply: Zeek reports a
				// reply with version 0.9, code 0 and no reason.
				a.setVersion(&a.respVersion, [2]byte{0, 9})
				a.reply([2]byte{0, 9}, 0, nil, false)
				s.st = stUntilClose
			}
			a.bodyData(dir, data)
			return
		case stBody, stChunkData:
			n := len(data)
			if int64(n) > s.remain {
				n = int(s.remain)
			}
			a.bodyData(dir, data[:n])
			data = data[n:]
			s.remain -= int64(n)
			if s.remain == 0 {
				if s.st == stBody {
					a.messageDone(dir, false)
				} else {
					s.st = stChunkCRLF
				}
			}
			continue
		}
		if s.st == stHeaders && !s.hasHdr && len(s.line) == 0 && s.lineLen == 0 {
			var ended bool
			if data, ended = a.headerLines(dir, s, data); ended {
				if a.tunnel == tunnelOpened {
					// The reply to a CONNECT ended: what follows is tunnelled.
					a.tunnel, a.tunnelUsed = tunnelReady, total-len(data)
					return
				}
				continue
			}
		}
		// Line mode: the line ends at the first CR or LF.
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data)
		}
		if j := bytes.IndexByte(data[:i], '\r'); j >= 0 {
			i = j
		}
		var line []byte
		if len(s.line) == 0 && s.lineLen == 0 && i < len(data) && i <= MaxLine {
			line = data[:i] // whole in this delivery: parsed in place
		} else {
			s.keepHdr() // it may lie in line, which is about to change
			s.appendLine(data[:i])
			if i == len(data) {
				return
			}
			line = s.line
			s.line = s.line[:0]
			s.lineLen = 0
		}
		switch {
		case data[i] != '\r':
			data = data[i+1:]
		case i+1 < len(data) && data[i+1] == '\n':
			data = data[i+2:] // CRLF
		default:
			s.skipLF = true // the LF, if any, is in the next delivery
			data = data[i+1:]
		}
		a.lineDone(dir, line)
		if a.tunnel == tunnelOpened {
			// The reply to a CONNECT ended: what follows is tunnelled.
			if s.skipLF && len(data) > 0 && data[0] == '\n' {
				s.skipLF = false
				data = data[1:]
			}
			a.tunnel, a.tunnelUsed = tunnelReady, total-len(data)
			return
		}
	}
}

// headerLines handles, in place, the header lines at the start of data
// whose end is already known: a header is handled as soon as the line
// after it is whole in data and does not continue it (obsolete folding),
// just as lineDone would handle it when that line arrived. When the empty
// line that ends the headers is whole in data, it ends them too
// (headersDone) and ended is true: rest is data after that line.
// Otherwise rest is data from the first line it leaves to the
// line-at-a-time path: a header whose next line is not whole in data or
// continues it, a line too long to take in place, or the line after a
// header that stopped the parsing. s is dir's side, in stHeaders with no
// pending header and no partial line.
func (a *Analyzer) headerLines(dir proto.Direction, s *side, data []byte) (rest []byte, ended bool) {
	hdr, hdrEnd := -1, 0 // the header line waiting for the next one, if any
	pos := 0
	for {
		// The line at pos ends at the first CR or LF; it is taken only
		// when data holds its terminator (CRLF, LF, or CR and more bytes)
		// and it is no longer than MaxLine.
		lf := bytes.IndexByte(data[pos:], '\n')
		if lf < 0 {
			break
		}
		end := pos + lf
		next := end + 1
		if cr := bytes.IndexByte(data[pos:end], '\r'); cr >= 0 {
			if pos+cr+1 < end {
				next = pos + cr + 1 // a CR alone ends the line
			}
			end = pos + cr
		}
		if end-pos > MaxLine {
			break
		}
		if hdr >= 0 {
			if end > pos && isWS(data[pos]) {
				break // a continuation line: the line-at-a-time path unfolds it
			}
			a.header(dir, s, data[hdr:hdrEnd])
			hdr = -1
			if s.st != stHeaders {
				break
			}
		}
		if end == pos {
			a.headersDone(dir)
			return data[next:], true
		}
		hdr, hdrEnd, pos = pos, end, next
	}
	if hdr >= 0 {
		return data[hdr:], false
	}
	return data[pos:], false
}

func (s *side) appendLine(p []byte) {
	s.lineLen += len(p)
	if room := MaxLine - len(s.line); room < len(p) {
		if room > 0 {
			s.line = append(s.line, p[:room]...)
		}
		if s.lineLen-len(p) <= MaxLine {
			s.truncLines++
		}
		return
	}
	s.line = append(s.line, p...)
}

// Gap implements proto.Analyzer: n bytes of dir's stream are missing.
// Like Zeek, a gap inside a body of known length counts towards the body
// and parsing goes on after it; any other gap ends the message and stops
// parsing that side.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	dir &= 1
	s := &a.sides[dir]
	if n <= 0 || a.h2Gap(dir) || s.st == stDead {
		return
	}
	s.offset += int64(n)
	if (s.st == stBody || s.st == stChunkData) && s.remain >= int64(n) {
		s.bodyLen += uint64(n)
		a.finishSniff(dir)
		s.remain -= int64(n)
		if s.remain == 0 {
			if s.st == stBody {
				a.messageDone(dir, false)
			} else {
				s.st = stChunkCRLF
			}
		}
		return
	}
	a.finishSniff(dir)
	if dir == proto.FromOrig {
		a.requestMade(true)
		a.replyMade(true)
	} else {
		a.replyMade(true)
	}
	s.st = stDead
	s.line = s.line[:0]
}

// End implements proto.Analyzer: messages in progress end and every
// pending transaction is logged.
func (a *Analyzer) End(ts int64) {
	a.now = ts
	// Zeek: EndpointEOF ends bodies that run until close normally; the
	// connection's end then interrupts whatever is left.
	for d := proto.Direction(0); d < 2; d++ {
		s := &a.sides[d]
		if len(s.line) > 0 && s.st != stDead {
			// A last line without its terminator (Zeek's ContentLine
			// flushes it at EOF).
			line := s.line
			s.line = s.line[:0]
			a.lineDone(d, line)
			s.keepHdr()
		}
		a.finishSniff(d)
	}
	// Zeek ends the responder's message first when the server closes
	// first (the usual case for bodies that run until close); a request
	// still open then gets a fresh, empty transaction as in Zeek.
	a.replyMade(false)
	a.requestMade(false)
	for _, t := range a.pend {
		if t.idx != 0 {
			a.write(t)
		}
		a.release(t)
	}
	a.pend = a.pend[:0]
	a.h2EndAll()
	a.sides[0].st, a.sides[1].st = stDead, stDead
}

// bodyData delivers body bytes of dir's current message.
func (a *Analyzer) bodyData(dir proto.Direction, p []byte) {
	s := &a.sides[dir]
	if len(p) == 0 {
		return
	}
	if s.enc != encNone && s.z == nil {
		// Decode only while few bodies are being decoded at once: past
		// the bound, a body counts as it came (bounded goroutines).
		if s.z = newInflater(s.enc, SniffLen); s.z == nil {
			s.enc = encNone
		}
	}
	if s.enc != encNone {
		s.z.Write(p)
		return
	}
	s.bodyLen += uint64(len(p))
	if !s.sniffDone {
		room := SniffLen - len(s.sniff)
		if room > len(p) {
			room = len(p)
		}
		s.sniff = append(s.sniff, p[:room]...)
		if len(s.sniff) >= SniffLen {
			a.finishSniff(dir)
		}
	}
}

// finishSniff guesses the MIME type of the body seen so far (once per body)
// and adds it to the current transaction.
func (a *Analyzer) finishSniff(dir proto.Direction) {
	s := &a.sides[dir]
	if s.z != nil {
		// The decoded body replaces the bytes as sent; what follows (after
		// a gap) is counted as sent.
		n, sn := s.z.Close()
		s.z = nil
		s.enc = encNone
		s.bodyLen += n
		if !s.sniffDone {
			s.sniff = append(s.sniff[:0], sn...)
		}
	} else if s.enc != encNone && !s.sniffDone {
		s.enc = encNone
	}
	if s.sniffDone || !s.inMsg || (len(s.sniff) == 0 && s.bodyLen == 0) {
		return
	}
	s.sniffDone = true
	t := a.current(dir)
	if s.hasFile && len(s.filename) > 0 {
		if dir == proto.FromOrig {
			if len(t.origFiles) < maxListed {
				t.origFiles = append(t.origFiles, string(s.filename))
			}
		} else if len(t.respFiles) < maxListed {
			t.respFiles = append(t.respFiles, string(s.filename))
		}
	}
	if s.noSniff || len(s.sniff) == 0 {
		return
	}
	m := Sniff(s.sniff)
	if m == "" {
		return
	}
	if dir == proto.FromOrig {
		if len(t.origMime) < maxListed {
			t.origMime = append(t.origMime, m)
		}
	} else if len(t.respMime) < maxListed {
		t.respMime = append(t.respMime, m)
	}
}
