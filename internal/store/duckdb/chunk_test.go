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

// TestChunkAppenderMatchesAppender stores the same connections through the
// chunk writer and through duckdb-go's Appender, and compares every
// column: NULLs, enum values and their fallbacks, strings inlined (≤ 12
// bytes) or not, non-ASCII and invalid UTF-8, more rows than a chunk.
func TestChunkAppenderMatchesAppender(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	g := storetest.New(7, 300)
	var rows []store.Conn
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
		rows = append(rows, c)
	}
	fast, slow := rows, make([]store.Conn, len(rows))
	for i := range rows {
		fast[i].Run = 1
		slow[i] = rows[i]
		slow[i].Run = 2
	}
	if err := appendConnPart(ctx, db.conns[0], fast); err != nil {
		t.Fatal(err)
	}
	err := appendTo(ctx, db.conns[0], "conn", len(slow), func(i int, v []driver.Value) { connRow(&slow[i], v) })
	if err != nil {
		t.Fatal(err)
	}
	dump := func(run int) []string {
		r, err := db.db.QueryContext(ctx, "SELECT * EXCLUDE (run) FROM conn WHERE run = ? ORDER BY ts, uid", run)
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
	a, b := dump(1), dump(2)
	if len(a) != len(rows) || len(b) != len(rows) {
		t.Fatalf("rows: chunk writer %d, appender %d, want %d", len(a), len(b), len(rows))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d differs:\nchunk    %s\nappender %s", i, a[i], b[i])
		}
	}
	if !strings.Contains(strings.Join(a, "\n"), "CHhAvVGS1DHFjwGM9") {
		t.Error("long uid missing")
	}
}
