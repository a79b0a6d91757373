package incident

import (
	"fmt"
	"math"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

// TestFlushOrderOfEqualTimes: incidents that began at the same time (a
// Zeek log whose times are masked, as btest baselines' are, gives every
// record ts 0) are flushed in one order whatever the order of the open
// incidents' map: incidents.log is the same from run to run.
func TestFlushOrderOfEqualTimes(t *testing.T) {
	ids := func(reverse bool) []string {
		c := New(DefaultConfig())
		const n = 24
		for i := range n {
			j := i
			if reverse {
				j = n - 1 - i
			}
			a := alert.Alert{TS: 0, Class: "ipv6.tunnel", Src: fmt.Sprintf("192.0.2.%d", j), Dst: "198.51.100.1", Summary: "tunnel"}
			a.Fill()
			c.Add(a)
		}
		var out []string
		for _, inc := range c.Flush(math.Inf(1)) {
			out = append(out, inc.ID)
		}
		return out
	}
	want := ids(false)
	for run := range 20 {
		got := ids(run%2 == 1)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("run %d flushed the incidents of ts 0 in another order:\n got %v\nwant %v", run, got, want)
		}
	}
}

// TestEndQuietestOfEqualTimes: when maxOpen incidents are open and all
// equally quiet, the ones ended are chosen by their key, not by the
// open incidents' map order.
func TestEndQuietestOfEqualTimes(t *testing.T) {
	ended := func() string {
		c := New(DefaultConfig())
		for i := range 64 {
			a := alert.Alert{TS: 0, Class: "ipv6.tunnel", Src: fmt.Sprintf("192.0.2.%d", i), Summary: "tunnel"}
			a.Fill()
			c.Add(a)
		}
		var out []string
		for _, inc := range c.endQuietest() {
			out = append(out, inc.Attacker)
		}
		return fmt.Sprint(out)
	}
	want := ended()
	for run := range 20 {
		if got := ended(); got != want {
			t.Fatalf("run %d ended %s, run 0 %s", run, got, want)
		}
	}
}
