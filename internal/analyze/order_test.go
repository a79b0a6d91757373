package analyze

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// lineCollector keeps the lines it is handed, in order.
type lineCollector struct{ lines []string }

func (c *lineCollector) Record(_ string, line []byte) { c.lines = append(c.lines, string(line)) }

// orderProducer makes the chunks one producer hands the writer: its
// records in the order made, tagged as a logSink tags them, and its
// progress with some of its sweeps.
type orderProducer struct {
	prod   uint32
	phase  uint8 // of its records outside sweeps
	tag    recTag
	buf    []byte
	recs   []chunkRec
	chunks []chunk
	made   []recTag
	// pending progress, not yet sent
	progress    recTag
	hasProgress bool
}

func (p *orderProducer) record() {
	p.tag.idx++
	p.made = append(p.made, p.tag)
	p.buf = fmt.Appendf(p.buf, "%d/%d\n", p.tag.prod, p.tag.idx)
	p.recs = append(p.recs, chunkRec{tag: p.tag, log: "_t", end: len(p.buf)})
}

// send cuts the pending chunk (with the pending progress, if any).
func (p *orderProducer) send() {
	p.chunks = append(p.chunks, chunk{buf: p.buf, recs: p.recs, prod: p.prod, progress: p.progress, hasProgress: p.hasProgress})
	p.buf, p.recs, p.hasProgress = nil, nil, false
}

// run makes records for events 1..events: sweeps that end connections
// (groups) in no order, then the producer's own records, sending chunks
// of random length and reporting progress with some sweeps.
func (p *orderProducer) run(rng *rand.Rand, events int) {
	for seq := uint64(1); seq <= uint64(events); seq++ {
		if rng.IntN(4) == 0 { // a sweep before frame seq
			p.tag.seq, p.tag.phase, p.tag.group = seq, phaseSweep, 0
			for range rng.IntN(2) {
				p.record()
			}
			for range rng.IntN(6) {
				p.tag.group = uint64(rng.IntN(1000)) + 1 // BeginEmit
				for range 1 + rng.IntN(3) {
					p.record()
				}
			}
			p.progress, p.hasProgress = recTag{seq: seq, phase: p.phase}, true
			if rng.IntN(3) == 0 {
				p.send()
			}
		}
		p.tag.seq, p.tag.phase, p.tag.group = seq, p.phase, 0
		for range rng.IntN(3) {
			p.record()
		}
		if rng.IntN(5) == 0 {
			p.send()
		}
	}
	p.tag.seq, p.tag.phase, p.tag.group = endSeq, phaseSweep, 0
	for range rng.IntN(5) {
		p.tag.group = uint64(rng.IntN(1000)) + 1
		p.record()
	}
	p.progress, p.hasProgress = doneTag, true
	p.send()
}

// TestWriterMergesProducersInTagOrder: whatever the producers' chunks and
// how they interleave, an ordered writer hands every record on once, in
// tag order (as sorting all of them would), and reuses a chunk buffer only
// once its records are written.
func TestWriterMergesProducersInTagOrder(t *testing.T) {
	for round := range 200 {
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		col := &lineCollector{}
		w := &writer{ordered: true,
			free: make(chan []byte, 1024), freeRecs: make(chan []chunkRec, 1024)}
		w.setConsumers([]Consumer{col})
		producers := make([]*orderProducer, 1+rng.IntN(4))
		var all []recTag
		for i := range producers {
			p := &orderProducer{prod: uint32(i), phase: phaseWorker}
			if i == 0 {
				p.phase = phaseReader
			}
			p.tag.prod = p.prod
			w.progress = append(w.progress, recTag{})
			p.run(rng, 1+rng.IntN(60))
			producers[i] = p
			all = append(all, p.made...)
		}
		// Hand the chunks over, each producer's in order, the producers
		// interleaved at random; scribble over every reused buffer.
		for {
			var left []*orderProducer
			for _, p := range producers {
				if len(p.chunks) > 0 {
					left = append(left, p)
				}
			}
			if len(left) == 0 {
				break
			}
			p := left[rng.IntN(len(left))]
			w.hold(p.chunks[0])
			p.chunks = p.chunks[1:]
			for len(w.free) > 0 {
				b := <-w.free
				b = b[:cap(b)]
				for i := range b {
					b[i] = 'X'
				}
			}
		}
		w.release(doneTag)
		slices.SortFunc(all, recTag.compare)
		want := make([]string, len(all))
		for i, tag := range all {
			want[i] = fmt.Sprintf("%d/%d", tag.prod, tag.idx)
		}
		if got := col.lines; !slices.Equal(got, want) {
			t.Fatalf("round %d: got\n%s\nwant\n%s", round, strings.Join(got, " "), strings.Join(want, " "))
		}
		for i, q := range w.queues {
			if len(q.recs) != 0 || len(q.bufs) != 0 {
				t.Fatalf("round %d: producer %d: %d records, %d buffers still held", round, i, len(q.recs), len(q.bufs))
			}
		}
	}
}

