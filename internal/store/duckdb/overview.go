package duckdb

import (
	"context"
	"fmt"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Bounds returns the first and newest record time, from the minute
// rollups (every connection and alert is counted there).
func (d *DB) Bounds(ctx context.Context) (first, last float64, err error) {
	q := `SELECT coalesce(min(b), 0), coalesce(max(b), 0) FROM (
		SELECT min(bucket) AS b FROM traffic_1m UNION ALL SELECT max(bucket) + 59 FROM traffic_1m
		UNION ALL SELECT min(bucket) FROM alerts_1m UNION ALL SELECT max(bucket) + 59 FROM alerts_1m)`
	var f, l int64
	if err := d.db.QueryRowContext(ctx, q).Scan(&f, &l); err != nil {
		return 0, 0, fmt.Errorf("store: bounds: %w", err)
	}
	return float64(f), float64(l), nil
}

// step picks the rollup for a range: minutes up to six hours, else hours.
// A range that starts before the first minute row that retention left
// (the minute rollups are kept 30 days, the hour rollups a year) is
// answered from the hours: the minutes alone would miss what retention
// took from them.
func (d *DB) step(ctx context.Context, r store.Range) (table string, size int64, err error) {
	if r.From == 0 || r.To == 0 || r.To-r.From > 6*3600 {
		return "_1h", store.Hour, nil
	}
	var minute, hour *int64
	q := `SELECT least((SELECT min(bucket) FROM traffic_1m), (SELECT min(bucket) FROM alerts_1m)),
		least((SELECT min(bucket) FROM traffic_1h), (SELECT min(bucket) FROM alerts_1h))`
	if err := d.db.QueryRowContext(ctx, q).Scan(&minute, &hour); err != nil {
		return "", 0, err
	}
	trimmed := hour != nil && (minute == nil || *hour < store.BucketOf(float64(*minute), store.Hour))
	if trimmed && (minute == nil || r.From < float64(*minute)) {
		return "_1h", store.Hour, nil
	}
	return "_1m", store.Minute, nil
}

func bucketRange(w *where, r store.Range, size int64) {
	if r.From != 0 {
		w.add("bucket >= ?", store.BucketOf(r.From, size))
	}
	if r.To != 0 {
		w.add("bucket <= ?", store.BucketOf(r.To, size))
	}
}

// Overview answers the first page from the rollups only, so its cost does
// not grow with the number of stored connections.
func (d *DB) Overview(ctx context.Context, r store.Range) (*store.Overview, error) {
	suffix, size, err := d.step(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("store: overview: %w", err)
	}
	o := &store.Overview{Range: r, Step: size, BySeverity: map[int]int64{}}
	var w where
	bucketRange(&w, r, size)
	steps := []func() error{
		func() error { return d.trafficTotals(ctx, o, suffix, w) },
		func() error { return d.series(ctx, o, suffix, size, w) },
		func() error { return d.mix(ctx, o, suffix, w) },
		func() error { return d.topTalkers(ctx, o, r) },
		func() error { return d.alertCounts(ctx, o, suffix, w) },
		func() error { return d.openCounts(ctx, o) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, fmt.Errorf("store: overview: %w", err)
		}
	}
	return o, nil
}

func (d *DB) trafficTotals(ctx context.Context, o *store.Overview, suffix string, w where) error {
	q := `SELECT coalesce(sum(conns), 0), least(coalesce(sum(bytes), 0), 9223372036854775807)::BIGINT, least(coalesce(sum(pkts), 0), 9223372036854775807)::BIGINT,
		least(coalesce(sum(bytes) FILTER (WHERE ipv = 4), 0), 9223372036854775807)::BIGINT, least(coalesce(sum(bytes) FILTER (WHERE ipv = 6), 0), 9223372036854775807)::BIGINT
		FROM traffic` + suffix + w.sql()
	return d.db.QueryRowContext(ctx, q, w.args...).Scan(&o.Conns, &o.Bytes, &o.Pkts, &o.IPv4Bytes, &o.IPv6Bytes)
}

func (d *DB) series(ctx context.Context, o *store.Overview, suffix string, size int64, w where) error {
	q := `SELECT t.bucket, t.c, t.b, coalesce(a.n, 0) FROM
		(SELECT bucket, sum(conns) c, least(sum(bytes), 9223372036854775807)::BIGINT b FROM traffic` + suffix + w.sql() + ` GROUP BY bucket) t
		LEFT JOIN (SELECT bucket, sum(n) n FROM alerts` + suffix + w.sql() + ` GROUP BY bucket) a USING (bucket)
		ORDER BY t.bucket`
	rows, err := d.db.QueryContext(ctx, q, append(append([]any{}, w.args...), w.args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	o.Series = []store.SeriesPoint{}
	for rows.Next() {
		var p store.SeriesPoint
		if err := rows.Scan(&p.TS, &p.Conns, &p.Bytes, &p.Alerts); err != nil {
			return err
		}
		o.Series = append(o.Series, p)
	}
	return rows.Err()
}

func (d *DB) mix(ctx context.Context, o *store.Overview, suffix string, w where) error {
	var err error
	o.Protocols, err = d.named(ctx, `SELECT proto, least(sum(bytes), 9223372036854775807)::BIGINT b, sum(conns) FROM traffic`+suffix+w.sql()+
		` GROUP BY proto ORDER BY b DESC, proto`, w.args, true)
	if err != nil {
		return err
	}
	o.Services, err = d.named(ctx, `SELECT coalesce(nullif(service, ''), '-') s, sum(conns) c, least(sum(bytes), 9223372036854775807)::BIGINT FROM traffic`+
		suffix+w.sql()+` GROUP BY s ORDER BY c DESC, s LIMIT 12`, w.args, false)
	return err
}

// named scans (name, a, b) rows into counts: with bytesFirst, a is bytes
// and b the count.
func (d *DB) named(ctx context.Context, q string, args []any, bytesFirst bool) ([]store.NamedCount, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.NamedCount{}
	for rows.Next() {
		var n store.NamedCount
		a, b := &n.Count, &n.Bytes
		if bytesFirst {
			a, b = b, a
		}
		if err := rows.Scan(&n.Name, a, b); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (d *DB) topTalkers(ctx context.Context, o *store.Overview, r store.Range) error {
	var w where
	bucketRange(&w, r, store.Hour)
	rows, err := d.db.QueryContext(ctx, `SELECT host, least(sum(bytes), 9223372036854775807)::BIGINT b, sum(conns) FROM talkers_1h`+w.sql()+
		` GROUP BY host ORDER BY b DESC, host LIMIT 10`, w.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	o.TopTalkers = []store.TalkerView{}
	for rows.Next() {
		var t store.TalkerView
		if err := rows.Scan(&t.Host, &t.Bytes, &t.Conns); err != nil {
			return err
		}
		o.TopTalkers = append(o.TopTalkers, t)
	}
	return rows.Err()
}

func (d *DB) alertCounts(ctx context.Context, o *store.Overview, suffix string, w where) error {
	rows, err := d.db.QueryContext(ctx, `SELECT severity, sum(n) FROM alerts`+suffix+w.sql()+` GROUP BY severity`, w.args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var sev int
		var n int64
		if err := rows.Scan(&sev, &n); err != nil {
			rows.Close()
			return err
		}
		o.BySeverity[sev] = n
		o.Alerts += n
	}
	rows.Close()
	o.ByClass, err = d.named(ctx, `SELECT class, sum(n) c, 0 FROM alerts`+suffix+w.sql()+
		` GROUP BY class ORDER BY c DESC, class LIMIT 12`, w.args, false)
	return err
}

func (d *DB) openCounts(ctx context.Context, o *store.Overview) error {
	q := `SELECT (SELECT count(*)` + incidentFrom + ` WHERE coalesce(s.status, 'open') <> 'closed'),
		(SELECT count(*) FROM asset_view)`
	return d.db.QueryRowContext(ctx, q).Scan(&o.Incidents, &o.Assets)
}

// Minutes returns per-minute perception inputs.
func (d *DB) Minutes(ctx context.Context, r store.Range) ([]store.MinuteStats, error) {
	var w where
	bucketRange(&w, r, store.Minute)
	q := `SELECT bucket, sum(c), ` + capped("sum(b)") + `, ` + capped("sum(p)") + `, ` + capped("sum(b6)") + `,
		sum(s1), sum(s2), sum(s3), sum(s4) FROM (
		SELECT bucket, conns c, bytes b, pkts p, CASE WHEN ipv = 6 THEN bytes ELSE 0 END b6,
			0 s1, 0 s2, 0 s3, 0 s4 FROM traffic_1m` + w.sql() + `
		UNION ALL SELECT bucket, 0, 0, 0, 0, CASE WHEN severity = 1 THEN n ELSE 0 END,
			CASE WHEN severity = 2 THEN n ELSE 0 END, CASE WHEN severity = 3 THEN n ELSE 0 END,
			CASE WHEN severity >= 4 THEN n ELSE 0 END FROM alerts_1m` + w.sql() + `)
		GROUP BY bucket ORDER BY bucket`
	rows, err := d.db.QueryContext(ctx, q, append(append([]any{}, w.args...), w.args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: minutes: %w", err)
	}
	defer rows.Close()
	var out []store.MinuteStats
	for rows.Next() {
		var m store.MinuteStats
		if err := rows.Scan(&m.Bucket, &m.Conns, &m.Bytes, &m.Pkts, &m.IPv6Bytes, &m.AlertsBySv[1],
			&m.AlertsBySv[2], &m.AlertsBySv[3], &m.AlertsBySv[4]); err != nil {
			return nil, fmt.Errorf("store: minutes: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// capped is the SQL of a sum of counts that stops at the int64 maximum
// and is 0 over no rows (DuckDB sums BIGINT as HUGEINT; least() passes
// over NULL, so the coalesce comes first).
func capped(sum string) string {
	return "least(coalesce(" + sum + ", 0), 9223372036854775807)::BIGINT"
}

// Counts returns the number of rows of each table.
func (d *DB) Counts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []string{"conn", "dns", "http", "ssl", "alerts", "incidents", "assets", "records",
		"traffic_1m", "traffic_1h", "talkers_1h", "edges_1h", "situation", "runs"} {
		var n int64
		if err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
