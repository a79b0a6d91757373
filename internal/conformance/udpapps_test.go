package conformance

import (
	"encoding/json"
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
	h := runHooks{prep: prep}
	if setup != nil {
		h.setup = func(t *testing.T, j logJob) func() { setup(t, j); return nil }
	}
	runLogConformance(t, zeekDir, log, jobs, spec, floors, h)
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
