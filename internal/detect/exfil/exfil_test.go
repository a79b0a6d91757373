package exfil

import (
	"fmt"
	"math"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

var internal = netset.MustParse(netset.DefaultInternal...)

// browsing is a host's normal day: small uploads every minute.
func browsing(from, to float64) []dt.Line {
	var l []dt.Line
	for ts := from; ts < to; ts += 60 {
		l = append(l, dt.Conn{TS: ts, Src: "10.0.0.7", SrcP: 50000, Dst: "93.184.216.34", DstP: 443, OrigBytes: 20_000, RespBytes: 900_000}.Line())
	}
	return l
}

func TestExfil(t *testing.T) {
	l := browsing(0, 7200)
	l = append(l, dt.Conn{TS: 7300, Duration: 120, Src: "10.0.0.7", SrcP: 50001, Dst: "198.51.100.66", DstP: 443, OrigBytes: 80_000_000, RespBytes: 50_000}.Line())
	alerts := dt.Run(t, New(DefaultConfig(), internal), l)
	a := dt.Find(t, alerts, "exfil")
	if a.Src != "10.0.0.7" || a.Dst != "198.51.100.66" || dt.Num(t, a, "bytes") != 80_000_000 {
		t.Errorf("alert %s", a.JSON())
	}
	if len(dt.Merged(alerts)) != 1 {
		t.Errorf("alerts %v", dt.Classes(alerts))
	}
}

func TestQuiet(t *testing.T) {
	l := browsing(0, 7200)
	// a host whose normal uploads are large stays under its own baseline
	l = append(l, dt.Conn{TS: 0, Src: "10.0.0.8", Dst: "198.51.100.7", DstP: 443, OrigBytes: 9_000_000}.Line())
	for ts := 600.0; ts < 7200; ts += 600 {
		l = append(l, dt.Conn{TS: ts, Src: "10.0.0.8", Dst: "198.51.100.7", DstP: 443, OrigBytes: 30_000_000}.Line())
	}
	l = append(l, dt.Conn{TS: 7300, Src: "10.0.0.8", Dst: "198.51.100.7", DstP: 443, OrigBytes: 45_000_000}.Line())
	// internal transfers are not exfiltration
	l = append(l, dt.Conn{TS: 7300, Src: "10.0.0.7", Dst: "10.0.0.2", DstP: 445, OrigBytes: 900_000_000}.Line())
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), l))
}

// TestVideoCalls: a call sends hundreds of megabytes and gets as much
// back: no exfiltration, and no baseline that hides one after it. A
// destination whose reply is a sequence-number jump (gigabytes in a few
// packets) still received a one-way upload.
func TestVideoCalls(t *testing.T) {
	call := func(ts float64) dt.Line {
		return dt.Conn{TS: ts, Duration: 1800, Src: "10.0.0.7", SrcP: 50100, Dst: "170.114.52.2", DstP: 8801, Proto: "udp",
			OrigBytes: 400_000_000, OrigPkts: 400_000, RespBytes: 380_000_000, RespPkts: 380_000}.Line()
	}
	l := append(browsing(0, 7200), call(1000), call(4000))
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), l))

	l = append(l, dt.Conn{TS: 7300, Duration: 120, Src: "10.0.0.7", SrcP: 50001, Dst: "198.51.100.66", DstP: 443, OrigBytes: 40_000_000, OrigPkts: 30_000,
		RespBytes: 3_000_000_000, RespPkts: 12, RespIPBytes: 900}.Line())
	a := dt.Find(t, dt.Run(t, New(DefaultConfig(), internal), l), "exfil")
	if a.Dst != "198.51.100.66" || dt.Num(t, a, "bytes") != 40_000_000 || dt.Num(t, a, "reply_bytes") != 900 {
		t.Errorf("alert %s", a.JSON())
	}

	// Gigabytes in ten minutes are no call, whatever came back.
	l = append(browsing(0, 7200), dt.Conn{TS: 7300, Duration: 500, Src: "10.0.0.7", SrcP: 50002, Dst: "198.51.100.77", DstP: 443,
		OrigBytes: 3_000_000_000, OrigPkts: 2_100_000, RespBytes: 1_600_000_000, RespPkts: 1_200_000}.Line())
	dt.Expect(t, dt.Run(t, New(DefaultConfig(), internal), l), "exfil", "10.0.0.7", "198.51.100.77", "bytes", 3_000_000_000)
}

