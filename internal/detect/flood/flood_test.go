package flood

import (
	"fmt"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

func randomSource(i int) string {
	return fmt.Sprintf("%d.%d.%d.%d", 1+i%200, (i*7)%256, (i*13)%256, 1+(i*31)%250)
}

func TestFires(t *testing.T) {
	tests := []struct {
		name     string
		lines    func() []dt.Line
		class    string
		src, dst string
		key      string
		want     float64
	}{
		{"spoofed syn flood", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 5000; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/1000, Src: randomSource(i), SrcP: 1024 + i%60000, Dst: "10.66.0.20", DstP: 80, State: "S0", OrigPkts: 1}.Line())
			}
			return l
		}, "flood.syn", "", "10.66.0.20", "packets", 5000},
		{"spoofed syn flood on an open port (answered, never completed)", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 3000; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/1000, Src: randomSource(i), SrcP: 1024 + i%60000, Dst: "10.66.0.10", DstP: 80, State: "S1", History: "Sh", OrigPkts: 1, RespPkts: 1}.Line())
			}
			return l
		}, "flood.syn", "", "10.66.0.10", "packets", 3000},
		{"single-source udp flood", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 3000; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/500, Src: "10.66.0.66", SrcP: 20000 + i, Dst: "10.66.0.20", DstP: 9, Proto: "udp", State: "S0", OrigPkts: 1, OrigBytes: 512}.Line())
			}
			return l
		}, "flood.udp", "10.66.0.66", "10.66.0.20", "packets", 3000},
		// The victim fetched from the flooder ten minutes before: that
		// asked for nothing now.
		{"udp flood from a server the victim used earlier", func() []dt.Line {
			l := []dt.Line{dt.Conn{TS: 400, Duration: 2, Src: "10.66.0.20", SrcP: 40000, Dst: "10.66.0.66", DstP: 80, OrigPkts: 6, RespPkts: 8, OrigBytes: 300, RespBytes: 9000}.Line()}
			return append(l, dt.Conn{TS: 1000, Duration: 10, Src: "10.66.0.66", SrcP: 5000, Dst: "10.66.0.20", DstP: 9, Proto: "udp", OrigPkts: 30000, OrigBytes: 15_000_000}.Line())
		}, "flood.udp", "10.66.0.66", "10.66.0.20", "packets", 30000},
		// A telemetry port does not shield a spoofed flood.
		{"spoofed udp flood on syslog", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 5000; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/1000, Src: randomSource(i), SrcP: 20000 + i, Dst: "10.66.0.20", DstP: 514, Proto: "udp", State: "S0", OrigPkts: 1, OrigBytes: 200}.Line())
			}
			return l
		}, "flood.udp", "", "10.66.0.20", "packets", 5000},
		// Nor a flood over one socket (hping3 -k), nor a botnet's, each
		// bot one socket: ten times the thresholds are soon crossed (the
		// third review's cases).
		{"one-socket udp flood on syslog", func() []dt.Line {
			return []dt.Line{dt.Conn{TS: 1000, Duration: 10, Src: "10.66.0.66", SrcP: 7000, Dst: "10.66.0.20", DstP: 514, Proto: "udp", OrigPkts: 1_000_000, OrigBytes: 500_000_000}.Line()}
		}, "flood.udp", "10.66.0.66", "10.66.0.20", "packets", 1_000_000},
		{"botnet udp flood on syslog", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 300; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/100, Duration: 10, Src: randomSource(i), SrcP: 7000, Dst: "10.66.0.20", DstP: 514, Proto: "udp", OrigPkts: 1000, OrigBytes: 500_000}.Line())
			}
			return l
		}, "flood.udp", "", "10.66.0.20", "packets", 300_000},
		{"icmp flood in one connection", func() []dt.Line {
			return []dt.Line{dt.Conn{TS: 1000, Duration: 10, Src: "10.66.0.66", SrcP: 8, Dst: "10.66.0.20", Proto: "icmp", State: "OTH", OrigPkts: 20000, RespPkts: 20000}.Line()}
		}, "flood.icmp", "10.66.0.66", "10.66.0.20", "packets", 20000},
		{"dns amplification", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 400; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/50, Src: "10.66.0.20", SrcP: 3000 + i, Dst: "10.66.0.53", DstP: 53, Proto: "udp", OrigPkts: 1, RespPkts: 1, OrigBytes: 40, RespBytes: 3000}.Line())
			}
			return l
		}, "flood.amplification", "", "10.66.0.20", "packets", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig()), tc.lines())
			dt.Expect(t, alerts, tc.class, tc.src, tc.dst, tc.key, tc.want)
			if m := dt.Merged(alerts); len(m) != 1 {
				t.Errorf("want one alert, got %v", dt.Classes(m))
			}
		})
	}
}

