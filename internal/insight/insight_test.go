package insight

import (
	"context"
	"github.com/vigil-nsm/vigil/internal/record"
	"os"
	"path/filepath"
	"testing"

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
	out := t.TempDir()
	set, err := New(DefaultConfig(), out)
	if err != nil {
		t.Fatal(err)
	}
	cfg := analyze.DefaultConfig()
	cfg.OutDir = out
	cfg.Workers = 1 // one record order: the same alerts on every run
	cfg.Consumers = append(set.Consumers(), extra...)
	if _, err := analyze.Run(context.Background(), cfg, inputs); err != nil {
		t.Fatal(err)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
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

// TestScannersInSyntheticTrafficAreAlerted: the synthetic mix has SYN
// scanners; they come out in alerts.log and incidents.log.
func TestScannersInSyntheticTrafficAreAlerted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := synth.DefaultConfig()
	cfg.Packets, cfg.Flows = 200000, 20000
	if _, err := synth.Write(f, cfg); err != nil {
		t.Fatal(err)
	}
	f.Close()
	set, out := run(t, path)
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
