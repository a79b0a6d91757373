package analyze

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Logs written on every run, even when empty.
const (
	logConn  = "conn"
	logWeird = "weird"
)

// chunk is a run of complete JSON lines for one log.
type chunk struct {
	log string
	buf []byte
}

const chunkSize = 64 << 10

// Consumer reads every record the analysis produces: each log line as it
// is written (log is the log's name, line one JSON object without the
// newline, valid only during the call), and the packet facts (logs named
// "_…", see facts.go), which are not written. Record is called from one
// goroutine.
type Consumer interface {
	Record(log string, line []byte)
}

// SharedConsumer is a Consumer that reads records through rec.Shared, so
// that a line is parsed once for all the consumers that read its fields;
// the writer calls RecordShared instead of Record.
type SharedConsumer interface {
	Consumer
	RecordShared(s *rec.Shared)
}

// isFact reports whether log is a packet-fact stream, not a log file.
func isFact(log string) bool { return len(log) > 0 && log[0] == '_' }

// writer owns the log files; it is the only goroutine that writes them.
// Files are created on a log's first chunk (conn.log and weird.log at
// start), named after the log. It also hands every line to the consumers.
type writer struct {
	dir       string
	consumers []Consumer
	shared    rec.Shared // the line being handed to the consumers
	files     map[string]*logFile
	in        chan chunk
	free      chan []byte
	err       error
	done      chan struct{}
	// flushEvery, when positive, flushes the files that often (a live
	// run's logs are read while it runs).
	flushEvery time.Duration
}

type logFile struct {
	f *os.File
	w *bufio.Writer
}

func newWriter(dir string, consumers []Consumer, flushEvery time.Duration) (*writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("analyze: create output directory: %w", err)
	}
	w := &writer{dir: dir, consumers: consumers, files: map[string]*logFile{}, in: make(chan chunk, 64), free: make(chan []byte, 128),
		done: make(chan struct{}), flushEvery: flushEvery}
	for _, name := range []string{logConn, logWeird} {
		if _, err := w.file(name); err != nil {
			w.closeFiles()
			return nil, err
		}
	}
	go w.run()
	return w, nil
}

// file returns the open file of a log, creating it on first use.
func (w *writer) file(name string) (*logFile, error) {
	if lf, ok := w.files[name]; ok {
		return lf, nil
	}
	f, err := os.Create(filepath.Join(w.dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("analyze: create %s.log: %w", name, err)
	}
	lf := &logFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	w.files[name] = lf
	return lf, nil
}

func (w *writer) run() {
	defer close(w.done)
	if w.flushEvery <= 0 {
		for c := range w.in {
			w.write(c)
		}
		return
	}
	t := time.NewTicker(w.flushEvery)
	defer t.Stop()
	for {
		select {
		case c, ok := <-w.in:
			if !ok {
				return
			}
			w.write(c)
		case <-t.C:
			w.flushFiles()
		}
	}
}

// flushFiles writes out what the files buffer.
func (w *writer) flushFiles() {
	for name, lf := range w.files {
		if err := lf.w.Flush(); err != nil && w.err == nil {
			w.err = fmt.Errorf("analyze: flush %s.log: %w", name, err)
		}
	}
}

// write hands c to the consumers and appends it to its log.
func (w *writer) write(c chunk) {
	w.consume(c)
	if isFact(c.log) {
		w.recycle(c.buf)
		return
	}
	if w.err == nil {
		lf, err := w.file(c.log)
		if err == nil {
			_, err = lf.w.Write(c.buf)
		}
		if err != nil {
			w.err = fmt.Errorf("analyze: write %s.log: %w", c.log, err)
		}
	}
	w.recycle(c.buf)
}

// consume hands each line of c to the consumers.
func (w *writer) consume(c chunk) {
	if len(w.consumers) == 0 {
		return
	}
	for b := c.buf; len(b) > 0; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		w.shared.Reset(c.log, b[:i])
		for _, cs := range w.consumers {
			if sc, ok := cs.(SharedConsumer); ok {
				sc.RecordShared(&w.shared)
			} else {
				cs.Record(c.log, b[:i])
			}
		}
		b = b[min(i+1, len(b)):]
	}
}

