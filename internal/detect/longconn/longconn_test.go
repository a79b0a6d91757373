package longconn

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
)

func TestLongConn(t *testing.T) {
	internal := netset.MustParse(netset.DefaultInternal...)
	d := New(DefaultConfig(), internal)
	alerts := dt.Run(t, d, []dt.Line{
		dt.Conn{TS: 1000, Src: "10.0.0.7", SrcP: 50000, Dst: "203.0.113.9", DstP: 4444, Duration: 7200, OrigBytes: 1e5, RespBytes: 2e5}.Line(),
	})
	a := dt.Find(t, alerts, "conn.long")
	if a.Src != "10.0.0.7" || a.Dst != "203.0.113.9" || dt.Num(t, a, "duration_s") != 7200 {
		t.Errorf("alert %s", a.JSON())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), []dt.Line{
		dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "203.0.113.9", DstP: 443, Duration: 1800}.Line(),
		dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "10.0.0.22", DstP: 22, Duration: 9000}.Line(),
		dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "203.0.113.10", DstP: 8883, Duration: 90000}.Line(),
	}))
}
