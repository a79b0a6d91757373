package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	duckdbgo "github.com/duckdb/duckdb-go/v2"

	"github.com/vigil-nsm/vigil/internal/store"
)

// assetLine is an assets.log line; mac "" makes a host keyed by its
// first address.
func assetLine(mac string, addrs []string, class string, conf float64, services string, first, last float64, sent, recv int64, sev int) []byte {
	key := mac
	if key == "" {
		key = addrs[0]
	}
	f := ""
	if sev > 0 {
		f = fmt.Sprintf(`,"findings":[{"kind":"telnet_offered","class":"iot.insecure_protocol","severity":%d}]`, sev)
	}
	as := ""
	for i, a := range addrs {
		if i > 0 {
			as += ","
		}
		as += `{"addr":"` + a + `"}`
	}
	return fmt.Appendf(nil, `{"host":%q,"mac":%q,"vendor":"Acme","first_seen":%v,"last_seen":%v,"addrs":[%s],`+
		`"names":[{"name":"cam-%d.lan"}],"class":{"value":%q,"confidence":%v},"os":{"value":"Linux","confidence":%v},`+
		`"services":[%s],"traffic":{"bytes_sent":%d,"bytes_recv":%d}%s}`,
		key, mac, first, last, as, int(first), class, conf, conf/2, services, sent, recv, f)
}

