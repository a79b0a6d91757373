package detect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/beacon"
	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/dnstunnel"
	"github.com/vigil-nsm/vigil/internal/detect/exfil"
	"github.com/vigil-nsm/vigil/internal/detect/longconn"
	"github.com/vigil-nsm/vigil/internal/detect/persist"
	"github.com/vigil-nsm/vigil/internal/detect/scan"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Persistent is a Detector whose memory spans hours or days, saved so
// that it survives a restart of a long-running sensor (`vigil serve`'s
// live capture, `vigil analyze --detect-state`): beacon (a pair's
// check-ins over a day), exfil (each host's baselines, learnt over days),
// scan (its slow tier's records over six hours), longconn (a pair's
// pieces over a day), dnstunnel (its slow rule's tallies per parent
// domain over a day, and its spread rule's per client, the same tallies)
// and dga (each client's slow count over a day). The other detectors'
// memory spans seconds to minutes (floods, the fast scan tier, brute
// force, ARP flaps, Mirai's scanners, the hour-long DNS tunnel and DGA
// windows, which Suspend ends) or is a dedupe of what was reported (TLS
// certificates, intel matches): a restart costs them at most one
// episode's worth, and they do not persist.
//
// SaveState writes the detector's state (package persist's encoding,
// its own version first) and changes nothing. LoadState gives a detector
// that has seen no record the state SaveState wrote; it checks every
// count and length against the detector's own configured bounds (so a
// hostile or corrupt state costs no more than the bounds allow) and, on
// error, leaves the detector as it was. What was restored expires by the
// detector's usual rules as the new records' time (or a live run's wall
// clock) moves on: saved times are record times.
type Persistent interface {
	Detector
	SaveState(w io.Writer) error
	LoadState(r io.Reader) error
}

// The detectors that keep state across restarts.
var (
	_ Persistent = (*beacon.Detector)(nil)
	_ Persistent = (*exfil.Detector)(nil)
	_ Persistent = (*scan.Detector)(nil)
	_ Persistent = (*longconn.Detector)(nil)
	_ Persistent = (*dnstunnel.Detector)(nil)
	_ Persistent = (*dga.Detector)(nil)
	_ Suspender  = (*scan.Detector)(nil)
	_ Suspender  = (*dnstunnel.Detector)(nil)
	_ Suspender  = (*dga.Detector)(nil)
)

// Suspender is a Persistent detector that also holds state it does not
// save (the scan detector's fast tier, the DNS tunnel and DGA windows). When a restart's Close has saved
// the state (StateFile.Resume), the engine calls Suspend rather than the
// final flush: it ends, as Flush(math.Inf(1)) would, what is not saved,
// and leaves the rest for the run that loads it.
type Suspender interface {
	Suspend(emit alert.Emit)
}

// stateSummary is a Persistent detector that says what its state holds,
// for the engine's notices.
type stateSummary interface {
	StateSummary() string
}

// StateFile configures the engine's state file: the state of the
// Persistent detectors, loaded when the engine is made and saved at
// Close and every Every of wall time in a live run.
type StateFile struct {
	// Path is the file ("" none). A missing file is a fresh start.
	Path string
	// Every is how often (wall time, as Advance gives it: live runs
	// only) the state is saved while the run goes on; 0 saves at Close
	// only.
	Every time.Duration
	// Resume: Close is a restart, not the end of the input. The
	// Persistent detectors' state is saved and not ended: what they hold
	// open (a beacon pair's check-ins, a host's open interval, a slow
	// scan) is reported by the run that loads it, as an uninterrupted run
	// would report it, not as the end of the input. Without Resume the
	// state saved is the state before the final flush, which then ends
	// everything as usual (an analysis of one file of a series).
	Resume bool
	// Version is the Vigil version written into the file's header.
	Version string
	// Log receives the notices: the state loaded, saved or dropped (with
	// what was wrong); nil drops them.
	Log func(msg string)
}

