package detect

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// stateEngine makes an engine with the state file path (Resume, as
// serve's live run), its notices collected.
func stateEngine(t *testing.T, path string, n *notes) *Engine {
	t.Helper()
	cfg := DefaultConfig()
	e, err := New(cfg, Output{State: StateFile{Path: path, Resume: true, Version: "test", Log: n.log}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A Vigil version longer than 64 bytes (a packager's version string) is
// written cut to 64: the files it saves are its own to load again.
func TestStateFileLongVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "detect.state")
	cfg := DefaultConfig()
	long := "1.2.3+git20261130.c4327a85967b29d0a1f0e5b6d8c9e0f1a2b3c4d5-1ubuntu1~22.04.1"
	var n notes
	e, err := New(cfg, Output{State: StateFile{Path: path, Version: long, Log: n.log}})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e, err = New(cfg, Output{State: StateFile{Path: path, Version: long, Log: n.log}})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	n.has(t, path, "loaded", "by Vigil "+long[:64])
}

// A state file that is refused whole (of a newer format after a
// downgrade, corrupt) is kept beside the path, PATH.refused, rather than
// lost to the next save: the newer Vigil, back again, or a person may
// still read it.
func TestStateFileRefusedKept(t *testing.T) {
	cfg := DefaultConfig()
	file := testState(t, cfg)
	binary.LittleEndian.PutUint16(file[len(stateMagic):], stateFormat+1)
	path := filepath.Join(t.TempDir(), "detect.state")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	var n notes
	stateEngine(t, path, &n).Close()
	kept, err := os.ReadFile(path + ".refused")
	if err != nil || !bytes.Equal(kept, file) {
		t.Errorf("the refused file was not kept: %v", err)
	}
	n.has(t, path, "dropped, starting fresh: state file format 2", "kept as "+path+".refused")
	if fi, err := os.Stat(path + ".refused"); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("kept as %v", fi.Mode())
	}
}

// Loading a state file allocates about its size once: the file is read
// into a buffer of its size, and each section is read in place. A 32 MB
// section cost some five times its size (the file's buffer grown by
// doubling, the section copied into another grown the same way), which
// for a file at the 4 GiB bound is 20 GiB.
func TestStateFileLoadAlloc(t *testing.T) {
	cfg := DefaultConfig()
	file := testState(t, cfg)
	header, _, _ := stateSections(t, file)
	payload := make([]byte, 32<<20)
	payload[0] = 1 // the beacon's state version; the rest is refused
	big := buildState(header, []string{"beacon"}, [][]byte{payload})
	if crc32.ChecksumIEEE(payload) == 0 {
		t.Fatal("checksum")
	}
	path := filepath.Join(t.TempDir(), "detect.state")
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	alloc := func(path string) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e, err := New(cfg, Output{State: StateFile{Path: path}})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		e.out.State = StateFile{}
		e.Close()
		return after.TotalAlloc - before.TotalAlloc
	}
	base := alloc(filepath.Join(t.TempDir(), "none"))
	got := alloc(path) - base
	if float64(got) > 2.5*float64(len(big)) { // 1.0 times, 2.0 with -race
		t.Errorf("loading a %d-byte state file allocated %d bytes (%.1f times)", len(big), got, float64(got)/float64(len(big)))
	}
	t.Logf("a %d-byte state file: %d bytes allocated", len(big), got)
}

// A periodic save that fails (a read-only or full disk, a path that
// cannot be replaced) is said once, not every period, and the engine runs
// on; a save that succeeds again is said too.
func TestStateFileSaveFailsOnce(t *testing.T) {
	cfg := DefaultConfig()
	dir := t.TempDir()
	parent := filepath.Join(dir, "data") // a file where the state's directory should be
	if err := os.WriteFile(parent, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(parent, "detect.state")
	var n lockedNotes
	e, err := New(cfg, Output{State: StateFile{Path: path, Every: time.Minute, Resume: true, Log: n.log}})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Unix(int64(restartT0), 0)
	tick := func(i int) {
		e.Advance(wall.Add(time.Duration(i) * 61 * time.Second).UnixNano())
		e.stateIdle.Lock() // the background write is done
		e.stateIdle.Unlock()
	}
	for i := range 6 {
		tick(i)
	}
	if got := n.count("not saved"); got != 1 {
		t.Errorf("%d notices of failed saves over 5 periods, want 1: %q", got, n.all())
	}
	if err := os.Remove(parent); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	tick(6)
	if n.count("saved again, after 5 saves that failed") != 1 {
		t.Errorf("notices %q", n.all())
	}
	e.Close()
}

// lockedNotes collects notices from several goroutines.
type lockedNotes struct {
	mu    sync.Mutex
	lines []string
}

func (n *lockedNotes) log(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lines = append(n.lines, msg)
}

func (n *lockedNotes) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.lines)
}

func (n *lockedNotes) count(part string) int {
	c := 0
	for _, l := range n.all() {
		if strings.Contains(l, part) {
			c++
		}
	}
	return c
}
