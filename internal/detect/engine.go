package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-nsm/vigil/internal/costs"
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/incident"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Output says where the engine writes.
type Output struct {
	// Dir receives alerts.log and incidents.log ("" writes nothing: tests
	// and callers of Alerts).
	Dir string
	// EVE is the path of the EVE (eve.json) export; "" for none.
	EVE string
	// Records, when set, also receives each alert and incident line as it
	// is written (logs "alerts" and "incidents"): a server stores them
	// while a long run goes on.
	Records interface{ Record(log string, line []byte) }
	// IncidentUpdates writes an incident again, under the same id, each
	// time an alert joins it, not only when it ends (an hour after its last
	// alert): a live run's incidents.log, store and dashboard see it as it
	// grows; the last line of an id is its state.
	IncidentUpdates bool
	// State is the state file of the detectors whose memory spans hours
	// or days (Persistent; state.go): loaded by New, saved at Close and
	// periodically in a live run. Its zero value keeps no state.
	State StateFile
}

// MaxKept bounds the alerts Alerts returns (the latest are kept), so a
// run that goes on for weeks does not grow without bound.
const MaxKept = 100_000

// Stats counts what the engine did.
type Stats struct {
	Records     uint64            // records handed to Record
	Parsed      uint64            // records parsed (some detector reads the log)
	ParseErrors uint64            // records that were not JSON objects
	Detections  uint64            // alerts emitted by detectors (before merging)
	Suppressed  uint64            // alerts dropped by the allowlist
	Alerts      uint64            // alerts written (merged episodes)
	Incidents   uint64            // incidents written
	ByClass     map[string]uint64 // alerts written per class
	// Problems are the detectors' problems (Reporter), "name: problem".
	Problems []string
	// SiteHints say when the internal networks seem not to fit the
	// traffic (siteCheck).
	SiteHints []string
}

// Engine runs the detectors over records and writes alerts.
type Engine struct {
	cfg       Config
	out       Output
	internal  *netset.Set // shared by the detectors; grows with AddInternal
	site      siteCheck
	detectors []Detector
	subs      map[string][]Detector
	recent    [recentLogs]logSubs // the subscribers of logs seen lately
	lastHit   int                 // the entry of recent answered last
	nextKept  int                 // the entry of recent replaced next
	line      rec.Shared          // a line given to Record
	emitFn    alert.Emit          // e.emit, made once: a method value passed on allocates
	costs     *costs.Table        // the detectors' calls timed (TimeDetectors), or nil

	clock     float64 // newest record time seen (at most maxAhead past wall)
	wall      float64 // the wall clock Advance last gave; +Inf before (offline)
	lastFlush float64

	open     map[string]*episode
	written  []alert.Alert
	corr     *incident.Correlator
	allowSrc *netset.Set
	allowDst *netset.Set
	allowDom map[string]bool
	allowCls map[string]bool

	alertsW, eveW, incW *record.Writer
	stats               Stats
	closed              bool

	// stateSaved is the wall time (Unix ns, Advance's clock) of the last
	// periodic save of the state file; stateIdle is held while a save is
	// written in the background.
	stateSaved int64
	stateIdle  sync.Mutex
	// saveFailures counts the periodic saves that failed in a row
	// (periodicSaved; guarded by stateIdle).
	saveFailures int
	// releaseState releases the state file's lock (nil: none held).
	releaseState func()
	// restoredUntil is the record time of the state loaded (LoadState),
	// to be checked against the new input's first time (checkRestored)
	// while checkState is set.
	restoredUntil float64
	checkState    bool
	// endReported are the alerts that the run whose state was loaded
	// reported at its end (endSection): not reported again.
	endReported map[uint64]struct{}
}

type episode struct {
	a      alert.Alert
	opened float64 // engine clock when the episode opened
	seen   float64 // engine clock at its last detection
}

