package detect

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// busyState is the state of a busy sensor's day: 10,000 internal hosts,
// each beaconing (or polling) one external server every 15 minutes for
// a day (96 connections a pair: 10,000 pairs scored), with 5 one-off
// connections each (50,000 first sightings), and uploading 2–4 MB every
// 10 minutes to one of 20 destinations (10,000 hosts with baselines and
// daily sums); 500 slow scanners probing a port every 10 minutes, and
// 2,000 tunnels' pieces. With beacon off its uploads do not count as
// pairs; with exfil off it has none.
func busyState(tb testing.TB, beacon, exfil bool) *Engine {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.DGA.Enabled, cfg.Beacon.Enabled, cfg.Exfil.Enabled = false, beacon, exfil
	e, err := New(cfg, Output{})
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const hosts = 10_000
	var lines []dt.Line
	t0 := 1.7e9
	for step := range 144 { // ten-minute steps over a day
		ts := t0 + float64(step)*600
		lines = lines[:0]
		for h := range hosts {
			src := fmt.Sprintf("10.%d.%d.%d", h/62500, (h/250)%250, 1+h%250)
			at := ts + float64(h%600)
			if step%3 == 0 {
				lines = append(lines, dt.Conn{TS: at, UID: "B", Src: src, SrcP: 40000, Dst: fmt.Sprintf("198.51.%d.%d", h/250, 1+h%250), DstP: 443,
					Duration: 0.3, OrigBytes: 310 + uint64(rng.IntN(8)), RespBytes: 800, OrigPkts: 5, RespPkts: 5}.Line())
			}
			if exfil {
				lines = append(lines, dt.Conn{TS: at + 1, UID: "U", Src: src, SrcP: 40001, Dst: fmt.Sprintf("203.0.%d.%d", h%50, step%20), DstP: 443,
					OrigBytes: 2_000_000 + uint64(rng.IntN(2_000_000)), RespBytes: 10_000}.Line())
			}
			if step < 5 {
				lines = append(lines, dt.Conn{TS: at + 2, UID: "O", Src: src, SrcP: 40002, Dst: fmt.Sprintf("192.0.%d.%d", rng.IntN(256), 1+rng.IntN(250)), DstP: 80,
					OrigBytes: 500, RespBytes: 5000}.Line())
			}
			if h < 500 && step >= 108 {
				lines = append(lines, dt.Conn{TS: at + 3, UID: "S", Src: fmt.Sprintf("172.16.%d.%d", h/250, 1+h%250), SrcP: 40003, Dst: "10.9.0.1",
					DstP: 1 + step, State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
			}
			if h < 2000 && step%4 == 0 && step >= 132 {
				lines = append(lines, dt.Conn{TS: at + 4, UID: "L", Src: src, SrcP: 40004, Dst: "203.0.113.250", DstP: 4444, Duration: 1200,
					OrigBytes: 1e5, RespBytes: 2e5}.Line())
			}
		}
		sort.SliceStable(lines, func(i, j int) bool { return lines[i].TS < lines[j].TS })
		feed(e, lines)
	}
	return e
}

// TestStateFileSize (VIGIL_STATE_SIZE=1) reports the size of
// busyState's file and the time to save and load it: the beacon's and
// the exfiltration detector's alone, then both.
func TestStateFileSize(t *testing.T) {
	if os.Getenv("VIGIL_STATE_SIZE") != "1" {
		t.Skip("VIGIL_STATE_SIZE=1 to measure")
	}
	for _, tc := range []struct{ beacon, exfil bool }{{true, false}, {false, true}, {true, true}} {
		e := busyState(t, tc.beacon, tc.exfil)
		var buf bytes.Buffer
		start := time.Now()
		if err := e.SaveState(&buf); err != nil {
			t.Fatal(err)
		}
		save := time.Since(start)
		_, names, payloads := stateSections(t, buf.Bytes())
		var secs []string
		for i, n := range names {
			secs = append(secs, fmt.Sprintf("%s %d", n, len(payloads[i])))
		}
		cfg := e.cfg
		e2, err := New(cfg, Output{})
		if err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		info, err := e2.LoadState(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("beacon %v exfil %v: %d bytes (%v); encoded in %s, loaded in %s: %v", tc.beacon, tc.exfil, buf.Len(), secs,
			save.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), info.Loaded)
	}
}

// BenchmarkStateSave (VIGIL_STATE_SIZE=1) encodes busyState's beacon
// state.
func BenchmarkStateSave(b *testing.B) {
	if os.Getenv("VIGIL_STATE_SIZE") != "1" {
		b.Skip("VIGIL_STATE_SIZE=1 to measure")
	}
	e := busyState(b, true, false)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.encodeState(time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
