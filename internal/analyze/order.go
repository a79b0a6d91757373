package analyze

import (
	"cmp"
	"math"
	"slices"
	"unsafe"

	"github.com/vigil-nsm/vigil/internal/flow"
)

// Record order. Several workers hand their records to the writer in no
// fixed order, and what consumers conclude (alerts, incidents, the
// inventory) depends on the order they read records in. In an offline run
// the writer therefore hands records on, and writes the log files, in an
// order that does not depend on the number of workers: by the capture
// event that made each record.
//
// Events are numbered by the reader's frame count (seq). Before frame seq
// the reader may sweep the timers of every flow table at once (phase
// sweep: the reader's own tables first, then each connection a worker
// ends, keyed by its uid, so that how connections are spread over
// workers does not matter); then the reader handles the frame (phase
// reader: packet facts, tunnels) and the worker that owns it (phase
// worker). Within one event a producer's records keep the order it made
// them in (idx). Each producer reports progress with each sweep: every
// record it makes from then on sorts at or after its progress tag, so the
// writer releases, sorted, every held record below the lowest progress of
// all producers.
type recTag struct {
	seq   uint64
	phase uint8
	group uint64 // the connection a sweep ends (its uid), else 0
	prod  uint32 // the producer (readers first, then workers)
	idx   uint64 // the producer's record count
}

const (
	phaseSweep uint8 = iota
	phaseReader
	phaseWorker
	phaseLast = math.MaxUint8
)

// endSeq numbers the end of the run: the flow tables' final flush.
const endSeq = math.MaxUint64

// doneTag is the progress of a producer that has finished.
var doneTag = recTag{seq: endSeq, phase: phaseLast, group: math.MaxUint64, prod: math.MaxUint32, idx: math.MaxUint64}

func (a recTag) compare(b recTag) int {
	switch {
	case a.seq != b.seq:
		return cmp.Compare(a.seq, b.seq)
	case a.phase != b.phase:
		return cmp.Compare(a.phase, b.phase)
	case a.group != b.group:
		return cmp.Compare(a.group, b.group)
	case a.prod != b.prod:
		return cmp.Compare(a.prod, b.prod)
	}
	return cmp.Compare(a.idx, b.idx)
}

// at makes the sink's next records belong to event seq, phase.
func (s *logSink) at(seq uint64, phase uint8) {
	s.tag.seq, s.tag.phase, s.tag.group = seq, phase, 0
}

// BeginEmit implements flow.EmitNotifier: in a sweep, the records that a
// flow table makes from here on (the application layer's last ones, then
// the conn record) belong to connection uid.
func (s *logSink) BeginEmit(uid flow.UID) {
	if s.tag.phase == phaseSweep {
		s.tag.group = uint64(uid)
	}
}

// progress hands over the pending records with the producer's progress:
// it makes no more records that sort before t.
//
// A report wakes the writer, so most go with the next chunk instead: one is
// sent on its own only every progressEvery sweeps, when the pending chunk
// is a quarter full, when the producer has finished, or when the writer
// holds more than maxHeld. The writer so holds at most progressEvery
// sweeps' records (each at most sweepFrames frames), and about maxHeld
// bytes of them: past that, every chunk a producer fills makes the reader
// sweep at its next frame (logSink.append), and every producer reports.
// The reader's report before each sweep goes at once (reportNow), so that
// the workers' reports within a sweep (worker.reportEnds) release records.
func (s *logSink) progress(t recTag) { s.report(t, false) }

// reportNow is progress, sent to the writer at once.
func (s *logSink) reportNow(t recTag) { s.report(t, true) }

func (s *logSink) report(t recTag, now bool) {
	if s.w == nil || !s.w.ordered {
		s.flush()
		return
	}
	s.pending, s.hasPending = t, true
	s.quiet++
	if !now && s.quiet < progressEvery && len(s.buf) < chunkSize/4 && t != doneTag && !s.w.pressed() {
		return
	}
	s.w.send(s.take(s.buf))
	s.buf = s.w.getBuf()
}

// progressEvery is how many sweeps a producer's progress may go unsent.
const progressEvery = 8

// heldRecord is a record the writer holds until every producer has gone
// past it.
type heldRecord struct {
	tag  recTag
	log  string
	line []byte // newline included
	x    recExtras
}

