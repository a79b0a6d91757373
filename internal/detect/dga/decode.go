package dga

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// decodeModel decodes a model.json as encoding/json would, but reads the
// file's known layout directly: encoding/json's reflection and scanner
// cost tens of milliseconds at every start on the ~1 MB model. It accepts
// only a strict subset of JSON — Model's keys as json.Marshal writes them,
// strings without escapes or control characters, no nulls — and reports
// false for anything else, which the caller then gives to encoding/json.
// TestDecodeModel checks that both decode the shipped model alike.
func decodeModel(data []byte) (*Model, bool) {
	d := modelReader{b: data}
	m := &Model{}
	if !d.byte('{') {
		return nil, false
	}
	if d.byte('}') {
		return m, d.end()
	}
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') || !d.field(m, string(key)) {
			return nil, false
		}
		if d.byte('}') {
			return m, d.end()
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

// modelReader reads one model.json: b[i:] is what is left.
type modelReader struct {
	b []byte
	i int
}

// field decodes the value of key into m.
func (d *modelReader) field(m *Model, key string) bool {
	switch key {
	case "source":
		return d.text(&m.Source)
	case "lexicon":
		return d.text(&m.Lexicon)
	case "buckets":
		return d.int(&m.Buckets)
	case "max_gram":
		return d.int(&m.MaxGram)
	case "tree_depth":
		return d.int(&m.TreeDepth)
	case "bias":
		tok, ok := d.number()
		if !ok {
			return false
		}
		return parseFloat(tok, &m.Bias)
	case "weights":
		return d.floats(&m.Weights)
	case "dense":
		return d.floats(&m.Dense)
	case "tree_cut":
		return d.floats(&m.TreeCut)
	case "tree_leaf":
		return d.floats(&m.TreeLeaf)
	case "lm":
		return d.int16s(&m.LM)
	case "tree_feat":
		return d.base64(&m.TreeFeat)
	}
	return false
}

// skipSpace moves past JSON whitespace.
func (d *modelReader) skipSpace() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte moves past c (and the whitespace before it) if c comes next.
func (d *modelReader) byte(c byte) bool {
	d.skipSpace()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (d *modelReader) end() bool {
	d.skipSpace()
	return d.i == len(d.b)
}

// plain marks the bytes a string may hold for decodeModel: printable
// ASCII but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string of plain bytes and returns its contents (aliasing the
// data).
func (d *modelReader) str() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	b, start := d.b, d.i
	i := start + plainLen(b[start:])
	if i == len(b) || b[i] != '"' {
		return nil, false
	}
	d.i = i + 1
	return b[start:i], true
}

// plainLen returns how many plain bytes b starts with: the bytes JSON
// carries as they are are judged eight at a time (the lexicon's string is
// most of model.json), the rest by the plain table.
func plainLen(b []byte) int {
	i := record.PlainPrefix(b)
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

func (d *modelReader) text(dst *string) bool {
	s, ok := d.str()
	*dst = string(s)
	return ok
}

// number reads a number as JSON spells it and returns its text.
func (d *modelReader) number() ([]byte, bool) {
	d.skipSpace()
	b, start := d.b, d.i
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		if i++; i == len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		i = digits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		i = digits(b, i)
	}
	d.i = i
	return b[start:i], true
}

// digits returns the index of the first byte from i on that is no digit.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// array reads a JSON array, calling elem for each element.
func (d *modelReader) array(elem func() bool) bool {
	if !d.byte('[') {
		return false
	}
	if d.byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *modelReader) floats(dst *[]float64) bool {
	v := []float64{}
	ok := d.array(func() bool {
		var f float64
		tok, ok := d.number()
		ok = ok && parseFloat(tok, &f)
		v = append(v, f)
		return ok
	})
	*dst = v
	return ok
}

func (d *modelReader) int16s(dst *[]int16) bool {
	v := []int16{}
	ok := d.array(func() bool {
		tok, ok := d.number()
		if !ok {
			return false
		}
		n, ok := parseInt16(tok)
		v = append(v, n)
		return ok
	})
	*dst = v
	return ok
}

func (d *modelReader) int(dst *int) bool {
	tok, ok := d.number()
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(tok), 10, 64)
	*dst = int(n)
	return err == nil
}

// base64 reads a byte slice, which JSON holds as a base64 string.
func (d *modelReader) base64(dst *[]byte) bool {
	s, ok := d.str()
	if !ok {
		return false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, s)
	*dst = b[:n]
	return err == nil
}

// parseFloat parses a number as strconv.ParseFloat does (and so as
// encoding/json does); model.json's plain decimals take rec.Decimal's
// exact path without strconv's general parse.
func parseFloat(tok []byte, dst *float64) bool {
	if f, ok := rec.Decimal(tok); ok {
		*dst = f
		return true
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	*dst = f
	return err == nil
}

// parseInt16 parses an integer as strconv.ParseInt does for 16 bits;
// numbers of up to four digits, which always fit, are read directly.
func parseInt16(tok []byte) (int16, bool) {
	digits := tok
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) <= 4 {
		n := int16(0)
		for _, c := range digits {
			if c < '0' || c > '9' {
				return parseInt16Slow(tok)
			}
			n = n*10 + int16(c-'0')
		}
		if tok[0] == '-' {
			n = -n
		}
		return n, true
	}
	return parseInt16Slow(tok)
}

func parseInt16Slow(tok []byte) (int16, bool) {
	n, err := strconv.ParseInt(string(tok), 10, 16)
	return int16(n), err == nil
}
