package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/serve"
)

// TestServeDetectConfig: vigil serve takes --detect-config as analyze
// does (a server was configured with the defaults only: no internal
// networks, allowlists or intel feeds): a bad file stops it before it
// listens, naming the file, and the config reaches every ingest run's
// detection engine (a feed it names is loaded by each run).
func TestServeDetectConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"no_such_field": 1}`), 0o644)
	err := runServe(context.Background(), []string{"--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--detect-config", bad})
	if err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("serve with a bad detection config: %v", err)
	}

	feed := filepath.Join(dir, "feed.txt")
	os.WriteFile(feed, []byte("203.0.113.66 test C2\n"), 0o644)
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"intel": {"feeds": ["`+feed+`"]}}`), 0o644)
	base, err := insightConfig(good, "", false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := serve.DefaultConfig()
	wireInsight(&cfg, base, true)
	os.Remove(feed) // a run loads the configured feed: now it fails, naming it
	_, err = cfg.Consumers(filepath.Join(dir, "run1"), nil)
	if err == nil || !strings.Contains(err.Error(), "feed.txt") {
		t.Errorf("a run's insight did not use the server's detection config: %v", err)
	}
}
