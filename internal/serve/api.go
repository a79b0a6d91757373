package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/duckdb"
)

// Handler returns the HTTP handler: the API under /api/v1 (token
// required) and the dashboard at /.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	read := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.auth(roleRead, h)) }
	admin := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.auth(roleAdmin, h)) }
	read("GET /api/v1/whoami", s.whoami)
	read("GET /api/v1/situation", s.situation)
	read("GET /api/v1/overview", s.overview)
	read("GET /api/v1/incidents", s.incidents)
	read("GET /api/v1/incidents/{id}", s.incident)
	read("GET /api/v1/incidents/{id}/pcap", s.incidentPcap)
	admin("PATCH /api/v1/incidents/{id}", s.setIncident)
	read("GET /api/v1/alerts", s.alerts)
	read("GET /api/v1/assets", s.assets)
	read("GET /api/v1/iot", s.iot)
	read("GET /api/v1/hosts/{addr}", s.host)
	read("GET /api/v1/flows", s.flowSearch)
	read("GET /api/v1/records", s.records)
	read("GET /api/v1/timeline", s.timeline)
	read("GET /api/v1/graph", s.graph)
	read("GET /api/v1/ipv6", s.ipv6)
	read("GET /api/v1/search", s.search)
	read("GET /api/v1/sensor", s.sensor)
	read("GET /api/v1/events", s.hub.serveEvents)
	admin("POST /api/v1/ingest", s.upload)
	admin("POST /api/v1/retention", s.retain)
	admin("GET /api/v1/config", s.config)
	mux.Handle("/api/", s.auth(roleRead, func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	}))
	mux.Handle("/", webHandler())
	return mux
}

// auth requires a token of at least role need.
func (s *Server) auth(need string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := s.tokens.role(r)
		if role == roleNone {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
			refuse(w, r, http.StatusUnauthorized, "a token is required (Authorization: Bearer TOKEN)")
			return
		}
		if need == roleAdmin && role != roleAdmin {
			refuse(w, r, http.StatusForbidden, "this endpoint needs the admin token")
			return
		}
		if !validText(r) {
			writeErr(w, http.StatusBadRequest, "the path and parameters must be valid UTF-8")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), roleKey{}, role)))
	})
}

// validText reports whether the request's path and query parameters are
// valid UTF-8: the store takes them as SQL parameters, and DuckDB refuses
// to bind other text (found by FuzzAPI).
func validText(r *http.Request) bool {
	if !utf8.ValidString(r.URL.Path) {
		return false
	}
	for k, vs := range r.URL.Query() {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

type roleKey struct{}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// reply writes v, or the error (404 for unknown ids, 400 for bad input).
func reply(w http.ResponseWriter, v any, err error) {
	var bad badRequest
	switch {
	case errors.Is(err, duckdb.ErrNotFound):
		writeErr(w, http.StatusNotFound, "not found")
	case errors.As(err, &bad):
		writeErr(w, http.StatusBadRequest, bad.Error())
	case err != nil:
		writeErr(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, v)
	}
}

type badRequest struct{ error }

// query reads a request's common parameters.
type query struct {
	r   *http.Request
	s   *Server
	err error
}

func (s *Server) q(r *http.Request) *query { return &query{r: r, s: s} }

func (q *query) str(k string) string { return strings.TrimSpace(q.r.URL.Query().Get(k)) }

func (q *query) int(k string, def int) int {
	v := q.str(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil && q.err == nil {
		q.err = badRequest{fmt.Errorf("%s: not a number: %q", k, v)}
	}
	return n
}

// refuse answers a request that may not go on and closes its connection.
// One with a body is answered on the connection taken over from net/http,
// which would first read what it can of a body that may never come (a
// client without a token holding the connection until ReadTimeout).
func refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	w.Header().Set("Connection", "close")
	if r.ContentLength == 0 {
		writeErr(w, code, msg)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeErr(w, code, msg)
		return
	}
	defer conn.Close()
	body, _ := json.Marshal(map[string]string{"error": msg})
	proto := "HTTP/1.1"
	if r.ProtoMajor == 1 && r.ProtoMinor == 0 {
		proto = "HTTP/1.0"
	}
	fmt.Fprintf(buf, "%s %d %s\r\n", proto, code, http.StatusText(code))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Write(buf)
	fmt.Fprintf(buf, "\r\n%s\n", body)
	buf.Flush()
	lingerClose(conn)
}

// lingerClose ends a taken-over connection whose request body may still
// be coming: it says it sends no more, then reads and drops what comes
// (2 s and 8 MiB at most) before closing, as net/http does, so that a
// client sending its whole body before reading reads the answer instead
// of a reset.
func lingerClose(conn net.Conn) {
	if tc, ok := conn.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	io.Copy(io.Discard, io.LimitReader(conn, 8<<20))
}

// limit is the int parameter k (def when absent), within 1..most.
func (q *query) limit(k string, def, most int) int {
	return min(max(q.int(k, def), 1), most)
}

func (q *query) paging() store.Paging {
	return store.Paging{Offset: q.int("offset", 0), Limit: q.int("limit", 50)}.Norm()
}

// rng reads from/to (epoch seconds or RFC 3339) or window (a duration back
// from the newest record: "1h", "24h"; defWindow when nothing is given, 0
// for all time).
func (q *query) rng(defWindow time.Duration) store.Range {
	var r store.Range
	r.From, r.To = q.time("from"), q.time("to")
	if r.From != 0 && r.To != 0 && r.From > r.To && q.err == nil {
		q.err = badRequest{fmt.Errorf("from (%v) is after to (%v)", r.From, r.To)}
	}
	win := defWindow
	if v := q.str("window"); v != "" {
		d, err := parseWindow(v)
		if err != nil && q.err == nil {
			q.err = badRequest{err}
		}
		win = d
	}
	if r.From == 0 && r.To == 0 && win > 0 {
		_, last, err := q.s.st.Bounds(q.r.Context())
		if err == nil && last > 0 {
			r.From, r.To = last-win.Seconds(), last
		}
	}
	return r
}

func parseWindow(v string) (time.Duration, error) {
	if v == "all" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		return time.Duration(days) * 24 * time.Hour, err
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("window: %q is not a duration (30m, 6h, 7d, all)", v)
	}
	return d, nil
}

// msEpoch: a time from this number on (year 5138 in seconds, 1973 in
// milliseconds) is in epoch milliseconds.
const msEpoch = 1e11

// time reads the time parameter k: epoch seconds, epoch milliseconds
// (from msEpoch on) or RFC 3339; 0 when absent.
func (q *query) time(k string) float64 {
	v := q.str(k)
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f >= msEpoch {
			return f / 1000 // epoch milliseconds
		}
		return f
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		// An offset typed unencoded: its '+' arrives as a space.
		t, err = time.Parse(time.RFC3339, strings.Replace(v, " ", "+", 1))
	}
	if err != nil {
		if q.err == nil {
			q.err = badRequest{fmt.Errorf("%s: %q is neither epoch seconds nor RFC 3339", k, v)}
		}
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"role": r.Context().Value(roleKey{}).(string)})
}

