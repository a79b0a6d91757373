package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
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
