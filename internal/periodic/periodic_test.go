package periodic

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestRun: fn is called while running and never after stop returns; a
// zero interval calls nothing.
func TestRun(t *testing.T) {
	var n atomic.Int32
	stop := Run(time.Millisecond, func() { n.Add(1) })
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("fn was not called")
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	after := n.Load()
	time.Sleep(20 * time.Millisecond)
	if n.Load() != after {
		t.Errorf("fn called after stop: %d then %d", after, n.Load())
	}
	var never atomic.Int32
	Run(0, func() { never.Add(1) })()
	if never.Load() != 0 {
		t.Error("a zero interval called fn")
	}
}
