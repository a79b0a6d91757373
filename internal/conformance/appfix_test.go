package conformance

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
)

// fixedJobs is logConformance with two hooks (see runHooks): setup runs
// before a job's pipeline run and returns the undo, fix may rewrite the
// baseline and Vigil's records.
func fixedJobs(t *testing.T, zeekDir, log string, jobs []logJob, spec *LogSpec, floors logFloors,
	setup func(logJob) func(), fix func(base *record.ZeekTSV, ours []Rec)) {
	t.Helper()
	h := runHooks{fix: fix}
	if setup != nil {
		h.setup = func(_ *testing.T, j logJob) func() { return setup(j) }
	}
	runLogConformance(t, zeekDir, log, jobs, spec, floors, h)
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
