package record

import (
	"encoding/binary"
	"github.com/vigil-nsm/vigil/internal/record/rec"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendConnJSON appends c as one JSON object (no trailing newline) with
// Zeek's conn.log field names and order. Unset optional fields are omitted
// as Zeek's JSON writer does. The fields Conn documents as plain are
// copied without escaping.
func AppendConnJSON(dst []byte, c *Conn) []byte {
	dst, _ = AppendConnJSONSpans(dst, c)
	return dst
}

// ConnSpans locate a conn line's values that a reader takes as text (the
// numbers are written as they are in Conn): offsets from the line's
// start, empty spans for fields not written. A string's span is its text
// between the quotes, as written.
type ConnSpans struct {
	TS, UID, Service, Duration, History, OrigL2, RespL2 rec.Span
}

// AppendConnJSONSpans is AppendConnJSON that also tells where the values
// of spans lie in the line it appends.
func AppendConnJSONSpans(dst []byte, c *Conn) ([]byte, ConnSpans) {
	var sp ConnSpans
	start := len(dst)
	dst = append(dst, `{"ts":`...)
	from := len(dst)
	dst = AppendTime(dst, c.TS)
	sp.TS = rec.SpanOf(from-start, len(dst)-start)
	dst = appendPlainField(dst, `,"uid":"`, c.UID)
	sp.UID = rec.SpanOf(len(dst)-1-len(c.UID)-start, len(dst)-1-start)
	dst = appendAddrField(dst, `,"id.orig_h":"`, c.OrigH)
	dst = appendUintField(dst, `,"id.orig_p":`, uint64(c.OrigP))
	dst = appendAddrField(dst, `,"id.resp_h":"`, c.RespH)
	dst = appendUintField(dst, `,"id.resp_p":`, uint64(c.RespP))
	dst = appendPlainField(dst, `,"proto":"`, c.Proto)
	if c.Service != "" {
		from = len(dst) + len(`,"service":"`)
		dst = AppendStringField(dst, "service", c.Service)
		sp.Service = rec.SpanOf(from-start, len(dst)-1-start)
	}
	if c.HasDuration {
		dst = append(dst, `,"duration":`...)
		from = len(dst)
		dst = AppendInterval(dst, c.Duration)
		sp.Duration = rec.SpanOf(from-start, len(dst)-start)
	}
	if c.HasOrigBytes {
		dst = appendUintField(dst, `,"orig_bytes":`, c.OrigBytes)
	}
	if c.HasRespBytes {
		dst = appendUintField(dst, `,"resp_bytes":`, c.RespBytes)
	}
	if c.ConnState != "" {
		dst = appendPlainField(dst, `,"conn_state":"`, c.ConnState)
	}
	if c.HasLocal {
		dst = strconv.AppendBool(append(dst, `,"local_orig":`...), c.LocalOrig)
		dst = strconv.AppendBool(append(dst, `,"local_resp":`...), c.LocalResp)
	}
	dst = appendUintField(dst, `,"missed_bytes":`, c.MissedBytes)
	if c.History != "" {
		dst = appendPlainField(dst, `,"history":"`, c.History)
		sp.History = rec.SpanOf(len(dst)-1-len(c.History)-start, len(dst)-1-start)
	}
	dst = appendUintField(dst, `,"orig_pkts":`, c.OrigPkts)
	dst = appendUintField(dst, `,"orig_ip_bytes":`, c.OrigIPBytes)
	dst = appendUintField(dst, `,"resp_pkts":`, c.RespPkts)
	dst = appendUintField(dst, `,"resp_ip_bytes":`, c.RespIPBytes)
	if len(c.TunnelParents) > 0 {
		dst = AppendStringsField(dst, "tunnel_parents", c.TunnelParents)
	}
	if c.HasIPProto {
		dst = appendUintField(dst, `,"ip_proto":`, uint64(c.IPProto))
	}
	if c.CommunityID != "" {
		dst = appendPlainField(dst, `,"community_id":"`, c.CommunityID)
	}
	if c.HasVLAN {
		dst = appendUintField(dst, `,"vlan":`, uint64(c.VLAN))
	}
	if c.HasInnerVLAN {
		dst = appendUintField(dst, `,"inner_vlan":`, uint64(c.InnerVLAN))
	}
	if c.OrigL2Addr != "" {
		dst = appendPlainField(dst, `,"orig_l2_addr":"`, c.OrigL2Addr)
		sp.OrigL2 = rec.SpanOf(len(dst)-1-len(c.OrigL2Addr)-start, len(dst)-1-start)
	}
	if c.RespL2Addr != "" {
		dst = appendPlainField(dst, `,"resp_l2_addr":"`, c.RespL2Addr)
		sp.RespL2 = rec.SpanOf(len(dst)-1-len(c.RespL2Addr)-start, len(dst)-1-start)
	}
	return append(dst, '}'), sp
}

// appendPlainField appends open, a field's `,"name":"` with the string's
// opening quote, then v as it is and the closing quote: for values known
// to hold only plain bytes (jsonPlain), which need no escaping.
func appendPlainField(dst []byte, open, v string) []byte {
	dst = append(dst, open...)
	dst = append(dst, v...)
	return append(dst, '"')
}

// appendUintField appends key, a field's `,"name":`, and the number v.
func appendUintField(dst []byte, key string, v uint64) []byte {
	return strconv.AppendUint(append(dst, key...), v, 10)
}

// appendAddrField appends open, a field's `,"name":"` with the string's
// opening quote, then the address a as AppendAddrField writes it and the
// closing quote.
func appendAddrField(dst []byte, open string, a netip.Addr) []byte {
	return append(appendAddr(append(dst, open...), a), '"')
}

// AppendWeirdJSON appends w as one JSON object (no trailing newline) with
// Zeek's weird.log field names.
func AppendWeirdJSON(dst []byte, w *Weird) []byte {
	dst = append(dst, `{"ts":`...)
	dst = AppendTime(dst, w.TS)
	if w.HasConn {
		if w.UID != "" {
			dst = AppendStringField(dst, "uid", w.UID)
		}
		dst = appendID(dst, w.OrigH, w.OrigP, w.RespH, w.RespP)
	}
	dst = AppendStringField(dst, "name", w.Name)
	if w.Addl != "" {
		dst = AppendStringField(dst, "addl", w.Addl)
	}
	dst = append(dst, `,"notice":`...)
	dst = strconv.AppendBool(dst, w.Notice)
	dst = AppendStringField(dst, "peer", Peer)
	if w.Source != "" {
		dst = AppendStringField(dst, "source", w.Source)
	}
	return append(dst, '}')
}

// AppendTime appends Unix nanoseconds as epoch seconds with microsecond
// precision, trailing zeros trimmed (1300475167.0965 or 1300475167.0), the
// way Zeek's JSON writer prints time values.
func AppendTime(dst []byte, ns int64) []byte { return appendMicros(dst, floorDiv(ns, 1000)) }

// AppendInterval appends a duration in nanoseconds as seconds with
// microsecond precision (Zeek's interval in JSON).
func AppendInterval(dst []byte, ns int64) []byte { return appendMicros(dst, roundDiv(ns, 1000)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func roundDiv(a, b int64) int64 {
	if a >= 0 {
		return (a + b/2) / b
	}
	return -((-a + b/2) / b)
}

// digitPairs holds "00" to "99": two decimal digits per lookup.
const digitPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" +
	"60616263646566676869" + "70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// appendMicros appends us microseconds as seconds: the sign, the whole
// seconds, a dot and the six fraction digits with trailing zeros trimmed
// (one digit kept). Times of this century (ten digits of seconds) take
// appendEpochMicros, the rest appendAnyMicros.
func appendMicros(dst []byte, us int64) []byte {
	if minEpoch <= us && us < maxEpoch {
		return appendEpochMicros(dst, uint64(us))
	}
	return appendAnyMicros(dst, us)
}

// The microseconds whose seconds have ten digits: 2001-09-09 to 2286.
const (
	minEpoch = 1e9 * 1e6
	maxEpoch = 1e10 * 1e6
)

// appendEpochMicros is appendMicros for minEpoch <= us < maxEpoch: the
// ten digits of seconds and the six of the fraction all have fixed
// places, so that each pair of them is computed on its own (not one
// after another, as appendAnyMicros's loop dividing by 100 does) and
// written in place at the end of dst, with no buffer to copy from.
func appendEpochMicros(dst []byte, us uint64) []byte {
	const n = len("1234567890.123456")
	sec, frac := us/1e6, uint32(us%1e6)
	s1 := uint32(sec / 1e8)            // the first two digits
	s2 := uint32(sec - uint64(s1)*1e8) // the other eight
	hi, lo := s2/1e4, s2%1e4
	m := len(dst)
	dst = slices.Grow(dst, n)[:m+n]
	b := dst[m : m+n]
	putPair(b[0:], uint64(s1))
	putPair(b[2:], uint64(hi/100))
	putPair(b[4:], uint64(hi%100))
	putPair(b[6:], uint64(lo/100))
	putPair(b[8:], uint64(lo%100))
	b[10] = '.'
	f1, f2 := frac/1e4, frac%1e4
	putPair(b[11:], uint64(f1))
	putPair(b[13:], uint64(f2/100))
	putPair(b[15:], uint64(f2%100))
	end := n
	for end > len("1234567890.1") && b[end-1] == '0' {
		end--
	}
	return dst[:m+end]
}

// appendAnyMicros is appendMicros for any us. The digits are written
// once, backwards from the dot for the seconds, into a buffer appended
// in one step.
func appendAnyMicros(dst []byte, us int64) []byte {
	const dot = 21 // 20 digits and a sign fit before it
	var b [dot + 7]byte
	u := uint64(us)
	if us < 0 {
		u = -u
	}
	sec, frac := u/1e6, u%1e6
	b[dot] = '.'
	putPair(b[dot+1:], frac/1e4)
	putPair(b[dot+3:], frac/100%100)
	putPair(b[dot+5:], frac%100)
	end := len(b)
	for end > dot+2 && b[end-1] == '0' {
		end--
	}
	i := dot
	for sec >= 100 {
		i -= 2
		putPair(b[i:], sec%100)
		sec /= 100
	}
	if sec >= 10 {
		i -= 2
		putPair(b[i:], sec)
	} else {
		i--
		b[i] = byte('0' + sec)
	}
	if us < 0 {
		i--
		b[i] = '-'
	}
	return append(dst, b[i:end]...)
}

// putPair writes n (below 100) as two digits at b[0:2].
func putPair(b []byte, n uint64) {
	b[0], b[1] = digitPairs[2*n], digitPairs[2*n+1]
}

// LineCap is the room a new log line buffer is given: enough for nearly
// every record of the analyzers' logs (dns, ssl, ntp and ssh lines run
// 300–600 bytes), so that the first line is not built by growing the
// buffer step by step from nothing.
const LineCap = 640

// Line returns buf emptied for the next record, or a new buffer of LineCap
// bytes when buf has no room yet (an analyzer's first record).
func Line(buf []byte) []byte {
	if cap(buf) == 0 {
		return make([]byte, 0, LineCap)
	}
	return buf[:0]
}

// maxReusedLine bounds the line buffer an analyzer keeps when it is
// reused for another connection.
const maxReusedLine = 8 * LineCap

// ReuseLine returns buf emptied for another connection's records, or nil
// (Line then makes a new one) when an unusual record grew it large.
func ReuseLine(buf []byte) []byte {
	if cap(buf) > maxReusedLine {
		return nil
	}
	return buf[:0]
}

// AppendKey appends `,"k":`, the start of a field that follows another.
func AppendKey(dst []byte, k string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

// AppendStringField appends the field k with the JSON string v.
func AppendStringField(dst []byte, k, v string) []byte {
	return AppendString(AppendKey(dst, k), v)
}

// AppendUintField appends the field k with the number v.
func AppendUintField(dst []byte, k string, v uint64) []byte {
	return strconv.AppendUint(AppendKey(dst, k), v, 10)
}

// AppendBoolField appends the field k with true or false.
func AppendBoolField(dst []byte, k string, v bool) []byte {
	return strconv.AppendBool(AppendKey(dst, k), v)
}

// AppendAddrField appends the field k with the address a as a string,
// IPv4-mapped IPv6 addresses unmapped ("" when a is not valid).
func AppendAddrField(dst []byte, k string, a netip.Addr) []byte {
	dst = AppendKey(dst, k)
	dst = append(dst, '"')
	dst = appendAddr(dst, a)
	return append(dst, '"')
}

// appendAddr appends a as a.Unmap().AppendTo does (nothing when a is not
// valid). IPv4 and zoneless IPv6 addresses are written into a buffer
// appended in one step.
func appendAddr(dst []byte, a netip.Addr) []byte {
	a = a.Unmap()
	switch {
	case a.Is4():
		return appendIPv4(dst, a.As4())
	case a.Is6() && a.Zone() == "":
		return appendIPv6(dst, a.As16())
	}
	return a.AppendTo(dst)
}

// octetText holds every byte value's decimal digits followed by a dot,
// as a little-endian word (its first byte the first digit), and in the
// top byte their count with the dot.
var octetText = func() (t [256]uint64) {
	for x := range t {
		var d [8]byte
		n := copy(d[:], strconv.AppendUint(nil, uint64(x), 10))
		d[n] = '.'
		d[7] = byte(n + 1)
		t[x] = binary.LittleEndian.Uint64(d[:])
	}
	return t
}()

// appendIPv4 appends b in dotted decimal, in place at the end of dst.
// Each octet's word of octetText is stored whole and the next octet's
// put after its digits and dot, over the rest; the last dot is cut off.
func appendIPv4(dst []byte, b [4]byte) []byte {
	const room = len("255.255.255.") + 8 // the last word is stored whole
	m := len(dst)
	dst = slices.Grow(dst, room)
	out := dst[m : m+room]
	n := 0
	for _, x := range b {
		w := octetText[x]
		binary.LittleEndian.PutUint64(out[n:], w)
		n += int(w >> 56)
	}
	return dst[:m+n-1]
}

// appendIPv6 appends b as RFC 5952 (and netip) writes IPv6 addresses: the
// eight groups in lower-case hex without leading zeros, the first of the
// longest runs of two or more zero groups written as "::".
func appendIPv6(dst []byte, b [16]byte) []byte {
	var g [8]uint16
	zs, ze := 0, 0 // the longest run of zero groups so far, the first of equals
	run := 0       // where the current run of zero groups starts
	for i := range g {
		g[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		if g[i] != 0 {
			run = i + 1
		} else if i+1-run > ze-zs {
			zs, ze = run, i+1
		}
	}
	if ze-zs < 2 { // a single zero group is written as "0"
		zs, ze = len(g), len(g)
	}
	var buf [len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]byte
	n := 0
	for i := 0; i < len(g); i++ {
		if i == zs {
			buf[n], buf[n+1] = ':', ':'
			n += 2
			if i = ze; i == len(g) {
				break
			}
		} else if i > 0 {
			buf[n] = ':'
			n++
		}
		n = putHex16(&buf, n, g[i])
	}
	return append(dst, buf[:n]...)
}

// putHex16 writes x in hex without leading zeros at buf[n:] and returns
// the index after it.
func putHex16(buf *[39]byte, n int, x uint16) int {
	if x >= 0x1000 {
		buf[n] = hexDigits[x>>12]
		n++
	}
	if x >= 0x100 {
		buf[n] = hexDigits[x>>8&0xf]
		n++
	}
	if x >= 0x10 {
		buf[n] = hexDigits[x>>4&0xf]
		n++
	}
	buf[n] = hexDigits[x&0xf]
	return n + 1
}

// AppendStringsField appends the field k with v as a JSON array of
// strings ([] when v is empty).
func AppendStringsField(dst []byte, k string, v []string) []byte {
	dst = AppendKey(dst, k)
	dst = append(dst, '[')
	for i, s := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, s)
	}
	return append(dst, ']')
}

// AppendConnID appends a connection's uid and Zeek's id.* fields
// (id.orig_h, id.orig_p, id.resp_h, id.resp_p), each after a comma.
func AppendConnID(dst []byte, uid string, origH netip.Addr, origP uint16, respH netip.Addr, respP uint16) []byte {
	dst = AppendStringField(dst, "uid", uid)
	return appendID(dst, origH, origP, respH, respP)
}

func appendID(dst []byte, origH netip.Addr, origP uint16, respH netip.Addr, respP uint16) []byte {
	dst = AppendAddrField(dst, "id.orig_h", origH)
	dst = AppendUintField(dst, "id.orig_p", uint64(origP))
	dst = AppendAddrField(dst, "id.resp_h", respH)
	return AppendUintField(dst, "id.resp_p", uint64(respP))
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Bytes that are not valid UTF-8
// are written as \u00XX escapes of the byte value so the output is always
// valid JSON (Zeek escapes them as \xXX inside the string; the value differs
// but no data is lost).
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

// AppendBytesString is AppendString for text held in a byte slice (no
// conversion to a string, which would copy it).
func AppendBytesString(dst []byte, s []byte) []byte { return appendString(dst, s) }

// jsonPlain marks the bytes written as they are: printable ASCII but the
// quote and the backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Byte-lane constants of the eight-bytes-at-a-time plain test.
const (
	lanes1    = 0x0101010101010101 // 0x01 in every byte
	lanesHigh = 0x8080808080808080 // the high bit of every byte
)

// notPlainLanes returns x's byte lanes that are not plain (jsonPlain),
// each as its high bit: bytes below 0x20, from 0x7f up, quotes and
// backslashes. Each term marks the lanes of one kind of byte and, through
// a borrow or carry, possibly lanes above one, never below: the lowest
// marked lane is exactly the first byte that is not plain, and 0 means
// all eight are. (A term's other marks, x^'"' - 1 on bytes from 0x81 up
// or x - 0x20 on those from 0xa0 up, fall on lanes x itself marks.)
func notPlainLanes(x uint64) uint64 {
	bad := x | (x - 0x20*lanes1) | (x + lanes1) // from 0x80, below 0x20, 0x7f
	bad |= (x ^ '"'*lanes1) - lanes1
	bad |= (x ^ '\\'*lanes1) - lanes1
	return bad & lanesHigh
}

// PlainPrefix returns how many bytes b starts with that JSON carries as
// they are (printable ASCII but the quote and the backslash), judging
// eight at a time.
func PlainPrefix[T string | []byte](b T) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if m := notPlainLanes(load64(b[i:])); m != 0 {
			return i + firstLane(m)
		}
	}
	for i < len(b) && jsonPlain[b[i]] {
		i++
	}
	return i
}

// load64 and load32 read s's first eight or four bytes as a
// little-endian number (the compiler makes each one load).
func load64[T string | []byte](s T) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load32[T string | []byte](s T) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// firstLane returns the index of the lowest lane marked in m (not 0).
func firstLane(m uint64) int { return bits.TrailingZeros64(m) / 8 }

// copyPlain copies s's leading run of plain bytes to out (as long as s)
// and returns the run's length. It copies and tests eight bytes at a
// time, stopping at the first word with a byte that is not plain (the
// bytes after the run, copied too, are left for the caller to cut off).
// The last, partial word is done as the eight bytes ending s, over bytes
// already copied (the same again), and four to seven bytes as the first
// four and the last four.
func copyPlain[T string | []byte](out []byte, s T) int {
	n := len(s)
	out = out[:n]
	switch {
	case n >= 8:
		i := 0
		for ; i <= n-8; i += 8 {
			x := load64(s[i:])
			binary.LittleEndian.PutUint64(out[i:], x)
			if m := notPlainLanes(x); m != 0 {
				return i + firstLane(m)
			}
		}
		if i < n {
			x := load64(s[n-8:])
			binary.LittleEndian.PutUint64(out[n-8:], x)
			if m := notPlainLanes(x); m != 0 {
				return n - 8 + firstLane(m)
			}
		}
	case n >= 4:
		lo, hi := load32(s), load32(s[n-4:])
		binary.LittleEndian.PutUint32(out, lo)
		binary.LittleEndian.PutUint32(out[n-4:], hi)
		if m := notPlainLanes(uint64(lo) | uint64(hi)<<32); uint32(m) != 0 {
			return firstLane(m)
		} else if m != 0 {
			return n - 8 + firstLane(m) // lanes 4–7 hold s[n-4:]
		}
	default:
		for i := range n {
			if !jsonPlain[s[i]] {
				return i
			}
			out[i] = s[i]
		}
	}
	return n
}

// appendPlain appends s's leading run of plain bytes to dst and returns
// dst and the run's length.
func appendPlain[T string | []byte](dst []byte, s T) ([]byte, int) {
	m := len(dst)
	dst = slices.Grow(dst, len(s))
	n := copyPlain(dst[m:m+len(s)], s)
	return dst[:m+n], n
}

// appendString appends s as a JSON string: its leading plain run copied
// by words, the rest (rare) through appendEscaped.
func appendString[T string | []byte](dst []byte, s T) []byte {
	m := len(dst)
	dst = slices.Grow(dst, len(s)+2)[:m+1+len(s)]
	dst[m] = '"'
	n := copyPlain(dst[m+1:], s)
	if n < len(s) {
		dst = appendEscaped(dst[:m+1+n], s[n:])
	}
	return append(dst, '"')
}

// appendEscaped appends s, which starts with a byte that is not plain,
// without quotes: plain runs copied at once, the rest escaped.
func appendEscaped[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			default: // control characters and DEL
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
		} else if r, size := utf8.DecodeRune([]byte(s[i:min(i+utf8.UTFMax, len(s))])); r == utf8.RuneError && size == 1 {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i++
		} else {
			dst = append(dst, s[i:i+size]...)
			i += size
		}
		var n int
		dst, n = appendPlain(dst, s[i:])
		i += n
	}
	return dst
}

// AppendTunnelJSON appends t as one JSON object (no trailing newline) with
// Zeek's tunnel.log field names; the uid is omitted when empty.
func AppendTunnelJSON(dst []byte, t *Tunnel) []byte {
	dst = append(dst, `{"ts":`...)
	dst = AppendTime(dst, t.TS)
	if t.UID != "" {
		dst = AppendStringField(dst, "uid", t.UID)
	}
	dst = appendID(dst, t.OrigH, t.OrigP, t.RespH, t.RespP)
	dst = AppendStringField(dst, "tunnel_type", t.Type)
	dst = AppendStringField(dst, "action", t.Action)
	return append(dst, '}')
}