func (s *Server) situation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	snap := s.snap
	s.mu.Unlock()
	if snap == nil || r.URL.Query().Get("fresh") != "" {
		var err error
		if snap, err = s.ComputeSituation(r.Context()); err != nil {
			reply(w, nil, err)
			return
		}
	}
	writeJSON(w, snap)
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	rg := q.rng(24 * time.Hour)
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	o, err := s.st.Overview(r.Context(), rg)
	reply(w, o, err)
}

func (s *Server) incidents(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	f := store.IncidentFilter{Range: q.rng(0), Paging: q.paging(), Status: q.str("status"),
		MaxSeverity: int32(q.int("severity", 0)), Host: q.str("host")}
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	p, err := s.st.Incidents(r.Context(), f)
	reply(w, p, err)
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) {
	d, err := s.st.Incident(r.Context(), r.PathValue("id"))
	reply(w, d, err)
}

func (s *Server) setIncident(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	switch body.Status {
	case "open", "acknowledged", "closed":
	default:
		writeErr(w, http.StatusBadRequest, "status must be open, acknowledged or closed")
		return
	}
	err := s.st.SetIncidentStatus(r.Context(), r.PathValue("id"), body.Status, body.Note)
	if err == nil {
		s.hub.publish("incident_status", map[string]string{"id": r.PathValue("id"), "status": body.Status})
		s.kickSituation()
	}
	reply(w, map[string]string{"id": r.PathValue("id"), "status": body.Status}, err)
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	f := store.AlertFilter{Range: q.rng(0), Paging: q.paging(), Class: q.str("class"),
		MaxSeverity: int32(q.int("severity", 0)), Host: q.str("host")}
	if uid := q.str("uid"); uid != "" {
		f.UIDs = []string{uid}
	}
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	p, err := s.st.Alerts(r.Context(), f)
	reply(w, p, err)
}

func (s *Server) assets(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	f := store.AssetFilter{Paging: q.paging(), Class: q.str("class"), Finding: q.str("finding"), Query: q.str("q"),
		IoT: q.str("iot") == "1" || q.str("iot") == "true"}
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	p, err := s.st.Assets(r.Context(), f)
	reply(w, p, err)
}

