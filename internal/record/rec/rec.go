// Package rec reads one JSON log line (one Zeek-style record) cheaply: Parse
// locates the top-level fields once, without allocating, and the getters
// decode only the values a detector asks for. Conn decodes the fields of a
// conn.log record every connection-based detector uses, once per record.
//
// A Rec and every byte slice it returns alias the line given to Parse: they
// are valid until the next Parse. Strings returned by Str are copies.
package rec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"iter"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxFields is the number of top-level fields a Rec indexes; later ones are
// ignored (Zeek's widest logs have about 40).
const MaxFields = 80

// span is a [off, end) range of the line.
type span struct{ off, end uint32 }

// Field is where one top-level field lies in the line its Rec was parsed
// from: Rec.Key and Rec.Value slice it.
type Field struct{ key, val span }

// Rec is one parsed log line.
type Rec struct {
	// Log names the log the line belongs to ("conn", "dns", "_arp" ...).
	Log    string
	line   []byte
	n      int
	fields [MaxFields]Field

	conn     Conn
	connDone bool
	// lazy: the line is not indexed yet; its Conn, HTTP or SYN came with it
	// (Shared.ResetConn, ResetHTTP), and the first reader of other
	// fields indexes it.
	lazy bool
	// http locates an http record's busiest fields (hasHTTP).
	http    HTTP
	hasHTTP bool
	// syn is a "_syn" fact's fields (hasSYN).
	syn    SYN
	hasSYN bool

	// byLen finds fields by their key's length for Raw; it is built on
	// the first lookup after Parse (lenDone).
	byLen   keyIndex
	lenDone bool

	// ts is the record's ts field, read once (tsDone) by TS.
	ts     float64
	tsDone bool
}

// keyBuckets is the number of key-length buckets of a keyIndex (a power
// of two: a key of length n goes in bucket n%keyBuckets).
const keyBuckets = 32

// keyIndex chains the fields of a record by key length, in the line's
// order, so that a lookup compares only the keys as long as its own:
// first[b] and next[i] hold 1 + a field index, 0 ending a chain.
type keyIndex struct {
	first [keyBuckets]uint8
	next  [MaxFields]uint8
}

// ErrSyntax is returned (wrapped) for a line that is not a JSON object.
var ErrSyntax = errors.New("rec: not a JSON object")

// Parse indexes the top-level fields of line. The line must hold one JSON
// object; nested objects and arrays are kept whole as raw values.
func (r *Rec) Parse(log string, line []byte) error {
	r.Log, r.line, r.n, r.connDone, r.lenDone, r.tsDone, r.lazy, r.hasHTTP = log, line, 0, false, false, false, false, false
	r.hasSYN = false
	if len(line) > 1<<30 {
		return ErrSyntax
	}
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return ErrSyntax
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return nil
	}
	// Runs of plainly written fields take the fast path; field takes the
	// others, one at a time, and reports syntax errors.
	for {
		var done, ok bool
		if i, done = r.plainFields(line, i, wordMasks{'"' * lanes1, lanes1, lanesHigh}); done {
			return nil
		}
		if i, done, ok = r.field(line, i); !ok {
			return ErrSyntax
		}
		if done {
			return nil
		}
	}
}

