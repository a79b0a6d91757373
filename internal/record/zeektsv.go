package record

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ZeekTSV is a Zeek ASCII (TSV) log read into memory: its header directives
// and its rows, each row one cell per field.
type ZeekTSV struct {
	Separator    string // from #separator (default tab)
	SetSeparator string // from #set_separator (default ",")
	EmptyField   string // from #empty_field (default "(empty)")
	UnsetField   string // from #unset_field (default "-")
	Path         string // from #path
	Fields       []string
	Types        []string
	Rows         [][]string
	// Closed reports whether a #close line was seen.
	Closed bool

	index map[string]int
}

// ReadZeekTSV reads a Zeek TSV log into memory (ZeekTSVReader reads one
// row at a time). It understands the #separator, #set_separator,
// #empty_field, #unset_field, #path, #fields, #types, #open and #close
// directives; other lines starting with '#' are ignored. Logs without a
// #fields line (zeek-cut output) are accepted when their first data line
// is a header of field names; otherwise Fields stays nil and the rows are
// returned as they are. Malformed rows (see ZeekTSVReader.Next) are an
// error.
func ReadZeekTSV(r io.Reader) (*ZeekTSV, error) {
	z := NewZeekTSVReader(r)
	for {
		row, err := z.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		z.Rows = append(z.Rows, row)
	}
	if err := z.Skipped(); err != nil {
		return nil, fmt.Errorf("record: read zeek tsv: %w", err)
	}
	t := z.ZeekTSV
	t.buildIndex()
	return &t, nil
}

// ZeekTSVReader reads a Zeek TSV log row by row, in memory bounded by its
// longest line: a log of any size can be streamed. Its ZeekTSV is the
// header as read so far (Rows stays empty); a file of logs put one after
// the other may change it between rows.
type ZeekTSVReader struct {
	ZeekTSV
	lines *LineReader
	rows  int // rows returned
	// Malformed counts the rows skipped; FirstMalformed is the line of
	// the first, and why names its fault.
	Malformed      int
	FirstMalformed int
	why            string
}

// maxTSVLine bounds one line of a Zeek TSV log.
const maxTSVLine = 16 << 20

// NewZeekTSVReader reads the log from r (see ReadZeekTSV for what it
// understands).
func NewZeekTSVReader(r io.Reader) *ZeekTSVReader {
	z := &ZeekTSVReader{ZeekTSV: ZeekTSV{Separator: "\t", SetSeparator: ",", EmptyField: "(empty)", UnsetField: "-"}}
	z.lines = NewLineReader(r, maxTSVLine)
	return z
}

// Next returns the next row, one cell per field; io.EOF after the last.
// Directives met on the way update the header. Malformed rows are
// skipped and counted (Skipped): a line longer than 16 MiB, and, once the
// fields are known, a row with another number of cells or whose ts is
// not a number (or the mask of a btest baseline, XXXXXXXXXX.XXXXXX).
func (z *ZeekTSVReader) Next() ([]string, error) {
	for {
		line, tooLong, err := z.lines.Next()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("record: read zeek tsv after line %d: %w", z.lines.Line, err)
		}
		if tooLong {
			z.malformed(fmt.Sprintf("longer than %d bytes", maxTSVLine))
			continue
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if err := z.directive(string(line)); err != nil {
				return nil, fmt.Errorf("record: zeek tsv line %d: %w", z.lines.Line, err)
			}
			continue
		}
		cells := strings.Split(string(line), z.Separator)
		if z.Fields == nil && z.rows == 0 && looksLikeHeader(cells) {
			z.Fields = cells
			z.index = nil
			continue
		}
		if why := z.fault(cells); why != "" {
			z.malformed(why)
			continue
		}
		z.rows++
		return cells, nil
	}
}

// fault says what is wrong with a row, "" when nothing is: its cells must
// match the fields, when known, and its ts be a time.
func (z *ZeekTSVReader) fault(cells []string) string {
	if z.Fields == nil {
		return ""
	}
	if len(cells) != len(z.Fields) {
		return fmt.Sprintf("%d cells for %d fields", len(cells), len(z.Fields))
	}
	if i := z.fieldAt("ts"); i >= 0 && !IsJSONNumber(cells[i]) && !maskedTime(cells[i]) {
		return "ts is not a number"
	}
	return ""
}

