package analyze

import (
	"cmp"
	"math"
	"slices"

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
// is a quarter full, or when the producer has finished. The writer so holds
// at most progressEvery sweeps' records (each at most sweepFrames frames).
func (s *logSink) progress(t recTag) {
	if s.w == nil || !s.w.ordered {
		s.flush()
		return
	}
	s.pending, s.hasPending = t, true
	s.quiet++
	if s.quiet < progressEvery && len(s.buf) < chunkSize/4 && t != doneTag {
		return
	}
	s.w.in <- s.take(s.buf)
	s.buf = s.w.getBuf()
}

// progressEvery is how many sweeps a producer's progress may go unsent.
const progressEvery = 8

// heldRecord is a record the writer holds until every producer has gone
// past it.
type heldRecord struct {
	tag  recTag
	log  string
	line []byte    // newline included
	once *onceMark // logged at most once per key (RecordOnce)
}

// heldBuf is a chunk buffer whose records are held; it is reused once
// they are all written (max is the highest tag among them).
type heldBuf struct {
	buf []byte
	max recTag
}

// hold takes c's records (ordered runs) and releases those every producer
// has gone past.
func (w *writer) hold(c chunk) {
	hb := heldBuf{buf: c.buf}
	n := 0
	w.records(c, func(i int, log string, line []byte, once *onceMark) {
		if i >= len(c.tags) {
			return // cannot happen: a sink tags every record
		}
		t := c.tags[i]
		w.held = append(w.held, heldRecord{tag: t, log: log, line: line, once: once})
		if t.compare(hb.max) > 0 {
			hb.max = t
		}
		n++
	})
	if n > 0 {
		w.heldBufs = append(w.heldBufs, hb)
	} else {
		w.recycle(c.buf)
	}
	w.recycleTags(c.tags)
	if c.hasProgress {
		w.progress[c.prod] = c.progress
		w.release(slices.MinFunc(w.progress, recTag.compare))
	}
}

// release hands on and writes, in order, every held record below low.
func (w *writer) release(low recTag) {
	ready := w.ready[:0]
	keep := w.held[:0]
	for _, r := range w.held {
		if r.tag.compare(low) < 0 {
			ready = append(ready, r)
		} else {
			keep = append(keep, r)
		}
	}
	slices.SortFunc(ready, func(a, b heldRecord) int { return a.tag.compare(b.tag) })
	for _, r := range ready {
		w.emit(r.log, r.line, r.once)
	}
	clear(w.held[len(keep):])
	w.held = keep
	clear(ready)
	w.ready = ready[:0]
	bufs := w.heldBufs[:0]
	for _, hb := range w.heldBufs {
		if hb.max.compare(low) < 0 {
			w.recycle(hb.buf)
		} else {
			bufs = append(bufs, hb)
		}
	}
	clear(w.heldBufs[len(bufs):])
	w.heldBufs = bufs
}

// getTags returns an empty tag list for a chunk, reusing released ones.
func (w *writer) getTags() []recTag {
	select {
	case t := <-w.freeTags:
		return t
	default:
		return make([]recTag, 0, 512)
	}
}

func (w *writer) recycleTags(t []recTag) {
	if t == nil {
		return
	}
	select {
	case w.freeTags <- t[:0]:
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
	s.once = append(s.once, onceMark{rec: s.n, key: key, ts: ts, window: window})
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
	if w.dropped == nil {
		w.dropped = map[string]uint64{}
	}
	w.dropped[log]++
}
