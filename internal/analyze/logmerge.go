package analyze

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/eve"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Log files are read as one stream in time order, as a live sensor would
// have produced their records: every file is read record by record (in
// memory bounded by its longest line, whatever its size), and the files
// are merged by the time each record was complete, ts + duration, when
// Zeek writes it. So conn.log's records come after the ssh.log or
// ntlm.log records of their connections, as Vigil's own pipeline hands
// them to the detectors, not all of conn.log before any other log; and
// rotated files of one log (conn.00:00:00-01:00:00.log.gz …) follow each
// other. A file is opened only once the merge reaches its first record,
// so a day of hourly files keeps about one file of each log open. Each
// file keeps its own order: the merge interleaves files, it sorts nothing.

// logItem is one thing a log file yields: a record for the writer and the
// consumers or, from a Suricata EVE file, an alert.
type logItem struct {
	log     string
	line    []byte // valid until the source's next read
	isAlert bool
	alert   alert.Alert
	// key is when the item was complete (epoch seconds): the merge's
	// order.
	key float64
}

// itemReader reads the items of one log file.
type itemReader interface {
	read(it *logItem) error // io.EOF after the last
	// done is a note on what was skipped, if anything, once read ends.
	done() error
}

// logSource is one open log file and the item it has read ahead.
type logSource struct {
	path    string
	f       *os.File
	items   itemReader
	head    logItem
	lastKey float64 // the key of an item without a time of its own
	rec     rec.Rec
	order   int // the file's place in the pending list: ties keep it
}

// logFormat is how a log file is read.
type logFormat uint8

const (
	formatJSON logFormat = iota // JSON lines: Zeek's, Vigil's own
	formatTSV                   // Zeek TSV
	formatEVE                   // Suricata EVE
)

// formatOf tells a log file's format by its content.
func formatOf(path string) logFormat {
	switch {
	case sniffLog(path) == zeekTSVLog:
		return formatTSV
	case eve.Sniff(path):
		return formatEVE
	}
	return formatJSON
}

// openLogSource opens path, a log of the given format; the on-disk bytes
// it reads are added to read, when not nil (progress).
func openLogSource(path string, format logFormat, read *atomic.Int64) (*logSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &logSource{path: path, f: f, lastKey: math.Inf(-1)}
	var in io.Reader = f
	if read != nil {
		in = &countedReader{r: f, n: read}
	}
	r, err := maybeGzip(in)
	if err != nil {
		f.Close()
		return nil, err
	}
	switch format {
	case formatTSV:
		s.items = &tsvItems{path: path, z: record.NewZeekTSVReader(r)}
	case formatEVE:
		er, err := eve.NewReader(r)
		if err != nil {
			f.Close()
			return nil, err
		}
		s.items = &eveItems{r: er, it: er.Items(true)}
	default:
		s.items = &jsonItems{name: logName(path, ""), lines: record.NewLineReader(r, maxLogLine)}
	}
	return s, nil
}

// advance reads the next item into s.head and sets its key.
func (s *logSource) advance() error {
	if err := s.items.read(&s.head); err != nil {
		return err
	}
	s.head.key = s.keyOf(&s.head)
	return nil
}

// keyOf is when an item was complete: an alert's start, a record's ts
// plus its duration (Zeek writes a connection when it ends). An item
// without a usable time keeps the file's last key, so it stays with its
// neighbours.
func (s *logSource) keyOf(it *logItem) float64 {
	key := 0.0
	if it.isAlert {
		key = it.alert.TS
	} else if s.rec.Parse(it.log, it.line) == nil {
		key = s.rec.TS()
		if d, ok := s.rec.Num("duration"); ok && key != 0 && d > 0 && !math.IsInf(d, 0) {
			key += d
		}
	}
	if key == 0 || math.IsNaN(key) || math.IsInf(key, 0) {
		return s.lastKey
	}
	s.lastKey = key
	return key
}

func (s *logSource) close() error { return s.f.Close() }

// countedReader adds the bytes read through it to n.
type countedReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countedReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// pendingLog is a log file not yet opened, due at its first item's key.
type pendingLog struct {
	path   string
	format logFormat
	key    float64
}

// sourceHeap orders the open sources by their next item.
type sourceHeap []*logSource