// plainFields indexes the fields from line[i] on for as long as they are
// written as Vigil writes them: no space around a colon or comma, no
// backslash before a string's closing quote, and a key's closing quote in
// a whole eight-byte word (so not among the line's last seven bytes,
// where a string value's may lie: see tailQuote). It returns done at the
// object's closing brace, or else the index of the first field left to
// field. Strings and numbers are scanned in line, without a call, so that
// the loop's variables stay in registers; each separator check also checks
// the opening quote of the next key, which the loop then trusts. qf finds
// quotes: as an argument, which the compiler cannot see through, its
// masks stay in registers too, where the compiler would load three 64-bit
// constants again for every word read.
func (r *Rec) plainFields(line []byte, i int, qf wordMasks) (next int, done bool) {
	if i >= len(line) || line[i] != '"' || len(line) < 8 {
		return i, false
	}
	// A full slice expression frees the register cap would hold.
	line = line[:len(line):len(line)]
	key := i + 1 // where the current key's text starts
	for {
		kq := wordQuote(line, key, qf)
		if kq < 1 || kq > len(line)-3 {
			break
		}
		// One load reads the byte before the closing quote (no backslash),
		// the colon and the value's first byte.
		w := binary.LittleEndian.Uint32(line[kq-1 : kq+3])
		if byte(w) == '\\' || byte(w>>16) != ':' {
			break
		}
		v := kq + 2
		vEnd := -1 // after the value; -1 for a value left to field
		switch c := byte(w >> 24); {
		case c == '"':
			q := wordQuote(line, v+1, qf)
			if q < 0 { // the line's last field, often
				q = tailQuote(line, ^q, qf)
			}
			if q >= 0 && line[q-1] != '\\' {
				vEnd = q + 1
			}
		case c == '-' || c-'0' <= 9: // a number: scalar holds
			// A comma, the usual end, ends scalars: scalarEnd would stop there.
			if vEnd = numberRun(line, v+1); vEnd >= len(line) || line[vEnd] != ',' {
				vEnd = scalarEnd(line, vEnd)
			}
		case c == 't' || c == 'f' || c == 'n':
			if e := scalarEnd(line, v+1); scalar(line[v:e]) {
				vEnd = e
			}
		case c == '{' || c == '[':
			if e, ok := compositeEnd(line, v); ok {
				vEnd = e
			}
		}
		// The usual separator, a comma and the next key's opening quote,
		// is read as one word.
		f := Field{span{uint32(key), uint32(kq)}, span{uint32(v), uint32(vEnd)}}
		if vEnd < 0 || vEnd > len(line)-2 || binary.LittleEndian.Uint16(line[vEnd:vEnd+2]) != ','|'"'<<8 {
			if vEnd < 0 || vEnd >= len(line) || line[vEnd] != '}' {
				break
			}
			r.add(f)
			return vEnd + 1, true
		}
		r.add(f)
		key = vEnd + 2
	}
	return key - 1, false
}

// add appends f to the record's fields, unless it has MaxFields already.
// The count stays in r.n, not in a register: plainFields's scans need
// every register they can get.
func (r *Rec) add(f Field) {
	if n := r.n; uint(n) < uint(len(r.fields)) {
		r.fields[n] = f
		r.n = n + 1
	}
}

