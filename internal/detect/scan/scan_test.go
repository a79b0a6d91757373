package scan

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

var internal = netset.MustParse(netset.DefaultInternal...)

func TestFires(t *testing.T) {
	tests := []struct {
		name      string
		lines     func() []dt.Line
		class     string
		src, dst  string
		key       string
		wantCount float64
	}{
		{"vertical syn scan", func() []dt.Line {
			var l []dt.Line
			for p := 1; p <= 100; p++ {
				st := "REJ"
				if p%10 == 0 {
					st = "S0"
				}
				l = append(l, dt.Conn{TS: 1000 + float64(p)/10, Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.20", DstP: p, State: st}.Line())
			}
			return l
		}, "scan.vertical", "10.66.0.66", "10.66.0.20", "max_ports_per_host", 100},
		{"horizontal telnet sweep", func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 254; h++ {
				l = append(l, dt.Conn{TS: 1000 + float64(h)/30, Src: "10.66.0.66", SrcP: 40000 + h, Dst: fmt.Sprintf("10.66.0.%d", h), DstP: 23, State: "S0"}.Line())
			}
			return l
		}, "scan.horizontal", "10.66.0.66", "", "hosts", 254},
		{"ipv6 vertical", func() []dt.Line {
			var l []dt.Line
			for p := 1; p <= 30; p++ {
				l = append(l, dt.Conn{TS: 1000 + float64(p), Src: "fd00::66", SrcP: 40000, Dst: "fd00::20", DstP: 1000 + p, State: "REJ"}.Line())
			}
			return l
		}, "scan.v6", "fd00::66", "fd00::20", "max_ports_per_host", 30},
		{"ping sweep", func() []dt.Line {
			return pings("10.0.0.5", "10.0.1.%d", 40, 1, func(int) bool { return true })
		}, "scan.horizontal", "10.0.0.5", "", "hosts", 40},
		// One site sweeping another's internal range (the review's case):
		// both in the local networks, answered or not.
		{"ping sweep of another site", func() []dt.Line {
			return pings("10.10.3.7", "10.20.5.%d", 254, 0.1, func(h int) bool { return h%18 != 0 })
		}, "scan.horizontal", "10.10.3.7", "", "hosts", 254},
		{"unanswered ping sweep of another network", func() []dt.Line {
			return pings("10.0.0.5", "198.51.100.%d", 40, 1, func(int) bool { return false })
		}, "scan.horizontal", "10.0.0.5", "", "hosts", 40},
		// A few real sessions on the swept port do not hide the sweep.
		{"telnet sweep with some logins", func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 40; h++ {
				c := dt.Conn{TS: 1000 + float64(h), Src: "10.66.0.66", SrcP: 40000 + h, Dst: fmt.Sprintf("10.66.1.%d", h), DstP: 23, State: "S0"}
				if h%8 == 0 {
					c.State, c.OrigBytes, c.RespBytes, c.OrigPkts, c.RespPkts = "SF", 40, 300, 6, 6
				}
				l = append(l, c.Line())
			}
			return l
		}, "scan.horizontal", "10.66.0.66", "", "hosts", 35},
		// Fetching from twice as many servers on the swept port does not
		// hide a sweep of one network (the review's case), nor of one
		// site's gateways, the .1 of each /24 of a /16 (the second
		// review's).
		{"sweep among fetches", func() []dt.Line { return sweepAmongFetches("10.66.1.%d") }, "scan.horizontal", "10.66.0.66", "", "hosts", 200},
		{"gateway sweep among fetches", func() []dt.Line { return sweepAmongFetches("10.20.%d.1") }, "scan.horizontal", "10.66.0.66", "", "hosts", 200},
		// Hosts the sweeper talked to before are not counted; the others are.
		{"ping sweep past known peers", func() []dt.Line {
			return append(fetches("10.0.0.5", "198.51.100.%d", 10), pings("10.0.0.5", "198.51.100.%d", 40, 1, func(int) bool { return false })...)
		}, "scan.horizontal", "10.0.0.5", "", "hosts", 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig(), internal), tc.lines())
			dt.Expect(t, alerts, tc.class, tc.src, tc.dst, tc.key, tc.wantCount)
			want := 1
			if tc.class == "scan.v6" && tc.key == "max_ports_per_host" {
				want = 2 // an IPv6 vertical scan is also scan.vertical
				dt.Find(t, alerts, "scan.vertical")
			}
			if len(dt.Merged(alerts)) != want {
				t.Errorf("want %d episodes, got %v", want, dt.Classes(dt.Merged(alerts)))
			}
		})
	}
}