func (h sourceHeap) Len() int { return len(h) }
func (h sourceHeap) Less(i, j int) bool {
	if h[i].head.key != h[j].head.key {
		return h[i].head.key < h[j].head.key
	}
	return h[i].order < h[j].order
}
func (h sourceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *sourceHeap) Push(x any)   { *h = append(*h, x.(*logSource)) }
func (h *sourceHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// logMerge hands out the items of many log files in time order.
type logMerge struct {
	pending []pendingLog // by first key, then as given
	next    int          // pending[next:] are not opened yet
	open    sourceHeap
	errs    []error
	// size is the on-disk bytes of the files, read those read so far
	// (the progress bar's).
	size int64
	read atomic.Int64
	// maxOpen bounds the files open at once (openFiles).
	maxOpen int
}

// newLogMerge reads each file's first item to learn when it is due. Files
// that cannot be read are reported (err) and left out.
func newLogMerge(paths []string) *logMerge {
	m := &logMerge{maxOpen: openFiles()}
	for _, p := range paths {
		format := formatOf(p)
		key, err := firstKey(p, format)
		if err == io.EOF {
			continue // no records
		}
		if err != nil {
			m.fail(p, err)
			continue
		}
		m.pending = append(m.pending, pendingLog{path: p, format: format, key: key})
		if st, err := os.Stat(p); err == nil {
			m.size += st.Size()
		}
	}
	sort.SliceStable(m.pending, func(i, j int) bool { return m.pending[i].key < m.pending[j].key })
	return m
}

// openFiles is how many log files the merge keeps open at most: a
// quarter of the process's file descriptors, at most 512 (each open
// file holds buffers of about 70 KiB).
func openFiles() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 64
	}
	return int(min(max(lim.Cur/4, 8), 512))
}

// firstKey is the key of a log file's first item.
func firstKey(path string, format logFormat) (float64, error) {
	s, err := openLogSource(path, format, nil)
	if err != nil {
		return 0, err
	}
	defer s.close()
	if err := s.advance(); err != nil {
		if note := s.items.done(); err == io.EOF && note != nil {
			return 0, note // nothing read, and why: every EVE line malformed
		}
		return 0, err
	}
	return s.head.key, nil
}

func (m *logMerge) fail(path string, err error) {
	m.errs = append(m.errs, fmt.Errorf("analyze: read log %s: %w", path, err))
}

// item returns the next item in time order, or nil after the last.
func (m *logMerge) item() *logItem {
	m.openDue()
	if len(m.open) == 0 {
		return nil
	}
	return &m.open[0].head
}

// pop moves past the item item returned: its source reads its next one.
func (m *logMerge) pop() {
	s := m.open[0]
	err := s.advance()
	if err == nil {
		heap.Fix(&m.open, 0)
		return
	}
	heap.Pop(&m.open)
	m.finish(s, err)
}

// openDue opens every pending file whose first item comes before the
// open files' next one, as long as fewer than maxOpen are open: past
// that (many files over the same hours: many sensors', many workers'),
// a file waits for another to end and its records come late, but every
// one is read.
func (m *logMerge) openDue() {
	for m.next < len(m.pending) && len(m.open) < m.maxOpen {
		p := m.pending[m.next]
		if len(m.open) > 0 && p.key > m.open[0].head.key {
			return
		}
		m.next++
		s, err := openLogSource(p.path, p.format, &m.read)
		if err != nil {
			m.fail(p.path, err)
			continue
		}
		s.order = m.next
		if err := s.advance(); err != nil {
			m.finish(s, err)
			continue
		}
		heap.Push(&m.open, s)
	}
}

// finish closes a source that read its last item (err io.EOF) or failed.
func (m *logMerge) finish(s *logSource, err error) {
	if err != io.EOF {
		m.fail(s.path, err)
	} else if note := s.items.done(); note != nil {
		m.fail(s.path, note)
	}
	s.close()
}

// readLogs feeds the records of every log file, in time order (logMerge),
// through sink, and so to the writer and the consumers; alerts of EVE
// files go to the consumer that takes them. It returns the number of
// records read. A file that fails is reported; the records read before
// are kept and the other files read. A progress bar goes to progress
// when it is not nil; reading stops when ctx is done.
func readLogs(ctx context.Context, paths []string, sink *logSink, progress io.Writer) (int, error) {
	m := newLogMerge(paths)
	var total atomic.Int64
	bar := startProgress(progress, func() progressState {
		return progressState{done: m.read.Load(), all: m.size, packets: uint64(total.Load()), records: true}
	})
	defer bar.stop()
	for n, it := 0, m.item(); it != nil; n, it = n+1, m.item() {
		if n%4096 == 0 && ctx.Err() != nil {
			m.closeAll()
			m.errs = append(m.errs, ctx.Err())
			break
		}
		switch {
		case !it.isAlert:
			sink.Record(it.log, it.line)
			total.Add(1)
		default:
			sink.Alert(it.alert)
		}
		m.pop()
	}
	// Done: an ordered writer need not hold the records read (they sort
	// before every packet's) until the run ends.
	sink.progress(doneTag)
	return int(total.Load()), errors.Join(m.errs...)
}

