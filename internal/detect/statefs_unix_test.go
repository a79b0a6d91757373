//go:build unix

package detect

import (
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
