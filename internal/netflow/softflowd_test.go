package netflow

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/netflow/flowtest"
	"github.com/vigil-nsm/vigil/internal/store"
)

// TestSoftflowdTotals replays lab captures through softflowd (NetFlow v9
// and IPFIX, full tracking, IPv6 on) into the collector on loopback, and
// requires the flows received to carry exactly the packets and bytes of
// the capture, overall and per IP version and protocol, every record
// softflowd says it sent, and flow times inside the capture. With 1-in-4
// sampling the collector must scale what it got by the exporter's rate.
func TestSoftflowdTotals(t *testing.T) {
	bin := flowtest.Softflowd(t)
	for _, name := range []string{"benign", "mirai"} {
		path := filepath.Join("..", "..", "testdata", "lab", name+".pcap")
		want := flowtest.CaptureTotals(t, path)
		for _, version := range []string{"9", "10"} {
			t.Run(name+"/v"+version, func(t *testing.T) {
				r := replay(t, bin, path, version, 1)
				t.Logf("capture %s", &want)
				t.Logf("flows   %s in %d flows, %d datagrams", &r.tot, len(r.flows), r.stats.Datagrams)
				for _, d := range flowtest.Diff(&r.tot, &want) {
					t.Error(d)
				}
				if r.x.Processed != want.Packets {
					t.Errorf("softflowd processed %d packets, the capture has %d IP packets", r.x.Processed, want.Packets)
				}
				// NetFlow v9 headers carry whole seconds, and uptimes
				// milliseconds: times are exact to a second and a few
				// milliseconds (a flow came 1.001 s early once).
				const slack = 1.01
				for _, f := range r.flows {
					if f.TS < want.First-slack || f.TS+f.Duration > want.Last+slack {
						t.Errorf("flow %s→%s at %.3f+%.3f outside the capture [%.3f, %.3f]",
							f.OrigH, f.RespH, f.TS, f.Duration, want.First, want.Last)
						break
					}
				}
			})
			t.Run(name+"/v"+version+"/sampled", func(t *testing.T) {
				const rate = 4
				r := replay(t, bin, path, version, rate)
				t.Logf("capture %d packets %d bytes; softflowd sampled %d packets; flows (scaled) %d packets %d bytes",
					want.Packets, want.Bytes, r.x.Processed, r.tot.Packets, r.tot.Bytes)
				if r.tot.Packets != rate*r.x.Processed {
					t.Errorf("flows carry %d packets, want %d × the %d sampled", r.tot.Packets, rate, r.x.Processed)
				}
				if d := float64(r.tot.Bytes-want.Bytes) / float64(want.Bytes); d < -0.05 || d > 0.05 {
					t.Errorf("scaled bytes %d are %.1f%% off the capture's %d", r.tot.Bytes, 100*d, want.Bytes)
				}
			})
		}
	}
}

// replayed is what one softflowd run delivered.
type replayed struct {
	tot   flowtest.Totals
	flows []store.Conn
	stats Stats
	x     flowtest.Export
}

// replay runs softflowd on path into a fresh listener and waits until
// every record softflowd reports sent has been decoded.
func replay(t *testing.T, bin, path, version string, rate int) replayed {
	t.Helper()
	var mu sync.Mutex
	var r replayed
	l, err := Listen(Config{Addr: "127.0.0.1:0"}, func(_ string, c store.Conn) {
		mu.Lock()
		defer mu.Unlock()
		r.flows = append(r.flows, c)
		r.tot.Add(int(c.IPv), c.Proto, c.OrigPkts, c.OrigIPBytes)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	r.x = flowtest.Replay(t, bin, path, l.Addr().String(), version, rate)
	flowtest.Wait(10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(r.flows) >= r.x.Records
	})
	time.Sleep(50 * time.Millisecond) // anything beyond what was announced
	mu.Lock()
	defer mu.Unlock()
	r.stats = l.Stats()
	if len(r.flows) != r.x.Records || r.stats.Datagrams != r.x.Datagrams || r.stats.Errors != 0 || r.stats.Drops != 0 {
		t.Errorf("softflowd sent %d records in %d datagrams; the collector decoded %d flows (%+v)",
			r.x.Records, r.x.Datagrams, len(r.flows), r.stats)
	}
	return r
}
