package serve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIngestLogLine: a capture ingested without error is reported on the
// server's log, as a failure and an EVE file were; the terminal that
// dropped it into the inbox heard nothing before.
func TestIngestLogLine(t *testing.T) {
	var log lockedBuffer
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), &log
	srv := startServer(t, cfg)
	b, err := os.ReadFile("../../testdata/lab/mirai.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(srv.cfg.inbox(), 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(srv.cfg.inbox(), "mirai.pcap")
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.IngestFile(context.Background(), in, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got := log.String()
	if !strings.Contains(got, "vigil serve: ingest mirai.pcap: ") || !strings.Contains(got, " packets, ") || !strings.Contains(got, " records stored (run ") {
		t.Errorf("no ingest line for mirai.pcap in the server's log:\n%s", got)
	}
}
