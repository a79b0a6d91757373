package duckdb

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Alerts lists alerts, newest first.
func (d *DB) Alerts(ctx context.Context, f store.AlertFilter) (store.Page[store.Alert], error) {
	pg := f.Paging.Norm()
	var w where
	w.rangeOn("ts", f.Range)
	if f.Class != "" {
		w.add(`(class = ? OR class LIKE ? ESCAPE '\')`, f.Class, like(f.Class)+".%")
	}
	if f.MaxSeverity > 0 {
		w.add("severity <= ?", f.MaxSeverity)
	}
	if f.Host != "" {
		// A target among many (a spray's servers) is in dsts.
		w.add("(src = ? OR dst = ? OR list_contains(dsts, ?))", f.Host, f.Host, f.Host)
	}
	if len(f.UIDs) > 0 {
		w.add("list_has_any(uids, ["+placeholders(len(f.UIDs))+"])", toAny(f.UIDs)...)
	}
	out := store.Page[store.Alert]{Offset: pg.Offset, Limit: pg.Limit}
	var err error
	if out.Total, err = d.count(ctx, "SELECT count(*) FROM alerts"+w.sql(), w.args...); err != nil {
		return out, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+alertCols+" FROM alerts"+w.sql()+
		" ORDER BY ts DESC, class, rowid DESC LIMIT ? OFFSET ?", append(w.args, pg.Limit, pg.Offset)...)
	if err != nil {
		return out, fmt.Errorf("store: alerts: %w", err)
	}
	out.Items, err = scanAlerts(rows)
	return out, err
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// Incidents lists incidents, most recent activity first.
func (d *DB) Incidents(ctx context.Context, f store.IncidentFilter) (store.Page[store.Incident], error) {
	pg := f.Paging.Norm()
	var w where
	if f.From != 0 {
		w.add("i.last_seen >= ?", f.From)
	}
	if f.To != 0 {
		w.add("i.first_seen <= ?", f.To)
	}
	if f.Status != "" {
		w.add("coalesce(s.status, 'open') = ?", f.Status)
	}
	if f.MaxSeverity > 0 {
		w.add("i.severity <= ?", f.MaxSeverity)
	}
	if f.Host != "" {
		w.add("(i.attacker = ? OR list_contains(i.victims, ?))", f.Host, f.Host)
	}
	out := store.Page[store.Incident]{Offset: pg.Offset, Limit: pg.Limit}
	var err error
	if out.Total, err = d.count(ctx, "SELECT count(*)"+incidentFrom+w.sql(), w.args...); err != nil {
		return out, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+incidentCols+incidentFrom+w.sql()+
		" ORDER BY i.last_seen DESC, i.id LIMIT ? OFFSET ?", append(w.args, pg.Limit, pg.Offset)...)
	if err != nil {
		return out, fmt.Errorf("store: incidents: %w", err)
	}
	out.Items, err = scanIncidents(rows)
	return out, err
}

// ErrNotFound is returned for an unknown incident id.
var ErrNotFound = fmt.Errorf("store: not found")

// Incident returns one incident with its alerts (the attacker's within
// the incident's time) and evidence (connections and records of their
// uids).
func (d *DB) Incident(ctx context.Context, id string) (*store.IncidentDetail, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT "+incidentCols+incidentFrom+" WHERE i.id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("store: incident: %w", err)
	}
	list, err := scanIncidents(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	det := &store.IncidentDetail{Incident: list[0], Raw: decode(list[0].JSON)}
	if err := d.incidentAlerts(ctx, det); err != nil {
		return nil, err
	}
	uids := d.incidentUIDs(det)
	if err := d.evidence(ctx, det, uids); err != nil {
		return nil, err
	}
	return det, nil
}

func (d *DB) incidentAlerts(ctx context.Context, det *store.IncidentDetail) error {
	in := det.Incident
	// An attacker's alerts: not those about a server's exposure that its
	// connection revealed (they belong to the server's incident).
	who, args := "src = ? AND NOT contains(json, '\"exposed\":')", []any{in.Attacker}
	if isMAC(in.Attacker) {
		// A sender known by its MAC alone (it forged its addresses).
		mac, _ := json.Marshal(in.Attacker)
		who, args = "src = '' AND contains(json, ?)", []any{`"src_mac":` + string(mac)}
	} else if arg := in.Attacker; strings.HasPrefix(arg, "victim ") || arg == "" {
		// No attacker: alerts of unknown sources against the victim, and
		// alerts about the victim's exposure (their src is a client).
		arg = strings.TrimPrefix(arg, "victim ")
		if arg == "" && len(in.Victims) > 0 {
			arg = in.Victims[0]
		}
		exposed, _ := json.Marshal(arg)
		who, args = "(src = '' AND dst = ? OR contains(json, ?))", []any{arg, `"exposed":` + string(exposed)}
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+alertCols+" FROM alerts WHERE "+who+
		" AND ts >= ? AND ts <= ? ORDER BY ts LIMIT 500", append(args, in.First-1, in.Last+1)...)
	if err != nil {
		return fmt.Errorf("store: incident alerts: %w", err)
	}
	det.Alerts, err = scanAlerts(rows)
	return err
}

// isMAC reports whether an incident's attacker is a MAC address rather
// than an IP address.
func isMAC(s string) bool {
	if _, err := net.ParseMAC(s); err != nil {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err != nil
}

// incidentUIDs gathers the uids of an incident and of its alerts.
func (d *DB) incidentUIDs(det *store.IncidentDetail) []string {
	seen := map[string]bool{}
	var uids []string
	add := func(u string) {
		if u != "" && !seen[u] && len(uids) < 500 {
			seen[u] = true
			uids = append(uids, u)
		}
	}
	if l, ok := det.Raw["uids"].([]any); ok {
		for _, u := range l {
			s, _ := u.(string)
			add(s)
		}
	}
	for _, a := range det.Alerts {
		for _, u := range a.UIDs {
			add(u)
		}
	}
	return uids
}

func (d *DB) evidence(ctx context.Context, det *store.IncidentDetail, uids []string) error {
	det.Conns, det.Records, det.Sources = []store.Conn{}, []map[string]any{}, []string{}
	if len(uids) == 0 {
		return nil
	}
	in := " IN (" + placeholders(len(uids)) + ")"
	args := toAny(uids)
	rows, err := d.db.QueryContext(ctx, "SELECT "+connCols+" FROM conn WHERE uid"+in+" ORDER BY ts LIMIT 1000", args...)
	if err != nil {
		return fmt.Errorf("store: evidence: %w", err)
	}
	if det.Conns, err = scanConns(rows); err != nil {
		return err
	}
	for _, log := range []string{"dns", "http", "ssl", ""} {
		page, err := d.Records(ctx, store.RecordFilter{Log: log, UIDs: uids, Paging: store.Paging{Limit: 200}})
		if err != nil {
			return err
		}
		for _, r := range page.Items {
			m := decode(r.JSON)
			if m == nil {
				continue
			}
			m["_log"] = r.Log
			det.Records = append(det.Records, m)
		}
	}
	det.Sources, err = d.sources(ctx, det.Conns)
	return err
}

// sources returns the ingest sources of the connections' runs.
func (d *DB) sources(ctx context.Context, conns []store.Conn) ([]string, error) {
	runs := map[int32]bool{}
	var ids []any
	for _, c := range conns {
		if !runs[c.Run] {
			runs[c.Run] = true
			ids = append(ids, c.Run)
		}
	}
	out := []string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := d.db.QueryContext(ctx, "SELECT source FROM runs WHERE kind = 'capture' AND id IN ("+
		placeholders(len(ids))+") ORDER BY id", ids...)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SetIncidentStatus records an analyst's status for an incident.
func (d *DB) SetIncidentStatus(ctx context.Context, id, status, note string) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	n, err := d.count(ctx, "SELECT count(*) FROM incidents WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: incident status: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM incident_status WHERE id = ?", id); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: incident status: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO incident_status VALUES (?, ?, ?, ?)", id, status, note, now()); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: incident status: %w", err)
	}
	return tx.Commit()
}

