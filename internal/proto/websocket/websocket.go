// Package websocket analyzes the WebSocket frames (RFC 6455) of a
// connection the HTTP analyzer handed over after a 101 Switching Protocols
// (internal/proto/http writes websocket.log, Zeek's, at that point), and
// what they carry: as Zeek's WebSocket analyzer attaches a PIA to the
// payload, the text and binary messages' payload — unmasked, reassembled
// in order across frames, each side a stream — is matched against every
// registered analyzer, and the one that recognises it (SSH, TLS, HTTP …
// through wstunnel, chisel or a browser's tunnel) analyses the rest. Its
// records carry the connection's uid, and conn.log's service lists it
// after "websocket" ("http,websocket,ssh"), unless it recognised its
// protocol before the first whole WebSocket message ("http,ssl,websocket").
//
// The analyzer confirms the protocol ("websocket") at the first whole
// message. Control frames (close, ping, pong) carry nothing on. Like
// Zeek's, it stops at the first content gap. Messages compressed with
// permessage-deflate are passed on as they are (not inflated).
//
// Bounds, per connection: a frame header of at most 14 bytes is held;
// payload is never buffered but for detection, which keeps at most
// DetectBytes of each side and gives up on both past MaxUndecided. The
// protocol inside is the one that recognises the first payload of the
// side that spoke first (Zeek's signatures are anchored at the start of
// each side's stream, and both must match).
package websocket

