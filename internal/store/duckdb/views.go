package duckdb

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Host gathers what is known about one address.
func (d *DB) Host(ctx context.Context, addr string, r store.Range) (*store.HostDetail, error) {
	h := &store.HostDetail{Addr: addr, Raw: []any{}, Names: []string{}}
	rows, err := d.db.QueryContext(ctx, "SELECT "+assetCols+" FROM asset_view WHERE key = ? OR list_contains(addrs, ?)", addr, addr)
	if err != nil {
		return nil, fmt.Errorf("store: host: %w", err)
	}
	if h.Assets, err = scanAssets(rows); err != nil {
		return nil, err
	}
	for _, a := range h.Assets {
		h.Raw = append(h.Raw, decode(a.JSON))
		h.Names = append(h.Names, a.Names...)
	}
	steps := []func() error{
		func() error { return d.hostTraffic(ctx, h, r) },
		func() error { return d.hostServices(ctx, h, r) },
		func() error {
			p, err := d.Alerts(ctx, store.AlertFilter{Host: addr, Range: r, Paging: store.Paging{Limit: 100}})
			h.Alerts = p.Items
			return err
		},
		func() error {
			p, err := d.Flows(ctx, store.FlowFilter{Host: addr, Range: r, Paging: store.Paging{Limit: 50}})
			h.Flows = p.Items
			return err
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, fmt.Errorf("store: host %s: %w", addr, err)
		}
	}
	return h, nil
}

