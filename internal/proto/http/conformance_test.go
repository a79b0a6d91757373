package http

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// compareFields are the http.log fields compared with Zeek's baselines.
var compareFields = []string{"trans_depth", "method", "host", "uri", "referrer", "version", "user_agent",
	"request_body_len", "response_body_len", "status_code", "status_msg", "resp_mime_types"}

// zeekExclusions are baselines made with test-specific scripts or options
// that change what http.log holds, so they cannot be compared.
var zeekExclusions = map[string]string{
	"scripts.base.protocols.http.multipart-file-limit":      "http-limited.log etc. come from a test script changing file limits",
	"scripts.base.protocols.http.http-pending-state-growth": "no http.log baseline (output only)",
}

// minZeekAgreement is the floor for the share of compared fields that agree
// with Zeek over all baselines (set just under what is reached).
const minZeekAgreement = 0.995

// normalize turns a Zeek TSV cell into what our JSON decodes to: \xNN
// escapes become bytes, which then go through the same JSON encoding.
func normalize(v string) string {
	if strings.Contains(v, `\x`) {
		var b []byte
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+3 < len(v) && v[i+1] == 'x' {
				if n, err := strconv.ParseUint(v[i+2:i+4], 16, 8); err == nil {
					b = append(b, byte(n))
					i += 3
					continue
				}
			}
			b = append(b, v[i])
		}
		v = string(b)
	}
	var s string
	_ = json.Unmarshal(record.AppendString(nil, v), &s)
	return s
}

func ourValue(r map[string]any, f string) (string, bool) {
	v, ok := r[f]
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ","), true
	}
	return fmt.Sprint(v), true
}

type tally struct{ agree, total int }

func (t tally) share() float64 {
	if t.total == 0 {
		return 1
	}
	return float64(t.agree) / float64(t.total)
}

// compareLog matches baseline rows with our records (same orig port when
// the baseline has it, same trans_depth, most fields agreeing) and counts
// agreeing fields.
func compareLog(t *testing.T, name string, base *record.ZeekTSV, ours []map[string]any, perField map[string]*tally, verbose bool) tally {
	var tl tally
	used := make([]bool, len(ours))
	var fields []string
	for _, f := range compareFields {
		if base.Has(f) {
			fields = append(fields, f)
		}
	}
	for _, row := range base.Rows {
		best, bestScore := -1, -1
		for i, r := range ours {
			if used[i] {
				continue
			}
			if p, ok := base.Get(row, "id.orig_p"); ok {
				if v, _ := ourValue(r, "id.orig_p"); v != p {
					continue
				}
			}
			if d, ok := base.Get(row, "trans_depth"); ok {
				if v, _ := ourValue(r, "trans_depth"); v != d {
					continue
				}
			}
			score := 0
			for _, f := range fields {
				bv, bok := base.Get(row, f)
				ov, ook := ourValue(r, f)
				if bok == ook && (!bok || normalize(bv) == ov) {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best >= 0 {
			used[best] = true
		}
		for _, f := range fields {
			bv, bok := base.Get(row, f)
			agree := false
			var ov string
			var ook bool
			if best >= 0 {
				ov, ook = ourValue(ours[best], f)
				agree = bok == ook && (!bok || normalize(bv) == ov)
			}
			pf := perField[f]
			if pf == nil {
				pf = &tally{}
				perField[f] = pf
			}
			pf.total++
			tl.total++
			if agree {
				pf.agree++
				tl.agree++
			} else if verbose {
				t.Logf("%s: depth %v field %s: zeek %q (set %v), ours %q (set %v, matched %v)", name,
					row[min(len(row)-1, 0)], f, bv, bok, ov, ook, best >= 0)
			}
		}
	}
	return tl
}

type indexRow struct{ trace, dir, files string }

func readIndex(t *testing.T, path string) []indexRow {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("no index: %v", err)
	}
	defer f.Close()
	var rows []indexRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "trace\t") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) < 3 {
			continue
		}
		rows = append(rows, indexRow{c[0], c[1], c[2]})
	}
	return rows
}

func TestZeekConformance(t *testing.T) {
	root := testcorpus.Require(t, "zeek")
	rows := readIndex(t, filepath.Join(root, "INDEX-trace-to-baseline.tsv"))
	verbose := os.Getenv("VIGIL_HTTP_VERBOSE") != ""
	perField := map[string]*tally{}
	var all tally
	type res struct {
		name string
		tl   tally
	}
	var results []res
	for _, r := range rows {
		if !strings.HasPrefix(r.dir, "scripts.base.protocols.http.") {
			continue
		}
		if why, ok := zeekExclusions[r.dir]; ok {
			t.Logf("excluded %s: %s", r.dir, why)
			continue
		}
		var logName string
		for _, f := range strings.Split(r.files, ",") {
			switch {
			case f == "http.log" || f == "http.log.cut":
				logName = f
			case f == "http.log.standard" && !strings.Contains(r.trace, "nonstandard"):
				logName = f
			case f == "http.log.nonstandard" && strings.Contains(r.trace, "nonstandard"):
				logName = f
			}
		}
		if logName == "" {
			continue
		}
		bf, err := os.Open(filepath.Join(root, "testing/btest/Baseline", r.dir, logName))
		if err != nil {
			t.Errorf("%s: %v", r.dir, err)
			continue
		}
		base, err := record.ReadZeekTSV(bf)
		bf.Close()
		if err != nil {
			t.Errorf("%s: %v", r.dir, err)
			continue
		}
		trace := filepath.Join(root, "testing/btest/Traces", r.trace)
		if _, err := os.Stat(trace); err != nil {
			t.Logf("%s: trace missing: %v", r.dir, err)
			continue
		}
		ours := runCapture(t, trace)
		name := strings.TrimPrefix(r.dir, "scripts.base.protocols.http.")
		tl := compareLog(t, name, base, ours, perField, verbose)
		if len(ours) != len(base.Rows) {
			t.Logf("%s: %d records, zeek %d", name, len(ours), len(base.Rows))
		}
		results = append(results, res{name, tl})
		all.agree += tl.agree
		all.total += tl.total
	}
	sort.Slice(results, func(i, j int) bool { return results[i].tl.share() < results[j].tl.share() })
	for _, r := range results {
		t.Logf("%-45s %4d/%4d  %.1f%%", r.name, r.tl.agree, r.tl.total, 100*r.tl.share())
	}
	var fs []string
	for f := range perField {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	for _, f := range fs {
		t.Logf("field %-18s %4d/%4d  %.1f%%", f, perField[f].agree, perField[f].total, 100*perField[f].share())
	}
	t.Logf("overall: %d/%d fields agree (%.2f%%) over %d baselines", all.agree, all.total, 100*all.share(), len(results))
	if all.share() < minZeekAgreement {
		t.Errorf("agreement %.2f%% below the floor %.2f%%", 100*all.share(), 100*minZeekAgreement)
	}
}
