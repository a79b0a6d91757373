package dnstunnel

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// TestLoneClientsChangeNothing: keeping a client's one name as a lone
// name changes no alert and no tally. Random streams of queries — clients
// that ask once, some again for the same name, some for many names
// (tunnel-like or not) over several parents, over more than a window —
// run with lone names and without; the alerts must be the same, and so
// must every client's tally (a lone one made up as it would stand), with
// the table small enough that eviction runs.
func TestLoneClientsChangeNothing(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 7))
		cfg := DefaultConfig()
		cfg.ClientMinNames, cfg.ClientMinParents, cfg.Window, cfg.MaxDomains = 4, 2, 600, 20+int(seed)*10
		var lines []dt.Line
		ts := 1000.0
		for range 3000 {
			ts += rng.ExpFloat64() * 2
			client := fmt.Sprintf("10.1.%d.%d", rng.IntN(4), rng.IntN(5+int(seed)*10))    // busier clients for the low seeds
			sub := randFrom(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 24+rng.IntN(30)) // tunnel-like
			switch rng.IntN(4) {
			case 0:
				sub = []string{"www", "mail", "api", "cdn"}[rng.IntN(4)] // not tunnel-like
			case 1:
				sub = fmt.Sprintf("x%dq7zk3v9w2p8r4t6y1u5", rng.IntN(3)) // a few names repeated
			}
			lines = append(lines, query(ts, client, fmt.Sprintf("%s.relay%d.example.com", sub, rng.IntN(5)), "A"))
		}
		with, without := New(cfg), New(cfg)
		without.loneClients = false
		a, b := feedAll(t, with, lines), feedAll(t, without, lines)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: %d alerts with lone names, %d without", seed, len(a), len(b))
		}
		lone := 0
		for client, c := range with.spread {
			other, ok := without.spread[client]
			if !ok {
				t.Fatalf("seed %d: client %v kept with lone names only", seed, client)
			}
			got := c.t
			if got == nil {
				got, lone = c.tally(client), lone+1
			}
			if !reflect.DeepEqual(got, other.t) {
				t.Fatalf("seed %d: client %v's tally\n%+v\nwith lone names, without\n%+v", seed, client, got, other.t)
			}
		}
		if len(with.spread) != len(without.spread) {
			t.Fatalf("seed %d: %d clients with lone names, %d without", seed, len(with.spread), len(without.spread))
		}
		t.Logf("seed %d: %d alerts, %d clients kept, %d of them lone", seed, len(a), len(with.spread), lone)
	}
}

// feedAll hands d the lines as dt.Run does (flushed every 10 s of record
// time) but without the final flush, so that its tallies stay.
func feedAll(t *testing.T, d *Detector, lines []dt.Line) []alert.Alert {
	var out []alert.Alert
	emit := func(a alert.Alert) { out = append(out, a) }
	var r rec.Rec
	last := lines[0].TS
	for _, l := range lines {
		if err := r.Parse(l.Log, l.JSON); err != nil {
			t.Fatal(err)
		}
		d.Handle(&r, emit)
		if l.TS-last >= 10 {
			d.Flush(l.TS, emit)
			last = l.TS
		}
	}
	return out
}