// sweepAmongFetches is 10.66.0.66's unanswered SYNs to 200 hosts on port
// 443 (dst formats the host number), each beside two HTTPS fetches from
// servers all over the internet.
func sweepAmongFetches(dst string) []dt.Line {
	var l []dt.Line
	for h := 1; h <= 200; h++ {
		ts := 1000 + float64(h)
		l = append(l, dt.Conn{TS: ts, Src: "10.66.0.66", SrcP: 40000 + h, Dst: fmt.Sprintf(dst, h), DstP: 443, State: "S0", OrigPkts: 1}.Line())
		for k := range 2 {
			l = append(l, dt.Conn{TS: ts + 0.1, Src: "10.66.0.66", SrcP: 50000 + 2*h + k, Dst: fmt.Sprintf("%d.%d.%d.1", 20+h%180, h, k), DstP: 443, OrigBytes: 900, RespBytes: 9000, OrigPkts: 8, RespPkts: 9}.Line())
		}
	}
	return l
}

// pings is src's echo requests to n hosts (dst formats the host number),
// every seconds apart; answered(h) says whether host h replied.
func pings(src, dst string, n int, every float64, answered func(h int) bool) []dt.Line {
	var l []dt.Line
	for h := 1; h <= n; h++ {
		c := dt.Conn{TS: 1000 + float64(h)*every, Src: src, SrcP: 8, Dst: fmt.Sprintf(dst, h), DstP: 0, Proto: "icmp", State: "OTH", OrigPkts: 1}
		if answered(h) {
			c.RespPkts = 1
		}
		l = append(l, c.Line())
	}
	return l
}

// fetches is src's HTTPS conversations with n hosts (dst formats the host
// number), a second apart, before pings' first.
func fetches(src, dst string, n int) []dt.Line {
	var l []dt.Line
	for h := 1; h <= n; h++ {
		l = append(l, dt.Conn{TS: 900 + float64(h), Src: src, SrcP: 50000 + h, Dst: fmt.Sprintf(dst, h), DstP: 443, OrigBytes: 600, RespBytes: 9000, OrigPkts: 8, RespPkts: 12}.Line())
	}
	return l
}

