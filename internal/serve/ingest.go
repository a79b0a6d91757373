package serve

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/eve"
	"github.com/vigil-nsm/vigil/internal/store"
)

// SensorStats is what the sensor did since the server started.
type SensorStats struct {
	Started      time.Time `json:"started"`
	Files        int       `json:"files"`
	Failed       int       `json:"failed"`
	Packets      uint64    `json:"packets"`
	Bytes        uint64    `json:"bytes"`
	Records      uint64    `json:"records"`
	Drops        uint64    `json:"drops"` // flows evicted early and fragments dropped by analysis
	Queue        int       `json:"queue"` // files waiting in the inbox
	Current      string    `json:"current,omitempty"`
	LastFile     string    `json:"last_file,omitempty"`
	LastError    string    `json:"last_error,omitempty"`
	IngestLagS   float64   `json:"ingest_lag_s"` // last file: from stable in the inbox to stored
	DataLagS     float64   `json:"data_lag_s"`   // now minus the newest record time
	LastIngested time.Time `json:"last_ingested"`

	// Live is the live capture per interface (serve -i).
	Live []LiveStats `json:"live,omitempty"`
}

// watched is a file seen in the inbox, with the size and time it had.
type watched struct {
	size  int64
	mtime time.Time
	since time.Time // when it was last seen changing
	// unmovable: a directory the server may not move out of the inbox
	// (no write permission on it), reported once and not ingested.
	unmovable bool
}

// watch scans the inbox until ctx ends and ingests each file once its
// size and time have been stable for Config.Stable.
func (s *Server) watch(ctx context.Context) {
	seen := map[string]*watched{}
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		for _, path := range s.readyFiles(seen) {
			if ctx.Err() != nil {
				return
			}
			s.IngestFile(ctx, path, seen[path].since)
			delete(seen, path)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readyFiles updates seen from the inbox and returns the stable files,
// oldest first.
func (s *Server) readyFiles(seen map[string]*watched) []string {
	ents, err := os.ReadDir(s.cfg.inbox())
	if err != nil {
		s.logf("inbox: %v", err)
		return nil
	}
	now := time.Now()
	var ready []string
	present := map[string]bool{}
	pending := map[string]bool{} // rotations with a loose log not yet stable (batch.go)
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".tmp") {
			if log := copiedLog(name); log != "" && !e.IsDir() {
				pending[rotationKey(log)] = true // its rotation waits for the copy
			}
			continue
		}
		path := filepath.Join(s.cfg.inbox(), name)
		size, mtime, ok := dropState(path, e)
		if !ok {
			continue
		}
		present[path] = true
		w := seen[path]
		if w == nil || w.size != size || !w.mtime.Equal(mtime) || now.Sub(w.since) < s.cfg.Stable {
			if w == nil || w.size != size || !w.mtime.Equal(mtime) {
				seen[path] = &watched{size: size, mtime: mtime, since: now}
			}
			if batchable(path, e.IsDir()) {
				pending[rotationKey(name)] = true
			}
			continue
		}
		if w.unmovable {
			continue
		}
		if e.IsDir() && unix.Access(path, unix.W_OK) != nil {
			// Moving a directory rewrites its "..": without that right it
			// would stay in the inbox and be ingested again and again.
			w.unmovable = true
			s.logf("inbox: %s is not ingested: the server may not move it to done/ (give it write permission)", name)
			continue
		}
		ready = append(ready, path)
	}
	for p := range seen {
		if !present[p] {
			delete(seen, p)
		}
	}
	ready = s.batchLogs(ready, pending, seen)
	sort.Slice(ready, func(i, j int) bool { return seen[ready[i]].mtime.Before(seen[ready[j]].mtime) })
	s.mu.Lock()
	s.stats.Queue = len(seen)
	s.mu.Unlock()
	return ready
}

