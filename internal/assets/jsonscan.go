package assets

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Record decodes only the few fields the inventory needs from each line,
// without building maps or reflecting over structs: the top-level members
// of one object are indexed by internal/record/rec (the scanner the
// detectors and the store share) and visited in order; nested objects and
// arrays are handed over whole (raw) and decoded on demand. It never
// panics, whatever the bytes (FuzzRecord checks it).

type valueKind uint8

const (
	kindNull valueKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// value is one member's value as written in the scanned line (a string
// with its quotes). It is only valid while the line is. Its kind and text
// are worked out only for the members a decoder reads.
type value struct {
	json []byte
}

// kind classifies the value by its first byte.
func (v value) kind() valueKind {
	if len(v.json) == 0 {
		return kindNull
	}
	switch c := v.json[0]; {
	case c == '"' && len(v.json) >= 2:
		return kindString
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == 't' || c == 'f':
		return kindBool
	case c == 'n':
		return kindNull
	}
	return kindNumber
}

// raw is a string's bytes between the quotes (escapes not decoded), or
// the literal text of any other value.
func (v value) raw() []byte {
	if v.kind() == kindString {
		return v.json[1 : len(v.json)-1]
	}
	return v.json
}

var errSyntax = errors.New("malformed JSON object")

// fields indexes the line being recorded: when it came through
// RecordShared, the index shared with the other consumers, or else the
// inventory's own, parsed anew (valid until the next call). Decoders
// loop over its Fields in the line's order, so that a key that repeats
// keeps its last value, as when they were called back for each field.
func (inv *Inventory) fields(line []byte) (*rec.Rec, error) {
	if inv.cur != nil && len(line) > 0 && len(inv.cur.Line) == len(line) && &inv.cur.Line[0] == &line[0] {
		r, err := inv.cur.Rec()
		if err != nil {
			return nil, errSyntax
		}
		return r, nil
	}
	if inv.scratch.Parse("", line) != nil {
		return nil, errSyntax
	}
	return &inv.scratch, nil
}

// lastValue returns the value of the last field of f named key, the one
// a decoder's loop keeps (a null value when there is none).
func lastValue(f *rec.Rec, key string) value {
	var v value
	for _, fl := range f.Fields() {
		if string(f.Key(fl)) == key {
			v = value{f.Value(fl)}
		}
	}
	return v
}

// scanObject calls visit for each member of the JSON object in line (at
// most rec.MaxFields of them).
func scanObject(line []byte, visit func(key []byte, v value)) error {
	var r rec.Rec
	if r.Parse("", line) != nil {
		return errSyntax
	}
	r.ForEach(func(k, raw []byte) { visit(k, value{raw}) })
	return nil
}

// escaped reports whether a string value holds backslash escapes (found
// only for the values read: most fields of a record are passed over).
func (v value) escaped() bool { return bytes.IndexByte(v.raw(), '\\') >= 0 }

// str returns a string value's text (escapes decoded); "" for other kinds.
func (v value) str() string {
	if v.kind() != kindString {
		return ""
	}
	raw := v.raw()
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	return rec.Text(v.json)
}

// bool is true only for the literal true.
func (v value) bool() bool { return v.kind() == kindBool && v.json[0] == 't' }

// float reads a number (or a string holding one); 0 when it is neither.
func (v value) float() float64 {
	if f, ok := rec.Decimal(v.json); ok { // the usual case
		return f
	}
	text, ok := v.numeric()
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return 0
	}
	return f
}

// uint reads a non-negative integer (fractions dropped); 0 otherwise.
func (v value) uint() uint64 {
	if n, ok := plainUint(v.json); ok { // the usual case, in line
		return n
	}
	return v.otherUint()
}

// otherUint is uint for the values plainUint does not take.
func (v value) otherUint() uint64 {
	text, ok := v.numeric()
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(string(text), 10, 64)
	if err != nil {
		f := v.float()
		if f <= 0 || f >= 1<<63 {
			return 0
		}
		return uint64(f)
	}
	return n
}

// numeric returns the text of a number, or of a string (which may hold
// one); false for other kinds.
func (v value) numeric() ([]byte, bool) {
	switch v.kind() {
	case kindNumber:
		return v.json, true
	case kindString:
		return v.json[1 : len(v.json)-1], true
	}
	return nil, false
}

// plainUint parses 1 to 19 decimal digits (which cannot overflow), as
// strconv.ParseUint(s, 10, 64) would; other forms report false.
func plainUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// each calls fn for every element of an array value.
func (v value) each(fn func(e value)) {
	if v.kind() != kindArray {
		return
	}
	for e := range rec.ElementsSeq(v.json) {
		fn(value{e})
	}
}

// strs returns an array of strings (other elements skipped), at most max.
func (v value) strs(max int) []string {
	var out []string
	v.each(func(e value) {
		if e.kind() == kindString && len(out) < max {
			out = append(out, e.str())
		}
	})
	return out
}
