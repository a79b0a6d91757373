package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// WriterConfig tunes a Writer.
type WriterConfig struct {
	// Run is the run id stamped on every row.
	Run int32
	// FlushRows hands a batch to the store when it holds this many raw
	// rows; FlushEvery hands it over at least this often.
	FlushRows  int
	FlushEvery time.Duration
	// Facts lists the packet-fact streams ("_nd" …) kept as records;
	// other facts are ignored.
	Facts []string
	// FactCap caps the facts kept per stream (0: 10000).
	FactCap int
	// OnCommit is called after each committed batch (in the writer's
	// flushing goroutine; it must not keep the batch).
	OnCommit func(b *Batch)
	// OnError is called when a batch could not be written.
	OnError func(err error)
}

// DefaultWriterConfig flushes every 100 000 rows or 500 ms and keeps the
// neighbour-discovery facts for the IPv6 page.
func DefaultWriterConfig() WriterConfig {
	return WriterConfig{FlushRows: 100000, FlushEvery: 500 * time.Millisecond, Facts: []string{"_nd"}, FactCap: 10000}
}

// WriterStats counts what a Writer did.
type WriterStats struct {
	Records  uint64            `json:"records"`   // lines handed to Record
	Rows     uint64            `json:"rows"`      // raw rows committed
	Batches  uint64            `json:"batches"`   // batches committed
	Errors   uint64            `json:"errors"`    // batches that failed
	Skipped  uint64            `json:"skipped"`   // lines that were not JSON objects
	ByLog    map[string]uint64 `json:"by_log"`    // lines per log
	Newest   float64           `json:"newest"`    // newest record time seen
	LastSave time.Time         `json:"last_save"` // when the last batch was committed
}

// Writer is an analyze.Consumer that stores every record: it parses lines
// into rows and hands batches to its own goroutine, which adds their
// rollups and writes them to a Store (parsing, aggregating and writing
// overlap). Record and Add may be called
// from several goroutines. Close flushes what is left.
type Writer struct {
	st  Appender
	cfg WriterConfig

	mu     sync.Mutex
	p      parser
	cur    *Batch
	agg    *rollups // the writing goroutine's
	facts  map[string]int
	stats  WriterStats
	closed bool

	smu     sync.Mutex // guards written
	written WriterStats

	queue chan *Batch
	free  chan *Batch
	done  chan struct{}
	stop  chan struct{}
	// pending counts batches handed over and not yet written.
	pending atomic.Int64
	err     atomic.Pointer[error]
}

// NewWriter starts a writer into st.
func NewWriter(st Appender, cfg WriterConfig) *Writer {
	def := DefaultWriterConfig()
	if cfg.FlushRows <= 0 {
		cfg.FlushRows = def.FlushRows
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = def.FlushEvery
	}
	if cfg.FactCap <= 0 {
		cfg.FactCap = def.FactCap
	}
	w := &Writer{st: st, cfg: cfg, cur: &Batch{}, agg: newRollups(), facts: map[string]int{},
		queue: make(chan *Batch, 1), free: make(chan *Batch, 2), done: make(chan struct{}),
		stop: make(chan struct{})}
	w.stats.ByLog = map[string]uint64{}
	go w.loop()
	go w.tick()
	return w
}

// Record stores one record of log (a JSON object without the newline).
func (w *Writer) Record(log string, line []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || !w.keep(log) {
		return
	}
	w.stats.Records++
	w.stats.ByLog[log]++
	if !w.p.f.parse(line) {
		w.stats.Skipped++
		return
	}
	w.add(log, line)
	if w.cur.Rows() >= w.cfg.FlushRows {
		w.handOver()
	}
}

// keep reports whether a log's lines are stored (facts only when listed
// and under their cap).
func (w *Writer) keep(log string) bool {
	if log == "" || log[0] != '_' {
		return true
	}
	for _, f := range w.cfg.Facts {
		if f == log {
			w.facts[log]++
			return w.facts[log] <= w.cfg.FactCap
		}
	}
	return false
}

// add appends the parsed record to the current batch (w.mu held).
func (w *Writer) add(log string, line []byte) {
	b, p, run := w.cur, &w.p, w.cfg.Run
	switch log {
	case "conn":
		if len(b.Conns) == cap(b.Conns) {
			// Double up to a full batch: append's growth for large
			// slices (a quarter at a time) copies the rows many times.
			b.Conns = slices.Grow(b.Conns, min(max(len(b.Conns), 1024), w.cfg.FlushRows))
		}
		b.Conns = append(b.Conns, Conn{})
		c := &b.Conns[len(b.Conns)-1]
		p.conn(c)
		c.Run = run
		w.seen(c.TS)
	case "dns":
		b.DNS = append(b.DNS, DNS{})
		p.dns(&b.DNS[len(b.DNS)-1])
		b.DNS[len(b.DNS)-1].Run = run
	case "http":
		b.HTTP = append(b.HTTP, HTTP{})
		p.http(&b.HTTP[len(b.HTTP)-1])
		b.HTTP[len(b.HTTP)-1].Run = run
	case "ssl":
		b.SSL = append(b.SSL, SSL{})
		p.ssl(&b.SSL[len(b.SSL)-1])
		b.SSL[len(b.SSL)-1].Run = run
	case "alerts", "alert":
		var a Alert
		p.alert(&a, line)
		a.Run = run
		b.Alerts = append(b.Alerts, a)
		w.seen(a.TS)
	case "incidents", "incident":
		var in Incident
		p.incident(&in, line)
		in.Run = run
		b.Incidents = append(b.Incidents, in)
	case "assets", "asset":
		var a Asset
		p.asset(&a, line)
		a.Run = run
		b.Assets = append(b.Assets, a)
	default:
		ts := p.recordTS()
		if ts == 0 {
			ts = w.stats.Newest
		}
		b.Records = append(b.Records, Record{Log: log, TS: ts, UID: p.f.str("uid"), JSON: string(line), Run: run})
	}
}

