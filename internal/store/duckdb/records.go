package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/vigil-nsm/vigil/internal/store"
)

// typed describes how a typed log table reads back as JSON records.
type typed struct {
	cols string
	scan func(rows *sql.Rows) (ts float64, uid string, v any, err error)
}

var typedLogs = map[string]typed{
	"dns": {"ts, uid, orig_h, resp_h, query, qtype, rcode, answers, run", func(rows *sql.Rows) (float64, string, any, error) {
		var r store.DNS
		err := rows.Scan(&r.TS, &r.UID, &r.OrigH, &r.RespH, &r.Query, &r.QType, &r.RCode, &r.Answers, &r.Run)
		return r.TS, r.UID, r, err
	}},
	"http": {"ts, uid, orig_h, resp_h, resp_p, method, host, uri, status, user_agent, run", func(rows *sql.Rows) (float64, string, any, error) {
		var r store.HTTP
		err := rows.Scan(&r.TS, &r.UID, &r.OrigH, &r.RespH, &r.RespP, &r.Method, &r.Host, &r.URI, &r.Status, &r.UserAgent, &r.Run)
		return r.TS, r.UID, r, err
	}},
	"ssl": {"ts, uid, orig_h, resp_h, resp_p, version, server_name, established, ja3, run", func(rows *sql.Rows) (float64, string, any, error) {
		var r store.SSL
		err := rows.Scan(&r.TS, &r.UID, &r.OrigH, &r.RespH, &r.RespP, &r.Version, &r.ServerName, &r.Established, &r.JA3, &r.Run)
		return r.TS, r.UID, r, err
	}},
}

// Records lists records of a log, newest first. dns, http and ssl come
// from their typed tables; any other log (or "" for all of them) from
// the generic records table.
func (d *DB) Records(ctx context.Context, f store.RecordFilter) (store.Page[store.Record], error) {
	pg := f.Paging.Norm()
	out := store.Page[store.Record]{Offset: pg.Offset, Limit: pg.Limit, Items: []store.Record{}}
	var w where
	w.rangeOn("ts", f.Range)
	if len(f.UIDs) > 0 {
		w.add("uid IN ("+placeholders(len(f.UIDs))+")", toAny(f.UIDs)...)
	}
	t, isTyped := typedLogs[f.Log]
	if isTyped && f.Host != "" {
		w.add("(orig_h = ? OR resp_h = ?)", f.Host, f.Host)
	}
	if !isTyped && f.Log != "" {
		w.add("log = ?", f.Log)
	}
	table, cols := "records", "log, ts, coalesce(uid, ''), json, run"
	if isTyped {
		table, cols = f.Log, t.cols
	}
	var err error
	if out.Total, err = d.count(ctx, "SELECT count(*) FROM "+table+w.sql(), w.args...); err != nil {
		return out, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+cols+" FROM "+table+w.sql()+" ORDER BY ts DESC, rowid DESC LIMIT ? OFFSET ?",
		append(w.args, pg.Limit, pg.Offset)...)
	if err != nil {
		return out, fmt.Errorf("store: records %s: %w", f.Log, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.Record
		if isTyped {
			var v any
			if r.TS, r.UID, v, err = t.scan(rows); err != nil {
				return out, fmt.Errorf("store: records %s: %w", f.Log, err)
			}
			b, _ := json.Marshal(v)
			r.Log, r.JSON = f.Log, string(b)
		} else if err := rows.Scan(&r.Log, &r.TS, &r.UID, &r.JSON, &r.Run); err != nil {
			return out, fmt.Errorf("store: records: %w", err)
		}
		out.Items = append(out.Items, r)
	}
	return out, rows.Err()
}
