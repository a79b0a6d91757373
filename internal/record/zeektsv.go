package record

import (
	"bufio"
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
// returned as they are.
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
	sc   *bufio.Scanner
	line int // lines read
	rows int // rows returned
}

// maxTSVLine bounds one line of a Zeek TSV log.
const maxTSVLine = 16 << 20

// NewZeekTSVReader reads the log from r (see ReadZeekTSV for what it
// understands).
func NewZeekTSVReader(r io.Reader) *ZeekTSVReader {
	z := &ZeekTSVReader{ZeekTSV: ZeekTSV{Separator: "\t", SetSeparator: ",", EmptyField: "(empty)", UnsetField: "-"}}
	z.sc = bufio.NewScanner(r)
	z.sc.Buffer(make([]byte, 64<<10), maxTSVLine)
	return z
}

// Next returns the next row, one cell per field; io.EOF after the last.
// Directives met on the way update the header.
func (z *ZeekTSVReader) Next() ([]string, error) {
	for z.sc.Scan() {
		z.line++
		s := strings.TrimSuffix(z.sc.Text(), "\r")
		if s == "" {
			continue
		}
		if strings.HasPrefix(s, "#") {
			if err := z.directive(s); err != nil {
				return nil, fmt.Errorf("record: zeek tsv line %d: %w", z.line, err)
			}
			continue
		}
		cells := strings.Split(s, z.Separator)
		if z.Fields == nil && z.rows == 0 && looksLikeHeader(cells) {
			z.Fields = cells
			z.index = nil
			continue
		}
		z.rows++
		return cells, nil
	}
	if err := z.sc.Err(); err != nil {
		return nil, fmt.Errorf("record: read zeek tsv: %w", err)
	}
	return nil, io.EOF
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