// dropState is the size and modification time of an inbox entry: a
// regular file's own, or for a directory (a set of logs dropped together,
// such as one rotation of a Zeek sensor's logs) the total size and the
// newest time of the regular files below it, so that it is ingested once
// nothing in it has changed for Config.Stable.
func dropState(path string, e fs.DirEntry) (size int64, mtime time.Time, ok bool) {
	if !e.IsDir() {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			return 0, time.Time{}, false
		}
		return info.Size(), info.ModTime(), true
	}
	files := 0
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			files++
			size += info.Size()
			if info.ModTime().After(mtime) {
				mtime = info.ModTime()
			}
		}
		return nil
	})
	return size, mtime, files > 0
}

// dirKind is the run kind of a dropped directory: "capture" when it holds
// captures, which analyze reads (and the incident pcap export reads again
// from done/), else "logs" (its logs merged in time order). Both are
// ingested again whole after a crash (store.Replayable).
func dirKind(dir string) string {
	if capture.HoldsCaptures(dir) {
		return "capture"
	}
	return "logs"
}

// IngestFile analyses one capture or log file, or a directory of them,
// into the store and moves it to done/ (or failed/ with NAME.error). stableSince is when the
// file was found complete (for the lag figure; zero means now).
func (s *Server) IngestFile(ctx context.Context, path string, stableSince time.Time) error {
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	if stableSince.IsZero() {
		stableSince = time.Now()
	}
	name := filepath.Base(path)
	dest := uniquePath(s.cfg.done(), name)
	s.setCurrent(name)
	sum, id, err := s.analyse(ctx, path, dest)
	if ctx.Err() != nil {
		// Stopped: the run stays "running" and is removed and ingested
		// again at the next start.
		return ctx.Err()
	}
	if err != nil {
		dest = uniquePath(s.cfg.failed(), name)
		os.WriteFile(dest+".error", []byte(err.Error()+"\n"), 0o644)
		s.logf("ingest %s: %v", name, err)
	}
	if merr := os.Rename(path, dest); merr != nil && err == nil {
		err = fmt.Errorf("serve: move %s: %w", name, merr)
	}
	s.endRun(ctx, id, sum, err, dest)
	if err == nil && sum.events == 0 { // an EVE file's line is written as it is read (eve.go)
		s.logf("ingest %s: %s", name, ingestLine(sum, id))
	}
	s.account(name, sum, err, stableSince)
	s.hub.publish("ingest", map[string]any{"file": name, "run": id, "ok": err == nil, "error": errString(err)})
	s.kickSituation()
	return err
}

