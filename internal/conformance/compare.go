// Package conformance compares Vigil's records with the outputs other tools
// produce on the same captures (Zeek baselines in ../shared/corpus). Its
// tests print agreement figures and fail below floors raised over time.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ConnRow is one conn record as field → value in Zeek's text form; an
// absent field is unset.
type ConnRow map[string]string

// ConnFields are the fields CompareConns compares (when the baseline has
// them). "direction" is derived: whether both sides agree on which endpoint
// is the originator.
var ConnFields = []string{
	"direction", "conn_state", "history", "orig_pkts", "resp_pkts",
	"orig_bytes", "resp_bytes", "orig_ip_bytes", "resp_ip_bytes",
	"duration", "missed_bytes",
}

// LocalFields are conn.log's local_orig and local_resp, compared apart
// from ConnFields (they say where the site is, not how the connection
// went).
var LocalFields = []string{"local_orig", "local_resp"}

// DurationTolerance is the largest duration difference (seconds) counted
// as agreement.
const DurationTolerance = 0.001

// FieldCount counts agreement on one field.
type FieldCount struct{ Agree, Total int }

// Result is the outcome of comparing one set of conns with another.
type Result struct {
	Zeek      int // baseline conns
	Vigil     int // Vigil conns
	Matched   int // baseline conns paired with a Vigil conn
	FullAgree int // baseline conns whose every compared field agrees
	Missing   int // baseline conns without a Vigil counterpart
	Extra     int // Vigil conns without a baseline counterpart
	Fields    map[string]*FieldCount
	// Diffs describes disagreements (one line each, for test output).
	Diffs []string
}

// Add accumulates o into r.
func (r *Result) Add(o *Result) {
	r.Zeek += o.Zeek
	r.Vigil += o.Vigil
	r.Matched += o.Matched
	r.FullAgree += o.FullAgree
	r.Missing += o.Missing
	r.Extra += o.Extra
	if r.Fields == nil {
		r.Fields = map[string]*FieldCount{}
	}
	for f, c := range o.Fields {
		if r.Fields[f] == nil {
			r.Fields[f] = &FieldCount{}
		}
		r.Fields[f].Agree += c.Agree
		r.Fields[f].Total += c.Total
	}
}

// Agreement is the share of baseline conns that were matched and agree on
// every compared field.
func (r *Result) Agreement() float64 {
	if r.Zeek == 0 {
		return 1
	}
	return float64(r.FullAgree) / float64(r.Zeek)
}

func groupKey(r ConnRow) string {
	a := r["id.orig_h"] + "|" + r["id.orig_p"]
	b := r["id.resp_h"] + "|" + r["id.resp_p"]
	if b < a {
		a, b = b, a
	}
	return r["proto"] + "|" + a + "|" + b
}

// fieldEqual compares one field of a baseline row z and a Vigil row v.
func fieldEqual(field string, z, v ConnRow) bool {
	if field == "direction" {
		return z["id.orig_h"] == v["id.orig_h"] && z["id.orig_p"] == v["id.orig_p"]
	}
	zv, zok := z[field]
	vv, vok := v[field]
	if zok != vok {
		return false
	}
	if !zok || zv == vv {
		return true
	}
	if field == "duration" {
		a, err1 := strconv.ParseFloat(zv, 64)
		b, err2 := strconv.ParseFloat(vv, 64)
		return err1 == nil && err2 == nil && math.Abs(a-b) <= DurationTolerance
	}
	return false
}

