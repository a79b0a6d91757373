package serve

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRotationNames: what a rotation's files share (rotationKey), and the
// log a copy in progress will be (copiedLog).
func TestRotationNames(t *testing.T) {
	for _, tc := range []struct {
		fn         func(string) string
		name, want string
	}{
		{rotationKey, "conn.log", "log"},
		{rotationKey, "ssh.log.gz", "log"},
		{rotationKey, "conn.15:00:00-16:00:00.log.gz", "15:00:00-16:00:00.log"},
		{rotationKey, "conn__2026-01-01-15-00-00__2026-01-01-16-00-00__.log", "2026-01-01-15-00-00__2026-01-01-16-00-00__.log"},
		{rotationKey, "dns.json", "json"},
		{copiedLog, "ssh.log.part", "ssh.log"},
		{copiedLog, "ssh.log.tmp", "ssh.log"},
		{copiedLog, ".ssh.log.Ab12Cd", "ssh.log"}, // rsync
		{copiedLog, ".conn.15:00:00-16:00:00.log.gz.Ab12Cd", "conn.15:00:00-16:00:00.log.gz"},
		{copiedLog, "eve.json.part", "eve.json"},
		{copiedLog, "trace.pcap.part", ""},
		{copiedLog, ".gather.123", ""},
	} {
		if got := tc.fn(tc.name); got != tc.want {
			t.Errorf("(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestLooseLogsOfOneRotationOneRun: conn.log and ssh.log copied into the
// inbox one by one are one run, as a dropped directory is: the watcher
// waits while one of them is still being written, then gathers them into
// logs/ in the inbox; a log of another rotation and a lone one keep their
// own runs.
func TestLooseLogsOfOneRotationOneRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	srv := startServer(t, cfg)
	srv.cfg.Stable = 50 * time.Millisecond
	inbox := srv.cfg.inbox()
	ssh := `{"ts":1767225602.0,"uid":"Ca","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":22,"auth_success":true}` + "\n"
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(inbox, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("conn.log", zeekConnTSV)
	write("conn.10:00:00-11:00:00.log", zeekConnTSV)
	seen := map[string]*watched{}
	srv.readyFiles(seen)
	time.Sleep(60 * time.Millisecond)
	write("ssh.log", ssh) // conn.log is stable, its sibling not yet
	ready := srv.readyFiles(seen)
	if len(ready) != 1 || filepath.Base(ready[0]) != "conn.10:00:00-11:00:00.log" {
		t.Fatalf("ready %v while ssh.log is written, want only the other rotation's lone log", ready)
	}
	time.Sleep(60 * time.Millisecond)
	ready = srv.readyFiles(seen)
	if len(ready) != 2 {
		t.Fatalf("ready %v, want the lone log and one directory", ready)
	}
	var dir string
	for _, p := range ready {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			dir = p
		}
	}
	if filepath.Base(dir) != "logs" {
		t.Fatalf("ready %v, want the rotation gathered in logs/", ready)
	}
	for _, name := range []string{"conn.log", "ssh.log"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not gathered: %v", name, err)
		}
	}
	if err := srv.IngestFile(context.Background(), dir, seen[dir].since); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	stats := srv.stats
	srv.mu.Unlock()
	if stats.Files != 1 || stats.Records < 3 {
		t.Errorf("sensor stats %+v, want one run of at least 3 records", stats)
	}
	if _, err := os.Stat(filepath.Join(srv.cfg.done(), "logs", "ssh.log")); err != nil {
		t.Errorf("gathered logs not moved to done/: %v", err)
	}
}

// TestRotationWaitsForPartCopy: a rotation copied one file at a time
// under .part names (conn.log.part → conn.log, then ssh.log.part, slower
// than Stable) waits while a sibling is still being copied, so it is not
// split (a review found .part names passed over before the wait).
func TestRotationWaitsForPartCopy(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	srv := startServer(t, cfg)
	srv.cfg.Stable = 50 * time.Millisecond
	inbox := srv.cfg.inbox()
	if err := os.WriteFile(filepath.Join(inbox, "conn.log"), []byte(zeekConnTSV), 0o644); err != nil {
		t.Fatal(err)
	}
	seen := map[string]*watched{}
	srv.readyFiles(seen)
	time.Sleep(60 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(inbox, "ssh.log.part"), []byte(`{"ts":1767225602.0,"uid":"Ca"`), 0o644); err != nil {
		t.Fatal(err)
	}
	if ready := srv.readyFiles(seen); len(ready) != 0 {
		t.Fatalf("ready %v while ssh.log.part of the same rotation is still being copied, want none", ready)
	}
}

// TestCrashMidGatherOneRun: a server stopped midway through a gathering
// leaves its hidden directory with some of the logs; the next start puts
// them back, and the rotation is gathered again whole, one run.
func TestCrashMidGatherOneRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	inbox := cfg.inbox()
	left := filepath.Join(inbox, gatherPrefix+"123")
	if err := os.MkdirAll(left, 0o755); err != nil {
		t.Fatal(err)
	}
	ssh := `{"ts":1767225602.0,"uid":"Ca","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":22,"auth_success":true}` + "\n"
	os.WriteFile(filepath.Join(left, "conn.log"), []byte(zeekConnTSV), 0o644)
	os.WriteFile(filepath.Join(inbox, "ssh.log"), []byte(ssh), 0o644)
	srv := startServer(t, cfg)
	srv.cfg.Stable = 50 * time.Millisecond
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the unfinished gathering %s is still there (%v)", left, err)
	}
	seen := map[string]*watched{}
	srv.readyFiles(seen)
	time.Sleep(60 * time.Millisecond)
	ready := srv.readyFiles(seen)
	if len(ready) != 1 || filepath.Base(ready[0]) != "logs" {
		t.Fatalf("ready %v after a gathering cut short, want the rotation as one run in logs/", ready)
	}
	for _, name := range []string{"conn.log", "ssh.log"} {
		if _, err := os.Stat(filepath.Join(ready[0], name)); err != nil {
			t.Errorf("%s not gathered: %v", name, err)
		}
	}
}
