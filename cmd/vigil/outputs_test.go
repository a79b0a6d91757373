package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAnalyzeEarlierOutputDirectory: an earlier run's output directory as
// input: its records are read, its derived logs (alerts, incidents,
// assets) are not read back, and the new run's are JSON lines.
func TestAnalyzeEarlierOutputDirectory(t *testing.T) {
	tmp := t.TempDir()
	first, second := filepath.Join(tmp, "first"), filepath.Join(tmp, "second")
	if err := runAnalyze(context.Background(), []string{"-q", "-o", first, "../../testdata/lab/mirai.pcap"}); err != nil {
		t.Fatal(err)
	}
	if err := runAnalyze(context.Background(), []string{"-q", "-o", second, first}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alerts.log", "incidents.log", "assets.log"} {
		want, got := jsonLines(t, filepath.Join(first, name)), jsonLines(t, filepath.Join(second, name))
		if want == 0 {
			continue
		}
		if got < 0 {
			t.Errorf("%s of the second run is not JSON lines (the writer and the engine both wrote it)", name)
		}
	}
}

// jsonLines counts the lines of a file, -1 when one is not JSON.
func jsonLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	n := 0
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Logf("%s: line %d: %.120s", path, n+1, sc.Text())
			return -1
		}
		n++
	}
	return n
}

// TestAnalyzeRefusedOutputLogKept: a run refused for reading a log of its
// output directory leaves that directory's logs as they were.
func TestAnalyzeRefusedOutputLogKept(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, "../../testdata/lab/mirai.pcap"}); err != nil {
		t.Fatal(err)
	}
	alerts := filepath.Join(out, "alerts.log")
	before := jsonLines(t, alerts)
	if before <= 0 {
		t.Fatalf("no alerts to keep (%d)", before)
	}
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, alerts}); err == nil {
		t.Fatalf("a log of the output directory was not refused")
	}
	if after := jsonLines(t, alerts); after != before {
		t.Errorf("the refused run left %d of the %d alerts in %s", after, before, alerts)
	}
}
