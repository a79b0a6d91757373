package analyze

import (
	"github.com/vigil-nsm/vigil/internal/prefetch"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// consumeBatch holds the records an inline writer has written but not yet
// handed to the consumers: a copy of each line, and the fields its
// producer decoded or located (typed.go).
//
// Handing records on in batches, rather than each as it is written, lets
// the consumers (the detection engine and the inventory: large state,
// much code) run over a thousand records or more in a row with their
// state and code in the cache, and the packet path run between batches
// without them: the whole analysis of the benchmark capture costs about
// 9% less CPU (docs/PERFORMANCE.md). Consumers still see every record in
// the order written; an offline run's consumers keep time by the
// records alone (Clocked), so their outputs do not change.
type consumeBatch struct {
	buf   []byte
	recs  []batchedRec
	conns []typedConn
	https []rec.HTTP
	syns  []rec.SYN
	// next is the first record not yet handed on (consumeHeld may be
	// cut short by a panic outside the consumers: the reader's net goes
	// on, and the batch with the records after it).
	next int
}

// batchedRec is one held record: its line is buf[off:end]; a conn or
// http record's or "_syn" fact's fields are conns[extra], https[extra]
// or syns[extra].
type batchedRec struct {
	log      string
	off, end int32
	extra    int32
	kind     uint8 // 0, batchedConn, batchedHTTP or batchedSYN
}

const (
	batchedConn uint8 = 1 + iota
	batchedHTTP
	batchedSYN
)

// prefetchRecs is how many records ahead of the one being handed on
// consumeHeld asks for a line: a batch's lines were copied a megabyte of
// lines and tens of megabytes of packets ago, out of the L2 cache by now,
// and the consumers read a few fields of each, scattered over its cache
// lines (session 28: −1 to −2% CPU for the whole analysis, 39 of 57
// paired rounds faster; one, four or eight records ahead alike).
const prefetchRecs = 2

// consumeBatchRecs and consumeBatchBytes bound a batch (its lines about
// half a core's L2 cache). Measured on the benchmark capture: about 1,000
// records (256 KiB) saved 4%, 2,000–4,000 records (1 MiB) 7–9%, 16,000
// (7 MiB) nothing. One record makes the writer hand each record on as
// it is written.
var (
	consumeBatchRecs  = 4096
	consumeBatchBytes = 1 << 20
)

// holdForConsumers adds a record to the batch, and hands the batch on
// when it is full.
func (w *writer) holdForConsumers(log string, line []byte, x recExtras) {
	if w.batch == nil {
		w.batch = &consumeBatch{}
	}
	b := w.batch
	if b.buf == nil {
		b.buf = make([]byte, 0, consumeBatchBytes+64<<10)
	}
	r := batchedRec{log: log, off: int32(len(b.buf))}
	b.buf = append(b.buf, line...)
	r.end = int32(len(b.buf))
	switch {
	case x.conn != nil:
		r.kind, r.extra = batchedConn, int32(len(b.conns))
		b.conns = append(b.conns, *x.conn)
	case x.http != nil:
		r.kind, r.extra = batchedHTTP, int32(len(b.https))
		b.https = append(b.https, *x.http)
	case x.syn != nil:
		r.kind, r.extra = batchedSYN, int32(len(b.syns))
		b.syns = append(b.syns, *x.syn)
	}
	b.recs = append(b.recs, r)
	if len(b.recs) >= consumeBatchRecs || len(b.buf) >= consumeBatchBytes {
		w.passHeld()
	}
}

// passHeld hands the held records on: to the consumers now, or to the
// consumer stage's goroutine, where there is one (stage.go).
func (w *writer) passHeld() {
	if w.batch == nil || len(w.batch.recs) == 0 {
		return
	}
	if w.stage == nil {
		w.consumeHeld(w.batch)
		return
	}
	w.batch = w.stage.pass(w.batch)
}

// consumeHeld hands b's records to the consumers, in order, and empties
// the batch.
func (w *writer) consumeHeld(b *consumeBatch) {
	for b.next < len(b.recs) {
		if ahead := b.next + prefetchRecs; ahead < len(b.recs) {
			a := &b.recs[ahead]
			prefetch.Lines(b.buf[a.off:a.end])
		}
		r := &b.recs[b.next]
		b.next++
		var x recExtras
		switch r.kind {
		case batchedConn:
			x.conn = &b.conns[r.extra]
		case batchedHTTP:
			x.http = &b.https[r.extra]
		case batchedSYN:
			x.syn = &b.syns[r.extra]
		}
		w.hand(r.log, b.buf[r.off:r.end:r.end], x)
	}
	clear(b.recs) // the logs' names
	b.buf, b.recs, b.conns, b.https, b.syns, b.next = b.buf[:0], b.recs[:0], b.conns[:0], b.https[:0], b.syns[:0], 0
}