// ingestLine says what a run that went well read and stored: the
// terminal that dropped a file into the inbox hears of it, not only of
// failures.
func ingestLine(rs runSummary, id int32) string {
	var b strings.Builder
	if rs.sum != nil && rs.sum.Packets > 0 {
		fmt.Fprintf(&b, "%d packets, ", rs.sum.Packets)
	} else if rs.sum != nil && rs.sum.LogRecords > 0 {
		fmt.Fprintf(&b, "%d log records read, ", rs.sum.LogRecords)
	}
	fmt.Fprintf(&b, "%d records stored (run %d)", rs.records, id)
	if rs.note != "" {
		b.WriteString("; " + rs.note)
	}
	return b.String()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (s *Server) setCurrent(name string) {
	s.mu.Lock()
	s.stats.Current = name
	s.mu.Unlock()
}

// runSummary is what one ingest run produced.
type runSummary struct {
	sum     *analyze.Summary
	records uint64
	// EVE files (eve.go): events and alerts read, and a warning kept
	// with the run (malformed lines).
	events, alerts int
	note           string
}

// analyse runs the analysis of path with the store writer and the extra
// consumers, then stores the logs the extra consumers wrote.
func (s *Server) analyse(ctx context.Context, path, dest string) (runSummary, int32, error) {
	var rs runSummary
	kind := "capture"
	if isLogFile(path) {
		kind = "logs"
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		kind = dirKind(path)
	}
	isEVE := eve.Sniff(path) // Suricata EVE, told by content (eve.go)
	if isEVE {
		kind = "eve"
	}
	id, err := s.st.BeginRun(ctx, dest, kind)
	if err != nil {
		return rs, 0, err
	}
	outDir := filepath.Join(s.cfg.runs(), fmt.Sprintf("%d-%s", id, filepath.Base(path)))
	w := store.NewWriter(s.st, s.writerConfig(id))
	cons, err := s.consumers(w, outDir)
	if err != nil {
		w.Close()
		return rs, id, err
	}
	acfg := s.cfg.Analyze
	acfg.OutDir, acfg.Consumers, acfg.Progress = outDir, cons, nil
	if isEVE {
		err = s.readEVE(ctx, path, w, cons, &rs)
	} else {
		rs.sum, err = analyze.Run(ctx, acfg, []string{path})
		if err != nil && kind == "logs" && ctx.Err() == nil && rs.sum != nil && rs.sum.LogRecords > 0 {
			// Logs that were read whole but for some lines (a line cut
			// short, a file of a directory that failed): the run is done,
			// with a note, as an EVE file with malformed lines is.
			rs.note, err = err.Error(), nil
		}
	}
	rs.records, err = s.finishRun(w, outDir, err)
	if !s.cfg.KeepRunDirs && err == nil {
		os.RemoveAll(outDir)
	}
	return rs, id, err
}

// finishRun ends a run's analysis that ended with err: the consumers are
// finished (Config.Finish), their logs stored, the writer closed. It
// returns the records stored and the run's error.
func (s *Server) finishRun(w *store.Writer, outDir string, err error) (uint64, error) {
	if err == nil && s.cfg.Finish != nil {
		if ferr := s.cfg.Finish(outDir); ferr != nil {
			err = fmt.Errorf("serve: finish: %w", ferr)
		}
	}
	if err == nil {
		err = s.importLogs(w, outDir)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return w.Stats().Records, err
}

// insightLogs are the logs that extra consumers write at Finish.
var insightLogs = []string{"alerts", "incidents", "assets", "ipv6"}

// importLogs stores the insight logs of outDir that did not reach the
// writer during the run.
func (s *Server) importLogs(w *store.Writer, outDir string) error {
	got := w.Stats().ByLog
	for _, log := range insightLogs {
		if got[log] > 0 && log != "assets" && log != "ipv6" {
			continue // streamed during the run (alerts, incidents)
		}
		// assets.log and ipv6.log hold the final inventory and posture
		// even when snapshots of them were stored during the run: the
		// store keeps a host's last row, the IPv6 page the newest lines.
		f, err := os.Open(filepath.Join(outDir, log+".log"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			if line := sc.Bytes(); len(line) > 0 && line[0] == '{' {
				w.Record(log, line)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return fmt.Errorf("serve: read %s.log: %w", log, err)
		}
	}
	return nil
}

// isLogFile tells Zeek/JSON logs from captures by name (analyze sniffs
// the content itself).
func isLogFile(path string) bool {
	n := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	return strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".jsonl")
}

// endRun ends run id, its input now at source (done/ or failed/).
func (s *Server) endRun(ctx context.Context, id int32, rs runSummary, err error, source string) {
	end := store.RunEnd{Status: "done", Records: int64(rs.records), Error: rs.note, Source: source}
	if rs.sum != nil {
		end.Packets = int64(rs.sum.Packets)
	}
	if err != nil {
		end.Status, end.Error = "failed", err.Error()
	}
	if id != 0 {
		if e := s.st.EndRun(ctx, id, end); e != nil {
			s.logf("%v", e)
		}
	}
}

func (s *Server) account(name string, rs runSummary, err error, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.stats
	st.Current, st.LastFile, st.LastIngested = "", name, time.Now()
	st.IngestLagS = time.Since(since).Seconds()
	st.Records += rs.records
	if rs.sum != nil {
		st.Packets += rs.sum.Packets
		st.Bytes += rs.sum.Bytes
		st.Drops += rs.sum.FlowsEvicted + rs.sum.FragmentDrops
	}
	if err != nil {
		st.Failed++
		st.LastError = name + ": " + err.Error()
		return
	}
	st.Files++
}

// uniquePath returns dir/name, or dir/N-name when that exists.
func uniquePath(dir, name string) string {
	p := filepath.Join(dir, name)
	for i := 1; ; i++ {
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			return p
		}
		p = filepath.Join(dir, fmt.Sprintf("%d-%s", i, name))
	}
}
