package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
)

// singleTraceJobs picks every baseline dir holding the named log that was
// made from one trace, less the excluded dirs (dir → reason).
func singleTraceJobs(rows []IndexRow, file string, excluded map[string]string) (jobs []logJob, skipped map[string]string) {
	skipped = map[string]string{}
	dirTraces := map[string]map[string]bool{}
	for _, r := range rows {
		if dirTraces[r.Dir] == nil {
			dirTraces[r.Dir] = map[string]bool{}
		}
		dirTraces[r.Dir][r.Trace] = true
	}
	for _, r := range rows {
		for _, f := range r.Files {
			if f != file {
				continue
			}
			switch why, ex := excluded[r.Dir]; {
			case ex:
				skipped[r.Dir] = why
			case len(dirTraces[r.Dir]) > 1:
				skipped[r.Dir] = "baseline dir written by runs over several traces"
			default:
				jobs = append(jobs, logJob{r, f})
			}
		}
	}
	return jobs, skipped
}

// logConformanceWith is logConformance with a setup call before each run
// and the baseline text and Vigil's records passed through prep (to derive
// compared fields).
func logConformanceWith(t *testing.T, zeekDir, log string, jobs []logJob, spec *LogSpec, floors logFloors,
	setup func(t *testing.T, j logJob), prep func(t *testing.T, base []byte, ours []Rec) (*record.ZeekTSV, []Rec)) {
	t.Helper()
	var all Result
	type traceResult struct {
		job logJob
		r   *Result
	}
	var results []traceResult
	for _, j := range jobs {
		trace := filepath.Join(zeekDir, "testing/btest/Traces", j.row.Trace)
		if _, err := os.Stat(trace); err != nil {
			t.Logf("excluded %s (%s): trace missing from the corpus", j.row.Dir, j.row.Trace)
			continue
		}
		text, err := os.ReadFile(filepath.Join(zeekDir, "testing/btest/Baseline", j.row.Dir, j.file))
		if err != nil {
			t.Fatal(err)
		}
		if setup != nil {
			setup(t, j)
		}
		base, ours := prep(t, text, pipelineLog(t, trace, j.row.IgnoreChecksums(), log))
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
		for i, d := range r.Diffs {
			if i == 6 && os.Getenv("VIGIL_CONFORMANCE_VERBOSE") == "" {
				t.Logf("           … %d more", len(r.Diffs)-i)
				break
			}
			t.Logf("           %s", d)
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
	if rows < floors.rows {
		t.Errorf("row agreement %.2f%% below the floor %.2f%%", 100*rows, 100*floors.rows)
	}
	if share(&all) < floors.fields {
		t.Errorf("field agreement %.2f%% below the floor %.2f%%", 100*share(&all), 100*floors.fields)
	}
}

// addUIDCount adds a uid_count field (the number of uids) to the baseline
// and to Vigil's records: uids themselves differ (Zeek's are random).
func addUIDCount(t *testing.T, base []byte, ours []Rec) (*record.ZeekTSV, []Rec) {
	t.Helper()
	lines := strings.Split(string(base), "\n")
	col := -1
	header := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "#fields\t"):
			col = indexOf(strings.Split(l, "\t")[1:], "uids")
			lines[i] += "\tuid_count"
			header = true
		case strings.HasPrefix(l, "#types\t"):
			lines[i] += "\tcount"
		case strings.HasPrefix(l, "#") || l == "":
		case !header:
			// zeek-cut output: the first line names the fields.
			col = indexOf(strings.Split(l, "\t"), "uids")
			lines[i] += "\tuid_count"
			header = true
		default:
			cells := strings.Split(l, "\t")
			n := 0
			if col >= 0 && col < len(cells) && cells[col] != "-" && cells[col] != "(empty)" {
				n = len(strings.Split(cells[col], ","))
			}
			lines[i] += "\t" + strconv.Itoa(n)
		}
	}
	tsv, err := record.ReadZeekTSV(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ours {
		if u, ok := m["uids"].([]any); ok {
			m["uid_count"] = json.Number(strconv.Itoa(len(u)))
		}
	}
	return tsv, ours
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
