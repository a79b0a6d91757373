package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/record"
)

// Rec is one record of a Vigil JSON log, decoded with json.Number for
// numbers.
type Rec = map[string]any

// ReadJSONLog reads a Vigil log (JSON lines). A missing file is an empty
// log: Vigil creates a log on its first record.
func ReadJSONLog(path string) ([]Rec, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := ReadJSONLogReader(f)
	if err != nil {
		return recs, fmt.Errorf("conformance: %s: %w", path, err)
	}
	return recs, nil
}

// ReadJSONLogReader reads JSON-lines records from r.
func ReadJSONLogReader(r io.Reader) ([]Rec, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var out []Rec
	for {
		var m Rec
		if err := dec.Decode(&m); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, fmt.Errorf("record %d: %w", len(out)+1, err)
		}
		out = append(out, m)
	}
}

// Kind says how a field's values are put in canonical form for comparison.
type Kind uint8

const (
	// Text: strings, counts and bools (T/F), compared as Vigil's JSON
	// decodes them.
	Text Kind = iota
	// Seconds: intervals, compared to the microsecond (Zeek prints six
	// decimals).
	Seconds
	// TextList: a set or vector of Text, in order.
	TextList
	// SecondsList: a vector of Seconds.
	SecondsList
)

// Field is one compared field.
type Field struct {
	Name string
	Kind Kind
}

// LogSpec says how one log is compared.
type LogSpec struct {
	Fields []Field
	// Keys are fields a Vigil record must share with a baseline row (when
	// the baseline has them) to be paired with it: uid-independent
	// identity such as the connection tuple.
	Keys []string
	// Label is a field shown with each described row.
	Label string
}

// FieldNames returns the compared fields' names.
func (s *LogSpec) FieldNames() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

