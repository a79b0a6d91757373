// Package duckdb is the default Store: one embedded DuckDB file written
// through the Appender API in batches.
//
// Connections are appended by several appenders in parallel (one
// connection each), which is what takes the store past a million rows a
// second on two cores; other tables go through one connection. Each
// appender flushes at most flushRows rows at a time: DuckDB's optimistic
// writes of larger transactions were seen to stall on unique strings.
// Addresses, ports and names are typed columns; proto and conn_state are
// ENUMs (written without a cgo call per value).
package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	duckdbgo "github.com/duckdb/duckdb-go/v2"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Options tune the store.
type Options struct {
	// Parallel is the number of appenders that write connections at once
	// (0: two per CPU, at most 4: an appender waits inside DuckDB part of
	// the time; on two cores 4 append about 5% faster than 2 and 35%
	// faster than 1, BenchmarkAppendConn with VIGIL_PAR).
	Parallel int
	// Memory caps DuckDB's memory ("" leaves DuckDB's default), e.g. "2GB".
	Memory string
	// Threads caps DuckDB's threads (0: DuckDB's default).
	Threads int
	// Settings are extra DuckDB settings, name to value. The default sets
	// checkpoint_threshold to 512MB: checkpoints (where DuckDB compresses)
	// happen less often during ingest bursts, and the server checkpoints
	// when it is idle (Checkpoint).
	Settings map[string]string
}

// DB is the DuckDB store. Use Open.
type DB struct {
	path  string
	opts  Options
	db    *sql.DB
	conns []*sql.Conn // appender connections
	wmu   sync.Mutex  // serialises writes
}

var _ store.Store = (*DB)(nil)

// flushRows is the most rows one appender writes per commit.
const flushRows = 60000

// Open opens or creates the store file at path (its directory is created).
func Open(path string, opts Options) (*DB, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = min(2*runtime.NumCPU(), 4)
	}
	if opts.Settings == nil {
		opts.Settings = map[string]string{}
	}
	if _, ok := opts.Settings["checkpoint_threshold"]; !ok {
		opts.Settings["checkpoint_threshold"] = "512MB"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	conn, err := duckdbgo.NewConnector(path, nil)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	d := &DB{path: path, opts: opts, db: sql.OpenDB(conn)}
	if err := d.init(context.Background()); err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) init(ctx context.Context) error {
	if d.opts.Memory != "" {
		if _, err := d.db.ExecContext(ctx, "SET memory_limit = '"+strings.ReplaceAll(d.opts.Memory, "'", "")+"'"); err != nil {
			return fmt.Errorf("store: memory limit: %w", err)
		}
	}
	if d.opts.Threads > 0 {
		if _, err := d.db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", d.opts.Threads)); err != nil {
			return fmt.Errorf("store: threads: %w", err)
		}
	}
	for k, v := range d.opts.Settings {
		if _, err := d.db.ExecContext(ctx, fmt.Sprintf("SET %s = '%s'", k, strings.ReplaceAll(v, "'", ""))); err != nil {
			return fmt.Errorf("store: setting %s: %w", k, err)
		}
	}
	if err := d.createSchema(ctx); err != nil {
		return err
	}
	for range d.opts.Parallel {
		c, err := d.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: connection: %w", err)
		}
		d.conns = append(d.conns, c)
	}
	return nil
}

// Path returns the store file's path.
func (d *DB) Path() string { return d.path }

// SQL returns the database handle (for tools and tests).
func (d *DB) SQL() *sql.DB { return d.db }

// Checkpoint writes the WAL into the database file.
func (d *DB) Checkpoint(ctx context.Context) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if _, err := d.db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

// Close checkpoints and closes the file.
func (d *DB) Close() error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	var errs []error
	for _, c := range d.conns {
		errs = append(errs, c.Close())
	}
	d.conns = nil
	if _, err := d.db.Exec("CHECKPOINT"); err != nil {
		errs = append(errs, fmt.Errorf("store: checkpoint: %w", err))
	}
	errs = append(errs, d.db.Close())
	return errors.Join(errs...)
}
