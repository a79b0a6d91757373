package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stderrOf runs f with os.Stderr captured and returns what it wrote.
func stderrOf(t *testing.T, f func()) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = tmp
	defer func() { os.Stderr = saved }()
	f()
	b, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUsageMistakes: a mistyped option is answered with the error, the
// option meant and a pointer to -h, not the whole option list with the
// error scrolled away above it; an argument a command does not take is
// refused (vigil sample mine.pcap wrote sample.pcap and said nothing).
func TestUsageMistakes(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	var err error
	out := stderrOf(t, func() { err = runAnalyze(ctx, []string{"--wokers", "2", "x.pcap"}) })
	if !errors.Is(err, errUsage) || !strings.Contains(out, "unknown option -wokers (did you mean --workers?)") ||
		!strings.Contains(out, "vigil analyze -h") || strings.Contains(out, "Options:") {
		t.Errorf("analyze --wokers: %v\n%s", err, out)
	}
	out = stderrOf(t, func() { err = runAnalyze(ctx, []string{"--internal", "10.0.0.0/33", "x.pcap"}) })
	if !errors.Is(err, errUsage) || !strings.Contains(out, `"10.0.0.0/33" is not a network`) || strings.Contains(out, "Options:") {
		t.Errorf("analyze --internal 10.0.0.0/33: %v\n%s", err, out)
	}
	out = stderrOf(t, func() { err = runAnalyze(ctx, nil) })
	if !errors.Is(err, errUsage) || !strings.Contains(out, "Options:") || !strings.Contains(out, "no INPUT given") {
		t.Errorf("analyze without input: %v\n%s", err, out)
	}
	out = stderrOf(t, func() { err = runAnalyze(ctx, []string{"-h"}) })
	if err != nil || !strings.Contains(out, "Options:") {
		t.Errorf("analyze -h: %v\n%s", err, out)
	}
	out = stderrOf(t, func() { err = runSample(ctx, []string{"--packets", "100", "mine.pcap"}) })
	if !errors.Is(err, errUsage) || !strings.Contains(out, `unexpected argument "mine.pcap"`) || !strings.Contains(out, "-o FILE") {
		t.Errorf("sample mine.pcap: %v\n%s", err, out)
	}
	if _, err := os.Stat("sample.pcap"); err == nil {
		t.Error("sample mine.pcap wrote sample.pcap")
	}
	out = stderrOf(t, func() { err = runEval(ctx, []string{filepath.Join("..", "..", "testdata", "lab")}) })
	if !errors.Is(err, errUsage) || !strings.Contains(out, "--labels DIR") {
		t.Errorf("eval DIR: %v\n%s", err, out)
	}
	out = stderrOf(t, func() { err = runServe(ctx, []string{"vigil-data"}) })
	if !errors.Is(err, errUsage) || !strings.Contains(out, "--data DIR") {
		t.Errorf("serve DIR: %v\n%s", err, out)
	}
}

// TestClosest: a command or option one or two edits away is suggested;
// a short or distant word is not.
func TestClosest(t *testing.T) {
	cmds := []string{"analyze", "assets", "demo", "eval", "lab", "sample", "serve", "version"}
	for in, want := range map[string]string{"analyse": "analyze", "asets": "assets", "serv": "serve", "x": "", "capture": "", "run": ""} {
		if got := closest(in, cmds); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