// TestProgressMarksChangeNoRecord: when the writer holds more than
// maxHeld, the reader has every producer report its progress (a mark,
// not a sweep) so the writer releases what it holds. Marks come at frames
// that depend on the workers' pace, so they must change nothing: with a
// mark at every chunk (maxHeld 1), every log is byte for byte that of a
// run without marks, whatever the number of workers. The inputs: a
// synthetic capture, and one connection of pipelined requests
// (reviewTCP) whose records fill chunks between two sweeps.
func TestProgressMarksChangeNoRecord(t *testing.T) {
	synth, _ := writeSynth(t, 30000, 2000)
	for _, path := range []string{synth, pipelinedCapture(t, 40)} {
		_, want := runTo(t, DefaultConfig(), path)
		logs, _ := filepath.Glob(filepath.Join(want, "*.log"))
		if len(logs) < 2 {
			t.Fatalf("logs written: %v", logs)
		}
		func() {
			defer func(m int64) { maxHeld = m }(maxHeld)
			maxHeld = 1
			for _, n := range []int{1, 3} {
				cfg := DefaultConfig()
				cfg.Workers = n
				_, dir := runTo(t, cfg, path)
				for _, l := range logs {
					a, errA := os.ReadFile(l)
					b, errB := os.ReadFile(filepath.Join(dir, filepath.Base(l)))
					if errA != nil || errB != nil || !bytes.Equal(a, b) {
						t.Errorf("%s, %d workers, a mark at every chunk: %s differs (%v %v)", filepath.Base(path), n, filepath.Base(l), errA, errB)
					}
				}
			}
		}()
	}
}

// pipelinedCapture writes a capture of one HTTP connection whose frames
// each carry ~3500 minimal pipelined requests, and a second connection
// after it.
func pipelinedCapture(t *testing.T, frames int) string {
	req := []byte("GET / HTTP/1.1\r\n\r\n")
	payload := bytes.Repeat(req, 64000/len(req))
	const isn, sisn = 1000, 5000
	fs := [][]byte{
		reviewTCP(false, isn, 0, 0x02, nil),
		reviewTCP(true, sisn, isn+1, 0x12, nil),
		reviewTCP(false, isn+1, sisn+1, 0x10, nil),
	}
	seq := uint32(isn + 1)
	for range frames {
		fs = append(fs, reviewTCP(false, seq, sisn+1, 0x18, payload))
		seq += uint32(len(payload))
	}
	fs = append(fs, reviewTCP(true, sisn+1, seq, 0x11, nil))
	steps := make([]int64, len(fs))
	for i := range steps {
		steps[i] = int64(10 * time.Microsecond)
	}
	path := filepath.Join(t.TempDir(), "pipelined.pcap")
	writePcapSteps(t, path, steps, fs)
	return path
}