// The state file's layout (format 1; all numbers little-endian):
//
//	magic "VGLSTATE", u16 format, u16 length + the Vigil version
//	i64 wall time of the save (Unix ns), f64 record time of the save (epoch s)
//	u16 sections, each: u16 length + detector name, u32 CRC-32 (IEEE) of
//	    the payload, u64 payload length, payload (the detector's SaveState;
//	    for the section endSection, the fingerprints of the alerts the
//	    end of the input reported)
//
// The magic, the format and the version are where they are in every
// format, so that a file of another format is named in the warning.
const (
	stateMagic  = "VGLSTATE"
	stateFormat = 1
	// maxStateFile bounds the file read and written.
	maxStateFile = 4 << 30
	maxSections  = 64
	maxVersion   = 64 // the longest Vigil version kept in the header
)

// endSection is the section, not a detector's, of the alerts that the
// persisting detectors reported at the end of the input whose state the
// file holds (StateFile without Resume: the state saved is the one
// before the final flush, which then reports what it ends). The next run
// carries that state on, and would report them again, word for word,
// when it ends them: it does not (Engine.emit). A fingerprint each
// (endFingerprint), at most maxEndReports.
const (
	endSection    = "end-reports"
	endVersion    = 1
	maxEndReports = 100_000
)

// endFingerprint identifies an alert as a detector emitted it: its
// class, addresses, name, times and summary (which gives its counts).
func endFingerprint(a alert.Alert) uint64 {
	h := fnv.New64a()
	for _, s := range []string{a.Class, a.Src, a.Dst, a.Name, a.Summary} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(a.TS))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(a.TSEnd))
	h.Write(b[:])
	return h.Sum64()
}

// appendEndSection appends the end-reports section of fingerprints fps
// to the state file b (counting it in the header).
func appendEndSection(b []byte, fps []uint64) []byte {
	d := persist.NewDec(b)
	d.Raw(len(stateMagic) + 2)
	d.Str(math.MaxUint16)
	d.I64()
	d.F64()
	at := len(b) - d.Left()
	binary.LittleEndian.PutUint16(b[at:], d.U16()+1)
	p := persist.NewEnc(5 + 8*len(fps))
	p.U8(endVersion)
	p.Int(len(fps))
	for _, fp := range fps {
		p.U64(fp)
	}
	var s persist.Enc
	s.Str(endSection)
	s.U32(crc32.ChecksumIEEE(p.Bytes()))
	s.U64(uint64(len(p.Bytes())))
	return append(append(b, s.Bytes()...), p.Bytes()...)
}

