package beacon

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"sort"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

var internal = netset.MustParse(netset.DefaultInternal...)

func TestBeaconWithJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var l []dt.Line
	for ts := 0.0; ts < 3*3600; ts += 60 + rng.Float64()*12 - 6 {
		l = append(l, dt.Conn{TS: 1.7e9 + ts, Src: "10.66.0.30", SrcP: 40000, Dst: "198.51.100.66", DstP: 443, Duration: 0.3, OrigBytes: 310 + uint64(rng.IntN(8)), RespBytes: 800, OrigPkts: 5, RespPkts: 5}.Line())
	}
	// background traffic makes the observation window
	l = append(l, dt.Conn{TS: 1.7e9 - 60, Src: "10.66.0.9", Dst: "93.184.216.34", DstP: 443}.Line())
	alerts := dt.Run(t, New(DefaultConfig(), internal), l)
	a := dt.Find(t, alerts, "c2.beacon")
	if a.Src != "10.66.0.30" || a.Dst != "198.51.100.66" {
		t.Errorf("alert %s", a.JSON())
	}
	for _, k := range []string{"timestamp_score", "datasize_score", "duration_score", "histogram_score"} {
		if v := dt.Num(t, a, k); v < 0.7 {
			t.Errorf("%s = %v: %s", k, v, a.Summary)
		}
	}
	t.Logf("%s", a.Summary)
}

func TestQuiet(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var l []dt.Line
	ts := 1.7e9
	for i := 0; i < 400; i++ {
		ts += rng.ExpFloat64() * 30 // browsing: bursts and pauses
		l = append(l, dt.Conn{TS: ts, Src: "10.66.0.9", SrcP: 40000, Dst: "93.184.216.34", DstP: 443, OrigBytes: uint64(300 + rng.IntN(20000)), RespBytes: 50000}.Line())
	}
	for i := 0; i < 200; i++ { // NTP polls and DNS are ignored by port
		l = append(l, dt.Conn{TS: 1.7e9 + float64(i)*64, Src: "10.66.0.9", SrcP: 123, Dst: "162.159.200.1", DstP: 123, Proto: "udp", OrigBytes: 48, RespBytes: 48}.Line())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), l))
}

// Pings to an outside host every few minutes, each answered byte for
// byte, are a monitor, not a C2: the responder sent nothing of its own.
// The same rhythm with replies that carry more than the requests (a C2
// answering over ICMP) is still a beacon.
func TestMirroredPingsQuiet(t *testing.T) {
	pings := func(reply func(i int) uint64, v6 bool) []dt.Line {
		rng := rand.New(rand.NewPCG(5, 6))
		src, dst, typ, code := "10.66.0.21", "198.51.100.66", 8, 0
		if v6 {
			src, dst, typ, code = "2001:db8:66::15", "2001:db8:ff::10", 128, 129
		}
		var l []dt.Line
		for i, ts := 0, 0.0; ts < 3*3600; i, ts = i+1, ts+150+rng.Float64()*30 {
			l = append(l, dt.Conn{TS: 1.7e9 + ts, Src: src, SrcP: typ, Dst: dst, DstP: code, Proto: "icmp", Duration: 60,
				OrigBytes: 672, RespBytes: reply(i), OrigPkts: 12, RespPkts: 12}.Line())
		}
		return append(l, dt.Conn{TS: 1.7e9 - 60, Src: "10.66.0.9", Dst: "93.184.216.34", DstP: 443}.Line())
	}
	internal := netset.MustParse(append([]string{"2001:db8:66::/64"}, netset.DefaultInternal...)...)
	for _, v6 := range []bool{false, true} {
		dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), pings(func(int) uint64 { return 672 }, v6)))
		alerts := dt.Run(t, New(DefaultConfig(), internal), pings(func(i int) uint64 { return 672 + uint64(40*(i%3)) }, v6))
		dt.Find(t, alerts, "c2.beacon")
	}
}

