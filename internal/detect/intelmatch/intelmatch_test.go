package intelmatch

import (
	"os"
	"path/filepath"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

func TestMatches(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "feed.txt")
	os.WriteFile(feed, []byte("198.51.100.66 c2\nevil.example\n72a589da586844d7f0818ce684948eea\n"), 0o644)
	d, err := New(Config{Enabled: true, Feeds: []string{feed}})
	if err != nil {
		t.Fatal(err)
	}
	lines := []dt.Line{
		dt.Conn{TS: 1000, Src: "10.0.0.7", SrcP: 5000, Dst: "198.51.100.66", DstP: 443}.Line(),
		dt.Rec("dns", map[string]any{"ts": 1001.0, "uid": "D", "id.orig_h": "10.0.0.8", "id.orig_p": 5000, "id.resp_h": "10.0.0.53", "id.resp_p": 53, "query": "www.evil.example"}),
		dt.Rec("ssl", map[string]any{"ts": 1002.0, "uid": "S", "id.orig_h": "10.0.0.9", "id.orig_p": 5000, "id.resp_h": "203.0.113.1", "id.resp_p": 443, "ja3": "72A589DA586844D7F0818CE684948EEA"}),
		dt.Conn{TS: 1003, Src: "10.0.0.7", SrcP: 5001, Dst: "93.184.216.34", DstP: 443}.Line(),
	}
	alerts := dt.Merged(dt.Run(t, d, lines))
	if len(alerts) != 3 {
		for _, a := range alerts {
			t.Log(string(a.JSON()))
		}
		t.Fatalf("got %d alerts, want 3", len(alerts))
	}
	if alerts[0].Dst != "198.51.100.66" || alerts[1].Src != "10.0.0.8" || alerts[2].Evidence["kind"] != "ja3" {
		t.Errorf("alerts %s / %s / %s", alerts[0].JSON(), alerts[1].JSON(), alerts[2].JSON())
	}
}

func TestQuietWithoutFeeds(t *testing.T) {
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dt.Quiet(t, dt.Run(t, d, []dt.Line{dt.Conn{TS: 1000, Src: "10.0.0.7", Dst: "198.51.100.66", DstP: 443}.Line()}))
}