// TestSequenceJump: a TCP stream whose sequence numbers jump (zeek's
// modbus/fuzz-72.pcap: 16 packets, 35,892 IP bytes, orig_bytes
// 2,147,483,972) uploaded kilobytes, not gigabytes: no alert. A capture
// that lost much of a large upload still did upload it, whether or not
// its gaps were counted in missed_bytes: alerted.
func TestSequenceJump(t *testing.T) {
	l := browsing(0, 7200)
	l = append(l, dt.Conn{TS: 7300, Duration: 18, Src: "10.0.0.7", SrcP: 50001, Dst: "198.51.100.66", DstP: 502,
		OrigBytes: 2_147_483_972, OrigPkts: 16, OrigIPBytes: 35_892, RespBytes: 2_592_669_999, RespPkts: 9}.Line())
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), l))

	for name, c := range map[string]dt.Conn{
		"gaps counted": {OrigBytes: 80_000_000, OrigPkts: 900, OrigIPBytes: 1_000_000, MissedBytes: 79_500_000},
		// The review's case: a capture that started mid-stream (no
		// handshake: no gaps counted) and lost 40% of the packets.
		"gaps not counted": {OrigBytes: 15_000_000, OrigPkts: 6_300, OrigIPBytes: 9_240_000, History: "Dd", State: "OTH"},
	} {
		l := browsing(0, 7200)
		c.TS, c.Duration, c.Src, c.SrcP, c.Dst, c.DstP, c.RespBytes = 7300, 120, "10.0.0.7", 50001, "198.51.100.66", 443, 50_000
		a := dt.Find(t, dt.Run(t, New(DefaultConfig(), internal), append(l, c.Line())), "exfil")
		if dt.Num(t, a, "bytes") != float64(c.OrigBytes) {
			t.Errorf("%s: alert %s", name, a.JSON())
		}
	}
}

// TestFlushClosesIntervalsOnTime: an interval is judged at the first
// flush more than one interval after its end, however often flushes come
// (Flush skips the work between interval ends); a host idle for eight
// days (it has a baseline) is dropped, and a host evicted past MaxHosts leaves the open list with it.
func TestFlushClosesIntervalsOnTime(t *testing.T) {
	d := New(DefaultConfig(), internal)
	var alerts []alert.Alert
	emit := func(a alert.Alert) { alerts = append(alerts, a) }
	feed := feeder(t, &d, emit)
	feed(dt.Conn{TS: 7300, Src: "10.0.0.7", Dst: "198.51.100.66", DstP: 443, OrigBytes: 80_000_000})
	for now := 7310.0; now <= 8400; now += 10 { // the interval [7200, 7800) plus one of lateness
		d.Flush(now, emit)
	}
	if len(alerts) != 0 {
		t.Fatalf("judged before its lateness allowance ended: %v", alerts)
	}
	d.Flush(8400.5, emit)
	if len(alerts) != 1 || alerts[0].Dst != "198.51.100.66" {
		t.Fatalf("alerts %v, want the upload at the first flush after 8400", alerts)
	}
	if len(d.open) != 0 || len(d.hosts) != 1 {
		t.Errorf("%d open, %d hosts after the interval closed", len(d.open), len(d.hosts))
	}
	d.Flush(7300+24*3600+1200, emit)
	if len(d.hosts) != 1 {
		t.Errorf("%d hosts kept after a day idle, want 1 (it has a baseline: TestBaselineKeptOverWeekend)", len(d.hosts))
	}
	d.Flush(7300+8*24*3600+1200, emit)
	if len(d.hosts) != 0 {
		t.Errorf("%d hosts kept after eight days idle", len(d.hosts))
	}

	small := DefaultConfig()
	small.MaxHosts = 10
	d = New(small, internal)
	for i := range 25 {
		feed(dt.Conn{TS: float64(i), Src: fmt.Sprintf("10.0.1.%d", i), Dst: "198.51.100.66", DstP: 443, OrigBytes: 5000})
	}
	if len(d.open) != len(d.hosts) || len(d.hosts) > small.MaxHosts {
		t.Errorf("%d open, %d hosts (cap %d)", len(d.open), len(d.hosts), small.MaxHosts)
	}
}

