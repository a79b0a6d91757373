package analyze

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
)

// Live runs. Each source (a ring of a live capture's fanout group) gets a
// reader goroutine with its own decoder, defragmenter and tunnel table;
// all readers hand batches to the same workers, chosen by the same
// symmetric hash, so records do not depend on the number of sources.
//
// Order and time: offline, one reader hands each worker its packets in
// time order and connections expire as packet time passes. Live, each
// batch carries its reader's clock (batch.mark: every packet of that
// reader for that worker up to the mark has been sent); a reader ticks at
// least every liveTick (sending its partial batches, even empty ones, with
// its clock) and sends an infinite clock when it ends. A worker merges its
// readers' batches by time (liveMerge) and moves its table's time on to
// the minimum of their clocks, so idle connections expire when no packet
// comes. A reader's clock is the time of its last packet, or, when its
// ring is empty (capture.ErrIdle), the time the source gives with ErrIdle
// (live: now less 10 ms when the kernel's current block is still empty)
// or else the wall clock less idleLag (packets the kernel has timestamped
// but not yet handed over: live.Config's block timeout is at most 50 ms).
//
// The clock may step back (NTP correcting a sensor's clock that ran
// ahead; the kernel stamps packets with it) or a NIC's timestamps jump
// back: a reader whose packets or idle clock fall more than clockStep
// behind its clock follows them back (reader.stepBack), and so does each
// worker, on the first packet or clock that far behind its table's time
// (worker.stepBack): their tables' connections move back by the step.
// Otherwise nothing would expire, and no partial batch go out, until the
// clock had caught up (for as long as the step). Packets stamped before
// the step that a worker handles after it (another reader's, not yet
// stepped) count at the readers' clock (liveMerge.low), so that they do
// not move the table ahead again and end every connection as idle. A
// clock that jumps forward (a suspended sensor resuming) needs nothing:
// what is due expires once.
const (
	liveTick = int64(50 * time.Millisecond)
	idleLag  = int64(100 * time.Millisecond)
	// clockStep is how far a live clock may go back before it is a step.
	clockStep = int64(10 * time.Second)
	// maxSources bounds a live run's readers.
	maxSources = 256
)

// RunLive analyses live sources (capture/live members; any capture.Source
// that may return capture.ErrIdle) until ctx ends or every source ends
// (io.EOF), and writes the logs into cfg.OutDir as connections end. When
// ctx ends it closes the sources, the readers finish what the sources
// still hand out, and every record is flushed: the end of a live run is
// not an error. The caller frees the sources after RunLive returns.
// Sources that implement capture.StatsSource have their kernel counters
// in the summary.
func RunLive(ctx context.Context, cfg Config, srcs []capture.Source) (*Summary, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if len(srcs) == 0 || len(srcs) > maxSources {
		return nil, fmt.Errorf("analyze: %d live sources (1..%d)", len(srcs), maxSources)
	}
	if cfg.DecodeOnly {
		return nil, errors.New("analyze: --decode-only reads capture files only")
	}
	p, err := buildPipeline(cfg, srcs, true)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Name()
	}
	return p.run(ctx, names)
}

// runLive is run for a live source: io.EOF is the normal end, ErrIdle a
// chance to tick.
func (r *reader) runLive(stop *atomic.Bool) error {
	for !stop.Load() {
		err := r.src.Next(&r.frame)
		if err != nil {
			switch {
			case errors.Is(err, capture.ErrIdle):
				mark := r.frame.TS // the source's own clock, if it has one
				if mark == 0 {
					mark = time.Now().UnixNano() - idleLag
				}
				if mark < r.mark-clockStep {
					r.stepBack(mark)
				}
				if mark-r.tickAt >= liveTick {
					r.tick(mark)
				}
				continue
			case errors.Is(err, io.EOF):
				return nil
			}
			return err
		}
		if r.frame.TS < r.mark-clockStep {
			r.stepBack(r.frame.TS)
		}
		r.handle(&r.frame, false)
		if r.pkt.NextSubframe != 0 {
			r.handleSubframes(&r.frame)
		}
		r.sum.packets++
		if ts := r.frame.TS; ts-r.tickAt >= liveTick {
			r.tick(ts)
		}
		if r.sum.packets&1023 == 0 {
			r.publishProgress()
		}
	}
	return errors.New("analyze: interrupted")
}

