package detect

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestLiveClockStepsBack: a sensor boots with its clock two hours ahead
// (a hardware clock kept in local time east of UTC, read as UTC) and
// starts capturing; a few minutes later NTP steps the clock back. The
// kernel stamps packets with the system clock, so records and the wall
// clock (Advance) both go back two hours. A port scan that begins after
// the step must still reach alerts.log within minutes, as it would have
// without the step, not two hours later when the clock has caught up
// with the newest record seen before the step; nor may a connection that
// began before the step, logged when it ends during the scan, make the
// engine end the scan's state as idle.
func TestLiveClockStepsBack(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Aggregate = LiveAggregate()
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	feed := func(c dt.Conn) {
		l := c.Line()
		e.Record(l.Log, l.JSON)
	}
	ahead := 1.7e9 + 7200 // the clock before the step
	for s := 0.0; s < 300; s++ {
		feed(dt.Conn{TS: ahead + s, Src: "10.0.0.9", SrcP: 50000 + int(s), Dst: "93.184.216.34", DstP: 443, Duration: 1, OrigBytes: 500, RespBytes: 9000})
		e.Advance(int64((ahead + s) * 1e9))
	}
	now := ahead + 300 - 7200 // NTP steps the clock back
	for p := 0; p < 30; p++ {
		feed(dt.Conn{TS: now + float64(p), Src: "10.66.0.66", SrcP: 40000 + p, Dst: "10.66.0.20", DstP: 1000 + p, State: "REJ"})
		e.Advance(int64((now + float64(p)) * 1e9))
		if p == 15 { // began before the step
			feed(dt.Conn{TS: ahead + 250, Src: "10.0.0.9", SrcP: 49999, Dst: "93.184.216.34", DstP: 443, Duration: 80, OrigBytes: 500, RespBytes: 9000})
		}
	}
	for s := 0.0; s < 600; s++ {
		e.Advance(int64((now + s) * 1e9))
	}
	for _, a := range e.Alerts() {
		if a.Class == "scan.vertical" {
			return
		}
	}
	t.Fatalf("no scan alert 10 minutes after the scan (the clock stepped back 2 h before it); alerts %v", summaries(e.Alerts()))
}