// zeekText turns a Zeek TSV cell into what Vigil's JSON of the same bytes
// decodes to: \xNN escapes become bytes and \\ a backslash (Zeek's TSV
// writer doubles backslashes), which then go through the JSON string
// encoder (invalid UTF-8 bytes become U+00XX).
func zeekText(v string) string {
	if strings.Contains(v, `\`) {
		var b []byte
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+3 < len(v) && v[i+1] == 'x' {
				if n, err := strconv.ParseUint(v[i+2:i+4], 16, 8); err == nil {
					b = append(b, byte(n))
					i += 3
					continue
				}
			}
			if v[i] == '\\' && i+1 < len(v) && v[i+1] == '\\' {
				i++
			}
			b = append(b, v[i])
		}
		v = string(b)
	}
	if isPlain(v) {
		return v
	}
	var s string
	_ = json.Unmarshal(record.AppendString(nil, v), &s)
	return s
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func seconds(s string) string {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(x, 'f', 6, 64)
}

// zeekValue is a baseline cell in canonical form; ok is false when unset.
func zeekValue(t *record.ZeekTSV, row []string, f Field) (string, bool) {
	v, ok := t.Get(row, f.Name)
	if !ok {
		return "", false
	}
	switch f.Kind {
	case Seconds:
		return seconds(v), true
	case TextList, SecondsList:
		if v == "" {
			return "", true
		}
		parts := strings.Split(v, t.SetSeparator)
		for i, p := range parts {
			if f.Kind == SecondsList {
				parts[i] = seconds(p)
			} else {
				parts[i] = zeekText(p)
			}
		}
		return strings.Join(parts, "\x00"), true
	}
	return zeekText(v), true
}

// vigilValue is a record's field in canonical form; ok is false when
// absent.
func vigilValue(m Rec, f Field) (string, bool) {
	v, ok := m[f.Name]
	if !ok || v == nil {
		return "", false
	}
	if x, isList := v.([]any); isList {
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = scalar(e, f.Kind == SecondsList)
		}
		return strings.Join(parts, "\x00"), true
	}
	return scalar(v, f.Kind == Seconds), true
}

func scalar(v any, secs bool) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "T"
		}
		return "F"
	case json.Number:
		if secs {
			return seconds(x.String())
		}
		return x.String()
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func showValue(v string, ok bool) string {
	switch {
	case !ok:
		return "-"
	case v == "":
		return "(empty)"
	}
	return strconv.Quote(strings.ReplaceAll(v, "\x00", ","))
}

// CompareLog pairs each baseline row with the unused Vigil record that
// shares its keys and agrees on most fields (the nearer ts on a tie, then
// the earlier record) and counts agreement per field (only fields the
// baseline has). A missing or extra record counts as disagreeing on every
// compared field, so FieldShare is over baseline and extra records alike.
func CompareLog(base *record.ZeekTSV, ours []Rec, spec *LogSpec) *Result {
	res := &Result{Zeek: len(base.Rows), Vigil: len(ours), Fields: map[string]*FieldCount{}}
	var fields []Field
	for _, f := range spec.Fields {
		if base.Has(f.Name) {
			fields = append(fields, f)
			res.Fields[f.Name] = &FieldCount{}
		}
	}
	var keys []Field
	for _, k := range spec.Keys {
		if base.Has(k) {
			keys = append(keys, Field{Name: k})
		}
	}
	agrees := func(row []string, m Rec, f Field) bool {
		zv, zok := zeekValue(base, row, f)
		vv, vok := vigilValue(m, f)
		return zok == vok && zv == vv
	}
	used := make([]bool, len(ours))
	for _, row := range base.Rows {
		zts, zhasTS := tsOf(zeekValue(base, row, Field{Name: "ts"}))
		best, bestN, bestDT := -1, -1, math.Inf(1)
	candidates:
		for i, m := range ours {
			if used[i] {
				continue
			}
			for _, k := range keys {
				if !agrees(row, m, k) {
					continue candidates
				}
			}
			n := 0
			for _, f := range fields {
				if agrees(row, m, f) {
					n++
				}
			}
			dt := 0.0
			if vts, ok := tsOf(vigilValue(m, Field{Name: "ts"})); ok && zhasTS {
				dt = math.Abs(vts - zts)
			}
			if n > bestN || n == bestN && dt < bestDT {
				best, bestN, bestDT = i, n, dt
			}
		}
		if best < 0 {
			res.Missing++
			for _, f := range fields {
				res.Fields[f.Name].Total++
			}
			res.Diffs = append(res.Diffs, "missing: "+describeZeek(base, row, spec))
			continue
		}
		used[best] = true
		res.Matched++
		var bad []string
		for _, f := range fields {
			c := res.Fields[f.Name]
			c.Total++
			if agrees(row, ours[best], f) {
				c.Agree++
				continue
			}
			zv, zok := zeekValue(base, row, f)
			vv, vok := vigilValue(ours[best], f)
			bad = append(bad, fmt.Sprintf("%s: zeek=%s vigil=%s", f.Name, showValue(zv, zok), showValue(vv, vok)))
		}
		if len(bad) == 0 {
			res.FullAgree++
		} else {
			res.Diffs = append(res.Diffs, describeZeek(base, row, spec)+": "+strings.Join(bad, "; "))
		}
	}
	for i, m := range ours {
		if used[i] {
			continue
		}
		res.Extra++
		for _, f := range fields {
			res.Fields[f.Name].Total++
		}
		res.Diffs = append(res.Diffs, "extra: "+describeVigil(m, spec))
	}
	return res
}

// FieldShare sums agreement over every compared field.
func (r *Result) FieldShare() (agree, total int) {
	for _, c := range r.Fields {
		agree += c.Agree
		total += c.Total
	}
	return agree, total
}

func tsOf(s string, ok bool) (float64, bool) {
	if !ok {
		return 0, false
	}
	return parseTS(s)
}

var tupleFields = []string{"id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"}

func describeZeek(t *record.ZeekTSV, row []string, spec *LogSpec) string {
	get := func(f string) string {
		v, ok := zeekValue(t, row, Field{Name: f})
		return showValue(v, ok)
	}
	return describeWith(get, spec)
}

func describeVigil(m Rec, spec *LogSpec) string {
	get := func(f string) string {
		v, ok := vigilValue(m, Field{Name: f})
		return showValue(v, ok)
	}
	return describeWith(get, spec)
}

func describeWith(get func(string) string, spec *LogSpec) string {
	var b strings.Builder
	b.WriteString(strings.Trim(get("ts"), `"`))
	for i, f := range tupleFields {
		sep := ":"
		switch i {
		case 0:
			sep = " "
		case 2:
			sep = " -> "
		}
		b.WriteString(sep + strings.Trim(get(f), `"`))
	}
	if spec.Label != "" {
		b.WriteString(" " + spec.Label + "=" + get(spec.Label))
	}
	return b.String()
}
