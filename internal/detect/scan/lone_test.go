package scan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// TestLoneProbesChangeNoAlert: keeping a source's first probe aside
// (lone.go) changes no alert. Random streams of a few sources — probes
// repeated, records out of order, probes minutes or hours apart (past Window, Idle and
// SlowIdle, where the episode or the slow record ends), conversations
// after a lone probe — are run through a detector with lone probes and
// one without, flushed every 10 s of record time; low thresholds make
// them alert often, fast and slow. The alerts must be the same, in the
// same order, and so must what the detectors hold in the end.
func TestLoneProbesChangeNoAlert(t *testing.T) {
	cfg := DefaultConfig()
	cfg.VerticalPorts, cfg.HorizontalHosts, cfg.Window, cfg.Idle = 3, 3, 60, 120
	cfg.SlowWindow, cfg.SlowPorts, cfg.SlowHosts, cfg.SlowIdle = 1200, 3, 3, 600
	total, slow := 0, 0
	for seed := range uint64(40) {
		lines := loneStream(rand.New(rand.NewPCG(seed, 7)))
		with, without := New(cfg, internal), New(cfg, internal)
		without.lonesAllowed = false
		a, b := runFlushed(t, with, lines), runFlushed(t, without, lines)
		if !slices.Equal(a, b) {
			t.Fatalf("seed %d: with lone probes %d alerts, without %d:\n%v\n%v", seed, len(a), len(b), a, b)
		}
		if len(with.lone) != 0 || len(with.sources) != len(without.sources) || len(with.slow) != len(without.slow) {
			t.Errorf("seed %d: left %d lone probes, %d/%d sources, %d/%d slow records", seed, len(with.lone),
				len(with.sources), len(without.sources), len(with.slow), len(without.slow))
		}
		total += len(a)
		for _, x := range a {
			if strings.Contains(x, `"pace":"slow"`) {
				slow++
			}
		}
	}
	if total < 100 || slow < 20 {
		t.Errorf("only %d alerts in all, %d of slow scans: the streams test little", total, slow)
	}
	t.Logf("%d alerts, %d of slow scans", total, slow)
}

// loneStream returns hours of probes and conversations from eight
// sources, some probes sent again, in time order but for neighbours
// swapped now and then.
func loneStream(rng *rand.Rand) []dt.Line {
	var l []dt.Line
	last := map[string]dt.Conn{}
	ts := 1000.0
	for i := range 1500 {
		// Gaps from a second to two hours: most short, some past Window,
		// Idle and SlowIdle.
		ts += []float64{1, 1, 1, 1, 1, 5, 5, 5, 30, 30, 70, 130, 700, 7200}[rng.IntN(14)]
		src := fmt.Sprintf("10.9.0.%d", 1+rng.IntN(8))
		c := dt.Conn{TS: ts, UID: fmt.Sprintf("C%dx%d", i, rng.IntN(1000)), Src: src, SrcP: 40000 + i,
			Dst: fmt.Sprintf("10.66.%d.%d", rng.IntN(2), 1+rng.IntN(4)), DstP: 20 + rng.IntN(5), State: "S0"}
		if prev, ok := last[src]; ok && rng.IntN(4) == 0 {
			c.Dst, c.DstP, c.Proto = prev.Dst, prev.DstP, prev.Proto // the probe sent again
		}
		last[src] = c
		switch rng.IntN(10) {
		case 0: // a conversation
			c.State, c.OrigBytes, c.RespBytes, c.OrigPkts, c.RespPkts = "SF", 300, 3000, 5, 5
		case 1: // a ping
			c.Proto, c.DstP, c.SrcP = "icmp", 0, 8
		case 2: // the UID longer than a lone probe holds in place
			c.UID = fmt.Sprintf("CLongerThanTwentyTwoBytes%d", i)
		}
		l = append(l, c.Line())
	}
	for i := range len(l) - 1 { // records a little out of order, as several workers hand them
		if rng.IntN(8) == 0 {
			l[i], l[i+1] = l[i+1], l[i]
		}
	}
	return l
}

// runFlushed runs lines through d, flushing every 10 s of record time and
// at the end, and returns the alerts as JSON.
func runFlushed(t *testing.T, d *Detector, lines []dt.Line) []string {
	t.Helper()
	var out []string
	emit := func(a alert.Alert) { a.Fill(); out = append(out, string(a.JSON())) }
	var r rec.Rec
	flushed := math.Inf(-1)
	for _, line := range lines {
		if err := r.Parse(line.Log, line.JSON); err != nil {
			t.Fatal(err)
		}
		if ts := r.TS(); ts-flushed >= 10 {
			d.Flush(ts, emit)
			flushed = ts
		}
		d.Handle(&r, emit)
	}
	d.Flush(math.Inf(1), emit)
	return out
}

// TestLoneProbesExpire: a lone probe whose episode and slow record have
// both ended is forgotten at a flush, its slot in the order with it; the
// final flush forgets them all (at once: dropAllLones).
func TestLoneProbesExpire(t *testing.T) {
	d := New(DefaultConfig(), internal)
	var lines []dt.Line
	for i := range 3000 {
		lines = append(lines, dt.Conn{TS: 1000 + float64(i), Src: fmt.Sprintf("10.9.%d.%d", i/250, 1+i%250), Dst: "10.66.0.20", DstP: 80, State: "S0"}.Line())
	}
	runFlushed(t, d, lines[:len(lines)-1])
	if len(d.lone) != 0 || len(d.sources) != 0 || len(d.slow) != 0 || d.entries != 0 || len(d.loneOrder) != d.loneHead {
		t.Fatalf("after the final flush: %d lone probes, %d sources, %d slow records, %d entries, %d slots from %d",
			len(d.lone), len(d.sources), len(d.slow), d.entries, len(d.loneOrder), d.loneHead)
	}
	d = New(DefaultConfig(), internal)
	emit := func(alert.Alert) {}
	var r rec.Rec
	for _, line := range lines {
		if err := r.Parse(line.Log, line.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
	}
	d.Flush(1000+3000+d.cfg.SlowIdle-100, emit) // all but the last 100 probes are more than an hour old
	if len(d.lone) != 100 || d.entries != len(d.lone)*loneEntries || len(d.loneOrder)-d.loneHead != 100 {
		t.Errorf("%d lone probes (want 100), %d entries, %d slots from %d", len(d.lone), d.entries, len(d.loneOrder), d.loneHead)
	}
}
