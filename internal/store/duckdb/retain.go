package duckdb

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Retain deletes rows older than the policy allows, counted back from the
// newest record, and compacts the small rollup tables (one row per key).
func (d *DB) Retain(ctx context.Context, p store.Retention) (store.Retained, error) {
	_, newest, err := d.Bounds(ctx)
	if err != nil || newest == 0 {
		return nil, err
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	cut := func(age time.Duration) float64 { return newest - age.Seconds() }
	steps := []struct {
		table, col string
		age        time.Duration
	}{
		{"conn", "ts", p.Raw}, {"dns", "ts", p.Raw}, {"http", "ts", p.Raw}, {"ssl", "ts", p.Raw},
		{"records", "ts", p.Raw},
		{"traffic_1m", "bucket", p.Minute}, {"alerts_1m", "bucket", p.Minute}, {"situation", "ts", p.Minute},
		{"traffic_1h", "bucket", p.Hour}, {"talkers_1h", "bucket", p.Hour}, {"edges_1h", "bucket", p.Hour},
		{"alerts_1h", "bucket", p.Hour}, {"alerts", "ts", p.Hour}, {"incidents", "last_seen", p.Hour},
		{"assets", "last_seen", p.Hour},
	}
	out := store.Retained{}
	for _, s := range steps {
		if s.age <= 0 {
			continue
		}
		res, err := d.db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s < ?", s.table, s.col), cut(s.age))
		if err != nil {
			return out, fmt.Errorf("store: retain %s: %w", s.table, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			out[s.table] = n
		}
	}
	return out, d.compact(ctx)
}

// compact merges the rows of each key in the traffic and alert rollups
// (the writer appends one row per key and batch).
func (d *DB) compact(ctx context.Context) error {
	for _, t := range []struct{ table, keys, sums string }{
		{"traffic_1m", "bucket, proto, service, ipv, run", "sum(conns) AS conns, least(sum(bytes), 9223372036854775807)::BIGINT AS bytes, least(sum(pkts), 9223372036854775807)::BIGINT AS pkts"},
		{"traffic_1h", "bucket, proto, service, ipv, run", "sum(conns) AS conns, least(sum(bytes), 9223372036854775807)::BIGINT AS bytes, least(sum(pkts), 9223372036854775807)::BIGINT AS pkts"},
		{"alerts_1m", "bucket, class, severity, run", "sum(n) AS n"},
		{"alerts_1h", "bucket, class, severity, run", "sum(n) AS n"},
	} {
		var rows, keys int64
		q := fmt.Sprintf("SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT %s FROM %s)) FROM %s", t.keys, t.table, t.table)
		if err := d.db.QueryRowContext(ctx, q).Scan(&rows, &keys); err != nil {
			return fmt.Errorf("store: compact %s: %w", t.table, err)
		}
		if rows < 2*keys+1000 {
			continue
		}
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: compact %s: %w", t.table, err)
		}
		stmts := []string{
			fmt.Sprintf("CREATE TEMP TABLE compacted AS SELECT %s, %s FROM %s GROUP BY ALL", t.keys, t.sums, t.table),
			"DELETE FROM " + t.table,
			fmt.Sprintf("INSERT INTO %s BY NAME SELECT * FROM compacted", t.table),
			"DROP TABLE compacted",
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: compact %s: %w", t.table, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: compact %s: %w", t.table, err)
		}
	}
	return nil
}
