package analyze

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestLogMergeManyOverlappingFiles: more log files covering the same
// hours than the process may hold open (one sensor's logs of each of many
// sensors, per-worker logs) are all read: every record once, no "too many
// open files": past the merge's bound on open files, a file waits for
// another to end.
func TestLogMergeManyOverlappingFiles(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	lim := old
	lim.Cur = 128
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)

	dir := t.TempDir()
	var paths []string
	const files, rows = 300, 5
	for s := 0; s < files; s++ {
		var b strings.Builder
		for i := 0; i < rows; i++ {
			fmt.Fprintf(&b, "%d.%03d\tC%d_%d\t10.0.%d.%d\t5000\t10.9.9.9\t80\ttcp\t1.0\n", 1767225600+60*i, s, s, i, s/250, s%250+1)
		}
		paths = append(paths, writeFile(t, dir, fmt.Sprintf("conn.sensor%03d.log", s), tsvConnRows(b.String())))
	}
	m := newLogMerge(paths)
	n := 0
	for it := m.item(); it != nil; it = m.item() {
		n++
		m.pop()
	}
	if len(m.errs) > 0 {
		t.Errorf("%d files failed, first: %v", len(m.errs), m.errs[0])
	}
	if n != files*rows {
		t.Errorf("read %d records, want %d", n, files*rows)
	}
}
