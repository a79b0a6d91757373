package detect

import (
	"path/filepath"
	"slices"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// A state whose records go on past the new input's first record is not
// carried on: analysing the same capture again with its own state, or an
// earlier capture after a later one, gives the alerts of a fresh engine,
// not a beacon's check-ins counted twice or a host's uploads of ten
// hours summed into the later state's open interval (180 MB reported as
// exfiltration where a fresh engine reports nothing); the notice says
// why.
func TestStateFileOlderInput(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DGA.Enabled = false
	before, _ := split(restartStream(), restartAt)
	// Ten hours of a host's usual uploads, ten days before the state.
	const early = restartT0 - 10*86400
	var old []dt.Line
	for ts := 0.0; ts < 10*3600; ts += 600 {
		old = append(old, dt.Conn{TS: early + ts, Src: "10.1.0.5", SrcP: 50000, Dst: "203.0.113.1", DstP: 443,
			OrigBytes: 3_000_000, RespBytes: 10_000}.Line())
	}
	for _, tc := range []struct {
		name  string
		input []dt.Line
	}{
		{"the same capture again", before},
		{"an earlier capture", old},
	} {
		path := filepath.Join(t.TempDir(), "detect.state")
		runEngine(t, cfg, Output{State: StateFile{Path: path, Version: "test"}}, before)
		var n notes
		again := runEngine(t, cfg, Output{State: StateFile{Path: path, Version: "test", Log: n.log}}, tc.input)
		fresh := runEngine(t, cfg, Output{}, tc.input)
		if got, want := episodeKeys(again.Alerts()), episodeKeys(fresh.Alerts()); !slices.Equal(got, want) {
			t.Errorf("%s with the later state: %q, a fresh engine %q", tc.name, got, want)
			for _, a := range again.Alerts() {
				t.Logf("  %s", a.Summary)
			}
		}
		n.has(t, path, "not carried on", "past this input's first")
	}
}

// A live engine whose wall clock, when it starts, is a day behind the
// records of the state it loaded (a clock that ran ahead and was set
// back) starts fresh; one that starts after them carries the state on.
func TestStateFileClockBack(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DGA.Enabled = false
	path := filepath.Join(t.TempDir(), "detect.state")
	before, _ := split(restartStream(), restartAt)
	runEngine(t, cfg, Output{State: StateFile{Path: path, Version: "test", Resume: true}}, before)
	for _, tc := range []struct {
		wall float64
		kept bool
	}{
		{restartAt - 86400, false},
		{restartAt + 60, true},
	} {
		var n notes
		e, err := New(cfg, Output{State: StateFile{Path: path, Version: "test", Resume: true, Log: n.log}})
		if err != nil {
			t.Fatal(err)
		}
		loaded := heldState(e)
		e.Advance(int64(tc.wall * 1e9))
		if held := heldState(e); (held > 0) != tc.kept || loaded == 0 {
			t.Errorf("wall clock %v: %d entries loaded, %d held after the first tick, want kept %v (%q)", tc.wall, loaded, held, tc.kept, n.lines)
		}
		e.out.State = StateFile{} // leave the file as it is
		e.Close()
	}
}
