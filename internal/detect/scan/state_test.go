package scan

import (
	"bytes"
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// restartLines: an nmap -T0 vertical scan (a closed port every five
// minutes, 40 ports), a slow sweep of port 445 (a host every 4 minutes,
// 50 hosts) and a fast vertical scan (60 ports in a minute, 20 minutes
// before the restart at restartAt), among conversations.
func restartLines() []dt.Line {
	var l []dt.Line
	for p := 1; p <= 40; p++ {
		l = append(l, dt.Conn{TS: 1000 + float64(p-1)*300, UID: fmt.Sprintf("V%d", p), Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.20", DstP: p,
			State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
	}
	for h := 1; h <= 50; h++ {
		l = append(l, dt.Conn{TS: 1000 + float64(h-1)*240, UID: fmt.Sprintf("H%d", h), Src: "10.66.0.67", SrcP: 40000 + h, Dst: fmt.Sprintf("10.20.30.%d", h), DstP: 445,
			State: "S0", OrigPkts: 2}.Line())
		l = append(l, dt.Conn{TS: 1010 + float64(h-1)*240, Src: "10.66.0.67", SrcP: 50000 + h, Dst: "10.66.0.2", DstP: 443, OrigBytes: 900, RespBytes: 9000,
			OrigPkts: 8, RespPkts: 9}.Line())
	}
	for p := 1; p <= 60; p++ {
		l = append(l, dt.Conn{TS: restartAt - 1200 + float64(p), UID: fmt.Sprintf("F%d", p), Src: "10.66.0.68", SrcP: 40000, Dst: "10.66.0.21", DstP: p,
			State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
	}
	return l
}

// restartAt is when restartLines' sensor restarts: after 20 of the 40
// slow probes and 25 of the 50 hosts of the sweep.
const restartAt = 1000 + 20*300 - 150

// A restart in the middle of two slow scans, with the state saved and
// loaded, gives the alerts of a run without the restart: the slow
// records cross their thresholds (30 ports, 30 hosts) after it; the fast
// scan's episode, which is not saved, is reported at the restart with
// the numbers it had. A detector started fresh at the restart sees 20
// ports and 25 hosts: no slow scan.
func TestStateRestart(t *testing.T) {
	lines := restartLines()
	want := dt.Run(t, New(DefaultConfig(), internal), lines)
	slow, fast := slowAlerts(dt.Merged(want))
	if len(slow) != 2 || len(fast) != 1 {
		t.Fatalf("the run without a restart: %d slow, %d fast alerts, want 2 and 1: %v", len(slow), len(fast), dt.Classes(want))
	}
	got, state := dt.RunRestarted(t, New(DefaultConfig(), internal), New(DefaultConfig(), internal), lines, restartAt)
	dt.SameAlerts(t, want, got)
	t.Logf("state %d bytes", len(state))

	after := dt.After(lines, restartAt)
	if slow, _ := slowAlerts(dt.Run(t, New(DefaultConfig(), internal), after)); len(slow) != 0 {
		t.Errorf("a fresh detector found %d slow scans: the test does not tell a kept state from a lost one", len(slow))
	}
}

// A state that is truncated, of another version, or over this detector's
// bounds is refused, and the detector is left fresh; with the slow tier
// off a state is read and left out.
func TestStateRefused(t *testing.T) {
	d := New(DefaultConfig(), internal)
	dt.RunRestarted(t, d, New(DefaultConfig(), internal), restartLines(), restartAt)
	var buf bytes.Buffer
	if err := d.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	state := buf.Bytes()
	small := DefaultConfig()
	small.MaxEntries = 30
	damages := append(dt.Damaged(DefaultConfig(), state, stateVersion),
		dt.Damage[Config]{Name: "max_entries", Cfg: small, State: state, Want: "max_entries"},
	)
	dt.Refuses(t, func(c Config) *Detector { return New(c, internal) }, func(d *Detector) string {
		if len(d.slow) == 0 && d.entries == 0 && d.slowDue.Len() == 0 {
			return ""
		}
		return d.StateSummary()
	}, damages)
	off := DefaultConfig()
	off.SlowWindow = 0
	d = New(off, internal)
	if err := d.LoadState(bytes.NewReader(state)); err != nil || len(d.slow) != 0 {
		t.Errorf("slow tier off: %v, %s", err, d.StateSummary())
	}
}
