package analyze

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

// logKind names an output log file.
type logKind uint8

const (
	logConn logKind = iota
	logWeird
	numLogs
)

var logFiles = [numLogs]string{"conn.log", "weird.log"}

// chunk is a run of complete JSON lines for one log.
type chunk struct {
	kind logKind
	buf  []byte
}

const chunkSize = 64 << 10

// writer owns the log files; it is the only goroutine that writes them.
type writer struct {
	files [numLogs]*os.File
	bufs  [numLogs]*bufio.Writer
	in    chan chunk
	free  chan []byte
	err   error
	done  chan struct{}
}

func newWriter(dir string) (*writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("analyze: create output directory: %w", err)
	}
	w := &writer{in: make(chan chunk, 64), free: make(chan []byte, 128), done: make(chan struct{})}
	for k := range w.files {
		f, err := os.Create(filepath.Join(dir, logFiles[k]))
		if err != nil {
			w.closeFiles()
			return nil, fmt.Errorf("analyze: create %s: %w", logFiles[k], err)
		}
		w.files[k] = f
		w.bufs[k] = bufio.NewWriterSize(f, 1<<20)
	}
	go w.run()
	return w, nil
}

func (w *writer) run() {
	defer close(w.done)
	for c := range w.in {
		if w.err == nil {
			if _, err := w.bufs[c.kind].Write(c.buf); err != nil {
				w.err = fmt.Errorf("analyze: write %s: %w", logFiles[c.kind], err)
			}
		}
		select {
		case w.free <- c.buf[:0]:
		default:
		}
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
	for k := range w.bufs {
		if err := w.bufs[k].Flush(); err != nil && w.err == nil {
			w.err = fmt.Errorf("analyze: flush %s: %w", logFiles[k], err)
		}
	}
	if err := w.closeFiles(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

func (w *writer) closeFiles() error {
	var first error
	for k, f := range w.files {
		if f == nil {
			continue
		}
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("analyze: close %s: %w", logFiles[k], err)
		}
	}
	return first
}

// logSink encodes records of one producer goroutine into chunks and hands
// full chunks to the writer. It implements flow.Emitter.
type logSink struct {
	w     *writer
	bufs  [numLogs][]byte
	stats *hostStats
	weird record.Weird
}

func newLogSink(w *writer, stats *hostStats) *logSink {
	s := &logSink{w: w, stats: stats}
	if w != nil {
		for k := range s.bufs {
			s.bufs[k] = w.getBuf()
		}
	}
	return s
}

// Conn implements flow.Emitter.
func (s *logSink) Conn(c *record.Conn) {
	s.stats.addConn(c)
	if s.w == nil {
		return
	}
	s.bufs[logConn] = append(record.AppendConnJSON(s.bufs[logConn], c), '\n')
	s.maybeSend(logConn)
}

// Weird implements flow.Emitter.
func (s *logSink) Weird(wr *record.Weird) {
	if s.w == nil {
		return
	}
	s.bufs[logWeird] = append(record.AppendWeirdJSON(s.bufs[logWeird], wr), '\n')
	s.maybeSend(logWeird)
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

func (s *logSink) maybeSend(k logKind) {
	if len(s.bufs[k]) >= chunkSize {
		s.w.in <- chunk{kind: k, buf: s.bufs[k]}
		s.bufs[k] = s.w.getBuf()
	}
}

// flush hands any partial chunks to the writer.
func (s *logSink) flush() {
	if s.w == nil {
		return
	}
	for k := range s.bufs {
		if len(s.bufs[k]) > 0 {
			s.w.in <- chunk{kind: logKind(k), buf: s.bufs[k]}
			s.bufs[k] = s.w.getBuf()
		}
	}
}