// loadEndSection reads an end-reports section.
func loadEndSection(payload []byte) (map[uint64]struct{}, error) {
	d := persist.NewDec(payload)
	d.Version(endVersion)
	n := d.Count(maxEndReports, 8)
	fps := make(map[uint64]struct{}, n)
	for range n {
		fps[d.U64()] = struct{}{}
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return fps, nil
}

// StateInfo is what LoadState found.
type StateInfo struct {
	Format  int
	Version string    // of the Vigil that saved it
	Saved   time.Time // wall time of the save
	Traffic float64   // record time of the save (epoch s; -Inf: none seen)
	// Loaded are the detectors whose state was loaded, each with what
	// it holds ("beacon: 12 pairs …"); Skipped the sections that were
	// not, with why.
	Loaded, Skipped []string
	// EndReports is how many alerts of the end of the last input the
	// file names (endSection): not reported again.
	EndReports int
}

// SaveState writes the Persistent detectors' state to w in the state
// file's format. It changes nothing. Same goroutine as Record.
func (e *Engine) SaveState(w io.Writer) error {
	b, err := e.encodeState(time.Now())
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// encodeState is the state file's bytes, saved at wall time now.
func (e *Engine) encodeState(now time.Time) ([]byte, error) {
	var h persist.Enc
	for _, c := range []byte(stateMagic) {
		h.U8(c)
	}
	h.U16(stateFormat)
	version := e.out.State.Version
	if len(version) > maxVersion {
		version = version[:maxVersion] // a packager's long version: cut, so that the file loads
	}
	h.Str(version)
	h.I64(now.UnixNano())
	h.F64(e.clock)
	var persisting []Persistent
	for _, d := range e.detectors {
		if p, ok := d.(Persistent); ok {
			persisting = append(persisting, p)
		}
	}
	h.U16(uint16(len(persisting)))
	out := bytes.NewBuffer(h.Bytes())
	for _, p := range persisting {
		// The section's header, its checksum and length filled in once
		// the detector has written its payload after it.
		var s persist.Enc
		s.Str(p.Name())
		at := out.Len() + len(s.Bytes())
		s.U32(0)
		s.U64(0)
		out.Write(s.Bytes())
		start := out.Len()
		if err := p.SaveState(out); err != nil {
			return nil, fmt.Errorf("detect: save state of %s: %w", p.Name(), err)
		}
		b := out.Bytes()
		binary.LittleEndian.PutUint32(b[at:], crc32.ChecksumIEEE(b[start:]))
		binary.LittleEndian.PutUint64(b[at+4:], uint64(len(b)-start))
	}
	if out.Len() > maxStateFile {
		return nil, fmt.Errorf("detect: state of %d bytes, more than the %d a state file may hold", out.Len(), maxStateFile)
	}
	return out.Bytes(), nil
}

// LoadState reads a state file's content from r into the Persistent
// detectors; call it before the first record. A file that is not a state
// file, of another format, truncated or corrupt (a checksum that does not
// match) is an error, and no detector is changed. Sections of detectors
// that do not run here, and sections their detector refuses (its own
// state version changed, counts over its configured bounds), are
// skipped, said so in StateInfo.Skipped, and leave their detector fresh;
// the others are loaded.
func (e *Engine) LoadState(r io.Reader) (StateInfo, error) {
	var info StateInfo
	b, err := persist.ReadAll(r, maxStateFile)
	if err != nil {
		return info, err
	}
	if len(b) == 0 {
		return info, errors.New("empty file")
	}
	d := persist.NewDec(b)
	magic := make([]byte, len(stateMagic))
	for i := range magic {
		magic[i] = d.U8()
	}
	if d.Err() != nil || string(magic) != stateMagic {
		return info, errors.New("not a Vigil detection state file")
	}
	info.Format = int(d.U16())
	info.Version = d.Str(maxVersion)
	if d.Err() == nil && info.Format != stateFormat {
		return info, fmt.Errorf("state file format %d (saved by Vigil %s), this Vigil reads format %d", info.Format, info.Version, stateFormat)
	}
	info.Saved = time.Unix(0, d.I64()).UTC()
	info.Traffic = d.F64()
	n := int(d.U16())
	if n > maxSections {
		d.Fail("%d sections, more than %d", n, maxSections)
	}
	type section struct {
		name    string
		payload []byte
	}
	var secs []section
	for i := 0; i < n && d.Err() == nil; i++ {
		name, sum, size := d.Str(64), d.U32(), d.U64()
		if d.Err() == nil && size > uint64(d.Left()) {
			return info, fmt.Errorf("truncated state file: section %q of %d bytes, %d bytes left", name, size, d.Left())
		}
		payload := d.Raw(int(size)) // the detector reads it
		if d.Err() == nil && crc32.ChecksumIEEE(payload) != sum {
			d.Fail("section %q is corrupt (its checksum does not match)", name)
		}
		secs = append(secs, section{name, payload})
	}
	if err := d.End(); err != nil {
		if errors.Is(err, persist.ErrTruncated) {
			return info, fmt.Errorf("truncated state file: %w", err)
		}
		return info, fmt.Errorf("corrupt state file: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range secs {
		if s.name == endSection && !seen[s.name] {
			seen[s.name] = true
			fps, err := loadEndSection(s.payload)
			if err != nil {
				info.Skipped = append(info.Skipped, fmt.Sprintf("section %q dropped: %v", s.name, err))
				continue
			}
			e.endReported, info.EndReports = fps, len(fps)
			continue
		}
		var p Persistent
		for _, det := range e.detectors {
			if det.Name() == s.name {
				p, _ = det.(Persistent)
			}
		}
		switch {
		case seen[s.name]:
			info.Skipped = append(info.Skipped, fmt.Sprintf("section %q: given twice (the first loaded)", s.name))
			continue
		case p == nil:
			info.Skipped = append(info.Skipped, fmt.Sprintf("section %q: no such detector keeping state here (disabled or unknown); skipped", s.name))
			continue
		}
		seen[s.name] = true
		// A bytes.Buffer: the detector reads the payload in place
		// (persist.ReadAll), not a copy of it.
		if err := p.LoadState(bytes.NewBuffer(s.payload)); err != nil {
			info.Skipped = append(info.Skipped, fmt.Sprintf("section %q dropped, the detector starts fresh: %v", s.name, err))
			continue
		}
		loaded := s.name
		if ss, ok := p.(stateSummary); ok {
			loaded += ": " + ss.StateSummary()
		}
		info.Loaded = append(info.Loaded, loaded)
	}
	if len(info.Loaded) > 0 && !math.IsInf(info.Traffic, 0) && !math.IsNaN(info.Traffic) {
		e.restoredUntil, e.checkState = info.Traffic, true
	}
	return info, nil
}

// checkRestored compares the state loaded with the new input's first
// time t: the end of the first record's connection (recordEnd), or a live
// run's first wall-clock tick. A state whose records go on past t (by
// more than restoreSlack) is of a later time than this input: an earlier
// capture analysed after a later one, the same capture analysed again, a
// clock set back since the save. Carried on, it would mix the two times
// (a host's open exfil interval, stamped later, taking every upload of
// this input into one interval and reporting their sum; a beacon pair's
// check-ins counted twice), so it is dropped and the persisting detectors
// start fresh, with a notice. A t that is not a number decides nothing.
func (e *Engine) checkRestored(t float64) {
	if math.IsNaN(t) {
		return
	}
	e.checkState = false
	if t >= e.restoredUntil-restoreSlack {
		return
	}
	e.endReported = nil
	if err := e.freshPersistent(); err != nil {
		e.notef("%v", err)
		return
	}
	e.notef("not carried on, the detectors start fresh: its records go up to %s, past this input's first at %s (an earlier capture, the same one again, or a clock set back since the save)",
		stamp(e.restoredUntil), stamp(t))
}

// restoreSlack is how far (s) the new input's first time may lie behind
// the state's records (checkRestored). A record is logged at most minutes
// after its connection ends (Zeek removes an idle TCP connection after 5
// minutes), and the state's time is its newest record's start, so the
// first record of the next file of a series ends after it, less that.
const restoreSlack = 600

// recordEnd is when the record's connection ended (a conn record, which
// is logged when its connection ends, with the time it began: the next
// log file of a series may begin with one begun hours before), else its
// time.
func recordEnd(r *rec.Rec) float64 {
	if r.Log == "conn" {
		c := r.Conn()
		return c.TS + max(c.Duration, 0)
	}
	return r.TS()
}

// stamp writes a record time (epoch s) as an RFC 3339 date.
func stamp(ts float64) string {
	if math.IsInf(ts, 0) || math.IsNaN(ts) || math.Abs(ts) > 1e11 {
		return fmt.Sprint(ts)
	}
	return time.Unix(0, int64(ts*1e9)).UTC().Format(time.RFC3339)
}

// freshPersistent replaces every Persistent detector with a fresh one,
// made as New made it: what was loaded into them is gone.
func (e *Engine) freshPersistent() error {
	for i, d := range e.detectors {
		if !persistent(d) {
			continue
		}
		for _, f := range registry {
			if f.Name != d.Name() {
				continue
			}
			fresh, err := f.New(&e.cfg, e.internal)
			if err != nil {
				return fmt.Errorf("detector %s: %w", f.Name, err)
			}
			if r, ok := fresh.(Refresher); ok {
				r.SetRefresh(e.cfg.Aggregate.Quiet / 2)
			}
			e.detectors[i] = fresh
			for _, subs := range e.subs {
				for j := range subs {
					if subs[j] == d {
						subs[j] = fresh
					}
				}
			}
		}
	}
	e.recent, e.lastHit, e.nextKept = [recentLogs]logSubs{}, 0, 0
	return nil
}

// notef hands a notice about the state file to StateFile.Log.
func (e *Engine) notef(format string, args ...any) {
	if e.out.State.Log != nil {
		e.out.State.Log(fmt.Sprintf("detection state %s: ", e.out.State.Path) + fmt.Sprintf(format, args...))
	}
}

// errInUse: another engine holds the state file's lock (lockState).
var errInUse = errors.New("in use")

// openStateFile takes the state file's lock and loads it. An engine that
// cannot have the lock (another run of Vigil, a server or an analysis,
// keeps the same file) neither loads nor saves it, with a notice: two
// runs saving one file would each load the other's state, of another
// link or another time, and lose their own to the other's next save.
// Holding the lock, it removes the temporary files that a save cut short
// (a kill, a crash) left beside the file.
func (e *Engine) openStateFile() {
	path := e.out.State.Path
	release, err := lockState(path)
	switch {
	case errors.Is(err, errInUse):
		e.notef("in use by another run of Vigil (%s.lock is held): this run neither loads nor saves it, and keeps no state", path)
		e.out.State.Path = ""
		return
	case err != nil:
		// No lock to be had (a read-only directory: saves will fail and
		// say so): loaded all the same.
	default:
		e.releaseState = release
		if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")); len(stale) > 0 {
			for _, f := range stale {
				os.Remove(f)
			}
		}
	}
	e.loadStateFile()
}

// loadStateFile loads StateFile.Path, if there is one: a problem is a
// notice, and the detectors concerned start fresh. Only a regular file is
// read (a named pipe would be waited on, a device read without end). A
// file refused whole is kept beside it as PATH.refused (the last one
// only), not lost to the next save: a state of a newer format, after a
// downgrade, is there for the newer Vigil to take back.
func (e *Engine) loadStateFile() {
	path := e.out.State.Path
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		e.notef("none yet; starting fresh")
		return
	}
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
	}
	if err != nil {
		e.notef("cannot be read, starting fresh: %v", err)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		e.notef("cannot be read, starting fresh: %v", err)
		return
	}
	// Read into a buffer of the file's size (not grown by doubling), from
	// which LoadState reads in place.
	var buf bytes.Buffer
	buf.Grow(int(min(fi.Size(), maxStateFile)) + bytes.MinRead)
	_, err = buf.ReadFrom(io.LimitReader(f, maxStateFile+1))
	f.Close()
	if err != nil {
		e.notef("cannot be read, starting fresh: %v", err)
		return
	}
	info, err := e.LoadState(&buf)
	if err != nil {
		aside := path + ".refused"
		if rerr := os.Rename(path, aside); rerr != nil {
			e.notef("dropped, starting fresh: %v", err)
		} else {
			e.notef("dropped, starting fresh: %v; kept as %s", err, aside)
		}
		return
	}
	for _, s := range info.Skipped {
		e.notef("%s", s)
	}
	age := ""
	if !info.Saved.IsZero() {
		age = fmt.Sprintf(", %s ago", time.Since(info.Saved).Round(time.Second))
	}
	traffic := "no records"
	if !math.IsInf(info.Traffic, 0) && !math.IsNaN(info.Traffic) {
		traffic = "records up to " + stamp(info.Traffic)
	}
	loaded := "nothing"
	if len(info.Loaded) > 0 {
		loaded = strings.Join(info.Loaded, "; ")
	}
	if info.EndReports > 0 {
		loaded += fmt.Sprintf("; %d alerts reported at the end of the last input, not reported again", info.EndReports)
	}
	e.notef("loaded (saved %s by Vigil %s%s, %s): %s", info.Saved.Format(time.RFC3339), info.Version, age, traffic, loaded)
}

