package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoWritesLogs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if err := runDemo(context.Background(), []string{"-o", dir, "--serve=false"}); err != nil {
		t.Fatalf("demo: %v", err)
	}
	for _, f := range []string{"sample.pcap", "conn.log", "weird.log"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	st, _ := os.Stat(filepath.Join(dir, "conn.log"))
	if st == nil || st.Size() == 0 {
		t.Errorf("demo conn.log is empty")
	}
}

func TestAnalyzeErrorsAreClear(t *testing.T) {
	tmp := t.TempDir()
	notCapture := filepath.Join(tmp, "notes.txt")
	os.WriteFile(notCapture, []byte("hello, this is not a capture\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-q", "-o", tmp, filepath.Join(tmp, "missing.pcap")}, "missing.pcap"},
		{[]string{"-q", "-o", tmp, notCapture}, "notes.txt"},
		// What the file could have been, for a zeek-cut output without
		// Zeek's header: the formats Vigil reads.
		{[]string{"-q", "-o", tmp, notCapture}, "Zeek logs with their #separator and #fields header"},
	} {
		err := runAnalyze(context.Background(), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("analyze %v: error %v should name %q", tc.args, err, tc.want)
		}
	}
	// Standard input is read as a capture: logs are given as files.
	stdin := os.Stdin
	t.Cleanup(func() { os.Stdin = stdin })
	f, err := os.Open(notCapture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	os.Stdin = f
	if err := runAnalyze(context.Background(), []string{"-q", "-o", tmp, "-"}); err == nil || !strings.Contains(err.Error(), "give logs as files") {
		t.Errorf("analyze - with no capture on stdin: error %v", err)
	}
	if err := runAnalyze(context.Background(), nil); err != errUsage {
		t.Errorf("analyze without input: got %v, want the usage error", err)
	}
}

// TestAnalyzeInsightSwitches: each switch leaves out the logs of the part
// it turns off, and only those.
func TestAnalyzeInsightSwitches(t *testing.T) {
	tmp := t.TempDir()
	capture := filepath.Join(tmp, "sample.pcap")
	if err := runSample(context.Background(), []string{"-o", capture, "--packets", "2000", "--flows", "50"}); err != nil {
		t.Fatalf("sample: %v", err)
	}
	for _, tc := range []struct {
		flag          string
		want, without []string
	}{
		{"", []string{"conn.log", "assets.log", "alerts.log", "ipv6.log"}, nil},
		{"--no-assets", []string{"conn.log", "alerts.log", "ipv6.log"}, []string{"assets.log"}},
		{"--no-detect", []string{"conn.log", "assets.log", "ipv6.log"}, []string{"alerts.log"}},
		{"--no-insight", []string{"conn.log"}, []string{"assets.log", "alerts.log", "ipv6.log"}},
	} {
		dir := filepath.Join(tmp, "out"+tc.flag)
		args := []string{"-q", "-o", dir, capture}
		if tc.flag != "" {
			args = append([]string{tc.flag}, args...)
		}
		if err := runAnalyze(context.Background(), args); err != nil {
			t.Fatalf("analyze %v: %v", args, err)
		}
		for _, f := range tc.want {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("analyze %s: no %s", tc.flag, f)
			}
		}
		for _, f := range tc.without {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				t.Errorf("analyze %s: wrote %s", tc.flag, f)
			}
		}
	}
}

// TestConfigSets: a key is set when the file's top-level object has it,
// whatever its value; a missing file or other JSON sets nothing.
func TestConfigSets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		path string
		want bool
	}{
		{write("a.json", `{"aggregate":{"quiet_s":5}}`), true},
		{write("b.json", `{"scan":{"enabled":true},"x":{"aggregate":1}}`), false},
		{write("c.json", `[1]`), false},
		{filepath.Join(dir, "missing.json"), false},
	} {
		if got := configSets(c.path, "aggregate"); got != c.want {
			t.Errorf("%s: %v, want %v", c.path, got, c.want)
		}
	}
}
