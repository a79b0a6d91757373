package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/incident"
)

// TestReviewStreamedIncidentsMatchBuild: alerts reach the correlator when
// their episode is written (quiet_s 1800 / max_open_s 3600 after it
// began), but the correlator closes an incident gap_s (3600) after the
// newest alert it was given. An attacker scans at t0, then beacons from
// t0+100 to t0+3000 without pause: the scan alert is written at ~t0+1800,
// the incident is closed at t0+3600 while the beacon episode is still
// open in the engine, and the beacon alert (ts t0+100) written at
// t0+3700 opens a second incident with another id. incidents.log shows
// the scan and the C2 as two unrelated incidents (neither with two
// stages); incident.Build over the same alerts.log (serve, re-runs)
// gives one incident, so the two disagree on count and ids.
func TestReviewStreamedIncidentsMatchBuild(t *testing.T) {
	dir := t.TempDir()
	e, err := New(DefaultConfig(), Output{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t0 := 1.7e9
	add := func(ts float64, class, dst, act string) {
		a := alert.Alert{TS: ts, Class: class, Src: "10.66.0.66", Dst: dst, Act: act, Summary: "10.66.0.66 " + act, Confidence: 0.9, Detector: "review"}
		e.Add(a)
	}
	ns := func(ts float64) int64 { return int64(ts * 1e9) }
	add(t0, "scan.vertical", "10.66.0.20", "scanned 1000 ports on 10.66.0.20")
	add(t0+100, "c2.beacon", "198.51.100.66", "beaconed to 198.51.100.66:443/tcp")
	add(t0+1000, "c2.beacon", "198.51.100.66", "beaconed to 198.51.100.66:443/tcp")
	e.Flush(ns(t0 + 1900)) // the scan episode is written
	add(t0+2000, "c2.beacon", "198.51.100.66", "beaconed to 198.51.100.66:443/tcp")
	add(t0+3000, "c2.beacon", "198.51.100.66", "beaconed to 198.51.100.66:443/tcp")
	e.Flush(ns(t0 + 3650)) // beacon still open in the engine
	e.Flush(ns(t0 + 3800)) // beacon episode written (max_open_s)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	streamed := readJSONLines(t, filepath.Join(dir, "incidents.log"))
	raw, err := os.ReadFile(filepath.Join(dir, "alerts.log"))
	if err != nil {
		t.Fatal(err)
	}
	var alerts []alert.Alert
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		a, err := alert.Parse([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, a)
	}
	rebuilt := incident.Build(alerts, DefaultConfig().Incidents)
	if len(streamed) != len(rebuilt) {
		for _, s := range streamed {
			t.Logf("streamed %v %v: %v", s["id"], s["stages"], s["narrative"])
		}
		for _, r := range rebuilt {
			t.Logf("rebuilt  %v %v: %v", r.ID, r.Stages, r.Narrative)
		}
		t.Fatalf("incidents.log has %d incidents, incident.Build of alerts.log %d", len(streamed), len(rebuilt))
	}
	for i := range streamed {
		if streamed[i]["id"] != rebuilt[i].ID {
			t.Errorf("incident %d: streamed id %v, rebuilt %v", i, streamed[i]["id"], rebuilt[i].ID)
		}
	}
}
