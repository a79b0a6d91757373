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
	"sync/atomic"
	"time"

	"github.com/vigil-nsm/vigil/internal/costs"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Logs written on every run, even when empty.
const (
	logConn  = "conn"
	logWeird = "weird"
)

// logHTTP is the http analyzer's log, whose records come with their
// fields located (RecordHTTP).
const logHTTP = "http"

// logConnLong holds live runs' records of connections still open (see
// flow.Config.LongDurations).
const logConnLong = "conn_long"

// chunk is a run of complete records of one producer in the order they
// were made, whatever their logs: buf holds their JSON lines, each ended
// by a newline (JSON lines hold no raw newline), and recs says which log
// each belongs to and where it ends, so that the writer takes them apart
// without scanning the lines. Consumers therefore see an application
// record before the conn record of its connection, as it was produced,
// not each log in turn.
type chunk struct {
	buf  []byte
	recs []chunkRec
	// Ordered runs (order.go): the producer, and whether the chunk
	// reports the producer's progress.
	prod        uint32
	progress    recTag
	hasProgress bool
	// once: records logged at most once per key and window (RecordOnce).
	once []onceMark
	// conns, https and syns: the conn and http records' and "_syn"
	// facts' decoded or located fields (typed.go).
	conns []typedConn
	https []typedHTTP
	syns  []typedSYN
	// alerts: alerts raised elsewhere (a Suricata EVE input's), each
	// at its place among the records (logSink.Alert).
	alerts []heldAlert
}

// heldAlert is an alert in a chunk: the rec-th record stands for it.
type heldAlert struct {
	rec int
	a   alert.Alert
}

// logAlert is the pseudo-log of the records that stand for alerts
// (logSink.Alert): a fact, never written, and not handed to consumers as
// a record.
const logAlert = "_alert"

// chunkRec is one record of a chunk: its log, the end of its line in the
// chunk's buf (past the newline) and, in ordered runs, its tag.
type chunkRec struct {
	tag recTag
	log string
	end int
}

const chunkSize = 64 << 10

// fileBufSize is each log file's write buffer: a few hundred writes for a
// run's tens of MB of logs, with 4× less memory touched than 1 MiB (a
// page fault per 4 KiB page cost more than the writes saved).
const fileBufSize = 256 << 10

// Consumer reads every record the analysis produces: each log line in the
// order written (log is the log's name, line one JSON object without the
// newline, valid only during the call), and the packet facts (logs named
// "_…", see facts.go), which are not written. Record is called from one
// goroutine. A run with one worker hands the lines on in batches, a few
// thousand records after they are written (consume.go); all are handed on
// before Run returns.
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

// Clocked is a Consumer whose state moves on with time, not only with
// the records it is handed: in a live run the writer calls Advance every
// flushEvery with the wall clock (Unix nanoseconds, the time base of a
// live capture's records), so that it writes what is due and lets state
// expire while the link is quiet. Offline runs never call it: record time
// alone drives them, and their outputs do not depend on how fast they run.
type Clocked interface {
	Consumer
	Advance(now int64)
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
	lastLog   string     // the log, and its file, written last
	lastFile  *logFile
	prevLog   string // the log, and its file, written before lastLog
	prevFile  *logFile
	files     map[string]*logFile
	in        chan chunk
	free      chan []byte
	err       error
	done      chan struct{}
	// flushEvery, when positive, flushes the files that often (a live
	// run's logs are read while it runs).
	flushEvery time.Duration
	// ordered: records are held and handed on in event order (order.go).
	ordered bool
	// inline: no goroutine; producers call write through send
	// (newInlineWriter).
	inline   bool
	progress []recTag    // each producer's
	queues   []heldQueue // each producer's held records
	// held is the bytes of the held records (hold, written), read by
	// the producers when a chunk fills; past maxHeld they make each
	// reader of sweepers (its nextSweepSeq) mark its progress at its
	// next frame (reader.markProgress).
	held     atomic.Int64
	heldPeak int64 // the most held at once (the writer's own)
	sweepers []*atomic.Uint64
	freeRecs chan []chunkRec
	// typedConns, typedHTTPs and typedSYNs keep the chunks' typed
	// records for reuse.
	typedConns slicePool[typedConn]
	typedHTTPs slicePool[typedHTTP]
	typedSYNs  slicePool[typedSYN]
	// consumerPanics counts the records a consumer panicked on (handTo).
	consumerPanics atomic.Uint64
	// batch: the records not yet handed to the consumers (consume.go),
	// of an inline writer or one with a consumer stage.
	batch *consumeBatch
	// stage: the consumers' own goroutine, where they have one
	// (stage.go); nil: they run in the writer's.
	stage   *consumerStage
	recent  onceFilter        // RecordOnce's memory
	dropped map[string]uint64 // RecordOnce's repeats not written, by log

	// sharedOf[i] is consumers[i] as a SharedConsumer (nil when it is
	// not one), asserted once (setConsumers) rather than for every line.
	sharedOf []SharedConsumer
	// typed: some consumer reads rec.Shared, so the producers hand the
	// conn and http records' fields decoded or located (typed.go); set
	// before they start.
	typed bool
	// costs, when set (Config.Costs), times each consumer's calls by
	// log; parts names the consumers in it.
	costs *costs.Table
	parts []string
}

