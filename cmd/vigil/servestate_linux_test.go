//go:build linux

package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
)

// vigil serve -i, stopped and started again on the same data directory,
// keeps its detection state: a slow scan (the slow tier asks 12 ports
// here, the fast one 64) of 8 ports before the restart and 8 after it is
// reported by the second server, which says what it loaded.
func TestServeLiveKeepsDetectState(t *testing.T) {
	p := livetest.NewPair(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	conf := filepath.Join(dir, "detect.json")
	if err := os.WriteFile(conf, []byte(`{"scan":{"vertical_ports":64,"horizontal_hosts":64,"slow_vertical_ports":12}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	serveOnce := func(from int) string {
		t.Helper()
		cmd := exec.Command("ip", "netns", "exec", p.NS[0], os.Args[0], "-test.run=^$", "--",
			"serve", "-i", p.If[0], "--ring", "4", "--data", data, "--listen", "127.0.0.1:0", "--detect-config", conf)
		cmd.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1")
		var stderr syncBuffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(stderr.String(), "live capture on") {
			if time.Now().After(deadline) {
				t.Fatalf("vigil serve did not start capturing:\n%s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := p.Do(0, func() error {
			for port := from; port < from+8; port++ {
				if c, err := net.DialTimeout("tcp", net.JoinHostPort(p.V4[1].String(), strconv.Itoa(port)), time.Second); err == nil {
					c.Close()
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // the ring hands the packets over
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("vigil serve: %v\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("vigil serve did not stop on SIGINT:\n%s", stderr.String())
		}
		return stderr.String()
	}
	liveAlerts := func() (n int, slow []map[string]any) {
		dirs, _ := filepath.Glob(filepath.Join(data, "runs", "*-live"))
		for _, d := range dirs {
			slow = append(slow, slowAlerts(t, filepath.Join(d, "alerts.log"))...)
		}
		return len(dirs), slow
	}

	log := serveOnce(3001)
	if !strings.Contains(log, "detect.state: saved") || !strings.Contains(log, "scan: 1 slow records") {
		t.Fatalf("the first server did not save its state:\n%s", log)
	}
	if _, slow := liveAlerts(); len(slow) != 0 {
		t.Fatalf("8 probes alerted: %v", slow)
	}
	log = serveOnce(3009)
	if !strings.Contains(log, "detect.state: loaded") || !strings.Contains(log, "scan: 1 slow records") {
		t.Errorf("the second server did not say what it loaded:\n%s", log)
	}
	runs, slow := liveAlerts()
	if runs != 2 || len(slow) == 0 || slow[0]["class"] != "scan.vertical" {
		t.Fatalf("%d live runs, slow scans %v\n%s", runs, slow, log)
	}
	// Reported when it crossed 12 ports: 8 of them before the restart.
	if ev := slow[0]["evidence"].(map[string]any); ev["probes_total"] != float64(12) || ev["max_ports_per_host"] != float64(12) {
		t.Errorf("slow scan: %v", slow[0]["summary"])
	}
}
