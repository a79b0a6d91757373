package scan

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// slowAlerts returns the alerts whose evidence says "pace": "slow".
func slowAlerts(alerts []alert.Alert) (slow, fast []alert.Alert) {
	for _, a := range alerts {
		if a.Evidence["pace"] == "slow" {
			slow = append(slow, a)
		} else {
			fast = append(fast, a)
		}
	}
	return slow, fast
}

// TestSlowScansFire: scans paced below the episode's window, which it
// never reports, cross the slow tier's thresholds within its window.
func TestSlowScansFire(t *testing.T) {
	tests := []struct {
		name       string
		lines      func() []dt.Line
		class, dst string
		key        string
		first      float64 // the count when it first alerted
		by         float64 // record time by which it alerted
	}{
		// nmap -T0: one probe every five minutes, closed ports answer
		// RST; 100 ports take over eight hours.
		{"nmap -T0 vertical", func() []dt.Line {
			var l []dt.Line
			for p := 1; p <= 100; p++ {
				l = append(l, dt.Conn{TS: 1000 + float64(p-1)*300, UID: fmt.Sprintf("V%d", p), Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.20", DstP: p, State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
			}
			return l
		}, "scan.vertical", "10.66.0.20", "max_ports_per_host", 30, 1000 + 29*300},
		// nmap -T1 -Pn -p445 over a /24 whose hosts do not answer: a
		// probe every 15 s, each sent twice, so a host every 30 s, ten
		// in the episode's window.
		{"nmap -T1 sweep of 445", func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 254; h++ {
				l = append(l, dt.Conn{TS: 1000 + float64(h-1)*30, UID: fmt.Sprintf("H%d", h), Src: "10.66.0.66", SrcP: 40000 + h, Dst: fmt.Sprintf("10.20.30.%d", h), DstP: 445, State: "S0", OrigPkts: 2}.Line())
			}
			return l
		}, "scan.horizontal", "", "hosts", 30, 1000 + 29*30},
		// A patient attacker: one host of a /16 a minute on ssh, among
		// its web browsing.
		{"one host a minute on ssh", func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 120; h++ {
				ts := 1000 + float64(h-1)*60
				l = append(l, dt.Conn{TS: ts, Src: "192.0.2.66", SrcP: 40000 + h, Dst: fmt.Sprintf("10.20.%d.%d", h*37%256, 1+h*11%250), DstP: 22, State: "S0", OrigPkts: 2}.Line(),
					dt.Conn{TS: ts + 5, Src: "192.0.2.66", SrcP: 50000 + h, Dst: fmt.Sprintf("%d.%d.7.1", 20+h, h), DstP: 443, State: "SF", OrigBytes: 900, RespBytes: 9000, OrigPkts: 8, RespPkts: 9}.Line())
			}
			return l
		}, "scan.horizontal", "", "hosts", 30, 1000 + 29*60},
		{"nmap -T0 over IPv6", func() []dt.Line {
			var l []dt.Line
			for p := 1; p <= 40; p++ {
				l = append(l, dt.Conn{TS: 1000 + float64(p-1)*300, Src: "fd00::66", SrcP: 40000, Dst: "fd00::20", DstP: 1000 + p, State: "S0", OrigPkts: 2}.Line())
			}
			return l
		}, "scan.v6", "fd00::20", "max_ports_per_host", 30, 1000 + 29*300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig(), internal), tc.lines())
			slow, fast := slowAlerts(alerts)
			if len(fast) > 0 || len(slow) == 0 {
				t.Fatalf("want only slow alerts, got %d fast and %d slow: %v", len(fast), len(slow), dt.Classes(alerts))
			}
			first := slow[0]
			if first.Class != tc.class && !(tc.class == "scan.v6" && first.Class == "scan.vertical") {
				t.Errorf("first alert %s, want %s", first.Class, tc.class)
			}
			if got := dt.Num(t, first, tc.key); got != tc.first || first.TSEnd > tc.by {
				t.Errorf("first alert: %s = %v at %v, want %v by %v: %s", tc.key, got, first.TSEnd, tc.first, tc.by, first.Summary)
			}
			a := dt.Find(t, alerts, tc.class)
			if a.Dst != tc.dst || a.Src == "" || dt.Num(t, a, "window_s") != DefaultConfig().SlowWindow || dt.Num(t, a, "probes_per_hour") <= 0 {
				t.Errorf("alert %s: %s %v", a.Class, a.Summary, a.Evidence)
			}
			want := 1
			if tc.class == "scan.v6" {
				want = 2
			}
			if n := len(dt.Merged(alerts)); n != want {
				t.Errorf("want %d episodes, got %v", want, dt.Classes(dt.Merged(alerts)))
			}
			t.Log(a.Summary)
		})
	}
}

