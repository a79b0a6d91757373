package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestZeekLogsSameOutputsEveryRun: Zeek's btest baseline of
// core.tunnels.teredo masks every time (XXXXXXXXXX.XXXXXX, read as ts 0),
// so its two tunnel incidents begin at the same time. Analysed with one
// worker or two, run after run, every output is the same, byte for byte:
// incidents.log had them in the order of the correlator's map.
func TestZeekLogsSameOutputsEveryRun(t *testing.T) {
	in := testcorpus.Require(t, "zeek", "testing", "btest", "Baseline", "core.tunnels.teredo")
	tmp := t.TempDir()
	var first map[string][]byte
	firstName := ""
	for run := range 24 {
		workers := 1 + run%2
		out := filepath.Join(tmp, fmt.Sprintf("run%d-w%d", run, workers))
		if err := runAnalyze(context.Background(), []string{"-q", "--workers", fmt.Sprint(workers), "-o", out, in}); err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{}
		ents, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(out, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			got[e.Name()] = b
		}
		if first == nil {
			if len(got["incidents.log"]) == 0 {
				t.Fatalf("no incidents.log to compare in %s", out)
			}
			first, firstName = got, filepath.Base(out)
			continue
		}
		for name, want := range first {
			if !bytes.Equal(got[name], want) {
				t.Fatalf("%s of %s differs from %s's:\n%s\nwant\n%s", name, filepath.Base(out), firstName, got[name], want)
			}
		}
		if len(got) != len(first) {
			t.Fatalf("%s wrote %d logs, %s %d", filepath.Base(out), len(got), firstName, len(first))
		}
	}
}