func (d *DB) hostTraffic(ctx context.Context, h *store.HostDetail, r store.Range) error {
	var w where
	bucketRange(&w, r, store.Hour)
	w.add("(src = ? OR dst = ?)", h.Addr, h.Addr)
	q := `SELECT CASE WHEN src = ? THEN dst ELSE src END peer, least(sum(bytes), 9223372036854775807)::BIGINT b, sum(conns) FROM edges_1h` + w.sql() +
		` GROUP BY peer ORDER BY b DESC, peer`
	rows, err := d.db.QueryContext(ctx, q, append([]any{h.Addr}, w.args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	h.Peers = []store.TalkerView{}
	for rows.Next() {
		var t store.TalkerView
		if err := rows.Scan(&t.Host, &t.Bytes, &t.Conns); err != nil {
			return err
		}
		h.Bytes = store.Sum(h.Bytes, t.Bytes)
		h.Conns += t.Conns
		if len(h.Peers) < 25 {
			h.Peers = append(h.Peers, t)
		}
	}
	return rows.Err()
}

func (d *DB) hostServices(ctx context.Context, h *store.HostDetail, r store.Range) error {
	var w where
	w.rangeOn("ts", r)
	w.add("resp_h = ?", h.Addr)
	var err error
	h.Services, err = d.named(ctx, `SELECT proto::VARCHAR || '/' || resp_p || coalesce(' ' || service, '') s, count(*) c,
		`+capped("sum(orig_ip_bytes::HUGEINT + resp_ip_bytes)")+` FROM conn`+w.sql()+` GROUP BY s ORDER BY c DESC, s LIMIT 20`, w.args, false)
	return err
}

// Graph returns the host pairs with the most traffic and every pair with
// an alert between them.
func (d *DB) Graph(ctx context.Context, r store.Range, limit int) (*store.Graph, error) {
	if limit <= 0 {
		limit = 80
	}
	var w where
	bucketRange(&w, r, store.Hour)
	rows, err := d.db.QueryContext(ctx, `SELECT src, dst, least(sum(bytes), 9223372036854775807)::BIGINT b, sum(conns) FROM edges_1h`+w.sql()+
		` GROUP BY src, dst ORDER BY b DESC, src, dst LIMIT ?`, append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: graph: %w", err)
	}
	edges := map[[2]string]*store.GraphEdge{}
	var order [][2]string
	for rows.Next() {
		var e store.GraphEdge
		if err := rows.Scan(&e.Src, &e.Dst, &e.Bytes, &e.Conns); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: graph: %w", err)
		}
		k := [2]string{e.Src, e.Dst}
		edges[k], order = &e, append(order, k)
	}
	rows.Close()
	if err := d.attackEdges(ctx, r, edges, &order); err != nil {
		return nil, err
	}
	g := &store.Graph{Edges: []store.GraphEdge{}, Nodes: []store.GraphNode{}}
	for _, k := range order {
		g.Edges = append(g.Edges, *edges[k])
	}
	return g, d.graphNodes(ctx, g)
}

func (d *DB) attackEdges(ctx context.Context, r store.Range, edges map[[2]string]*store.GraphEdge, order *[][2]string) error {
	var w where
	w.rangeOn("ts", r)
	w.add("src <> ''")
	// An alert about many targets (a spray, a horizontal scan: no dst)
	// is an edge to each of its dsts.
	rows, err := d.db.QueryContext(ctx, `SELECT src, t, list(DISTINCT class) FROM (SELECT src, class,
		unnest(CASE WHEN dst <> '' THEN [dst] ELSE coalesce(dsts, []::VARCHAR[]) END) t FROM alerts`+w.sql()+
		`) WHERE t <> '' GROUP BY src, t ORDER BY count(*) DESC, src, t LIMIT 100`, w.args...)
	if err != nil {
		return fmt.Errorf("store: graph alerts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src, dst string
		var classes any
		if err := rows.Scan(&src, &dst, &classes); err != nil {
			return fmt.Errorf("store: graph alerts: %w", err)
		}
		k := [2]string{src, dst}
		e := edges[k]
		if e == nil {
			e = &store.GraphEdge{Src: src, Dst: dst}
			edges[k] = e
			*order = append(*order, k)
		}
		e.Attack, e.Classes = true, strs(classes)
	}
	return rows.Err()
}

func (d *DB) graphNodes(ctx context.Context, g *store.Graph) error {
	nodes := map[string]*store.GraphNode{}
	var ids []string
	for _, e := range g.Edges {
		for _, h := range []string{e.Src, e.Dst} {
			if nodes[h] == nil {
				nodes[h] = &store.GraphNode{ID: h}
				ids = append(ids, h)
			}
			nodes[h].Bytes = store.Sum(nodes[h].Bytes, e.Bytes)
		}
	}
	if len(ids) > 0 {
		rows, err := d.db.QueryContext(ctx, `SELECT a, first(class) FROM (SELECT unnest(addrs) a, class FROM asset_view
			WHERE class <> '') WHERE a IN (`+placeholders(len(ids))+`) GROUP BY a`, toAny(ids)...)
		if err != nil {
			return fmt.Errorf("store: graph nodes: %w", err)
		}
		for rows.Next() {
			var a, c string
			if err := rows.Scan(&a, &c); err == nil {
				nodes[a].Class = c
			}
		}
		rows.Close()
	}
	for _, e := range g.Edges {
		if e.Attack {
			nodes[e.Src].Alerts++
			nodes[e.Dst].Alerts++
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		g.Nodes = append(g.Nodes, *nodes[id])
	}
	return nil
}

// Timeline merges alerts, incidents and runs, newest first.
func (d *DB) Timeline(ctx context.Context, r store.Range, limit int) ([]store.TimelineItem, error) {
	if limit <= 0 {
		limit = 200
	}
	var w where
	w.rangeOn("ts", r)
	q := `SELECT * FROM (
		SELECT ts, coalesce(ts_end, 0) e, 'alert' k, class || ': ' || summary t, severity, class AS rf, src, dst FROM alerts
		UNION ALL SELECT first_seen, last_seen, 'incident',
			'incident ' || id || ': ' || CASE WHEN attacker = '' THEN 'against ' WHEN len(victims) > 0 THEN attacker || ' → '
				ELSE attacker END || array_to_string(victims[1:3], ', ') || CASE WHEN len(victims) > 3 THEN ' …' ELSE '' END,
			severity, id, attacker, coalesce(victims[1], '')
			FROM incidents
		UNION ALL SELECT started, coalesce(ended, 0), 'run', kind || ' ' || source || ' (' || status || ')', 0, id::VARCHAR, '', ''
			FROM runs)` + w.sql() + ` ORDER BY ts DESC LIMIT ?`
	rows, err := d.db.QueryContext(ctx, q, append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: timeline: %w", err)
	}
	defer rows.Close()
	out := []store.TimelineItem{}
	for rows.Next() {
		var t store.TimelineItem
		if err := rows.Scan(&t.TS, &t.End, &t.Kind, &t.Title, &t.Severity, &t.Ref, &t.Src, &t.Dst); err != nil {
			return nil, fmt.Errorf("store: timeline: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// IPv6 gathers the IPv6 monitor's posture (ipv6 log), neighbour-discovery
// router events and IPv6 alerts.
func (d *DB) IPv6(ctx context.Context) (*store.IPv6View, error) {
	v := &store.IPv6View{Summary: map[string]any{}, Routers: []map[string]any{}, Hosts: []map[string]any{},
		Tunnels: []map[string]any{}, Events: []map[string]any{}}
	page, err := d.Records(ctx, store.RecordFilter{Log: "ipv6", Paging: store.Paging{Limit: 1000}})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range page.Items {
		m := decode(r.JSON)
		if m == nil {
			continue
		}
		kind, _ := m["kind"].(string)
		key := kind + "|" + fmt.Sprint(m["mac"], m["link_local"], m["outer"], m["kind"])
		if kind != "summary" && seen[key] {
			continue
		}
		seen[key] = true
		switch {
		case kind == "summary" && len(v.Summary) == 0:
			v.Summary = m
		case kind == "router":
			v.Routers = append(v.Routers, m)
		case kind == "host" && len(v.Hosts) < 200:
			v.Hosts = append(v.Hosts, m)
		case kind == "tunnel":
			v.Tunnels = append(v.Tunnels, m)
		}
	}
	nd, err := d.Records(ctx, store.RecordFilter{Log: "_nd", Paging: store.Paging{Limit: 200}})
	if err != nil {
		return nil, err
	}
	for _, r := range nd.Items {
		if m := decode(r.JSON); m != nil && (m["type"] == "ra" || m["type"] == "redirect" || len(v.Events) < 100) {
			v.Events = append(v.Events, m)
		}
	}
	al, err := d.Alerts(ctx, store.AlertFilter{Class: "ipv6", Paging: store.Paging{Limit: 100}})
	if err != nil {
		return nil, err
	}
	v.Alerts = al.Items
	var all, six int64
	if err := d.db.QueryRowContext(ctx, `SELECT least(coalesce(sum(bytes), 0), 9223372036854775807)::BIGINT, least(coalesce(sum(bytes) FILTER (WHERE ipv = 6), 0), 9223372036854775807)::BIGINT
		FROM traffic_1h`).Scan(&all, &six); err != nil {
		return nil, fmt.Errorf("store: ipv6 share: %w", err)
	}
	if all > 0 {
		v.Share = float64(six) / float64(all)
	}
	return v, nil
}

// Search finds hosts, assets, alerts, incidents, connections and DNS
// names matching q.
func (d *DB) Search(ctx context.Context, q string, limit int) (*store.SearchResult, error) {
	q = strings.TrimSpace(q)
	if limit <= 0 {
		limit = 20
	}
	res := &store.SearchResult{Query: q, Hosts: []string{}, Assets: []store.Asset{}, Alerts: []store.Alert{},
		Incidents: []store.Incident{}, Conns: []store.Conn{}, Names: []store.DNS{}}
	if q == "" {
		return res, nil
	}
	if a, err := netip.ParseAddr(q); err == nil {
		res.Hosts = append(res.Hosts, a.String())
		q = a.String()
	}
	p := "%" + like(q) + "%"
	steps := []func() error{
		func() (err error) {
			page, err := d.Assets(ctx, store.AssetFilter{Query: q, Paging: store.Paging{Limit: limit}})
			res.Assets = page.Items
			return err
		},
		func() (err error) {
			rows, err := d.db.QueryContext(ctx, "SELECT "+alertCols+` FROM alerts WHERE src = ? OR dst = ? OR
				class ILIKE ? ESCAPE '\' OR summary ILIKE ? ESCAPE '\' OR list_contains(uids, ?) ORDER BY ts DESC LIMIT ?`,
				q, q, p, p, q, limit)
			if err == nil {
				res.Alerts, err = scanAlerts(rows)
			}
			return err
		},
		func() (err error) {
			rows, err := d.db.QueryContext(ctx, "SELECT "+incidentCols+incidentFrom+` WHERE i.id = ? OR i.attacker = ?
				OR list_contains(i.victims, ?) OR i.narrative ILIKE ? ESCAPE '\' ORDER BY i.last_seen DESC LIMIT ?`,
				q, q, q, p, limit)
			if err == nil {
				res.Incidents, err = scanIncidents(rows)
			}
			return err
		},
		func() (err error) {
			rows, err := d.db.QueryContext(ctx, "SELECT "+connCols+` FROM conn WHERE uid = ? OR orig_h = ? OR resp_h = ?
				ORDER BY ts DESC LIMIT ?`, q, q, q, limit)
			if err == nil {
				res.Conns, err = scanConns(rows)
			}
			return err
		},
		func() error { return d.searchNames(ctx, res, p, limit) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, fmt.Errorf("store: search: %w", err)
		}
	}
	return res, nil
}

func (d *DB) searchNames(ctx context.Context, res *store.SearchResult, p string, limit int) error {
	rows, err := d.db.QueryContext(ctx, `SELECT max(ts), '', first(orig_h), first(resp_h), query, first(qtype),
		first(rcode), first(answers) FROM dns WHERE query ILIKE ? ESCAPE '\' OR answers ILIKE ? ESCAPE '\'
		GROUP BY query ORDER BY max(ts) DESC LIMIT ?`, p, p, limit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r store.DNS
		if err := rows.Scan(&r.TS, &r.UID, &r.OrigH, &r.RespH, &r.Query, &r.QType, &r.RCode, &r.Answers); err != nil {
			return err
		}
		res.Names = append(res.Names, r)
	}
	return rows.Err()
}

// SaveSituation replaces the situation points at the same times.
func (d *DB) SaveSituation(ctx context.Context, pts []store.SituationPoint) error {
	if len(pts) == 0 {
		return nil
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	lo, hi := pts[0].TS, pts[0].TS
	for _, p := range pts {
		lo, hi = min(lo, p.TS), max(hi, p.TS)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: situation: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM situation WHERE ts BETWEEN ? AND ?", lo, hi); err != nil {
		return fmt.Errorf("store: situation: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO situation VALUES (?, ?, ?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("store: situation: %w", err)
	}
	defer stmt.Close()
	for _, p := range pts {
		comp, _ := json.Marshal(p.Components)
		if _, err := stmt.ExecContext(ctx, p.TS, p.Index, string(comp), p.Alerts, p.Conns, p.Bytes); err != nil {
			return fmt.Errorf("store: situation: %w", err)
		}
	}
	return tx.Commit()
}

// Situation returns the stored situation series in time order.
func (d *DB) Situation(ctx context.Context, r store.Range) ([]store.SituationPoint, error) {
	var w where
	w.rangeOn("ts", r)
	rows, err := d.db.QueryContext(ctx, "SELECT ts, idx, components, alerts, conns, bytes FROM situation"+w.sql()+
		" ORDER BY ts", w.args...)
	if err != nil {
		return nil, fmt.Errorf("store: situation: %w", err)
	}
	defer rows.Close()
	out := []store.SituationPoint{}
	for rows.Next() {
		var p store.SituationPoint
		var comp string
		if err := rows.Scan(&p.TS, &p.Index, &comp, &p.Alerts, &p.Conns, &p.Bytes); err != nil {
			return nil, fmt.Errorf("store: situation: %w", err)
		}
		json.Unmarshal([]byte(comp), &p.Components)
		out = append(out, p)
	}
	return out, rows.Err()
}