import (
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Bounds (see the package comment).
const (
	DetectBytes  = 1024
	MaxUndecided = 16 << 10
)

// Name is the analyzer's service name.
const Name = "websocket"

func init() {
	proto.Register(&proto.Factory{
		Name:       Name,
		Transports: []uint8{6},
		// No Detect: only handed over to (proto.Upgrader).
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// Opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
)

// side parses one direction's frames.
type side struct {
	hdr     [14]byte
	nhdr    int    // header bytes held
	need    int    // header bytes this frame's header has (2 until the second byte is read)
	left    uint64 // payload bytes of the current frame still to come
	mask    [4]byte
	masked  bool
	maskPos int
	fin     bool
	opcode  byte // the current frame's opcode
	message byte // the opcode of the data message in progress (text or binary), 0 for none
	first   []byte
	scratch []byte
}

// chunk is payload kept while the inner protocol is undecided.
type chunk struct {
	dir  proto.Direction
	ts   int64
	data []byte
}

// Analyzer is the WebSocket analyzer of one connection; it implements
// proto.Analyzer.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	sides     [2]side
	confirmed bool
	dead      bool // a gap: nothing more is parsed

	// The protocol inside, once detected (inner), or given up on.
	inner      proto.Analyzer
	innerName  string
	innerFirst bool // the inner analyzer confirmed before the first whole message
	undecided  bool // still looking
	kept       []chunk
	keptBytes  int
	firstDir   proto.Direction // the side whose payload came first
	factories  []*proto.Factory
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out, undecided: true}
}

// Service implements proto.Analyzer: "websocket" once a whole message was
// parsed, with the inner protocol's service.
func (a *Analyzer) Service() string {
	inner := ""
	if a.inner != nil {
		inner = a.inner.Service()
	}
	switch {
	case !a.confirmed:
		return inner
	case inner == "":
		return Name
	case a.innerFirst:
		return inner + "," + Name
	}
	return Name + "," + inner
}

// Gap implements proto.Analyzer: parsing stops, as Zeek's.
func (a *Analyzer) Gap(dir proto.Direction, n int) {
	if n > 0 {
		a.dead = true
		if a.inner != nil {
			a.inner.Gap(dir, n)
		}
	}
}

// End implements proto.Analyzer.
func (a *Analyzer) End(ts int64) {
	if a.inner != nil {
		a.inner.End(ts)
	}
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	s := &a.sides[dir]
	for len(data) > 0 && !a.dead {
		if s.left == 0 {
			if !a.header(s, &data) {
				return
			}
			if s.left == 0 { // an empty frame
				a.frameDone(s)
				continue
			}
		}
		n := int(min(s.left, uint64(len(data))))
		payload := data[:n]
		data = data[n:]
		s.left -= uint64(n)
		if s.message != 0 && s.opcode <= opBinary {
			a.payload(dir, ts, s, payload)
		}
		if s.left == 0 {
			a.frameDone(s)
		}
	}
}

// header reads the next frame's header from data; false when it is not
// whole yet (the bytes are held).
func (a *Analyzer) header(s *side, data *[]byte) bool {
	if s.need == 0 {
		s.need = 2
	}
	for s.nhdr < s.need {
		if len(*data) == 0 {
			return false
		}
		n := copy(s.hdr[s.nhdr:s.need], *data)
		s.nhdr += n
		*data = (*data)[n:]
		if s.nhdr == 2 && s.need == 2 {
			s.need = 2 + extLen(s.hdr[1]&0x7f)
			if s.hdr[1]&0x80 != 0 {
				s.need += 4
			}
		}
	}
	h := s.hdr[:s.nhdr]
	s.fin, s.opcode, s.masked = h[0]&0x80 != 0, h[0]&0x0f, h[1]&0x80 != 0
	switch n := h[1] & 0x7f; n {
	case 126:
		s.left = uint64(h[2])<<8 | uint64(h[3])
	case 127:
		s.left = 0
		for _, c := range h[2:10] {
			s.left = s.left<<8 | uint64(c)
		}
	default:
		s.left = uint64(n)
	}
	if s.masked {
		copy(s.mask[:], h[s.nhdr-4:])
		s.maskPos = 0
	}
	s.nhdr, s.need = 0, 0
	switch s.opcode {
	case opText, opBinary:
		s.message = s.opcode
	case opContinuation:
	default:
		if s.opcode < 8 { // a reserved data opcode: its payload is not passed on
			s.message = 0
		}
	}
	return true
}

// extLen is how many bytes of extended length a 7-bit length announces.
func extLen(n byte) int {
	switch n {
	case 126:
		return 2
	case 127:
		return 8
	}
	return 0
}

// needsBothSides are the protocols whose analyzer Zeek confirms inside a
// tunnel only once both sides have spoken (their signatures require the
// reverse direction's, and the analyzer confirms after that), where
// Vigil's confirm on one side's first bytes: for the order of conn.log's
// services (Zeek's TLS confirms earlier: wstunnel's HTTPS is
// "http,ssl,websocket", its SSH "http,websocket,ssh").
var needsBothSides = map[string]bool{"ssh": true, "http": true}

// frameDone ends a frame: a final data frame, or any control frame, ends
// a message.
func (a *Analyzer) frameDone(s *side) {
	control := s.opcode >= 8
	if !s.fin && !control {
		return
	}
	if !a.confirmed {
		a.confirmed = true
		a.innerFirst = a.inner != nil && a.inner.Service() != "" &&
			(!needsBothSides[a.innerName] || len(a.sides[0].first) > 0 && len(a.sides[1].first) > 0)
	}
	if !control {
		s.message = 0
	}
}

// payload unmasks a data frame's payload and passes it on.
func (a *Analyzer) payload(dir proto.Direction, ts int64, s *side, p []byte) {
	if s.masked {
		s.scratch = append(s.scratch[:0], p...)
		for i := range s.scratch {
			s.scratch[i] ^= s.mask[s.maskPos&3]
			s.maskPos++
		}
		p = s.scratch
	}
	switch {
	case a.inner != nil:
		if f, ok := a.inner.(proto.Finisher); !ok || !f.Finished() {
			a.inner.Data(dir, ts, p)
		}
	case a.undecided:
		a.detect(dir, ts, p)
	}
}

// detect keeps p and looks for the protocol inside in what each side sent
// first; once one is Likely or Sure, its analyzer gets the kept payload
// in order, then the rest.
func (a *Analyzer) detect(dir proto.Direction, ts int64, p []byte) {
	s := &a.sides[dir]
	if room := DetectBytes - len(s.first); room > 0 {
		s.first = append(s.first, p[:min(len(p), room)]...)
	}
	a.kept = append(a.kept, chunk{dir, ts, append([]byte(nil), p...)})
	a.keptBytes += len(p)
	if len(a.kept) == 1 {
		a.firstDir = dir
	}
	// As Zeek's signatures, anchored at the start of each side's stream,
	// the side that spoke first must be recognised: a server's binary
	// greeting is no HTTP, whatever its client sends next.
	first := a.sides[a.firstDir].first
	var best *proto.Factory
	bestConf := proto.No
	if a.factories == nil {
		a.factories = proto.Factories()
	}
	for _, f := range a.factories {
		if f.Detect == nil || !hasTCP(f) {
			continue
		}
		if c := f.Detect(a.firstDir, first, a.ci.RespP, 6); c > bestConf {
			best, bestConf = f, c
		}
	}
	if bestConf < proto.Likely {
		if a.keptBytes > MaxUndecided {
			a.undecided, a.kept = false, nil
		}
		return
	}
	a.undecided = false
	a.inner, a.innerName = best.New(a.ci, a.out), best.Name
	for _, c := range a.kept {
		a.inner.Data(c.dir, c.ts, c.data)
	}
	a.kept = nil
}

func hasTCP(f *proto.Factory) bool {
	for _, t := range f.Transports {
		if t == 6 {
			return true
		}
	}
	return false
}
