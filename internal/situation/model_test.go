package situation

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/duckdb"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

func TestModel(t *testing.T) {
	db, err := duckdb.Open(filepath.Join(t.TempDir(), "v.duckdb"), duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	m := New(db, DefaultConfig())
	if s, err := m.Compute(ctx); err != nil || s.Level != "none" {
		t.Fatalf("empty store: %+v %v", s, err)
	}
	w := store.NewWriter(db, store.DefaultWriterConfig())
	g := storetest.New(1, 50)
	g.Rate = 20 // 30 minutes of traffic
	for range 36000 {
		w.Record("conn", g.ConnJSON())
	}
	end := g.T0 + 1800
	a, v := g.Host(3), g.Host(4)
	for i := range 20 {
		w.Record("alerts", storetest.AlertJSON(end-300+float64(i*10), "bruteforce.ssh", 2, a, v))
	}
	w.Record("incidents", storetest.IncidentJSON("inc-9", end-300, end, a, v, 2, 80))
	w.Record("assets", storetest.AssetJSON("00:00:00:00:00:04", v, "server", "iot.insecure_protocol"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := m.Compute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Index < 40 || len(s.Components) != 4 || len(s.Series) < 25 || len(s.Forecast) != 30 {
		t.Fatalf("snapshot: index %v, %d components, %d points, %d forecast", s.Index, len(s.Components), len(s.Series), len(s.Forecast))
	}
	if s.Series[0].Index >= s.Index {
		t.Errorf("index did not rise with the attack: %v → %v", s.Series[0].Index, s.Index)
	}
	if len(s.Risks) != 1 || s.Risks[0].Threat == 0 || s.Risks[0].Exposure == 0 {
		t.Errorf("risks: %+v", s.Risks)
	}
	saved, _ := db.Situation(ctx, store.Range{})
	if len(saved) != len(s.Series) {
		t.Errorf("saved %d points, computed %d", len(saved), len(s.Series))
	}
	t.Logf("index %.1f (%s), components %+v", s.Index, s.Level, s.Components)
}

// A detector that repeats an info alert a thousand times in a quarter
// of an hour must not raise the index above one critical alert: the
// index is monotonic in severity, not in one detector's noise.
func TestIndexNoisyDetector(t *testing.T) {
	alerts := func(s *Snapshot) float64 { return s.Series[len(s.Series)-1].Components["alerts"] }
	noisy := situationOf(t, func(w *store.Writer) {
		for i := range 1000 {
			w.Record("alerts", storetest.AlertJSON(t0+float64(i)*0.5, "policy.cleartext", 4, printer, outside))
		}
	})
	crit := situationOf(t, func(w *store.Writer) {
		w.Record("alerts", storetest.AlertJSON(t0+499, "exploit.rce", 1, outside, server))
	})
	t.Logf("alerts component: 1000 info alerts %v (index %v), one critical %v (index %v)", alerts(noisy), noisy.Index, alerts(crit), crit.Index)
	if alerts(noisy) >= alerts(crit) {
		t.Errorf("1000 info alerts %v ≥ one critical alert %v", alerts(noisy), alerts(crit))
	}
}

// A server that has seen five minutes of data says so instead of
// drawing a forecast.
func TestForecastNotEnoughData(t *testing.T) {
	s := situationOf(t, func(w *store.Writer) {
		for i := range 5 {
			w.Record("alerts", storetest.AlertJSON(t0+60*float64(i), "scan.vertical", 3, outside, printer))
		}
	})
	if len(s.Forecast) != 0 || len(s.AlertSeries) != 0 || s.ForecastNote == "" {
		t.Errorf("%d points: forecast %v, alerts %v, note %q", len(s.Series), s.Forecast, s.AlertSeries, s.ForecastNote)
	}
}
