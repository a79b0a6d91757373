package duckdb

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

// TestEveryAggregateSaturates: the overview's sums stop at the int64
// maximum (TestSumsSaturate); every other sum of counts must too. The
// situation's minute inputs failed to scan a HUGEINT, the host page
// failed on DuckDB's BIGINT overflow in orig_ip_bytes + resp_ip_bytes and
// wrapped its peers' bytes negative in Go, the graph's nodes wrapped, and
// asset_view's sum of two runs' traffic failed its BIGINT cast (every
// assets page and the overview with it).
func TestEveryAggregateSaturates(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	for i, peer := range []string{"10.3.0.1", "10.3.0.3", "10.3.0.4"} {
		_, w := runWriter(t, db, "flows")
		w.Add(store.Conn{TS: 1767225600 + float64(i), UID: "F" + strconv.Itoa(i), OrigH: peer, RespH: "10.3.0.2", RespP: 80,
			Proto: "tcp", IPv: 6, OrigIPBytes: 1 << 62, RespIPBytes: 1 << 62, OrigBytes: 1 << 62, OrigPkts: 1 << 62})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := db.Minutes(ctx, store.Range{})
	if err != nil {
		t.Fatalf("minutes: %v", err)
	}
	for _, m := range ms {
		if m.Bytes != math.MaxInt64 || m.Pkts != math.MaxInt64 || m.IPv6Bytes != math.MaxInt64 {
			t.Errorf("minute %d: bytes %d packets %d IPv6 %d, want the int64 maximum", m.Bucket, m.Bytes, m.Pkts, m.IPv6Bytes)
		}
	}
	h, err := db.Host(ctx, "10.3.0.2", store.Range{})
	if err != nil {
		t.Fatalf("host: %v", err)
	}
	if h.Bytes != math.MaxInt64 || len(h.Services) != 1 || h.Services[0].Bytes != math.MaxInt64 {
		t.Errorf("host bytes %d services %+v, want the int64 maximum", h.Bytes, h.Services)
	}
	g, err := db.Graph(ctx, store.Range{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.Bytes < 0 {
			t.Errorf("graph node %s: %d bytes", n.ID, n.Bytes)
		}
	}
	big := int64(math.MaxInt64 - 10)
	writeRun(t, db, "a.pcap", true, assetLine("00:11:22:33:44:55", []string{"10.3.0.2"}, "camera", 0.8, "", 1767225600, 1767225700, big, big, 0))
	writeRun(t, db, "b.pcap", true, assetLine("00:11:22:33:44:55", []string{"10.3.0.2"}, "camera", 0.8, "", 1767225600, 1767225800, big, big, 0))
	p, err := db.Assets(ctx, store.AssetFilter{})
	if err != nil {
		t.Fatalf("assets: %v", err)
	}
	if len(p.Items) != 1 || p.Items[0].BytesSent != math.MaxInt64 || p.Items[0].BytesRecv != math.MaxInt64 {
		t.Errorf("assets: %+v, want one host of the int64 maximum both ways", p.Items)
	}
	if _, err := db.Overview(ctx, store.Range{}); err != nil {
		t.Errorf("overview: %v", err)
	}
}

// TestCountsOutOfRange: a log's byte or packet count that is negative or
// past the int64 maximum is read as 0 or the maximum. A resp_bytes of -1
// made the connection's bytes the int64 maximum (the saturating sum read
// the wrap as an overflow), and an orig_bytes of 2^64-1 was stored as
// -2^63: /flows showed negative bytes and the rollups saturated again.
func TestCountsOutOfRange(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	_, w := runWriter(t, db, "conn.log")
	w.Record("conn", []byte(`{"ts":1767225600,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","orig_bytes":100,"resp_bytes":-1,"orig_pkts":2,"resp_pkts":-3}`))
	w.Record("conn", []byte(`{"ts":1767225700,"uid":"C2","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","orig_bytes":18446744073709551615,"resp_bytes":"5","orig_pkts":"-2","resp_pkts":1e30}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := db.Flows(ctx, store.FlowFilter{UID: "C1"})
	if err != nil || len(p.Items) != 1 {
		t.Fatal(p, err)
	}
	if c := p.Items[0]; c.OrigBytes != 100 || c.RespBytes != 0 || c.OrigPkts != 2 || c.RespPkts != 0 {
		t.Errorf("C1: bytes %d/%d packets %d/%d, want 100/0 2/0", c.OrigBytes, c.RespBytes, c.OrigPkts, c.RespPkts)
	}
	if p, err = db.Flows(ctx, store.FlowFilter{UID: "C2"}); err != nil || len(p.Items) != 1 {
		t.Fatal(p, err)
	}
	if c := p.Items[0]; c.OrigBytes != math.MaxInt64 || c.RespBytes != 5 || c.OrigPkts != 0 || c.RespPkts != math.MaxInt64 {
		t.Errorf("C2: bytes %d/%d packets %d/%d, want max/5 0/max", c.OrigBytes, c.RespBytes, c.OrigPkts, c.RespPkts)
	}
	o, err := db.Overview(ctx, store.Range{From: 1767225600, To: 1767225600})
	if err != nil {
		t.Fatal(err)
	}
	if o.Bytes != 100 || o.Pkts != 2 {
		t.Errorf("overview of C1 alone: %d bytes %d packets, want 100 and 2", o.Bytes, o.Pkts)
	}
}

// TestOverviewPastMinuteRetention: the minute rollups are kept 30 days,
// the hour rollups a year. An overview of six hours or less was answered
// from the minutes alone, so a short range before the minute horizon read
// 0 while the hours held its traffic, and one across the horizon only
// its recent part.
func TestOverviewPastMinuteRetention(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	_, w := runWriter(t, db, "two-days.pcap")
	t0 := 1767225600.0
	for i := range 48 { // one connection and one alert 30 s into every hour
		ts := t0 + float64(i)*3600 + 30
		w.Add(store.Conn{TS: ts, UID: "C" + strconv.Itoa(i), OrigH: "10.0.0.1", RespH: "10.0.0.2", Proto: "tcp", IPv: 4,
			OrigIPBytes: 100, OrigPkts: 1})
		w.Record("alerts", storetest.AlertJSON(ts, "scan.vertical", 3, "10.0.0.1", "10.0.0.2"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Retain(ctx, store.Retention{Raw: 2 * time.Hour, Minute: 24 * time.Hour, Hour: 1000 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to float64
		want     int64
	}{
		{t0, t0 + 3*3600 - 1, 3},             // before the minute horizon (hour 23)
		{t0 + 20*3600, t0 + 26*3600 - 1, 6},  // across it
		{t0 + 40*3600, t0 + 46*3600 - 1, 6},  // after it: minutes
		{t0, t0 + 48*3600, 48},               // all of it: hours
		{t0 + 47*3600 + 60, t0 + 48*3600, 0}, // after the last connection
	} {
		o, err := db.Overview(ctx, store.Range{From: c.from, To: c.to})
		if err != nil {
			t.Fatal(err)
		}
		var series int64
		for _, p := range o.Series {
			series += p.Conns
		}
		if o.Conns != c.want || series != c.want || o.Alerts != c.want || o.Bytes != 100*c.want {
			t.Errorf("hours %v to %v: %d conns (series %d), %d alerts, %d bytes, want %d each (step %d)",
				(c.from-t0)/3600, (c.to-t0)/3600, o.Conns, series, o.Alerts, o.Bytes, c.want, o.Step)
		}
	}
}

// TestPagesOfEqualTimes: flows exported together share their ts, and a
// listing ordered by ts alone let DuckDB order the ties differently from
// page to page: paging through 20,000 such flows repeated some and
// skipped as many. Records and alerts page the same way.
func TestPagesOfEqualTimes(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	_, w := runWriter(t, db, "flows")
	const n = 20000
	for i := range n {
		w.Add(store.Conn{TS: 1767225600, UID: "C" + strconv.Itoa(i), OrigH: "10.0.0.1", RespH: "10.0.0.2", Proto: "tcp", IPv: 4,
			OrigIPBytes: 100, OrigPkts: 1})
		if i%4 == 0 {
			w.Record("ssh", []byte(`{"ts":1767225600,"uid":"C`+strconv.Itoa(i)+`"}`))
			w.Record("alerts", storetest.AlertJSON(1767225600, "scan.vertical", 3, "10.0.0.1", "10.0.0.2", "C"+strconv.Itoa(i)))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pages := func(name string, want int, page func(off int) ([]string, error)) {
		seen := map[string]bool{}
		for off := 0; off < want+1000; off += 1000 {
			ids, err := page(off)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				seen[id] = true
			}
		}
		if len(seen) != want {
			t.Errorf("%s: %d distinct of %d over the pages", name, len(seen), want)
		}
	}
	pages("flows", n, func(off int) (ids []string, err error) {
		p, err := db.Flows(ctx, store.FlowFilter{Paging: store.Paging{Offset: off, Limit: 1000}})
		for _, c := range p.Items {
			ids = append(ids, c.UID)
		}
		return ids, err
	})
	pages("records", n/4, func(off int) (ids []string, err error) {
		p, err := db.Records(ctx, store.RecordFilter{Log: "ssh", Paging: store.Paging{Offset: off, Limit: 1000}})
		for _, r := range p.Items {
			ids = append(ids, r.UID)
		}
		return ids, err
	})
	pages("alerts", n/4, func(off int) (ids []string, err error) {
		p, err := db.Alerts(ctx, store.AlertFilter{Paging: store.Paging{Offset: off, Limit: 1000}})
		for _, a := range p.Items {
			ids = append(ids, a.UIDs[0])
		}
		return ids, err
	})
}

// TestTopTies: talkers, host pairs and services of equal traffic are
// ranked by name, so that the top N is one set whatever order the rows
// were stored in (it was the hash table's order: a tie at the cut-off
// picked hosts at random, and the dashboard's list changed on reload).
func TestTopTies(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	_, w := runWriter(t, db, "ties.pcap")
	var hosts []string
	for i := 30; i > 0; i-- { // stored in descending order of name
		h := "10.0.0." + strconv.Itoa(100+i)
		hosts = append(hosts, h)
		w.Add(store.Conn{TS: 1767225600, UID: "C" + strconv.Itoa(i), OrigH: h, RespH: "2001:db8::" + strconv.Itoa(100+i),
			Proto: "tcp", Service: "svc" + strconv.Itoa(100+i), IPv: 4, OrigIPBytes: 100, OrigPkts: 1})
		if err := w.Flush(); err != nil { // one rollup row per key and batch
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	o, err := db.Overview(ctx, store.Range{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tv := range o.TopTalkers {
		if want := "10.0.0." + strconv.Itoa(101+i); tv.Host != want {
			t.Errorf("top talker %d: %s, want %s (ties by name)", i, tv.Host, want)
		}
	}
	for i, s := range o.Services {
		if want := "svc" + strconv.Itoa(101+i); s.Name != want {
			t.Errorf("service %d: %s, want %s (ties by name)", i, s.Name, want)
		}
	}
	g, err := db.Graph(ctx, store.Range{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range g.Edges {
		if want := "10.0.0." + strconv.Itoa(101+i); e.Src != want {
			t.Errorf("graph edge %d: %s, want %s (ties by name)", i, e.Src, want)
		}
	}
}
