package duckdb

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
)

func now() float64 { return float64(time.Now().UnixNano()) / 1e9 }

// BeginRun registers a source and returns its run id.
func (d *DB) BeginRun(ctx context.Context, source, kind string) (int32, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	var id int32
	if err := d.db.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) + 1 FROM runs").Scan(&id); err != nil {
		return 0, fmt.Errorf("store: begin run: %w", err)
	}
	_, err := d.db.ExecContext(ctx, `INSERT INTO runs VALUES (?, ?, ?, 'running', ?, NULL, 0, 0, NULL)`,
		id, source, kind, now())
	if err != nil {
		return 0, fmt.Errorf("store: begin run: %w", err)
	}
	return id, nil
}

// EndRun records how a run ended.
func (d *DB) EndRun(ctx context.Context, id int32, r store.RunEnd) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	_, err := d.db.ExecContext(ctx, `UPDATE runs SET status = ?, ended = ?, packets = ?, records = ?, error = ?,
		source = coalesce(?, source) WHERE id = ?`,
		r.Status, now(), r.Packets, r.Records, nullable(r.Error), nullable(r.Source), id)
	if err != nil {
		return fmt.Errorf("store: end run %d: %w", id, err)
	}
	return nil
}

// Recover ends the runs a crash left running: a file's run loses its rows
// (the file is ingested again) and is marked aborted; a stream's keeps
// what it committed and is marked interrupted.
func (d *DB) Recover(ctx context.Context) ([]string, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	rows, err := d.db.QueryContext(ctx, "SELECT id, source, kind FROM runs WHERE status = 'running'")
	if err != nil {
		return nil, fmt.Errorf("store: recover: %w", err)
	}
	var replay, keep []any
	var sources []string
	for rows.Next() {
		var id int32
		var src, kind string
		if err := rows.Scan(&id, &src, &kind); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: recover: %w", err)
		}
		if store.Replayable(kind) {
			replay, sources = append(replay, id), append(sources, src)
		} else {
			keep = append(keep, id)
		}
	}
	rows.Close()
	if len(replay) > 0 {
		in := "(" + placeholders(len(replay)) + ")"
		for _, t := range runTables {
			if _, err := d.db.ExecContext(ctx, "DELETE FROM "+t+" WHERE run IN "+in, replay...); err != nil {
				return nil, fmt.Errorf("store: recover %s: %w", t, err)
			}
		}
	}
	for status, ids := range map[string][]any{"aborted": replay, "interrupted": keep} {
		if len(ids) == 0 {
			continue
		}
		q := "UPDATE runs SET status = ?, ended = ? WHERE id IN (" + placeholders(len(ids)) + ")"
		if _, err := d.db.ExecContext(ctx, q, append([]any{status, now()}, ids...)...); err != nil {
			return nil, fmt.Errorf("store: recover: %w", err)
		}
	}
	return sources, nil
}

// ListRuns returns the newest runs first.
func (d *DB) ListRuns(ctx context.Context, limit int) ([]store.Run, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id, source, kind, status, started, coalesce(ended, 0), packets, records,
		coalesce(error, '') FROM runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	defer rows.Close()
	var out []store.Run
	for rows.Next() {
		var r store.Run
		if err := rows.Scan(&r.ID, &r.Source, &r.Kind, &r.Status, &r.Started, &r.Ended, &r.Packets, &r.Records, &r.Error); err != nil {
			return nil, fmt.Errorf("store: runs: %w", err)
		}
		if r.Ended > 0 {
			r.Duration = r.Ended - r.Started
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