func writeRun(t *testing.T, db *DB, source string, end bool, lines ...[]byte) int32 {
	t.Helper()
	ctx := context.Background()
	run, w := runWriter(t, db, source)
	for _, l := range lines {
		w.Record("assets", l)
		if err := w.Flush(); err != nil { // one batch per line: replacement across batches
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if end {
		if err := db.EndRun(ctx, run, store.RunEnd{Status: "done"}); err != nil {
			t.Fatal(err)
		}
	}
	return run
}

// TestAssetMerge: the hosts that several runs report are listed once —
// by MAC, else by address (an address a MAC holds joins that MAC) — with the earliest first_seen, the latest
// last_seen, addresses, names and services united, the most confident
// class, summed traffic; a run reporting a host again replaces its own
// view only; an aborted run's view goes with it (Recover), and the merge
// survives a restart.
func TestAssetMerge(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigil.duckdb")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const mac = "00:11:22:33:44:55"
	writeRun(t, db, "a.pcap", true,
		assetLine(mac, []string{"10.0.0.5"}, "camera", 0.6, `{"proto":"tcp","port":23,"service":"telnet"},{"proto":"tcp","port":80}`, 100, 200, 1000, 2000, 0),
		assetLine("", []string{"10.0.0.9"}, "", 0, ``, 150, 160, 5, 6, 0),
		// Seen without its link layer in this run, by an address that the
		// MAC holds in another: it folds into that host.
		assetLine("", []string{"10.0.0.6"}, "", 0, ``, 120, 130, 5, 6, 0))
	writeRun(t, db, "b.pcap", true,
		assetLine(mac, []string{"10.0.0.6", "10.0.0.5"}, "workstation", 0.5, `{"proto":"tcp","port":22,"service":"ssh"}`, 50, 300, 1, 1, 0),
		// The same run reports the host again (a later batch): it replaces
		// this run's view, not the other run's.
		assetLine(mac, []string{"10.0.0.6", "10.0.0.5"}, "workstation", 0.9, `{"proto":"tcp","port":22,"service":"ssh"},{"proto":"tcp","port":80,"service":"http"}`, 50, 300, 10, 20, 2),
		assetLine("", []string{"10.0.0.9"}, "", 0, `{"proto":"udp","port":161,"service":"snmp"}`, 400, 500, 7, 8, 0))
	want := map[string]store.Asset{
		mac: {Key: mac, MAC: mac, Vendor: "Acme", Addrs: []string{"10.0.0.6", "10.0.0.5"}, Names: []string{"cam-50.lan", "cam-100.lan", "cam-120.lan"},
			Class: "workstation", ClassConf: 0.9, OS: "Linux", OSConf: 0.45,
			Services: []string{"tcp/22 ssh", "tcp/23 telnet", "tcp/80 http"}, Findings: []string{"iot.insecure_protocol"},
			MaxSeverity: 2, FirstSeen: 50, LastSeen: 300, BytesSent: 1015, BytesRecv: 2026, Runs: 2},
		"10.0.0.9": {Key: "10.0.0.9", Vendor: "Acme", Addrs: []string{"10.0.0.9"}, Names: []string{"cam-400.lan", "cam-150.lan"},
			OS: "Linux", Services: []string{"udp/161 snmp"}, Findings: []string{}, FirstSeen: 150, LastSeen: 500, BytesSent: 12, BytesRecv: 14, Runs: 2},
	}
	check := func(stage string) {
		t.Helper()
		page, err := db.Assets(ctx, store.AssetFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != len(want) || len(page.Items) != len(want) {
			t.Fatalf("%s: %d assets, want %d: %+v", stage, page.Total, len(want), page.Items)
		}
		for _, a := range page.Items {
			w, ok := want[a.Key]
			if !ok {
				t.Errorf("%s: unexpected asset %s", stage, a.Key)
				continue
			}
			a.JSON, a.Run, a.OSConf = "", 0, float64(int(a.OSConf*100+0.5))/100
			if !reflect.DeepEqual(a, w) {
				t.Errorf("%s: asset %s\n got %+v\nwant %+v", stage, a.Key, a, w)
			}
		}
		h, err := db.Host(ctx, "10.0.0.5", store.Range{})
		if err != nil || len(h.Assets) != 1 || h.Assets[0].Key != mac {
			t.Errorf("%s: host 10.0.0.5: %+v %v", stage, h, err)
		}
		o, err := db.Overview(ctx, store.Range{})
		if err != nil || o.Assets != int64(len(want)) {
			t.Errorf("%s: overview counts %d assets (%v)", stage, o.Assets, err)
		}
	}
	check("two runs")
	// A third run dies half-way: its view of the host goes with it.
	writeRun(t, db, "c.pcap", false,
		assetLine(mac, []string{"10.0.0.7"}, "router", 0.99, ``, 10, 900, 1e6, 1e6, 1))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := db.Recover(ctx); err != nil || len(got) != 1 {
		t.Fatalf("recover: %v %v", got, err)
	}
	check("after a crash and a restart")
}

// TestAssetMigration: a store made before assets had confidence columns
// opens, and its hosts are listed.
func TestAssetMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.duckdb")
	conn, err := duckdbgo.NewConnector(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := sql.OpenDB(conn)
	for _, q := range []string{
		`CREATE TABLE assets(key VARCHAR, addrs VARCHAR[], mac VARCHAR, vendor VARCHAR, names VARCHAR[], class VARCHAR,
			os VARCHAR, device VARCHAR, services VARCHAR[], findings VARCHAR[], max_severity INTEGER,
			first_seen DOUBLE, last_seen DOUBLE, bytes_sent BIGINT, bytes_recv BIGINT, json VARCHAR, run INTEGER)`,
		`INSERT INTO assets VALUES ('00:aa:00:00:00:01', ['10.0.0.1'], '00:aa:00:00:00:01', 'Acme', [], 'printer', '', '',
			['tcp/9100'], [], 0, 10, 20, 1, 2, '{}', 99)`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	page, err := db.Assets(context.Background(), store.AssetFilter{})
	if err != nil || page.Total != 1 || page.Items[0].Class != "printer" || page.Items[0].Runs != 1 {
		t.Fatalf("old store's assets: %+v %v", page, err)
	}
	writeRun(t, db, "new.pcap", true, assetLine("00:aa:00:00:00:01", []string{"10.0.0.1"}, "printer", 0.7, ``, 5, 30, 1, 1, 0))
	page, err = db.Assets(context.Background(), store.AssetFilter{})
	if err != nil || page.Total != 1 || page.Items[0].FirstSeen != 5 || page.Items[0].BytesSent != 2 || page.Items[0].Runs != 2 {
		t.Fatalf("merged with the old store's row: %+v %v", page, err)
	}
}

// TestAssetSearchByDevice: an asset is found by the device the inventory
// names (an EtherNet/IP List Identity's product, "1756-ENBT/A") and by its
// OS, as the dashboard's search box and /search promise ("hosts, assets …
// matching q"); before, only keys, addresses, vendors, names and classes
// were searched.
func TestAssetSearchByDevice(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "vigil.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	plc := []byte(`{"host":"10.0.0.21","first_seen":1,"last_seen":2,"addrs":[{"addr":"10.0.0.21"}],"class":{"value":"ics","confidence":0.98},` +
		`"device":{"value":"Rockwell Automation/Allen-Bradley 1756-ENBT/A","confidence":0.95},"os":{"value":"VxWorks","confidence":0.5}}`)
	writeRun(t, db, "a.pcap", true, plc, assetLine("", []string{"10.0.0.9"}, "", 0, ``, 1, 2, 5, 6, 0))
	for _, q := range []string{"1756", "vxworks"} {
		page, err := db.Assets(ctx, store.AssetFilter{Query: q})
		if err != nil || len(page.Items) != 1 || page.Items[0].Key != "10.0.0.21" {
			t.Errorf("query %q: %+v %v", q, page.Items, err)
		}
		res, err := db.Search(ctx, q, 10)
		if err != nil || len(res.Assets) != 1 {
			t.Errorf("search %q: %+v %v", q, res, err)
		}
	}
}
