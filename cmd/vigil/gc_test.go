package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestTuneBatchGC: an analysis of files does not collect until its heap
// reaches batchHeapFloor, then collects at batchGCPercent without a
// limit; a user's GOGC or GOMEMLIMIT is kept.
func TestTuneBatchGC(t *testing.T) {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, set := os.LookupEnv(name); set {
			t.Cleanup(func() { os.Setenv(name, v) })
		}
		os.Unsetenv(name)
	}
	before := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(before); debug.SetMemoryLimit(limit) })

	var first func()
	onFirstGC = func(fn func()) { first = fn }
	t.Cleanup(func() { onFirstGC = afterFirstGC })
	tuneBatchGC()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("before the first cycle: target %d, want off (-1)", got)
	}
	if got, want := debug.SetMemoryLimit(-1), heapFloor(cgroupMemoryMax); got != want {
		t.Errorf("before the first cycle: limit %d, want the floor %d", got, want)
	}
	if first == nil {
		t.Fatal("no step after the first cycle was registered")
	}
	first()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("after the first cycle: limit %d, want none", got)
	}
	if got := debug.SetGCPercent(100); got != batchGCPercent {
		t.Errorf("after the first cycle: target %d, want %d", got, batchGCPercent)
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	tuneBatchGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("with GOGC=50: target %d, want the user's 50", got)
	}
	os.Unsetenv("GOGC")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	tuneBatchGC()
	if got, lim := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); got != batchGCPercent || lim != 1<<30 {
		t.Errorf("with GOMEMLIMIT: target %d and limit %d, want %d and the user's 1 GiB", got, lim, batchGCPercent)
	}
}

// TestAfterFirstGC: the function given runs once a collection has
// finished.
func TestAfterFirstGC(t *testing.T) {
	done := make(chan struct{})
	afterFirstGC(func() { close(done) })
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-done:
			return
		case <-deadline:
			t.Fatal("not called within 10 s of collections")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestHeapFloor: a quarter of a cgroup's memory limit when that is below
// the floor; the floor without a limit.
func TestHeapFloor(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file string // memory.max's content; "" for no file
		want int64
	}{
		{"", batchHeapFloor},
		{"max\n", batchHeapFloor},
		{"536870912\n", 128 << 20},
		{"4294967296\n", batchHeapFloor},
		{"garbage", batchHeapFloor},
	} {
		path := filepath.Join(dir, "none")
		if c.file != "" {
			path = filepath.Join(dir, "memory.max")
			if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := heapFloor(path); got != c.want {
			t.Errorf("memory.max %q: floor %d, want %d", c.file, got, c.want)
		}
	}
}

// TestHugePagesOptIn: the heap's huge-page advice is opt-in: without
// VIGIL_HUGEPAGES an analysis of files leaves the heap as the runtime maps
// it (the advice cost up to a fifth more CPU on one host); with it, the
// heap is advised where the system can.
func TestHugePagesOptIn(t *testing.T) {
	t.Setenv(hugePagesEnv, "")
	os.Unsetenv(hugePagesEnv)
	if adviseHugeHeap() {
		t.Errorf("%s unset: the heap was advised", hugePagesEnv)
	}
	if runtime.GOOS != "linux" {
		return
	}
	t.Setenv(hugePagesEnv, "1")
	if !adviseHugeHeap() {
		t.Errorf("%s=1: the heap was not advised", hugePagesEnv)
	}
}
