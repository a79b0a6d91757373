package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/netflow/flowtest"
	"github.com/vigil-nsm/vigil/internal/store"
)

// TestSoftflowdIntoStore sends a lab capture through softflowd (IPFIX)
// to a running server and requires the stored flows, as the API shows
// them, to add up to the capture: packets, bytes, IPv6 bytes and one row
// per flow record.
func TestSoftflowdIntoStore(t *testing.T) {
	bin := flowtest.Softflowd(t)
	path := filepath.Join("..", "..", "testdata", "lab", "mirai.pcap")
	want := flowtest.CaptureTotals(t, path)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.Log, cfg.NetFlow = t.TempDir(), "127.0.0.1:0", io.Discard, "127.0.0.1:0"
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		srv.Close()
	}()
	var addr string
	flowtest.Wait(10*time.Second, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if srv.nf != nil && srv.addr != nil {
			addr = srv.nf.Addr().String()
		}
		return addr != ""
	})
	if addr == "" {
		t.Fatal("server did not start its NetFlow listener")
	}
	x := flowtest.Replay(t, bin, path, addr, "10", 1)
	flowtest.Wait(10*time.Second, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.nf.Stats().Flows >= uint64(x.Records)
	})
	srv.mu.Lock()
	var writers []*store.Writer
	for _, w := range srv.flows {
		writers = append(writers, w)
	}
	srv.mu.Unlock()
	for _, w := range writers {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	var ov store.Overview
	apiGet(t, srv, "/api/v1/overview?window=all", &ov)
	var flows struct {
		Total int `json:"total"`
	}
	apiGet(t, srv, "/api/v1/flows?window=all&limit=1", &flows)
	t.Logf("capture: %s; softflowd: %d records; stored: %d flows, %d packets, %d bytes (IPv6 %d)",
		&want, x.Records, flows.Total, ov.Pkts, ov.Bytes, ov.IPv6Bytes)
	if ov.Pkts != want.Packets || ov.Bytes != want.Bytes || ov.IPv6Bytes != want.Bytes6() || flows.Total != x.Records {
		t.Errorf("stored %d flows, %d packets, %d bytes (IPv6 %d); want %d, %d, %d (%d)",
			flows.Total, ov.Pkts, ov.Bytes, ov.IPv6Bytes, x.Records, want.Packets, want.Bytes, want.Bytes6())
	}
	// Bounds are minute buckets.
	first, last, err := srv.Store().Bounds(context.Background())
	if err != nil || first < want.First-60 || first > want.First || last < want.Last || last > want.Last+60 {
		t.Errorf("stored data time [%.3f, %.3f] (%v), capture [%.3f, %.3f]", first, last, err, want.First, want.Last)
	}
}

// apiGet reads path from the running server's API with the read token.
func apiGet(t *testing.T, srv *Server, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+srv.Addr().String()+path, nil)
	req.Header.Set("Authorization", "Bearer "+srv.Tokens().Read)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
