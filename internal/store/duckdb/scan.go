package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/store"
)

// strs converts a scanned LIST(VARCHAR) into []string.
func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// where builds a WHERE clause from conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) rangeOn(col string, r store.Range) {
	if r.From != 0 {
		w.add(col+" >= ?", r.From)
	}
	if r.To != 0 {
		w.add(col+" <= ?", r.To)
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// like escapes s for a LIKE/ILIKE pattern.
func like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
	return r.Replace(s)
}

const connCols = `ts, coalesce(uid, ''), orig_h, orig_p, resp_h, resp_p, coalesce(proto::VARCHAR, ''),
	coalesce(service, ''), duration, orig_bytes, resp_bytes, coalesce(conn_state::VARCHAR, ''),
	coalesce(history, ''), orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes, ipv, run`

func scanConns(rows *sql.Rows) ([]store.Conn, error) {
	defer rows.Close()
	out := []store.Conn{}
	for rows.Next() {
		var c store.Conn
		err := rows.Scan(&c.TS, &c.UID, &c.OrigH, &c.OrigP, &c.RespH, &c.RespP, &c.Proto, &c.Service, &c.Duration,
			&c.OrigBytes, &c.RespBytes, &c.State, &c.History, &c.OrigPkts, &c.OrigIPBytes, &c.RespPkts,
			&c.RespIPBytes, &c.IPv, &c.Run)
		if err != nil {
			return nil, fmt.Errorf("store: scan conn: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const alertCols = `ts, ts_end, uids, src, dst, class, severity, confidence, detector, summary, mitre, json, run, dsts`

func scanAlerts(rows *sql.Rows) ([]store.Alert, error) {
	defer rows.Close()
	out := []store.Alert{}
	for rows.Next() {
		var a store.Alert
		var uids, mitre, dsts any
		err := rows.Scan(&a.TS, &a.TSEnd, &uids, &a.Src, &a.Dst, &a.Class, &a.Severity, &a.Confidence,
			&a.Detector, &a.Summary, &mitre, &a.JSON, &a.Run, &dsts)
		if err != nil {
			return nil, fmt.Errorf("store: scan alert: %w", err)
		}
		a.UIDs, a.MITRE, a.Dsts = strs(uids), strs(mitre), strs(dsts)
		out = append(out, a)
	}
	return out, rows.Err()
}

const incidentCols = `i.id, i.first_seen, i.last_seen, i.attacker, i.victims, i.classes, i.stages, i.severity,
	i.score, i.alerts, i.narrative, coalesce(s.status, 'open'), coalesce(s.note, ''), i.json, i.run`

const incidentFrom = ` FROM incidents i LEFT JOIN incident_status s ON s.id = i.id`

func scanIncidents(rows *sql.Rows) ([]store.Incident, error) {
	defer rows.Close()
	out := []store.Incident{}
	for rows.Next() {
		var in store.Incident
		var victims, classes, stages any
		err := rows.Scan(&in.ID, &in.First, &in.Last, &in.Attacker, &victims, &classes, &stages, &in.Severity,
			&in.Score, &in.Alerts, &in.Narrative, &in.Status, &in.Note, &in.JSON, &in.Run)
		if err != nil {
			return nil, fmt.Errorf("store: scan incident: %w", err)
		}
		in.Victims, in.Classes, in.Stages = strs(victims), strs(classes), strs(stages)
		out = append(out, in)
	}
	return out, rows.Err()
}

// assetCols are the columns of asset_view (the merged hosts) that
// scanAssets reads.
const assetCols = `key, addrs, mac, vendor, names, class, os, device, services, findings, max_severity,
	first_seen, last_seen, bytes_sent, bytes_recv, json, run, runs, class_conf, os_conf, device_conf`

func scanAssets(rows *sql.Rows) ([]store.Asset, error) {
	defer rows.Close()
	out := []store.Asset{}
	for rows.Next() {
		var a store.Asset
		var addrs, names, services, findings any
		err := rows.Scan(&a.Key, &addrs, &a.MAC, &a.Vendor, &names, &a.Class, &a.OS, &a.Device, &services,
			&findings, &a.MaxSeverity, &a.FirstSeen, &a.LastSeen, &a.BytesSent, &a.BytesRecv, &a.JSON, &a.Run,
			&a.Runs, &a.ClassConf, &a.OSConf, &a.DeviceConf)
		if err != nil {
			return nil, fmt.Errorf("store: scan asset: %w", err)
		}
		a.Addrs, a.Names, a.Findings = distinct(strs(addrs)), distinct(strs(names)), distinct(strs(findings))
		a.Services = mergeServices(strs(services))
		out = append(out, a)
	}
	return out, rows.Err()
}

// distinct drops repeats and empty strings, keeping the first of each.
func distinct(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// mergeServices unites services ("tcp/22 ssh", "tcp/8080") reported by
// several runs: one entry per proto/port, named when some run named it,
// sorted by port.
func mergeServices(list []string) []string {
	named := map[string]string{}
	var order []string
	for _, s := range list {
		pp, name, _ := strings.Cut(s, " ")
		if pp == "" {
			continue
		}
		old, seen := named[pp]
		if !seen {
			order = append(order, pp)
		}
		if !seen || old == "" {
			named[pp] = name
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		pi, ti := servicePort(order[i])
		pj, tj := servicePort(order[j])
		return pi < pj || pi == pj && ti < tj
	})
	out := make([]string, 0, len(order))
	for _, pp := range order {
		s := pp
		if n := named[pp]; n != "" {
			s += " " + n
		}
		out = append(out, s)
	}
	return out
}

// servicePort splits "tcp/22" into the port and the transport.
func servicePort(pp string) (int, string) {
	proto, port, _ := strings.Cut(pp, "/")
	n, _ := strconv.Atoi(port)
	return n, proto
}

// decode parses a stored JSON record (nil when it does not parse).
func decode(s string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

// count runs a count query.
func (d *DB) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}
