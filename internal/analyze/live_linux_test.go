//go:build linux

package analyze

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
)

// A live capture on a veth pair between two namespaces gives the conn.log
// records of the traffic made across it (TCP, UDP and ping, IPv4 and IPv6,
// fragments included), the same with one ring or two.
func TestLiveCaptureRecords(t *testing.T) {
	p := livetest.NewPair(t)
	var runs [][]string
	for _, fanout := range []int{1, 2} {
		lcfg := live.DefaultConfig(p.If[0])
		lcfg.Fanout = fanout
		lcfg.BlockSize, lcfg.Blocks = 256<<10, 8
		var g *live.Group
		if err := p.Do(0, func() (err error) { g, err = live.Open(lcfg); return err }); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Workers = 2
		cfg.OutDir = filepath.Join(t.TempDir(), "out")
		ctx, cancel := context.WithCancel(context.Background())
		type result struct {
			sum *Summary
			err error
		}
		done := make(chan result, 1)
		go func() {
			sum, err := RunLive(ctx, cfg, g.Sources())
			done <- result{sum, err}
		}()
		flows, terr := p.Traffic(context.Background(), livetest.Options{ExtraUDP: 6, Ping: true})
		cancel() // the rings are drained, every record flushed
		r := <-done
		g.Close()
		if terr != nil {
			t.Fatal(terr)
		}
		if r.err != nil {
			t.Fatalf("fanout %d: %v", fanout, r.err)
		}
		sum := r.sum
		t.Logf("fanout %d: %d packets, %d connections, kernel %+v, %d fragments (%d reassembled), %d bad checksums, %d unordered",
			fanout, sum.Packets, sum.Connections, sum.Kernel, sum.Fragments, sum.Reassembled, sum.BadChecksums, sum.Unordered)
		if !sum.Live || sum.Kernel.Drops != 0 || sum.Kernel.Packets < sum.Packets || sum.InternalErrs != 0 {
			t.Errorf("fanout %d: summary %+v", fanout, sum)
		}
		if livetest.HavePing() && sum.Reassembled < 4 {
			t.Errorf("fanout %d: %d datagrams reassembled, want the 4 of the large pings", fanout, sum.Reassembled)
		}
		conns := readLog(t, filepath.Join(cfg.OutDir, "conn.log"))
		var got []string
		for _, f := range flows {
			c := findConn(conns, f)
			if c == nil {
				t.Errorf("fanout %d: no conn.log record for %+v", fanout, f)
				continue
			}
			num := func(k string) int { v, _ := c[k].(float64); return int(v) }
			switch f.Proto {
			case "tcp":
				if c["conn_state"] != f.ConnState || num("orig_bytes") != f.OrigBytes || num("resp_bytes") != f.RespBytes {
					t.Errorf("fanout %d: TCP record %v, want %s with %d/%d bytes", fanout, c, f.ConnState, f.OrigBytes, f.RespBytes)
				}
			case "udp":
				if num("orig_pkts") != f.OrigPkts || num("resp_pkts") != f.RespPkts || num("orig_bytes") != f.OrigBytes ||
					num("resp_bytes") != f.RespBytes || c["conn_state"] != "SF" {
					t.Errorf("fanout %d: UDP record %v, want %d/%d packets of %d/%d bytes", fanout, c, f.OrigPkts, f.RespPkts, f.OrigBytes, f.RespBytes)
				}
			case "icmp":
				if num("orig_pkts") != f.OrigPkts || num("resp_pkts") != f.RespPkts {
					t.Errorf("fanout %d: ICMP record %v, want %d/%d packets", fanout, c, f.OrigPkts, f.RespPkts)
				}
			}
			// What must not depend on the fanout (ports and times are
			// the run's own, TCP's packet counts the stacks').
			pkts := ""
			if f.Proto != "tcp" {
				pkts = fmt.Sprint(c["orig_pkts"], c["resp_pkts"])
			}
			got = append(got, fmt.Sprint(c["proto"], c["id.orig_h"], c["id.resp_h"], c["conn_state"], c["service"],
				c["orig_bytes"], c["resp_bytes"], pkts, c["orig_l2_addr"], c["resp_l2_addr"]))
		}
		slices.Sort(got)
		runs = append(runs, got)
	}
	if !slices.Equal(runs[0], runs[1]) {
		t.Errorf("records differ between fanout 1 and 2:\n%v\n%v", runs[0], runs[1])
	}
}

// findConn returns the conn.log record of flow f.
func findConn(conns []map[string]any, f livetest.Flow) map[string]any {
	for _, c := range conns {
		if c["proto"] != f.Proto || c["id.orig_h"] != f.Orig.String() || c["id.resp_h"] != f.Resp.String() {
			continue
		}
		if f.Proto != "icmp" && (c["id.orig_p"] != float64(f.OrigPort) || c["id.resp_p"] != float64(f.RespPort)) {
			continue
		}
		return c
	}
	return nil
}

// TestLiveThroughput (VIGIL_LIVE_BENCH=1) floods UDP across the veth pair
// from several sockets for a few seconds and reports what the capture and
// the analysis kept up with, for fanout 1 and 2. A measurement, not a
// check: the sender shares the CPUs with the capture.
func TestLiveThroughput(t *testing.T) {
	if os.Getenv("VIGIL_LIVE_BENCH") != "1" {
		t.Skip("set VIGIL_LIVE_BENCH=1 to measure live capture throughput")
	}
	p := livetest.NewPair(t)
	for _, fanout := range []int{1, 2} {
		lcfg := live.DefaultConfig(p.If[0])
		lcfg.Fanout = fanout
		var g *live.Group
		if err := p.Do(0, func() (err error) { g, err = live.Open(lcfg); return err }); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Workers = 2
		cfg.NoApp = true
		cfg.OutDir = filepath.Join(t.TempDir(), "out")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan *Summary, 1)
		go func() {
			sum, err := RunLive(ctx, cfg, g.Sources())
			if err != nil {
				t.Error(err)
			}
			done <- sum
		}()
		const senders, dur = 4, 3 * time.Second
		var sent atomic.Uint64
		var wg sync.WaitGroup
		for i := range senders {
			var c net.PacketConn
			if err := p.Do(1, func() (err error) {
				c, err = net.ListenPacket("udp", netip.AddrPortFrom(p.V4[1], uint16(20000+i)).String())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 64)
				end := time.Now().Add(dur)
				for n := 0; time.Now().Before(end); n++ {
					// 64 destination ports per sender: many flows.
					dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.V4[0], uint16(30000+n%64)))
					if _, err := c.WriteTo(buf, dst); err == nil {
						sent.Add(1)
					}
				}
			})
		}
		start := time.Now()
		wg.Wait()
		cancel()
		sum := <-done
		g.Close()
		secs := time.Since(start).Seconds()
		t.Logf("fanout %d: sent %d datagrams (%.0f/s); the kernel passed %d to the capture and dropped %d (%.2f%%); analysed %d (%.0f pkt/s), %d connections, %d unordered",
			fanout, sent.Load(), float64(sent.Load())/secs, sum.Kernel.Packets, sum.Kernel.Drops,
			100*float64(sum.Kernel.Drops)/float64(max(sum.Kernel.Packets, 1)), sum.Packets, float64(sum.Packets)/secs, sum.Connections, sum.Unordered)
	}
}
