package serve

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/insight"
)

// withInsight runs the detection engine, the IPv6 monitor and the
// inventory on every ingest run, as `vigil serve` does (cmd/vigil).
func withInsight(cfg *Config) {
	var set *insight.Set
	cfg.Consumers = func(outDir string, _ analyze.Consumer) ([]analyze.Consumer, error) {
		s, err := insight.New(insight.DefaultConfig(), outDir)
		if err != nil {
			return nil, err
		}
		set = s
		return s.Consumers(), nil
	}
	cfg.Finish = func(string) error {
		if set == nil {
			return nil
		}
		err := set.Close()
		set = nil
		return err
	}
}

// eveServer opens a server over a temporary data directory and serves
// its API.
func eveServer(t *testing.T, insightOn bool) (*Server, *httptest.Server) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), io.Discard
	cfg.Analyze.Workers = 1
	if insightOn {
		withInsight(&cfg)
	}
	srv := startServer(t, cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

// dropFile copies src into the inbox as name and ingests it.
func dropFile(t *testing.T, srv *Server, src, name string) error {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(srv.cfg.inbox(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.IngestFile(context.Background(), p, time.Time{})
}

// TestEVEInbox drops the EVE fixture (internal/eve/testdata) into the inbox
// under a name that says nothing: it is told by content, its alerts are
// on the alerts page with Suricata's evidence and correlated into
// incidents, its flows, DNS answers, HTTP and TLS are stored as
// connections and records sharing the alerts' uids, and its malformed
// lines are counted on the run. With and without the detection engine.
func TestEVEInbox(t *testing.T) {
	for _, engine := range []bool{true, false} {
		name := "engine"
		if !engine {
			name = "store-only"
		}
		t.Run(name, func(t *testing.T) {
			srv, ts := eveServer(t, engine)
			tok := srv.Tokens().Read
			if err := dropFile(t, srv, filepath.Join("..", "eve", "testdata", "eve.json"), "sensor-export.json"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(srv.cfg.done(), "sensor-export.json")); err != nil {
				t.Errorf("not moved to done: %v", err)
			}
			var al page
			get(t, ts, "/api/v1/alerts?limit=100", tok, &al)
			classes := map[string]int{}
			for _, a := range al.Items {
				classes[a["class"].(string)]++
			}
			want := map[string]int{"scan.signature": 1, "c2.signature": 1, "ids.exploit": 1, "ids.alert": 2,
				"ids.info_leak": 1, "iot.mirai_scan": 1}
			for c, n := range want {
				if classes[c] != n {
					t.Errorf("alerts by class %v, want %v", classes, want)
					break
				}
			}
			var scan page
			get(t, ts, "/api/v1/alerts?class=scan.signature", tok, &scan)
			if scan.Total != 1 {
				t.Fatalf("scan.signature alerts: %d", scan.Total)
			}
			a := scan.Items[0]
			if a["src"] != "10.0.0.66" || a["dst"] != "10.0.0.10" || a["detector"] != "suricata" ||
				!strings.Contains(a["summary"].(string), "ET SCAN Suspicious inbound to mySQL port 3306") {
				t.Errorf("scan alert: %v", a)
			}
			uids, _ := a["uids"].([]any)
			if len(uids) == 0 {
				t.Fatalf("scan alert without uids: %v", a)
			}
			var flows page
			get(t, ts, "/api/v1/flows?uid="+uids[0].(string), tok, &flows)
			if flows.Total != 1 || flows.Items[0]["orig_pkts"] != 12.0 || flows.Items[0]["resp_ip_bytes"] != 3200.0 {
				t.Errorf("the alert's flow: %+v", flows)
			}
			var dns page
			get(t, ts, "/api/v1/records?log=dns", tok, &dns)
			if dns.Total != 2 {
				t.Errorf("dns records: %d", dns.Total)
			}
			var raw page
			get(t, ts, "/api/v1/records?log=eve&limit=100", tok, &raw)
			if raw.Total != 10 { // 8 alerts, the DNS query, a fileinfo; no stats
				t.Errorf("eve records: %d", raw.Total)
			}
			var inc page
			get(t, ts, "/api/v1/incidents?host=10.0.0.66", tok, &inc)
			if inc.Total != 1 {
				t.Fatalf("incidents of 10.0.0.66: %+v", inc)
			}
			var det map[string]any
			get(t, ts, "/api/v1/incidents/"+inc.Items[0]["id"].(string), tok, &det)
			if conns, _ := det["conns"].([]any); len(conns) != 1 {
				t.Errorf("incident evidence: %d connections", len(conns))
			}
			runs, err := srv.Store().ListRuns(context.Background(), 10)
			if err != nil || len(runs) == 0 || runs[0].Kind != "eve" || runs[0].Status != "done" ||
				!strings.Contains(runs[0].Error, "5 malformed lines") {
				t.Errorf("run: %+v %v", runs, err)
			}
		})
	}
}
