package dns

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// zeekFields are the dns.log fields compared with Zeek's baselines.
var zeekFields = []string{
	"trans_id", "query", "qclass_name", "qtype_name", "rcode_name",
	"AA", "TC", "RD", "RA", "Z", "answers", "TTLs", "rejected", "opcode_name", "rtt",
}

// Conformance floors: raise them as agreement improves.
const (
	zeekFloor     = 0.995
	suricataFloor = 0.99
)

// zeekExcluded are baselines not comparable with base dns.log.
var zeekExcluded = map[string]string{
	"scripts.base.protocols.dns.dnssec": "test script writes its own log (dns.ed25519/ed448) with answers rewritten to add algorithm names",
}

type fieldCount struct{ agree, total int }

type cmpResult struct {
	zeek, vigil, matched, full int
	fields                     map[string]*fieldCount
	diffs                      []string
}

func (r *cmpResult) add(o *cmpResult) {
	r.zeek += o.zeek
	r.vigil += o.vigil
	r.matched += o.matched
	r.full += o.full
	if r.fields == nil {
		r.fields = map[string]*fieldCount{}
	}
	for f, c := range o.fields {
		if r.fields[f] == nil {
			r.fields[f] = &fieldCount{}
		}
		r.fields[f].agree += c.agree
		r.fields[f].total += c.total
	}
}

func (r *cmpResult) share() (agree, total int) {
	for _, c := range r.fields {
		agree += c.agree
		total += c.total
	}
	return
}

// unescapeZeek undoes Zeek's \xNN escapes.
func unescapeZeek(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// zeekValue normalises a baseline cell; ok false for unset.
func zeekValue(t *record.ZeekTSV, row []string, f string) (string, bool) {
	v, ok := t.Get(row, f)
	if !ok {
		return "", false
	}
	switch f {
	case "answers", "TTLs":
		if v == "" {
			return "", true
		}
		parts := strings.Split(v, t.SetSeparator)
		for i, p := range parts {
			if f == "TTLs" {
				x, _ := strconv.ParseFloat(p, 64)
				parts[i] = strconv.FormatFloat(x, 'f', 6, 64)
			} else {
				parts[i] = unescapeZeek(p)
			}
		}
		return strings.Join(parts, "\x00"), true
	}
	return unescapeZeek(v), true
}

// vigilValue renders one of our JSON records' fields the same way.
func vigilValue(m map[string]any, f string) (string, bool) {
	v, ok := m[f]
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "T", true
		}
		return "F", true
	case float64:
		if f == "TTLs" || f == "rtt" {
			return strconv.FormatFloat(x, 'f', 6, 64), true
		}
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case string:
		return latin1(x), true
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			switch y := e.(type) {
			case float64:
				parts[i] = strconv.FormatFloat(y, 'f', 6, 64)
			case string:
				parts[i] = latin1(y)
			}
		}
		return strings.Join(parts, "\x00"), true
	}
	return fmt.Sprint(v), true
}

// latin1 undoes record.AppendString's \u00XX escapes of invalid UTF-8
// bytes (which decode to runes below 0x100).
func latin1(s string) string {
	for _, r := range s {
		if r >= 0x80 && r < 0x100 {
			b := make([]byte, 0, len(s))
			for _, r := range s {
				if r < 0x100 {
					b = append(b, byte(r))
				} else {
					b = append(b, string(r)...)
				}
			}
			return string(b)
		}
	}
	return s
}

