package intel

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Feeds is a set of feed files loaded together and reloaded when one of
// them changes (its modification time or size).
type Feeds struct {
	paths []string
	stamp map[string]stamp // of the files the set in use was loaded from
	// failed holds the files' stamps at the last load that failed: they
	// are tried again once one of them changes, not at every Reload.
	failed map[string]stamp
	set    *Set
	// Loaded counts indicators per feed path at the last successful load;
	// Rejected the values of each that were not indicators (Load).
	Loaded, Rejected map[string]int
}

type stamp struct {
	mod  time.Time
	size int64
	dir  time.Time // a feed directory's own modification time (files added, renamed)
}

// Open loads the feeds at paths (files or MISP feed directories).
func Open(paths []string) (*Feeds, error) {
	f := &Feeds{paths: paths}
	if err := f.load(); err != nil {
		return nil, err
	}
	return f, nil
}

// Set returns the indicators of the last successful load.
func (f *Feeds) Set() *Set {
	if f == nil {
		return nil
	}
	return f.set
}

// Reload loads the feeds again when a file changed; it reports whether it
// did. On error the previous indicators stay in use, and the load is tried
// again once a file changes again (a feed directory synced by a tool that
// writes the manifest before the events it lists loads once they are all
// there; a half-written file once it is whole), not at every Reload.
func (f *Feeds) Reload() (bool, error) {
	if f == nil || !f.changed() {
		return false, nil
	}
	return true, f.load()
}

// load loads every feed into a new set, which replaces the one in use
// when all loaded.
func (f *Feeds) load() error {
	set, loaded, rejected, stamps := NewSet(), map[string]int{}, map[string]int{}, map[string]stamp{}
	var errs []error
	for _, p := range f.paths {
		stamps[p] = stampOf(p)
		r, err := Load(set, p)
		loaded[p], rejected[p] = r.Added, r.Rejected
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		f.failed = stamps
		return err
	}
	f.stamp, f.set, f.Loaded, f.Rejected, f.failed = stamps, set, loaded, rejected, nil
	return nil
}

// changed reports whether a file changed since the set in use was loaded,
// and since the last load that failed.
func (f *Feeds) changed() bool {
	var sinceGood, sinceFailed bool
	for _, p := range f.paths {
		st := stampOf(p)
		sinceGood = sinceGood || st != f.stamp[p]
		sinceFailed = sinceFailed || f.failed == nil || st != f.failed[p]
	}
	return sinceGood && sinceFailed
}

// stampOf is a file's (or a MISP feed directory manifest's) modification
// time and size, and a directory's own modification time.
func stampOf(p string) stamp {
	st, err := os.Stat(p)
	var dir time.Time
	if err == nil && st.IsDir() {
		dir = st.ModTime()
		st, err = os.Stat(filepath.Join(p, "manifest.json"))
	}
	if err != nil {
		return stamp{dir: dir}
	}
	return stamp{st.ModTime(), st.Size(), dir}
}
