package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestReanalyseOutputWithOwnEVEExport: an output directory holding
// Vigil's own EVE export (--eve) is re-analysed as if the export were not
// there: its alerts are Vigil's, not a sensor's, and read back they would
// be counted again.
func TestReanalyseOutputWithOwnEVEExport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	export := filepath.Join(out, "eve.json")
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, "--eve", export, "../../testdata/lab/mirai.pcap"}); err != nil {
		t.Fatal(err)
	}
	again := func() int {
		out2 := filepath.Join(t.TempDir(), "again")
		if err := runAnalyze(context.Background(), []string{"-q", "-o", out2, out}); err != nil {
			t.Fatal(err)
		}
		return jsonLines(t, filepath.Join(out2, "alerts.log"))
	}
	with := again()
	if err := os.Remove(export); err != nil {
		t.Fatal(err)
	}
	if without := again(); with != without || with <= 0 {
		t.Errorf("re-analysed with the EVE export: %d alerts, without it %d", with, without)
	}
}