// compareDNS pairs each baseline row with the unused record of ours that
// agrees on most fields and counts agreement per field. Missing and extra
// records count as disagreeing on every field.
func compareDNS(t *record.ZeekTSV, ours []map[string]any) *cmpResult {
	r := &cmpResult{zeek: len(t.Rows), vigil: len(ours), fields: map[string]*fieldCount{}}
	var fields []string
	for _, f := range zeekFields {
		if t.Has(f) {
			fields = append(fields, f)
			r.fields[f] = &fieldCount{}
		}
	}
	used := make([]bool, len(ours))
	for _, row := range t.Rows {
		best, bestN := -1, -1
		for i, m := range ours {
			if used[i] {
				continue
			}
			n := 0
			for _, f := range fields {
				zv, zok := zeekValue(t, row, f)
				vv, vok := vigilValue(m, f)
				if zok == vok && zv == vv {
					n++
				}
			}
			if n > bestN {
				best, bestN = i, n
			}
		}
		if best < 0 {
			for _, f := range fields {
				r.fields[f].total++
			}
			r.diffs = append(r.diffs, "missing: "+strings.Join(row, " | "))
			continue
		}
		used[best] = true
		r.matched++
		if bestN == len(fields) {
			r.full++
		}
		for _, f := range fields {
			zv, zok := zeekValue(t, row, f)
			vv, vok := vigilValue(ours[best], f)
			r.fields[f].total++
			if zok == vok && zv == vv {
				r.fields[f].agree++
			} else {
				r.diffs = append(r.diffs, fmt.Sprintf("%s: zeek %q vigil %q", f, show(zv, zok), show(vv, vok)))
			}
		}
	}
	for i, m := range ours {
		if !used[i] {
			for _, f := range fields {
				r.fields[f].total++
			}
			r.diffs = append(r.diffs, fmt.Sprintf("extra: %v", m))
		}
	}
	return r
}

func show(v string, ok bool) string {
	if !ok {
		return "-"
	}
	return strings.ReplaceAll(v, "\x00", ",")
}

// TestZeekConformance compares our dns.log with Zeek's baselines on the
// traces they were made from.
func TestZeekConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	f, err := os.Open(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Skipf("no index: %v", err)
	}
	defer f.Close()
	type job struct {
		trace, dir, file string
		checksums        bool
	}
	traces := map[string][]string{}
	var jobs []job
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || strings.HasPrefix(cols[0], "#") {
			continue
		}
		for _, bf := range strings.Split(cols[2], ",") {
			if bf == "dns.log" || bf == "dns.log.cut" {
				jobs = append(jobs, job{cols[0], cols[1], bf, len(cols) > 4 && !strings.Contains(cols[4], " -C ")})
				traces[cols[1]] = append(traces[cols[1]], cols[0])
			}
		}
	}
	total := &cmpResult{fields: map[string]*fieldCount{}}
	type line struct {
		name  string
		share float64
		text  string
	}
	var lines []line
	for _, j := range jobs {
		if why, ok := zeekExcluded[j.dir]; ok {
			t.Logf("excluded %s: %s", j.dir, why)
			continue
		}
		if len(traces[j.dir]) != 1 {
			t.Logf("excluded %s: baseline made from %d traces", j.dir, len(traces[j.dir]))
			continue
		}
		bf, err := os.Open(filepath.Join(zeekDir, "testing/btest/Baseline", j.dir, j.file))
		if err != nil {
			t.Errorf("%s: %v", j.dir, err)
			continue
		}
		base, err := record.ReadZeekTSV(bf)
		bf.Close()
		if err != nil {
			t.Errorf("%s: %v", j.dir, err)
			continue
		}
		ours := runTrace(t, filepath.Join(zeekDir, "testing/btest/Traces", j.trace), j.checksums)
		r := compareDNS(base, ours)
		total.add(r)
		a, n := r.share()
		sh := 1.0
		if n > 0 {
			sh = float64(a) / float64(n)
		}
		text := fmt.Sprintf("%-60s rows %d/%d ours %d fields %d/%d (%.1f%%)", j.dir, r.full, r.zeek, r.vigil, a, n, 100*sh)
		for i, d := range r.diffs {
			if i == 6 {
				text += fmt.Sprintf("\n      … %d more", len(r.diffs)-i)
				break
			}
			text += "\n      " + d
		}
		lines = append(lines, line{j.dir, sh, text})
	}
	sort.SliceStable(lines, func(i, k int) bool { return lines[i].share < lines[k].share })
	for _, l := range lines {
		t.Log(l.text)
	}
	var names []string
	for f := range total.fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		c := total.fields[f]
		t.Logf("field %-12s %d/%d (%.1f%%)", f, c.agree, c.total, 100*float64(c.agree)/math.Max(1, float64(c.total)))
	}
	a, n := total.share()
	share := float64(a) / math.Max(1, float64(n))
	t.Logf("overall: %d traces, rows fully agreeing %d/%d, records ours %d, fields %d/%d = %.2f%%",
		len(lines), total.full, total.zeek, total.vigil, a, n, 100*share)
	if share < zeekFloor {
		t.Errorf("agreement %.4f below floor %.2f", share, zeekFloor)
	}
}
