package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAnalyzeOutputDirectoryAsInput: the output directory itself given as
// the input (`vigil analyze -o out out`, to analyse an earlier run again)
// is refused with a message that says so, before anything truncates the
// earlier run's alerts.log, assets.log, ipv6.log.
func TestAnalyzeOutputDirectoryAsInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, "../../testdata/lab/mirai.pcap"}); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, n := range []string{"alerts.log", "assets.log", "ipv6.log"} {
		before[n] = jsonLines(t, filepath.Join(out, n))
	}
	err := runAnalyze(context.Background(), []string{"-q", "-o", out, out})
	if err == nil || !strings.Contains(err.Error(), "output directory") {
		t.Errorf("error %v, want one that names the output directory", err)
	}
	for n, want := range before {
		if got := jsonLines(t, filepath.Join(out, n)); got != want {
			t.Errorf("%s: %d lines after the refused run, %d before", n, got, want)
		}
	}
}

// TestStaleLogsForgotten: a second run into the same output directory
// leaves no log of the first that it does not write itself (mirai's
// capture has DHCP, the SYN flood's none: its dhcp.log would have been
// taken for the flood's), and leaves files Vigil did not write alone.
func TestStaleLogsForgotten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(out, 0o755)
	notes := filepath.Join(out, "notes.log")
	os.WriteFile(notes, []byte("mine\n"), 0o644)
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, "../../testdata/lab/mirai.pcap"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "dhcp.log")); err != nil {
		t.Fatalf("the first run wrote no dhcp.log: %v", err)
	}
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, "../../testdata/lab/syn-flood.pcap"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "dhcp.log")); err == nil {
		t.Error("the first run's dhcp.log is still beside the second run's logs")
	}
	for _, f := range []string{"conn.log", "alerts.log", "notes.log"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestRunLogsCoarseClock: a log the run created is listed even when its
// time is before the run's start (the kernel stamps files from a clock up
// to a tick behind time.Now); one that was there before and is older is
// not.
func TestRunLogsCoarseClock(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "notes.log")
	os.WriteFile(old, []byte("mine\n"), 0o644)
	earlier := time.Now().Add(-3 * time.Millisecond)
	os.Chtimes(old, earlier, earlier) // older than the run, untouched by it
	before := logsIn(dir)
	writeAlertsInFirstTick(t, dir, before)
}

// TestRunLogsCoarseClockRewritten: a log that was there before (a run
// killed before it listed its logs) and that this run rewrites at
// start-up is listed too, though the coarse clock stamps it before the
// run's start; a log left untouched is not.
func TestRunLogsCoarseClockRewritten(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"alerts.log", "notes.log"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("before\n"), 0o644)
		os.Chtimes(p, old, old)
	}
	before := logsIn(dir)
	writeAlertsInFirstTick(t, dir, before)
}

// writeAlertsInFirstTick writes alerts.log as a run does at start-up,
// stamped before the run's start as the kernel's coarse clock may, and
// checks that the run's list names it and no other log (before: the
// logs there before the run).
func writeAlertsInFirstTick(t *testing.T, dir string, before map[string]time.Time) {
	t.Helper()
	start := time.Now()
	alerts := filepath.Join(dir, "alerts.log")
	os.WriteFile(alerts, nil, 0o644)
	past := start.Add(-3 * time.Millisecond)
	os.Chtimes(alerts, past, past)
	noteRunLogs(dir, start, before)
	b, err := os.ReadFile(filepath.Join(dir, runLogsFile))
	if err != nil || string(b) != "alerts.log\n" {
		t.Fatalf("%s lists %q (%v), want alerts.log only", runLogsFile, b, err)
	}
}
