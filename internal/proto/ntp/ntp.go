// Package ntp is the NTP analyzer: one ntp.log record per standard-mode
// (1–5) message, with Zeek's fields (base/protocols/ntp/main.zeek).
//
// Control (mode 6) and private (mode 7) messages are parsed to confirm the
// protocol but, as in Zeek's base scripts, not logged to ntp.log.
package ntp

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Port is NTP's well-known port.
const Port = 123

// ntpEpochOffset is the seconds from 1900-01-01 (NTP's epoch) to 1970.
const ntpEpochOffset = 2208988800

// maxExts bounds the extension fields counted in one message.
const maxExts = 64

func init() {
	proto.Register(&proto.Factory{
		Name:       "ntp",
		Transports: []uint8{17},
		Ports:      []uint16{Port},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect says whether a datagram looks like NTP. NTP has no magic, so the
// content alone is only Likely on port 123 (a well-formed header of a known
// version and mode); elsewhere a plausible 48-byte client/server message
// with a timestamp in range is Maybe at most.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 {
		return proto.No
	}
	m, ok := Parse(first)
	if !ok || m.Version < 1 || m.Version > 4 {
		if respPort == Port {
			return proto.Maybe
		}
		return proto.No
	}
	if respPort == Port {
		return proto.Likely
	}
	// Off port: only a plain client/server message with a sane transmit time.
	if (m.Mode == 3 || m.Mode == 4) && m.Std && len(first) == 48 && m.XmtTime>>32 > 0xc0000000 {
		return proto.Maybe
	}
	return proto.No
}

// Message is one parsed NTP message (RFC 5905; modes 6 and 7 only by
// their header).
type Message struct {
	Leap, Version, Mode uint8
	// Std: a standard message (modes 1–5) with the fields below.
	Std                 bool
	Stratum             uint8
	Poll, Precision     int8
	RootDelay, RootDisp uint32 // NTP short format (16.16)
	RefID               [4]byte
	RefTime, OrgTime    uint64 // NTP timestamp format (32.32)
	RecTime, XmtTime    uint64
	NumExts             int
	// Mode 6 (control) header.
	OpCode           uint8
	Response, Error  bool
	More             bool
	Sequence, Status uint16
	AssocID          uint16
	// Mode 7 (private) header.
	ReqCode        uint8
	Implementation uint8
}

// Parse decodes one NTP datagram; ok is false when it is too short for its
// mode or its extension fields are malformed (Zeek then raises a protocol
// violation and logs nothing).
func Parse(b []byte) (m Message, ok bool) {
	if len(b) < 1 {
		return m, false
	}
	m.Leap, m.Version, m.Mode = b[0]>>6, b[0]>>3&7, b[0]&7
	switch {
	case m.Mode >= 1 && m.Mode <= 5:
		if len(b) < 48 {
			return m, false
		}
		m.Std = true
		m.Stratum = b[1]
		m.Poll, m.Precision = int8(b[2]), int8(b[3])
		m.RootDelay = binary.BigEndian.Uint32(b[4:])
		m.RootDisp = binary.BigEndian.Uint32(b[8:])
		copy(m.RefID[:], b[12:16])
		m.RefTime = binary.BigEndian.Uint64(b[16:])
		m.OrgTime = binary.BigEndian.Uint64(b[24:])
		m.RecTime = binary.BigEndian.Uint64(b[32:])
		m.XmtTime = binary.BigEndian.Uint64(b[40:])
		n, ok := countExts(b[48:])
		if !ok {
			return m, false
		}
		m.NumExts = n
	case m.Mode == 6:
		if len(b) < 12 {
			return m, false
		}
		m.Response, m.Error, m.More = b[1]&0x80 != 0, b[1]&0x40 != 0, b[1]&0x20 != 0
		m.OpCode = b[1] & 0x1f
		m.Sequence = binary.BigEndian.Uint16(b[2:])
		m.Status = binary.BigEndian.Uint16(b[4:])
		m.AssocID = binary.BigEndian.Uint16(b[6:])
		count := int(binary.BigEndian.Uint16(b[10:]))
		if 12+count > len(b) {
			return m, false
		}
	case m.Mode == 7:
		if len(b) < 8 {
			return m, false
		}
		m.Response, m.More = b[0]&0x80 != 0, b[0]&0x40 != 0
		m.Sequence = uint16(b[1] & 0x7f)
		m.Implementation, m.ReqCode = b[2], b[3]
	}
	return m, true
}

// countExts counts the extension fields after the 48-byte header. Like
// Zeek, more than 24 trailing bytes (the longest MAC) means extension
// fields, read as RFC 5906 fields until at most 24 bytes are left; when
// they do not parse that way (Zeek raises a protocol violation and logs
// nothing), RFC 7822 fields (a length ≥ 16 and a multiple of 4) are tried
// before giving up, so that NTS and other modern extensions are logged.
func countExts(b []byte) (int, bool) {
	if len(b) <= 24 {
		return 0, true
	}
	if n, ok := count5906(b); ok {
		return n, true
	}
	return count7822(b)
}

func count5906(b []byte) (int, bool) {
	n := 0
	for len(b) > 24 {
		if n == maxExts {
			return n, true
		}
		// first byte, type, length, association id, timestamp and
		// filestamp (14 bytes), then value length and value, signature
		// length and signature, padded to the field's length.
		l := int(binary.BigEndian.Uint16(b[2:]))
		vl := uint64(binary.BigEndian.Uint32(b[14:]))
		if vl > uint64(len(b)-18) {
			return 0, false
		}
		o := 18 + int(vl)
		if o+4 > len(b) {
			return 0, false
		}
		sl := uint64(binary.BigEndian.Uint32(b[o:]))
		o += 4
		if sl > uint64(len(b)-o) {
			return 0, false
		}
		o += int(sl)
		if l > o {
			if l > len(b) {
				return 0, false
			}
			o = l
		}
		b = b[o:]
		n++
	}
	return n, true
}

func count7822(b []byte) (int, bool) {
	n := 0
	for len(b) >= 16 && n < maxExts {
		l := int(binary.BigEndian.Uint16(b[2:]))
		if l < 16 || l%4 != 0 || l > len(b) {
			break
		}
		b = b[l:]
		n++
	}
	return n, n > 0 && len(b) <= 24
}

// Analyzer is the NTP analyzer of one UDP connection. It keeps no state
// beyond the role flip and a reused output buffer: each message is logged
// as it arrives.
type Analyzer struct {
	ci          *proto.ConnInfo
	out         proto.Sink
	flipped     bool
	proto.Named // conn.log service, once confirmed
	line        []byte
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer { return &Analyzer{ci: ci, out: out} }

// Reuse implements proto.Reuser: the analyzer becomes what New returns
// for ci and out, keeping its line buffer.
func (a *Analyzer) Reuse(ci *proto.ConnInfo, out proto.Sink) {
	*a = Analyzer{ci: ci, out: out, line: record.ReuseLine(a.line)}
}

// Gap is unused (UDP).
func (a *Analyzer) Gap(proto.Direction, int) {}

// End has nothing to flush: records are written per message.
func (a *Analyzer) End(int64) {}

// Data handles one datagram.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	m, ok := Parse(data)
	if !ok {
		return
	}
	a.Confirm("ntp")
	// Zeek flips the roles on a server message from the originator or a
	// client message from the responder (once).
	if !a.flipped && (m.Mode == 4 && dir == proto.FromOrig || m.Mode == 3 && dir == proto.FromResp) {
		a.flipped = true
	}
	if m.Mode > 5 {
		return
	}
	a.line = a.appendJSON(record.Line(a.line), ts, &m)
	a.out.Record("ntp", a.line)
}

func (a *Analyzer) appendJSON(dst []byte, ts int64, m *Message) []byte {
	ci := a.ci
	dst = proto.AppendConnHeaderRoles(dst, ts, ci, a.flipped)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendUint(dst, uint64(m.Version), 10)
	dst = append(dst, `,"mode":`...)
	dst = strconv.AppendUint(dst, uint64(m.Mode), 10)
	if m.Std {
		dst = append(dst, `,"stratum":`...)
		dst = strconv.AppendUint(dst, uint64(m.Stratum), 10)
		dst = append(dst, `,"poll":`...)
		dst = AppendSeconds(dst, math.Ldexp(1, int(m.Poll)))
		dst = append(dst, `,"precision":`...)
		dst = AppendSeconds(dst, math.Ldexp(1, int(m.Precision)))
		dst = append(dst, `,"root_delay":`...)
		dst = AppendSeconds(dst, ShortTime(m.RootDelay))
		dst = append(dst, `,"root_disp":`...)
		dst = AppendSeconds(dst, ShortTime(m.RootDisp))
		dst = append(dst, `,"ref_id":`...)
		var ref [15]byte
		dst = record.AppendBytesString(dst, appendRefID(ref[:0], m.Stratum, m.RefID))
		dst = append(dst, `,"ref_time":`...)
		dst = AppendSeconds(dst, Timestamp(m.RefTime))
		dst = append(dst, `,"org_time":`...)
		dst = AppendSeconds(dst, Timestamp(m.OrgTime))
		dst = append(dst, `,"rec_time":`...)
		dst = AppendSeconds(dst, Timestamp(m.RecTime))
		dst = append(dst, `,"xmt_time":`...)
		dst = AppendSeconds(dst, Timestamp(m.XmtTime))
	}
	dst = append(dst, `,"num_exts":`...)
	dst = strconv.AppendUint(dst, uint64(m.NumExts), 10)
	return append(dst, '}')
}

// RefID renders the reference id as Zeek does: the raw 4 bytes (a kiss
// code or a reference clock name) for stratum 0 and 1, an IPv4 address
// above.
func RefID(stratum uint8, id [4]byte) string {
	var b [15]byte
	return string(appendRefID(b[:0], stratum, id))
}

// appendRefID appends the reference id as RefID renders it.
func appendRefID(dst []byte, stratum uint8, id [4]byte) []byte {
	if stratum <= 1 {
		return append(dst, id[:]...)
	}
	return netip.AddrFrom4(id).AppendTo(dst)
}

// ShortTime converts an NTP short-format value (16.16 fixed point) to
// seconds.
func ShortTime(v uint32) float64 { return float64(v) / 65536 }

// Timestamp converts an NTP timestamp (32.32, from 1900) to Unix seconds;
// zero stays zero as in Zeek.
func Timestamp(v uint64) float64 {
	if v == 0 {
		return 0
	}
	return -ntpEpochOffset + float64(v>>32) + float64(uint32(v))*math.Ldexp(1, -32)
}

// AppendSeconds appends seconds as a JSON number rounded to microseconds,
// trailing zeros trimmed (1559246556.073681, 64.0), as Zeek prints times
// and intervals.
func AppendSeconds(dst []byte, s float64) []byte {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return append(dst, '0')
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, s, 'f', 6, 64)
	for len(dst) > n && dst[len(dst)-1] == '0' && dst[len(dst)-2] != '.' {
		dst = dst[:len(dst)-1]
	}
	return dst
}
