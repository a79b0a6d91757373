package exfil

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestBaselineKeptOverWeekend: a workstation that uploads 3 MB every ten
// minutes to its sync provider all Friday, then sleeps over the weekend
// (64 hours without a connection while other hosts go on), is judged on
// Monday against what it learnt on Friday: a 25 MB upload, 8x its usual,
// is no exfiltration. A host idle for a day lost its baseline and was
// judged as new (a 1 MB floor): every Monday, 25x its baseline.
func TestBaselineKeptOverWeekend(t *testing.T) {
	const hour = 3600.0
	var l []dt.Line
	for ts := 0.0; ts < 8*hour; ts += 600 {
		l = append(l, dt.Conn{TS: ts, Src: "10.0.0.8", Dst: "198.51.100.7", DstP: 443, OrigBytes: 3_000_000}.Line())
	}
	monday := 8*hour + 64*hour
	for ts := 8 * hour; ts < monday; ts += hour { // the rest of the network
		l = append(l, dt.Conn{TS: ts, Src: "10.0.0.9", Dst: "93.184.216.34", DstP: 443, OrigBytes: 20_000, RespBytes: 90_000}.Line())
	}
	l = append(l, dt.Conn{TS: monday, Src: "10.0.0.8", Dst: "198.51.100.7", DstP: 443, OrigBytes: 25_000_000}.Line())
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), l))
}
