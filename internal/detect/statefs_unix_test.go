//go:build unix

package detect

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A state path that is a named pipe is neither read (opening it waited
// for a writer: the live run never started) nor replaced; a directory is
// not replaced either; a symbolic link is not replaced by a file of its
// own (the state would have stopped reaching the file it points to, with
// no word said): each is said in a notice, and the engine runs on.
func TestStateFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.state")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	var n notes
	made := make(chan *Engine, 1)
	go func() { made <- stateEngine(t, fifo, &n) }()
	var e *Engine
	select {
	case e = <-made:
	case <-time.After(5 * time.Second):
		// Release the open that waits for a writer.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("New waits on a named pipe at the state path")
	}
	e.Close()
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: %v %v", fi.Mode(), err)
	}
	n.has(t, fifo, "not a regular file")
	n.has(t, fifo, "not saved")

	sub := filepath.Join(dir, "sub.state")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	n = notes{}
	stateEngine(t, sub, &n).Close()
	n.has(t, sub, "not a regular file")
	n.has(t, sub, "not saved")

	target := filepath.Join(t.TempDir(), "elsewhere.state")
	stateEngine(t, target, &notes{}).Close()
	link := filepath.Join(dir, "link.state")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	n = notes{}
	stateEngine(t, link, &n).Close()
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced by a file: %v %v", fi.Mode(), err)
	}
	n.has(t, link, "loaded")
	n.has(t, link, "not saved", "symbolic link", target)
}

// Two runs of Vigil on one state file (two servers given the same
// --detect-state, a server and an analysis): the second neither loads
// nor saves it, and says so, rather than each loading the other's state
// and losing its own to the other's next save. Once the first is done,
// the file is free. The temporary file of a save cut short (a kill -9)
// is removed by the next run that holds the file.
func TestStateFileLocked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DGA.Enabled = false
	path := filepath.Join(t.TempDir(), "detect.state")
	before, _ := split(restartStream(), restartAt)
	runEngine(t, cfg, Output{State: StateFile{Path: path, Version: "test", Resume: true}}, before)
	stale := filepath.Join(filepath.Dir(path), ".detect.state.tmp123456")
	if err := os.WriteFile(stale, []byte("cut short"), 0o600); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(path)

	var n1, n2 notes
	first := stateEngine(t, path, &n1)
	if _, err := os.Stat(stale); err == nil {
		t.Error("the temporary file of a save cut short is still there")
	}
	second := stateEngine(t, path, &n2)
	n2.has(t, path, "in use by another run of Vigil")
	if held := heldState(second); held != 0 {
		t.Errorf("the second run loaded %d entries", held)
	}
	second.Close()
	if now, _ := os.ReadFile(path); !bytes.Equal(now, saved) {
		t.Error("the second run saved the file")
	}
	first.Close()
	var n3 notes
	stateEngine(t, path, &n3).Close()
	n3.has(t, path, "loaded")
}
