package analyze

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
)

// sliceSource hands out frames held in memory as one ring of a fanout
// group would: paced with the others (pacer), idle (capture.ErrIdle with
// its clock, in 50 ms steps) through gaps between its frames, and ended
// early by Close.
type sliceSource struct {
	name   string
	frames []capture.Frame
	i      int
	closed atomic.Bool
	pace   *pacer
	idx    int
	clock  int64 // nothing before it is still to come
}

const idleStep = int64(50 * time.Millisecond)

func (s *sliceSource) Next(f *capture.Frame) error {
	if s.closed.Load() || s.i == len(s.frames) {
		if s.pace != nil {
			s.pace.wait(s.idx, math.MaxInt64)
		}
		return io.EOF
	}
	next := s.frames[s.i].TS
	if s.pace == nil {
		*f = s.frames[s.i]
		s.i++
		return nil
	}
	if s.clock == 0 {
		s.clock = next
	}
	if next > s.clock+idleStep {
		// A gap: the ring is quiet, its clock moves on.
		if s.pace.wait(s.idx, s.clock+idleStep) {
			s.clock += idleStep
		}
		f.TS = s.clock
		return capture.ErrIdle
	}
	if !s.pace.wait(s.idx, next) {
		f.TS = s.clock
		return capture.ErrIdle
	}
	s.clock = next
	*f = s.frames[s.i]
	s.i++
	return nil
}

func (s *sliceSource) Name() string             { return s.name }
func (s *sliceSource) Offset() int64            { return int64(s.i) }
func (s *sliceSource) Progress() (int64, int64) { return 0, 0 }
func (s *sliceSource) Close() error             { s.closed.Store(true); return nil }
func (s *sliceSource) LiveStats() capture.LiveStats {
	return capture.LiveStats{Packets: uint64(len(s.frames)), Drops: 1}
}

// pacer keeps sources within window of each other's clock, as live rings
// read in step with the wall clock are (a replay at full speed would let
// one reader run arbitrarily far ahead).
type pacer struct {
	mu     sync.Mutex
	next   []int64 // each source's clock, or the time it wants to move to
	window int64
}

func newPacer(srcs []*sliceSource, window time.Duration) *pacer {
	p := &pacer{window: int64(window)}
	for i, s := range srcs {
		s.pace, s.idx = p, i
		p.next = append(p.next, s.frames[0].TS)
	}
	return p
}

// wait reports whether source i may move its clock to ts: no other source
// is more than the window behind. If not, it waits a little first (as a
// ring polls).
func (p *pacer) wait(i int, ts int64) bool {
	p.mu.Lock()
	p.next[i] = ts
	lag := int64(math.MaxInt64)
	for j, n := range p.next {
		if j != i {
			lag = min(lag, n)
		}
	}
	p.mu.Unlock()
	if ts == math.MaxInt64 || lag == math.MaxInt64 || ts <= lag+p.window {
		return true
	}
	runtime.Gosched()
	return false
}

// fanoutSplit deals frames over n sources as the kernel's fanout hash
// does: by a symmetric hash of the outermost header, addresses only for
// fragments and ICMP.
func fanoutSplit(t testing.TB, frames []capture.Frame, n int) []capture.Source {
	dec := decode.NewDecoder(decode.DefaultConfig())
	srcs := make([]*sliceSource, n)
	for i := range srcs {
		srcs[i] = &sliceSource{name: fmt.Sprintf("mem#%d", i)}
	}
	var p decode.Packet
	for _, f := range frames {
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		d := p.IP
		if p.NumTunnels > 0 {
			d = p.Tunnels[0].Outer
		}
		if p.Frag.IsFragment {
			d.Proto, d.SrcPort, d.DstPort = 0, 0, 0
		}
		k := 0
		if d.Version != 0 {
			k = int(symmetricHash(&d) % uint64(n))
		}
		srcs[k].frames = append(srcs[k].frames, f)
	}
	out := make([]capture.Source, n)
	for i, s := range srcs {
		if len(s.frames) == 0 {
			t.Fatalf("source %d of %d got no frames", i, n)
		}
		out[i] = s
	}
	newPacer(srcs, 200*time.Millisecond)
	return out
}