// TestLateIntervalSurvivesEviction: a long upload's conn record arrives
// when the connection ends (as Zeek writes it, and as the log merge orders
// records: by ts + duration), its interval already past its lateness
// allowance: the next flush judges it, before new hosts can evict the host
// (the least recently seen: its last is the upload's start) with it.
func TestLateIntervalSurvivesEviction(t *testing.T) {
	d, alerts, emit, feed := withMaxHosts(t, 3)
	feed(dt.Conn{TS: 10000, Src: "10.0.0.1", Dst: "198.51.100.1", DstP: 443, OrigBytes: 5000})
	feed(dt.Conn{TS: 10000, Src: "10.0.0.2", Dst: "198.51.100.1", DstP: 443, OrigBytes: 5000})
	d.Flush(10000, emit)
	// The 45-minute upload that began at 7300 ends now: its record comes.
	feed(dt.Conn{TS: 7300, Duration: 2700, Src: "10.0.0.7", SrcP: 50001, Dst: "198.51.100.66", DstP: 443, OrigBytes: 80_000_000, RespBytes: 50_000})
	d.Flush(10010, emit) // interval [7200, 7800) ended long ago: judged now
	// New hosts fill the table: the least recently seen is evicted.
	feed(dt.Conn{TS: 10020, Src: "10.0.0.3", Dst: "198.51.100.1", DstP: 443, OrigBytes: 5000})
	feed(dt.Conn{TS: 10030, Src: "10.0.0.4", Dst: "198.51.100.1", DstP: 443, OrigBytes: 5000})
	d.Flush(math.Inf(1), emit)
	if len(*alerts) != 1 || (*alerts)[0].Src != "10.0.0.7" || (*alerts)[0].Dst != "198.51.100.66" {
		t.Fatalf("alerts %v, want the 80 MB upload of 10.0.0.7", *alerts)
	}
}

// TestEvictedHostJudged: a host evicted past MaxHosts (the least
// recently seen) has its open interval judged as it stands, not dropped
// with it: its upload is still reported.
func TestEvictedHostJudged(t *testing.T) {
	d, alerts, emit, feed := withMaxHosts(t, 3)
	feed(dt.Conn{TS: 100, Duration: 60, Src: "10.0.0.7", SrcP: 50001, Dst: "198.51.100.66", DstP: 443, OrigBytes: 80_000_000, RespBytes: 50_000})
	for i := range 3 { // before any flush: 10.0.0.7 is evicted
		feed(dt.Conn{TS: float64(200 + i), Src: fmt.Sprintf("10.0.1.%d", i), Dst: "198.51.100.1", DstP: 443, OrigBytes: 5000})
	}
	if _, kept := d.hosts[netip.MustParseAddr("10.0.0.7")]; kept {
		t.Fatal("10.0.0.7 not evicted")
	}
	d.Flush(math.Inf(1), emit)
	if len(*alerts) != 1 || (*alerts)[0].Src != "10.0.0.7" || (*alerts)[0].Dst != "198.51.100.66" {
		t.Fatalf("alerts %v, want the 80 MB upload of the evicted 10.0.0.7", *alerts)
	}
}

// withMaxHosts returns a detector holding at most n hosts, the alerts it
// emits (through emit) and a feeder of connections to it.
func withMaxHosts(t *testing.T, n int) (*Detector, *[]alert.Alert, alert.Emit, func(dt.Conn)) {
	cfg := DefaultConfig()
	cfg.MaxHosts = n
	d := New(cfg, internal)
	alerts := new([]alert.Alert)
	emit := func(a alert.Alert) { *alerts = append(*alerts, a) }
	return d, alerts, emit, feeder(t, &d, emit)
}

// feeder returns a function that hands one connection to the detector *d
// points to (the test may replace it), alerts going to emit.
func feeder(t *testing.T, d **Detector, emit alert.Emit) func(dt.Conn) {
	var r rec.Rec
	return func(c dt.Conn) {
		l := c.Line()
		if err := r.Parse(l.Log, l.JSON); err != nil {
			t.Fatal(err)
		}
		(*d).Handle(&r, emit)
	}
}
