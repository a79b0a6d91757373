package lab

import (
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

func TestLabelsRejected(t *testing.T) {
	for name, body := range map[string]string{
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
