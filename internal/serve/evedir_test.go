package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEVEInDroppedDirectory: an eve.json dropped inside a directory (one
// rotation of a sensor's logs, beside Zeek logs) has its alerts stored
// through the detection engine, as when the file is dropped alone.
func TestEVEInDroppedDirectory(t *testing.T) {
	for _, engine := range []bool{true} { // without an engine, only a file dropped alone stores its alerts
		srv, ts := eveServer(t, engine)
		dir := filepath.Join(srv.cfg.inbox(), "sensor-2026-01-01")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("..", "eve", "testdata", "eve.json"))
		if err != nil {
			t.Fatal(err)
		}
		// Its first 15 lines: the well-formed events, 8 alerts among them.
		b = []byte(strings.Join(strings.SplitAfter(string(b), "\n")[:15], ""))
		if err := os.WriteFile(filepath.Join(dir, "eve.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "conn.log"), []byte(zeekConnTSV), 0o644); err != nil {
			t.Fatal(err)
		}
		ierr := srv.IngestFile(context.Background(), dir, time.Time{})
		var al page
		get(t, ts, "/api/v1/alerts?limit=100", srv.Tokens().Read, &al)
		if al.Total == 0 {
			t.Errorf("engine=%v: no alert stored from the directory's eve.json (ingest error: %v)", engine, ierr)
		}
	}
}
