package longconn

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
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

// TestStillOpenPairOnce: a pair reported for a connection still open is
// not reported again for its total in that window, as a pair reported for
// one long connection that ended is not: an SSH session held open to a
// server and the copies made to it meanwhile (25 minutes each) are one
// alert. Before, the conn_long alert left the pair unreported, and the
// copies' total was a second alert while the session was still open.
func TestStillOpenPairOnce(t *testing.T) {
	internal := netset.MustParse(netset.DefaultInternal...)
	open := dt.Conn{TS: 1000, UID: "Csess", Src: "10.0.0.7", SrcP: 50000, Dst: "203.0.113.9", DstP: 22, Duration: 3600, OrigBytes: 1e4, RespBytes: 2e4}
	l := open.Line()
	l.Log = "conn_long"
	lines := []dt.Line{l}
	for i := 0; i < 3; i++ {
		cp := dt.Conn{TS: 5000 + float64(i)*2000, UID: fmt.Sprintf("Ccopy%d", i), Src: "10.0.0.7", SrcP: 50001 + i, Dst: "203.0.113.9", DstP: 22, Duration: 1500, OrigBytes: 1e6, RespBytes: 1e3}
		lines = append(lines, cp.Line())
	}
	alerts := dt.Run(t, New(DefaultConfig(), internal), lines)
	if len(alerts) != 1 || alerts[0].UID != "Csess" {
		t.Fatalf("%d alerts, want 1 (the session still open): %v", len(alerts), alerts)
	}
}
