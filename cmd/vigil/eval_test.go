package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalScenarioFeeds: vigil eval loads the intel feeds a scenario's
// labels name for that scenario's analysis only. One committed capture
// (ws2's check-ins with 203.0.113.10) under two names, one of them with a
// feed listing that address: only it raises intel.match.
func TestEvalScenarioFeeds(t *testing.T) {
	labels, pcap := committedScenario(t, "beacon")
	var err error
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "listed.intel"), 0o755)
	os.WriteFile(filepath.Join(dir, "listed.intel", "ips.txt"), []byte("# C2 addresses\n198.51.100.7\n203.0.113.10\n2001:db8:ff::10\n"), 0o644)
	for _, name := range []string{"listed", "unlisted"} {
		labels["scenario"], labels["expected_classes"] = name, []string{"intel.match"}
		delete(labels, "intel_feeds")
		if name == "listed" {
			labels["intel_feeds"] = []string{"listed.intel/ips.txt"}
		}
		writeScenario(t, dir, name, labels, pcap)
	}
	rows, out := evalRows(t, dir)
	if r := rows["listed"]; !strings.HasPrefix(strings.Join(strings.Fields(r)[2:3], ""), "1.00") || strings.Contains(r, "missing") {
		t.Errorf("the scenario with the feed: %q", r)
	}
	if r := rows["unlisted"]; !strings.Contains(r, "missing intel.match") {
		t.Errorf("the scenario without: %q", r)
	}
	t.Logf("\n%s", out)

	// A feed the labels name that is not there is that scenario's error.
	os.Remove(filepath.Join(dir, "listed.intel", "ips.txt"))
	out = stdoutOf(t, func() { err = runEval(context.Background(), []string{"--labels", dir}) })
	if err != nil || !strings.Contains(out, "error: intel feed listed.intel/ips.txt of listed's labels is missing") {
		t.Errorf("missing feed: %v\n%s", err, out)
	}
}

func stdoutOf(t *testing.T, f func()) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = tmp
	defer func() { os.Stdout = saved }()
	f()
	b, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEvalScenarioDetectOverride: vigil eval applies the detection
// override a scenario's labels carry to that scenario's analysis only.
// One committed capture (ws1's 5.6 s UDP tunnel to 203.0.113.10) under
// two names expecting conn.long, one of them with longconn's thresholds
// lowered to 5 s: only it raises conn.long. A misspelt field in an
// override fails the evaluation.
func TestEvalScenarioDetectOverride(t *testing.T) {
	labels, pcap := committedScenario(t, "ipv6-tunnel")
	var err error
	dir := t.TempDir()
	write := func(name, detect string) {
		labels["scenario"], labels["expected_classes"] = name, []string{"conn.long"}
		delete(labels, "detect")
		if detect != "" {
			labels["detect"] = json.RawMessage(detect)
		}
		writeScenario(t, dir, name, labels, pcap)
	}
	write("held", `{"longconn": {"min_duration_s": 5, "min_piece_s": 5}}`)
	write("plain", "")
	rows, out := evalRows(t, dir)
	if r := rows["held"]; !strings.HasPrefix(strings.Join(strings.Fields(r)[2:3], ""), "1.00") || strings.Contains(r, "missing") {
		t.Errorf("the scenario with the override: %q", r)
	}
	if r := rows["plain"]; !strings.Contains(r, "missing conn.long") {
		t.Errorf("the scenario without: %q", r)
	}
	t.Logf("\n%s", out)

	write("held", `{"longconn": {"min_duration": 5}}`)
	out = stdoutOf(t, func() { err = runEval(context.Background(), []string{"--labels", dir}) })
	if err == nil || !strings.Contains(err.Error(), `unknown field "min_duration"`) {
		t.Errorf("a misspelt override: %v\n%s", err, out)
	}
}

// evalRows runs vigil eval on the labels in dir and returns its table's
// rows by scenario, and its output.
func evalRows(t *testing.T, dir string) (map[string]string, string) {
	t.Helper()
	var err error
	out := stdoutOf(t, func() { err = runEval(context.Background(), []string{"--labels", dir}) })
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 {
			rows[f[0]] = line
		}
	}
	return rows, out
}

// committedScenario returns the labels of a committed lab capture, to be
// rewritten, and the capture's absolute path.
func committedScenario(t *testing.T, name string) (map[string]any, string) {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "lab", name)
	var labels map[string]any
	b, err := os.ReadFile(src + ".labels.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	pcap, err := filepath.Abs(src + ".pcap")
	if err != nil {
		t.Fatal(err)
	}
	return labels, pcap
}

// writeScenario writes labels as scenario name's in dir, with a link to
// pcap as its capture (replacing any before).
func writeScenario(t *testing.T, dir, name string, labels map[string]any, pcap string) {
	t.Helper()
	b, _ := json.Marshal(labels)
	os.WriteFile(filepath.Join(dir, name+".labels.json"), b, 0o644)
	os.Remove(filepath.Join(dir, name+".pcap"))
	if err := os.Symlink(pcap, filepath.Join(dir, name+".pcap")); err != nil {
		t.Fatal(err)
	}
}