// saveStateFile saves the state to StateFile.Path now, atomically (a
// temporary file beside it, synced, renamed over it), and says so. Same
// goroutine as Record.
func (e *Engine) saveStateFile() error {
	start := time.Now()
	b, err := e.encodeState(start)
	if err != nil {
		e.notef("not saved: %v", err)
		return err
	}
	return e.writeStateFile(b, start, e.heldSummary())
}

// writeStateFile writes the state file's bytes b, encoded at start and
// holding held (heldSummary), to StateFile.Path and says so.
func (e *Engine) writeStateFile(b []byte, start time.Time, held string) error {
	if err := writeFileAtomic(e.out.State.Path, b); err != nil {
		e.notef("not saved: %v", err)
		return err
	}
	e.notef("saved, %d bytes in %s (%s)", len(b), time.Since(start).Round(time.Millisecond), held)
	return nil
}

// heldSummary says what the persisting detectors hold.
func (e *Engine) heldSummary() string {
	var held []string
	for _, d := range e.detectors {
		if ss, ok := d.(stateSummary); ok && persistent(d) {
			held = append(held, d.Name()+": "+ss.StateSummary())
		}
	}
	return strings.Join(held, "; ")
}

// saveStateLater encodes the state now and writes it in the background,
// unless the previous save is still being written (the next is then
// left to the next period). Same goroutine as Record.
func (e *Engine) saveStateLater(now time.Time) {
	if !e.stateIdle.TryLock() {
		return
	}
	b, err := e.encodeState(now)
	if err != nil {
		e.periodicSaved(err)
		e.stateIdle.Unlock()
		return
	}
	path := e.out.State.Path
	go func() {
		defer e.stateIdle.Unlock()
		e.periodicSaved(writeFileAtomic(path, b))
	}()
}