// rtsp is the recorder 10.0.5.2 setting up cam's stream over RTSP.
func rtsp(ts float64, cam string, port int) dt.Line {
	return dt.Conn{TS: ts, Duration: 5, Src: "10.0.5.2", SrcP: port, Dst: cam, DstP: 554, OrigPkts: 30, RespPkts: 30, OrigBytes: 3000, RespBytes: 4000}.Line()
}

// stream is cam's RTP stream to the recorder: one way, pkts packets.
func stream(ts, dur float64, cam string, pkts uint64) dt.Line {
	return dt.Conn{TS: ts, Duration: dur, Src: cam, SrcP: 6970, Dst: "10.0.5.2", DstP: 50120, Proto: "udp", OrigPkts: pkts, OrigBytes: pkts * 1200}.Line()
}

// TestStreamsAskedFor: streams a recorder asked for are left out one by
// one (the session review's cases): a later conversation with the camera
// does not undo the asking, several cameras' streams are each asked
// for, and a flood from elsewhere on the same recorder is still one.
func TestStreamsAskedFor(t *testing.T) {
	poll := dt.Conn{TS: 1100, Duration: 1, Src: "10.0.5.2", SrcP: 50200, Dst: "10.0.9.21", DstP: 80, OrigPkts: 5, RespPkts: 8, OrigBytes: 400, RespBytes: 30000}.Line()
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), []dt.Line{rtsp(1000, "10.0.9.21", 50110), poll, stream(1000.2, 599, "10.0.9.21", 420000)}))

	var cams []dt.Line
	for i := 1; i <= 3; i++ {
		cams = append(cams, rtsp(1000+float64(i), fmt.Sprintf("10.0.9.%d", 20+i), 50110+i))
	}
	for i := 1; i <= 3; i++ {
		cams = append(cams, stream(1000.2+float64(i), 599, fmt.Sprintf("10.0.9.%d", 20+i), 420000))
	}
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), cams))

	flood := dt.Conn{TS: 1700, Duration: 60, Src: "203.0.113.66", SrcP: 5000, Dst: "10.0.5.2", DstP: 9, Proto: "udp", OrigPkts: 200000, OrigBytes: 100_000_000}.Line()
	alerts := dt.RunAsGiven(t, New(DefaultConfig()), append(cams, flood))
	dt.Expect(t, alerts, "flood.udp", "203.0.113.66", "10.0.5.2", "packets", 200000)
}

