package scan

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// traces is src's classic (Linux, BSD, mtr -u) UDP traceroute to dst
// starting at ts: probes per hop, hops hops, each probe a UDP datagram to
// the next port from 33434 up, answered by ICMP (time exceeded from the
// routers, port unreachable from dst), never by UDP. Zeek logs each probe
// as its own unanswered UDP connection (tcpdump's mpls-traceroute.pcap in
// the corpus has the shape: ports 33435, 33436 … one per probe).
func traces(src, dst string, ts float64, hops, probes int) []dt.Line {
	var l []dt.Line
	for i := 0; i < hops*probes; i++ {
		l = append(l, dt.Conn{TS: ts + float64(i)*0.05, UID: fmt.Sprintf("T%s-%s-%d", src, dst, i), Src: src, SrcP: 42315, Dst: dst, DstP: 33434 + i,
			Proto: "udp", State: "S0", OrigPkts: 1, OrigBytes: 32}.Line())
	}
	return l
}

// TestTracerouteIsNoScan: a traceroute is 30 to 90 unanswered UDP probes
// to one host's ports 33434 and up within seconds, and a monitoring
// agent (smokeping, perfSONAR, a NOC's looking glass) traces to dozens of
// hosts every few minutes. Neither is a port scan, nor a sweep of port
// 33434; an operator who runs traceroute must not be reported as a
// scanner.
func TestTracerouteIsNoScan(t *testing.T) {
	tests := map[string]func() []dt.Line{
		"one traceroute, 30 hops": func() []dt.Line { return traces("10.0.0.9", "198.51.100.7", 1000, 30, 3) },
		"path monitoring of 40 hosts": func() []dt.Line {
			var l []dt.Line
			for h := 1; h <= 40; h++ {
				l = append(l, traces("10.0.0.250", fmt.Sprintf("%d.%d.7.1", 20+h, h*3), 1000+float64(h)*5, 12, 3)...)
			}
			return l
		},
	}
	for name, lines := range tests {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), lines())) })
	}
}

// TestUDPScanStillFires: a UDP port scan (nmap -sU), its closed ports
// answered by ICMP port unreachable (separate ICMP records, not echo
// requests), is still a vertical scan, whether or not it also covers the
// traceroute ports.
func TestUDPScanStillFires(t *testing.T) {
	var l []dt.Line
	for i, p := range []int{7, 9, 17, 19, 49, 53, 67, 68, 69, 80, 88, 111, 120, 123, 135, 136, 137, 138, 139, 158, 161, 162, 177, 427, 443, 33434, 33435, 33436} {
		ts := 1000 + float64(i)*0.2
		l = append(l, dt.Conn{TS: ts, Src: "10.66.0.66", SrcP: 53211, Dst: "10.66.0.20", DstP: p, Proto: "udp", State: "S0", OrigPkts: 1}.Line(),
			dt.Conn{TS: ts + 0.001, Src: "10.66.0.20", SrcP: 3, Dst: "10.66.0.66", DstP: 3, Proto: "icmp", State: "OTH", OrigPkts: 1, OrigBytes: 28}.Line())
	}
	dt.Expect(t, dt.Run(t, New(DefaultConfig(), internal), l), "scan.vertical", "10.66.0.66", "10.66.0.20", "max_ports_per_host", 25)
}

// TestSpoofedSourcesBoundMemory: a SYN flood from random spoofed sources
// gives conn.log one S0 record per forged address, and each is a probing
// source of one probe. MaxEntries bounds the probes held, about 90 bytes
// each for a real scanner's, but a source of one probe costs some 2 kB of
// maps and struct: under such a flood the default budget (2,000,000)
// held a million sources, 2 GB, where a defender sized for 200 MB. The
// budget must bound memory whatever the sources: here at most 256 bytes
// per entry.
func TestSpoofedSourcesBoundMemory(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEntries = 20_000
	d := New(cfg, internal)
	emit := func(alert.Alert) {}
	var r rec.Rec
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 60_000; i++ {
		l := dt.Conn{TS: 1000 + float64(i)/10000, Src: fmt.Sprintf("%d.%d.%d.%d", 1+i%200, i/200%256, i/51200%256, 1+i%250), SrcP: 1024 + i%60000,
			Dst: "10.66.0.20", DstP: 80, State: "S0", OrigPkts: 1}.Line()
		if err := r.Parse(l.Log, l.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if limit := int64(cfg.MaxEntries) * 256; grown > limit {
		t.Errorf("%d sources held %d entries and %d kB, over the %d kB the budget allows", len(d.sources), d.entries, grown>>10, limit>>10)
	}
	runtime.KeepAlive(d)
}