// New builds the engine and its detectors and creates the output files.
// It does no other work.
func New(cfg Config, out Output) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	internal, _ := netset.Parse(cfg.InternalNetworks)
	e := &Engine{cfg: cfg, out: out, internal: internal, subs: map[string][]Detector{}, open: map[string]*episode{},
		corr: incident.New(cfg.incidents()), allowDom: map[string]bool{}, allowCls: map[string]bool{},
		clock: math.Inf(-1), wall: math.Inf(1), lastFlush: math.Inf(-1), stats: Stats{ByClass: map[string]uint64{}}}
	e.emitFn = e.emit
	e.allowSrc, _ = netset.Parse(cfg.Allow.Sources)
	e.allowDst, _ = netset.Parse(cfg.Allow.Destinations)
	for _, d := range cfg.Allow.Domains {
		e.allowDom[strings.ToLower(strings.TrimSuffix(d, "."))] = true
	}
	for _, c := range cfg.Allow.Classes {
		e.allowCls[c] = true
	}
	names := domain.NewNames()
	for _, f := range registry {
		if !f.Enabled(&e.cfg) {
			continue
		}
		d, err := f.New(&e.cfg, internal)
		if err != nil {
			return nil, fmt.Errorf("detect: detector %s: %w", f.Name, err)
		}
		if r, ok := d.(Refresher); ok {
			r.SetRefresh(e.cfg.Aggregate.Quiet / 2)
		}
		if n, ok := d.(NameSharer); ok {
			n.ShareNames(names)
		}
		e.detectors = append(e.detectors, d)
		for _, log := range d.Logs() {
			e.subs[log] = append(e.subs[log], d)
		}
	}
	if err := e.openOutputs(out); err != nil {
		e.closeFiles()
		return nil, err
	}
	if out.State.Path != "" {
		e.openStateFile()
	}
	return e, nil
}

func (e *Engine) openOutputs(out Output) error {
	var err error
	if out.Dir != "" {
		if err = os.MkdirAll(out.Dir, 0o755); err != nil {
			return fmt.Errorf("detect: output dir: %w", err)
		}
		if e.alertsW, err = record.NewWriter(filepath.Join(out.Dir, "alerts.log")); err != nil {
			return fmt.Errorf("detect: %w", err)
		}
		if e.incW, err = record.NewWriter(filepath.Join(out.Dir, "incidents.log")); err != nil {
			return fmt.Errorf("detect: %w", err)
		}
	}
	if out.EVE != "" {
		if e.eveW, err = record.NewWriter(out.EVE); err != nil {
			return fmt.Errorf("detect: eve export: %w", err)
		}
	}
	return nil
}

// Detectors returns the names of the detectors running.
func (e *Engine) Detectors() []string {
	out := make([]string, len(e.detectors))
	for i, d := range e.detectors {
		out[i] = d.Name()
	}
	return out
}

// Logs returns the logs some detector reads (the others need not be given
// to Record).
func (e *Engine) Logs() []string {
	return alert.SortedKeys(e.subs)
}

// Record hands one log line (one JSON object without newline) of log to
// the detectors reading it. Lines of logs no detector reads cost a map
// lookup. Not safe for concurrent use.
func (e *Engine) Record(log string, line []byte) {
	e.line.Reset(log, line)
	e.RecordShared(&e.line)
}

// RecordShared is Record for a line other consumers may read too (it is
// parsed once for all of them).
func (e *Engine) RecordShared(s *rec.Shared) {
	e.stats.Records++
	subs := e.subscribers(s.Log)
	if len(subs) == 0 {
		return
	}
	r, err := s.Rec()
	if err != nil {
		e.stats.ParseErrors++
		return
	}
	e.stats.Parsed++
	if s.Log == "conn" {
		e.site.note(r, e.internal)
	}
	if e.checkState {
		e.checkRestored(recordEnd(r))
	}
	e.observe(recordTime(r))
	if e.costs != nil {
		e.handleTimed(subs, r, s.Log)
	} else {
		for _, d := range subs {
			d.Handle(r, e.emitFn)
		}
	}
	if e.clock-e.lastFlush >= e.cfg.FlushEvery {
		e.flushAt(e.clock)
	}
}

// TimeDetectors makes the engine time each detector's calls by log, and
// its flushes (Costs). Same goroutine as Record.
func (e *Engine) TimeDetectors() { e.costs = &costs.Table{} }

// Costs returns each detector's time on each log's records and on its
// flushes ("detect/scan", "conn" …), the costliest first; nil unless
// TimeDetectors was called.
func (e *Engine) Costs() []costs.Entry {
	if e.costs == nil {
		return nil
	}
	out := e.costs.Entries()
	for i := range out {
		out[i].Part = "detect/" + out[i].Part
	}
	return out
}

// handleTimed is RecordShared's hand-over to the detectors, each call
// timed.
func (e *Engine) handleTimed(subs []Detector, r *rec.Rec, log string) {
	for _, d := range subs {
		start := time.Now()
		d.Handle(r, e.emitFn)
		e.costs.Since(d.Name(), log, start)
	}
}

// logSubs is one log's subscribers (the zero value is right for log "",
// which no detector reads).
type logSubs struct {
	log  string
	subs []Detector
}

