package conformance

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
)

// fixedJobs is logConformance with two hooks, for logs whose baselines
// need a per-job setting or a normalisation before comparison: setup runs
// before a job's pipeline run (and returns the undo), fix may rewrite the
// baseline and Vigil's records (sets put in one order, canonified values).
func fixedJobs(t *testing.T, zeekDir, log string, jobs []logJob, spec *LogSpec, floors logFloors,
	setup func(logJob) func(), fix func(base *record.ZeekTSV, ours []Rec)) {
	type traceResult struct {
		job logJob
		r   *Result
	}
	verbose := os.Getenv("VIGIL_CONFORMANCE_VERBOSE") != ""
	var results []traceResult
	var all Result
	for _, j := range jobs {
		trace := filepath.Join(zeekDir, "testing/btest/Traces", j.row.Trace)
		if _, err := os.Stat(trace); err != nil {
			t.Logf("excluded %s (%s): trace missing from the corpus", j.row.Dir, j.row.Trace)
			continue
		}
		base := readZeekTSVFile(t, filepath.Join(zeekDir, "testing/btest/Baseline", j.row.Dir, j.file))
		undo := func() {}
		if setup != nil {
			undo = setup(j)
		}
		ours := pipelineLog(t, trace, j.row.IgnoreChecksums(), log)
		undo()
		if fix != nil {
			fix(base, ours)
		}
		r := CompareLog(base, ours, spec)
		results = append(results, traceResult{j, r})
		all.Add(r)
	}
	share := func(r *Result) float64 {
		a, n := r.FieldShare()
		if n == 0 {
			return 1
		}
		return float64(a) / float64(n)
	}
	sort.SliceStable(results, func(i, k int) bool { return share(results[i].r) < share(results[k].r) })
	for _, tr := range results {
		r := tr.r
		a, n := r.FieldShare()
		t.Logf("%6.1f%%  fields %4d/%4d  rows %3d/%3d  missing %d extra %d  %s (%s/%s)",
			100*share(r), a, n, r.FullAgree, r.Zeek, r.Missing, r.Extra, tr.job.row.Trace, tr.job.row.Dir, tr.job.file)
		if verbose || r.FullAgree < r.Zeek || r.Extra > 0 {
			for i, d := range r.Diffs {
				if i == 6 && !verbose {
					t.Logf("           … %d more", len(r.Diffs)-i)
					break
				}
				t.Logf("           %s", d)
			}
		}
	}
	var fs []string
	for _, f := range spec.Fields {
		if c := all.Fields[f.Name]; c != nil && c.Total > 0 {
			fs = append(fs, fmt.Sprintf("%s %d/%d", f.Name, c.Agree, c.Total))
		}
	}
	t.Logf("per field: %s", strings.Join(fs, ", "))
	a, n := all.FieldShare()
	rows := 1.0
	if all.Zeek > 0 {
		rows = float64(all.FullAgree) / float64(all.Zeek)
	}
	t.Logf("overall %s.log: %d baselines; rows agreeing on every field %d/%d (%.2f%%), missing %d, extra %d; fields %d/%d (%.2f%%)",
		log, len(results), all.FullAgree, all.Zeek, 100*rows, all.Missing, all.Extra, a, n, 100*share(&all))
	if rows < floors.rows || math.IsNaN(rows) {
		t.Errorf("row agreement %.2f%% below the floor %.2f%%", 100*rows, 100*floors.rows)
	}
	if share(&all) < floors.fields {
		t.Errorf("field agreement %.2f%% below the floor %.2f%%", 100*share(&all), 100*floors.fields)
	}
}

// sortSets puts the elements of the named set fields in sorted order on
// both sides: Zeek writes a set in its hash order, Vigil in insertion
// order.
func sortSets(base *record.ZeekTSV, ours []Rec, fields ...string) {
	for _, f := range fields {
		if !base.Has(f) {
			continue
		}
		i := -1
		for k, name := range base.Fields {
			if name == f {
				i = k
			}
		}
		for _, row := range base.Rows {
			if i < len(row) && row[i] != base.UnsetField && row[i] != base.EmptyField {
				parts := strings.Split(row[i], base.SetSeparator)
				sort.Strings(parts)
				row[i] = strings.Join(parts, base.SetSeparator)
			}
		}
		for _, m := range ours {
			if l, ok := m[f].([]any); ok {
				sort.Slice(l, func(a, b int) bool { return fmt.Sprint(l[a]) < fmt.Sprint(l[b]) })
			}
		}
	}
}
