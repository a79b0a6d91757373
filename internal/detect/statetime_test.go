package detect

import (
	"fmt"
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

// seriesFiles are two captures of a series: in the first, a slow scan
// (alerted) and a host's upload of 60 MB, twenty times its baseline, in
// the interval open when the file ends; in the second, an hour later,
// other traffic only.
func seriesFiles() (first, second []dt.Line) {
	const t0 = restartT0
	for i, ts := 0, 0.0; ts < 6*3600; i, ts = i+1, ts+600 {
		first = append(first, dt.Conn{TS: t0 + ts, Src: "10.1.0.5", SrcP: 50000, Dst: fmt.Sprintf("203.0.113.%d", i%200), DstP: 443,
			OrigBytes: 3_000_000, RespBytes: 10_000}.Line())
	}
	first = append(first, dt.Conn{TS: t0 + 6*3600 - 60, UID: "Cbig", Src: "10.1.0.5", SrcP: 50001, Dst: "192.0.2.9", DstP: 443,
		OrigBytes: 60_000_000, RespBytes: 10_000}.Line())
	for p := 1; p <= 40; p++ {
		first = append(first, dt.Conn{TS: t0 + 2*3600 + float64(p-1)*300, UID: fmt.Sprintf("V%d", p), Src: "10.66.0.66", SrcP: 40000,
			Dst: "10.66.0.20", DstP: p, State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
	}
	for i, ts := 0, 7*3600.0; ts < 9*3600; i, ts = i+1, ts+60 {
		second = append(second, dt.Conn{TS: t0 + ts, Src: "10.66.0.9", SrcP: 50000 + i, Dst: "93.184.0.1", DstP: 443, Duration: 2,
			OrigBytes: 500, RespBytes: 40000}.Line())
	}
	return first, second
}

// A series of captures analysed one by one with a state file (StateFile
// without Resume: vigil analyze --detect-state) reports what the end of
// the first file ended once: the second file, which carries on the state
// saved before that end, does not report the same slow scan and the same
// upload again, word for word. What grows in the second file is
// reported: the slow scan's further probes.
func TestStateFileSeriesNoRepeat(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DGA.Enabled = false
	first, second := seriesFiles()
	path := filepath.Join(t.TempDir(), "detect.state")
	var n notes
	st := StateFile{Path: path, Version: "test", Log: n.log}
	e1 := runEngine(t, cfg, Output{State: st}, first)
	if got := episodeKeys(e1.Alerts()); !slices.Contains(got, "exfil|10.1.0.5|192.0.2.9|") || !slices.Contains(got, "scan.vertical|10.66.0.66|10.66.0.20|") {
		t.Fatalf("the first file: %q", got)
	}
	e2 := runEngine(t, cfg, Output{State: st}, second)
	for _, a := range e2.Alerts() {
		t.Errorf("the second file reports again: %s", a.Summary)
	}
	n.has(t, path, "loaded", "alerts reported at the end of the last input, not reported again")

	// The scan goes on in the second file: reported, with its new probes.
	var more []dt.Line
	for p := 41; p <= 50; p++ {
		more = append(more, dt.Conn{TS: restartT0 + 6*3600 + float64(p-40)*300, UID: fmt.Sprintf("V%d", p), Src: "10.66.0.66", SrcP: 40000,
			Dst: "10.66.0.20", DstP: p, State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
	}
	path2 := filepath.Join(t.TempDir(), "detect.state")
	st.Path = path2
	runEngine(t, cfg, Output{State: st}, first)
	e2 = runEngine(t, cfg, Output{State: st}, append(slices.Clone(second), more...))
	if got := episodeKeys(e2.Alerts()); !slices.Equal(got, []string{"scan.vertical|10.66.0.66|10.66.0.20|"}) {
		t.Errorf("the second file with more of the scan: %q", got)
	} else if a := dt.Find(t, e2.Alerts(), "scan.vertical"); dt.Num(t, a, "probes_total") < 50 {
		t.Errorf("the scan gone on: %s", a.Summary)
	}
}

// A log file of a series may begin with a connection that started in
// the last file's time (Zeek writes a conn record when the connection
// ends, into the file of that hour, with the time it began): it is
// judged by its end, and the state is carried on.
func TestStateFileSeriesStraggler(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DGA.Enabled = false
	first, _ := seriesFiles()
	path := filepath.Join(t.TempDir(), "detect.state")
	runEngine(t, cfg, Output{State: StateFile{Path: path, Version: "test"}}, first)
	end := restartT0 + 6*3600 - 60 // the first file's last record
	second := []dt.Line{dt.Conn{TS: end - 5400, UID: "Clong", Src: "10.66.0.9", SrcP: 40001, Dst: "93.184.0.7", DstP: 443,
		Duration: 5400 + 120, OrigBytes: 5000, RespBytes: 90000}.Line()}
	var n notes
	e, err := New(cfg, Output{State: StateFile{Path: path, Version: "test", Log: n.log}})
	if err != nil {
		t.Fatal(err)
	}
	loaded := heldState(e)
	feed(e, second)
	if held := heldState(e); held < loaded {
		t.Errorf("the state was dropped at a straggler (%d entries loaded, %d held): %q", loaded, held, n.lines)
	}
	e.out.State = StateFile{}
	e.Close()
}