// field indexes the field whose key opens at line[i], however it is
// written, and the separator after it. It returns the index of the next
// key, or done at the object's closing brace; ok is false for a syntax
// error.
func (r *Rec) field(line []byte, i int) (next int, done, ok bool) {
	if i >= len(line) || line[i] != '"' {
		return 0, false, false
	}
	kEnd, ok := stringEnd(line, i)
	if !ok {
		return 0, false, false
	}
	key := span{uint32(i + 1), uint32(kEnd - 1)}
	i = skipSpace(line, kEnd)
	if i >= len(line) || line[i] != ':' {
		return 0, false, false
	}
	i = skipSpace(line, i+1)
	vEnd, ok := valueEnd(line, i)
	if !ok {
		return 0, false, false
	}
	if r.n < MaxFields {
		r.fields[r.n] = Field{key, span{uint32(i), uint32(vEnd)}}
		r.n++
	}
	i = skipSpace(line, vEnd)
	if i >= len(line) {
		return 0, false, false
	}
	switch line[i] {
	case ',':
		return skipSpace(line, i+1), false, true
	case '}':
		return 0, true, true
	}
	return 0, false, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scalarEnds marks the bytes that end a number or literal.
var scalarEnds = [256]bool{',': true, '}': true, ']': true, ' ': true, '\t': true, '\n': true, '\r': true}

// SWAR constants: a byte value repeated in every byte of a word.
const (
	lanes1    = 0x0101010101010101 // 0x01 in every byte
	lanesHigh = 0x8080808080808080 // the high bit of every byte
)

// quotes marks the bytes of x that are '"' by their high bit. The lowest
// mark is exact (a false one can only follow a true one, through the
// borrow of x-lanes1), and it is the only one callers use.
func quotes(x uint64) uint64 {
	x ^= '"' * lanes1
	return (x - lanes1) &^ x & lanesHigh
}

// wordMasks holds the constants of a SWAR byte search: the byte sought
// and 0x01 in every byte, and lanesHigh (see plainFields for why they are
// not constants).
type wordMasks struct{ byte, ones, high uint64 }

// marks marks the bytes of x that equal the byte sought by their high
// bit; like quotes, only the lowest mark is exact.
func (k wordMasks) marks(x uint64) uint64 {
	x ^= k.byte
	return (x - k.ones) &^ x & k.high
}

// plainStringEnd returns the index after the closing quote of the string
// that starts at b[i] == '"' when no backslash comes right before its first
// quote, the common case; ok false leaves the string to stringEnd, as do
// the last seven bytes of b. It reads eight bytes at a time; it is small
// enough to be inlined, and j >= 0 lets the compiler drop bounds checks.
func plainStringEnd(b []byte, i int) (end int, ok bool) {
	for j := i + 1; j < len(b)-7 && j >= 0; j += 8 {
		if m := quotes(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			return j + 1, b[j-1] != '\\'
		}
	}
	return 0, false
}

// wordQuote returns the index of the first quote from b[j] on among the
// eight-byte words that start at len(b)-8 or before; or, when there is
// none, ^k, k where it stopped: past len(b)-8 (see tailQuote), or j itself
// when j < 1. It is small enough to be inlined, and written so that the
// compiler drops the bounds checks of its loads.
func wordQuote(b []byte, j int, qf wordMasks) int {
	if j < 1 {
		return ^j
	}
	for last := len(b) - 8; j <= last; j += 8 {
		if m := qf.marks(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			return j + bits.TrailingZeros64(m)/8
		}
	}
	return ^j
}

// tailQuote goes on where wordQuote stopped, at b[j] among the last seven
// bytes of b (or at its end), and returns the index of the first quote
// from b[j] on, or -1. It reads the last eight bytes of b as one word
// shifted so that b[j] is its lowest byte: the bytes shifted in are zeros,
// not quotes.
func tailQuote(b []byte, j int, qf wordMasks) int {
	last := len(b) - 8
	if j <= last || j > len(b) || last < 0 {
		return -1
	}
	m := qf.marks(binary.LittleEndian.Uint64(b[last:]) >> (8 * (j - last)))
	if m == 0 {
		return -1
	}
	return j + bits.TrailingZeros64(m)/8
}

// scalarEnd returns the index of the first byte from b[j] on that ends a
// number or literal.
func scalarEnd(b []byte, j int) int {
	for j < len(b) && !scalarEnds[b[j]] {
		j++
	}
	return j
}

// numberRun returns the index of the first byte from b[j] on outside
// '-'..'9' (digits, '.', '-', '/': none ends a scalar), or of the first
// byte past len(b)-8 it reaches: scalarEnd goes on from there. It reads
// eight bytes at a time and is small enough to be inlined.
func numberRun(b []byte, j int) int {
	if j < 0 {
		return j
	}
	for last := len(b) - 8; j <= last; j += 8 {
		if m := notNumberBytes(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			return j + bits.TrailingZeros64(m)/8
		}
	}
	return j
}

// notNumberBytes marks by their high bit the bytes of x outside '-'..'9'.
// Every byte is tested on its own (no carry crosses bytes), so every mark
// is exact.
func notNumberBytes(x uint64) uint64 {
	low := x &^ lanesHigh
	above := low + (0x7f-'9')*lanes1   // high bit set: above '9'
	atLeast := low + (0x80-'-')*lanes1 // high bit set: '-' or above
	return (x | above | ^atLeast) & lanesHigh
}

// stringEnd returns the index after the closing quote of the string that
// starts at b[i] == '"'. Quotes are found with IndexByte; one is escaped
// when an odd number of backslashes precedes it.
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
	return 0, false
}

