package exfil

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// restartLines: 10.1.0.5 uploads 3 MB every 10 minutes for three and a
// half days (its baseline), and 25 MB to a new address an hour after day
// 3; 10.1.0.6 uploads 6 MB every 10 minutes to one address from day 2.5
// (a slow exfiltration whose daily sum reaches 500 MB 14 hours later).
func restartLines(t0 float64) []dt.Line {
	var l []dt.Line
	for i, ts := 0, 0.0; ts < 3.5*day; i, ts = i+1, ts+600 {
		l = append(l, dt.Conn{TS: t0 + ts, Src: "10.1.0.5", SrcP: 50000, Dst: fmt.Sprintf("203.0.113.%d", i%200), DstP: 443,
			OrigBytes: 3_000_000, RespBytes: 10_000}.Line())
	}
	l = append(l, dt.Conn{TS: t0 + 3*day + 120, Src: "10.1.0.5", SrcP: 50001, Dst: "192.0.2.9", DstP: 443, OrigBytes: 25_000_000, RespBytes: 10_000}.Line())
	for ts := 2.5 * day; ts < 3.5*day; ts += 600 {
		l = append(l, dt.Conn{TS: t0 + ts, Src: "10.1.0.6", SrcP: 50000, Dst: "198.51.100.77", DstP: 443, OrigBytes: 6_000_000, RespBytes: 10_000}.Line())
	}
	return l
}

// A restart at day 3 with the state saved and loaded gives the alerts of
// a run without the restart: the slow exfiltration's daily sum, begun
// before the restart, is reported, and the host whose baseline is 3 MB an
// interval is not reported for 25 MB. A detector started fresh at the
// restart reports the 25 MB (a new host's floor is 1 MB) and misses the
// daily sum.
func TestStateRestart(t *testing.T) {
	const t0 = 1.7e9
	lines := restartLines(t0)
	want := dt.Run(t, New(DefaultConfig(), internal), lines)
	if m := dt.Merged(want); len(m) != 1 || m[0].Src != "10.1.0.6" || m[0].Evidence["rule"] != "daily" {
		t.Fatalf("the run without a restart: %v", dt.Classes(want))
	}
	got, state := dt.RunRestarted(t, New(DefaultConfig(), internal), New(DefaultConfig(), internal), lines, t0+3*day)
	dt.SameAlerts(t, want, got)
	t.Logf("state %d bytes: %s", len(state), want[0].Summary)

	var after []dt.Line
	for _, l := range lines {
		if l.TS >= t0+3*day {
			after = append(after, l)
		}
	}
	fresh := dt.Merged(dt.Run(t, New(DefaultConfig(), internal), after))
	if len(fresh) != 1 || fresh[0].Src != "10.1.0.5" {
		var sums []string
		for _, a := range fresh {
			sums = append(sums, a.Summary)
		}
		t.Errorf("a fresh detector: %v; the test does not tell a kept state from a lost one", sums)
	}
}

// A state that is truncated, of another version, or over this detector's
// bounds is refused, and the detector is left fresh.
func TestStateRefused(t *testing.T) {
	const t0 = 1.7e9
	d := New(DefaultConfig(), internal)
	dt.RunRestarted(t, d, New(DefaultConfig(), internal), restartLines(t0), t0+3*day)
	var buf bytes.Buffer
	if err := d.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	state := buf.Bytes()
	one := DefaultConfig()
	one.MaxHosts = 1
	damages := append(dt.Damaged(DefaultConfig(), state, stateVersion),
		dt.Damage[Config]{Name: "max_hosts", Cfg: one, State: state, Want: "more than 1"},
	)
	dt.Refuses(t, func(c Config) *Detector { return New(c, internal) }, func(d *Detector) string {
		if len(d.hosts)+len(d.open) == 0 {
			return ""
		}
		return d.StateSummary()
	}, damages)
}

// A state saved with another interval_s is refused (its open intervals
// and baselines are counted in the old intervals): loaded, the open
// interval of 10.1.0.5, numbered in 10-minute intervals, would be read as
// an hour-long interval of some 300 years hence, which never ends, and
// the host's uploads would all go into it, unjudged: 500 MB to a new
// address, an hour after the restart, not reported while the sensor runs.
func TestStateInterval(t *testing.T) {
	const t0 = 1.7e9
	d := New(DefaultConfig(), internal)
	dt.RunRestarted(t, d, New(DefaultConfig(), internal), restartLines(t0), t0+3*day)
	var buf bytes.Buffer
	if err := d.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	// A state of version 1 (no interval_s in it) still loads.
	v1 := append([]byte{1}, buf.Bytes()[9:]...)
	if err := New(DefaultConfig(), internal).LoadState(bytes.NewReader(v1)); err != nil {
		t.Errorf("a state of version 1: %v", err)
	}
	hourly := DefaultConfig()
	hourly.Interval = 3600
	d = New(hourly, internal)
	if err := d.LoadState(bytes.NewReader(buf.Bytes())); err == nil || !strings.Contains(err.Error(), "interval_s") {
		t.Errorf("a state of 10-minute intervals loaded with interval_s 3600: %v", err)
	}
	var got []alert.Alert
	emit := func(a alert.Alert) { got = append(got, a) }
	var r rec.Rec
	for i := range 6 {
		ts := t0 + 3*day + 3600 + float64(i)*60
		l := dt.Conn{TS: ts, UID: fmt.Sprintf("Cx%d", i), Src: "10.1.0.5", SrcP: 50002, Dst: "192.0.2.99", DstP: 443,
			OrigBytes: 100_000_000, RespBytes: 10_000}.Line()
		if err := r.Parse(l.Log, l.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
		d.Flush(ts, emit)
	}
	d.Flush(t0+3*day+5*3600, emit) // four hours on, the sensor still running
	if len(got) == 0 {
		t.Errorf("600 MB to a new address not reported within four hours (%s)", d.StateSummary())
	}
}

// A state whose open interval lies past its host's last upload (hostile,
// or of another interval_s before the interval was saved) is refused.
func TestStateIntervalAhead(t *testing.T) {
	d := New(DefaultConfig(), internal)
	d.LoadState(bytes.NewReader(nil))
	h := d.host(netip.MustParseAddr("10.1.0.5"), func(alert.Alert) {})
	h.bucket, h.last = 1<<40, 1.7e9
	d.open = append(d.open, h)
	var buf bytes.Buffer
	if err := d.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	if err := New(DefaultConfig(), internal).LoadState(bytes.NewReader(buf.Bytes())); err == nil {
		t.Error("an interval far past the host's last upload was loaded")
	}
}