// TestSlowTierNoDuplicate: a fast scan that goes on slowly is one
// episode, the fast tier's, not also a slow one; a slow scan that
// speeds up ends its slow episode when the fast one alerts.
func TestSlowTierNoDuplicate(t *testing.T) {
	var l []dt.Line
	for p := 1; p <= 200; p++ {
		ts := 1000 + float64(p)/10
		if p > 50 {
			ts = 1005 + float64(p-50)*240 // 150 more ports, one each 4 minutes
		}
		l = append(l, dt.Conn{TS: ts, Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.20", DstP: p, State: "REJ"}.Line())
	}
	alerts := dt.Run(t, New(DefaultConfig(), internal), l)
	if slow, _ := slowAlerts(alerts); len(slow) > 0 {
		t.Errorf("a fast scan going on slowly also alerted as slow: %s", slow[0].Summary)
	}

	l = nil
	for h := 1; h <= 100; h++ {
		ts := 1000 + float64(h)*30
		if h > 40 {
			ts = 1000 + 40*30 + float64(h-40)/10 // the last 60 in six seconds
		}
		l = append(l, dt.Conn{TS: ts, Src: "10.66.0.66", SrcP: 40000 + h, Dst: fmt.Sprintf("10.20.30.%d", h), DstP: 445, State: "S0"}.Line())
	}
	alerts = dt.Run(t, New(DefaultConfig(), internal), l)
	slow, fast := slowAlerts(alerts)
	if len(slow) == 0 || len(fast) == 0 {
		t.Fatalf("want a slow then a fast alert, got %d slow, %d fast", len(slow), len(fast))
	}
	for _, a := range slow {
		if a.TSEnd > fast[0].TS+300 {
			t.Errorf("slow alert reported after the fast episode began: %s", a.Summary)
		}
	}
}

// TestSlowTierQuiet: what gathers failures slowly without scanning.
func TestSlowTierQuiet(t *testing.T) {
	const hour = 3600.0
	tests := map[string]func() []dt.Line{
		// Nagios polls 150 hosts every five minutes (ping and ssh); every
		// hour five go down for 40 minutes, 60 over 12 hours, and three
		// were decommissioned but stay in its configuration.
		"monitoring with hosts down": func() []dt.Line {
			var l []dt.Line
			for ts := 1000.0; ts < 1000+12*hour; ts += 300 {
				hr := int((ts - 1000) / hour)
				for h := 0; h < 150; h++ {
					down := h < 3
					for k := 0; k < 5; k++ {
						if h == (hr*5+k)*31%147+3 && ts-1000-float64(hr)*hour < 40*60 {
							down = true
						}
					}
					at := ts + float64(h)
					dst := fmt.Sprintf("10.1.%d.%d", h/100, 1+h%100)
					ping := dt.Conn{TS: at + 0.5, Src: "10.0.0.250", SrcP: 8, Dst: dst, Proto: "icmp", State: "OTH", OrigPkts: 1, RespPkts: 1}
					ssh := dt.Conn{TS: at, Src: "10.0.0.250", SrcP: 30000 + h, Dst: dst, DstP: 22, State: "SF", OrigBytes: 30, RespBytes: 40, OrigPkts: 4, RespPkts: 4}
					if down {
						ping.RespPkts = 0
						ssh.State, ssh.OrigBytes, ssh.RespBytes, ssh.OrigPkts, ssh.RespPkts = "S0", 0, 0, 2, 0
					}
					l = append(l, ping.Line(), ssh.Line())
				}
			}
			return l
		},
		// A BitTorrent client for 12 hours: a peer every 20 s all over
		// the internet, most on 6881, two in five failing, and DHT
		// queries, one in ten unanswered.
		"p2p client": func() []dt.Line {
			rng := rand.New(rand.NewPCG(5, 6))
			var l []dt.Line
			for ts := 1000.0; ts < 1000+12*hour; ts += 20 {
				port := []int{6881, 6881, 6881, 1024 + rng.IntN(60000)}[rng.IntN(4)]
				c := dt.Conn{TS: ts, Src: "10.0.0.77", SrcP: 40000, Dst: fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(222), rng.IntN(256), rng.IntN(256), 1+rng.IntN(250)), DstP: port,
					State: "SF", OrigBytes: 5000, RespBytes: 90000, OrigPkts: 40, RespPkts: 80}
				if rng.IntN(5) < 2 {
					c.State, c.OrigBytes, c.RespBytes, c.OrigPkts, c.RespPkts = "S0", 0, 0, 2, 0
				}
				dht := dt.Conn{TS: ts + 3, Src: "10.0.0.77", SrcP: 6881, Dst: fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(222), rng.IntN(256), rng.IntN(256), 1+rng.IntN(250)), DstP: 1024 + rng.IntN(60000),
					Proto: "udp", OrigBytes: 100, OrigPkts: 1}
				if rng.IntN(10) > 0 {
					dht.RespBytes, dht.RespPkts = 300, 1
				}
				l = append(l, c.Line(), dht.Line())
			}
			return l
		},
		// A NAT gateway: its clients' web traffic, one failure in twenty
		// all over the internet, and a blocked CDN network whose
		// addresses (40 of one /16 over the hours) never answer.
		"nat gateway": func() []dt.Line {
			rng := rand.New(rand.NewPCG(7, 8))
			var l []dt.Line
			for ts := 1000.0; ts < 1000+8*hour; ts += 2 {
				c := dt.Conn{TS: ts, Src: "198.51.100.1", SrcP: 1024 + rng.IntN(60000), Dst: fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(222), rng.IntN(256), rng.IntN(256), 1+rng.IntN(250)),
					DstP: []int{443, 443, 443, 80}[rng.IntN(4)], State: "SF", OrigBytes: 900, RespBytes: 40000, OrigPkts: 10, RespPkts: 30}
				switch rng.IntN(100) {
				case 0:
					c.Dst, c.DstP = fmt.Sprintf("52.84.%d.%d", rng.IntN(4), 1+rng.IntN(10)), 443
					fallthrough
				case 1, 2, 3, 4:
					c.State, c.OrigBytes, c.RespBytes, c.OrigPkts, c.RespPkts = "S0", 0, 0, 2, 0
				}
				l = append(l, c.Line())
			}
			return l
		},
		// A recursive resolver for a day: a query every 10 s, one server
		// in twelve lame.
		"resolver with lame servers over a day": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 24*360; h++ {
				dst := fmt.Sprintf("%d.%d.%d.%d", 20+h%180, h*7%251, h*13%253, 1+h%250)
				c := dt.Conn{TS: 1000 + float64(h)*10, Src: "10.0.0.53", SrcP: 30000 + h%30000, Dst: dst, DstP: 53, Proto: "udp", OrigBytes: 40, OrigPkts: 1}
				if h%12 != 0 {
					c.RespBytes, c.RespPkts = 120, 1
				}
				l = append(l, c.Line())
			}
			return l
		},
		// A mail server delivering to 300 domains' MX hosts over 12
		// hours; one in six unreachable, each retried every 15 minutes.
		"mail server retrying": func() []dt.Line {
			var l []dt.Line
			for m := 0; m < 300; m++ {
				ts := 1000 + float64(m)*144
				mx := fmt.Sprintf("%d.%d.%d.25", 30+m%190, m*7%256, m*3%256)
				if m%6 != 0 {
					l = append(l, dt.Conn{TS: ts, Src: "10.0.0.25", SrcP: 40000 + m, Dst: mx, DstP: 25, State: "SF", OrigBytes: 20000, RespBytes: 900, OrigPkts: 30, RespPkts: 20}.Line())
					continue
				}
				for r := 0; r < 8; r++ {
					l = append(l, dt.Conn{TS: ts + float64(r)*900, Src: "10.0.0.25", SrcP: 50000 + m*8 + r, Dst: mx, DstP: 25, State: "S0", OrigPkts: 3}.Line())
				}
			}
			return l
		},
		// smokeping tracing 40 hosts every five minutes for six hours.
		"path monitoring for hours": func() []dt.Line {
			var l []dt.Line
			for round := 0; round < 72; round++ {
				for h := 1; h <= 40; h++ {
					l = append(l, traces("10.0.0.250", fmt.Sprintf("%d.%d.7.1", 20+h, h*3), 1000+float64(round)*300+float64(h)*5, 12, 1)...)
				}
			}
			return l
		},
	}
	for name, lines := range tests {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), lines())) })
	}
}

