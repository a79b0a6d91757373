package serve

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-nsm/vigil/internal/eve"
)

// Loose log files of one rotation (conn.log and ssh.log copied into the
// inbox one by one, or conn.15:00:00-16:00:00.log.gz and its siblings)
// belong together: a detector judges an SSH connection by its ssh.log
// record and its conn.log one, and read as separate runs each log would
// be judged alone (twenty short SSH connections without their accepted
// logins look like brute force). So the watcher gathers them into one
// directory of the inbox, ingested as one run as a dropped directory is.

// rotationKey is what the log files of one rotation share in their
// names: the part after the log's own name ("conn.15:00:00-16:00:00.log.gz"
// → "15:00:00-16:00:00.log"; Zeek's log-queue "conn__START__END__.log" →
// "START__END__.log"; "conn.log" → "log").
func rotationKey(name string) string {
	name = strings.TrimSuffix(name, ".gz")
	if i := strings.Index(name, "__"); i > 0 {
		return name[i+2:]
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[i+1:]
	}
	return name
}

// copiedLog is the name of the loose log an inbox entry that the watcher
// passes over is a copy in progress of: "ssh.log.part", "ssh.log.tmp",
// rsync's ".ssh.log.Ab12Cd" → "ssh.log"; "" when it is none. Its
// rotation waits for it.
func copiedLog(name string) string {
	name = strings.TrimPrefix(name, ".")
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".part"), ".tmp")
	for !isLogFile(name) { // drop a temporary suffix (rsync's ".Ab12Cd")
		i := strings.LastIndexByte(name, '.')
		if i <= 0 {
			return ""
		}
		name = name[:i]
	}
	return name
}

// batchable tells whether an inbox entry is a loose Zeek or JSON log that
// may be gathered with its rotation (a lone Suricata EVE file keeps its
// own run: its alerts are stored as they are).
func batchable(path string, isDir bool) bool {
	return !isDir && isLogFile(path) && !eve.Sniff(path)
}

// batchLogs returns ready with the loose logs of each rotation that has
// more than one gathered into one new directory of the inbox (named
// "logs.KEY"), which takes their place. A rotation with a log still being
// written (pending) is held back whole until that one is stable too.
// A log that cannot be moved stays a run of its own.
func (s *Server) batchLogs(ready []string, pending map[string]bool, seen map[string]*watched) []string {
	groups := map[string][]string{}
	var out []string
	for _, p := range ready {
		st, err := os.Lstat(p)
		if err != nil || !batchable(p, st.IsDir()) {
			out = append(out, p)
			continue
		}
		key := rotationKey(filepath.Base(p))
		if pending[key] {
			continue // wait for the rest of its rotation
		}
		groups[key] = append(groups[key], p)
	}
	for key, files := range groups {
		if len(files) == 1 {
			out = append(out, files[0])
			continue
		}
		out = append(out, s.gather(key, files, seen)...)
	}
	return out
}

// gatherPrefix names the hidden inbox directory a rotation is gathered
// in before it takes its name in one rename (the watcher passes over
// hidden names): a server stopped midway leaves it, and the next start
// puts its files back (undoGathers).
const gatherPrefix = ".gather."

// gather moves files into a new inbox directory for their rotation and
// returns it (with the files that could not be moved, each its own run).
// The directory is ready at once, stable since its oldest file was.
func (s *Server) gather(key string, files []string, seen map[string]*watched) []string {
	name := "logs." + strings.TrimSuffix(strings.TrimSuffix(key, ".log"), ".json")
	if key == "log" || key == "json" || key == "jsonl" {
		name = "logs"
	}
	tmp, err := os.MkdirTemp(s.cfg.inbox(), gatherPrefix)
	if err != nil {
		s.logf("inbox: gathering %d logs of one rotation: %v (each is ingested alone)", len(files), err)
		return files
	}
	w := &watched{}
	var out, moved []string
	for _, f := range files {
		if err := os.Rename(f, filepath.Join(tmp, filepath.Base(f))); err != nil {
			s.logf("inbox: gathering %s: %v (ingested alone)", filepath.Base(f), err)
			out = append(out, f)
			continue
		}
		moved = append(moved, f)
		if fw := seen[f]; fw != nil {
			if w.mtime.Before(fw.mtime) {
				w.mtime = fw.mtime
			}
			if w.since.IsZero() || fw.since.Before(w.since) {
				w.since = fw.since
			}
			w.size += fw.size
			delete(seen, f)
		}
	}
	if len(moved) == 0 {
		os.Remove(tmp)
		return out
	}
	dir := uniquePath(s.cfg.inbox(), name)
	if err := os.Rename(tmp, dir); err != nil {
		s.logf("inbox: gathering %d logs of one rotation: %v (each is ingested alone)", len(moved), err)
		s.undoGather(tmp)
		return append(out, moved...)
	}
	seen[dir] = w
	return append(out, dir)
}

// undoGathers puts back into the inbox the files of gatherings a stopped
// server left unfinished, so that they are gathered again whole.
func (s *Server) undoGathers() {
	dirs, _ := filepath.Glob(filepath.Join(s.cfg.inbox(), gatherPrefix+"*"))
	for _, d := range dirs {
		s.undoGather(d)
	}
}

// undoGather moves the files of gathering directory d back to the inbox
// (a name taken there meanwhile keeps its file in d) and removes d when
// empty.
func (s *Server) undoGather(d string) {
	ents, _ := os.ReadDir(d)
	for _, e := range ents {
		back := filepath.Join(s.cfg.inbox(), e.Name())
		if _, err := os.Lstat(back); err == nil {
			s.logf("inbox: %s left in %s: the inbox has a file of that name", e.Name(), d)
			continue
		}
		os.Rename(filepath.Join(d, e.Name()), back)
	}
	os.Remove(d)
}