// valueEnd returns the index after the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		return compositeEnd(b, i)
	}
	j := i
	for j < len(b) && !scalarEnds[b[j]] {
		j++
	}
	if j == i || !scalar(b[i:j]) {
		return 0, false
	}
	return j, true
}

// scalar reports whether v is a JSON literal or number.
func scalar(v []byte) bool {
	switch string(v) {
	case "true", "false", "null":
		return true
	}
	c := v[0]
	return c == '-' || c >= '0' && c <= '9'
}

// compositeEnd skips a nested object or array, strings included.
func compositeEnd(b []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			e, ok := plainStringEnd(b, j)
			if !ok {
				if e, ok = stringEnd(b, j); !ok {
					return 0, false
				}
			}
			j = e - 1
		case '{', '[':
			depth++
			if depth > 64 {
				return 0, false
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// Raw returns the raw JSON value of key (quotes included for strings):
// the first field of that key in the line.
func (r *Rec) Raw(key string) ([]byte, bool) {
	if r.hasHTTP {
		if s, ok := r.http.span(key); ok {
			v := s.Raw(r.line)
			return v, v != nil
		}
	}
	if r.lazy {
		r.index()
	}
	if !r.lenDone {
		r.indexKeys()
	}
	for j := r.byLen.first[len(key)%keyBuckets]; j != 0; j = r.byLen.next[j-1] {
		f := r.fields[j-1]
		if int(f.key.end-f.key.off) == len(key) && string(r.Key(f)) == key {
			return r.Value(f), true
		}
	}
	return nil, false
}

// indexKeys chains the record's fields by key length (see keyIndex),
// walking them backwards so that each chain keeps the line's order.
func (r *Rec) indexKeys() {
	r.lenDone = true
	x := &r.byLen
	x.first = [keyBuckets]uint8{}
	fields := r.Fields()
	next := x.next[:len(fields)]
	for i := len(fields) - 1; i >= 0; i-- {
		b := uint8(fields[i].key.end-fields[i].key.off) % keyBuckets
		next[i] = x.first[b]
		x.first[b] = uint8(i + 1)
	}
}

// Has reports whether the record has the field key (null counts as absent).
func (r *Rec) Has(key string) bool {
	v, ok := r.Raw(key)
	return ok && string(v) != "null"
}

// Bytes returns the contents of the string field key without its quotes and
// without unescaping (nil when absent or not a string). It does not
// allocate: use it for comparisons.
func (r *Rec) Bytes(key string) []byte {
	v, ok := r.Raw(key)
	if !ok || len(v) < 2 || v[0] != '"' {
		return nil
	}
	return v[1 : len(v)-1]
}

// Str returns the string field key, unescaped ("" when absent). Numbers and
// booleans are returned as written.
func (r *Rec) Str(key string) string {
	v, ok := r.Raw(key)
	if !ok || string(v) == "null" {
		return ""
	}
	return decodeString(v)
}

func decodeString(v []byte) string {
	if len(v) == 0 || v[0] != '"' {
		return string(v)
	}
	inner := v[1 : len(v)-1]
	if !hasEscape(inner) {
		return string(inner)
	}
	return unescape(inner)
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// unescape decodes JSON string escapes; invalid ones are kept literally.
// decodeU reads the 4 hex digits after "\\u" (and a low surrogate's
// "\\uXXXX" after a high one); n is the bytes used, 0 when malformed.
func decodeU(b []byte) (r rune, n int) {
	hi, ok := hex4(b)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(hi) && len(b) >= 10 && b[4] == '\\' && b[5] == 'u' {
		if lo, ok := hex4(b[6:]); ok {
			if r := utf16.DecodeRune(hi, lo); r != utf8.RuneError {
				return r, 10
			}
		}
	}
	return hi, 4
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n), err == nil
}

func unescape(b []byte) string {
	return string(AppendUnescaped(make([]byte, 0, len(b)), b))
}

// AppendUnescaped appends the JSON string contents b (without its quotes),
// its escapes decoded, to dst; a malformed escape is kept as it came.
func AppendUnescaped(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			dst = append(dst, c)
			continue
		}
		i++
		switch b[i] {
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			if r, n := decodeU(b[i+1:]); n > 0 {
				dst = utf8.AppendRune(dst, r)
				i += n
				continue
			}
			dst = append(dst, '\\', 'u')
		default:
			dst = append(dst, b[i])
		}
	}
	return dst
}

