package assets

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/record"
)

// The hosts of assets.log are written by appending their JSON directly,
// byte for byte as encoding/json's Encoder (HTML escaping off) writes
// them, without its reflection: the struct fields in order, omitempty
// honoured, floats in ES6 form, map keys sorted. TestAppendHostMatchesJSON
// holds the two to the same bytes.

// hostEncoder appends hosts' JSON; it remembers whether a float was one
// JSON cannot hold (NaN, ±Inf), for which encoding/json reports an error.
type hostEncoder struct {
	bad bool
}

// appendHost appends h's JSON object and a newline to b.
func (e *hostEncoder) appendHost(b []byte, h *Host) []byte {
	b = append(b, `{"host":`...)
	b = appendJSONString(b, h.Key)
	b = appendOptString(b, `,"mac":`, h.MAC)
	b = appendOptString(b, `,"vendor":`, h.Vendor)
	if h.RandomMAC {
		b = append(b, `,"random_mac":true`...)
	}
	if h.Gateway {
		b = append(b, `,"gateway":true`...)
	}
	b = e.appendFloat(append(b, `,"first_seen":`...), h.FirstSeen)
	b = e.appendFloat(append(b, `,"last_seen":`...), h.LastSeen)
	b = appendArray(b, `,"addrs":[`, h.Addrs, e.appendAddr)
	b = appendArray(b, `,"names":[`, h.Names, e.appendName)
	b = e.appendGuess(b, `,"os":`, h.OS)
	b = e.appendGuess(b, `,"class":`, h.Class)
	b = e.appendGuess(b, `,"device":`, h.Device)
	b = appendArray(b, `,"roles":[`, h.Roles, e.appendRole)
	b = appendArray(b, `,"services":[`, h.Services, e.appendService)
	b = appendArray(b, `,"used":[`, h.Used, e.appendUsed)
	b = appendTraffic(append(b, `,"traffic":`...), &h.Traffic)
	b = appendArray(b, `,"findings":[`, h.Findings, appendHostFinding)
	return append(b, '}', '\n')
}

// appendArray appends the field opened by open (`,"name":[`) holding
// xs, each appended by elem; nothing when xs is empty (omitempty).
func appendArray[T any](b []byte, open string, xs []T, elem func([]byte, *T) []byte) []byte {
	if len(xs) == 0 {
		return b
	}
	b = append(b, open...)
	for i := range xs {
		b = elem(comma(b, i), &xs[i])
	}
	return append(b, ']')
}

// comma appends the comma that goes before the i-th element of an array.
func comma(b []byte, i int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	return b
}

func (e *hostEncoder) appendAddr(b []byte, a *Addr) []byte {
	b = appendJSONString(append(b, `{"addr":`...), a.Addr)
	b = e.appendFloat(append(b, `,"first":`...), a.First)
	b = e.appendFloat(append(b, `,"last":`...), a.Last)
	b = appendOptString(b, `,"source":`, a.Source)
	return append(b, '}')
}

func (e *hostEncoder) appendName(b []byte, n *Name) []byte {
	b = appendJSONString(append(b, `{"name":`...), n.Name)
	b = appendJSONString(append(b, `,"source":`...), n.Source)
	b = e.appendFloat(append(b, `,"first":`...), n.First)
	b = e.appendFloat(append(b, `,"last":`...), n.Last)
	b = appendOptString(b, `,"log":`, n.Log)
	b = appendOptString(b, `,"uid":`, n.UID)
	return append(b, '}')
}