// Assets lists hosts of the inventory (merged across runs: asset_view),
// those with the most severe findings first, then the most recently seen.
func (d *DB) Assets(ctx context.Context, f store.AssetFilter) (store.Page[store.Asset], error) {
	pg := f.Paging.Norm()
	var w where
	if f.Class != "" {
		w.add("class = ?", f.Class)
	}
	if f.Finding != "" {
		w.add(`len(list_filter(findings, x -> x = ? OR x LIKE ? ESCAPE '\')) > 0`, f.Finding, like(f.Finding)+".%")
	}
	if f.Query != "" {
		p := "%" + like(f.Query) + "%"
		w.add(`(key ILIKE ? ESCAPE '\' OR array_to_string(addrs, ' ') ILIKE ? ESCAPE '\' OR vendor ILIKE ? ESCAPE '\'
			OR array_to_string(names, ' ') ILIKE ? ESCAPE '\' OR class ILIKE ? ESCAPE '\'
			OR device ILIKE ? ESCAPE '\' OR os ILIKE ? ESCAPE '\')`, p, p, p, p, p, p, p)
	}
	if f.IoT {
		w.add("(class IN ("+placeholders(len(store.IoTClasses))+") OR len(list_filter(findings, x -> x LIKE 'iot.%')) > 0)",
			toAny(store.IoTClasses)...)
	}
	out := store.Page[store.Asset]{Offset: pg.Offset, Limit: pg.Limit}
	var err error
	if out.Total, err = d.count(ctx, "SELECT count(*) FROM asset_view"+w.sql(), w.args...); err != nil {
		return out, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+assetCols+" FROM asset_view"+w.sql()+
		" ORDER BY CASE WHEN max_severity > 0 THEN max_severity ELSE 9 END, last_seen DESC, key LIMIT ? OFFSET ?",
		append(w.args, pg.Limit, pg.Offset)...)
	if err != nil {
		return out, fmt.Errorf("store: assets: %w", err)
	}
	out.Items, err = scanAssets(rows)
	return out, err
}