// TestSlowRecordBounded: a source probing thousands of distinct
// (host, port) pairs slowly holds at most SlowCap of them, and the
// entries counted against MaxEntries are those held.
func TestSlowRecordBounded(t *testing.T) {
	d := New(DefaultConfig(), internal)
	var l []dt.Line
	for i := 0; i < 5000; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i)*20, Src: "10.0.0.9", SrcP: 40000, Dst: fmt.Sprintf("%d.%d.%d.1", 1+i%200, i/200, i%7), DstP: 1 + i%5000, State: "S0"}.Line())
	}
	var r rec.Rec
	emit := func(alert.Alert) {}
	for i, line := range l {
		if err := r.Parse(line.Log, line.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
		if i%10 == 0 {
			d.Flush(r.Conn().TS, emit)
		}
	}
	sl := d.slow[netip.MustParseAddr("10.0.0.9")]
	if sl == nil || len(sl.probes) > SlowCap || cap(sl.probes) > SlowCap {
		t.Fatalf("slow record %v", sl)
	}
	want := 0
	for _, s := range d.sources {
		want += s.size()
	}
	for _, s := range d.slow {
		want += s.size()
	}
	if d.entries != want {
		t.Errorf("entries %d, held %d", d.entries, want)
	}
}

// TestSlowConfigValid: the slow tier's settings are checked: off, or a
// window no shorter than the episode's and thresholds a record can hold.
func TestSlowConfigValid(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		ok   bool
	}{
		{func(*Config) {}, true},
		{func(c *Config) { c.SlowWindow = 0 }, true},
		{func(c *Config) { c.SlowWindow = 100 }, false},
		{func(c *Config) { c.SlowPorts = 0 }, false},
		{func(c *Config) { c.SlowHosts = SlowCap + 1 }, false},
		{func(c *Config) { c.SlowIdle = 0 }, false},
	} {
		c := DefaultConfig()
		tc.edit(&c)
		if c.Valid() != tc.ok {
			t.Errorf("%+v: valid %v, want %v", c, c.Valid(), tc.ok)
		}
	}
}

// TestSlowTierOff: with slow_window_s 0 a -T0 scan is missed, as before.
func TestSlowTierOff(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SlowWindow = 0
	var l []dt.Line
	for p := 1; p <= 100; p++ {
		l = append(l, dt.Conn{TS: 1000 + float64(p-1)*300, Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.20", DstP: p, State: "REJ"}.Line())
	}
	d := New(cfg, internal)
	dt.Quiet(t, dt.Run(t, d, l))
	if len(d.slow) != 0 {
		t.Errorf("%d slow records held with the tier off", len(d.slow))
	}
}