// tick advances the reader's clock to mark (never back), runs its own
// timers, and hands every worker its partial batch with the clock, so
// records flow and idle connections expire when the link is quiet. It
// runs each time the clock has moved on by liveTick.
func (r *reader) tick(mark int64) {
	r.mark = max(r.mark, mark)
	r.tickAt = r.mark
	if r.mark-r.lastSweep >= expireEvery {
		r.sweep(r.mark)
	}
	r.sink.flush()
	r.publishProgress()
	for w, b := range r.pending {
		b.src, b.mark = r.idx, r.mark
		r.workers[w].in <- b
		r.pending[w] = <-r.free
	}
}

// stepBack follows the reader's clock back to now, which stepped back: its
// tables' times move back by the step, and the next tick (at now) sweeps
// them and tells the workers, whose clocks then go back too.
func (r *reader) stepBack(now int64) {
	r.defrag.Shift(now - r.mark)
	r.tunnels.StepBack(now)
	r.mark = now - liveTick
	r.tickAt, r.lastSweep = r.mark, now-expireEvery
}

// liveMerge is a worker's view of a live run's readers: each reader's
// batches wait in its own queue, and the worker handles their packets in
// time order, a packet once no reader can still send an older one (every
// other reader's queue holds a later packet or its clock has passed it).
// So a connection whose packets reach the worker through several readers
// (the directions of an asymmetric tunnel, IPv6 fragments, which the
// kernel's fanout hash deals by outer headers or addresses only) is seen
// in the order a single reader would see it. Held batches are bounded
// (limit); when the bound is reached the oldest packet is handled anyway
// (counted in unordered) rather than wait.
type liveMerge struct {
	marks     []int64 // each reader's clock as last heard (batch.mark)
	low       int64   // the lowest of marks
	queues    []batchQueue
	held      int
	limit     int
	unordered uint64
}

// batchQueue is a fixed ring of one reader's held batches; pos is the
// next item of the first.
type batchQueue struct {
	ring    []*batch
	head, n int
	pos     int
}

func (q *batchQueue) first() *batch { return q.ring[q.head] }

func (q *batchQueue) push(b *batch) {
	q.ring[(q.head+q.n)%len(q.ring)] = b
	q.n++
}

func (q *batchQueue) pop() *batch {
	b := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.pos = 0
	return b
}

// heldLimit is how many batches a worker of a live run with readers
// readers may hold while it waits for their clocks.
func heldLimit(readers, queue int) int { return min(queue*(readers+1), 64) }

// setLive makes the worker merge its readers' batches by time.
func (wk *worker) setLive(readers, limit int) {
	m := &liveMerge{marks: make([]int64, readers), queues: make([]batchQueue, readers), limit: limit}
	for i := range m.queues {
		m.queues[i].ring = make([]*batch, limit)
	}
	wk.merge = m
}

// runMerge is run for a live run: it takes batches from the queue into the
// readers' queues and handles what the readers' clocks allow, until the
// queue closes; then it handles the rest in time order and ends every
// connection.
func (wk *worker) runMerge() {
	m := wk.merge
	for {
		wk.handleReady(false)
		if m.held >= m.limit {
			// Full: the oldest held packet goes now, whatever a slow
			// reader may still send.
			m.unordered++
			wk.handleOne()
			continue
		}
		b, ok := <-wk.in
		if !ok {
			break
		}
		if b.mark < m.marks[b.src]-clockStep {
			// The reader's clock stepped back: what it and the
			// others sent before goes first, as the step's packets
			// can no longer precede it.
			wk.handleReady(true)
			m.marks[b.src] = b.mark
		} else {
			m.marks[b.src] = max(m.marks[b.src], b.mark)
		}
		m.low = slices.Min(m.marks)
		if b.n == 0 {
			wk.free <- b
			continue
		}
		m.queues[b.src].push(b)
		m.held++
	}
	wk.handleReady(true)
	wk.finish()
}