func (w *Writer) seen(ts float64) {
	if ts > w.stats.Newest {
		w.stats.Newest = ts
	}
}

// Add stores a connection or flow given as a row (NetFlow and tests).
func (w *Writer) Add(c Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	c.Run = w.cfg.Run
	if c.IPv == 0 {
		c.IPv = ipVersion(c.OrigH)
	}
	w.stats.Records++
	w.stats.ByLog["conn"]++
	w.cur.Conns = append(w.cur.Conns, c)
	w.seen(c.TS)
	if w.cur.Rows() >= w.cfg.FlushRows {
		w.handOver()
	}
}

// handOver queues the current batch (w.mu held). It
// blocks while the previous batch is still being written: backpressure.
func (w *Writer) handOver() {
	if w.cur.Rows() == 0 {
		return
	}
	w.cur.Run = w.cfg.Run
	keepLast(w.cur)
	full := w.cur
	select {
	case w.cur = <-w.free:
		w.cur.Reset()
	default:
		w.cur = &Batch{}
	}
	w.pending.Add(1)
	w.queue <- full
}

// loop writes queued batches; tick hands the current batch over on time.
func (w *Writer) loop() {
	defer close(w.done)
	for b := range w.queue {
		w.write(b)
	}
}

func (w *Writer) tick() {
	t := time.NewTicker(w.cfg.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			// Only when the writer is idle: a full batch is on its way anyway.
			if !w.closed && w.pending.Load() == 0 {
				w.handOver()
			}
			w.mu.Unlock()
		}
	}
}

// write stores a batch with its rollups, computed here, in the writer's
// goroutine, while the producer goes on parsing the next batch.
func (w *Writer) write(b *Batch) {
	w.agg.batch(b)
	err := w.st.Append(context.Background(), b)
	w.smu.Lock()
	if err != nil {
		w.written.Errors++
	} else {
		w.written.Batches++
		w.written.Rows += uint64(b.Rows())
		w.written.LastSave = time.Now()
	}
	w.smu.Unlock()
	if err != nil {
		err = fmt.Errorf("store: write batch of %d rows: %w", b.Rows(), err)
		w.err.CompareAndSwap(nil, &err)
		if w.cfg.OnError != nil {
			w.cfg.OnError(err)
		}
	} else if w.cfg.OnCommit != nil {
		w.cfg.OnCommit(b)
	}
	select {
	case w.free <- b:
	default:
	}
	w.pending.Add(-1)
}

// Flush writes everything recorded so far and waits until it is
// committed.
func (w *Writer) Flush() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errors.New("store: writer closed")
	}
	w.handOver()
	w.mu.Unlock()
	for w.pending.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	return w.Err()
}

// Close flushes and stops the writer; it returns the first write error.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return w.Err()
	}
	w.handOver()
	w.closed = true
	close(w.queue)
	close(w.stop)
	w.mu.Unlock()
	<-w.done
	return w.Err()
}

// Err returns the first write error.
func (w *Writer) Err() error {
	if e := w.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Stats returns a copy of the counters.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	s := w.stats
	s.ByLog = make(map[string]uint64, len(w.stats.ByLog))
	for k, v := range w.stats.ByLog {
		s.ByLog[k] = v
	}
	w.mu.Unlock()
	w.smu.Lock()
	s.Rows, s.Batches, s.Errors, s.LastSave = w.written.Rows, w.written.Batches, w.written.Errors, w.written.LastSave
	w.smu.Unlock()
	return s
}

// Run returns the run id the writer stamps on its rows.
func (w *Writer) Run() int32 { return w.cfg.Run }

// keepLast drops the incidents and assets of b that a later row of the
// same incident or host replaces (an incident grows, a live run's
// inventory is stored again): the store replaces earlier batches' rows of
// the same key, and a batch must not bring two.
func keepLast(b *Batch) {
	b.Incidents = lastBy(b.Incidents, func(in *Incident) string { return in.ID })
	b.Assets = lastBy(b.Assets, func(a *Asset) string { return a.Key })
}

// lastBy keeps the last of the rows sharing a key, in their order.
func lastBy[T any](rows []T, key func(*T) string) []T {
	if len(rows) < 2 {
		return rows
	}
	last := make(map[string]int, len(rows))
	for i := range rows {
		last[key(&rows[i])] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := rows[:0]
	for i := range rows {
		if last[key(&rows[i])] == i {
			out = append(out, rows[i])
		}
	}
	return out
}
