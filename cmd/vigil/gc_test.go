package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneBatchGC: an analysis of files raises the collector's target,
// unless the user chose one with GOGC.
func TestTuneBatchGC(t *testing.T) {
	if v, set := os.LookupEnv("GOGC"); set {
		t.Cleanup(func() { os.Setenv("GOGC", v) })
	}
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	os.Unsetenv("GOGC")
	tuneBatchGC()
	if got := debug.SetGCPercent(100); got != batchGCPercent {
		t.Errorf("without GOGC: target %d, want %d", got, batchGCPercent)
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	tuneBatchGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("with GOGC=50: target %d, want the user's 50", got)
	}
}
