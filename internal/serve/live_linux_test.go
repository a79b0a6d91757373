//go:build linux

package serve

import (
	"context"
	"io"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
	"github.com/vigil-nsm/vigil/internal/insight"
	"github.com/vigil-nsm/vigil/internal/store"
)

// serve with a live interface stores the connections seen on it while it
// runs (as they end), shows the capture's counters on the sensor endpoint
// and ends the live run cleanly when stopped.
func TestServeLiveCapture(t *testing.T) {
	p := livetest.NewPair(t)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.Log = t.TempDir(), "127.0.0.1:0", io.Discard
	lc := live.DefaultConfig(p.If[0])
	lc.Fanout, lc.BlockSize, lc.Blocks = 2, 256<<10, 8
	cfg.Live = []live.Config{lc}
	cfg.Analyze.Workers = 2
	// Short timers, so connections end (and are stored) during the test.
	cfg.Analyze.Flow.UDPInactivity, cfg.Analyze.Flow.TCPCloseDelay = time.Second, time.Second
	// The inventory, stored every 200 ms while the capture runs.
	var mu sync.Mutex
	sets := map[string]*insight.Set{}
	cfg.Consumers = func(dir string, records analyze.Consumer) ([]analyze.Consumer, error) {
		icfg := insight.DefaultConfig()
		icfg.Records = records
		set, err := insight.New(icfg, dir)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		sets[dir] = set
		mu.Unlock()
		return set.Consumers(), nil
	}
	cfg.Snapshot = func(dir string, records analyze.Consumer) {
		mu.Lock()
		set := sets[dir]
		mu.Unlock()
		if set != nil {
			set.Snapshot(records)
		}
	}
	cfg.Finish = func(dir string) error {
		mu.Lock()
		set := sets[dir]
		mu.Unlock()
		return set.Close()
	}
	cfg.SnapshotEvery = 200 * time.Millisecond
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	// The capture sockets (and the HTTP listener) are opened in the
	// namespace of the thread that runs Run.
	go func() { done <- p.Do(0, func() error { return srv.Run(ctx) }) }()
	deadline := time.Now().Add(20 * time.Second)
	for srv.Addr() == nil && time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("Run: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if srv.Addr() == nil {
		t.Fatal("server did not start")
	}
	t.Cleanup(func() { srv.Close() })
	flows, err := p.Traffic(ctx, livetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var udp []livetest.Flow
	for _, f := range flows {
		if f.Proto == "udp" {
			udp = append(udp, f)
		}
	}
	// The UDP connections end a second after their last packet and
	// reach the store while the capture goes on.
	stored := func() int {
		page, err := srv.Store().Flows(ctx, store.FlowFilter{Proto: "udp", Paging: store.Paging{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range udp {
			for _, c := range page.Items {
				if c.OrigH == f.Orig.String() && c.OrigP == f.OrigPort && c.RespP == f.RespPort && c.OrigPkts == int64(f.OrigPkts) {
					n++
				}
			}
		}
		return n
	}
	for time.Now().Before(deadline) && stored() < len(udp) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := stored(); n != len(udp) {
		page, _ := srv.Store().Flows(ctx, store.FlowFilter{Proto: "udp", Paging: store.Paging{Limit: 100}})
		t.Errorf("%d of the %d UDP connections stored while the capture runs: want %+v, stored %+v", n, len(udp), udp, page.Items)

	}
	// The hosts of the pair are in the inventory's snapshots before the
	// capture ends.
	hosts := func() int {
		page, err := srv.Store().Assets(ctx, store.AssetFilter{Paging: store.Paging{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	for time.Now().Before(deadline) && hosts() < 2 {
		time.Sleep(100 * time.Millisecond)
	}
	if n := hosts(); n < 2 {
		t.Errorf("%d hosts stored while the capture runs, want the pair's 2", n)
	}
	// So is the IPv6 monitor's posture (the pair also talks over IPv6).
	v6hosts := func() int {
		v, err := srv.Store().IPv6(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(v.Hosts)
	}
	for time.Now().Before(deadline) && v6hosts() == 0 {
		time.Sleep(100 * time.Millisecond)
	}
	if v6hosts() == 0 {
		t.Error("no IPv6 host stored while the capture runs")
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	var sensor struct {
		Sensor SensorStats `json:"sensor"`
	}
	get(t, ts, "/api/v1/sensor", srv.Tokens().Read, &sensor)
	if l := sensor.Sensor.Live; len(l) != 1 || l[0].Interface != p.If[0] || l[0].Rings != 2 || l[0].Packets == 0 ||
		l[0].Analysed == 0 || l[0].LastPacket.IsZero() || l[0].Drops != 0 {
		t.Errorf("sensor live stats: %+v", l)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runs, err := srv.Store().ListRuns(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range runs {
		if r.Kind == "live" {
			found = true
			if r.Status != "done" || r.Records == 0 || r.Packets == 0 {
				t.Errorf("live run: %+v", r)
			}
		}
	}
	if !found {
		t.Errorf("no live run among %+v", runs)
	}
}