func TestQuiet(t *testing.T) {
	tests := map[string]func() []dt.Line{
		"busy web client": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 300; h++ {
				l = append(l, dt.Conn{TS: 1000 + float64(h), Src: "10.0.0.9", SrcP: 50000 + h, Dst: fmt.Sprintf("93.184.%d.%d", h/200, h%200), DstP: 443, OrigBytes: 900, RespBytes: 40000, OrigPkts: 10, RespPkts: 30}.Line())
			}
			return l
		},
		"dns resolver": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 500; h++ {
				l = append(l, dt.Conn{TS: 1000 + float64(h)/5, Src: "10.0.0.53", SrcP: 30000 + h, Dst: fmt.Sprintf("198.51.%d.%d", h/250, h%250), DstP: 53, Proto: "udp", OrigBytes: 40, RespBytes: 120, OrigPkts: 1, RespPkts: 1}.Line())
			}
			return l
		},
		// tls-sni.pcapng (FoxIO's JA4 captures), taken with checksum
		// offload: 30 servers' connections whose packets all failed
		// their checksums, so nothing was analysed of them.
		"checksum offload": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 60; h++ {
				l = append(l, dt.Conn{TS: 1000 + float64(h)/3, Src: "192.168.1.168", SrcP: 50000 + h, Dst: fmt.Sprintf("142.251.16.%d", h), DstP: 443, State: "OTH", History: "C"}.Line())
			}
			return l
		},
		// RITA's proxy_rolling logs: a host pings some 300 servers all
		// over the internet in an hour, once each, and they answer.
		"latency checks": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 300; h++ {
				ts := 1000 + float64(h)*11
				l = append(l, dt.Conn{TS: ts, Src: "10.0.0.238", SrcP: 8, Dst: fmt.Sprintf("%d.%d.%d.1", 20+h%180, h%251, h%7), DstP: 0, Proto: "icmp", State: "OTH", OrigPkts: 1, RespPkts: 1}.Line(),
					dt.Conn{TS: ts + 1, Src: "2601:19e:8200:91e0::1ec7", SrcP: 128, Dst: fmt.Sprintf("2600:%x:%x::1", 0x9000+h, h), DstP: 129, Proto: "icmp", State: "OTH", OrigPkts: 1, RespPkts: 1}.Line())
			}
			return l
		},
		// RITA's proxy_rolling logs again: Squid's pinger pings the origin
		// servers it fetched from, and many do not answer.
		"pings to servers fetched from": func() []dt.Line {
			return append(fetches("10.0.0.238", "52.%d.7.1", 80), pings("10.0.0.238", "52.%d.7.1", 80, 3, func(int) bool { return false })...)
		},
		// A recursive resolver: some authoritative servers never answer,
		// but it talks to many more.
		"resolver with lame servers": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 600; h++ {
				dst := fmt.Sprintf("%d.%d.%d.%d", 20+h%180, h*7%251, h*13%253, 1+h%250) // servers all over
				c := dt.Conn{TS: 1000 + float64(h)/5, Src: "10.0.0.53", SrcP: 30000 + h, Dst: dst, DstP: 53, Proto: "udp", OrigBytes: 40, OrigPkts: 1}
				if h%12 != 0 {
					c.RespBytes, c.RespPkts = 120, 1
				} else {
					c.State = "S0"
				}
				l = append(l, c.Line())
			}
			return l
		},
		// Passive FTP: data connections to the server's ports, some
		// blocked by a firewall.
		"passive ftp data": func() []dt.Line {
			var l []dt.Line
			for p := 1; p <= 80; p++ {
				c := dt.Conn{TS: 1000 + float64(p), Src: "10.0.0.9", SrcP: 50000 + p, Dst: "192.0.2.21", DstP: 40000 + p*7, OrigPkts: 5, RespPkts: 40, RespBytes: 50000}
				if p%3 == 0 {
					c.State, c.RespPkts, c.RespBytes = "S0", 0, 0
				}
				l = append(l, c.Line())
			}
			return l
		},
		"slow failures over a day": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 60; h++ {
				l = append(l, dt.Conn{TS: 1000 + float64(h)*1200, Src: "10.0.0.9", SrcP: 50000 + h, Dst: fmt.Sprintf("203.0.113.%d", h), DstP: 443, State: "S0"}.Line())
			}
			return l
		},
	}
	for name, lines := range tests {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), lines())) })
	}
}

func TestEvictionBoundsState(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEntries = 1000
	d := New(cfg, internal)
	var l []dt.Line
	for i := 0; i < 5000; i++ {
		l = append(l, dt.Conn{TS: 1000, Src: fmt.Sprintf("10.1.%d.%d", i/250, i%250), Dst: "10.0.0.1", DstP: i % 7, State: "S0"}.Line())
	}
	dt.Run(t, d, l)
	if d.entries > cfg.MaxEntries || d.Evicted == 0 {
		t.Errorf("entries %d evicted %d", d.entries, d.Evicted)
	}
}