func TestQuiet(t *testing.T) {
	tests := map[string]func() []dt.Line{
		"busy web server": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 5000; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/1000, Src: randomSource(i), SrcP: 1024 + i, Dst: "10.0.0.80", DstP: 443, OrigBytes: 800, RespBytes: 30000, OrigPkts: 8, RespPkts: 25}.Line())
			}
			return l
		},
		"dns resolver clients": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 5000; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/200, Src: fmt.Sprintf("10.0.%d.%d", i%4, 1+i%250), SrcP: 1024 + i, Dst: "10.0.0.53", DstP: 53, Proto: "udp", OrigPkts: 1, RespPkts: 1, OrigBytes: 40, RespBytes: 120}.Line())
			}
			return l
		},
		"client reading dns answers": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 3000; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)/100, Src: "10.0.0.9", SrcP: 1024 + i, Dst: "10.0.0.53", DstP: 53, Proto: "udp", OrigPkts: 1, RespPkts: 1, OrigBytes: 40, RespBytes: 150}.Line())
			}
			return l
		},
		"ntp polls": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 100; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)*64, Src: "10.0.0.9", SrcP: 123, Dst: "10.0.0.1", DstP: 123, Proto: "udp", OrigPkts: 1, RespPkts: 1, OrigBytes: 48, RespBytes: 48}.Line())
			}
			return l
		},
		// An IP camera streams RTP over UDP to the recorder that asked
		// for it over RTSP: one way, 700 packets/s.
		"camera stream": func() []dt.Line {
			return []dt.Line{
				dt.Conn{TS: 1000, Duration: 600, Src: "10.0.5.2", SrcP: 50110, Dst: "10.0.9.21", DstP: 554, OrigPkts: 300, RespPkts: 300, OrigBytes: 30000, RespBytes: 40000}.Line(),
				dt.Conn{TS: 1000.2, Duration: 599, Src: "10.0.9.21", SrcP: 6970, Dst: "10.0.5.2", DstP: 50120, Proto: "udp", OrigPkts: 420000, OrigBytes: 520_000_000}.Line(),
			}
		},
		// The stream's record first: the RTSP session's comes when it
		// ends, after it.
		"camera stream, its session recorded last": func() []dt.Line {
			return []dt.Line{
				dt.Conn{TS: 1000.2, Duration: 599, Src: "10.0.9.21", SrcP: 6970, Dst: "10.0.5.2", DstP: 50120, Proto: "udp", OrigPkts: 420000, OrigBytes: 520_000_000}.Line(),
				dt.Conn{TS: 1000, Duration: 600, Src: "10.0.5.2", SrcP: 50110, Dst: "10.0.9.21", DstP: 554, OrigPkts: 300, RespPkts: 300, OrigBytes: 30000, RespBytes: 40000}.Line(),
			}
		},
		// A router exporting NetFlow to its collector: 300 packets a
		// second, one way, for ten minutes.
		"netflow export": func() []dt.Line {
			return []dt.Line{dt.Conn{TS: 1000, Duration: 600, Src: "10.0.0.1", SrcP: 50000, Dst: "10.0.9.9", DstP: 2055, Proto: "udp", OrigPkts: 180000, OrigBytes: 250_000_000}.Line()}
		},
		"voice call": func() []dt.Line {
			return []dt.Line{dt.Conn{TS: 1000, Duration: 600, Src: "10.0.0.9", SrcP: 16000, Dst: "10.0.0.10", DstP: 16002, Proto: "udp", OrigPkts: 30000, RespPkts: 29000, OrigBytes: 4800000, RespBytes: 4600000}.Line()}
		},
	}
	for name, lines := range tests {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig()), lines())) })
	}
}

// TestAmplificationNamesReflectors: the alert names the few reflectors
// (the open servers to fix), most responses first.
func TestAmplificationNamesReflectors(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 400; i++ {
		resolver := "10.66.0.53"
		if i%4 == 0 {
			resolver = "10.66.0.54"
		}
		l = append(l, dt.Conn{TS: 1000 + float64(i)/50, Src: "10.66.0.20", SrcP: 3000 + i, Dst: resolver, DstP: 53, Proto: "udp", OrigPkts: 1, RespPkts: 1, OrigBytes: 40, RespBytes: 3000}.Line())
	}
	m := dt.Merged(dt.Run(t, New(DefaultConfig()), l))
	if len(m) != 1 {
		t.Fatalf("want one alert, got %v", dt.Classes(m))
	}
	a := m[0]
	if got := fmt.Sprint(a.Evidence["reflector_addrs"]); got != "[10.66.0.53 10.66.0.54]" || !strings.Contains(a.Summary, "2 reflectors (10.66.0.53, 10.66.0.54)") {
		t.Errorf("reflectors %s; summary %q", got, a.Summary)
	}
}

