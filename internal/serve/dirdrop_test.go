package serve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

const zeekConnTSV = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\n" +
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\n" +
	"1767225600.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n1767225610.0\tCb\t10.0.0.1\t5001\t10.0.0.2\t22\ttcp\t1.0\n"

// TestInterruptedRunIngestedOnce: a run stopped before its end stays
// "running"; at the next start Recover removes its rows and the input,
// still in the inbox, is ingested again: its records are stored once, for
// a dropped directory as for a file.
func TestInterruptedRunIngestedOnce(t *testing.T) {
	for _, asDir := range []bool{false, true} {
		name := map[bool]string{false: "file", true: "directory"}[asDir]
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg.Finish = func(string) error { cancel(); return nil } // stopped as the run ends
			srv, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Open(); err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(srv.cfg.inbox(), "conn.log")
			if asDir {
				in = filepath.Join(srv.cfg.inbox(), "zeek-2026-01-01")
				os.Mkdir(in, 0o755)
				os.WriteFile(filepath.Join(in, "conn.log"), []byte(zeekConnTSV), 0o644)
			} else {
				os.WriteFile(in, []byte(zeekConnTSV), 0o644)
			}
			if err := srv.IngestFile(ctx, in, time.Time{}); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted ingest: %v", err)
			}
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			cfg.Finish = nil
			srv2 := startServer(t, cfg) // restart: Recover
			if _, err := os.Stat(in); err != nil {
				t.Fatalf("input not left in the inbox: %v", err)
			}
			if err := srv2.IngestFile(context.Background(), in, time.Time{}); err != nil { // the watcher takes it again
				t.Fatal(err)
			}
			page, err := srv2.st.Flows(context.Background(), flowFilter(100))
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 2 {
				runs, _ := srv2.st.ListRuns(context.Background(), 10)
				t.Errorf("%d connections stored, want 2 (runs %+v)", page.Total, runs)
			}
		})
	}
}

// TestDirectoryOfCapturesPcap: an incident's packets are exported from a
// dropped directory of captures (a run of kind "capture"), as from a
// dropped capture.
func TestDirectoryOfCapturesPcap(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	cfg.Analyze.Workers = 1
	srv := startServer(t, cfg)
	dir := filepath.Join(srv.cfg.inbox(), "captures-2026-01-01")
	os.Mkdir(dir, 0o755)
	writeSample(t, filepath.Join(dir, "sample.pcap"), 3000)
	if err := srv.IngestFile(context.Background(), dir, time.Time{}); err != nil {
		t.Fatal(err)
	}
	injectInsight(t, srv)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/api/v1/incidents/inc-test/pcap?token=" + srv.Tokens().Read)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) <= 24 {
		t.Fatalf("pcap of an incident from a dropped capture directory: %d, %q", resp.StatusCode, strings.TrimSpace(string(body)))
	}
}

// TestUnmovableDirectoryNotIngested: a directory the server may not move
// to done/ (no write permission on it: moving rewrites its "..") is not
// ingested, rather than ingested again at every scan. It needs a user
// other than root, who may move anything.
func TestUnmovableDirectoryNotIngested(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may move any directory")
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	cfg.Poll, cfg.Stable = 20*time.Millisecond, 50*time.Millisecond
	srv := startServer(t, cfg)
	dir := filepath.Join(srv.cfg.inbox(), "zeek-2026-01-01")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "conn.log"), []byte(zeekConnTSV), 0o644)
	os.Chmod(dir, 0o555)
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.watch(ctx); close(done) }()
	time.Sleep(time.Second)
	cancel()
	<-done
	runs, err := srv.st.ListRuns(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range runs {
		if r.Kind == "logs" {
			n++
		}
	}
	page, _ := srv.st.Flows(context.Background(), flowFilter(1000))
	if n != 0 || page.Total != 0 {
		t.Errorf("the directory was ingested %d times, %d connections stored (want none)", n, page.Total)
	}
}