// setConsumers makes cs the consumers every line is handed to.
func (w *writer) setConsumers(cs []Consumer) {
	w.consumers = cs
	w.sharedOf = make([]SharedConsumer, len(cs))
	w.typed = false
	for i, c := range cs {
		w.sharedOf[i], _ = c.(SharedConsumer)
		w.typed = w.typed || w.sharedOf[i] != nil
	}
}

// timeConsumers makes the writer time each consumer's calls by log
// (Summary.Costs).
func (w *writer) timeConsumers() {
	w.costs = &costs.Table{}
	w.parts = make([]string, len(w.consumers))
	for i, c := range w.consumers {
		w.parts[i] = partName(c)
	}
}

// partName names a consumer in Summary.Costs: its Name, or its type's
// package ("assets" for an *assets.Inventory).
func partName(c Consumer) string {
	if n, ok := c.(interface{ Name() string }); ok {
		return n.Name()
	}
	t := strings.TrimLeft(fmt.Sprintf("%T", c), "*")
	if pkg, _, ok := strings.Cut(t, "."); ok {
		return pkg
	}
	return t
}

// costEntries returns what timeConsumers timed (nil when it was not
// asked for).
func (w *writer) costEntries() []costs.Entry {
	if w.costs == nil {
		return nil
	}
	return w.costs.Entries()
}

type logFile struct {
	f *os.File
	w *bufio.Writer
}

// newWriter starts the writer of dir. An ordered writer hands records on
// in event order (order.go): every producer must report its progress
// (logSink.progress), or its records are held to the end.
func newWriter(dir string, consumers []Consumer, flushEvery time.Duration, ordered bool) (*writer, error) {
	w, err := openWriter(dir, consumers, flushEvery, ordered)
	if err != nil {
		return nil, err
	}
	w.startStage()
	go w.run()
	return w, nil
}

// newInlineWriter returns an ordered writer without a goroutine of its
// own, for producers that all run in one goroutine (one reader and its
// inline worker): handing it a chunk writes it then and there. A run on
// one core so spends nothing on waking the writer and reads each chunk
// while the producer's cache still holds it.
func newInlineWriter(dir string, consumers []Consumer) (*writer, error) {
	w, err := openWriter(dir, consumers, 0, true)
	if err != nil {
		return nil, err
	}
	w.inline = true
	return w, nil
}

// openWriter makes the writer of dir and creates its first logs.
func openWriter(dir string, consumers []Consumer, flushEvery time.Duration, ordered bool) (*writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("analyze: create output directory: %w", err)
	}
	w := &writer{dir: dir, files: map[string]*logFile{}, in: make(chan chunk, 64), free: make(chan []byte, 128),
		done: make(chan struct{}), flushEvery: flushEvery, ordered: ordered, freeRecs: make(chan []chunkRec, 128),
		typedConns: newSlicePool[typedConn](128), typedHTTPs: newSlicePool[typedHTTP](128),
		typedSYNs: newSlicePool[typedSYN](128)}
	w.setConsumers(consumers)
	for _, name := range []string{logConn, logWeird} {
		if _, err := w.file(name); err != nil {
			w.closeFiles()
			return nil, err
		}
	}
	return w, nil
}