// TestRITAScores reproduces RITA's expected beacon scores on its
// proxy_rolling test logs (../shared/corpus/rita): 10.0.0.238 →
// 75.75.75.75 (RITA: 0.673, 1160 connections) and 10.0.0.111 →
// safebrowsing.googleapis.com via the proxy 10.0.0.238 (RITA: 0.624, 46
// connections), within 0.05.
//
// Why the numbers are not identical: RITA's code was not used (it is GPL);
// the four parts follow RITA v5's formulas as its source describes them
// (timestamp and data-size dispersion (median − MAD)/median and Bowley skew,
// 0 when the quartiles are less than 10 apart; sizes in IP bytes; the
// histogram's CV and bimodal fit; the duration part from 6 bars on). A
// re-implementation of those formulas over Vigil's windows gives the same
// totals as Vigil, 0.669 and 0.651, so what is left is the window RITA's
// import scores over, which its documentation does not give: Vigil scores
// IP pairs over conn.log's time range (connections longer than an hour
// ignored for its start) and proxied hosts over http.log's. One window for
// both (conn.log's) would score the proxy beacon 0.458, because the
// histogram then has 10 filled bars, too few for the bimodal fit; a window
// that starts with the first connection logged (a 5.8-hour one), 0.562 for the IP
// pair.
func TestRITAScores(t *testing.T) {
	lines := ritaProxyRolling(t)
	cfg := DefaultConfig()
	cfg.IgnorePorts = nil // RITA scores DNS too
	cfg.MinConns = 4      // RITA's unique_connection_threshold
	d := New(cfg, internal)
	dt.Run(t, d, lines)
	tests := []struct {
		src, dst, host string
		rita           float64
		conns          int
	}{
		{"10.0.0.238", "75.75.75.75", "", 0.673, 1160},
		{"10.0.0.111", "10.0.0.238", "safebrowsing.googleapis.com", 0.624, 46},
	}
	for _, tc := range tests {
		s, ok := d.Score(netip.MustParseAddr(tc.src), netip.MustParseAddr(tc.dst), tc.host)
		if !ok {
			t.Errorf("%s → %s %s: not scored", tc.src, tc.dst, tc.host)
			continue
		}
		diff := s.Total - tc.rita
		t.Logf("%s → %s %s: vigil %.3f (ts %.3f ds %.3f dur %.3f hist %.3f, %d conns, %d bars) RITA %.3f, difference %+.3f",
			tc.src, tc.dst, tc.host, s.Total, s.Timestamp, s.DataSize, s.Duration, s.Histogram, s.Conns, s.HoursSeen, tc.rita, diff)
		if s.Conns != tc.conns {
			t.Errorf("connections %d, RITA %d", s.Conns, tc.conns)
		}
		if math.Abs(diff) > 0.05 {
			t.Errorf("score differs from RITA's by %.3f", diff)
		}
	}
}

// TestServiceDiscoveryQuiet: a host that queries LLMNR's multicast groups
// every 3 s (as in suricata-verify's output-eve-ftp-data capture) or
// broadcasts an announcement every minute beacons to no server: no alert,
// while the same rhythm to a unicast server is one.
func TestServiceDiscoveryQuiet(t *testing.T) {
	periodic := func(src, dst string, port int, every float64) []dt.Line {
		var l []dt.Line
		for ts := 0.0; ts < 2*3600; ts += every {
			l = append(l, dt.Conn{TS: 1.7e9 + ts, Src: src, SrcP: 50000, Dst: dst, DstP: port, Proto: "udp", OrigBytes: 40, OrigPkts: 1}.Line())
		}
		return l
	}
	for _, dst := range []string{"224.0.0.252", "ff02::1:3", "255.255.255.255"} {
		src := "10.66.0.7"
		if dst == "ff02::1:3" {
			src = "fe80::9154:c66f:8d0e:33cb"
		}
		t.Run(dst, func(t *testing.T) {
			dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), periodic(src, dst, 5355, 3)))
		})
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig(), internal), periodic("10.66.0.7", "198.51.100.66", 5355, 3)), "c2.beacon")
	if a.Dst != "198.51.100.66" {
		t.Errorf("alert %s", a.JSON())
	}
}

