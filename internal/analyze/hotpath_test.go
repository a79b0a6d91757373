package analyze

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// memSource replays frames held in memory, cycling with the timestamps
// shifted past the previous cycle, until limit frames were returned.
type memSource struct {
	frames []capture.Frame
	span   int64
	i, n   int
	limit  int
	shift  int64
}

func loadFrames(t testing.TB, path string) *memSource {
	src, err := capture.Open([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := &memSource{}
	var f capture.Frame
	for {
		err := src.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g := f
		g.Data = append([]byte(nil), f.Data...)
		m.frames = append(m.frames, g)
	}
	m.span = m.frames[len(m.frames)-1].TS - m.frames[0].TS + int64(10*time.Minute)
	return m
}

func (m *memSource) Next(f *capture.Frame) error {
	if m.n >= m.limit {
		return io.EOF
	}
	if m.i == len(m.frames) {
		m.i = 0
		m.shift += m.span
	}
	*f = m.frames[m.i]
	f.TS += m.shift
	m.i++
	m.n++
	return nil
}

func (m *memSource) Name() string                { return "memory" }
func (m *memSource) Offset() int64               { return int64(m.n) }
func (m *memSource) Progress() (done, all int64) { return int64(m.n), int64(m.limit) }
func (m *memSource) Close() error                { return nil }

// runMem runs the pipeline over m without writing logs (the writer is the
// only component outside the per-packet path).
func runMem(t testing.TB, m *memSource, workers int, app bool) (*Summary, uint64) {
	cfg := DefaultConfig()
	cfg.Workers = workers
	cfg.NoApp = !app
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	if err := cfg.normalize(); err != nil {
		t.Fatal(err)
	}
	p, err := newPipeline(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := p.run(context.Background(), nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	return sum, after.Mallocs - before.Mallocs
}

// TestHotPathAllocations checks that steady-state connection tracking
// allocates (nearly) nothing per packet: a run's allocations grow with the
// log chunks, not with packets or connections. The application layer
// allocates per connection it parses (analyzer state, handshake fields),
// within a budget, and still nothing per packet.
func TestHotPathAllocations(t *testing.T) {
	path, _ := writeSynth(t, 20000, 400)
	m := loadFrames(t, path)
	m.limit = 20 * len(m.frames)
	sum, mallocs := runMem(t, m, 2, false)
	perPkt := float64(mallocs) / float64(sum.Packets)
	t.Logf("connections only: %d packets, %d connections, %d mallocs: %.4f per packet", sum.Packets, sum.Connections, mallocs, perPkt)
	if perPkt > 0.01 {
		t.Errorf("%.4f allocations per packet; connection tracking should allocate nothing per packet", perPkt)
	}
	m.n, m.i, m.shift = 0, 0, 0
	sum, mallocs = runMem(t, m, 2, true)
	perConn := float64(mallocs) / float64(sum.Connections)
	t.Logf("with the application layer: %d packets, %d connections, %d mallocs: %.2f per connection, %.4f per packet",
		sum.Packets, sum.Connections, mallocs, perConn, float64(mallocs)/float64(sum.Packets))
	if perConn > 60 {
		t.Errorf("%.1f allocations per connection with the application layer (budget 60)", perConn)
	}
}

// BenchmarkPipeline measures the whole analysis (reader, decode, defrag,
// flows, application layer, JSON encoding) over a synthetic mixed capture
// held in memory, with and without the application layer.
func BenchmarkPipeline(b *testing.B) {
	path, _ := writeSynth(b, 100000, 5000)
	m := loadFrames(b, path)
	for _, app := range []bool{false, true} {
		for _, workers := range []int{1, runtime.NumCPU()} {
			b.Run(fmt.Sprintf("app=%v/workers=%d", app, workers), func(b *testing.B) {
				m.n, m.i, m.shift, m.limit = 0, 0, 0, b.N
				b.ReportAllocs()
				b.ResetTimer()
				sum, mallocs := runMem(b, m, workers, app)
				b.ReportMetric(float64(sum.Packets)/b.Elapsed().Seconds(), "pkts/s")
				b.ReportMetric(float64(mallocs)/float64(max(sum.Packets, 1)), "mallocs/pkt")
			})
		}
	}
}

// TestCorpusRobustness analyses every capture in ../shared/corpus: no
// panic, no internal error, each file within a time bound, heap bounded.
func TestCorpusRobustness(t *testing.T) {
	root := testcorpus.Require(t)
	var files []string
	for _, sub := range []string{"zeek", "suricata-verify", "tcpdump", "foxio-ja4", "icsnpp-bacnet", "salesforce-ja3"} {
		if _, err := os.Stat(filepath.Join(root, sub)); err == nil {
			files = append(files, testcorpus.Captures(t, filepath.Join(root, sub))...)
		}
	}
	if len(files) < 1000 {
		t.Fatalf("found only %d captures under %s", len(files), root)
	}
	if testing.Short() {
		files = files[:len(files)/10]
	}
	out := t.TempDir()
	var failed, errs, pkts, conns uint64
	var worstHeap uint64
	for _, f := range files {
		cfg := DefaultConfig()
		cfg.Workers = 2
		cfg.MaxFlows = 1 << 14
		cfg.OutDir = out
		var timedOut atomic.Bool
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		watchdog := time.AfterFunc(60*time.Second, func() {
			timedOut.Store(true)
			panic("analysis hung on " + f)
		})
		sum, err := Run(ctx, cfg, []string{f})
		watchdog.Stop()
		late := ctx.Err() != nil
		cancel()
		if late {
			t.Errorf("%s: took longer than 20 s", f)
		}
		if err != nil {
			errs++
		}
		if sum == nil {
			continue
		}
		if sum.InternalErrs > 0 {
			failed++
			t.Errorf("%s: %d internal errors (recovered panics)", f, sum.InternalErrs)
		}
		pkts += sum.Packets
		conns += sum.Connections
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		worstHeap = max(worstHeap, ms.HeapInuse)
	}
	t.Logf("%d captures: %d packets, %d connections, %d with read errors (reported cleanly), %d with internal errors, peak heap %d MiB",
		len(files), pkts, conns, errs, failed, worstHeap>>20)
	if worstHeap > 1<<30 {
		t.Errorf("heap reached %d MiB", worstHeap>>20)
	}
}