// heldQueue is one producer's held records, in the order it made them,
// and the chunk buffers they lie in.
//
// A producer's events (seq, phase) never go back, and a progress tag has
// group, prod and idx 0, so the records below the lowest progress are a
// prefix of each queue. That prefix is in tag order but for each sweep's
// records, which go by the connection each ends (group): release sorts
// those, then merges the queues.
type heldQueue struct {
	recs []heldRecord
	head int // recs[:head] are written
	// Being released: recs[head:ready], of which recs[next:ready] are
	// not yet written.
	ready, next int
	bufs        []heldBuf // oldest first
}

// heldBuf is a chunk buffer with n records not yet written; it is reused
// once they all are. size is what it adds to the writer's held bytes.
type heldBuf struct {
	buf   []byte
	n     int
	size  int64
	conns []typedConn // its records' typed fields, reused with it
	https []typedHTTP
	syns  []typedSYN
}

// heldRecordSize is what a held record costs besides its line.
const heldRecordSize = int64(unsafe.Sizeof(heldRecord{}))

// typedConnSize, typedHTTPSize and typedSYNSize are what a typed record
// adds.
const (
	typedConnSize = int64(unsafe.Sizeof(typedConn{}))
	typedHTTPSize = int64(unsafe.Sizeof(typedHTTP{}))
	typedSYNSize  = int64(unsafe.Sizeof(typedSYN{}))
)

// hold takes c's records (ordered runs) and releases those every producer
// has gone past.
func (w *writer) hold(c chunk) {
	for int(c.prod) >= len(w.queues) {
		w.queues = append(w.queues, heldQueue{})
	}
	q := &w.queues[c.prod]
	before := len(q.recs)
	extras := c.extras()
	start := 0
	for i := range c.recs {
		r := &c.recs[i]
		q.recs = append(q.recs, heldRecord{tag: r.tag, log: r.log, line: c.buf[start:r.end], x: extras.at(i)})
		start = r.end
	}
	if n := len(q.recs) - before; n > 0 {
		size := int64(len(c.buf)) + int64(n)*heldRecordSize +
			int64(len(c.conns))*typedConnSize + int64(len(c.https))*typedHTTPSize + int64(len(c.syns))*typedSYNSize
		q.bufs = append(q.bufs, heldBuf{buf: c.buf, n: n, size: size, conns: c.conns, https: c.https, syns: c.syns})
		if held := w.held.Add(size); held > w.heldPeak {
			w.heldPeak = held
		}
	} else {
		w.recycle(c.buf)
		w.recycleTyped(c.conns, c.https, c.syns)
	}
	w.recycleRecs(c.recs)
	if c.hasProgress {
		w.progress[c.prod] = c.progress
		w.release(slices.MinFunc(w.progress, recTag.compare))
	}
}

// release hands on and writes, in order, every held record below low.
func (w *writer) release(low recTag) {
	for i := range w.queues {
		w.queues[i].markReady(low)
	}
	w.mergeReady()
	for i := range w.queues {
		w.queues[i].written(w)
	}
}

// markReady marks the queue's records below low (a prefix) for release,
// and puts each sweep's among them in tag order.
func (q *heldQueue) markReady(low recTag) {
	rest := q.recs[q.head:]
	n, _ := slices.BinarySearchFunc(rest, low, func(r heldRecord, t recTag) int { return r.tag.compare(t) })
	q.next, q.ready = q.head, q.head+n
	sortSweeps(rest[:n])
}

// sortSweeps puts rs, records of one producer in the order it made them,
// in tag order. Only the records of one event (a sweep's) can be out of
// it, by group (their seq, phase and prod are the same, and idx grows),
// so it sorts just the events whose records are.
func sortSweeps(rs []heldRecord) {
	for i := 1; i < len(rs); i++ {
		t := rs[i].tag
		if t.group >= rs[i-1].tag.group || !sameEvent(t, rs[i-1].tag) {
			continue
		}
		start, end := i-1, i+1
		for start > 0 && sameEvent(rs[start-1].tag, t) {
			start--
		}
		for end < len(rs) && sameEvent(rs[end].tag, t) {
			end++
		}
		slices.SortFunc(rs[start:end], func(a, b heldRecord) int {
			if c := cmp.Compare(a.tag.group, b.tag.group); c != 0 {
				return c
			}
			return cmp.Compare(a.tag.idx, b.tag.idx)
		})
		i = end
	}
}

// sameEvent reports whether a and b belong to the same event and phase.
func sameEvent(a, b recTag) bool { return a.seq == b.seq && a.phase == b.phase }