// TestBeaconAmidChurn: among a churn of pairs seen once (a scanner's, a
// busy network's), far more than the table holds, a beacon is still
// found; the first sightings stay within MaxPairs, their queue within
// twice that, and a pair's first connection counts once it has a second.
func TestBeaconAmidChurn(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPairs = 50
	var l []dt.Line
	n := 0
	for ts := 0.0; ts < 3*3600; ts += 60 {
		l = append(l, dt.Conn{TS: 1.7e9 + ts, Src: "10.66.0.30", SrcP: 40000, Dst: "198.51.100.66", DstP: 443, Duration: 0.3, OrigBytes: 310, RespBytes: 800, OrigPkts: 5, RespPkts: 5}.Line())
		for i := range 20 { // 20 new pairs a minute
			n++
			dst := netip.AddrFrom4([4]byte{203, 0, byte(n >> 8), byte(n)})
			l = append(l, dt.Conn{TS: 1.7e9 + ts + float64(i), Src: "10.66.0.31", SrcP: 40000, Dst: dst.String(), DstP: 443, Duration: 0.3, OrigBytes: 100, OrigPkts: 2, RespPkts: 2}.Line())
		}
	}
	d := New(cfg, internal)
	alerts := dt.Run(t, d, l)
	a := dt.Find(t, alerts, "c2.beacon")
	if a.Dst != "198.51.100.66" || dt.Num(t, a, "connections") != 180 {
		t.Errorf("alert %s", a.JSON())
	}
	if len(d.singles) > cfg.MaxPairs || len(d.singleQ) > 2*max(cfg.MaxPairs, 1024) {
		t.Errorf("%d first sightings, %d queued (cap %d)", len(d.singles), len(d.singleQ), cfg.MaxPairs)
	}
}

// TestSingleQueueReusesItsArray: first sightings queued and dropped at
// the same pace keep their arrival order and, once the queue's array is
// large enough, make no new one: the room dropped entries leave at its
// front is used again.
func TestSingleQueueReusesItsArray(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPairs = 100
	d := New(cfg, internal)
	n := 0
	add := func() {
		n++
		k := key{src: netip.MustParseAddr("10.0.0.1"), dst: netip.AddrFrom4([4]byte{203, 0, byte(n >> 8), byte(n)})}
		d.addSingle(k, single{port: 443, proto: "tcp", ts: float64(n)})
	}
	for range 1000 { // to MaxPairs, the oldest dropped past it
		add()
	}
	thousand := func() {
		for range 1000 {
			add()
		}
	}
	if allocs := testing.AllocsPerRun(20, thousand); allocs > 1 {
		t.Errorf("%.0f allocations per thousand first sightings", allocs)
	}
	if len(d.singleQ) != cfg.MaxPairs || cap(d.singleArr) > 4*cfg.MaxPairs {
		t.Errorf("%d queued in an array of %d", len(d.singleQ), cap(d.singleArr))
	}
	for i, q := range d.singleQ {
		if s, ok := d.singles[q.k]; !ok || s.seq != q.seq || i > 0 && q.seq != d.singleQ[i-1].seq+1 {
			t.Fatalf("entry %d (seq %d) out of order or gone", i, q.seq)
		}
	}
}

