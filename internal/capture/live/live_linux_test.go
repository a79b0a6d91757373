//go:build linux

package live_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// openIn opens a group on the pair's first interface, inside its
// namespace.
func openIn(t *testing.T, p *livetest.Pair, fanout int) *live.Group {
	t.Helper()
	cfg := live.DefaultConfig(p.If[0])
	cfg.Fanout = fanout
	cfg.BlockSize, cfg.Blocks = 256<<10, 8
	var g *live.Group
	if err := p.Do(0, func() (err error) { g, err = live.Open(cfg); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// memberCount is what one reader saw.
type memberCount struct {
	frames  int
	udp     int // frames whose UDP payload is Traffic's 100-byte "u…"
	vlan100 int // frames with a VLAN 100 tag
	idle    int
	eofIn   time.Duration // from Stop to io.EOF
	err     error
}

// startReaders runs one reader per member until io.EOF; stop stops the
// group and returns what they saw. The readers are stopped before the
// group is freed also when the test fails early.
func startReaders(t *testing.T, g *live.Group) (stop func() []memberCount) {
	var mu sync.Mutex
	var stopped time.Time
	res := make(chan []memberCount, 1)
	go func() { res <- readAll(g, &stopped, &mu) }()
	var once sync.Once
	var counts []memberCount
	stop = func() []memberCount {
		once.Do(func() {
			mu.Lock()
			stopped = time.Now()
			mu.Unlock()
			g.Stop()
			counts = <-res
		})
		return counts
	}
	t.Cleanup(func() { stop() })
	return stop
}

// readAll runs one reader per member until io.EOF.
func readAll(g *live.Group, stopped *time.Time, mu *sync.Mutex) []memberCount {
	srcs := g.Sources()
	out := make([]memberCount, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			c := &out[i]
			dec := decode.NewDecoder(decode.DefaultConfig())
			var f capture.Frame
			var p decode.Packet
			for {
				err := src.Next(&f)
				switch {
				case errors.Is(err, capture.ErrIdle):
					c.idle++
					continue
				case errors.Is(err, io.EOF):
					mu.Lock()
					c.eofIn = time.Since(*stopped)
					mu.Unlock()
					return
				case err != nil:
					c.err = err
					return
				}
				c.frames++
				dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
				if p.IP.Proto == decode.ProtoUDP && len(p.Payload) == 100 && bytes.Equal(p.Payload, bytes.Repeat([]byte("u"), 100)) {
					c.udp++
				}
				if p.NumVLANs == 1 && p.VLANs[0] == 100 {
					c.vlan100++
				}
			}
		})
	}
	wg.Wait()
	return out
}

// Every datagram sent is captured exactly once whatever the fanout, both
// members of a group of two get packets, the kernel counts them, and Stop
// ends the readers promptly.
func TestFanoutDeliversEachPacketOnce(t *testing.T) {
	p := livetest.NewPair(t)
	for _, fanout := range []int{1, 2} {
		g := openIn(t, p, fanout)
		stop := startReaders(t, g)
		flows, err := p.Traffic(context.Background(), livetest.Options{ExtraUDP: 12})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, f := range flows {
			if f.Proto == "udp" {
				want += f.OrigPkts
			}
		}
		counts := stop() // Stop hands out what the rings hold
		st := g.Stats()
		frames, udp := 0, 0
		for i, c := range counts {
			if c.err != nil {
				t.Fatalf("fanout %d member %d: %v", fanout, i, c.err)
			}
			frames += c.frames
			udp += c.udp
			if fanout > 1 && c.frames == 0 {
				t.Errorf("fanout %d: member %d got no packets", fanout, i)
			}
			if c.eofIn > 300*time.Millisecond {
				t.Errorf("fanout %d: member %d took %v to stop", fanout, i, c.eofIn)
			}
			t.Logf("fanout %d member %d: %d frames (%d idle returns), stopped in %v", fanout, i, c.frames, c.idle, c.eofIn.Round(time.Millisecond))
		}
		if udp != want {
			t.Errorf("fanout %d: %d of the %d UDP datagrams sent were captured (each must be, once)", fanout, udp, want)
		}
		if st.Packets < uint64(frames) || st.Drops != 0 || uint64(frames) != st.Frames {
			t.Errorf("fanout %d: kernel stats %+v, %d frames read", fanout, st, frames)
		}
		if err := g.Close(); err != nil {
			t.Error(err)
		}
	}
}

// On loopback every packet passes the tap twice (sent and received); the
// capture keeps one copy, with and without a fanout group (whose hook
// ignores the socket's PACKET_IGNORE_OUTGOING).
func TestLoopbackPacketsOnce(t *testing.T) {
	p := livetest.NewPair(t)
	if _, err := p.Exec(0, "ip", "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	for _, fanout := range []int{1, 2} {
		cfg := live.DefaultConfig("lo")
		cfg.Fanout, cfg.BlockSize, cfg.Blocks = fanout, 256<<10, 8
		var g *live.Group
		if err := p.Do(0, func() (err error) { g, err = live.Open(cfg); return err }); err != nil {
			t.Fatal(err)
		}
		stop := startReaders(t, g)
		const sent = 5
		err := p.Do(0, sendUDPLoopback(sent))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		udp := 0
		for _, c := range stop() {
			udp += c.udp
		}
		if udp != sent {
			t.Errorf("fanout %d: %d datagrams captured on lo, want %d (once each)", fanout, udp, sent)
		}
		g.Close()
	}
}

// An idle ring says so (capture.ErrIdle) about every 100 ms, and Next
// returns io.EOF once closed.
func TestIdleAndClose(t *testing.T) {
	p := livetest.NewPair(t)
	g := openIn(t, p, 1)
	src := g.Sources()[0]
	var f capture.Frame
	start := time.Now()
	idle := 0
	for time.Since(start) < 350*time.Millisecond {
		if err := src.Next(&f); errors.Is(err, capture.ErrIdle) {
			idle++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if idle < 2 {
		t.Errorf("%d idle returns in 350 ms", idle)
	}
	done := make(chan time.Duration, 1)
	go func() {
		for {
			err := src.Next(&f)
			if errors.Is(err, io.EOF) {
				done <- time.Since(start)
				return
			}
		}
	}()
	time.Sleep(30 * time.Millisecond)
	start = time.Now()
	src.Close()
	if d := <-done; d > 250*time.Millisecond {
		t.Errorf("Next took %v to return io.EOF after Close", d)
	}
	if err := src.Next(&f); !errors.Is(err, io.EOF) {
		t.Errorf("Next after the end: %v", err)
	}
}

// VLAN tags the veth driver carries out of band (as a NIC's VLAN offload
// does) are put back into the frames.
func TestVLANTagsPutBack(t *testing.T) {
	p := livetest.NewPair(t)
	var addrs [2]netip.Addr
	for i := range 2 {
		addrs[i] = netip.AddrFrom4([4]byte{10, 214, p.V4[0].As4()[2], byte(i + 1)})
		vl := p.If[i] + ".100"
		for _, c := range [][]string{
			{"ip", "link", "add", "link", p.If[i], "name", vl, "type", "vlan", "id", "100"},
			{"ip", "addr", "add", addrs[i].String() + "/24", "dev", vl},
			{"ip", "link", "set", vl, "up"},
		} {
			if _, err := p.Exec(i, c...); err != nil {
				t.Skipf("no VLAN devices here: %v", err)
			}
		}
	}
	g := openIn(t, p, 1)
	stop := startReaders(t, g)
	var srv, cli net.PacketConn
	if err := p.Do(1, func() (err error) { srv, err = net.ListenPacket("udp", addrs[1].String()+":9999"); return err }); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := p.Do(0, func() (err error) { cli, err = net.ListenPacket("udp", addrs[0].String()+":0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for range 3 {
		if _, err := cli.WriteTo(bytes.Repeat([]byte("u"), 100), srv.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		srv.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := srv.ReadFrom(make([]byte, 200)); err != nil {
			t.Fatal(err)
		}
	}
	c := stop()[0]
	if c.err != nil {
		t.Fatal(c.err)
	}
	if c.udp != 3 || c.vlan100 < 3 {
		t.Errorf("%d frames, %d UDP datagrams seen (want 3), %d with VLAN 100 (want ≥ 3)", c.frames, c.udp, c.vlan100)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, cfg := range []live.Config{
		{Interface: ""},
		{Interface: "a-name-longer-than-15"},
		{Interface: "lo", Fanout: live.MaxFanout + 1},
		{Interface: "lo", BlockSize: 100000},
		{Interface: "lo", Blocks: 1},
	} {
		if _, err := live.Open(cfg); err == nil {
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
	if _, err := live.Open(live.DefaultConfig("vglnosuchif")); err == nil {
		t.Error("Open of a missing interface succeeded")
	}
}

// A ring nobody reads fills up: the kernel drops, and the counters say so.
func TestDropsAreCounted(t *testing.T) {
	p := livetest.NewPair(t)
	cfg := live.DefaultConfig(p.If[0])
	cfg.BlockSize, cfg.Blocks = 64<<10, 2
	var g *live.Group
	if err := p.Do(0, func() (err error) { g, err = live.Open(cfg); return err }); err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	c := udpSender(t, p)
	const n = 5000
	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.V4[0], 9))
	for range n {
		c.WriteTo(make([]byte, 200), dst)
	}
	time.Sleep(50 * time.Millisecond)
	src := g.Sources()[0]
	src.Close() // hand out what the ring holds, then end
	var f capture.Frame
	for {
		err := src.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, capture.ErrIdle) {
			t.Fatal(err)
		}
	}
	st := g.Stats()
	t.Logf("%+v", st)
	// tp_packets counts the dropped packets too.
	if st.Drops == 0 || st.Frames == 0 || st.Frames+st.Drops != st.Packets || st.Packets < n {
		t.Errorf("sent %d into a 128 KiB ring: %+v", n, st)
	}
}

// udpSender is a UDP socket in the pair's second namespace, closed at
// the end of the test.
func udpSender(t *testing.T, p *livetest.Pair) net.PacketConn {
	t.Helper()
	var c net.PacketConn
	if err := p.Do(1, func() (err error) {
		c, err = net.ListenPacket("udp", netip.AddrPortFrom(p.V4[1], 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Next hands out frames without allocating.
func TestNextDoesNotAllocate(t *testing.T) {
	p := livetest.NewPair(t)
	g := openIn(t, p, 1)
	c := udpSender(t, p)
	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.V4[0], 9))
	for range 1000 {
		c.WriteTo(make([]byte, 100), dst)
	}
	time.Sleep(50 * time.Millisecond)
	src := g.Sources()[0]
	var f capture.Frame
	frames := 0
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for {
		err := src.Next(&f)
		if err != nil {
			break // ErrIdle: the ring is read
		}
		frames++
	}
	runtime.ReadMemStats(&after)
	if frames < 1000 {
		t.Fatalf("%d frames", frames)
	}
	if n := after.Mallocs - before.Mallocs; n > 5 {
		t.Errorf("%d allocations reading %d frames", n, frames)
	}
}

// sendUDPLoopback returns a function that sends n datagrams of 100 bytes
// to a socket of its own on 127.0.0.1 (to be run in a namespace: Pair.Do).
func sendUDPLoopback(n int) func() error {
	return func() error {
		srv, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer srv.Close()
		c, err := net.Dial("udp", srv.LocalAddr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		for range n {
			if _, err := c.Write(bytes.Repeat([]byte("u"), 100)); err != nil {
				return err
			}
		}
		return nil
	}
}

// nextFor calls src.Next for d and returns its first error other than
// capture.ErrIdle (nil when there was none).
func nextFor(src capture.Source, d time.Duration) error {
	var f capture.Frame
	for end := time.Now().Add(d); time.Now().Before(end); {
		if err := src.Next(&f); err != nil && !errors.Is(err, capture.ErrIdle) {
			return err
		}
	}
	return nil
}
