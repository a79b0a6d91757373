package serve

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFailedRunSource: a capture that fails (here cut short
// mid-packet) is moved to DATA/failed, and its run's source (the sensor
// page, /api/v1/sensor, and the incident pcap cutter) names it there (it
// named DATA/done/NAME, a file that does not exist).
func TestFailedRunSource(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	srv := startServer(t, cfg)
	b, err := os.ReadFile("../../testdata/lab/mirai.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(srv.cfg.inbox(), 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(srv.cfg.inbox(), "cut.pcap")
	if err := os.WriteFile(in, b[:len(b)/2+7], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.IngestFile(context.Background(), in, time.Time{}); err == nil {
		t.Fatal("truncated capture ingested without error")
	}
	runs, err := srv.st.ListRuns(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status != "failed" {
			continue
		}
		if _, err := os.Stat(r.Source); err != nil {
			t.Errorf("failed run %d: source %s does not exist (the file is in %s)", r.ID, r.Source, srv.cfg.failed())
		}
	}
}
