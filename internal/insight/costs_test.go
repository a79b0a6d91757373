package insight

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
)

// TestCosts: with Config.Costs (vigil analyze --costs) a run's summary
// times the inventory, the IPv6 monitor and the engine on the records of
// each log, the set times each detector and each part's Close; the
// alerts are those of a run without timing.
func TestCosts(t *testing.T) {
	path := synthMix(t, 20000, 400)
	plain, _ := run(t, path)
	icfg := DefaultConfig()
	icfg.Costs = true
	set, sum, _ := analyzeSet(t, icfg, func(cfg *analyze.Config) { cfg.Costs = true }, path)
	timed := map[string]uint64{}
	for _, e := range append(sum.Costs, set.Costs()...) {
		timed[e.Part+" "+e.Log] = e.Calls
	}
	for _, want := range []string{"assets conn", "detect conn", "ipv6mon conn", "detect/scan conn", "detect/flood conn",
		"assets close", "detect close", "ipv6mon close"} {
		if timed[want] == 0 {
			t.Errorf("%q not timed; timed: %v", want, timed)
		}
	}
	if timed["assets conn"] != timed["detect conn"] || timed["detect conn"] != timed["detect/scan conn"] {
		t.Errorf("conn records: inventory %d, engine %d, scan detector %d calls: want the same",
			timed["assets conn"], timed["detect conn"], timed["detect/scan conn"])
	}
	if got, want := len(set.Alerts()), len(plain.Alerts()); got != want || want == 0 {
		t.Errorf("%d alerts with costs timed, %d without", got, want)
	}
}