// Flows searches connections and flows, newest first.
func (d *DB) Flows(ctx context.Context, f store.FlowFilter) (store.Page[store.Conn], error) {
	pg := f.Paging.Norm()
	var w where
	w.rangeOn("ts", f.Range)
	if f.Host != "" {
		w.add("(orig_h = ? OR resp_h = ?)", f.Host, f.Host)
	}
	if f.Port != 0 {
		w.add("(resp_p = ? OR orig_p = ?)", f.Port, f.Port)
	}
	if f.Proto != "" {
		w.add("proto::VARCHAR = ?", f.Proto)
	}
	if f.UID != "" {
		w.add("uid = ?", f.UID)
	}
	out := store.Page[store.Conn]{Offset: pg.Offset, Limit: pg.Limit}
	var err error
	if out.Total, err = d.count(ctx, "SELECT count(*) FROM conn"+w.sql(), w.args...); err != nil {
		return out, err
	}
	// rowid breaks ties of ts (flows exported together share it), so
	// that pages neither repeat nor skip rows.
	rows, err := d.db.QueryContext(ctx, "SELECT "+connCols+" FROM conn"+w.sql()+
		" ORDER BY ts DESC, rowid DESC LIMIT ? OFFSET ?", append(w.args, pg.Limit, pg.Offset)...)
	if err != nil {
		return out, fmt.Errorf("store: flows: %w", err)
	}
	out.Items, err = scanConns(rows)
	return out, err
}
