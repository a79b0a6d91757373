package insight

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect"
)

// spoofedSources are scenarios whose attack packets carry forged source
// addresses: no alert can name the attacker by address.
var spoofedSources = map[string]bool{"syn-flood": true}

// TestLabCapturesDetected is the detection spec on the cyber range's
// committed captures (testdata/lab, made by vigil lab): every attack
// scenario raises its expected classes naming its victims (and its
// attacker, unless the sources are spoofed); the benign one raises none.
func TestLabCapturesDetected(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "lab")
	table, err := detect.EvalCaptures(dir, t.TempDir(), func(pcap, outDir string) (string, error) {
		set, out := run(t, pcap)
		_ = set
		return filepath.Join(out, "alerts.log"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())
	if len(table.Rows) < 8 {
		t.Fatalf("only %d scenarios evaluated", len(table.Rows))
	}
	for _, r := range table.Rows {
		switch {
		case r.Err != "":
			t.Errorf("%s: %s", r.Scenario, r.Err)
		case r.Benign:
			if r.FalsePerHour > 0 {
				t.Errorf("benign %s: %d alerts (%s)", r.Scenario, r.Alerts, strings.Join(r.Extra, ", "))
			}
		default:
			if r.ClassRecall < 1 {
				t.Errorf("%s: expected %v, found %v", r.Scenario, r.Expected, r.Found)
			}
			if r.VictimRecall < 1 {
				t.Errorf("%s: victim recall %.2f", r.Scenario, r.VictimRecall)
			}
			if r.AttackerRecall < 1 && !spoofedSources[r.Scenario] {
				t.Errorf("%s: attacker recall %.2f", r.Scenario, r.AttackerRecall)
			}
		}
	}
}