// TestNextWindowStartsFresh: a victim whose window passed without an
// alert starts over (in the same memory): what came before counts for
// nothing, neither its packets nor its reflectors nor its connections.
func TestNextWindowStartsFresh(t *testing.T) {
	answer := func(ts float64, port int, resolver string) dt.Line {
		return dt.Conn{TS: ts, UID: fmt.Sprintf("C%d", port), Src: "10.66.0.20", SrcP: port, Dst: resolver, DstP: 53, Proto: "udp", OrigPkts: 1, RespPkts: 1, OrigBytes: 40, RespBytes: 3000}.Line()
	}
	var l []dt.Line
	for i := 0; i < 90; i++ { // below the thresholds, a window before
		l = append(l, answer(100+float64(i)/50, 2000+i, "10.66.0.99"))
	}
	for i := 0; i < 400; i++ {
		l = append(l, answer(1000+float64(i)/50, 3000+i, "10.66.0.53"))
	}
	m := dt.Merged(dt.Run(t, New(DefaultConfig()), l))
	if len(m) != 1 {
		t.Fatalf("want one alert, got %v", dt.Classes(m))
	}
	a := m[0]
	if got := fmt.Sprint(a.Evidence["reflector_addrs"]); got != "[10.66.0.53]" {
		t.Errorf("reflectors %s, want only the second window's", got)
	}
	dt.Expect(t, m, "flood.amplification", "", "10.66.0.20", "packets", 400)
	for _, uid := range a.UIDs {
		if uid < "C3000" {
			t.Errorf("uid %s of the window before", uid)
		}
	}
}

// TestTally checks the tally against the map it stands for: the same
// counts, the same keys refused past the limit, the same order.
func TestTally(t *testing.T) {
	for _, limit := range []int{0, 1, 2, 5, 100} {
		var tl tally[uint16]
		m := map[uint16]uint64{}
		for i := range 500 {
			k, n := uint16(i*7%23), uint64(1+i%5)
			if _, ok := m[k]; ok || len(m) < limit {
				m[k] += n
			}
			tl.add(k, n, limit)
			if tl.len() != len(m) {
				t.Fatalf("limit %d step %d: len %d, want %d", limit, i, tl.len(), len(m))
			}
		}
		got := map[uint16]uint64{}
		for k, n := range tl.all() {
			got[k] = n
		}
		if fmt.Sprint(got) != fmt.Sprint(m) {
			t.Errorf("limit %d: counts %v, want %v", limit, got, m)
		}
		s := tl.sorted(func(a, b uint16) bool { return a < b })
		for i := 1; i < len(s); i++ {
			if s[i-1].n < s[i].n || s[i-1].n == s[i].n && s[i-1].key > s[i].key {
				t.Errorf("limit %d: order %v", limit, s)
			}
		}
	}
}

// TestNamesSenderMAC: forged source addresses, frames from one MAC. The
// flood names the MAC unless it carried many hosts' two-way traffic (a
// router's); a reflection names it when the victim's own traffic came from
// another MAC.
func TestNamesSenderMAC(t *testing.T) {
	const attacker, router, victimOwn = "02:66:00:00:00:42", "02:66:00:00:00:01", "02:66:00:00:00:15"
	// twoWay: hosts talking through mac in connections that went both ways.
	twoWay := func(mac string, hosts int) []dt.Line {
		var l []dt.Line
		for i := 0; i < hosts; i++ {
			l = append(l, dt.Conn{TS: 900 + float64(i), Src: fmt.Sprintf("192.0.2.%d", 1+i), SrcP: 40000 + i, Dst: "10.66.0.10", DstP: 443,
				History: "ShADadFf", OrigPkts: 10, RespPkts: 10, OrigBytes: 500, RespBytes: 5000, OrigMAC: mac, RespMAC: "02:66:00:00:00:0a"}.Line())
		}
		return l
	}
	synFlood := func(mac string) []dt.Line {
		var l []dt.Line
		for i := 0; i < 3000; i++ {
			l = append(l, dt.Conn{TS: 1000 + float64(i)/1000, Src: randomSource(i), SrcP: 1024 + i%60000, Dst: "10.66.0.10", DstP: 80, State: "S0", OrigPkts: 1, OrigMAC: mac}.Line())
		}
		return l
	}
	reflection := func(requestMAC string) []dt.Line {
		l := []dt.Line{dt.Conn{TS: 990, Src: "10.66.0.21", SrcP: 5000, Dst: "10.66.0.10", DstP: 53, Proto: "udp",
			OrigPkts: 2, RespPkts: 2, OrigBytes: 80, RespBytes: 200, OrigMAC: victimOwn}.Line()}
		for i := 0; i < 400; i++ {
			l = append(l, dt.Conn{TS: 1000 + float64(i)/50, Src: "10.66.0.21", SrcP: 3000 + i, Dst: "10.66.0.10", DstP: 53, Proto: "udp",
				OrigPkts: 1, RespPkts: 1, OrigBytes: 40, RespBytes: 3000, OrigMAC: requestMAC}.Line())
		}
		return l
	}
	for _, tc := range []struct {
		name, class string
		lines       []dt.Line
		want        string
	}{
		{"spoofed flood from one host", "flood.syn", synFlood(attacker), attacker},
		{"spoofed flood through a router", "flood.syn", append(twoWay(router, 6), synFlood(router)...), ""},
		{"spoofed flood from a host with its own few addresses", "flood.syn", append(twoWay(attacker, 2), synFlood(attacker)...), attacker},
		{"spoofed flood without MACs", "flood.syn", synFlood(""), ""},
		{"reflection with the victim's address forged", "flood.amplification", reflection(attacker), attacker},
		{"reflection requested from the victim's own MAC", "flood.amplification", reflection(victimOwn), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := dt.Find(t, dt.Merged(dt.Run(t, New(DefaultConfig()), tc.lines)), tc.class)
			if a.SrcMAC != tc.want || a.Src != "" {
				t.Errorf("src %q src_mac %q, want src_mac %q", a.Src, a.SrcMAC, tc.want)
			}
			if named := strings.Contains(a.Summary, attacker); named != (tc.want != "") {
				t.Errorf("summary names the MAC: %v; summary %q", named, a.Summary)
			}
		})
	}
}

