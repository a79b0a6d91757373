package exfil

// Review tests (threat-hunter persona): they fail against the code as
// reviewed and should pass once the problem is fixed.

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

const day = 86400.0

// TestReviewNightlyBackupLearned: a backup server ships its metrics and
// logs (1.5 MB, one-way) to a SaaS collector every 10 minutes, and at
// 02:00 each night uploads its 20 GB backup to the same off-site provider
// (one connection, an hour). Night one is worth an alert; after a week of
// the same upload, to the same destination, at the same hour, it is the
// host's routine. The baseline is one EWMA over all the host's active
// intervals: 143 small intervals a day pull it back to ~1.5 MB before each
// night, so every night is "13000x its baseline" again, forever.
func TestReviewNightlyBackupLearned(t *testing.T) {
	const t0 = 1699920000.0 // midnight UTC
	var l []dt.Line
	for d := 0; d < 7; d++ {
		base := t0 + float64(d)*day
		for ts := 0.0; ts < day; ts += 600 {
			l = append(l, dt.Conn{TS: base + ts + 30, UID: fmt.Sprintf("Cm%d-%d", d, int(ts)), Src: "10.0.0.50", SrcP: 50000, Dst: "34.120.10.10", DstP: 443,
				Duration: 5, OrigBytes: 1_500_000, RespBytes: 4_000}.Line())
		}
		l = append(l, dt.Conn{TS: base + 2*3600, UID: fmt.Sprintf("Cbk%d", d), Src: "10.0.0.50", SrcP: 51000, Dst: "203.0.113.200", DstP: 443,
			Duration: 3600, OrigBytes: 20_000_000_000, RespBytes: 2_000_000}.Line())
	}
	nights := map[int]bool{}
	for _, a := range dt.Run(t, New(DefaultConfig(), internal), l) {
		if a.Class == "exfil" && a.Dst == "203.0.113.200" {
			nights[int((a.TS-t0)/day)] = true
			t.Logf("night %d: %s", int((a.TS-t0)/day)+1, a.Summary)
		}
	}
	if len(nights) > 2 {
		t.Errorf("the same nightly backup upload is alerted on %d of 7 nights (want at most the first two)", len(nights))
	}
}

// TestReviewSlowExfil: a host that normally uploads ~50 kB per 10 minutes
// sends 6 MB every 10 minutes, around the clock, to one external address
// it never used before: 864 MB in a day, 17000x its usual volume to a new
// destination. No interval reaches min_bytes (10 MB), and from the second
// interval on the baseline is the exfiltration itself: never reported.
func TestReviewSlowExfil(t *testing.T) {
	const t0 = 1.7e9
	var l []dt.Line
	for ts := 0.0; ts < 2*day; ts += 600 {
		l = append(l, dt.Conn{TS: t0 + ts, UID: fmt.Sprintf("Cw%d", int(ts)), Src: "10.0.0.60", SrcP: 50000, Dst: "93.184.216.34", DstP: 443,
			Duration: 2, OrigBytes: 50_000, RespBytes: 2_000_000}.Line())
	}
	for ts := day; ts < 2*day; ts += 600 {
		l = append(l, dt.Conn{TS: t0 + ts + 100, UID: fmt.Sprintf("Cx%d", int(ts)), Src: "10.0.0.60", SrcP: 51000, Dst: "185.220.101.5", DstP: 443,
			Duration: 60, OrigBytes: 6_000_000, RespBytes: 20_000}.Line())
	}
	for _, a := range dt.Run(t, New(DefaultConfig(), internal), l) {
		if a.Class == "exfil" {
			return
		}
	}
	t.Errorf("864 MB in a day to one new destination, 6 MB every 10 minutes: no exfil alert")
}