// Several live readers (one per fanout member) feeding the same workers
// write exactly the records one offline reader does.
func TestLiveReadersSameRecords(t *testing.T) {
	path, st := writeSynth(t, 30000, 2000)
	m := loadFrames(t, path)
	cfg := DefaultConfig()
	cfg.Workers = 3
	_, want := runTo(t, cfg, path)
	logs, _ := filepath.Glob(filepath.Join(want, "*.log"))
	if len(logs) < 3 {
		t.Fatalf("only %d logs written", len(logs))
	}
	for _, n := range []int{1, 2, 4} {
		lcfg := cfg
		lcfg.OutDir = filepath.Join(t.TempDir(), "live")
		sum, err := RunLive(context.Background(), lcfg, fanoutSplit(t, m.frames, n))
		if err != nil {
			t.Fatalf("%d readers: %v", n, err)
		}
		if sum.Packets != uint64(st.Packets) || !sum.Live || sum.Kernel.Packets != uint64(st.Packets) || sum.Kernel.Drops != uint64(n) {
			t.Errorf("%d readers: %d packets (want %d), live %v, kernel %+v", n, sum.Packets, st.Packets, sum.Live, sum.Kernel)
		}
		if sum.InternalErrs != 0 || sum.Unordered != 0 {
			t.Errorf("%d readers: %d internal errors, %d packets out of order", n, sum.InternalErrs, sum.Unordered)
		}
		for _, l := range logs {
			name := filepath.Base(l)
			w, g := logSet(t, l), logSet(t, filepath.Join(lcfg.OutDir, name))
			if len(w) != len(g) {
				ws := map[string]bool{}
				for _, x := range w {
					ws[x] = true
				}
				gs := map[string]bool{}
				for _, x := range g {
					gs[x] = true
				}
				for _, x := range g {
					if !ws[x] {
						t.Logf("live only: %s", x)
					}
				}
				for _, x := range w {
					if !gs[x] {
						t.Logf("offline only: %s", x)
					}
				}
				t.Fatalf("%d readers: %s has %d records, offline %d", n, name, len(g), len(w))
			}
			for j := range w {
				if w[j] != g[j] {
					t.Fatalf("%d readers: a %s record differs from offline:\n%s\n%s", n, name, w[j], g[j])
				}
			}
		}
	}
}

// When the sources fall quiet (capture.ErrIdle), time still passes: idle
// connections expire and their records reach conn.log while the run goes
// on; ending the run (ctx) flushes the rest.
func TestLiveIdleTimeExpiresConnections(t *testing.T) {
	path, _ := writeSynth(t, 3000, 200)
	m := loadFrames(t, path)
	// Move the capture to end a second ago, as live packets would.
	shift := time.Now().Add(-time.Second).UnixNano() - m.frames[len(m.frames)-1].TS
	frames := make([]capture.Frame, len(m.frames))
	for i, f := range m.frames {
		f.TS += shift
		frames[i] = f
	}
	cfg := DefaultConfig()
	cfg.Workers = 2
	for _, d := range []*time.Duration{&cfg.Flow.TCPInactivity, &cfg.Flow.UDPInactivity, &cfg.Flow.ICMPInactivity,
		&cfg.Flow.OtherInactivity, &cfg.Flow.TCPCloseDelay, &cfg.Flow.TCPResetDelay, &cfg.Flow.TCPPartialCloseDelay,
		&cfg.Flow.TCPConnectionLinger, &cfg.Flow.DNSSessionTimeout} {
		*d = time.Second
	}
	offline, _ := runTo(t, cfg, path)
	cfg.OutDir = filepath.Join(t.TempDir(), "live")
	srcs := fanoutSplit(t, frames, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		sum *Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := RunLive(ctx, cfg, []capture.Source{&idleAfter{srcs[0].(*sliceSource)}, &idleAfter{srcs[1].(*sliceSource)}})
		done <- result{sum, err}
	}()
	// Records come out while the run goes on.
	deadline := time.Now().Add(15 * time.Second)
	seen := 0
	for time.Now().Before(deadline) {
		seen = countLines(t, filepath.Join(cfg.OutDir, "conn.log"))
		if uint64(seen) >= offline.Connections*9/10 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if uint64(seen) < offline.Connections*9/10 {
		t.Errorf("%d of %d connections in conn.log while the live run is quiet", seen, offline.Connections)
	}
	select {
	case r := <-done:
		t.Fatalf("the run ended by itself: %v", r.err)
	default:
	}
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := countLines(t, filepath.Join(cfg.OutDir, "conn.log")); uint64(n) != r.sum.Connections || n < seen {
		t.Errorf("conn.log has %d lines after the run (%d before the end), the summary %d connections", n, seen, r.sum.Connections)
	}
}

// idleAfter hands out a sliceSource's frames, then says it is idle (every
// 20 ms) until closed, as a quiet ring.
type idleAfter struct{ *sliceSource }

func (s *idleAfter) Next(f *capture.Frame) error {
	err := s.sliceSource.Next(f)
	if err == io.EOF && !s.closed.Load() {
		time.Sleep(20 * time.Millisecond)
		return capture.ErrIdle
	}
	return err
}

func countLines(t testing.TB, path string) int {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte{'\n'})
}
