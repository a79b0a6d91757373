package detect

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/incident"
)

// shapeRun feeds lines to an engine writing alerts.log, incidents.log
// and eve.json in a temporary directory, and returns the three read back.
func shapeRun(t *testing.T, lines []dt.Line) (alerts []alert.Alert, incs []incident.Incident, eve []map[string]any) {
	t.Helper()
	dir := t.TempDir()
	e, err := New(DefaultConfig(), Output{Dir: dir, EVE: filepath.Join(dir, "eve.json")})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(lines, func(a, b dt.Line) int {
		switch {
		case a.TS < b.TS:
			return -1
		case a.TS > b.TS:
			return 1
		}
		return 0
	})
	for _, l := range lines {
		e.Record(l.Log, l.JSON)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for _, m := range readJSONLines(t, filepath.Join(dir, "alerts.log")) {
		b, _ := json.Marshal(m)
		a, err := alert.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, a)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "incidents.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if l == "" {
			continue
		}
		var inc incident.Incident
		if err := json.Unmarshal([]byte(l), &inc); err != nil {
			t.Fatal(err)
		}
		incs = append(incs, inc)
	}
	return alerts, incs, readJSONLines(t, filepath.Join(dir, "eve.json"))
}

// sprayLines: 203.0.113.66 tries one SSH password on each of 40 servers
// (refused) and then gets in on 10.1.2.77, a server it was not refused on.
func sprayLines() []dt.Line {
	var lines []dt.Line
	ssh := func(ts float64, dst string, i int, ok bool, n int) dt.Line {
		return dt.Rec("ssh", map[string]any{"ts": ts, "uid": fmt.Sprintf("P%d", i), "id.orig_h": "203.0.113.66", "id.orig_p": 40000 + i,
			"id.resp_h": dst, "id.resp_p": 22, "auth_success": ok, "auth_attempts": n})
	}
	for h := 1; h <= 40; h++ {
		lines = append(lines, ssh(1.7e9+float64(h)*4, fmt.Sprintf("10.1.2.%d", h), h, false, 2))
	}
	return append(lines, ssh(1.7e9+400, "10.1.2.77", 77, true, 1))
}

// TestSprayLoginNamesTheServer: a password spray that gets in on one
// server is critical ("and logged in"), yet the server it got in on was
// named nowhere: not in the alert's dsts (those list the servers that
// refused it), its evidence or act, so neither the incident's victims,
// its narrative, the EVE dest_ip nor vigil eval named the one host an
// analyst must look at first.
func TestSprayLoginNamesTheServer(t *testing.T) {
	const got = "10.1.2.77"
	alerts, incs, eve := shapeRun(t, sprayLines())
	if len(alerts) != 1 || alerts[0].Class != "bruteforce.ssh" || alerts[0].Evidence["kind"] != "spray" {
		t.Fatalf("want one spray alert, got %+v", alerts)
	}
	a := alerts[0]
	if a.Dst != "" || a.Severity != alert.Critical {
		t.Errorf("dst %q severity %d, want none and critical", a.Dst, a.Severity)
	}
	if !slices.Contains(a.Dsts, got) || !strings.Contains(a.Act, "logged in on "+got) {
		t.Errorf("the server logged in on is not named: dsts %v, act %q", a.Dsts, a.Act)
	}
	if len(incs) != 1 {
		t.Fatalf("%d incidents", len(incs))
	}
	if inc := incs[0]; !slices.Contains(inc.Victims, got) || inc.VictimCount != 41 || !strings.Contains(inc.Narrative, got) {
		t.Errorf("incident victims %d %v, narrative %q: want %s among the 41", inc.VictimCount, inc.Victims, inc.Narrative, got)
	}
	if len(eve) != 1 || eve[0]["dest_ip"] != got {
		t.Errorf("EVE dest_ip %v, want the server logged in on, %s", eve[0]["dest_ip"], got)
	}
	row := Score(Labels{Attacker: StringList{"203.0.113.66"}, Victims: StringList{got}, ExpectedClasses: []string{"bruteforce.ssh"}}, alerts)
	if row.VictimRecall != 1 {
		t.Errorf("eval victim recall %v, want 1", row.VictimRecall)
	}
}