// periodicSaved notes how a periodic save went (err nil: saved). A save
// that fails is said once, when the saves begin to fail (a read-only or
// full disk, a path that cannot be replaced), and again when one
// succeeds, not every period. Called with stateIdle held.
func (e *Engine) periodicSaved(err error) {
	switch {
	case err != nil:
		if e.saveFailures++; e.saveFailures == 1 {
			e.notef("not saved: %v (tried again every %v; said again when a save succeeds)", err, e.out.State.Every)
		}
	case e.saveFailures > 0:
		e.notef("saved again, after %d saves that failed", e.saveFailures)
		e.saveFailures = 0
	}
}

// writeFileAtomic replaces the file at path with data: written to a
// temporary file in the same directory (mode 0600: the state names the
// site's hosts), synced, renamed over path, the directory synced; a
// crash leaves the old file or the new one, never a part of either.
//
// Only a regular file is replaced: a symbolic link would be replaced by a
// file of its own (the state no longer reaching the file it points to),
// a named pipe or a device by a file.
func writeFileAtomic(path string, data []byte) error {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.Mode()&os.ModeSymlink != 0 {
			to, _ := os.Readlink(path)
			return fmt.Errorf("%s is a symbolic link (to %s), not replaced: name the file itself", path, to)
		}
		return fmt.Errorf("%s is not a regular file (%v), not replaced", path, fi.Mode().Type())
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// persistent reports whether d keeps state across restarts.
func persistent(d Detector) bool {
	_, ok := d.(Persistent)
	return ok
}
