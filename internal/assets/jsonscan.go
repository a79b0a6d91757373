package assets

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A minimal JSON object scanner: Record decodes only the few fields the
// inventory needs from each line, without building maps or reflecting
// over structs. It visits the top-level members of one object in order;
// nested objects and arrays are handed over whole (raw) and decoded on
// demand. Inputs are vigil's own lines, but the scanner is defensive:
// it never panics, whatever the bytes (FuzzRecord checks it).

type valueKind uint8

const (
	kindNull valueKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// value is one member's value. raw points into the scanned line: for a
// string the bytes between the quotes (escapes not decoded), otherwise
// the literal text. It is only valid while the line is.
type value struct {
	kind    valueKind
	raw     []byte
	escaped bool // a string holding backslash escapes
}

var errSyntax = errors.New("malformed JSON object")

// scanObject calls visit for each member of the JSON object in line.
func scanObject(line []byte, visit func(key []byte, v value)) error {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return errSyntax
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return nil
	}
	for {
		next, err := scanMember(line, i, visit)
		if err != nil {
			return err
		}
		i = skipSpace(line, next)
		if i >= len(line) {
			return errSyntax
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return nil
		default:
			return errSyntax
		}
	}
}

// scanMember reads `"key": value` at i and visits it.
func scanMember(line []byte, i int, visit func(key []byte, v value)) (int, error) {
	if i >= len(line) || line[i] != '"' {
		return 0, errSyntax
	}
	end, _, ok := stringEnd(line, i+1)
	if !ok {
		return 0, errSyntax
	}
	key := line[i+1 : end]
	i = skipSpace(line, end+1)
	if i >= len(line) || line[i] != ':' {
		return 0, errSyntax
	}
	v, next, ok := scanValue(line, skipSpace(line, i+1))
	if !ok {
		return 0, errSyntax
	}
	visit(key, v)
	return next, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd finds the closing quote of a string whose contents start at
// i; escaped reports backslashes.
func stringEnd(b []byte, i int) (end int, escaped, ok bool) {
	for i <= len(b) {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return 0, false, false
		}
		bs := bytes.IndexByte(b[i:i+q], '\\')
		if bs < 0 {
			return i + q, escaped, true
		}
		escaped = true
		i += bs + 2 // the backslash and the character it escapes
	}
	return 0, false, false
}

// scanValue reads the value at i and returns it with the index after it.
func scanValue(b []byte, i int) (value, int, bool) {
	if i >= len(b) {
		return value{}, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		end, esc, ok := stringEnd(b, i+1)
		if !ok {
			return value{}, 0, false
		}
		return value{kind: kindString, raw: b[i+1 : end], escaped: esc}, end + 1, true
	case c == '{' || c == '[':
		end, ok := compositeEnd(b, i)
		if !ok {
			return value{}, 0, false
		}
		kind := kindObject
		if c == '[' {
			kind = kindArray
		}
		return value{kind: kind, raw: b[i:end]}, end, ok
	case c == 't':
		return literal(b, i, "true", kindBool)
	case c == 'f':
		return literal(b, i, "false", kindBool)
	case c == 'n':
		return literal(b, i, "null", kindNull)
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(b) && isNumberByte(b[j]) {
			j++
		}
		return value{kind: kindNumber, raw: b[i:j]}, j, true
	}
	return value{}, 0, false
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

func literal(b []byte, i int, word string, kind valueKind) (value, int, bool) {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return value{}, 0, false
	}
	return value{kind: kind, raw: b[i : i+len(word)]}, i + len(word), true
}

// compositeEnd returns the index after the object or array opening at i
// (strings inside are skipped; the nesting is counted, not recursed).
func compositeEnd(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			end, _, ok := stringEnd(b, i+1)
			if !ok {
				return 0, false
			}
			i = end
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return 0, false
}

// str returns a string value's text (escapes decoded); "" for other kinds.
func (v value) str() string {
	if v.kind != kindString {
		return ""
	}
	if !v.escaped {
		return string(v.raw)
	}
	return unescape(v.raw)
}

// bool is true only for the literal true.
func (v value) bool() bool { return v.kind == kindBool && v.raw[0] == 't' }

// float reads a number (or a string holding one); 0 when it is neither.
func (v value) float() float64 {
	if v.kind != kindNumber && v.kind != kindString {
		return 0
	}
	f, err := strconv.ParseFloat(string(v.raw), 64)
	if err != nil {
		return 0
	}
	return f
}

// uint reads a non-negative integer (fractions dropped); 0 otherwise.
func (v value) uint() uint64 {
	if v.kind != kindNumber && v.kind != kindString {
		return 0
	}
	n, err := strconv.ParseUint(string(v.raw), 10, 64)
	if err != nil {
		f := v.float()
		if f <= 0 || f >= 1<<63 {
			return 0
		}
		return uint64(f)
	}
	return n
}

// each calls fn for every element of an array value.
func (v value) each(fn func(e value)) {
	if v.kind != kindArray || len(v.raw) < 2 {
		return
	}
	b := v.raw
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		return
	}
	for i < len(b) {
		e, next, ok := scanValue(b, i)
		if !ok {
			return
		}
		fn(e)
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

// strs returns an array of strings (other elements skipped), at most max.
func (v value) strs(max int) []string {
	var out []string
	v.each(func(e value) {
		if e.kind == kindString && len(out) < max {
			out = append(out, e.str())
		}
	})
	return out
}

// unescape decodes JSON string escapes; malformed ones are kept as is.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			r, n := decodeU(raw[i+1:])
			if n == 0 {
				out = append(out, '\\', 'u')
				continue
			}
			out = utf8.AppendRune(out, r)
			i += n
		default: // \" \\ \/ and anything else: the character itself
			out = append(out, raw[i])
		}
	}
	return string(out)
}

// decodeU reads the hex digits after \u (and a following low surrogate);
// n is the number of bytes consumed after the 'u', 0 when malformed.
func decodeU(b []byte) (rune, int) {
	r1, ok := hex4(b)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(r1) && len(b) >= 10 && b[4] == '\\' && b[5] == 'u' {
		if r2, ok := hex4(b[6:]); ok {
			if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
				return r, 10
			}
		}
	}
	return r1, 4
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
