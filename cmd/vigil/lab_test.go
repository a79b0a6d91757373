package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Options may come before or after the scenario names.
func TestLabFlagsAnyOrder(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	out := fs.String("o", "", "")
	d := fs.Duration("duration", 0, "")
	names, err := labFlags(fs, []string{"mirai", "-o", "x", "iodine", "--duration", "5s", "beacon"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"mirai", "iodine", "beacon"}) || *out != "x" || d.Seconds() != 5 {
		t.Errorf("names %v, -o %q, --duration %s", names, *out, d)
	}
}

func TestLabUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nonsense"}, {"run"}, {"exercise"}} {
		if err := runLab(context.Background(), args); !errors.Is(err, errUsage) {
			t.Errorf("vigil lab %v: %v, want a usage error", args, err)
		}
	}
	if err := runLab(context.Background(), []string{"run", "no-such-scenario"}); err == nil || errors.Is(err, errUsage) {
		t.Errorf("unknown scenario: %v", err)
	}
}

// TestHideName: a random exercise's capture and intel feeds are copied
// under names that do not give the scenario away.
func TestHideName(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "intel-ioc.pcap")
	os.WriteFile(pcap, []byte("capture"), 0o644)
	os.MkdirAll(filepath.Join(dir, "intel-ioc.intel"), 0o755)
	feed := filepath.Join(dir, "intel-ioc.intel", "urlhaus.csv")
	os.WriteFile(feed, []byte("url\nhttp://198.51.100.1/x\n"), 0o644)
	hidden, feeds, cleanup, err := hideName(pcap, []string{feed})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if len(feeds) != 1 {
		t.Fatalf("feeds %q", feeds)
	}
	for _, p := range append([]string{hidden}, feeds...) {
		if strings.Contains(p, "intel") {
			t.Errorf("%s names the scenario", p)
		}
	}
	if b, _ := os.ReadFile(feeds[0]); string(b) != "url\nhttp://198.51.100.1/x\n" {
		t.Errorf("feed copy %q", b)
	}
	cleanup()
	if _, err := os.Stat(hidden); err == nil {
		t.Error("cleanup left the copy")
	}
}
