package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	bindings "github.com/duckdb/duckdb-go-bindings"
	duckdbgo "github.com/duckdb/duckdb-go/v2"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Append writes a batch: connections through the parallel appenders,
// everything else through the first connection. Incidents replace the
// rows of the same id, assets those of the same host key and run.
func (d *DB) Append(ctx context.Context, b *store.Batch) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.conns == nil {
		return errors.New("store: closed")
	}
	if err := d.appendConns(ctx, b.Conns); err != nil {
		return err
	}
	if err := d.replaceKeys(ctx, b); err != nil {
		return err
	}
	c := d.conns[0]
	steps := []struct {
		table string
		n     int
		row   func(i int, v []driver.Value)
	}{
		{"dns", len(b.DNS), func(i int, v []driver.Value) { dnsRow(&b.DNS[i], v) }},
		{"http", len(b.HTTP), func(i int, v []driver.Value) { httpRow(&b.HTTP[i], v) }},
		{"ssl", len(b.SSL), func(i int, v []driver.Value) { sslRow(&b.SSL[i], v) }},
		{"alerts", len(b.Alerts), func(i int, v []driver.Value) { alertRow(&b.Alerts[i], v) }},
		{"incidents", len(b.Incidents), func(i int, v []driver.Value) { incidentRow(&b.Incidents[i], v) }},
		{"assets", len(b.Assets), func(i int, v []driver.Value) { assetRow(&b.Assets[i], v) }},
		{"records", len(b.Records), func(i int, v []driver.Value) { recordRow(&b.Records[i], v) }},
		{"alerts_1m", len(b.Alerts1m), func(i int, v []driver.Value) { alertCountRow(&b.Alerts1m[i], b.Run, v) }},
		{"alerts_1h", len(b.Alerts1h), func(i int, v []driver.Value) { alertCountRow(&b.Alerts1h[i], b.Run, v) }},
	}
	for _, s := range steps {
		if err := appendTo(ctx, c, s.table, s.n, s.row); err != nil {
			return err
		}
	}
	return d.appendRollups(ctx, b)
}

// appendRollups appends the batch's traffic, talker and edge aggregates
// (as many rows as connections, at worst) through the chunk writer.
func (d *DB) appendRollups(ctx context.Context, b *store.Batch) error {
	c, run := d.conns[0], b.Run
	traffic := func(a *chunkAppender, r int, t *store.Traffic) { writeTraffic(a, r, t, run) }
	trafficFallback := func(t *store.Traffic, v []driver.Value) { trafficRow(t, run, v) }
	if err := appendChunks(ctx, c, "traffic_1m", trafficKinds, b.Traffic1m, traffic, trafficFallback); err != nil {
		return err
	}
	if err := appendChunks(ctx, c, "traffic_1h", trafficKinds, b.Traffic1h, traffic, trafficFallback); err != nil {
		return err
	}
	err := appendChunks(ctx, c, "talkers_1h", talkerKinds, b.Talkers1h,
		func(a *chunkAppender, r int, t *store.Talker) { writeTalker(a, r, t, run) },
		func(t *store.Talker, v []driver.Value) { talkerRow(t, run, v) })
	if err != nil {
		return err
	}
	return appendChunks(ctx, c, "edges_1h", edgeKinds, b.Edges1h,
		func(a *chunkAppender, r int, e *store.Edge) { writeEdge(a, r, e, run) },
		func(e *store.Edge, v []driver.Value) { edgeRow(e, run, v) })
}

// The rollup tables' column types, as the chunk writer writes them.
var (
	trafficKinds = []bindings.Type{kindBigint, kindText, kindText, kindU8, kindBigint, kindBigint, kindBigint, kindInt}
	talkerKinds  = []bindings.Type{kindBigint, kindText, kindBigint, kindBigint, kindInt}
	edgeKinds    = []bindings.Type{kindBigint, kindText, kindText, kindBigint, kindBigint, kindInt}
)