// recycle offers a written chunk buffer for reuse.
func (w *writer) recycle(b []byte) {
	select {
	case w.free <- b[:0]:
	default:
	}
}

// getBuf returns an empty chunk buffer, reusing written ones.
func (w *writer) getBuf() []byte {
	select {
	case b := <-w.free:
		return b
	default:
		return make([]byte, 0, chunkSize+4096)
	}
}

// close flushes and closes the files after every producer has finished.
func (w *writer) close() error {
	close(w.in)
	<-w.done
	for name, lf := range w.files {
		if err := lf.w.Flush(); err != nil && w.err == nil {
			w.err = fmt.Errorf("analyze: flush %s.log: %w", name, err)
		}
	}
	if err := w.closeFiles(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

func (w *writer) closeFiles() error {
	var first error
	for name, lf := range w.files {
		if err := lf.f.Close(); err != nil && first == nil {
			first = fmt.Errorf("analyze: close %s.log: %w", name, err)
		}
	}
	return first
}

// logSink encodes records of one producer goroutine into chunks and hands
// full chunks to the writer. It implements flow.Emitter.
type logSink struct {
	w     *writer
	bufs  map[string][]byte
	stats *hostStats
	weird record.Weird
}

func newLogSink(w *writer, stats *hostStats) *logSink {
	return &logSink{w: w, stats: stats, bufs: map[string][]byte{}}
}

// Conn implements flow.Emitter.
func (s *logSink) Conn(c *record.Conn) {
	s.stats.addConn(c)
	if s.w == nil {
		return
	}
	s.append(logConn, record.AppendConnJSON(s.buf(logConn), c))
}

// Weird implements flow.Emitter.
func (s *logSink) Weird(wr *record.Weird) {
	if s.w == nil {
		return
	}
	s.append(logWeird, record.AppendWeirdJSON(s.buf(logWeird), wr))
}

// anomaly logs a decoder anomaly as a weird record.
func (s *logSink) anomaly(ts int64, uid string, d *decode.Datagram, a decode.Anomaly) {
	wr := &s.weird
	*wr = record.Weird{TS: ts, UID: uid, Name: a.Kind.String(), Source: "vigil"}
	if a.Detail != 0 {
		wr.Addl = strconv.FormatUint(uint64(a.Detail), 10)
	}
	if d != nil && d.Version != 0 {
		wr.HasConn = true
		wr.OrigH, wr.RespH = d.Src, d.Dst
		wr.OrigP, wr.RespP = d.SrcPort, d.DstPort
	}
	s.Weird(wr)
}

// netAnomaly logs an anomaly that belongs to no connection.
func (s *logSink) netAnomaly(ts int64, src, dst netip.Addr, a decode.Anomaly) {
	wr := &s.weird
	*wr = record.Weird{TS: ts, Name: a.Kind.String(), Source: "vigil"}
	if a.Detail != 0 {
		wr.Addl = strconv.FormatUint(uint64(a.Detail), 10)
	}
	if src.IsValid() {
		wr.HasConn = true
		wr.OrigH, wr.RespH = src, dst
	}
	s.Weird(wr)
}

// Record implements proto.Sink: one application-layer record.
func (s *logSink) Record(log string, line []byte) {
	if !isFact(log) {
		s.stats.addRecord(log)
	}
	if s.w == nil {
		return
	}
	s.append(log, append(s.buf(log), line...))
}

// buf returns log's pending chunk, to append one record to.
func (s *logSink) buf(log string) []byte {
	b, ok := s.bufs[log]
	if !ok && s.w != nil {
		b = s.w.getBuf()
	}
	return b
}

// append stores b (the chunk with one more record) and sends it when full.
func (s *logSink) append(log string, b []byte) {
	b = append(b, '\n')
	if len(b) >= chunkSize {
		s.w.in <- chunk{log: log, buf: b}
		b = s.w.getBuf()
	}
	if _, ok := s.bufs[log]; !ok {
		log = strings.Clone(log)
	}
	s.bufs[log] = b
}

// flush hands any partial chunks to the writer.
func (s *logSink) flush() {
	if s.w == nil {
		return
	}
	for log, b := range s.bufs {
		if len(b) > 0 {
			s.w.in <- chunk{log: log, buf: b}
			s.bufs[log] = s.w.getBuf()
		}
	}
}