// TestStaleFirstSightingNotCarried: a first sighting older than the
// window (waiting in the queue behind newer ones: a long connection's
// record comes at its end) is not carried into a pair a day later: the
// beacon's port and bytes are its own.
func TestStaleFirstSightingNotCarried(t *testing.T) {
	const t0 = 1.7e9
	var l []dt.Line
	at := func(arrival float64, c dt.Conn) {
		ln := c.Line()
		ln.TS = arrival
		l = append(l, ln)
	}
	// A day of background one-offs (the window starts at t0).
	for i := 0; i <= 1500; i++ {
		ts := t0 + float64(i)*60
		at(ts, dt.Conn{TS: ts, Src: "10.0.0.9", SrcP: 40000, Dst: fmt.Sprintf("203.0.%d.%d", i>>8, i&255), DstP: 443, Duration: 0.1, OrigBytes: 10})
	}
	// The SSH session: began at t0+500, ended (and logged) a day later.
	end := t0 + 90020
	at(end, dt.Conn{TS: t0 + 500, Src: "10.0.0.1", SrcP: 40001, Dst: "198.51.100.66", DstP: 22, Duration: end - t0 - 500, OrigBytes: 5e9, RespBytes: 1e6})
	at(end+15, dt.Conn{TS: end + 15, Src: "10.0.0.9", SrcP: 40000, Dst: "203.2.0.1", DstP: 443, Duration: 0.1, OrigBytes: 10})
	// Then a beacon to the same host on 443 for 20 hours.
	for ts := end + 60; ts < end+20*3600; ts += 60 {
		at(ts, dt.Conn{TS: ts, Src: "10.0.0.1", SrcP: 40000, Dst: "198.51.100.66", DstP: 443, Duration: 0.3, OrigBytes: 310, RespBytes: 800, OrigPkts: 5, RespPkts: 5})
		// background keeps flowing
		at(ts+1, dt.Conn{TS: ts + 1, Src: "10.0.0.9", SrcP: 40000, Dst: fmt.Sprintf("203.1.%d.%d", int(ts)>>8&255, int(ts)&255), DstP: 443, Duration: 0.1, OrigBytes: 10})
	}
	alerts := dt.RunAsGiven(t, New(DefaultConfig(), internal), l)
	a := dt.Find(t, alerts, "c2.beacon")
	if a.DstP != 443 || dt.Num(t, a, "total_bytes") > 1e9 {
		t.Errorf("beacon to %s:%d/%s, total_bytes %v: the stale first sighting of port 22 (5 GB) was carried into the pair",
			a.Dst, a.DstP, a.Proto, dt.Num(t, a, "total_bytes"))
	}
}

// TestNameKeyedEitherOrder: TLS connections that name one server count
// for the source and that name, whichever of the ssl and conn records
// comes first, and for no IP pair besides (one alert, not one per
// address).
func TestNameKeyedEitherOrder(t *testing.T) {
	for _, sslFirst := range []bool{true, false} {
		var l []dt.Line
		for i, ts := 0, 0.0; ts < 3*3600; i, ts = i+1, ts+60 {
			uid, dst := fmt.Sprintf("Cn%d", i), fmt.Sprintf("151.101.0.%d", 1+i%8)
			conn := dt.Conn{TS: 1.7e9 + ts, UID: uid, Src: "10.66.0.31", SrcP: 30000 + i, Dst: dst, DstP: 443, Service: "ssl",
				Duration: 0.3, OrigBytes: 620, RespBytes: 3100, OrigPkts: 7, RespPkts: 6}.Line()
			ssl := dt.Rec("ssl", map[string]any{"ts": 1.7e9 + ts + 0.05, "uid": uid, "id.orig_h": "10.66.0.31", "id.orig_p": 30000 + i,
				"id.resp_h": dst, "id.resp_p": 443, "server_name": "C2.example.net"})
			conn.TS += 0.3 // logged when the connection ends
			if sslFirst {
				l = append(l, ssl, conn)
			} else {
				l = append(l, conn, ssl)
			}
		}
		alerts := dt.Merged(dt.RunAsGiven(t, New(DefaultConfig(), internal), l))
		if len(alerts) != 1 || alerts[0].Name != "c2.example.net" || dt.Num(t, alerts[0], "connections") != 180 {
			t.Errorf("ssl first %v: %d alerts, want one for c2.example.net with 180 connections", sslFirst, len(alerts))
			for _, a := range alerts {
				t.Log(a.Summary)
			}
		}
	}
}

// ritaProxyRolling reads RITA's proxy_rolling test logs (conn and http) in
// the order a sensor writes them: conn records when connections end, http
// ones when requests do.
func ritaProxyRolling(t *testing.T) []dt.Line {
	t.Helper()
	dir := testcorpus.Require(t, "rita", "test_data", "proxy_rolling")
	var lines []dt.Line
	for _, log := range []string{"conn", "http"} {
		files, _ := filepath.Glob(filepath.Join(dir, log+".*.log.gz"))
		for _, f := range files {
			lines = append(lines, dt.ZeekTSV(t, f, log)...)
		}
	}
	for i := range lines {
		if lines[i].Log == "conn" {
			var r rec.Rec
			if r.Parse("conn", lines[i].JSON) == nil {
				lines[i].TS += r.Conn().Duration
			}
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].TS < lines[j].TS })
	return lines
}