// Num returns the number field key (false when absent or not a number).
func (r *Rec) Num(key string) (float64, bool) {
	v, ok := r.Raw(key)
	if !ok {
		return 0, false
	}
	return parseNumber(v)
}

// Uint returns the non-negative integer field key (0 when absent).
func (r *Rec) Uint(key string) uint64 {
	v, ok := r.Raw(key)
	if !ok {
		return 0
	}
	n, _ := parseUint(v)
	return n
}

// Bool returns the boolean field key and whether it was present.
func (r *Rec) Bool(key string) (value, ok bool) {
	v, ok := r.Raw(key)
	if !ok {
		return false, false
	}
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// Addr returns the address in the string field key (invalid when absent or
// not an address). IPv4-mapped IPv6 addresses are unmapped.
func (r *Rec) Addr(key string) netip.Addr {
	if r.hasHTTP {
		switch key {
		case "id.orig_h":
			return r.http.Orig
		case "id.resp_h":
			return r.http.Resp
		}
	}
	return ParseAddr(r.Bytes(key))
}

// TS returns the record's ts field in epoch seconds (0 when absent); it
// is parsed once per record.
func (r *Rec) TS() float64 {
	if !r.tsDone {
		if r.lazy {
			r.index()
		}
		if r.n > 0 && string(r.Key(r.fields[0])) == "ts" {
			// Where ts usually is: no need of the key index, which a
			// record whose readers want nothing else would build for it.
			r.ts, _ = parseNumber(r.Value(r.fields[0])) // 0 when it is no number
		} else {
			r.ts, _ = r.Num("ts")
		}
		r.tsDone = true
	}
	return r.ts
}

// Strings returns the field key as a list of strings: the elements of a JSON
// array of strings, or a one-element list for a plain string.
func (r *Rec) Strings(key string) []string {
	v, ok := r.Raw(key)
	if !ok || len(v) == 0 {
		return nil
	}
	if v[0] == '"' {
		return []string{decodeString(v)}
	}
	var out []string
	for e := range ElementsSeq(v) {
		if e[0] == '"' {
			out = append(out, decodeString(e))
		}
	}
	return out
}

// Elements returns the raw elements of the JSON array v (nil when v is
// not an array); they alias v. ElementsSeq walks them without a list.
func Elements(v []byte) [][]byte { return slices.Collect(ElementsSeq(v)) }

// ElementsSeq yields the raw elements of the JSON array v one at a time
// (none when v is not an array); they alias v. An array of millions of
// elements costs no list of them.
func ElementsSeq(v []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		if len(v) == 0 || v[0] != '[' {
			return
		}
		for i := 1; i < len(v); {
			i = skipSpace(v, i)
			if i >= len(v) || v[i] == ']' {
				return
			}
			if v[i] == ',' {
				i++
				continue
			}
			e, ok := valueEnd(v, i)
			if !ok || !yield(v[i:e]) {
				return
			}
			i = e
		}
	}
}

// FirstElement returns the first raw element of the JSON array v, nil
// when there is none.
func FirstElement(v []byte) []byte {
	for e := range ElementsSeq(v) {
		return e
	}
	return nil
}

// Text returns a raw JSON value as text: strings unescaped, numbers and
// literals as written, null as "".
func Text(v []byte) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		return decodeString(v)
	}
	return string(v)
}

// Number parses a raw JSON number (as ForEach gives it).
func Number(v []byte) (float64, bool) { return parseNumber(v) }

