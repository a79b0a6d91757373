//go:build linux

package live_test

import (
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
)

// TestDownThenDeletedEndsCapture: an interface that is set down and then
// deleted ends the capture ("the interface is gone"), as one deleted while
// up does. The kernel reports ENETDOWN once, at the down, and the
// unregister that follows raises no new socket error (the hook is already
// off): Next, which waits for a down interface, checks the socket is still
// bound at each poll timeout, or it would return capture.ErrIdle for ever,
// the sensor blind.
func TestDownThenDeletedEndsCapture(t *testing.T) {
	p := livetest.NewPair(t)
	g := openIn(t, p, 1)
	src := g.Sources()[0]
	next := func(d time.Duration) error { return nextFor(src, d) }
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

// TestLoopbackKernelCountMatchesFrames: on lo the kernel hands each
// packet to the fanout group twice (sent and received); the outgoing copy
// is dropped by a filter before the kernel counts it, so the packets that
// "reached the capture" are those the readers got (they were counted
// twice, halving the drop percentage).
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
	if err := p.Do(0, sendUDPLoopback(sent)); err != nil {
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