// mergeReady writes the records marked ready in every queue, in tag
// order: each queue's are in order, so it writes, from the queue whose
// first one is lowest, the run that sorts before every other queue's
// first.
func (w *writer) mergeReady() {
	for {
		best, second := -1, -1
		for i := range w.queues {
			q := &w.queues[i]
			if q.next == q.ready {
				continue
			}
			switch t := q.recs[q.next].tag; {
			case best < 0 || t.compare(w.queues[best].firstReady()) < 0:
				best, second = i, best
			case second < 0 || t.compare(w.queues[second].firstReady()) < 0:
				second = i
			}
		}
		if best < 0 {
			return
		}
		q := &w.queues[best]
		end := q.ready
		if second >= 0 {
			bound := w.queues[second].firstReady()
			end = q.next + 1
			for end < q.ready && q.recs[end].tag.compare(bound) < 0 {
				end++
			}
		}
		for _, r := range q.recs[q.next:end] {
			w.emit(r.log, r.line, r.x)
		}
		q.next = end
	}
}

// firstReady is the tag of the queue's first ready record not yet written.
func (q *heldQueue) firstReady() recTag { return q.recs[q.next].tag }

// written drops the released records, reusing the chunk buffers whose
// records are all written.
func (q *heldQueue) written(w *writer) {
	n := q.ready - q.head
	k := 0
	for ; k < len(q.bufs) && q.bufs[k].n <= n; k++ {
		n -= q.bufs[k].n
		w.held.Add(-q.bufs[k].size)
		w.recycle(q.bufs[k].buf)
		w.recycleTyped(q.bufs[k].conns, q.bufs[k].https, q.bufs[k].syns)
	}
	if k < len(q.bufs) {
		q.bufs[k].n -= n
	}
	left := copy(q.bufs, q.bufs[k:])
	clear(q.bufs[left:])
	q.bufs = q.bufs[:left]
	q.head = q.ready
	if q.head > len(q.recs)/2 { // compact: moves fewer records than were written
		left := copy(q.recs, q.recs[q.head:])
		clear(q.recs[left:])
		q.recs = q.recs[:left]
		q.head, q.ready, q.next = 0, 0, 0
	}
}

// getRecs returns an empty record list for a chunk, reusing released
// ones.
func (w *writer) getRecs() []chunkRec {
	select {
	case r := <-w.freeRecs:
		return r
	default:
		return make([]chunkRec, 0, 512)
	}
}

// recycleRecs offers a chunk's record list, read, for reuse.
func (w *writer) recycleRecs(r []chunkRec) {
	if r == nil {
		return
	}
	select {
	case w.freeRecs <- r[:0]:
	default:
	}
}

// onceMark makes the rec-th record of a chunk one that is logged at most
// once per key within window nanoseconds of ts.
type onceMark struct {
	rec        int
	key        string
	ts, window int64
}

// RecordOnce implements proto.OnceSink: the writer drops the record when
// it has written one of the same key less than window before ts, deciding
// in the order it writes records (event order in an offline run).
func (s *logSink) RecordOnce(log, key string, ts, window int64, line []byte) {
	if s.w == nil {
		s.Record(log, line)
		return
	}
	s.once = append(s.once, onceMark{rec: len(s.recs), key: key, ts: ts, window: window})
	s.Record(log, line)
}

// onceFilter remembers when each RecordOnce key was last written (at most
// maxOnceKeys, the oldest forgotten first).
type onceFilter struct {
	last  map[string]int64
	order []string
}

const maxOnceKeys = 10000

// seen reports whether m's key was written less than its window before
// its time; otherwise it notes the key as written at that time.
func (f *onceFilter) seen(m *onceMark) bool {
	if f.last == nil {
		f.last = map[string]int64{}
	}
	last, ok := f.last[m.key]
	if ok && m.ts >= last && m.ts-last < m.window {
		return true
	}
	if !ok {
		if len(f.order) >= maxOnceKeys {
			delete(f.last, f.order[0])
			f.order = f.order[1:]
		}
		f.order = append(f.order, m.key)
	}
	f.last[m.key] = m.ts
	return false
}

// drop counts a RecordOnce repeat of log that is not written.
func (w *writer) drop(log string) {
	if log == logWeird {
		return // weirds are not counted as records
	}
	if w.dropped == nil {
		w.dropped = map[string]uint64{}
	}
	w.dropped[log]++
}