// Unsigned parses a raw non-negative JSON integer (a fraction is
// truncated).
func Unsigned(v []byte) (uint64, bool) { return parseUint(v) }

// ForEach calls fn with every top-level key and raw value, in order.
func (r *Rec) ForEach(fn func(key, value []byte)) {
	for _, f := range r.Fields() {
		fn(r.Key(f), r.Value(f))
	}
}

// Fields returns where the record's top-level fields lie (at most
// MaxFields), in the line's order; Key and Value read them. A loop over
// them costs no call per field, unlike ForEach, and slices only the
// values it reads.
func (r *Rec) Fields() []Field {
	if r.lazy {
		r.index()
	}
	return r.fields[:r.n]
}

// index indexes a line that came with its Conn, HTTP or SYN (lazy),
// keeping them. The producer wrote the line, so it parses.
func (r *Rec) index() {
	c, connDone, hasHTTP, hasSYN := r.conn, r.connDone, r.hasHTTP, r.hasSYN
	r.Parse(r.Log, r.line) //nolint:errcheck // a producer's own line
	r.conn, r.connDone, r.hasHTTP, r.hasSYN = c, connDone, hasHTTP, hasSYN
}

// Key returns the key of field f of r as written (escapes kept), without
// its quotes.
func (r *Rec) Key(f Field) []byte { return r.line[f.key.off:f.key.end] }

// Value returns the raw value of field f of r (a string with its quotes).
func (r *Rec) Value(f Field) []byte { return r.line[f.val.off:f.val.end] }

// ValueSpan is where Value(f) lies in the line: line[off:end].
func (r *Rec) ValueSpan(f Field) (off, end int) { return int(f.val.off), int(f.val.end) }