// send hands a producer's chunk to the writer.
func (w *writer) send(c chunk) {
	if w.inline {
		w.write(c)
		return
	}
	w.in <- c
}

// file returns the open file of a log, creating it on first use.
func (w *writer) file(name string) (*logFile, error) {
	if lf, ok := w.files[name]; ok {
		return lf, nil
	}
	if !plainLogName(name) {
		return nil, fmt.Errorf("analyze: refusing to write a log named %q (letters, digits, _ and - only)", name)
	}
	if derivedLogs[name] {
		return nil, fmt.Errorf("analyze: refusing to write records as %s.log, which the understanding stage writes", name)
	}
	f, err := os.Create(filepath.Join(w.dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("analyze: create %s.log: %w", name, err)
	}
	lf := &logFile{f: f, w: bufio.NewWriterSize(f, fileBufSize)}
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
		case now := <-t.C:
			w.tick(now.UnixNano())
			w.flushFiles()
		}
	}
}

// tick hands the clock to the consumers that keep time, after the
// records held for them.
func (w *writer) tick(now int64) { w.behindHeld(stageItem{now: now}) }

// advance hands the clock to the consumers that keep time (Clocked).
func (w *writer) advance(now int64) {
	for _, c := range w.consumers {
		if cl, ok := c.(Clocked); ok {
			cl.Advance(now)
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

// write hands each record of c to the consumers and appends it to its
// log (facts are not written).
func (w *writer) write(c chunk) {
	if w.ordered {
		w.hold(c)
		return
	}
	extras := c.extras()
	start := 0
	for i := range c.recs {
		r := &c.recs[i]
		w.emit(r.log, c.buf[start:r.end], extras.at(i))
		start = r.end
	}
	w.recycle(c.buf)
	w.recycleTyped(c.conns, c.https, c.syns)
	w.recycleRecs(c.recs)
}

// recycleTyped offers a chunk's typed records, all written, for reuse.
func (w *writer) recycleTyped(conns []typedConn, https []typedHTTP, syns []typedSYN) {
	w.typedConns.put(conns)
	w.typedHTTPs.put(https)
	w.typedSYNs.put(syns)
}

// recExtras is what comes with a record of a chunk besides its line.
type recExtras struct {
	once  *onceMark    // logged at most once per key (RecordOnce)
	conn  *typedConn   // a conn record's fields, decoded
	http  *rec.HTTP    // an http record's fields, located
	syn   *rec.SYN     // a "_syn" fact's fields
	alert *alert.Alert // the alert the record stands for (logAlert)
}

// chunkExtras walks a chunk's once marks and typed fields along its
// records (each list in record order).
type chunkExtras struct {
	once   []onceMark
	conns  []typedConn
	https  []typedHTTP
	syns   []typedSYN
	alerts []heldAlert
}

func (c *chunk) extras() chunkExtras {
	return chunkExtras{c.once, c.conns, c.https, c.syns, c.alerts}
}

// at returns what comes with the chunk's i-th record; i goes up by one
// from 0 from call to call.
func (e *chunkExtras) at(i int) (x recExtras) {
	if len(e.once) > 0 && e.once[0].rec == i {
		x.once, e.once = &e.once[0], e.once[1:]
	}
	if len(e.conns) > 0 && e.conns[0].rec == i {
		x.conn, e.conns = &e.conns[0], e.conns[1:]
	}
	if len(e.https) > 0 && e.https[0].rec == i {
		x.http, e.https = &e.https[0].fields, e.https[1:]
	}
	if len(e.syns) > 0 && e.syns[0].rec == i {
		x.syn, e.syns = &e.syns[0].fields, e.syns[1:]
	}
	if len(e.alerts) > 0 && e.alerts[0].rec == i {
		x.alert, e.alerts = &e.alerts[0].a, e.alerts[1:]
	}
	return x
}

// emit hands one record (its line with the newline) to the consumers and
// appends it to its log (facts are not written); a RecordOnce repeat is
// dropped.
func (w *writer) emit(log string, line []byte, x recExtras) {
	if x.alert != nil {
		w.addAlert(*x.alert)
		return
	}
	if x.once != nil && w.recent.seen(x.once) {
		w.drop(log)
		return
	}
	w.consume(log, line[:len(line)-1], x)
	if !isFact(log) {
		w.writeLine(log, line)
	}
}

// writeLine appends one line (newline included) to log's file.
func (w *writer) writeLine(log string, line []byte) {
	if w.err != nil {
		return
	}
	lf := w.lastFile
	if log != w.lastLog || lf == nil {
		// Records of two logs often alternate (an application record,
		// then its conn record): the one before the last is kept too.
		if lf = w.prevFile; log != w.prevLog || lf == nil {
			var err error
			if lf, err = w.file(log); err != nil {
				w.err = err
				return
			}
		}
		w.prevLog, w.prevFile = w.lastLog, w.lastFile
		w.lastLog, w.lastFile = log, lf
	}
	if _, err := lf.w.Write(line); err != nil {
		w.err = fmt.Errorf("analyze: write %s.log: %w", log, err)
	}
}

// consume hands one line to the consumers, with the fields its producer
// decoded or located (x), when it has them.
func (w *writer) consume(log string, line []byte, x recExtras) {
	if len(w.consumers) == 0 {
		return
	}
	if (w.inline || w.stage != nil) && consumeBatchRecs > 1 {
		w.holdForConsumers(log, line, x)
		return
	}
	w.hand(log, line, x)
}

// addAlert hands an alert raised elsewhere to the consumers that take
// alerts (AlertAdder), after the records before it; like a record, one
// that panics on it is counted and the run goes on.
func (w *writer) addAlert(a alert.Alert) { w.behindHeld(stageItem{alert: &a}) }

// giveAlert is addAlert in the consumers' goroutine.
func (w *writer) giveAlert(a alert.Alert) {
	for _, c := range w.consumers {
		if adder, ok := c.(AlertAdder); ok {
			func() {
				defer func() {
					if r := recover(); r != nil {
						w.consumerPanics.Add(1)
					}
				}()
				adder.Add(a)
			}()
		}
	}
}

// hand hands one record to every consumer, through w.shared with the
// fields its producer decoded or located (x) when it has them.
func (w *writer) hand(log string, line []byte, x recExtras) {
	switch {
	case x.conn != nil:
		w.shared.ResetConn(log, line, x.conn.decoded(line))
	case x.http != nil:
		w.shared.ResetHTTP(log, line, x.http)
	case x.syn != nil:
		w.shared.ResetSYN(log, line, x.syn)
	default:
		w.shared.Reset(log, line)
	}
	for i := range w.consumers {
		w.handTo(i, log, line)
	}
}

// handTo hands the record to consumer i. A consumer that panics on it is
// counted (Summary.InternalErrs) and handed the next records as before:
// its panic must not unwind the writer, whose release of held records it
// would cut short (the records not yet released were then written again),
// nor, in a writer with a goroutine of its own, end the process.
func (w *writer) handTo(i int, log string, line []byte) {
	defer func() {
		if r := recover(); r != nil {
			w.consumerPanics.Add(1)
		}
	}()
	if w.costs != nil {
		defer w.costs.Since(w.parts[i], log, time.Now())
	}
	if sc := w.sharedOf[i]; sc != nil {
		sc.RecordShared(&w.shared)
	} else {
		w.consumers[i].Record(log, line)
	}
}

// recycle offers a written chunk buffer for reuse.
func (w *writer) recycle(b []byte) {
	if cap(b) == 0 {
		return
	}
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
	if !w.inline {
		close(w.in)
		<-w.done
	}
	if w.ordered {
		w.release(doneTag) // producers that did not finish: what they made
	}
	w.passHeld()
	w.stage.close()
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

// logSink encodes records of one producer goroutine into one chunk, in
// the order they are made, and hands full chunks to the writer. It
// implements flow.Emitter.
type logSink struct {
	w     *writer
	buf   []byte // the pending chunk
	stats *hostStats
	weird record.Weird
	// recs are the pending chunk's records; tag is the next one's (its
	// fields but idx are set in ordered runs only).
	recs []chunkRec
	tag  recTag
	// once marks the pending records that are logged at most once per
	// key (RecordOnce); conns, https and syns hold the conn and http
	// records' and "_syn" facts' fields when the writer has consumers
	// (typed).
	once   []onceMark
	conns  []typedConn
	https  []typedHTTP
	syns   []typedSYN
	alerts []heldAlert
	// pending is progress not yet reported (hasPending), quiet the sweeps
	// since the last report.
	pending    recTag
	hasPending bool
	quiet      int
}

// newLogSink returns a producer's sink (w may be nil: no records kept).
func newLogSink(w *writer, stats *hostStats) *logSink {
	s := &logSink{w: w, stats: stats}
	if w != nil && w.ordered {
		s.tag.prod = uint32(len(w.progress))
		w.progress = append(w.progress, recTag{})
	}
	return s
}

// Conn implements flow.Emitter.
func (s *logSink) Conn(c *record.Conn) {
	s.stats.addConn(c)
	if s.w == nil {
		return
	}
	b := s.start(logConn)
	if !s.w.typed {
		s.append(record.AppendConnJSON(b, c))
		return
	}
	at := len(b)
	b, spans := record.AppendConnJSONSpans(b, c)
	// start listed the record: it is the chunk's last.
	if s.conns == nil {
		s.conns = s.w.typedConns.get()
	}
	s.conns = append(s.conns, newTypedConn(len(s.recs)-1, c, b[at:], spans))
	s.append(b)
}

// ConnLong implements flow.LongEmitter: a connection still open, as it
// stands, to conn_long.log (live runs; not counted in the summary, which
// counts the connection when it ends).
func (s *logSink) ConnLong(c *record.Conn) {
	if s.w == nil {
		return
	}
	s.append(record.AppendConnJSON(s.start(logConnLong), c))
}

// Weird implements flow.Emitter.
func (s *logSink) Weird(wr *record.Weird) {
	if s.w == nil {
		return
	}
	s.append(record.AppendWeirdJSON(s.start(logWeird), wr))
}

// anomaly logs a decoder anomaly as a weird record.
func (s *logSink) anomaly(ts int64, uid string, d *decode.Datagram, a decode.Anomaly) {
	s.setAnomaly(ts, uid, d, a)
	s.Weird(&s.weird)
}

// anomalyOnce is anomaly unless the writer wrote one of the same key less
// than window before (weirdOnce).
func (s *logSink) anomalyOnce(ts int64, uid string, d *decode.Datagram, a decode.Anomaly, key string, window int64) {
	if s.w == nil {
		return
	}
	s.setAnomaly(ts, uid, d, a)
	s.weirdOnce(key, window)
}

// setAnomaly makes s.weird the weird record of a decoder anomaly.
func (s *logSink) setAnomaly(ts int64, uid string, d *decode.Datagram, a decode.Anomaly) {
	wr := &s.weird
	*wr = record.Weird{TS: ts, UID: uid, Name: a.Kind.String(), Source: "vigil"}
	if a.Detail != 0 && a.Kind.WeirdAddl() {
		wr.Addl = strconv.FormatUint(uint64(a.Detail), 10)
	}
	if d != nil && d.Version != 0 {
		wr.HasConn = true
		wr.OrigH, wr.RespH = d.Src, d.Dst
		wr.OrigP, wr.RespP = d.SrcPort, d.DstPort
	}
}

// perOrigWindow is how long a weird logged once per originator (Zeek's
// ACTION_LOG_PER_ORIG: the checksum weirds) is not logged again: a day.
const perOrigWindow = 24 * int64(time.Hour)

// checksumWeird logs a datagram of connection uid that the flow table
// dropped for its transport checksum (not Counted) as Zeek does:
// bad_TCP_checksum, bad_UDP_checksum or bad_ICMP_checksum with the
// connection's uid and id, once per originator and name a day, decided
// in record order by the writer.
func (s *logSink) checksumWeird(ts int64, uid flow.UID, in *flow.Input) {
	origH, respH, origP, respP, ok := in.ConnID()
	if !ok || s.w == nil {
		return
	}
	name, source := "bad_TCP_checksum", "TCP"
	switch in.D.Proto {
	case decode.ProtoUDP:
		name, source = "bad_UDP_checksum", "UDP"
	case decode.ProtoICMP, decode.ProtoICMPv6:
		name, source = "bad_ICMP_checksum", "ICMP"
	}
	s.weird = record.Weird{TS: ts, UID: uid.String(), HasConn: true, OrigH: origH, RespH: respH, OrigP: origP, RespP: respP,
		Name: name, Source: source}
	s.weirdOnce(name+" "+origH.String(), perOrigWindow)
}

// weirdOnce logs s.weird unless the writer wrote one of the same key less
// than window before it (Zeek's weird framework: a weird is logged once
// per connection, originator or name in a while), deciding in record
// order, so that the log does not depend on which worker saw it first.
func (s *logSink) weirdOnce(key string, window int64) {
	s.once = append(s.once, onceMark{rec: len(s.recs), key: "weird " + key, ts: s.weird.TS, window: window})
	s.Weird(&s.weird)
}

// connWeirdOnce logs weird name, seen by source, of connection uid (its
// id given), unless the writer wrote it for the connection less than
// repeatWindow before.
func (s *logSink) connWeirdOnce(ts int64, uid flow.UID, origH, respH netip.Addr, origP, respP uint16, name, source string) {
	if s.w == nil {
		return
	}
	u := uid.String()
	s.weird = record.Weird{TS: ts, UID: u, HasConn: true, OrigH: origH, RespH: respH, OrigP: origP, RespP: respP,
		Name: name, Source: source}
	s.weirdOnce(name+" "+u, repeatWindow)
}

// repeatWindow is how long Zeek leaves a weird of the same name and
// connection (or of no connection) unlogged after logging it
// (Weird::weird_ignore's expiry): ten minutes.
const repeatWindow = 10 * int64(time.Minute)

// netWeirdOnce logs weird name, seen by source, that belongs to no
// connection (no uid, no id), unless one of the name was logged less than
// repeatWindow before: decided in record order by the writer.
func (s *logSink) netWeirdOnce(ts int64, name, addl, source string) {
	if s.w == nil {
		return
	}
	s.weird = record.Weird{TS: ts, Name: name, Addl: addl, Source: source}
	s.weirdOnce(name, repeatWindow)
}

// perSourceWeird logs a flow weird (no connection: no uid, ports 0) from
// src to dst once per source and name a day (Zeek's ACTION_LOG_PER_ORIG),
// decided in record order by the writer.
func (s *logSink) perSourceWeird(ts int64, src, dst netip.Addr, name, source string) {
	if s.w == nil {
		return
	}
	s.weird = record.Weird{TS: ts, HasConn: true, OrigH: src, RespH: dst, Name: name, Source: source}
	s.weirdOnce(name+" "+src.String(), perOrigWindow)
}

// netAnomaly logs an anomaly that belongs to no connection.
func (s *logSink) netAnomaly(ts int64, src, dst netip.Addr, a decode.Anomaly) {
	wr := &s.weird
	*wr = record.Weird{TS: ts, Name: a.Kind.String(), Source: "vigil"}
	if a.Detail != 0 && a.Kind.WeirdAddl() {
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
	if !isFact(log) && log != logWeird { // an analyzer's weird is no record
		s.stats.addRecord(log)
	}
	if s.w == nil {
		return
	}
	b := append(s.start(log), line...)
	if bytes.IndexByte(line, '\n') >= 0 { // JSON allows it only as white space
		for i := len(b) - len(line); i < len(b); i++ {
			if b[i] == '\n' {
				b[i] = ' '
			}
		}
	}
	s.append(b)
}

// Alert hands an alert raised elsewhere (a Suricata EVE input's) to the
// consumers that take alerts, in its place among the records: through
// the writer, so that they get it in their own goroutine, after the
// records sent before it.
func (s *logSink) Alert(a alert.Alert) {
	if s.w == nil {
		return
	}
	s.alerts = append(s.alerts, heldAlert{rec: len(s.recs), a: a})
	s.append(s.start(logAlert))
}

// RecordHTTP implements proto.HTTPSink: an http record, with its
// fields located for the consumers when some read them (typed).
func (s *logSink) RecordHTTP(line []byte, h *rec.HTTP) {
	if s.w != nil && s.w.typed {
		if s.https == nil {
			s.https = s.w.typedHTTPs.get()
		}
		s.https = append(s.https, typedHTTP{rec: len(s.recs), fields: *h})
	}
	s.Record(logHTTP, line)
}

// RecordSYN records a "_syn" fact, with its fields for the consumers
// when some read them (typed).
func (s *logSink) RecordSYN(line []byte, y *rec.SYN) {
	if s.w != nil && s.w.typed {
		if s.syns == nil {
			s.syns = s.w.typedSYNs.get()
		}
		s.syns = append(s.syns, typedSYN{rec: len(s.recs), fields: *y})
	}
	s.Record(factSYN, line)
}

// start begins a record of log in the pending chunk and returns the
// chunk, to append the record's JSON line to.
func (s *logSink) start(log string) []byte {
	if s.buf == nil {
		s.buf = s.w.getBuf()
	}
	if s.w.ordered {
		s.tag.idx++
	}
	s.recs = append(s.recs, chunkRec{tag: s.tag, log: log})
	return s.buf
}

// append stores b (the chunk with one more record) and sends it when full.
// An ordered writer that then holds more than maxHeld gets a progress mark.
func (s *logSink) append(b []byte) {
	b = append(b, '\n')
	s.recs[len(s.recs)-1].end = len(b)
	if len(b) >= chunkSize {
		s.w.send(s.take(b))
		b = s.w.getBuf()
		if s.w.ordered && s.w.pressed() {
			s.w.markSoon()
		}
	}
	s.buf = b
}

// take returns the pending chunk made of buf, and starts a new one.
func (s *logSink) take(buf []byte) chunk {
	c := chunk{buf: buf, recs: s.recs, prod: s.tag.prod, once: s.once, conns: s.conns, https: s.https,
		syns: s.syns, alerts: s.alerts, progress: s.pending, hasProgress: s.hasPending}
	s.recs, s.once, s.conns, s.https, s.syns, s.alerts = s.w.getRecs(), nil, nil, nil, nil, nil
	s.hasPending, s.quiet = false, 0
	return c
}

// flush hands the partial chunk to the writer.
func (s *logSink) flush() {
	if s.w == nil || len(s.buf) == 0 {
		return
	}
	s.w.send(s.take(s.buf))
	s.buf = s.w.getBuf()
}

// plainLogName tells whether name can name a log, and so a file in the
// output directory: 1 to 64 ASCII letters, digits, '_' and '-' (Zeek's
// "dce_rpc", "x509", Vigil's "_arp"), no path, no separator of the
// writer's chunks.
func plainLogName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// maxHeld bounds the bytes an ordered writer holds (records and their
// entries) before it asks for a progress mark: records are held until
// every producer has reported its progress, which it does when a sweep
// passes, and sweepFrames alone would bound them by frames, not by bytes
// (a frame can carry thousands of pipelined requests). A variable for
// tests.
var maxHeld int64 = 32 << 20

// pressed reports whether the writer holds more than maxHeld.
func (w *writer) pressed() bool { return w.held.Load() >= maxHeld }

// markSoon makes every reader mark its progress at its next frame
// (reader.markProgress), so that the producers report their progress and
// the writer releases what it holds.
func (w *writer) markSoon() {
	for _, next := range w.sweepers {
		next.Store(0)
	}
}