// maskedTime tells the times Zeek's test baselines mask (btest's
// diff-remove-timestamps: XXXXXXXXXX.XXXXXX, 1XXXXXXXXXX.XXXXXX), read
// as rows without a time of their own.
func maskedTime(v string) bool {
	return strings.Contains(v, "X") && strings.Trim(v, "X.0123456789") == ""
}

func (z *ZeekTSVReader) malformed(why string) {
	if z.Malformed++; z.Malformed == 1 {
		z.FirstMalformed, z.why = z.lines.Line, why
	}
}

// Skipped describes the rows skipped so far, nil when none were.
func (z *ZeekTSVReader) Skipped() error {
	if z.Malformed == 0 {
		return nil
	}
	return fmt.Errorf("%d malformed rows skipped (first at line %d: %s)", z.Malformed, z.FirstMalformed, z.why)
}

func (t *ZeekTSV) directive(s string) error {
	switch {
	case strings.HasPrefix(s, "#separator "):
		sep, err := unescapeZeek(strings.TrimPrefix(s, "#separator "))
		if err != nil {
			return err
		}
		if sep == "" {
			return fmt.Errorf("empty separator")
		}
		t.Separator = sep
		return nil
	case strings.HasPrefix(s, "#close"):
		t.Closed = true
		return nil
	}
	name, val, ok := strings.Cut(s[1:], t.Separator)
	if !ok {
		return nil // comment or directive without a value
	}
	switch name {
	case "set_separator":
		t.SetSeparator = val
	case "empty_field":
		t.EmptyField = val
	case "unset_field":
		t.UnsetField = val
	case "path":
		t.Path = val
	case "fields":
		t.Fields = strings.Split(val, t.Separator)
		t.index = nil // built again for the new fields
	case "types":
		t.Types = strings.Split(val, t.Separator)
	}
	return nil
}

func unescapeZeek(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad escape %q", s[i:i+4])
			}
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

func looksLikeHeader(cells []string) bool {
	for _, c := range cells {
		if c == "" || !(c[0] >= 'a' && c[0] <= 'z') {
			return false
		}
		for i := 0; i < len(c); i++ {
			ch := c[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '.') {
				return false
			}
		}
	}
	return true
}

// fieldAt is the index of the named field, -1 when the log has none.
func (t *ZeekTSV) fieldAt(field string) int {
	if t.index == nil {
		t.buildIndex()
	}
	if i, ok := t.index[field]; ok {
		return i
	}
	return -1
}

func (t *ZeekTSV) buildIndex() {
	t.index = make(map[string]int, len(t.Fields))
	for i, f := range t.Fields {
		t.index[f] = i
	}
}

// Has reports whether the log has the named field.
func (t *ZeekTSV) Has(field string) bool {
	if t.index == nil {
		t.buildIndex()
	}
	_, ok := t.index[field]
	return ok
}

// Get returns row's value of field. ok is false when the log has no such
// field or the value is the unset marker; the empty marker yields "".
func (t *ZeekTSV) Get(row []string, field string) (v string, ok bool) {
	if t.index == nil {
		t.buildIndex()
	}
	i, found := t.index[field]
	if !found || i >= len(row) {
		return "", false
	}
	v = row[i]
	switch v {
	case t.UnsetField:
		return "", false
	case t.EmptyField:
		return "", true
	}
	return v, true
}

// Maps returns every row as a field → value map; unset fields are absent
// and empty ones map to "".
func (t *ZeekTSV) Maps() []map[string]string {
	out := make([]map[string]string, 0, len(t.Rows))
	for _, row := range t.Rows {
		m := make(map[string]string, len(t.Fields))
		for _, f := range t.Fields {
			if v, ok := t.Get(row, f); ok {
				m[f] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// IsJSONNumber tells whether v is written as a JSON number, and so can go
// into a JSON line as it is: Zeek's numbers are ("1714417137.321305",
// "443", "-3"); a cell Go would parse but JSON not ("Inf", "+1", "0x10",
// "01") is written as a string instead.
func IsJSONNumber(v string) bool {
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		return i - start
	}
	switch n := digits(); {
	case n == 0, n > 1 && v[i-n] == '0':
		return false
	}
	if i < len(v) && v[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(v)
}