// closeAll closes the open files (reading stopped before their end).
func (m *logMerge) closeAll() {
	for _, s := range m.open {
		s.close()
	}
	m.open = nil
}

// jsonItems reads a JSON-lines log (Zeek's JSON, Vigil's own). A line
// that is not a JSON object (one cut short as the file was copied while
// being written) or is longer than maxLogLine is skipped and counted.
type jsonItems struct {
	name      string
	lines     *record.LineReader
	iso       isoTimes
	malformed int
	first     int // the first malformed line
	long      int // lines longer than maxLogLine
	firstLong int
	rec       rec.Rec // for _path
	path      string  // the last _path read
}

func (j *jsonItems) read(it *logItem) error {
	for {
		line, tooLong, err := j.lines.Next()
		if err != nil {
			return err
		}
		if tooLong {
			if j.long++; j.long == 1 {
				j.firstLong = j.lines.Line
			}
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' || !json.Valid(line) {
			if j.malformed++; j.malformed == 1 {
				j.first = j.lines.Line
			}
			continue
		}
		*it = logItem{log: j.logOf(line), line: j.iso.toEpoch(line)}
		return nil
	}
}

// logOf is the log a JSON record belongs to: its own _path (Zeek's JSON
// with its path included, Corelight's exports, a stream of many logs)
// when that is a name Vigil writes, else the file's.
func (j *jsonItems) logOf(line []byte) string {
	if !bytes.Contains(line, []byte(`"_path":"`)) {
		return j.name
	}
	if j.rec.Parse("", line) != nil {
		return j.name
	}
	if p := j.rec.Bytes("_path"); plainLogName(string(p)) && !derivedLogs[string(p)] {
		if string(p) != j.path {
			j.path = string(p)
		}
		return j.path
	}
	return j.name
}

func (j *jsonItems) done() error {
	var errs []error
	if j.malformed > 0 {
		errs = append(errs, fmt.Errorf("%d lines that are not JSON objects skipped (first at line %d)", j.malformed, j.first))
	}
	if j.long > 0 {
		errs = append(errs, fmt.Errorf("%d lines longer than %d bytes skipped (first at line %d)", j.long, maxLogLine, j.firstLong))
	}
	return errors.Join(errs...)
}

// tsvItems reads a Zeek TSV log, each row made a JSON object.
type tsvItems struct {
	path string
	z    *record.ZeekTSVReader
	buf  []byte
	// name is the log's name for the header's #path zeekPath (a file of
	// logs put one after the other may change it).
	name, zeekPath string
}

func (t *tsvItems) read(it *logItem) error {
	row, err := t.z.Next()
	if err != nil {
		return err
	}
	t.buf = appendTSVRow(t.buf[:0], &t.z.ZeekTSV, row)
	if t.name == "" || t.z.Path != t.zeekPath {
		t.name, t.zeekPath = logName(t.path, t.z.Path), t.z.Path
	}
	*it = logItem{log: t.name, line: t.buf}
	return nil
}

func (t *tsvItems) done() error { return t.z.Skipped() }

// eveItems reads a Suricata EVE file (internal/eve): flow, dns, http and
// tls events become conn, dns, http and ssl records; alert events become
// alerts for the consumer that takes them, and "eve" records as every
// other event does.
type eveItems struct {
	r  *eve.Reader
	it *eve.Items
}

func (e *eveItems) read(it *logItem) error {
	item, err := e.it.Next()
	if err != nil {
		return err
	}
	if item.IsAlert {
		*it = logItem{isAlert: true, alert: item.Alert}
	} else {
		*it = logItem{log: item.Log, line: item.Line}
	}
	return nil
}

func (e *eveItems) done() error {
	if e.r.Malformed > 0 {
		return fmt.Errorf("%d malformed EVE lines skipped (first at %s)", e.r.Malformed, e.r.FirstError)
	}
	return nil
}

