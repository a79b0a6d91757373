package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestWebSocketTunnelEndToEnd runs Zeek's WebSocket traces through the
// whole analysis: wstunnel carrying SSH makes one tunnel.websocket alert
// (its two connections to one server, within the hour) and an ssh.log
// record per connection; a Jupyter notebook's WebSocket is no tunnel.
func TestWebSocketTunnelEndToEnd(t *testing.T) {
	dir := testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "websocket")
	for _, c := range []struct {
		trace       string
		alerts, ssh int
	}{
		{"wstunnel-ssh.pcap", 1, 2},
		{"jupyter-websocket.pcap", 0, 0},
	} {
		out := filepath.Join(t.TempDir(), "out")
		if err := runAnalyze(context.Background(), []string{"-q", "-o", out, filepath.Join(dir, c.trace)}); err != nil {
			t.Fatal(err)
		}
		alerts, _ := os.ReadFile(filepath.Join(out, "alerts.log"))
		ssh, _ := os.ReadFile(filepath.Join(out, "ssh.log"))
		if n := strings.Count(string(alerts), `"class":"tunnel.websocket"`); n != c.alerts || strings.Count(string(ssh), "\n") != c.ssh {
			t.Errorf("%s: %d tunnel alerts, want %d; ssh.log\n%s\nalerts.log\n%s", c.trace, n, c.alerts, ssh, alerts)
		}
	}
}
