//go:build linux

package live_test

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
)

// TestDownThenDeletedEndsCapture: an interface that is set down and then deleted ends the capture
// ("the interface is gone"), as one deleted while up does. The kernel
// reports ENETDOWN once, at the down; Next reads it, finds the name still
// there and waits; the unregister that follows raises no new socket error
// (the hook is already off), so Next returns capture.ErrIdle for ever and
// a sensor stays blind, also when an interface of the same name comes back.
func TestDownThenDeletedEndsCapture(t *testing.T) {
	p := livetest.NewPair(t)
	g := openIn(t, p, 1)
	src := g.Sources()[0]
	var f capture.Frame
	next := func(d time.Duration) error {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			if err := src.Next(&f); err != nil && !errors.Is(err, capture.ErrIdle) {
				return err
			}
		}
		return nil
	}
	if _, err := p.Exec(0, "ip", "link", "set", p.If[0], "down"); err != nil {
		t.Fatal(err)
	}
	if err := next(500 * time.Millisecond); err != nil {
		t.Fatalf("down: Next: %v (a down interface should be waited for)", err)
	}
	if _, err := p.Exec(0, "ip", "link", "del", p.If[0]); err != nil {
		t.Fatal(err)
	}
	if err := next(2 * time.Second); err == nil {
		t.Errorf("interface deleted while down: Next still returns only ErrIdle 2 s later, want an error")
	}
}

// TestLoopbackKernelCountMatchesFrames: on lo the kernel hands each packet to the fanout group twice
// (sent and received); Next drops the outgoing copy, but the counters
// (Stats.Packets: "packets reached the capture") count both, so the
// summary says twice the packets reached the capture that were analysed,
// with 0 drops, and the drop percentage is halved.
func TestLoopbackKernelCountMatchesFrames(t *testing.T) {
	p := livetest.NewPair(t)
	if _, err := p.Exec(0, "ip", "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	cfg := live.DefaultConfig("lo")
	cfg.BlockSize, cfg.Blocks = 256<<10, 8
	var g *live.Group
	if err := p.Do(0, func() (err error) { g, err = live.Open(cfg); return err }); err != nil {
		t.Fatal(err)
	}
	stop := startReaders(t, g)
	const sent = 20
	if err := p.Do(0, func() error {
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
		for range sent {
			if _, err := c.Write(bytes.Repeat([]byte("u"), 100)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	frames := 0
	for _, c := range stop() {
		frames += c.frames
	}
	st := g.Stats()
	if st.Packets != uint64(frames)+st.Drops {
		t.Errorf("lo: kernel says %d packets reached the capture (%d dropped), readers got %d frames", st.Packets, st.Drops, frames)
	}
	g.Close()
}