func (s *Server) iot(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	p, err := s.st.Assets(r.Context(), store.AssetFilter{Paging: q.paging(), IoT: true, Class: q.str("class")})
	if err != nil {
		reply(w, nil, err)
		return
	}
	classes := map[string]int{}
	findings := map[string]int{}
	for _, a := range p.Items {
		classes[a.Class]++
		for _, f := range a.Findings {
			findings[f]++
		}
	}
	al, err := s.st.Alerts(r.Context(), store.AlertFilter{Class: "iot", Paging: store.Paging{Limit: 100}})
	reply(w, map[string]any{"devices": p, "classes": classes, "findings": findings, "alerts": al.Items}, err)
}

func (s *Server) host(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	rg := q.rng(0)
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	h, err := s.st.Host(r.Context(), r.PathValue("addr"), rg)
	reply(w, h, err)
}

func (s *Server) flowSearch(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	f := store.FlowFilter{Range: q.rng(0), Paging: q.paging(), Host: q.str("host"), Port: uint16(q.int("port", 0)),
		Proto: q.str("proto"), UID: q.str("uid")}
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	p, err := s.st.Flows(r.Context(), f)
	reply(w, p, err)
}

func (s *Server) records(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	f := store.RecordFilter{Range: q.rng(0), Paging: q.paging(), Log: q.str("log"), Host: q.str("host")}
	if uid := q.str("uid"); uid != "" {
		f.UIDs = []string{uid}
	}
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	p, err := s.st.Records(r.Context(), f)
	if err != nil {
		reply(w, nil, err)
		return
	}
	items := make([]json.RawMessage, len(p.Items))
	for i, it := range p.Items {
		items[i] = json.RawMessage(it.JSON)
	}
	writeJSON(w, map[string]any{"items": items, "total": p.Total, "offset": p.Offset, "limit": p.Limit})
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	rg, limit := q.rng(0), q.limit("limit", 200, 1000)
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	t, err := s.st.Timeline(r.Context(), rg, limit)
	reply(w, t, err)
}

func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	rg, limit := q.rng(24*time.Hour), q.limit("limit", 80, 500)
	if q.err != nil {
		reply(w, nil, q.err)
		return
	}
	g, err := s.st.Graph(r.Context(), rg, limit)
	reply(w, g, err)
}

func (s *Server) ipv6(w http.ResponseWriter, r *http.Request) {
	v, err := s.st.IPv6(r.Context())
	reply(w, v, err)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := s.q(r)
	res, err := s.st.Search(r.Context(), q.str("q"), q.limit("limit", 20, 200))
	reply(w, res, err)
}

func (s *Server) sensor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.mu.Lock()
	st := s.stats
	nf := s.nf
	s.mu.Unlock()
	st.Live = s.liveStats()
	if _, last, err := s.st.Bounds(ctx); err == nil && last > 0 {
		st.DataLagS = float64(time.Now().Unix()) - last
	}
	runs, err := s.st.ListRuns(ctx, q(r).limit("runs", 50, 1000))
	if err != nil {
		reply(w, nil, err)
		return
	}
	counts, err := s.st.Counts(ctx)
	out := map[string]any{"sensor": st, "runs": runs, "rows": counts, "inbox": s.cfg.inbox(),
		"sse_clients": s.hub.count(), "sse_dropped": s.hub.dropped.Load(), "api_sink": s.sink.Stats()}
	if nf != nil {
		out["netflow"] = nf.Stats()
	}
	reply(w, out, err)
}

// q makes a query reader without a server (no ranges).
func q(r *http.Request) *query { return &query{r: r} }

// upload stores the request body in the inbox as ?name= (admin).
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.URL.Query().Get("name"))
	if name == "" || name == "." || name == "/" || strings.HasPrefix(name, ".") {
		writeErr(w, http.StatusBadRequest, "name: give the file name (?name=capture.pcap)")
		return
	}
	http.NewResponseController(w).SetReadDeadline(time.Time{}) // a capture may take long to come
	tmp := filepath.Join(s.cfg.inbox(), "."+name+".part")
	f, err := os.Create(tmp)
	if err != nil {
		reply(w, nil, err)
		return
	}
	n, err := io.Copy(f, r.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, uniquePath(s.cfg.inbox(), name))
	}
	if err != nil {
		os.Remove(tmp)
	}
	reply(w, map[string]any{"name": name, "bytes": n, "queued": true}, err)
}

func (s *Server) retain(w http.ResponseWriter, r *http.Request) {
	got, err := s.maintain(r.Context())
	reply(w, map[string]any{"deleted": got}, err)
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	c := s.cfg
	writeJSON(w, map[string]any{"data_dir": c.DataDir, "inbox": c.inbox(), "listen": c.Listen, "netflow": c.NetFlow,
		"retention": map[string]string{"raw": c.Retention.Raw.String(), "minute": c.Retention.Minute.String(),
			"hour": c.Retention.Hour.String()},
		"poll": c.Poll.String(), "stable": c.Stable.String(), "situation_every": c.SituationEvery.String(),
		"maintenance_every": c.MaintenanceEvery.String(), "situation": c.Situation})
}
