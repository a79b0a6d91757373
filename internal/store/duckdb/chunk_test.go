package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

// TestChunkAppenderUsed fails when the driver no longer hands the chunk
// writer its C connection (a duckdb-go upgrade that renames the field):
// connections would still be stored, through the slower Appender.
func TestChunkAppenderUsed(t *testing.T) {
	db := openTemp(t)
	c := db.conns[0]
	err := c.Raw(func(dc any) error {
		a, err := newChunkAppender(dc.(driver.Conn), "conn", connKinds)
		if err != nil {
			return err
		}
		return a.Close()
	})
	if err != nil {
		t.Fatalf("chunk writer unavailable: %v", err)
	}
}

// TestChunkAppenderMatchesAppender stores the same rows through the chunk
// writer and through duckdb-go's Appender, and compares every column of
// the connection and rollup tables: NULLs, enum values and their
// fallbacks, empty strings, strings inlined (≤ 12 bytes) or not, non-ASCII
// and invalid UTF-8, more rows than a chunk.
func TestChunkAppenderMatchesAppender(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	g := storetest.New(7, 300)
	var conns []store.Conn
	var traffic []store.Traffic
	var talkers []store.Talker
	var edges []store.Edge
	for i := range 5000 {
		c := g.Conn()
		switch i % 7 {
		case 1:
			c.UID, c.Service, c.History, c.State = "", "", "", "XX"
		case 2:
			c.Proto, c.Service = "weird", "ssl,http-alt-service-name"
		case 3:
			c.History, c.Service = "ShAdDaFfé", "dns\xff"
		case 4:
			c.UID = "CHhAvVGS1DHFjwGM9" // Zeek's 18 characters
		}
		conns = append(conns, c)
		traffic = append(traffic, store.Traffic{Bucket: int64(i), Proto: c.Proto, Service: c.Service, IPv: c.IPv, Conns: 1, Bytes: c.OrigBytes, Pkts: 3})
		talkers = append(talkers, store.Talker{Bucket: int64(i), Host: c.OrigH, Bytes: c.RespBytes, Conns: 2})
		edges = append(edges, store.Edge{Bucket: int64(i), Src: c.OrigH, Dst: c.Service, Bytes: 5, Conns: 1})
	}
	tables := []struct {
		name       string
		fast, slow func(run int32) error
	}{
		{"conn", func(run int32) error {
			rows := setRun(conns, run)
			return appendChunks(ctx, db.conns[0], "conn", connKinds, rows, writeConn, nil)
		}, func(run int32) error {
			rows := setRun(conns, run)
			return appendTo(ctx, db.conns[0], "conn", len(rows), func(i int, v []driver.Value) { connRow(&rows[i], v) })
		}},
		{"traffic_1m", func(run int32) error {
			return appendChunks(ctx, db.conns[0], "traffic_1m", trafficKinds, traffic,
				func(a *chunkAppender, r int, x *store.Traffic) { writeTraffic(a, r, x, run) }, nil)
		}, func(run int32) error {
			return appendTo(ctx, db.conns[0], "traffic_1m", len(traffic), func(i int, v []driver.Value) { trafficRow(&traffic[i], run, v) })
		}},
		{"talkers_1h", func(run int32) error {
			return appendChunks(ctx, db.conns[0], "talkers_1h", talkerKinds, talkers,
				func(a *chunkAppender, r int, x *store.Talker) { writeTalker(a, r, x, run) }, nil)
		}, func(run int32) error {
			return appendTo(ctx, db.conns[0], "talkers_1h", len(talkers), func(i int, v []driver.Value) { talkerRow(&talkers[i], run, v) })
		}},
		{"edges_1h", func(run int32) error {
			return appendChunks(ctx, db.conns[0], "edges_1h", edgeKinds, edges,
				func(a *chunkAppender, r int, x *store.Edge) { writeEdge(a, r, x, run) }, nil)
		}, func(run int32) error {
			return appendTo(ctx, db.conns[0], "edges_1h", len(edges), func(i int, v []driver.Value) { edgeRow(&edges[i], run, v) })
		}},
	}
	for _, tb := range tables {
		if err := tb.fast(1); err != nil {
			t.Fatalf("%s: chunk writer: %v", tb.name, err)
		}
		if err := tb.slow(2); err != nil {
			t.Fatalf("%s: appender: %v", tb.name, err)
		}
		a, b := dumpRun(t, db, tb.name, 1), dumpRun(t, db, tb.name, 2)
		if len(a) != len(conns) || len(b) != len(conns) {
			t.Fatalf("%s rows: chunk writer %d, appender %d, want %d", tb.name, len(a), len(b), len(conns))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s row %d differs:\nchunk    %s\nappender %s", tb.name, i, a[i], b[i])
			}
		}
		if tb.name == "conn" && !strings.Contains(strings.Join(a, "\n"), "CHhAvVGS1DHFjwGM9") {
			t.Error("long uid missing")
		}
	}
}

func setRun(conns []store.Conn, run int32) []store.Conn {
	out := append([]store.Conn(nil), conns...)
	for i := range out {
		out[i].Run = run
	}
	return out
}

// dumpRun returns a table's rows of one run, each as text, in a fixed order.
func dumpRun(t *testing.T, db *DB, table string, run int) []string {
	t.Helper()
	r, err := db.db.QueryContext(context.Background(), "SELECT * EXCLUDE (run) FROM "+table+" WHERE run = ? ORDER BY ALL", run)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	var out []string
	for r.Next() {
		v := make([]any, len(cols))
		p := make([]any, len(cols))
		for i := range v {
			p[i] = &v[i]
		}
		if err := r.Scan(p...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%#v", v))
	}
	return out
}