// recentLogs is how many logs' subscribers the engine keeps at hand:
// records of several logs (conn, http, dns, ssl …) interleave.
const recentLogs = 8

// subscribers returns the detectors reading log. Records of a few logs
// interleave, and the writer interns the logs' names, so the answers for
// the latest logs are kept: comparing names then costs little, and the map
// is looked up only for a log not seen lately (it replaces the oldest
// kept).
func (e *Engine) subscribers(log string) []Detector {
	if k := &e.recent[e.lastHit]; k.log == log {
		return k.subs
	}
	for i := range e.recent {
		if e.recent[i].log == log {
			e.lastHit = i
			return e.recent[i].subs
		}
	}
	i := e.nextKept
	e.nextKept = (i + 1) % recentLogs
	e.recent[i], e.lastHit = logSubs{log: log, subs: e.subs[log]}, i
	return e.recent[i].subs
}

// recordTime is the record's ts. A conn record's comes with the
// connection fields (Rec.Conn) that the conn detectors decode anyway.
func recordTime(r *rec.Rec) float64 {
	if r.Log == "conn" {
		return r.Conn().TS
	}
	return r.TS()
}

// maxAhead is how far (s) a live run's record times may run ahead of its
// wall clock (Advance): records are stamped by the same clock and come
// after their packets, so a record further ahead was stamped before the
// clock stepped back (NTP correcting a clock that ran ahead), and a wall
// clock further behind the engine's is such a step.
const maxAhead = 300

// observe moves the engine's clock on to record time ts; in a live run
// not past maxAhead beyond the wall clock, so that records stamped before
// the clock stepped back do not hold the engine ahead of the wall clock
// (and then end, as idle, what records after the step began).
func (e *Engine) observe(ts float64) {
	if e.checkState {
		e.checkRestored(ts)
	}
	if ts > e.clock {
		e.clock = min(ts, e.wall+maxAhead)
	}
}

// Flush lets state expire up to now (Unix nanoseconds), for a streaming
// caller whose records have stopped for a while; the engine also flushes by
// itself as record time advances.
func (e *Engine) Flush(now int64) {
	t := float64(now) / 1e9
	if e.checkState {
		e.checkRestored(t)
	}
	if t > e.clock {
		e.clock = t
	}
	e.flushAt(e.clock)
}

// Advance moves the engine's clock on to now (Unix nanoseconds) and
// flushes when FlushEvery has passed since the last flush, as records do,
// then writes out what its files buffer: a live run's writer calls it
// every second (analyze.Clocked), so that episodes that went quiet are
// written, and state expires, while the link is quiet, and so that their
// lines reach alerts.log, incidents.log and EVE then. A clock a little
// behind the records' moves nothing; one more than maxAhead behind is a
// clock that stepped back (stepBack).
func (e *Engine) Advance(now int64) {
	t := float64(now) / 1e9
	if e.checkState {
		e.checkRestored(t)
	}
	if t < e.clock-maxAhead {
		e.stepBack(t)
	}
	if e.wall = t; t > e.clock {
		e.clock = t
		if e.clock-e.lastFlush >= e.cfg.FlushEvery {
			e.flushAt(e.clock)
		}
	}
	for _, w := range []*record.Writer{e.alertsW, e.eveW, e.incW} {
		if w != nil {
			_ = w.Flush()
		}
	}
	if st := &e.out.State; st.Path != "" && st.Every > 0 {
		switch {
		case e.stateSaved == 0:
			e.stateSaved = now // the first tick: a period from now
		case now-e.stateSaved >= int64(st.Every) || now < e.stateSaved:
			e.stateSaved = now
			e.saveStateLater(time.Unix(0, now))
		}
	}
}

// stepBack moves the engine's clock back to the wall clock t, which
// stepped back: the engine would otherwise write no episode and let no
// state expire until the clock caught up again (for as long as the step).
// Open episodes count as seen at t at the latest, so they are written a
// quiet time from now; detector state stamped before the step waits for
// its own times (bounded as always), what begins after it is judged at
// the new time.
func (e *Engine) stepBack(t float64) {
	e.clock = t
	for _, ep := range e.open {
		ep.seen, ep.opened = min(ep.seen, t), min(ep.opened, t)
	}
	e.flushAt(t)
}

func (e *Engine) flushAt(now float64) {
	e.lastFlush = now
	for _, d := range e.detectors {
		e.costs.Time(d.Name(), "flush", func() { d.Flush(now, e.emitFn) })
	}
	e.writeDue(now)
	for _, inc := range e.corr.Flush(now) {
		e.writeIncident(inc)
	}
}

