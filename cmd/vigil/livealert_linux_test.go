//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
)

// TestLiveScanAlertHasFinalNumbers: a vertical scan of 60 ports that is over in milliseconds must be
// alerted live once, with its final numbers (as offline: "scanned 60
// ports"). Live, the aggregate's quiet_s (60 by default, 2 here) is shorter
// than the scan detector's idle_s (600), so the episode is written with the
// numbers of the threshold crossing (20 ports) and the detector's end
// report, with the real numbers, becomes a second alert for the same scan.
func TestLiveScanAlertHasFinalNumbers(t *testing.T) {
	p := livetest.NewPair(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	conf := filepath.Join(dir, "detect.json")
	// Only the episode timing is shortened; the scan detector keeps its defaults.
	if err := os.WriteFile(conf, []byte(`{"aggregate":{"quiet_s":2,"max_open_s":600},"flush_every_s":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, _, stderr := startLive(t, p, "--ring", "4", "--detect-config", conf, "-o", out)
	target := p.V4[1].String()
	const nPorts = 60
	if err := p.Do(0, func() error {
		for port := 2000; port < 2000+nPorts; port++ {
			if c, err := net.DialTimeout("tcp", net.JoinHostPort(target, strconv.Itoa(port)), time.Second); err == nil {
				c.Close()
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	alerts := func() []map[string]any {
		f, err := os.Open(filepath.Join(out, "alerts.log"))
		if err != nil {
			return nil
		}
		defer f.Close()
		var as []map[string]any
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var a map[string]any
			if json.Unmarshal(sc.Bytes(), &a) == nil && a["class"] == "scan.vertical" {
				as = append(as, a)
			}
		}
		return as
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(alerts()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no scan.vertical alert while capturing\n%s", stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	live := alerts()[0]
	if ev, _ := live["evidence"].(map[string]any); ev["probes"] != float64(nPorts) {
		t.Errorf("live alert: %v probes, want %d: %v", ev["probes"], nPorts, live["summary"])
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("vigil: %v\n%s", err, stderr.String())
	}
	for _, a := range alerts() {
		t.Logf("alert %v count %v ts %v end %v ev %v", a["summary"], a["count"], a["ts"], a["ts_end"], a["evidence"])
	}
	if as := alerts(); len(as) != 1 {
		var sums []any
		for _, a := range as {
			sums = append(sums, a["summary"])
		}
		t.Errorf("%d scan.vertical alerts for one scan, want 1: %v", len(as), sums)
	}
}