func writeTraffic(a *chunkAppender, r int, t *store.Traffic, run int32) {
	a.Bigint(0, r, t.Bucket)
	a.Text(1, r, t.Proto)
	a.Text(2, r, t.Service)
	a.U8(3, r, t.IPv)
	a.Bigint(4, r, t.Conns)
	a.Bigint(5, r, t.Bytes)
	a.Bigint(6, r, t.Pkts)
	a.Int(7, r, run)
}

func writeTalker(a *chunkAppender, r int, t *store.Talker, run int32) {
	a.Bigint(0, r, t.Bucket)
	a.Text(1, r, t.Host)
	a.Bigint(2, r, t.Bytes)
	a.Bigint(3, r, t.Conns)
	a.Int(4, r, run)
}

func writeEdge(a *chunkAppender, r int, e *store.Edge, run int32) {
	a.Bigint(0, r, e.Bucket)
	a.Text(1, r, e.Src)
	a.Text(2, r, e.Dst)
	a.Bigint(3, r, e.Bytes)
	a.Bigint(4, r, e.Conns)
	a.Int(5, r, run)
}

// appendConns splits the connections over the appender connections.
func (d *DB) appendConns(ctx context.Context, conns []store.Conn) error {
	p := len(d.conns)
	if len(conns) < 4096 {
		p = 1
	}
	per := (len(conns) + p - 1) / p
	var wg sync.WaitGroup
	errs := make([]error, p)
	for k := range p {
		lo, hi := k*per, min((k+1)*per, len(conns))
		if lo >= hi {
			continue
		}
		wg.Go(func() { errs[k] = appendConnPart(ctx, d.conns[k], conns[lo:hi]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// connKinds are the conn table's column types, as the chunk writer
// writes them (proto and conn_state are ENUMs).
var connKinds = []bindings.Type{kindDouble, kindText, kindText, kindU16, kindText, kindU16, kindEnum8, kindText,
	kindDouble, kindBigint, kindBigint, kindEnum8, kindText, kindBigint, kindBigint, kindBigint, kindBigint, kindU8, kindInt}

// appendConnPart appends connections through one connection.
func appendConnPart(ctx context.Context, c *sql.Conn, conns []store.Conn) error {
	return appendChunks(ctx, c, "conn", connKinds, conns, writeConn, connRow)
}

// appendChunks appends rows to table through one connection: written into
// DuckDB's chunks directly (write), or through duckdb-go's Appender (row)
// where the driver does not give the chunk writer its connection.
func appendChunks[T any](ctx context.Context, c *sql.Conn, table string, kinds []bindings.Type, rows []T,
	write func(a *chunkAppender, r int, row *T), row func(row *T, v []driver.Value)) error {
	if len(rows) == 0 {
		return nil
	}
	err := c.Raw(func(dc any) error {
		a, err := newChunkAppender(dc.(driver.Conn), table, kinds)
		if err != nil {
			return err
		}
		for i := range rows {
			write(a, a.Row(), &rows[i])
			if err := a.Done(); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if errors.Is(err, errNoRawConnection) {
		return appendTo(ctx, c, table, len(rows), func(i int, v []driver.Value) { row(&rows[i], v) })
	}
	if err != nil {
		return fmt.Errorf("store: append %d rows to %s: %w", len(rows), table, err)
	}
	return ctx.Err()
}

// writeConn writes one connection row (the columns of connRow).
func writeConn(a *chunkAppender, r int, c *store.Conn) {
	a.Double(0, r, c.TS)
	a.TextOrNull(1, r, c.UID)
	a.Text(2, r, c.OrigH)
	a.U16(3, r, c.OrigP)
	a.Text(4, r, c.RespH)
	a.U16(5, r, c.RespP)
	a.U8(6, r, enumIndex(c.Proto, protos, unknownTransportIndex))
	a.TextOrNull(7, r, c.Service)
	a.Double(8, r, c.Duration)
	a.Bigint(9, r, c.OrigBytes)
	a.Bigint(10, r, c.RespBytes)
	if i := enumIndex(c.State, states, 255); i != 255 {
		a.U8(11, r, i)
	} else {
		a.Null(11, r)
	}
	a.TextOrNull(12, r, c.History)
	a.Bigint(13, r, c.OrigPkts)
	a.Bigint(14, r, c.OrigIPBytes)
	a.Bigint(15, r, c.RespPkts)
	a.Bigint(16, r, c.RespIPBytes)
	a.U8(17, r, c.IPv)
	a.Int(18, r, c.Run)
}

// unknownTransportIndex is protos' "unknown_transport".
var unknownTransportIndex = enumIndex("unknown_transport", protos, 0)

// enumIndex returns the index of s in vals, or other.
func enumIndex(s string, vals []string, other uint8) uint8 {
	for i, v := range vals {
		if v == s {
			return uint8(i)
		}
	}
	return other
}

// replaceKeys deletes the incidents, and the assets of the same run, that
// the batch brings again.
func (d *DB) replaceKeys(ctx context.Context, b *store.Batch) error {
	c := d.conns[0]
	if len(b.Incidents) > 0 {
		ids := make([]any, len(b.Incidents))
		for i := range b.Incidents {
			ids[i] = b.Incidents[i].ID
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM incidents WHERE id IN ("+placeholders(len(ids))+")", ids...); err != nil {
			return fmt.Errorf("store: replace incidents: %w", err)
		}
	}
	// A host has one row per run (asset_view merges them): a run that
	// reports a host again replaces its own row only.
	byRun := map[int32][]any{}
	for i := range b.Assets {
		a := &b.Assets[i]
		byRun[a.Run] = append(byRun[a.Run], a.Key)
	}
	for run, keys := range byRun {
		q := "DELETE FROM assets WHERE run = ? AND key IN (" + placeholders(len(keys)) + ")"
		if _, err := c.ExecContext(ctx, q, append([]any{run}, keys...)...); err != nil {
			return fmt.Errorf("store: replace assets: %w", err)
		}
	}
	return nil
}

// appendTo appends n rows made by row to table through one appender,
// committing every flushRows rows.
func appendTo(ctx context.Context, c *sql.Conn, table string, n int, row func(i int, v []driver.Value)) error {
	if n == 0 {
		return nil
	}
	err := c.Raw(func(dc any) error {
		a, err := duckdbgo.NewAppender(dc.(driver.Conn), "", "", table)
		if err != nil {
			return err
		}
		v := make([]driver.Value, columns[table])
		for i := range n {
			row(i, v)
			if err := a.AppendRow(v...); err != nil {
				a.Close()
				return err
			}
			if (i+1)%flushRows == 0 {
				if err := a.Flush(); err != nil {
					a.Close()
					return err
				}
			}
		}
		return a.Close()
	})
	if err != nil {
		return fmt.Errorf("store: append %d rows to %s: %w", n, table, err)
	}
	return ctx.Err()
}

// columns is each appended table's column count.
var columns = map[string]int{"conn": 19, "dns": 9, "http": 11, "ssl": 10, "alerts": 14, "incidents": 13,
	"assets": 20, "records": 5, "traffic_1m": 8, "traffic_1h": 8, "talkers_1h": 5, "edges_1h": 6,
	"alerts_1m": 5, "alerts_1h": 5, "situation": 6}

func placeholders(n int) string {
	b := make([]byte, 0, 2*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

// nullable returns nil for "" (SQL NULL, cheaper than an empty string).
func nullable(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// enumOr returns the value of vals that s is, boxed once for all rows
// (boxing a string per row costs an allocation), or other.
func enumOr(s string, vals []driver.Value, other driver.Value) driver.Value {
	for _, v := range vals {
		if v.(string) == s {
			return v
		}
	}
	return other
}

// boxed returns vals as driver values.
func boxed(vals []string) []driver.Value {
	out := make([]driver.Value, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

var protoValues, stateValues, unknownTransport = boxed(protos), boxed(states), driver.Value("unknown_transport")

func list(s []string) driver.Value {
	if s == nil {
		return []string{}
	}
	return s
}

func connRow(c *store.Conn, v []driver.Value) {
	proto := enumOr(c.Proto, protoValues, unknownTransport)
	v[0], v[1], v[2], v[3], v[4], v[5] = c.TS, nullable(c.UID), c.OrigH, c.OrigP, c.RespH, c.RespP
	v[6], v[7], v[8], v[9], v[10] = proto, nullable(c.Service), c.Duration, c.OrigBytes, c.RespBytes
	v[11], v[12], v[13], v[14] = enumOr(c.State, stateValues, nil), nullable(c.History), c.OrigPkts, c.OrigIPBytes
	v[15], v[16], v[17], v[18] = c.RespPkts, c.RespIPBytes, c.IPv, c.Run
}

func dnsRow(r *store.DNS, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4] = r.TS, r.UID, r.OrigH, r.RespH, r.Query
	v[5], v[6], v[7], v[8] = r.QType, r.RCode, r.Answers, r.Run
}

func httpRow(r *store.HTTP, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4], v[5] = r.TS, r.UID, r.OrigH, r.RespH, r.RespP, r.Method
	v[6], v[7], v[8], v[9], v[10] = r.Host, r.URI, r.Status, r.UserAgent, r.Run
}

func sslRow(r *store.SSL, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4], v[5] = r.TS, r.UID, r.OrigH, r.RespH, r.RespP, r.Version
	v[6], v[7], v[8], v[9] = r.ServerName, r.Established, r.JA3, r.Run
}

func alertRow(a *store.Alert, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4], v[5] = a.TS, a.TSEnd, list(a.UIDs), a.Src, a.Dst, a.Class
	v[6], v[7], v[8], v[9], v[10], v[11], v[12] = a.Severity, a.Confidence, a.Detector, a.Summary, list(a.MITRE), a.JSON, a.Run
	v[13] = list(a.Dsts)
}

func incidentRow(in *store.Incident, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4], v[5] = in.ID, in.First, in.Last, in.Attacker, list(in.Victims), list(in.Classes)
	v[6], v[7], v[8], v[9], v[10], v[11], v[12] = list(in.Stages), in.Severity, in.Score, in.Alerts, in.Narrative, in.JSON, in.Run
}

func assetRow(a *store.Asset, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4], v[5] = a.Key, list(a.Addrs), a.MAC, a.Vendor, list(a.Names), a.Class
	v[6], v[7], v[8], v[9], v[10] = a.OS, a.Device, list(a.Services), list(a.Findings), a.MaxSeverity
	v[11], v[12], v[13], v[14], v[15], v[16] = a.FirstSeen, a.LastSeen, a.BytesSent, a.BytesRecv, a.JSON, a.Run
	v[17], v[18], v[19] = a.ClassConf, a.OSConf, a.DeviceConf
}

func recordRow(r *store.Record, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4] = r.Log, r.TS, r.UID, r.JSON, r.Run
}

func trafficRow(t *store.Traffic, run int32, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = t.Bucket, t.Proto, t.Service, t.IPv, t.Conns, t.Bytes, t.Pkts, run
}

func talkerRow(t *store.Talker, run int32, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4] = t.Bucket, t.Host, t.Bytes, t.Conns, run
}

func edgeRow(e *store.Edge, run int32, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4], v[5] = e.Bucket, e.Src, e.Dst, e.Bytes, e.Conns, run
}

func alertCountRow(a *store.AlertCount, run int32, v []driver.Value) {
	v[0], v[1], v[2], v[3], v[4] = a.Bucket, a.Class, a.Severity, a.N, run
}
