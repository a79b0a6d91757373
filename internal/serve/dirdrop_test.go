package serve

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDirectoryDrop: a directory dropped into the inbox (one rotation of
// a Zeek sensor's logs) is one run: its logs are read together, in time
// order, and it moves to done/ as a whole; the watcher takes it once
// nothing in it has changed for Stable.
func TestDirectoryDrop(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	srv := startServer(t, cfg)
	dir := filepath.Join(srv.cfg.inbox(), "zeek-2026-01-01-00")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conn := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\n" +
		"1767225600.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n1767225610.0\tCb\t10.0.0.1\t5001\t10.0.0.2\t22\ttcp\t1.0\n"
	ssh := `{"ts":1767225602.0,"uid":"Ca","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":22,"auth_success":true}` + "\n"
	for name, text := range map[string]string{"conn.log": conn, "ssh.log": ssh} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]*watched{}
	srv.cfg.Stable = 50 * time.Millisecond
	if ready := srv.readyFiles(seen); len(ready) != 0 {
		t.Fatalf("ready at first sight: %v", ready)
	}
	time.Sleep(60 * time.Millisecond)
	ready := srv.readyFiles(seen)
	if len(ready) != 1 || ready[0] != dir {
		t.Fatalf("ready %v, want the directory", ready)
	}
	if err := srv.IngestFile(context.Background(), dir, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(srv.cfg.done(), "zeek-2026-01-01-00", "ssh.log")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("directory not moved to done: %v", err)
	}
	srv.mu.Lock()
	stats := srv.stats
	srv.mu.Unlock()
	if stats.Files != 1 || stats.Failed != 0 || stats.Records < 3 {
		t.Errorf("sensor stats %+v, want one run of at least 3 records", stats)
	}
}