// TestHeldStreamsCountRight: the second review's cases. A flood in one
// connection crosses on its own rate, however the victim's other traffic
// spreads the span it is counted in after its wait; a stream pushed out
// of the full wait list is still left out when it was asked for; and a
// flood between two polls of its source, far from both, is no stream.
func TestHeldStreamsCountRight(t *testing.T) {
	var l []dt.Line
	for ts := 0; ts <= 300; ts++ { // one syslog packet a second
		l = append(l, dt.Conn{TS: float64(ts), UID: fmt.Sprintf("S%d", ts), Src: "10.0.0.9", SrcP: 40000, Dst: "10.0.0.5", DstP: 514, Proto: "udp", State: "S0", OrigPkts: 1, OrigBytes: 100}.Line())
		if ts == 130 { // 300 pps for 30 s, its record at its end
			l = append(l, dt.Conn{TS: 100, Duration: 30, Src: "203.0.113.66", SrcP: 7000, Dst: "10.0.0.5", DstP: 5000, Proto: "udp", OrigPkts: 9000, OrigBytes: 4_500_000}.Line())
		}
	}
	dt.Find(t, dt.RunAsGiven(t, New(DefaultConfig()), l), "flood.udp")

	l = []dt.Line{stream(1000.2, 599, "10.0.9.21", 420000), rtsp(1000, "10.0.9.21", 50110)}
	for i := 0; i < maxHeld; i++ {
		l = append(l, dt.Conn{TS: 1001 + float64(i)/1000, UID: fmt.Sprintf("O%d", i), Src: "198.51.100.7", SrcP: 7000, Dst: fmt.Sprintf("10.1.%d.%d", i/250, 1+i%250), DstP: 6000, Proto: "udp", OrigPkts: 100, OrigBytes: 10000}.Line())
	}
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), l))

	poll := func(ts float64) dt.Line {
		return dt.Conn{TS: ts, Duration: 1, UID: fmt.Sprintf("P%v", ts), Src: "10.0.5.2", SrcP: 50200, Dst: "10.0.9.50", DstP: 80, OrigPkts: 5, RespPkts: 8, OrigBytes: 400, RespBytes: 30000}.Line()
	}
	flood := dt.Conn{TS: 1130, Duration: 300, Src: "10.0.9.50", SrcP: 7000, Dst: "10.0.5.2", DstP: 5000, Proto: "udp", OrigPkts: 150000, OrigBytes: 75_000_000}.Line()
	dt.Expect(t, dt.RunAsGiven(t, New(DefaultConfig()), []dt.Line{poll(1000), poll(1300), flood}), "flood.udp", "10.0.9.50", "10.0.5.2", "packets", 150000)
}

