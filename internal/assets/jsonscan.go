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

// value is one member's value. raw points into the scanned line: for a
// string the bytes between the quotes (escapes not decoded), otherwise
// the literal text. It is only valid while the line is.
type value struct {
	kind   valueKind
	raw    []byte
	quoted []byte // a string as written, quotes included
}

var errSyntax = errors.New("malformed JSON object")

// scan is scanObject for the line being recorded: when it came through
// RecordShared, its field index is shared with the other consumers.
func (inv *Inventory) scan(line []byte, visit func(key []byte, v value)) error {
	if inv.cur == nil || len(line) == 0 || len(inv.cur.Line) != len(line) || &inv.cur.Line[0] != &line[0] {
		return scanObject(line, visit)
	}
	r, err := inv.cur.Rec()
	if err != nil {
		return errSyntax
	}
	r.ForEach(func(k, raw []byte) { visit(k, valueOf(raw)) })
	return nil
}

// scanObject calls visit for each member of the JSON object in line (at
// most rec.MaxFields of them).
func scanObject(line []byte, visit func(key []byte, v value)) error {
	var r rec.Rec
	if r.Parse("", line) != nil {
		return errSyntax
	}
	r.ForEach(func(k, raw []byte) { visit(k, valueOf(raw)) })
	return nil
}

// valueOf classifies one raw JSON value (as rec hands it over).
func valueOf(raw []byte) value {
	if len(raw) == 0 {
		return value{}
	}
	switch c := raw[0]; {
	case c == '"' && len(raw) >= 2:
		inner := raw[1 : len(raw)-1]
		return value{kind: kindString, raw: inner, quoted: raw}
	case c == '{':
		return value{kind: kindObject, raw: raw}
	case c == '[':
		return value{kind: kindArray, raw: raw}
	case c == 't' || c == 'f':
		return value{kind: kindBool, raw: raw}
	case c == 'n':
		return value{kind: kindNull, raw: raw}
	}
	return value{kind: kindNumber, raw: raw}
}

// escaped reports whether a string value holds backslash escapes (found
// only for the values read: most fields of a record are passed over).
func (v value) escaped() bool { return bytes.IndexByte(v.raw, '\\') >= 0 }

// str returns a string value's text (escapes decoded); "" for other kinds.
func (v value) str() string {
	if v.kind != kindString {
		return ""
	}
	if !v.escaped() {
		return string(v.raw)
	}
	return rec.Text(v.quoted)
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
	if v.kind != kindArray {
		return
	}
	for _, e := range rec.Elements(v.raw) {
		fn(valueOf(e))
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
