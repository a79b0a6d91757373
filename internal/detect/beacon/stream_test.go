package beacon

import (
	"math/rand/v2"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestBeaconAfterOtherTrafficLeavesWindow: a sensor that runs for days
// (vigil serve on a live interface). A user browses a site for a morning
// (400 irregular connections), then malware on the same host beacons to
// that site every 5 minutes for three days. Once the browsing has left the
// 24-hour window the pair is a clean beacon, as the analysis of the second
// day's capture alone finds; the long run must report it then, not only
// when it ends (its count stopped growing by a quarter once connections
// left the window as fast as they came, and it was never scored again).
func TestBeaconAfterOtherTrafficLeavesWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := 1.7e9
	var l []dt.Line
	for range 400 {
		l = append(l, dt.Conn{TS: base + rng.Float64()*8*3600, Src: "10.1.1.5", SrcP: 40000, Dst: "203.0.113.7", DstP: 443, Duration: 3,
			OrigBytes: uint64(500 + rng.IntN(5000)), RespBytes: uint64(rng.IntN(100000)), OrigPkts: 5, RespPkts: 5}.Line())
	}
	end := base + 4*86400
	for ts := base + 9*3600; ts < end; ts += 300 * (1 + 0.05*(rng.Float64()*2-1)) {
		l = append(l, dt.Conn{TS: ts, Src: "10.1.1.5", SrcP: 40000, Dst: "203.0.113.7", DstP: 443, Duration: 0.5,
			OrigBytes: 300, RespBytes: 1200, OrigPkts: 5, RespPkts: 5}.Line())
	}
	for _, a := range dt.Run(t, New(DefaultConfig(), internal), l) {
		if a.Class == "c2.beacon" && a.End() < end-86400 {
			t.Logf("reported %.1f h after the beacon began", (a.End()-base)/3600-9)
			return
		}
	}
	t.Fatal("a beacon going on for three days was reported only at the end of the run")
}
