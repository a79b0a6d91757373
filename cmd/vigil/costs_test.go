package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/costs"
)

// TestPrintCostsNotesNesting: the engine's line includes its detectors'
// lines, and the table says so whenever both are printed.
func TestPrintCostsNotesNesting(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []costs.Entry
		note    bool
	}{
		{"engine and detectors", []costs.Entry{
			{Part: "detect", Log: "conn", Calls: 2, Time: 3 * time.Millisecond},
			{Part: "detect/scan", Log: "conn", Calls: 2, Time: time.Millisecond},
			{Part: "assets", Log: "conn", Calls: 2, Time: 2 * time.Millisecond},
		}, true},
		{"inventory only", []costs.Entry{{Part: "assets", Log: "conn", Calls: 1, Time: time.Millisecond}}, false},
		{"nothing timed", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			printCosts(&b, &analyze.Summary{Costs: c.entries}, nil)
			out := b.String()
			if got := strings.Contains(out, "detect/NAME: one detector's share"); got != c.note {
				t.Errorf("note printed %v, want %v:\n%s", got, c.note, out)
			}
			if len(c.entries) > 0 && !strings.HasPrefix(out, "Costs ") {
				t.Errorf("no table:\n%s", out)
			}
			if len(c.entries) == 0 && out != "" {
				t.Errorf("printed %q for no entries", out)
			}
		})
	}
}
