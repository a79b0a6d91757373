package lab

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLabelsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.labels.json")
	want := testLabels()
	if err := WriteLabels(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLabels(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	b, _ := os.ReadFile(path)
	for _, field := range []string{`"scenario"`, `"description"`, `"tool_commands"`, `"attacker"`, `"victims"`,
		`"start_ts"`, `"end_ts"`, `"expected_classes"`, `"mitre"`, `"benign_hosts"`, `"phases"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("labels lack DESIGN.md field %s", field)
		}
	}
}

// TestLabelsIntelFeeds: the feeds a scenario publishes survive the round
// trip; labels without them (every scenario but intel-ioc, and labels
// written before the field) have no intel_feeds field and read as before.
func TestLabelsIntelFeeds(t *testing.T) {
	dir := t.TempDir()
	with := testLabels()
	with.IntelFeeds = []string{"intel-ioc.intel/urlhaus.csv", "intel-ioc.intel/feodo-ipblocklist.txt"}
	without := testLabels()
	for name, l := range map[string]*Labels{"with": with, "without": without} {
		path := filepath.Join(dir, name+".labels.json")
		if err := WriteLabels(path, l); err != nil {
			t.Fatal(err)
		}
		got, err := ReadLabels(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.IntelFeeds, l.IntelFeeds) {
			t.Errorf("%s: intel feeds %q, want %q", name, got.IntelFeeds, l.IntelFeeds)
		}
		b, _ := os.ReadFile(path)
		if has := strings.Contains(string(b), `"intel_feeds"`); has != (l.IntelFeeds != nil) {
			t.Errorf("%s: intel_feeds field written: %v", name, has)
		}
	}
}

func TestLabelsRejected(t *testing.T) {
	for name, body := range map[string]string{
		"empty feed":    `{"scenario": "x", "start_ts": 1, "end_ts": 2, "intel_feeds": ["x.intel/a.txt", " "]}`,
		"not json":      "{",
		"no scenario":   `{"start_ts": 1, "end_ts": 2}`,
		"time backward": `{"scenario": "x", "start_ts": 5, "end_ts": 2}`,
		"unknown class": `{"scenario": "x", "start_ts": 1, "end_ts": 2, "expected_classes": ["scan.everything"]}`,
	} {
		path := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := ReadLabels(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEpochTime(t *testing.T) {
	at := time.Date(2026, 11, 29, 10, 23, 45, 123456789, time.UTC)
	ts := epoch(at)
	if ts != 1795947825.123457 {
		t.Errorf("epoch = %f", ts)
	}
	if d := Time(ts).Sub(at); d.Abs() > time.Microsecond {
		t.Errorf("Time(epoch(t)) off by %s", d)
	}
}

// Hours of benign traffic are allowed (a false-alert rate per hour needs
// them); an attack stays bounded to MaxDuration whatever the flag says.
func TestLongRunsBenignOnly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OutDir, cfg.Duration = t.TempDir(), time.Hour
	l, err := New(cfg)
	if err != nil {
		t.Fatalf("an hour refused: %v", err)
	}
	defer l.Close()
	attack, err := Lookup("nmap-syn")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Run(context.Background(), []*Scenario{attack}); err == nil || !strings.Contains(err.Error(), "is an attack") {
		t.Errorf("an hour of nmap-syn: %v", err)
	}
	cfg.Duration = MaxBenignDuration + time.Second
	if _, err := New(cfg); err == nil {
		t.Errorf("%s accepted", cfg.Duration)
	}
}
