package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestEveIntoOutDirNamedDifferently: `-o /abs/out --eve out/eve.json`
// (run from /abs) names the output directory two ways; the run makes it
// before it opens the EVE file, so the --eve check made before the run
// takes both for the same directory (a review found it comparing the
// texts).
func TestEveIntoOutDirNamedDifferently(t *testing.T) {
	capture, _ := filepath.Abs("../../testdata/lab/beacon.pcap")
	dir := t.TempDir()
	t.Chdir(dir)
	err := runAnalyze(context.Background(), []string{"-q", "-o", filepath.Join(dir, "out"), "--eve", "out/eve.json", capture})
	if err != nil {
		t.Fatalf("--eve into the output directory given relative, -o absolute: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "eve.json")); err != nil {
		t.Error(err)
	}
}
