// Package dnp3 analyzes DNP3 over TCP and UDP and writes Zeek's dnp3.log
// (see Zeek's base/protocols/dnp3/main.zeek): a request's function code
// is remembered, and the next response's function code and internal
// indications complete the record, which is then written; a request
// without a response is written when the connection ends (a later request
// replaces it, as in Zeek).
//
// Framing follows the link layer: 0x05 0x64, a length, control and
// addresses, a header CRC, then user data in 16-byte blocks each followed
// by a CRC. The CRCs are checked and stripped; the transport byte's
// FIR/FIN bits delimit an application fragment, whose first bytes (control,
// function code and, from the responder, the IIN) make the record. A bad
// magic or CRC stops the analyzer as in Zeek. Unlike Zeek, a fragment whose
// first chunk was lost is dropped instead of stopping the analyzer, and a
// frame carrying no user data (length 5) consumes exactly its 10 bytes.
//
// State per direction is bounded: one link frame (at most 292 bytes) and
// the first 4 bytes of the current application fragment.
package dnp3

import (
	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// maxFrame is the largest link frame: 10 header bytes and 250 user-data
// bytes with 16 CRCs.
const maxFrame = 10 + 250 + 2*16

func init() {
	proto.Register(&proto.Factory{
		Partial:    true, // Zeek analyses it on connections picked up mid-stream
		Name:       "dnp3",
		Transports: []uint8{6, 17},
		Ports:      []uint16{20000},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Sure for a link header with a valid CRC, Likely for the magic
// alone, Maybe for port 20000.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if len(first) >= 2 && first[0] == 0x05 && first[1] == 0x64 {
		if len(first) < 10 {
			return proto.Likely
		}
		if checkCRC(first[:8], first[8:10]) && first[2] >= 5 {
			return proto.Sure
		}
		return proto.No
	}
	if respPort == 20000 {
		return proto.Maybe
	}
	return proto.No
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for j := 0; j < 8; j++ {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC returns the DNP3 CRC of b.
func CRC(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = crcTable[byte(c)^x] ^ c>>8
	}
	return ^c
}

func checkCRC(b, crc []byte) bool {
	c := CRC(b)
	return crc[0] == byte(c) && crc[1] == byte(c>>8)
}

type side struct {
	frame   [maxFrame]byte
	n       int // bytes of frame held
	want    int // frame length once the header is in; 10 before
	inFrag  bool
	frag    [4]byte
	nfrag   int
	dropped bool // the current fragment lost its first chunk
}

// Analyzer is the DNP3 analyzer of one connection (TCP or UDP).
type Analyzer struct {
	proto.Framed
	sides [2]side

	pending bool
	ts      int64
	fcReq   int
	fcRep   int
	iin     int
	line    []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{Framed: proto.Framed{CI: ci, Out: out, Name: "dnp3"}}
}

// End implements proto.Analyzer: a pending request is written.
func (a *Analyzer) End(ts int64) {
	if a.pending {
		a.write()
	}
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if int(dir) > 1 {
		return
	}
	s := &a.sides[dir]
	for len(data) > 0 && !a.Dead {
		if s.want == 0 {
			s.want = 10
		}
		c := copy(s.frame[s.n:s.want], data)
		s.n += c
		data = data[c:]
		if s.n < s.want {
			return
		}
		if s.want == 10 {
			f := s.frame[:10]
			if f[0] != 0x05 || f[1] != 0x64 || !checkCRC(f[:8], f[8:10]) || f[2] < 5 {
				a.Dead = true
				return
			}
			a.Confirmed = true
			ud := int(f[2]) - 5
			if ud == 0 {
				s.n, s.want = 0, 10
				continue
			}
			s.want = 10 + ud + 2*((ud+15)/16)
			continue
		}
		if !a.userData(dir, ts, s) {
			a.Dead = true
			return
		}
		s.n, s.want = 0, 10
	}
}

// userData checks and strips the CRCs of a complete frame's user data and
// feeds the application bytes to the fragment.
func (a *Analyzer) userData(dir proto.Direction, ts int64, s *side) bool {
	b := s.frame[10:s.want]
	firstChunk := true
	var fir, fin bool
	for len(b) > 0 {
		n := min(16, len(b)-2)
		if !checkCRC(b[:n], b[n:n+2]) {
			return false
		}
		chunk := b[:n]
		b = b[n+2:]
		if firstChunk {
			firstChunk = false
			tp := chunk[0]
			chunk = chunk[1:]
			fir, fin = tp&0x40 != 0, tp&0x80 != 0
			if fir {
				s.inFrag, s.nfrag, s.dropped = true, 0, false
			} else if !s.inFrag {
				s.inFrag, s.nfrag, s.dropped = true, 0, true
			}
		}
		if !s.dropped && s.nfrag < len(s.frag) {
			s.nfrag += copy(s.frag[s.nfrag:], chunk)
		}
	}
	if fin {
		if !s.dropped {
			a.fragment(dir, ts, s.frag[:s.nfrag])
		}
		s.inFrag, s.nfrag, s.dropped = false, 0, false
	}
	return true
}

func (a *Analyzer) fragment(dir proto.Direction, ts int64, f []byte) {
	if dir == proto.FromOrig {
		if len(f) < 2 {
			return
		}
		if !a.pending {
			a.pending, a.fcRep, a.iin = true, -1, -1
		}
		a.ts, a.fcReq = ts, int(f[1])
		return
	}
	if len(f) < 4 {
		return
	}
	if !a.pending {
		a.pending, a.fcReq = true, -1
	}
	a.ts, a.fcRep, a.iin = ts, int(f[1]), int(f[2])<<8|int(f[3])
	a.write()
}

func (a *Analyzer) write() {
	a.pending = false
	b := proto.AppendConnHeader(a.line[:0], a.ts, a.CI)
	if a.fcReq >= 0 {
		b = record.AppendStringField(b, "fc_request", funcName(uint8(a.fcReq)))
	}
	if a.fcRep >= 0 {
		b = record.AppendStringField(b, "fc_reply", funcName(uint8(a.fcRep)))
		b = record.AppendUintField(b, "iin", uint64(a.iin))
	}
	b = append(b, '}')
	a.line = b
	if a.Out != nil {
		a.Out.Record("dnp3", b)
	}
	a.fcReq, a.fcRep, a.iin = -1, -1, -1
}

var funcNames = [...]string{
	"CONFIRM", "READ", "WRITE", "SELECT", "OPERATE", "DIRECT_OPERATE", "DIRECT_OPERATE_NR",
	"IMMED_FREEZE", "IMMED_FREEZE_NR", "FREEZE_CLEAR", "FREEZE_CLEAR_NR", "FREEZE_AT_TIME",
	"FREEZE_AT_TIME_NR", "COLD_RESTART", "WARM_RESTART", "INITIALIZE_DATA", "INITIALIZE_APPL",
	"START_APPL", "STOP_APPL", "SAVE_CONFIG", "ENABLE_UNSOLICITED", "DISABLE_UNSOLICITED",
	"ASSIGN_CLASS", "DELAY_MEASURE", "RECORD_CURRENT_TIME", "OPEN_FILE", "CLOSE_FILE",
	"DELETE_FILE", "GET_FILE_INFO", "AUTHENTICATE_FILE", "ABORT_FILE", "ACTIVATE_CONFIG",
	"AUTHENTICATE_REQ", "AUTHENTICATE_REQ_NR",
}

// funcName is Zeek's DNP3::function_codes with its unknown-N default.
func funcName(fc uint8) string {
	switch {
	case int(fc) < len(funcNames):
		return funcNames[fc]
	case fc == 0x81:
		return "RESPONSE"
	case fc == 0x82:
		return "UNSOLICITED_RESPONSE"
	case fc == 0x83:
		return "AUTHENTICATE_RESPONSE"
	}
	return "unknown-" + itoa(int(fc))
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