// TestEvictionKeepsActiveScanner: a flood of spoofed one-probe sources
// fills the budget again and again while a real scanner probes on; each
// eviction takes the idlest records, so the scanner, active throughout
// since before the flood, is never among them and alerts with every port
// it probed. The order is kept by activity (idleOrder): records, spoofed
// ones included, are never all visited to find it.
func TestEvictionKeepsActiveScanner(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEntries = 5_000 // some 970 spoofed sources' lone probes: 10 s of the flood, twice the scanner's pause
	var l []dt.Line
	for i := range 20_000 {
		ts := 1000 + float64(i)/100
		l = append(l, dt.Conn{TS: ts, Src: fmt.Sprintf("%d.%d.%d.%d", 1+i%200, i/200%256, i/51200%256, 1+i%250), SrcP: 1024 + i%60000,
			Dst: "10.66.0.20", DstP: 80, State: "S0"}.Line())
		if i%500 == 0 { // a port every 5 s, 40 in all
			l = append(l, dt.Conn{TS: ts, UID: fmt.Sprintf("C%d", i), Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.30", DstP: 1 + i/500, State: "REJ"}.Line())
		}
	}
	d := New(cfg, internal)
	var alerts []alert.Alert
	emit := func(a alert.Alert) { a.Fill(); alerts = append(alerts, a) }
	var r rec.Rec
	flushed := 0.0
	for _, line := range l {
		if err := r.Parse(line.Log, line.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
		if ts := r.TS(); ts-flushed >= 10 {
			d.Flush(ts, emit)
			flushed = ts
		}
	}
	if d.Evicted < 10_000 || d.entries > cfg.MaxEntries {
		t.Errorf("evicted %d, entries %d: the flood did not fill the budget, or it was not kept", d.Evicted, d.entries)
	}
	checkIdleOrders(t, d)
	d.Flush(math.Inf(1), emit)
	checkIdleOrders(t, d)
	dt.Expect(t, alerts, "scan.vertical", "10.66.0.66", "10.66.0.30", "max_ports_per_host", 40)
}

// checkIdleOrders: the idle orders hold exactly the records of the maps,
// each once, idlest first but for records that came late.
func checkIdleOrders(t *testing.T, d *Detector) {
	t.Helper()
	n := 0
	for s := d.idle.front; s != nil; s = s.idle.next {
		if d.sources[s.src] != s {
			t.Fatalf("source %v in the idle order but not in the table", s.src)
		}
		n++
	}
	m := 0
	for sl := d.slowIdle.front; sl != nil; sl = sl.idle.next {
		if d.slow[sl.src] != sl {
			t.Fatalf("slow record %v in the idle order but not in the table", sl.src)
		}
		m++
	}
	if n != len(d.sources) || m != len(d.slow) || n == 0 && len(d.slow) == 0 && d.entries != 0 {
		t.Errorf("idle orders hold %d sources and %d slow records, the tables %d and %d", n, m, len(d.sources), len(d.slow))
	}
}

// TestIdleOrder: touch moves a record to the back (adding it when new),
// remove takes it out wherever it is (and leaves one not in the order as
// it is); the links always run front to back and back to front alike.
func TestIdleOrder(t *testing.T) {
	recs := make([]*source, 5)
	for i := range recs {
		recs[i] = &source{first: float64(i)}
	}
	var o idleOrder[source, *source]
	order := func() []float64 {
		var fwd, back []float64
		for x := o.front; x != nil; x = x.idle.next {
			fwd = append(fwd, x.first)
		}
		for x := o.back; x != nil; x = x.idle.prev {
			back = append([]float64{x.first}, back...)
		}
		if !slices.Equal(fwd, back) {
			t.Fatalf("front to back %v, back to front %v", fwd, back)
		}
		return fwd
	}
	for _, step := range []struct {
		touch  bool
		i      int
		result []float64
	}{
		{false, 0, nil}, // not in the order
		{true, 0, []float64{0}},
		{true, 0, []float64{0}},
		{true, 1, []float64{0, 1}},
		{true, 2, []float64{0, 1, 2}},
		{true, 0, []float64{1, 2, 0}},
		{true, 2, []float64{1, 0, 2}},
		{false, 0, []float64{1, 2}},
		{false, 0, []float64{1, 2}},
		{true, 3, []float64{1, 2, 3}},
		{false, 3, []float64{1, 2}},
		{false, 1, []float64{2}},
		{false, 2, nil},
		{true, 4, []float64{4}},
	} {
		if step.touch {
			o.touch(recs[step.i])
		} else {
			o.remove(recs[step.i])
		}
		if got := order(); !slices.Equal(got, step.result) {
			t.Fatalf("after %+v: %v", step, got)
		}
	}
}

// TestNextEpisodeStartsOver: a source whose probes did not cross a
// threshold within Window starts over (in the same memory): the probes
// before count for nothing, and the next episode's alert counts its own.
func TestNextEpisodeStartsOver(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SlowWindow = 0 // the slow tier would add the two up
	probes := func(ts float64, from, to int) []dt.Line {
		var l []dt.Line
		for p := from; p <= to; p++ {
			l = append(l, dt.Conn{TS: ts + float64(p)/10, UID: fmt.Sprintf("C%d", p), Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.20", DstP: p, State: "REJ"}.Line())
		}
		return l
	}
	early := probes(1000, 1, 15)
	dt.Quiet(t, dt.Run(t, New(cfg, internal), append(early, probes(2000, 101, 115)...)))
	alerts := dt.Run(t, New(cfg, internal), append(early, probes(2000, 101, 125)...))
	dt.Expect(t, alerts, "scan.vertical", "10.66.0.66", "10.66.0.20", "max_ports_per_host", 25)
}

// TestOneProbeSources: a source's first probe is kept aside (lone.go); a
// source made by one probe holds it without maps (most probing sources
// send one), counted as any other: at thresholds of one it alerts alone,
// with its evidence; a second probe moves it into the maps and both
// count.
func TestOneProbeSources(t *testing.T) {
	probe := func(ts float64, dst string, port int) dt.Line {
		return dt.Conn{TS: ts, UID: fmt.Sprintf("C%d", port), Src: "10.66.0.66", SrcP: 40000, Dst: dst, DstP: port, State: "S0"}.Line()
	}
	handle := func(d *Detector, lines ...dt.Line) *source {
		var r rec.Rec
		for _, l := range lines {
			if err := r.Parse(l.Log, l.JSON); err != nil {
				t.Fatal(err)
			}
			d.Handle(&r, func(a alert.Alert) { t.Errorf("alert %s", a.JSON()) })
		}
		return d.sources[netip.MustParseAddr("10.66.0.66")]
	}
	fast := DefaultConfig()
	fast.SlowWindow = 0 // its records count against MaxEntries too
	d := New(fast, internal)
	if s := handle(d, probe(1000, "10.66.0.20", 22)); s != nil || len(d.lone) != 1 || d.entries != loneEntries {
		t.Fatalf("one probe: source %+v, lone probes %v, entries %d", s, d.lone, d.entries)
	}
	d = New(fast, internal)
	d.lonesAllowed = false // as at thresholds of one: the first probe makes the source
	if s := handle(d, probe(1000, "10.66.0.20", 22)); s == nil || s.probes != nil || !s.single || s.size() != sourceEntries+2 || d.entries != s.size() {
		t.Fatalf("one probe: %+v", s)
	}
	d = New(fast, internal)
	s := handle(d, probe(1000, "10.66.0.20", 22), probe(1001, "10.66.0.20", 22), probe(1002, "10.66.0.21", 22))
	if s == nil || s.single || len(s.probes) != 2 || s.hosts[service{22, rec.ProtoTCP}] != 2 || s.size() != sourceEntries+2+1 || d.entries != s.size() {
		t.Fatalf("two probes (one repeated): %+v", s)
	}

	cfg := DefaultConfig()
	cfg.VerticalPorts, cfg.HorizontalHosts = 1, 1
	alerts := dt.Run(t, New(cfg, internal), []dt.Line{probe(1000, "10.66.0.20", 22)})
	dt.Expect(t, alerts, "scan.vertical", "10.66.0.66", "10.66.0.20", "max_ports_per_host", 1)
	dt.Expect(t, alerts, "scan.horizontal", "10.66.0.66", "", "hosts", 1)
}