// TestExportJudgedApart: a collector's NetFlow streams meet ten times the
// thresholds and its other packets the usual ones, in whatever order the
// records come (the fourth review's case: traps beside NetFlow), and an
// alert states the thresholds it crossed.
func TestExportJudgedApart(t *testing.T) {
	trap := dt.Conn{TS: 1000, Duration: 10, Src: "10.0.0.2", SrcP: 5000, Dst: "10.0.9.9", DstP: 162, Proto: "udp", OrigPkts: 1000, OrigBytes: 300_000}.Line()
	export := dt.Conn{TS: 1000, Duration: 10, Src: "10.0.0.1", SrcP: 50000, Dst: "10.0.9.9", DstP: 2055, Proto: "udp", OrigPkts: 5000, OrigBytes: 7_000_000}.Line()
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), []dt.Line{trap, export}))
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), []dt.Line{export, trap}))

	flood := dt.Conn{TS: 1001, Duration: 10, Src: "10.66.0.66", SrcP: 7000, Dst: "10.0.9.9", DstP: 9, Proto: "udp", OrigPkts: 6000, OrigBytes: 3_000_000}.Line()
	more := dt.Conn{TS: 1002, Duration: 10, Src: "10.0.0.3", SrcP: 50000, Dst: "10.0.9.9", DstP: 2055, Proto: "udp", OrigPkts: 5000, OrigBytes: 7_000_000}.Line()
	for _, a := range dt.RunAsGiven(t, New(DefaultConfig()), []dt.Line{flood, export, more}) {
		if dt.Num(t, a, "threshold_packets") != 2000 {
			t.Errorf("a flood crossing the usual thresholds states %v", a.Evidence["threshold_packets"])
		}
	}

	// The fifth review's cases: export that crosses ten times the
	// thresholds, then a real flood: the last report states the usual
	// thresholds; and an answered service beside NetFlow is no flood (the
	// answered share is of the other packets).
	big := dt.Conn{TS: 1000, Duration: 10, Src: "10.0.0.1", SrcP: 50000, Dst: "10.0.9.9", DstP: 2055, Proto: "udp", OrigPkts: 25000, OrigBytes: 35_000_000}.Line()
	alerts := dt.RunAsGiven(t, New(DefaultConfig()), []dt.Line{big, flood})
	if last := alerts[len(alerts)-1]; dt.Num(t, last, "threshold_packets") != 2000 {
		t.Errorf("after the real flood the alert states %v", last.Evidence["threshold_packets"])
	}
	l := []dt.Line{dt.Conn{TS: 1000, Duration: 10, Src: "10.0.0.1", SrcP: 50000, Dst: "10.0.9.9", DstP: 2055, Proto: "udp", OrigPkts: 12500, OrigBytes: 17_000_000}.Line()}
	for i := 0; i < 25; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i)/5, Duration: 5, Src: fmt.Sprintf("10.0.1.%d", i+1), SrcP: 40000, Dst: "10.0.9.9", DstP: 1812, Proto: "udp", OrigPkts: 100, RespPkts: 100, OrigBytes: 20000, RespBytes: 20000}.Line())
	}
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), l))
}

// TestICMPFloodNamesTypes: an ICMP flood's summary and evidence name the
// ICMP types sent (Zeek's orig_p), not "ports" (resp_p, the type's
// counterpart: 129 for an ICMPv6 echo request).
func TestICMPFloodNamesTypes(t *testing.T) {
	for _, tc := range []struct {
		src, dst         string
		typ, counterpart int
		want             string
	}{
		{"10.66.0.66", "10.66.0.20", 8, 0, "type 8 (echo request)"},
		{"2001:db8::66", "2001:db8::20", 128, 129, "type 128 (echo request)"},
	} {
		l := []dt.Line{dt.Conn{TS: 1000, Duration: 10, Src: tc.src, SrcP: tc.typ, Dst: tc.dst, DstP: tc.counterpart, Proto: "icmp", State: "OTH", OrigPkts: 20000}.Line()}
		a := dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "flood.icmp")
		if !strings.Contains(a.Summary, " to "+tc.want+" at ") || strings.Contains(a.Summary, "port") {
			t.Errorf("summary %q, want the ICMP type %q", a.Summary, tc.want)
		}
		if types, _ := a.Evidence["icmp_types"].([]string); len(types) != 1 || types[0] != tc.want {
			t.Errorf("evidence %v, want icmp_types [%s]", a.Evidence, tc.want)
		}
	}
}
