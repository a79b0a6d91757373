package longconn

// Review test (threat-hunter / RITA persona): fails against the code as
// reviewed and should pass once the problem is fixed.

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
)

// TestReviewReconnectingTunnelTotalDuration: a reverse tunnel that drops
// and re-dials its C2 every 50 minutes (or an interactive session that
// Zeek's and Vigil's 5-minute TCP inactivity timeout cuts into pieces)
// keeps 10.0.0.7 connected to 203.0.113.9 for 20 hours of a day. RITA
// scores long connections on the pair's total duration (its
// LongConnectionMinimumDuration against total_duration); Vigil judges each
// conn record alone, so no piece reaches an hour and nothing is reported.
func TestReviewReconnectingTunnelTotalDuration(t *testing.T) {
	internal := netset.MustParse(netset.DefaultInternal...)
	var l []dt.Line
	for i := 0; i < 24; i++ {
		l = append(l, dt.Conn{TS: 1.7e9 + float64(i)*3000, UID: fmt.Sprintf("Ct%d", i), Src: "10.0.0.7", SrcP: 50000 + i, Dst: "203.0.113.9", DstP: 8443,
			Duration: 2990, OrigBytes: 400_000, RespBytes: 900_000, OrigPkts: 3000, RespPkts: 3000}.Line())
	}
	for _, a := range dt.Run(t, New(DefaultConfig(), internal), l) {
		if a.Class == "conn.long" {
			return
		}
	}
	t.Errorf("24 back-to-back 50-minute connections (20 h in all) to one external address: no conn.long alert")
}
