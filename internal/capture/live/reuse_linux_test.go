//go:build linux

package live_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
)

// TestDeletedAndMadeAgainSameIndex: the capture ends when its interface
// is deleted and made again under its name, even with its old index (ip
// link add … index N, as a container runtime or a move to another
// namespace and back does): the socket stays unbound (the kernel set its
// ifindex to -1 at the unregister), so the capture would see nothing and
// Next return ErrIdle for ever (a review found the name's index checked
// instead of the socket's).
func TestDeletedAndMadeAgainSameIndex(t *testing.T) {
	p := livetest.NewPair(t)
	name := fmt.Sprintf("vglr%d", os.Getpid()%100000)
	const index = "4242"
	mk := func() {
		t.Helper()
		if out, err := p.Exec(0, "ip", "link", "add", name, "index", index, "type", "veth", "peer", "name", name+"p"); err != nil {
			t.Skipf("veth link: %v %s", err, out)
		}
		for _, n := range []string{name, name + "p"} {
			if out, err := p.Exec(0, "ip", "link", "set", n, "up"); err != nil {
				t.Fatalf("%v %s", err, out)
			}
		}
	}
	mk()
	cfg := live.DefaultConfig(name)
	cfg.BlockSize, cfg.Blocks = 256<<10, 8
	var g *live.Group
	if err := p.Do(0, func() (err error) { g, err = live.Open(cfg); return err }); err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	src := g.Sources()[0]
	next := func(d time.Duration) error { return nextFor(src, d) }
	if _, err := p.Exec(0, "ip", "link", "set", name, "down"); err != nil {
		t.Fatal(err)
	}
	if err := next(500 * time.Millisecond); err != nil {
		t.Fatalf("down: Next: %v", err)
	}
	if _, err := p.Exec(0, "ip", "link", "del", name); err != nil {
		t.Fatal(err)
	}
	mk() // the same name, the same index
	if err := next(2 * time.Second); err == nil {
		t.Errorf("interface deleted and made again with its index: Next still returns only ErrIdle, the capture is blind")
	}
}