// parseUint parses a plain decimal integer (a fraction is truncated).
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for i, c := range b {
		if c == '.' && i > 0 {
			return n, true
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// parseNumber parses a JSON number; plain decimals (all of Zeek's) take
// Decimal's path without strconv.
func parseNumber(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 64 {
		return 0, false
	}
	if f, ok := Decimal(b); ok {
		return f, true
	}
	return parseSlow(b)
}

// Decimal parses a plain decimal ("-12", "1767225606.191553") whose
// digits, read as an integer, are below 2^53 and whose fraction has at
// most 22 digits: that integer and the power of ten it is divided by are
// exact float64s, so one division rounds correctly, to the float
// strconv.ParseFloat returns. Other forms (exponents, signs other than a
// leading minus, longer numbers) report false: parse them with strconv.
// Vigil's times and durations take micros's shorter path.
func Decimal(b []byte) (float64, bool) {
	if n := len(b); n >= 8 && n <= 17 && b[n-7] == '.' {
		if f, ok := micros(b); ok {
			return f, true
		}
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	mant, whole := leadingDigits(b, 0)
	digits, frac := whole, 0
	if whole < len(b) && b[whole] == '.' {
		mant, digits = leadingDigits(b[whole+1:], mant)
		frac = digits
		digits += whole
		if whole+1+frac != len(b) {
			return 0, false
		}
	} else if whole != len(b) {
		return 0, false
	}
	// 19 digits cannot overflow; frac <= 19 is within pow10.
	if digits == 0 || digits > 19 || mant >= 1<<53 {
		return 0, false
	}
	f := float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

// micros is Decimal for the shape Vigil writes times and durations in:
// one to ten digits, a point and six digits ("1767225600.268074",
// "0.000625"). It reads the digits as two words, the last eight digits
// (the point taken out) and those before, and divides as Decimal does.
// The caller has checked the length (8 to 17) and the point; ok is false
// when a byte other than the point is not a digit, or when the digits
// read as an integer reach 2^53: Decimal's general path takes those.
func micros(b []byte) (float64, bool) {
	n := len(b)
	// lo reads the units digit, the point and six digits; the units
	// digit's byte then takes the tens digit ('0' when there is none)
	// and the point's the units digit: the number's last eight digits.
	lo := binary.LittleEndian.Uint64(b[n-8:])
	tens, high := uint64('0'), 0 // high: how many digits come before the tens
	if n > 8 {
		tens, high = uint64(b[n-9]), n-9
	}
	lo = lo&^0xffff | tens | lo&0xff<<8
	hi := binary.LittleEndian.Uint64(b)
	if notDigitBytes(lo) != 0 || notDigitBytes(hi)<<(64-8*uint(high)) != 0 {
		return 0, false
	}
	mant := wordDigits(hi, high)*1e8 + wordDigits(lo, 8)
	if mant >= 1<<53 {
		return 0, false
	}
	return float64(mant) / 1e6, true
}

// leadingDigits reads the decimal digits b starts with onto n (n*10 + d
// for each; the caller rejects runs long enough to overflow) and returns
// the number and how many digits it read.
func leadingDigits(b []byte, n uint64) (uint64, int) {
	i := 0
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		n = n*10 + uint64(c)
	}
	return n, i
}

// notDigitBytes marks by their high bit the bytes of x outside '0'..'9';
// like notNumberBytes, every mark is exact.
func notDigitBytes(x uint64) uint64 {
	low := x &^ lanesHigh
	above := low + (0x7f-'9')*lanes1   // high bit set: above '9'
	atLeast := low + (0x80-'0')*lanes1 // high bit set: '0' or above
	return (x | above | ^atLeast) & lanesHigh
}

// wordDigits returns the number written by the first k (0..8) bytes of w,
// decimal digits in the line's order (the first in w's lowest byte). It
// moves them to the top of the word, where the zeros below read as
// leading zeros, and combines the eight digits in pairs, fours, then all,
// with three multiplies.
func wordDigits(w uint64, k int) uint64 {
	w = w << (64 - 8*uint(k)) & (0x0f * lanes1) // digit values; k == 0 shifts all out
	w = w * (10<<8 + 1) >> 8 & 0x00ff00ff00ff00ff
	w = w * (100<<16 + 1) >> 16 & 0x0000ffff0000ffff
	return w * (10000<<32 + 1) >> 32
}

// pow10 holds the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func parseSlow(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) { // JSON has neither; an overflow is no number
		return 0, false
	}
	return f, true
}

// ParseAddr parses an IPv4 or IPv6 address from b without allocating for
// IPv4; it returns the zero Addr when b is not an address.
func ParseAddr(b []byte) netip.Addr {
	if len(b) == 0 || len(b) > 64 {
		return netip.Addr{}
	}
	if a, ok := parseIPv4(b); ok {
		return a
	}
	for _, c := range b {
		if c == ':' {
			if a, ok := parseIPv6(b); ok {
				return a.Unmap()
			}
			// A zone, an embedded IPv4 address or no address: netip
			// decides (the conversion to a string allocates).
			a, err := netip.ParseAddr(string(b))
			if err != nil {
				return netip.Addr{}
			}
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// parseIPv6 parses b as netip.ParseAddr parses an IPv6 address written
// with hex fields only (no zone, no embedded IPv4 address), without
// making a string of it. ok is false for any other text, which
// netip.ParseAddr then judges: every address it returns is the one
// netip.ParseAddr returns (FuzzParseAddr).
func parseIPv6(b []byte) (a netip.Addr, ok bool) {
	var ip [16]byte
	ellipsis := -1 // where "::" stands in ip
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis, b = 0, b[2:]
		if len(b) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		field, n, ok := hexField(b)
		if !ok {
			return netip.Addr{}, false
		}
		ip[i], ip[i+1] = byte(field>>8), byte(field)
		i += 2
		if b = b[n:]; len(b) == 0 {
			break
		}
		if b[0] != ':' || len(b) == 1 {
			return netip.Addr{}, false
		}
		if b = b[1:]; b[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			if ellipsis, b = i, b[1:]; len(b) == 0 {
				break
			}
		}
	}
	if len(b) != 0 || (i < 16) != (ellipsis >= 0) {
		return netip.Addr{}, false // garbage, too short, or a "::" for no field
	}
	if i < 16 {
		n := 16 - i
		copy(ip[ellipsis+n:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+n])
	}
	return netip.AddrFrom16(ip), true
}

// hexField reads the IPv6 field at the start of b: 1 to 4 hex digits not
// followed by a dot (an embedded IPv4 address), and how many bytes it
// took.
func hexField(b []byte) (field uint16, n int, ok bool) {
	acc := uint32(0)
	for ; n < len(b); n++ {
		d := hexValues[b[n]]
		if d > 0xf {
			break
		}
		acc = acc<<4 | uint32(d)
	}
	if n == 0 || n > 4 || n < len(b) && b[n] == '.' {
		return 0, 0, false
	}
	return uint16(acc), n, true
}

// hexValues maps a hex digit (either case) to its value, and every other
// byte to 0xff: one load a digit, no branches.
var hexValues = func() (t [256]uint8) {
	for c := range t {
		d, ok := hexDigit(byte(c))
		t[c] = d
		if !ok {
			t[c] = 0xff
		}
	}
	return t
}()

// AsRead returns a as ParseAddr reads it back from the text that Vigil's
// writers give it (record's address fields write an IPv4-mapped IPv6
// address unmapped): what a reader of the line gets, for producers that
// hand an address beside its line (Shared.ResetConn, ResetHTTP).
func AsRead(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Zone() == "" {
		return a
	}
	var buf [80]byte
	return ParseAddr(a.AppendTo(buf[:0])) // a zone too long reads as none
}

func parseIPv4(b []byte) (netip.Addr, bool) {
	var out [4]byte
	part, val, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			val = val*10 + int(c-'0')
			digits++
			if val > 255 || digits > 3 {
				return netip.Addr{}, false
			}
		case c == '.':
			if digits == 0 || part == 3 {
				return netip.Addr{}, false
			}
			out[part] = byte(val)
			part, val, digits = part+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	out[3] = byte(val)
	return netip.AddrFrom4(out), true
}

// Line returns the line the record was parsed from.
func (r *Rec) Line() []byte { return r.line }

// Shared is one record line read by several consumers in turn: the first
// that asks for its fields parses it, the others reuse the index (and the
// decoded Conn). A consumer must not Parse into the Rec it is given.
type Shared struct {
	Log  string
	Line []byte
	r    Rec
	err  error
	done bool
}

// Reset makes s hold another line, not yet parsed.
func (s *Shared) Reset(log string, line []byte) {
	s.Log, s.Line, s.err, s.done = log, line, nil, false
}

// ResetConn makes s hold a conn line that its producer wrote, with c, the
// Conn that Rec.Conn would decode from it (its text fields alias line).
// Rec then returns the record without indexing the line: readers of Conn
// alone never pay for it, the first reader of another field does.
func (s *Shared) ResetConn(log string, line []byte, c *Conn) {
	r := s.holdLazy(log, line, c.TS)
	r.conn, r.connDone, r.hasHTTP, r.hasSYN = *c, true, false, false
}

// ResetHTTP makes s hold an http line that its producer wrote, with h
// locating its busiest fields (see HTTP): readers of those never index
// the line, the first reader of another field does.
func (s *Shared) ResetHTTP(log string, line []byte, h *HTTP) {
	r := s.holdLazy(log, line, h.TS)
	r.connDone, r.http, r.hasHTTP, r.hasSYN = false, *h, true, false
}

// holdLazy makes s hold a producer's line, with its time, not indexed
// (Rec.lazy), and returns its Rec for the fields that come with it.
func (s *Shared) holdLazy(log string, line []byte, ts float64) *Rec {
	s.Log, s.Line, s.err, s.done = log, line, nil, true
	r := &s.r
	r.Log, r.line, r.n, r.lenDone, r.lazy = log, line, 0, false, true
	r.ts, r.tsDone = ts, true
	return r
}

// Rec returns the parsed record, parsing it on the first call.
func (s *Shared) Rec() (*Rec, error) {
	if !s.done {
		s.err, s.done = s.r.Parse(s.Log, s.Line), true
	}
	return &s.r, s.err
}
