package detect

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestEvalCapturesIntelFeeds: a scenario's labels may name intel feed
// files (relative to the labels' directory, or absolute); EvalCaptures
// hands them, resolved, to that scenario's analysis only. Labels without
// the field (those written before it) get none; a feed that is missing is
// the scenario's error, naming the file, and the others are evaluated.
func TestEvalCapturesIntelFeeds(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs-feed.txt")
	os.WriteFile(abs, []byte("192.0.2.1\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "ioc.intel"), 0o755)
	for _, f := range []string{"ioc.intel/urls.csv", "ioc.intel/ips.txt"} {
		os.WriteFile(filepath.Join(dir, f), []byte("192.0.2.2\n"), 0o644)
	}
	cases := []struct {
		scenario, feeds string // the labels' intel_feeds field ("" leaves it out)
		want            []string
		err             string
	}{
		{"no-field", "", nil, ""},
		{"empty-list", `[]`, nil, ""},
		{"relative", `["ioc.intel/urls.csv", "ioc.intel/ips.txt"]`,
			[]string{filepath.Join(dir, "ioc.intel/urls.csv"), filepath.Join(dir, "ioc.intel/ips.txt")}, ""},
		{"one-string", `"ioc.intel/ips.txt"`, []string{filepath.Join(dir, "ioc.intel/ips.txt")}, ""},
		{"absolute", `["` + abs + `"]`, []string{abs}, ""},
		{"missing", `["ioc.intel/urls.csv", "ioc.intel/gone.txt"]`, nil,
			"intel feed ioc.intel/gone.txt of missing's labels is missing (no " + filepath.Join(dir, "ioc.intel/gone.txt") + ")"},
		{"blank", `[""]`, nil, "labels of blank name an empty intel feed"},
	}
	for _, c := range cases {
		body := `{"scenario": "` + c.scenario + `", "start_ts": 1.7e9, "end_ts": 1.7e9, "expected_classes": ["intel.match"]`
		if c.feeds != "" {
			body += `, "intel_feeds": ` + c.feeds
		}
		os.WriteFile(filepath.Join(dir, c.scenario+".labels.json"), []byte(body+"}"), 0o644)
	}
	got := map[string][]string{}
	analyzed := map[string]bool{}
	table, err := EvalCaptures(dir, t.TempDir(), func(pcap, outDir string, in Inputs) (string, error) {
		scenario := strings.TrimSuffix(filepath.Base(pcap), ".pcap")
		analyzed[scenario], got[scenario] = true, in.Feeds
		p := filepath.Join(outDir, "alerts.log")
		return p, os.WriteFile(p, nil, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, r := range table.Rows {
		rows[r.Scenario] = r
	}
	for _, c := range cases {
		if c.err != "" {
			if rows[c.scenario].Err != c.err || analyzed[c.scenario] {
				t.Errorf("%s: error %q (analysed: %v), want %q", c.scenario, rows[c.scenario].Err, analyzed[c.scenario], c.err)
			}
			continue
		}
		if rows[c.scenario].Err != "" || !analyzed[c.scenario] || !reflect.DeepEqual(got[c.scenario], c.want) {
			t.Errorf("%s: feeds %q, error %q; want %q", c.scenario, got[c.scenario], rows[c.scenario].Err, c.want)
		}
	}
	if out := table.String(); !strings.Contains(out, "error: intel feed ioc.intel/gone.txt of missing's labels is missing") {
		t.Errorf("the table does not show the missing feed:\n%s", out)
	}
}