// next returns the reader whose first held packet is the oldest (ties: the
// lowest reader), -1 when nothing is held.
func (m *liveMerge) next() (int, int64) {
	best, ts := -1, int64(0)
	for r := range m.queues {
		q := &m.queues[r]
		if q.n == 0 {
			continue
		}
		t := q.first().items[q.pos].ts
		if best < 0 || t < ts {
			best, ts = r, t
		}
	}
	return best, ts
}

// clock is the time up to which no reader can send more: the oldest held
// packet, or the readers' clocks.
func (m *liveMerge) clock() int64 {
	now := int64(math.MaxInt64)
	for r := range m.queues {
		if q := &m.queues[r]; q.n > 0 {
			now = min(now, q.first().items[q.pos].ts)
		} else {
			now = min(now, m.marks[r])
		}
	}
	return now
}

// handleReady handles, in time order, every held packet no reader can
// precede any more (all of them when all is set), then lets the table's
// time move on to the readers' clocks: idle connections expire even when
// no packet comes, and the records made so far go to the writer.
func (wk *worker) handleReady(all bool) {
	m := wk.merge
	for {
		r, ts := m.next()
		if r < 0 {
			break
		}
		if !all {
			safe := true
			for o := range m.queues {
				if o != r && m.queues[o].n == 0 && m.marks[o] < ts {
					safe = false
					break
				}
			}
			if !safe {
				break
			}
		}
		wk.handleOne()
	}
	if all {
		return
	}
	now := m.clock()
	if now > 0 && now < wk.table.Now()-clockStep {
		wk.stepBack(now)
	}
	if now != math.MaxInt64 && now-wk.lastSweep >= expireEvery {
		wk.table.Expire(now)
		wk.lastSweep = now
		wk.sink.flush()
	}
}

// handleOne handles the oldest held packet, returning its batch to the
// free list once used up. A panic is counted and the packet skipped, as
// process does.
func (wk *worker) handleOne() {
	m := wk.merge
	r, _ := m.next()
	q := &m.queues[r]
	b := q.first()
	it := &b.items[q.pos]
	q.pos++
	if q.pos == b.n {
		q.pop()
		m.held--
		defer func() {
			b.reset()
			wk.free <- b
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			wk.panics.Add(1)
		}
	}()
	if m.low > 0 && it.ts-clockStep > m.low {
		// Stamped before the clock stepped back, by a reader that had
		// not yet followed it: it counts at the readers' clock.
		it.ts = m.low
	}
	if it.ts < wk.table.Now()-clockStep {
		wk.stepBack(it.ts)
	}
	wk.handle(b, it)
}

// stepBack follows the readers' clock back to now, which stepped back
// (see clockStep): the table's connections move back by the step.
func (wk *worker) stepBack(now int64) {
	wk.table.StepBack(now)
	wk.lastSweep = now - expireEvery
}

// add merges another reader's counts into c.
func (c *readerCounts) add(o *readerCounts) {
	c.packets += o.packets
	c.bytes += o.bytes
	if o.first != 0 && (c.first == 0 || o.first < c.first) {
		c.first = o.first
	}
	c.last = max(c.last, o.last)
	c.nonIP += o.nonIP
	c.arp += o.arp
	for i := range c.anomalies {
		c.anomalies[i] += o.anomalies[i]
	}
	for i := range c.tunnels {
		c.tunnels[i] += o.tunnels[i]
	}
	c.fragments += o.fragments
	c.reassembled += o.reassembled
	c.truncatedFrames += o.truncatedFrames
	c.badChecksums += o.badChecksums
}

// kernelStats sums the live sources' kernel counters; ok is false when no
// source has any.
func (p *pipeline) kernelStats() (st capture.LiveStats, ok bool) {
	for _, rd := range p.readers {
		if s, isLive := rd.src.(capture.StatsSource); isLive {
			ls := s.LiveStats()
			st.Packets += ls.Packets
			st.Drops += ls.Drops
			st.Freezes += ls.Freezes
			ok = true
		}
	}
	return st, ok
}

// progress is what the progress bar shows: the readers' totals.
func (p *pipeline) progress() progressState {
	var s progressState
	for _, rd := range p.readers {
		s.done += rd.progDone.Load()
		s.all += rd.progAll.Load()
		s.packets += rd.packets.Load()
	}
	if p.live {
		if ks, ok := p.kernelStats(); ok {
			s.drops, s.live = ks.Drops, true
		}
	}
	return s
}
