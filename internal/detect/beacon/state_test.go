package beacon

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// restartLines are ten hours of a beacon's check-ins (every 5 minutes,
// jittered) among browsing, a named (TLS) pair's polls and one-off
// connections (first sightings), from t0.
func restartLines(t0 float64) []dt.Line {
	rng := rand.New(rand.NewPCG(7, 8))
	var l []dt.Line
	for ts := 0.0; ts < 10*3600; ts += 300 + rng.Float64()*20 - 10 {
		l = append(l, dt.Conn{TS: t0 + ts, Src: "10.66.0.30", SrcP: 40000, Dst: "198.51.100.66", DstP: 443, Duration: 0.3,
			OrigBytes: 310 + uint64(rng.IntN(8)), RespBytes: 800, OrigPkts: 5, RespPkts: 5}.Line())
	}
	for i, ts := 0, 0.0; ts < 10*3600; i, ts = i+1, ts+rng.ExpFloat64()*120 {
		uid := "Cweb" + string(rune('a'+i%26)) + strings.Repeat("x", i%7)
		l = append(l, dt.Rec("ssl", map[string]any{"ts": t0 + ts, "uid": uid, "id.orig_h": "10.66.0.9", "id.resp_h": "93.184.216.34",
			"server_name": "www.example.com"}))
		l = append(l, dt.Conn{TS: t0 + ts, UID: uid, Src: "10.66.0.9", SrcP: 40000 + i%1000, Dst: "93.184.216.34", DstP: 443,
			Service: "ssl", OrigBytes: uint64(300 + rng.IntN(20000)), RespBytes: 50000}.Line())
	}
	for i := range 200 {
		l = append(l, dt.Conn{TS: t0 + float64(i)*171, Src: "10.66.0.11", Dst: netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}).String(), DstP: 80}.Line())
	}
	return l
}

// A restart after six of ten hours of a beacon's check-ins, with the
// state saved and loaded, scores the beacon at the end as a run without
// the restart does: the same alerts, from all 10 hours of check-ins. A
// detector started fresh at the restart sees four hours only.
func TestStateRestart(t *testing.T) {
	const t0 = 1.7e9
	lines := restartLines(t0)
	want := dt.Run(t, New(DefaultConfig(), internal), lines)
	a := dt.Find(t, want, "c2.beacon")
	if a.Src != "10.66.0.30" || dt.Num(t, a, "connections") < 110 {
		t.Fatalf("the run without a restart: %s", a.Summary)
	}
	got, state := dt.RunRestarted(t, New(DefaultConfig(), internal), New(DefaultConfig(), internal), lines, t0+6*3600)
	dt.SameAlerts(t, want, got)
	t.Logf("state %d bytes; %s", len(state), a.Summary)

	var after []dt.Line
	for _, l := range lines {
		if l.TS >= t0+6*3600 {
			after = append(after, l)
		}
	}
	fresh := dt.Find(t, dt.Run(t, New(DefaultConfig(), internal), after), "c2.beacon")
	if n := dt.Num(t, fresh, "connections"); n >= 60 {
		t.Errorf("a fresh detector scored %v connections: the test does not tell a kept state from a lost one", n)
	}
}

// A state that is truncated, of another version, or over this detector's
// bounds is refused, and the detector is left fresh.
func TestStateRefused(t *testing.T) {
	const t0 = 1.7e9
	d := New(DefaultConfig(), internal)
	dt.RunRestarted(t, d, New(DefaultConfig(), internal), restartLines(t0), t0+6*3600)
	var buf bytes.Buffer
	if err := d.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	state := buf.Bytes()
	small := DefaultConfig()
	small.MaxPairs = 2
	few := DefaultConfig()
	few.MaxConns = 10
	future := append([]byte{stateVersion + 1}, state[1:]...)
	for _, tc := range []struct {
		name  string
		cfg   Config
		state []byte
		want  string
	}{
		{"truncated", DefaultConfig(), state[:len(state)/2], "truncated"},
		{"one byte short", DefaultConfig(), state[:len(state)-1], "truncated"},
		{"trailing", DefaultConfig(), append(bytes.Clone(state), 0), "left over"},
		{"future version", DefaultConfig(), future, "state version 2, this Vigil reads version 1"},
		{"empty", DefaultConfig(), nil, "truncated"},
		{"max_pairs", small, state, "more than 2"},
		{"max_connections_per_pair", few, state, "more than 10"},
	} {
		d := New(tc.cfg, internal)
		err := d.LoadState(bytes.NewReader(tc.state))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
		if len(d.pairs)+len(d.singles)+len(d.candidates)+len(d.singleQ) != 0 {
			t.Errorf("%s: state kept after an error: %s", tc.name, d.StateSummary())
		}
	}
}

// A server name of any length a connection can carry (an HTTP Host line
// of 8 kB, a TLS server_name of 64 kB) is saved and loaded: one
// connection naming a 2,000-byte host, which any internal host can make,
// made the whole state refused at the next start, the beacon's hours of
// check-ins with it.
func TestStateLongName(t *testing.T) {
	const t0 = 1.7e9
	lines := restartLines(t0)
	long := strings.Repeat("a", 2000) + ".example"
	lines = append(lines,
		dt.Rec("ssl", map[string]any{"ts": t0 + 100, "uid": "Clong", "id.orig_h": "10.66.0.12", "id.resp_h": "203.0.113.9", "server_name": long}),
		dt.Conn{TS: t0 + 100, UID: "Clong", Src: "10.66.0.12", SrcP: 40000, Dst: "203.0.113.9", DstP: 443, Service: "ssl", OrigBytes: 300, RespBytes: 500}.Line())
	d := New(DefaultConfig(), internal)
	dt.RunRestarted(t, d, New(DefaultConfig(), internal), lines, t0+6*3600)
	if _, ok := d.Score(netip.MustParseAddr("10.66.0.12"), netip.Addr{}, long); !ok {
		t.Fatal("the long name was not kept")
	}
	var buf bytes.Buffer
	if err := d.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	loaded := New(DefaultConfig(), internal)
	if err := loaded.LoadState(&buf); err != nil {
		t.Fatalf("a state with a %d-byte server name: %v", len(long), err)
	}
	if loaded.StateSummary() != d.StateSummary() {
		t.Errorf("loaded %s, saved %s", loaded.StateSummary(), d.StateSummary())
	}
}
