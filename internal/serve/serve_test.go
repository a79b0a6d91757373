package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store/storetest"
	"github.com/vigil-nsm/vigil/internal/synth"
)

// testServer opens a server over a temporary data directory with a small
// synthetic capture ingested and a few alerts, an incident and assets
// stored through the sink.
func testServer(t testing.TB) (*Server, *httptest.Server) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Log = io.Discard
	cfg.Analyze.Workers = 1
	srv := startServer(t, cfg)
	pcap := filepath.Join(srv.cfg.inbox(), "sample.pcap")
	writeSample(t, pcap, 3000)
	if err := srv.IngestFile(context.Background(), pcap, time.Time{}); err != nil {
		t.Fatal(err)
	}
	injectInsight(t, srv)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

func writeSample(t testing.TB, path string, packets int) {
	t.Helper()
	sc := synth.DefaultConfig()
	sc.Packets, sc.Flows = packets, packets/8
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synth.Write(f, sc); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// injectInsight stores alerts on two of the capture's hosts, an incident
// and assets through the sink.
func injectInsight(t testing.TB, srv *Server) {
	t.Helper()
	ctx := context.Background()
	page, err := srv.st.Flows(ctx, flowFilter(5))
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("no flows stored: %v", err)
	}
	c := page.Items[0]
	a, v := c.OrigH, c.RespH
	sink := srv.Sink()
	sink.Record("alerts", storetest.AlertJSON(c.TS, "scan.vertical", 3, a, v, c.UID))
	sink.Record("alerts", storetest.AlertJSON(c.TS+1, "bruteforce.ssh", 2, a, v, c.UID))
	sink.Record("incidents", storetest.IncidentJSON("inc-test", c.TS, c.TS+1, a, v, 2, 75))
	sink.Record("assets", storetest.AssetJSON("00:11:22:33:44:55", v, "camera", "iot.insecure_protocol"))
	sink.Record("assets", storetest.AssetJSON("00:11:22:33:44:66", a, "workstation", ""))
	if err := sink.Flush(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, ts *httptest.Server, path, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return resp.StatusCode
}

func send(t *testing.T, ts *httptest.Server, method, path, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAuth(t *testing.T) {
	srv, ts := testServer(t)
	tok := srv.Tokens()
	if code := get(t, ts, "/api/v1/situation", "", nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code := get(t, ts, "/api/v1/situation", "wrong", nil); code != 401 {
		t.Errorf("bad token: %d", code)
	}
	var who map[string]string
	if get(t, ts, "/api/v1/whoami", tok.Read, &who); who["role"] != "read" {
		t.Errorf("read token: %v", who)
	}
	if code := send(t, ts, "PATCH", "/api/v1/incidents/inc-test", tok.Read, `{"status":"closed"}`); code != 403 {
		t.Errorf("read token on admin endpoint: %d", code)
	}
	if code := get(t, ts, "/api/v1/config", tok.Read, nil); code != 403 {
		t.Errorf("read token on config: %d", code)
	}
	if code := send(t, ts, "PATCH", "/api/v1/incidents/inc-test", tok.Admin, `{"status":"acknowledged"}`); code != 200 {
		t.Errorf("admin: %d", code)
	}
	if code := send(t, ts, "PATCH", "/api/v1/incidents/nope", tok.Admin, `{"status":"closed"}`); code != 404 {
		t.Errorf("unknown incident: %d", code)
	}
	if code := get(t, ts, "/api/v1/events?token=x", "", nil); code != 401 {
		t.Errorf("bad query token: %d", code)
	}
	st, _ := os.Stat(srv.cfg.tokens())
	if st.Mode().Perm() != 0o600 {
		t.Errorf("tokens.json mode %v", st.Mode().Perm())
	}
	resp, err := http.Get(ts.URL + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("dashboard without token: %v %v", resp.StatusCode, err)
	}
}

func TestEndpoints(t *testing.T) {
	srv, ts := testServer(t)
	tok := srv.Tokens().Read
	var obj map[string]any
	for _, p := range []string{"/api/v1/situation?fresh=1", "/api/v1/overview", "/api/v1/overview?window=all",
		"/api/v1/incidents/inc-test", "/api/v1/iot", "/api/v1/ipv6", "/api/v1/sensor", "/api/v1/search?q=scan",
		"/api/v1/graph", "/api/v1/records?log=dns&limit=3"} {
		obj = nil
		if code := get(t, ts, p, tok, &obj); code != 200 || len(obj) == 0 {
			t.Errorf("%s: %d %v", p, code, obj)
		}
	}
	var snap struct {
		Index      float64 `json:"index"`
		Components []any   `json:"components"`
		Forecast   []any   `json:"forecast_index"`
		Note       string  `json:"forecast_note"`
	}
	get(t, ts, "/api/v1/situation", tok, &snap)
	// the sample capture spans a few minutes: too few to forecast, and said
	if len(snap.Components) != 4 || snap.Forecast == nil || (len(snap.Forecast) == 0) != (snap.Note != "") {
		t.Errorf("situation: %+v", snap)
	}
	var tl []map[string]any
	if code := get(t, ts, "/api/v1/timeline", tok, &tl); code != 200 || len(tl) < 3 {
		t.Errorf("timeline: %d %d", code, len(tl))
	}
	if code := get(t, ts, "/api/v1/overview?from=yesterday", tok, nil); code != 400 {
		t.Errorf("bad time: %d", code)
	}
	if code := get(t, ts, "/api/v1/nothing", tok, nil); code != 404 {
		t.Errorf("unknown endpoint: %d", code)
	}
}

type page struct {
	Items  []map[string]any `json:"items"`
	Total  int              `json:"total"`
	Offset int              `json:"offset"`
	Limit  int              `json:"limit"`
}

func TestPagingAndFilters(t *testing.T) {
	srv, ts := testServer(t)
	tok := srv.Tokens().Read
	var all, p1, p2 page
	get(t, ts, "/api/v1/flows?limit=1000", tok, &all)
	get(t, ts, "/api/v1/flows?limit=10", tok, &p1)
	get(t, ts, "/api/v1/flows?limit=10&offset=10", tok, &p2)
	if all.Total < 30 || p1.Total != all.Total || len(p1.Items) != 10 || len(p2.Items) != 10 || p2.Offset != 10 {
		t.Fatalf("paging: total %d, pages %d+%d", all.Total, len(p1.Items), len(p2.Items))
	}
	if p1.Items[9]["uid"] == p2.Items[0]["uid"] && p1.Items[9]["ts"] == p2.Items[0]["ts"] {
		t.Error("pages overlap")
	}
	host := all.Items[0]["id.orig_h"].(string)
	var byHost page
	get(t, ts, "/api/v1/flows?host="+host, tok, &byHost)
	for _, it := range byHost.Items {
		if it["id.orig_h"] != host && it["id.resp_h"] != host {
			t.Fatalf("host filter let through %v", it)
		}
	}
	var al page
	get(t, ts, "/api/v1/alerts?class=scan", tok, &al)
	if al.Total != 1 {
		t.Errorf("alerts class filter: %d", al.Total)
	}
	get(t, ts, "/api/v1/alerts?severity=2&limit=1", tok, &al)
	if al.Total != 1 || len(al.Items) != 1 {
		t.Errorf("alerts severity filter: %+v", al)
	}
	var inc page
	get(t, ts, "/api/v1/incidents?status=open&host="+host, tok, &inc)
	if inc.Total != 1 {
		t.Errorf("incident filter: %d", inc.Total)
	}
	var as page
	get(t, ts, "/api/v1/assets?finding=iot", tok, &as)
	if as.Total != 1 || as.Items[0]["class"] != "camera" {
		t.Errorf("asset finding filter: %+v", as)
	}
	get(t, ts, "/api/v1/assets?class=workstation", tok, &as)
	if as.Total != 1 {
		t.Errorf("asset class filter: %d", as.Total)
	}
	var h map[string]any
	if code := get(t, ts, "/api/v1/hosts/"+host, tok, &h); code != 200 || len(h["flows"].([]any)) == 0 {
		t.Errorf("host detail: %d", code)
	}
}

func TestIngestMovesAndPcap(t *testing.T) {
	srv, ts := testServer(t)
	if _, err := os.Stat(filepath.Join(srv.cfg.done(), "sample.pcap")); err != nil {
		t.Fatalf("capture not moved to done: %v", err)
	}
	bad := filepath.Join(srv.cfg.inbox(), "broken.pcap")
	os.WriteFile(bad, []byte("not a capture at all"), 0o644)
	if err := srv.IngestFile(context.Background(), bad, time.Time{}); err == nil {
		t.Error("broken capture ingested without error")
	}
	if _, err := os.Stat(filepath.Join(srv.cfg.failed(), "broken.pcap.error")); err != nil {
		t.Errorf("no error file: %v", err)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/incidents/inc-test/pcap?token="+srv.Tokens().Read, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) <= 24 {
		t.Fatalf("pcap: %d, %d bytes", resp.StatusCode, len(body))
	}
	var sensor struct {
		Sensor SensorStats `json:"sensor"`
	}
	get(t, ts, "/api/v1/sensor", srv.Tokens().Read, &sensor)
	if sensor.Sensor.Files != 1 || sensor.Sensor.Failed != 1 || sensor.Sensor.Packets == 0 {
		t.Errorf("sensor: %+v", sensor.Sensor)
	}
}

func TestUploadAndWatcher(t *testing.T) {
	srv, ts := testServer(t)
	srv.cfg.Poll, srv.cfg.Stable = 50*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.watch(ctx)
	tmp := filepath.Join(t.TempDir(), "b.pcap")
	writeSample(t, tmp, 500)
	body, _ := os.ReadFile(tmp)
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/ingest?name=b.pcap", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+srv.Tokens().Admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("upload: %v %v", resp.StatusCode, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(srv.cfg.done(), "b.pcap")); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("uploaded capture was not ingested")
}

func TestEvents(t *testing.T) {
	srv, ts := testServer(t)
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/events?token="+srv.Tokens().Read, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	resp.Body.Read(buf) // hello
	srv.Sink().Record("alerts", storetest.AlertJSON(1767225700, "c2.beacon", 1, "10.0.0.9", "203.0.113.5"))
	srv.Sink().Flush()
	got := ""
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(got, "c2.beacon") && time.Now().Before(deadline) {
		n, err := resp.Body.Read(buf)
		got += string(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(got, "event: alert") || !strings.Contains(got, "c2.beacon") {
		t.Fatalf("no alert event: %q", got)
	}
}

func TestRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.Log, cfg.NetFlow = t.TempDir(), "127.0.0.1:0", io.Discard, "127.0.0.1:0"
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Addr() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if srv.Addr() == nil {
		t.Fatal("server did not listen")
	}
	req, _ := http.NewRequest("GET", "http://"+srv.Addr().String()+"/api/v1/sensor", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Tokens().Read)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sensor: %v %v", resp, err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if body["netflow"] == nil {
		t.Error("no netflow stats with --netflow set")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}