// appendGuess appends key and g's object, nothing when g is nil.
func (e *hostEncoder) appendGuess(b []byte, key string, g *Guess) []byte {
	if g == nil {
		return b
	}
	b = appendJSONString(append(append(b, key...), `{"value":`...), g.Value)
	b = e.appendFloat(append(b, `,"confidence":`...), g.Confidence)
	b = e.appendEvidence(append(b, `,"evidence":`...), g.Evidence)
	if len(g.Alternatives) > 0 {
		b = append(b, `,"alternatives":[`...)
		for i := range g.Alternatives {
			a := &g.Alternatives[i]
			b = appendJSONString(append(comma(b, i), `{"value":`...), a.Value)
			b = e.appendFloat(append(b, `,"confidence":`...), a.Confidence)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (e *hostEncoder) appendRole(b []byte, r *Role) []byte {
	b = appendJSONString(append(b, `{"role":`...), r.Role)
	b = e.appendFloat(append(b, `,"confidence":`...), r.Confidence)
	b = e.appendEvidence(append(b, `,"evidence":`...), r.Evidence)
	return append(b, '}')
}

// appendEvidence appends an evidence array (null when nil, as the field
// has no omitempty).
func (e *hostEncoder) appendEvidence(b []byte, evs []Evidence) []byte {
	if evs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range evs {
		ev := &evs[i]
		b = appendJSONString(append(comma(b, i), `{"log":`...), ev.Log)
		b = appendOptString(b, `,"uid":`, ev.UID)
		b = e.appendFloat(append(b, `,"ts":`...), ev.TS)
		b = appendOptString(b, `,"rule":`, ev.Rule)
		b = appendOptString(b, `,"field":`, ev.Field)
		b = appendOptString(b, `,"value":`, ev.Value)
		if len(ev.Detail) > 0 {
			b = appendDetail(append(b, `,"detail":`...), ev.Detail)
		}
		if ev.Confidence != 0 {
			b = e.appendFloat(append(b, `,"confidence":`...), ev.Confidence)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func (e *hostEncoder) appendService(b []byte, s *Service) []byte {
	b = appendJSONString(append(b, `{"proto":`...), s.Proto)
	b = strconv.AppendUint(append(b, `,"port":`...), uint64(s.Port), 10)
	b = appendOptString(b, `,"service":`, s.Name)
	b = appendOptString(b, `,"software":`, s.Software)
	b = appendOptString(b, `,"version":`, s.Version)
	b = appendOptString(b, `,"banner":`, s.Banner)
	b = appendOptString(b, `,"cert_subject":`, s.CertSubject)
	b = appendOptString(b, `,"cert_issuer":`, s.CertIssuer)
	if s.CertNotAfter != 0 {
		b = e.appendFloat(append(b, `,"cert_not_after":`...), s.CertNotAfter)
	}
	if len(s.TLSVersions) > 0 {
		b = append(b, `,"tls_versions":[`...)
		for i, v := range s.TLSVersions {
			b = appendJSONString(comma(b, i), v)
		}
		b = append(b, ']')
	}
	b = e.appendFloat(append(b, `,"first":`...), s.First)
	b = e.appendFloat(append(b, `,"last":`...), s.Last)
	b = strconv.AppendUint(append(b, `,"conns":`...), s.Conns, 10)
	b = strconv.AppendInt(append(b, `,"clients":`...), int64(s.Clients), 10)
	return append(b, '}')
}

func (e *hostEncoder) appendUsed(b []byte, u *Used) []byte {
	b = appendJSONString(append(b, `{"name":`...), u.Name)
	b = appendOptString(b, `,"addr":`, u.Addr)
	b = appendOptString(b, `,"proto":`, u.Proto)
	if u.Port != 0 {
		b = strconv.AppendUint(append(b, `,"port":`...), uint64(u.Port), 10)
	}
	b = appendOptString(b, `,"service":`, u.Service)
	b = strconv.AppendBool(append(b, `,"external":`...), u.External)
	b = strconv.AppendUint(append(b, `,"conns":`...), u.Conns, 10)
	b = strconv.AppendUint(append(b, `,"bytes_out":`...), u.BytesOut, 10)
	b = strconv.AppendUint(append(b, `,"bytes_in":`...), u.BytesIn, 10)
	b = e.appendFloat(append(b, `,"first":`...), u.First)
	b = e.appendFloat(append(b, `,"last":`...), u.Last)
	return append(b, '}')
}

func appendTraffic(b []byte, t *Traffic) []byte {
	b = strconv.AppendUint(append(b, `{"conns_out":`...), t.ConnsOut, 10)
	b = strconv.AppendUint(append(b, `,"conns_in":`...), t.ConnsIn, 10)
	b = strconv.AppendUint(append(b, `,"bytes_sent":`...), t.BytesSent, 10)
	b = strconv.AppendUint(append(b, `,"bytes_recv":`...), t.BytesRecv, 10)
	b = strconv.AppendUint(append(b, `,"pkts_sent":`...), t.PktsSent, 10)
	b = strconv.AppendUint(append(b, `,"pkts_recv":`...), t.PktsRecv, 10)
	return append(b, '}')
}

func appendHostFinding(b []byte, f *HostFinding) []byte {
	b = appendJSONString(append(b, `{"kind":`...), f.Kind)
	b = appendJSONString(append(b, `,"class":`...), f.Class)
	b = strconv.AppendInt(append(b, `,"severity":`...), int64(f.Severity), 10)
	b = appendJSONString(append(b, `,"summary":`...), f.Summary)
	b = strconv.AppendUint(append(b, `,"count":`...), f.Count, 10)
	return append(b, '}')
}

// appendOptString appends key and s unless s is empty (omitempty).
func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, key...), s)
}

// appendFloat appends f as encoding/json writes a float64: like %g but
// in 'f' form from 1e-6 up to 1e21, exponents unpadded. NaN and ±Inf,
// which JSON cannot hold, set e.bad.
func (e *hostEncoder) appendFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.bad = true
		return b
	}
	if b, ok := appendMicroDecimal(b, f); ok {
		return b
	}
	return record.AppendJSONFloat(b, f)
}

// microLimit bounds the floats appendMicroDecimal writes: below 2^33 a
// float's spacing (ulp) is at most 2^-20, under a millionth.
const microLimit = 1 << 33

// appendMicroDecimal appends f, when it is positive, below microLimit and
// the float nearest some n/10^6 (timestamps and confidences: most floats
// of assets.log), as that decimal with trailing zeros cut, which is what
// strconv's shortest 'f' form writes, at a tenth of its cost. Why it is
// the same: the reals that round to f span at most one ulp, under 10^-6,
// so n/10^6 is the only multiple of 10^-6 among them; any other decimal
// among them has a digit below 10^-6 and, lying within 10^-6 of n/10^6
// and with no power of ten between them (one would be a multiple of
// 10^-6), the same leading digit: more significant digits. The shortest
// is therefore n/10^6, and unique. ok is false (nothing appended) for
// other floats.
func appendMicroDecimal(b []byte, f float64) ([]byte, bool) {
	if !(f > 0 && f < microLimit) {
		return b, false
	}
	n := uint64(math.Round(f * 1e6))
	if float64(n)/1e6 != f { // n exact (below 2^53), the quotient rounded once
		return b, false
	}
	b = strconv.AppendUint(b, n/1e6, 10)
	frac := n % 1e6
	if frac == 0 {
		return b, true
	}
	// The six fraction digits two at a time, then the trailing zeros cut.
	var buf [7]byte
	buf[0] = '.'
	copy(buf[1:3], twoDigits[2*(frac/1e4):])
	copy(buf[3:5], twoDigits[2*(frac/100%100):])
	copy(buf[5:7], twoDigits[2*(frac%100):])
	digits := 6
	for buf[digits] == '0' {
		digits--
	}
	return append(b, buf[:digits+1]...), true
}

// twoDigits holds 00 to 99, two bytes each.
const twoDigits = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// jsonPlain marks the bytes a JSON string holds as they are: ASCII but
// for control characters, " and \. (Read only.)
var jsonPlain = func() (plain [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
	}
	return plain
}()

// appendJSONString appends s quoted as encoding/json quotes it without
// HTML escaping: ", \ and control bytes escaped, invalid UTF-8 as
// \ufffd, U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	// Most strings are plain all through: their run is judged eight bytes
	// at a time (record.PlainPrefix stops at 0x7f too, which the loop
	// below then passes as plain).
	start := 0
	for i := record.PlainPrefix(s); i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