// CompareConns pairs baseline conns with Vigil conns on (proto, endpoints)
// — by ts where both carry a real one, otherwise by best agreement when a
// tuple repeats — and compares fields (only those the baseline has).
func CompareConns(zeek, vigil []ConnRow, fields []string) *Result {
	res := &Result{Zeek: len(zeek), Vigil: len(vigil), Fields: map[string]*FieldCount{}}
	var have []string
	if len(zeek) > 0 {
		for _, f := range fields {
			if f == "direction" {
				have = append(have, f)
				continue
			}
			if _, ok := zeek[0][f]; ok || anyHas(zeek, f) {
				have = append(have, f)
			}
		}
	}
	for _, f := range have {
		res.Fields[f] = &FieldCount{}
	}
	groups := map[string][]int{}
	for i, v := range vigil {
		k := groupKey(v)
		groups[k] = append(groups[k], i)
	}
	used := make([]bool, len(vigil))
	for _, z := range zeek {
		best, bestScore := -1, -1.0
		for _, vi := range groups[groupKey(z)] {
			if used[vi] {
				continue
			}
			v := vigil[vi]
			score := 0.0
			for _, f := range have {
				if fieldEqual(f, z, v) {
					score++
				}
			}
			if zt, ok := parseTS(z["ts"]); ok {
				if vt, ok := parseTS(v["ts"]); ok {
					score -= math.Min(math.Abs(zt-vt), 1e6) * 1000
				}
			}
			if score > bestScore {
				best, bestScore = vi, score
			}
		}
		if best < 0 {
			res.Missing++
			res.Diffs = append(res.Diffs, "missing: "+describe(z, have))
			continue
		}
		used[best] = true
		res.Matched++
		v := vigil[best]
		all := true
		var bad []string
		for _, f := range have {
			if fieldEqual(f, z, v) {
				res.Fields[f].Agree++
			} else {
				all = false
				if f == "direction" {
					bad = append(bad, "direction: flipped")
				} else {
					bad = append(bad, fmt.Sprintf("%s: zeek=%s vigil=%s", f, show(z, f), show(v, f)))
				}
			}
			res.Fields[f].Total++
		}
		if all {
			res.FullAgree++
		} else {
			res.Diffs = append(res.Diffs, fmt.Sprintf("%s: %s", describe(z, nil), strings.Join(bad, "; ")))
		}
	}
	for i, v := range vigil {
		if !used[i] {
			res.Extra++
			res.Diffs = append(res.Diffs, "extra: "+describe(v, have))
		}
	}
	return res
}

func anyHas(rows []ConnRow, f string) bool {
	for _, r := range rows {
		if _, ok := r[f]; ok {
			return true
		}
	}
	return false
}

func parseTS(s string) (float64, bool) {
	if s == "" || strings.Contains(s, "X") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func show(r ConnRow, f string) string {
	if v, ok := r[f]; ok {
		if v == "" {
			return "(empty)"
		}
		return v
	}
	return "-"
}

func describe(r ConnRow, fields []string) string {
	s := fmt.Sprintf("%s %s:%s -> %s:%s", r["proto"], r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"])
	for _, f := range fields {
		if f != "direction" {
			s += " " + f + "=" + show(r, f)
		}
	}
	return s
}

// ReadConnJSON reads Vigil's conn.log (JSON lines) into rows in Zeek's text
// form.
func ReadConnJSON(r io.Reader) ([]ConnRow, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var rows []ConnRow
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return rows, nil
		} else if err != nil {
			return rows, fmt.Errorf("conformance: conn.log: %w", err)
		}
		row := ConnRow{}
		for k, v := range m {
			switch x := v.(type) {
			case string:
				row[k] = x
			case json.Number:
				row[k] = x.String()
			case []any:
				var parts []string
				for _, p := range x {
					parts = append(parts, fmt.Sprint(p))
				}
				sort.Strings(parts)
				row[k] = strings.Join(parts, ",")
			case bool:
				if x {
					row[k] = "T"
				} else {
					row[k] = "F"
				}
			default:
				row[k] = fmt.Sprint(x)
			}
		}
		rows = append(rows, row)
	}
}

// ReadConnJSONBytes is ReadConnJSON on a byte slice.
func ReadConnJSONBytes(b []byte) ([]ConnRow, error) { return ReadConnJSON(bytes.NewReader(b)) }
