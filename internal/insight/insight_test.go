package insight

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/synth"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// run analyses inputs with the understanding stage attached.
func run(t *testing.T, inputs ...string) (*Set, string) {
	t.Helper()
	return runWith(t, nil, inputs...)
}

// runWith is run with extra consumers beside the understanding stage's.
func runWith(t *testing.T, extra []analyze.Consumer, inputs ...string) (*Set, string) {
	t.Helper()
	return runWorkers(t, 1, extra, inputs...) // one record order: the same alerts on every run
}

// runConfig analyses inputs with one worker and the given configuration
// and returns the output directory.
func runConfig(t *testing.T, icfg Config, inputs ...string) string {
	t.Helper()
	_, _, out := analyzeSet(t, icfg, nil, inputs...)
	return out
}

// analyzeSet analyses inputs with the understanding stage icfg sets up,
// with one worker unless edit changes the analysis' config, and returns
// the closed set, the run's summary and the output directory.
func analyzeSet(t testing.TB, icfg Config, edit func(*analyze.Config), inputs ...string) (*Set, *analyze.Summary, string) {
	t.Helper()
	out := t.TempDir()
	set, err := New(icfg, out)
	if err != nil {
		t.Fatal(err)
	}
	cfg := analyze.DefaultConfig()
	cfg.OutDir, cfg.Workers, cfg.Consumers = out, 1, set.Consumers()
	if edit != nil {
		edit(&cfg)
	}
	sum, err := analyze.Run(context.Background(), cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	return set, sum, out
}

// runWorkers is runWith with the given number of workers.
func runWorkers(t testing.TB, workers int, extra []analyze.Consumer, inputs ...string) (*Set, string) {
	t.Helper()
	set, _, out := analyzeSet(t, DefaultConfig(), func(cfg *analyze.Config) {
		cfg.Workers = workers
		cfg.Consumers = append(cfg.Consumers, extra...)
	}, inputs...)
	return set, out
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	out, err := record.ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// synthMix writes the synthetic traffic mix (it has SYN scanners).
func synthMix(t *testing.T, packets, flows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := synth.DefaultConfig()
	cfg.Packets, cfg.Flows = packets, flows
	if _, err := synth.Write(f, cfg); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// TestScannersInSyntheticTrafficAreAlerted: the synthetic mix has SYN
// scanners; they come out in alerts.log and incidents.log.
func TestScannersInSyntheticTrafficAreAlerted(t *testing.T) {
	set, out := run(t, synthMix(t, 200000, 20000))
	alerts := readJSONLines(t, filepath.Join(out, "alerts.log"))
	scans := 0
	for _, a := range alerts {
		if a["class"] == "scan.horizontal" || a["class"] == "scan.vertical" {
			scans++
		}
		for _, k := range []string{"ts", "src", "class", "severity", "confidence", "mitre", "summary", "evidence", "detector"} {
			if _, ok := a[k]; !ok {
				t.Errorf("alert without %s: %v", k, a)
			}
		}
	}
	if scans == 0 {
		t.Errorf("no scan alert among %d alerts", len(alerts))
	}
	if len(readJSONLines(t, filepath.Join(out, "incidents.log"))) == 0 {
		t.Error("no incident")
	}
	if len(set.Alerts()) != len(alerts) {
		t.Errorf("Alerts() has %d, alerts.log %d", len(set.Alerts()), len(alerts))
	}
	if _, err := os.Stat(filepath.Join(out, "ipv6.log")); err != nil {
		t.Error(err)
	}
}

// TestIPv6FindingsBecomeAlerts: the monitor's findings reach alerts.log
// through the engine (THC-IPv6 kill_router6 capture).
func TestIPv6FindingsBecomeAlerts(t *testing.T) {
	root := testcorpus.Require(t)
	pcaps, _ := filepath.Glob(filepath.Join(root, "suricata-verify", "tests", "ipv6-evasion", "ipv6-kill-router-gateway", "*.pcap"))
	if len(pcaps) == 0 {
		t.Fatal("kill_router6 capture missing")
	}
	_, out := run(t, pcaps[0])
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		if a["class"] == "ipv6.kill_router" && a["detector"] == "ipv6" {
			return
		}
	}
	t.Error("no ipv6.kill_router alert from the IPv6 monitor in alerts.log")
}

// TestSameInsightWhateverTheWorkers: alerts, incidents, the inventory and
// the IPv6 monitor's records do not depend on the number of workers (the
// workers' records reach them interleaved in no fixed order).
func TestSameInsightWhateverTheWorkers(t *testing.T) {
	lab, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "lab", "*.pcap"))
	if len(lab) < 12 {
		t.Fatalf("only %d lab captures", len(lab))
	}
	inputs := append([]string{synthMix(t, 200000, 20000)}, lab...)
	for _, in := range inputs {
		_, one := runWorkers(t, 1, nil, in)
		_, three := runWorkers(t, 3, nil, in)
		for _, log := range []string{"alerts.log", "incidents.log", "assets.log", "ipv6.log"} {
			a, b := sortedLines(t, filepath.Join(one, log)), sortedLines(t, filepath.Join(three, log))
			if len(a) != len(b) {
				t.Errorf("%s %s: %d records with 1 worker, %d with 3", filepath.Base(in), log, len(a), len(b))
				continue
			}
			for i := range a {
				if a[i] != b[i] {
					t.Errorf("%s %s: a record differs: %s", filepath.Base(in), log, jsonDiff(a[i], b[i]))
					break
				}
			}
		}
	}
}

func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	sort.Strings(lines)
	return lines
}

// jsonDiff names the top-level fields in which two JSON objects differ,
// with both values.
func jsonDiff(a, b string) string {
	var x, y map[string]any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a + " | " + b
	}
	var out []string
	for k := range x {
		if !reflect.DeepEqual(x[k], y[k]) {
			out = append(out, fmt.Sprintf("%s: %v | %v", k, x[k], y[k]))
		}
	}
	sort.Strings(out)
	return fmt.Sprintf("host/id %v/%v: %s", x["host"], x["id"], strings.Join(out, "; "))
}

// TestRejectedHeadersOneAlertPerSender: when host after host answers one
// sender's malformed IPv6 headers with a parameter problem (scan6's
// probes), the sender gets one alert listing the hosts, not one per host.
func TestRejectedHeadersOneAlertPerSender(t *testing.T) {
	out := t.TempDir()
	set, err := New(DefaultConfig(), out)
	if err != nil {
		t.Fatal(err)
	}
	for i, host := range []string{"fd66::1", "fd66::10", "fd66::21"} {
		line := fmt.Sprintf(`{"ts":%d,"type":4,"code":2,"pointer":40,"src":%q,"dst":"fd66::66","hop_limit":64,"len":96}`, 100+i, host)
		for _, c := range set.Consumers() {
			c.Record("_icmp6", []byte(line))
		}
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		if a["class"] == "ipv6.evasion" {
			got = append(got, a)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d ipv6.evasion alerts, want 1: %v", len(got), got)
	}
	if dsts, _ := got[0]["dsts"].([]any); got[0]["src"] != "fd66::66" || len(dsts) != 3 {
		t.Errorf("alert %v: want src fd66::66 and the 3 hosts that answered", got[0])
	}
}