// AddInternal makes prefix part of the monitored site from now on (every
// detector shares the set): prefixes learned from the link, such as the
// IPv6 prefixes the legitimate router advertises. Same goroutine as
// Record.
func (e *Engine) AddInternal(prefix string) error {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return fmt.Errorf("detect: internal network: %w", err)
	}
	if e.internal.Contains(p.Masked().Addr()) {
		return nil
	}
	return e.internal.Add(prefix)
}

// Add takes an alert raised outside the engine's detectors (the IPv6
// monitor, the asset inventory): it is aggregated, written and correlated
// into incidents like the engine's own. It reports false when the
// allowlist drops it (as it will drop it again). Same goroutine as Record.
func (e *Engine) Add(a alert.Alert) bool {
	e.observe(a.TS)
	return e.take(a)
}

// Touch tells the engine that the behaviour of the open episode keyed key
// (an alert's Key) happened again at ts, in connection uid ("" for none):
// the episode stays open, spans ts and names uid. It reports false,
// changing nothing, when no such episode is open (none began, it was
// written, or its alert was allowlisted): the caller then Adds a new
// alert. Outside detectors use it to keep one episode for a finding that
// recurs without building an alert each time. Same goroutine as Record.
func (e *Engine) Touch(key string, ts float64, uid string) bool {
	ep, ok := e.open[key]
	if !ok {
		return false
	}
	e.observe(ts)
	if e.due(ep, e.clock) { // it ended before this: written as a flush would
		delete(e.open, key)
		e.writeAlert(ep.a)
		return false
	}
	ep.seen = e.clock
	if ts < ep.a.TS {
		ep.a.TS = ts
	}
	if ts > ep.a.End() {
		ep.a.TSEnd = ts
	}
	if uid != "" && len(ep.a.UIDs) < alert.MaxUIDs && !slices.Contains(ep.a.UIDs, uid) {
		ep.a.UIDs = append(ep.a.UIDs, uid)
	}
	return true
}

// Refresh gives the open episode of a's Key a's newer description (summary,
// act, evidence, uids and end), counting no detection; it does nothing when
// no such episode is open. Same goroutine as Record.
func (e *Engine) Refresh(a alert.Alert) {
	a.Fill()
	ep, ok := e.open[a.Key()]
	if !ok {
		return
	}
	ep.a.Summary, ep.a.Act, ep.a.Evidence, ep.a.UIDs = a.Summary, a.Act, a.Evidence, a.UIDs
	if end := a.End(); end > ep.a.End() {
		ep.a.TSEnd = end
	}
}

// Withdraw forgets the open episode keyed key without writing it (an
// outside detector replaced its finding with a more telling one).
func (e *Engine) Withdraw(key string) { delete(e.open, key) }

// emit receives a detector's alert: allowlisted ones are dropped, the rest
// merged into their episode.
func (e *Engine) emit(a alert.Alert) {
	if e.endReported != nil {
		if _, again := e.endReported[endFingerprint(a)]; again {
			return // reported at the end of the last input
		}
	}
	e.take(a)
}

// take is emit, reporting false when the allowlist dropped the alert.
func (e *Engine) take(a alert.Alert) bool {
	e.stats.Detections++
	a.Fill()
	if e.allowed(&a) {
		e.stats.Suppressed++
		return false
	}
	now, key := e.clock, a.Key()
	if ep, ok := e.open[key]; ok {
		ep.a.Merge(a)
		ep.seen = now
		return true
	}
	a.Count = max(a.Count, 1)
	e.open[key] = &episode{a: a, opened: now, seen: now}
	return true
}