// isoTimes turns the times of a JSON log's lines that are not epoch
// seconds into epoch seconds, the form the detectors read: ISO 8601
// strings ("2026-01-01T00:00:00.123456Z", as Zeek writes them with
// LogAscii::json_timestamps=JSON::TS_ISO8601, and Corelight sensors by
// default) and integer milliseconds (JSON::TS_MILLIS and
// TS_MILLIS_UNSIGNED, for Elasticsearch: 1714557600500). A file's first
// line with a ts decides: when that is a number of seconds, no line is
// looked at again.
type isoTimes struct {
	decided, iso bool
	// millis: the file's times are integer milliseconds. Without the
	// log's types, its time fields are told by their names (millisTimes).
	millis bool
	rec    rec.Rec
	buf    []byte
}

// minMillisTS is the least ts read as milliseconds: 1e11 ms is 1973, 1e11
// s the year 5138.
const minMillisTS = 1e11

// toEpoch returns line with its top-level ISO 8601 string values, or its
// time fields in milliseconds, written as epoch seconds (line itself when
// it has none, or is not JSON).
func (c *isoTimes) toEpoch(line []byte) []byte {
	if c.decided && !c.iso && !c.millis {
		return line
	}
	if c.rec.Parse("", line) != nil { // jsonItems handed over JSON objects only
		return line
	}
	if !c.decided {
		ts, ok := c.rec.Raw("ts")
		if !ok {
			return line // a record without times (loaded_scripts in a stream of every log): the next decides
		}
		c.decided = true
		c.iso = ok && len(ts) > 0 && ts[0] == '"'
		if n, isInt := rec.Unsigned(ts); ok && isInt && !bytes.ContainsAny(ts, ".eE") && n >= minMillisTS {
			c.millis = true
		}
		if !c.iso && !c.millis {
			return line
		}
	}
	out, last := c.buf[:0], 0
	for _, f := range c.rec.Fields() {
		v := c.rec.Value(f)
		var ns int64
		var ok bool
		if c.millis {
			ns, ok = parseMillisTime(c.rec.Key(f), v)
		} else {
			ns, ok = parseISOTime(v)
		}
		if !ok {
			continue
		}
		off, end := c.rec.ValueSpan(f)
		out = append(out, line[last:off]...)
		out = record.AppendTime(out, ns)
		last = end
	}
	if last == 0 {
		return line
	}
	c.buf = append(out, line[last:]...)
	return c.buf
}

// parseMillisTime reads the value of a time field of Zeek's logs
// (millisTimes) written as an integer number of milliseconds, as Unix
// nanoseconds.
func parseMillisTime(key, v []byte) (int64, bool) {
	if !millisTimes(key) || bytes.ContainsAny(v, ".eE") {
		return 0, false
	}
	neg := len(v) > 0 && v[0] == '-' // a certificate valid from before 1970
	if neg {
		v = v[1:]
	}
	ms, ok := rec.Unsigned(v)
	if !ok || ms > math.MaxInt64/1_000_000 {
		return 0, false
	}
	if neg {
		return -int64(ms) * 1_000_000, true
	}
	return int64(ms) * 1_000_000, true
}

// millisTimes tells the fields of Zeek's logs (and Corelight's) whose type
// is time: ts everywhere, a certificate's validity (x509.log,
// known_certs.log), an SMB file's times (smb_files.log), a Kerberos
// ticket's (kerberos.log), an OCSP response's (ocsp.log), NTP's
// timestamps (ntp.log), a PE file's compile time (pe.log).
func millisTimes(key []byte) bool {
	switch string(key) {
	case "ts", "_write_ts",
		"certificate.not_valid_before", "certificate.not_valid_after", "not_valid_after",
		"times.modified", "times.accessed", "times.created", "times.changed",
		"from", "till", "thisUpdate", "nextUpdate", "revoketime",
		"ref_time", "org_time", "rec_time", "xmt_time", "compile_ts":
		return true
	}
	return false
}

// parseISOTime reads a quoted RFC 3339 time with a date, a 'T', a time
// and a zone ("2026-01-01T00:00:00.5Z", "…+01:00") as Unix nanoseconds.
func parseISOTime(v []byte) (int64, bool) {
	if len(v) < 22 || len(v) > 40 || v[0] != '"' || v[len(v)-1] != '"' || v[5] != '-' || v[8] != '-' || v[11] != 'T' {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(v[1:len(v)-1]))
	if err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}
