package longconn

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/detect/netset"
)

// TestStillOpen: in a live run a backdoor's connection open for days is
// reported when its conn_long record shows it has lasted the threshold
// (an hour: the flow table writes a record once the connection has lasted
// its age, so the record of the hour), not when it ends; its later
// conn_long records and its end add no second alert. A conn_long record
// under the threshold says nothing.
func TestStillOpen(t *testing.T) {
	internal := netset.MustParse(netset.DefaultInternal...)
	c := dt.Conn{TS: 1000, UID: "Cback", Src: "10.0.0.7", SrcP: 50000, Dst: "203.0.113.9", DstP: 4444, OrigBytes: 1e4, RespBytes: 2e4}
	at := func(dur float64, log string) dt.Line {
		c := c
		c.Duration = dur
		l := c.Line()
		l.Log = log
		return l
	}
	alerts := dt.Run(t, New(DefaultConfig(), internal), []dt.Line{
		at(600, "conn_long"), at(1800, "conn_long"), at(3600, "conn_long"), at(7200, "conn_long"), at(43200, "conn_long"), at(260000, "conn"),
	})
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1: %v", len(alerts), alerts)
	}
	a := alerts[0]
	if a.Class != "conn.long" || a.UID != "Cback" || dt.Num(t, a, "duration_s") != 3600 || a.Evidence["still_open"] != true {
		t.Fatalf("alert %s", a.JSON())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), []dt.Line{at(600, "conn_long"), at(1800, "conn_long")}))
}