func (e *Engine) allowed(a *alert.Alert) bool {
	if e.allowCls[a.Class] {
		return true
	}
	if e.allowSrc.Len() > 0 && a.Src != "" && e.allowSrc.Contains(rec.ParseAddr([]byte(a.Src))) {
		return true
	}
	if e.allowDst.Len() > 0 && a.Dst != "" && e.allowDst.Contains(rec.ParseAddr([]byte(a.Dst))) {
		return true
	}
	for name := strings.ToLower(a.Name); name != "" && len(e.allowDom) > 0; {
		if e.allowDom[name] {
			return true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[i+1:]
	}
	return false
}

// writeDue writes the episodes that went quiet or stayed open too long.
func (e *Engine) writeDue(now float64) {
	var due []*episode
	for k, ep := range e.open {
		if e.due(ep, now) {
			due = append(due, ep)
			delete(e.open, k)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if due[i].a.TS != due[j].a.TS {
			return due[i].a.TS < due[j].a.TS
		}
		return due[i].a.Key() < due[j].a.Key()
	})
	for _, ep := range due {
		e.writeAlert(ep.a)
	}
}

// due reports whether episode ep is over at now: quiet or open too long.
func (e *Engine) due(ep *episode, now float64) bool {
	return math.IsInf(now, 1) || now-ep.seen >= e.cfg.Aggregate.Quiet || now-ep.opened >= e.cfg.Aggregate.MaxOpen
}

func (e *Engine) writeAlert(a alert.Alert) {
	e.stats.Alerts++
	e.stats.ByClass[a.Class]++
	if len(e.written) == MaxKept {
		e.written = append(e.written[:0], e.written[MaxKept/2:]...)
	}
	e.written = append(e.written, a)
	if e.alertsW != nil || e.out.Records != nil {
		line := a.JSON()
		if e.alertsW != nil {
			_ = e.alertsW.Write(line)
		}
		if e.out.Records != nil {
			e.out.Records.Record("alerts", line)
		}
	}
	if e.eveW != nil {
		_ = e.eveW.Write(a.EVE())
	}
	for _, inc := range e.corr.Add(a) {
		e.writeIncident(inc)
	}
	if e.out.IncidentUpdates {
		if inc, ok := e.corr.Current(a); ok {
			e.writeIncidentLine(inc)
		}
	}
}

// writeIncident writes an incident that ended.
func (e *Engine) writeIncident(inc incident.Incident) {
	e.stats.Incidents++
	e.writeIncidentLine(inc)
}

// writeIncidentLine writes an incident's line: one that ended, or one
// still open as it stands (Output.IncidentUpdates).
func (e *Engine) writeIncidentLine(inc incident.Incident) {
	if e.incW == nil && e.out.Records == nil {
		return
	}
	b, err := json.Marshal(inc)
	if err != nil {
		return
	}
	if e.incW != nil {
		_ = e.incW.Write(b)
	}
	if e.out.Records != nil {
		e.out.Records.Record("incidents", b)
	}
}

// Alerts returns the alerts written so far (all of them after Close, up
// to the latest MaxKept).
func (e *Engine) Alerts() []alert.Alert { return e.written }

// Stats returns the engine's counters and the detectors' problems.
func (e *Engine) Stats() Stats {
	st := e.stats
	st.SiteHints = e.site.hints()
	st.Problems = nil
	for _, d := range e.detectors {
		if r, ok := d.(Reporter); ok {
			for _, p := range r.Problems() {
				st.Problems = append(st.Problems, d.Name()+": "+p)
			}
		}
	}
	return st
}

// Close ends every episode and incident, writes them and closes the files.
func (e *Engine) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	resume := false
	// Without Resume, the state saved is the one before the final flush
	// (pending), written after it with the alerts the persisting
	// detectors reported then (ended), which the next run does not
	// report again.
	var pending []byte
	var ended []uint64
	held := ""
	start := time.Now()
	if st := &e.out.State; st.Path != "" {
		e.stateIdle.Lock() // a periodic save still being written goes first
		defer e.stateIdle.Unlock()
		if st.Resume {
			resume = e.saveStateFile() == nil
		} else if b, err := e.encodeState(start); err != nil {
			e.notef("not saved: %v", err)
		} else {
			pending, held = b, e.heldSummary()
		}
	}
	endEmit := func(a alert.Alert) {
		if len(ended) < maxEndReports {
			ended = append(ended, endFingerprint(a))
		}
		e.emitFn(a)
	}
	for _, d := range e.detectors {
		switch s, ok := d.(Suspender); {
		case resume && persistent(d) && ok:
			s.Suspend(e.emitFn) // the rest is saved: the next run ends it
		case resume && persistent(d):
		case pending != nil && persistent(d):
			d.Flush(math.Inf(1), endEmit)
		default:
			d.Flush(math.Inf(1), e.emitFn)
		}
	}
	if pending != nil {
		if len(ended) > 0 {
			pending = appendEndSection(pending, ended)
		}
		_ = e.writeStateFile(pending, start, held)
	}
	if e.releaseState != nil {
		e.releaseState()
	}
	e.writeDue(math.Inf(1))
	for _, inc := range e.corr.Flush(math.Inf(1)) {
		e.writeIncident(inc)
	}
	return e.closeFiles()
}

func (e *Engine) closeFiles() error {
	var errs []error
	for _, w := range []*record.Writer{e.alertsW, e.eveW, e.incW} {
		if w != nil {
			errs = append(errs, w.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detect: close: %w", err)
	}
	return nil
}
