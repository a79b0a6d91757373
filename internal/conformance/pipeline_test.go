package conformance

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/record"
)

// runPipeline runs `vigil analyze` (analyze.Run, one worker) on trace and
// returns the output directory.
func runPipeline(t *testing.T, trace string, ignoreChecksums bool) string {
	t.Helper()
	return runPipelineWith(t, trace, func(cfg *analyze.Config) { cfg.Flow.IgnoreChecksums = ignoreChecksums })
}

// runPipelineWith is runPipeline with the configuration set by set.
func runPipelineWith(t *testing.T, trace string, set func(*analyze.Config)) string {
	t.Helper()
	out := t.TempDir()
	cfg := analyze.DefaultConfig()
	cfg.OutDir = out
	cfg.Workers = 1
	set(&cfg)
	if _, err := analyze.Run(context.Background(), cfg, []string{trace}); err != nil {
		t.Logf("%s: analyze: %v", filepath.Base(trace), err)
	}
	return out
}

// pipelineLog runs the pipeline on trace and reads one of its logs
// ("dns" for dns.log).
func pipelineLog(t *testing.T, trace string, ignoreChecksums bool, log string) []Rec {
	t.Helper()
	recs, err := ReadJSONLog(filepath.Join(runPipeline(t, trace, ignoreChecksums), log+".log"))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func readZeekTSVFile(t *testing.T, path string) *record.ZeekTSV {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tsv, err := record.ReadZeekTSV(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tsv
}

// logJob is one (baseline file, trace) pair of a log conformance test.
type logJob struct {
	row  IndexRow
	file string // baseline file in row.Dir
}

// logFloors are the lowest figures a log conformance test accepts.
type logFloors struct {
	rows   float64 // share of baseline rows agreeing on every field
	fields float64 // share of compared fields agreeing (extras count)
}

// logConformance runs the pipeline on each job's trace, compares the log
// with the baseline and reports per-trace, per-field and overall
// agreement; it fails below the floors.
func logConformance(t *testing.T, zeekDir, log string, jobs []logJob, spec *LogSpec, floors logFloors) {
	t.Helper()
	runLogConformance(t, zeekDir, log, jobs, spec, floors, runHooks{})
}

// runHooks adapt the shared conformance loop to logs whose baselines need
// a per-job setting or a normalisation before comparison. Each may be nil.
type runHooks struct {
	// setup runs before a job's pipeline run; the func it returns (may
	// be nil) runs after it.
	setup func(t *testing.T, j logJob) (undo func())
	// prep builds the baseline from its text and may rewrite Vigil's
	// records (to derive compared fields); without it the text is read as
	// Zeek TSV.
	prep func(t *testing.T, base []byte, ours []Rec) (*record.ZeekTSV, []Rec)
	// fix may rewrite the parsed baseline and Vigil's records (sets put in
	// one order, canonified values).
	fix func(base *record.ZeekTSV, ours []Rec)
}

// runLogConformance is the one conformance loop every log test uses.
func runLogConformance(t *testing.T, zeekDir, log string, jobs []logJob, spec *LogSpec, floors logFloors, h runHooks) {
	t.Helper()
	type traceResult struct {
		job logJob
		r   *Result
	}
	var results []traceResult
	var all Result
	for _, j := range jobs {
		trace := filepath.Join(zeekDir, "testing/btest/Traces", j.row.Trace)
		if _, err := os.Stat(trace); err != nil {
			t.Logf("excluded %s (%s): trace missing from the corpus", j.row.Dir, j.row.Trace)
			continue
		}
		basePath := filepath.Join(zeekDir, "testing/btest/Baseline", j.row.Dir, j.file)
		var undo func()
		if h.setup != nil {
			undo = h.setup(t, j)
		}
		ours := pipelineLog(t, trace, j.row.IgnoreChecksums(), log)
		if undo != nil {
			undo()
		}
		var base *record.ZeekTSV
		if h.prep != nil {
			text, err := os.ReadFile(basePath)
			if err != nil {
				t.Fatal(err)
			}
			base, ours = h.prep(t, text, ours)
		} else {
			base = readZeekTSVFile(t, basePath)
		}
		if h.fix != nil {
			h.fix(base, ours)
		}
		r := CompareLog(base, ours, spec)
		results = append(results, traceResult{j, r})
		all.Add(r)
	}
	verbose := os.Getenv("VIGIL_CONFORMANCE_VERBOSE") != ""
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

// logExcluded reports the exclusions of a log conformance test.
func logExcluded(t *testing.T, skipped map[string]string) {
	var names []string
	for n := range skipped {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("excluded %s: %s", n, skipped[n])
	}
}
