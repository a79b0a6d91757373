package duckdb

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	opts := Options{Settings: map[string]string{}}
	if p, _ := strconv.Atoi(os.Getenv("VIGIL_PAR")); p > 0 { // appenders, in benchmarks
		opts.Parallel = p
	}
	// VIGIL_DUCKDB_SET="name=value,…" tries DuckDB settings in benchmarks.
	for _, kv := range strings.Split(os.Getenv("VIGIL_DUCKDB_SET"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			opts.Settings[k] = v
		}
	}
	db, err := Open(filepath.Join(t.TempDir(), "vigil.duckdb"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// runWriter begins a capture run of source and returns its id and a
// Writer into it.
func runWriter(t testing.TB, db *DB, source string) (int32, *store.Writer) {
	t.Helper()
	run, err := db.BeginRun(context.Background(), source, "capture")
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.DefaultWriterConfig()
	cfg.Run = run
	return run, store.NewWriter(db, cfg)
}

// fill writes conns connections and a few alerts, incidents and assets
// through a Writer.
func fill(t testing.TB, db *DB, conns int) *storetest.Gen {
	t.Helper()
	ctx := context.Background()
	run, w := runWriter(t, db, "test.pcap")
	g := storetest.New(1, 200)
	for range conns {
		w.Record("conn", g.ConnJSON())
	}
	a, v := g.Host(1), g.Host(2)
	w.Record("alerts", storetest.AlertJSON(g.T0+10, "scan.vertical", 3, a, v, "Cuid1"))
	w.Record("alerts", storetest.AlertJSON(g.T0+20, "bruteforce.ssh", 2, a, v))
	w.Record("alerts", storetest.AlertJSON(g.T0+30, "ipv6.rogue_ra", 2, g.Host(9), ""))
	w.Record("incidents", storetest.IncidentJSON("inc-1", g.T0+10, g.T0+20, a, v, 2, 70))
	w.Record("assets", storetest.AssetJSON("00:11:22:33:44:55", v, "camera", "iot.insecure_protocol"))
	w.Record("assets", storetest.AssetJSON("00:11:22:33:44:66", a, "workstation", ""))
	w.Record("dns", []byte(`{"ts":1767225601,"uid":"Cd1","id.orig_h":"10.16.0.1","id.resp_h":"10.16.0.2","query":"evil.example","qtype_name":"A","rcode_name":"NOERROR","answers":["1.2.3.4"]}`))
	w.Record("ipv6", []byte(`{"kind":"router","mac":"00:aa:bb:cc:dd:ee","link_local":"fe80::1","prefixes":["2001:db8:1::/64"],"first_seen":1767225600,"last_seen":1767225700,"legitimate":false}`))
	w.Record("ipv6", []byte(`{"kind":"summary","hosts":3,"routers":1,"ipv6_share_bytes":0.1}`))
	w.Record("ssh", []byte(`{"ts":1767225602,"uid":"Cuid1","client":"SSH-2.0-x"}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.EndRun(ctx, run, store.RunEnd{Status: "done", Records: int64(conns)}); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRoundTrip(t *testing.T) {
	db := openTemp(t)
	g := fill(t, db, 20000)
	ctx := context.Background()
	counts, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"conn": 20000, "alerts": 3, "incidents": 1, "assets": 2, "dns": 1, "records": 3, "runs": 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d rows, want %d", k, counts[k], n)
		}
	}
	first, last, err := db.Bounds(ctx)
	if err != nil || first != g.T0 || last < g.T0+19 {
		t.Fatalf("bounds %v %v %v", first, last, err)
	}
	o, err := db.Overview(ctx, store.Range{From: first, To: last})
	if err != nil {
		t.Fatal(err)
	}
	if o.Conns != 20000 || o.Alerts != 3 || o.Incidents != 1 || o.Assets != 2 || len(o.TopTalkers) == 0 || len(o.Series) == 0 {
		t.Fatalf("overview %+v", o)
	}
	if o.IPv6Bytes == 0 || o.IPv4Bytes == 0 || o.IPv4Bytes+o.IPv6Bytes != o.Bytes {
		t.Errorf("ip shares %d + %d != %d", o.IPv4Bytes, o.IPv6Bytes, o.Bytes)
	}
	checkLists(t, db, g)
}

func checkLists(t *testing.T, db *DB, g *storetest.Gen) {
	ctx := context.Background()
	al, err := db.Alerts(ctx, store.AlertFilter{Class: "scan", Paging: store.Paging{Limit: 10}})
	if err != nil || al.Total != 1 || al.Items[0].Class != "scan.vertical" || al.Items[0].UIDs[0] != "Cuid1" {
		t.Fatalf("alerts by class: %+v %v", al, err)
	}
	al, _ = db.Alerts(ctx, store.AlertFilter{MaxSeverity: 2, Paging: store.Paging{Limit: 1, Offset: 1}})
	if al.Total != 2 || len(al.Items) != 1 {
		t.Errorf("alerts paging: %+v", al)
	}
	inc, err := db.Incident(ctx, "inc-1")
	if err != nil || len(inc.Alerts) != 2 || inc.Incident.Status != "open" || len(inc.Records) == 0 {
		t.Fatalf("incident: %+v %v", inc, err)
	}
	if err := db.SetIncidentStatus(ctx, "inc-1", "closed", "handled"); err != nil {
		t.Fatal(err)
	}
	ip, _ := db.Incidents(ctx, store.IncidentFilter{Status: "open"})
	if ip.Total != 0 {
		t.Errorf("closed incident still open: %+v", ip)
	}
	as, err := db.Assets(ctx, store.AssetFilter{Finding: "iot"})
	if err != nil || as.Total != 1 || as.Items[0].Class != "camera" || as.Items[0].Addrs[0] != g.Host(2) {
		t.Fatalf("assets by finding: %+v %v", as, err)
	}
	as, _ = db.Assets(ctx, store.AssetFilter{IoT: true})
	if as.Total != 1 {
		t.Errorf("iot assets: %d", as.Total)
	}
	h, err := db.Host(ctx, g.Host(2), store.Range{})
	if err != nil || len(h.Assets) != 1 || len(h.Alerts) != 2 || len(h.Flows) == 0 || h.Conns == 0 {
		t.Fatalf("host: %+v %v", h, err)
	}
	fl, err := db.Flows(ctx, store.FlowFilter{Port: 22, Proto: "tcp", Paging: store.Paging{Limit: 5}})
	if err != nil || fl.Total == 0 || len(fl.Items) != 5 || fl.Items[0].RespP != 22 {
		t.Fatalf("flows: %+v %v", fl, err)
	}
	gr, err := db.Graph(ctx, store.Range{}, 20)
	if err != nil || len(gr.Edges) < 20 || len(gr.Nodes) == 0 {
		t.Fatalf("graph: %v %v", gr, err)
	}
	attack := false
	for _, e := range gr.Edges {
		attack = attack || e.Attack
	}
	if !attack {
		t.Error("no attack edge")
	}
	v6, err := db.IPv6(ctx)
	if err != nil || len(v6.Routers) != 1 || v6.Summary["hosts"] == nil || len(v6.Alerts) != 1 {
		t.Fatalf("ipv6: %+v %v", v6, err)
	}
	s, err := db.Search(ctx, "evil", 10)
	if err != nil || len(s.Names) != 1 {
		t.Fatalf("search: %+v %v", s, err)
	}
	tl, err := db.Timeline(ctx, store.Range{}, 50)
	if err != nil || len(tl) < 5 {
		t.Fatalf("timeline: %v %v", tl, err)
	}
	incidents := 0
	for _, it := range tl {
		if it.Kind == "incident" {
			incidents++
			if it.Src == "" || it.Dst == "" || it.Title != "incident "+it.Ref+": "+it.Src+" → "+it.Dst {
				t.Errorf("timeline incident %+v", it)
			}
		}
	}
	if incidents == 0 {
		t.Error("no incident in the timeline")
	}
}

func TestRecoverAndRetain(t *testing.T) {
	db := openTemp(t)
	fill(t, db, 5000)
	ctx := context.Background()
	run, _ := db.BeginRun(ctx, "crashed.pcap", "capture")
	cfg := store.DefaultWriterConfig()
	cfg.Run = run
	w := store.NewWriter(db, cfg)
	g := storetest.New(2, 50)
	for range 3000 {
		w.Record("conn", g.ConnJSON())
	}
	w.Close()
	// A live capture's run, which cannot be read again, keeps its rows.
	live, _ := db.BeginRun(ctx, "live:eth0", "live")
	cfg.Run = live
	w = store.NewWriter(db, cfg)
	for range 700 {
		w.Record("conn", g.ConnJSON())
	}
	w.Close()
	srcs, err := db.Recover(ctx)
	if err != nil || len(srcs) != 1 || srcs[0] != "crashed.pcap" {
		t.Fatalf("recover: %v %v", srcs, err)
	}
	c, _ := db.Counts(ctx)
	if c["conn"] != 5700 {
		t.Fatalf("after recover: %d conns, want 5000 + the live run's 700", c["conn"])
	}
	o, _ := db.Overview(ctx, store.Range{})
	if o.Conns != 5700 {
		t.Fatalf("rollups after recover: %d", o.Conns)
	}
	runs, _ := db.ListRuns(ctx, 10)
	status := map[string]string{}
	for _, r := range runs {
		status[r.Source] = r.Status
	}
	if status["crashed.pcap"] != "aborted" || status["live:eth0"] != "interrupted" {
		t.Fatalf("run status after recover: %v", status)
	}
	// Keep two seconds of raw rows: the rest goes, rollups stay.
	got, err := db.Retain(ctx, store.Retention{Raw: 2 * time.Second, Minute: time.Hour, Hour: time.Hour})
	if err != nil || got["conn"] == 0 {
		t.Fatalf("retain: %v %v", got, err)
	}
	c, _ = db.Counts(ctx)
	o, _ = db.Overview(ctx, store.Range{})
	if c["conn"] >= 5700 || o.Conns != 5700 {
		t.Fatalf("retain: %d raw conns, %d in rollups", c["conn"], o.Conns)
	}
}

func TestSituationSeries(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	pts := []store.SituationPoint{{TS: 60, Index: 10, Components: map[string]float64{"alerts": 5}}, {TS: 120, Index: 20}}
	if err := db.SaveSituation(ctx, pts); err != nil {
		t.Fatal(err)
	}
	pts[1].Index = 30
	if err := db.SaveSituation(ctx, pts[1:]); err != nil {
		t.Fatal(err)
	}
	got, err := db.Situation(ctx, store.Range{})
	if err != nil || len(got) != 2 || got[1].Index != 30 || got[0].Components["alerts"] != 5 {
		t.Fatalf("situation: %+v %v", got, err)
	}
}

// BenchmarkAppendConn measures connection rows appended per second
// through Store.Append (typed rows, rollups included).
func BenchmarkAppendConn(b *testing.B) {
	db := openTemp(b)
	g := storetest.New(3, 5000)
	batch := 100000
	if s := os.Getenv("VIGIL_BENCH_BATCH"); s != "" {
		batch, _ = strconv.Atoi(s)
	}
	rows := make([]store.Conn, batch)
	for i := range rows {
		rows[i] = g.Conn()
	}
	b.ReportAllocs()
	b.ResetTimer()
	n, cpu0 := 0, processCPU()
	for b.Loop() {
		if err := db.Append(context.Background(), &store.Batch{Conns: rows}); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	// CPU time per row: what the rate would be on an idle machine does
	// not move with other load the way wall-clock rows/s does.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(n), "cpu-ns/row")
	b.StopTimer()
	t0 := time.Now()
	if err := db.Checkpoint(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/(b.Elapsed().Seconds()+time.Since(t0).Seconds()), "rows/s+checkpoint")
}

// BenchmarkWriterConn measures conn.log lines per second through the
// Writer: JSON parsing, rollups and the append, overlapped.
func BenchmarkWriterConn(b *testing.B) {
	db := openTemp(b)
	g := storetest.New(4, 5000)
	lines := make([][]byte, 200000)
	for i := range lines {
		lines[i] = g.ConnJSON()
	}
	b.ReportAllocs()
	b.ResetTimer()
	n, cpu0 := 0, processCPU()
	for b.Loop() {
		w := store.NewWriter(db, store.DefaultWriterConfig())
		for _, l := range lines {
			w.Record("conn", l)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		n += len(lines)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(processCPU()-cpu0)/float64(n), "cpu-ns/row")
}

// TestOverview10M stores ten million connections (set VIGIL_STORE_10M=1;
// a few minutes on two cores) and times the overview query.
func TestOverview10M(t *testing.T) {
	if os.Getenv("VIGIL_STORE_10M") == "" {
		t.Skip("set VIGIL_STORE_10M=1 to store 10 M connections and time the overview")
	}
	n, _ := strconv.Atoi(os.Getenv("VIGIL_STORE_10M"))
	if n < 1000 {
		n = 10_000_000
	}
	db := openTemp(t)
	g := storetest.New(5, 20000)
	g.Rate = 200 // 10 M connections over ~14 hours of data time
	start := time.Now()
	w := store.NewWriter(db, store.DefaultWriterConfig())
	for range n {
		w.Add(g.Conn())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stored %d connections in %v (%.0f rows/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())
	ctx := context.Background()
	first, last, _ := db.Bounds(ctx)
	for _, r := range []store.Range{{From: last - 3600, To: last}, {From: first, To: last}, {}} {
		best := time.Hour
		for range 5 {
			t0 := time.Now()
			if _, err := db.Overview(ctx, r); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(t0))
		}
		t.Logf("overview over %.0f h of %d connections: %v", (r.To-r.From)/3600, n, best)
		if best > 200*time.Millisecond {
			t.Errorf("overview took %v, want < 200 ms", best)
		}
	}
	t0 := time.Now()
	p, err := db.Flows(ctx, store.FlowFilter{Host: g.Host(7), Port: 22, Paging: store.Paging{Limit: 50}})
	t.Logf("flow search (host + port) over %d connections: %v, %d matches", n, time.Since(t0), p.Total)
	if err != nil {
		t.Fatal(err)
	}
}

// processCPU returns the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestIncidentWithoutAttacker: an incident with no attacker (a host's
// exposure, sources unknown) lists the alerts about its victim: those
// without a source and those naming it exposed (their src is the client
// that revealed it), not the client's other alerts.
func TestIncidentWithoutAttacker(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	_, w := runWriter(t, db, "test.pcap")
	g := storetest.New(1, 10)
	client, server, other := g.Host(1), g.Host(2), g.Host(3)
	exposure := strings.Replace(string(storetest.AlertJSON(g.T0+10, "iot.insecure_protocol", 3, client, server)),
		`"class"`, `"exposed":"`+server+`","class"`, 1)
	w.Record("alerts", []byte(exposure))
	w.Record("alerts", storetest.AlertJSON(g.T0+20, "flood.syn", 2, "", server))
	w.Record("alerts", storetest.AlertJSON(g.T0+30, "scan.vertical", 3, client, other))
	w.Record("incidents", storetest.IncidentJSON("inc-x", g.T0+10, g.T0+30, "", server, 2, 30))
	// A sender known by its MAC alone: its alerts have no src.
	const mac = "02:66:31:a8:52:75"
	forged := strings.Replace(string(storetest.AlertJSON(g.T0+40, "ipv6.dad_dos", 1, "", other)),
		`"class"`, `"src_mac":"`+mac+`","class"`, 1)
	w.Record("alerts", []byte(forged))
	w.Record("incidents", storetest.IncidentJSON("inc-mac", g.T0+40, g.T0+40, mac, other, 1, 45))
	w.Record("incidents", storetest.IncidentJSON("inc-client", g.T0+10, g.T0+30, client, other, 3, 20))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	inc, err := db.Incident(ctx, "inc-x")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range inc.Alerts {
		got = append(got, a.Class)
	}
	if strings.Join(got, ",") != "iot.insecure_protocol,flood.syn" {
		t.Errorf("incident alerts %v", got)
	}
	// The client's own incident: its scan, not the exposure its connection revealed.
	own, err := db.Incident(ctx, "inc-client")
	if err != nil {
		t.Fatal(err)
	}
	if len(own.Alerts) != 1 || own.Alerts[0].Class != "scan.vertical" {
		t.Errorf("alerts of the client's incident: %+v", own.Alerts)
	}
	byMAC, err := db.Incident(ctx, "inc-mac")
	if err != nil {
		t.Fatal(err)
	}
	if len(byMAC.Alerts) != 1 || byMAC.Alerts[0].Class != "ipv6.dad_dos" {
		t.Errorf("alerts of the MAC's incident: %+v", byMAC.Alerts)
	}
	tl, err := db.Timeline(ctx, store.Range{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range tl {
		if it.Kind == "incident" && it.Ref == "inc-x" {
			found = true
			if it.Title != "incident inc-x: against "+server || it.Dst != server {
				t.Errorf("timeline item %+v", it)
			}
		}
	}
	if !found {
		t.Error("the incident is not in the timeline")
	}
}

// TestSumsSaturate: the overview's and the views' sums of rollup rows
// stop at the int64 maximum instead of failing (DuckDB sums BIGINT as
// HUGEINT, which no longer fits): hostile flow exports carry large
// counts, each batch's rows saturated already.
func TestSumsSaturate(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	for i := range 3 {
		_, w := runWriter(t, db, "flows")
		w.Add(store.Conn{TS: 1767225600 + float64(i), UID: "F" + strconv.Itoa(i), OrigH: "10.3.0.1", RespH: "10.3.0.2", Proto: "tcp", IPv: 4,
			OrigIPBytes: 1 << 62, OrigBytes: 1 << 62, OrigPkts: 1 << 62})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	o, err := db.Overview(ctx, store.Range{})
	if err != nil {
		t.Fatalf("overview of large counts: %v", err)
	}
	if o.Bytes != math.MaxInt64 || o.Pkts != math.MaxInt64 || o.IPv4Bytes != math.MaxInt64 {
		t.Errorf("overview bytes %d packets %d IPv4 %d, want the int64 maximum", o.Bytes, o.Pkts, o.IPv4Bytes)
	}
	if _, err := db.Graph(ctx, store.Range{}, 10); err != nil {
		t.Errorf("graph of large counts: %v", err)
	}
}

// TestOverviewNoIPv6: a store with IPv4 traffic only has no IPv6 bytes,
// and an empty one no bytes at all. DuckDB's least() passes over NULL, so
// a sum of no rows capped at the int64 maximum was the maximum itself:
// the overview said 9223372036854775807 IPv6 bytes and the situation an
// IPv6 share of 10^16.
func TestOverviewNoIPv6(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	o, err := db.Overview(ctx, store.Range{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Bytes != 0 || o.Pkts != 0 || o.IPv4Bytes != 0 || o.IPv6Bytes != 0 {
		t.Errorf("empty store: bytes %d packets %d IPv4 %d IPv6 %d, want 0", o.Bytes, o.Pkts, o.IPv4Bytes, o.IPv6Bytes)
	}
	_, w := runWriter(t, db, "v4.pcap")
	w.Add(store.Conn{TS: 1767225600, UID: "C4", OrigH: "10.3.0.1", RespH: "10.3.0.2", Proto: "tcp", IPv: 4,
		OrigIPBytes: 1000, OrigBytes: 900, OrigPkts: 10})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if o, err = db.Overview(ctx, store.Range{}); err != nil {
		t.Fatal(err)
	}
	if o.IPv6Bytes != 0 || o.IPv4Bytes == 0 || o.IPv4Bytes != o.Bytes {
		t.Errorf("IPv4 only: bytes %d IPv4 %d IPv6 %d, want every byte IPv4", o.Bytes, o.IPv4Bytes, o.IPv6Bytes)
	}
	v, err := db.IPv6(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.Share != 0 {
		t.Errorf("IPv4 only: IPv6 share %v, want 0", v.Share)
	}
}
