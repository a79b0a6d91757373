package flood

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// httpReq is an http.log record: status 0 leaves status_code out (no
// reply).
func httpReq(ts float64, client, server string, uri string, status int) dt.Line {
	m := map[string]any{"ts": ts, "uid": fmt.Sprintf("C%d", int(ts*1000)), "id.orig_h": client, "id.orig_p": 40000 + int(ts*10)%20000,
		"id.resp_h": server, "id.resp_p": 80, "method": "GET", "host": "www.example.org", "uri": uri, "user_agent": "Mozilla/5.0"}
	if status != 0 {
		m["status_code"] = status
	}
	return dt.Rec("http", m)
}

// requests makes n requests at rate a second from start, the i-th from
// client(i) for uri(i) answered status(i).
func requests(start, rate float64, n int, client, uri func(i int) string, status func(i int) int) []dt.Line {
	l := make([]dt.Line, 0, n)
	for i := range n {
		l = append(l, httpReq(start+float64(i)/rate, client(i), "10.0.0.80", uri(i), status(i)))
	}
	return l
}

func bot(i int) string                 { return fmt.Sprintf("198.51.100.%d", 1+i%30) }
func ok(int) int                       { return 200 }
func same(uri string) func(int) string { return func(int) string { return uri } }

func TestHTTPFloodFires(t *testing.T) {
	tests := []struct {
		name     string
		lines    []dt.Line
		src      string
		shape    string
		requests float64
	}{
		{"30 bots re-requesting the front page with cache-busting queries",
			requests(1000, 250, 5000, bot, func(i int) string { return fmt.Sprintf("/?%d", i) }, ok), "", "repeat", 5000},
		{"one client hammering the login page",
			requests(1000, 200, 4000, same("203.0.113.9"), same("/login"), ok), "203.0.113.9", "repeat", 4000},
		{"500 clients, random paths, the server failing",
			requests(1000, 300, 6000, func(i int) string { return fmt.Sprintf("100.64.%d.%d", i%2, i%250) },
				func(i int) string { return fmt.Sprintf("/p%d", i) },
				func(i int) int { return [...]int{503, 0, 200, 0, 502, 429, 200, 0, 503, 0}[i%10] }), "", "overload", 6000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig()), tc.lines)
			a := dt.Expect(t, alerts, "flood.http", tc.src, "10.0.0.80", "requests", tc.requests)
			if m := dt.Merged(alerts); len(m) != 1 {
				t.Errorf("want one alert, got %v", dt.Classes(m))
			}
			if a.Evidence["shape"] != tc.shape || a.DstP != 80 || a.Name != "www.example.org" {
				t.Errorf("shape %v, port %d, name %q: want %s, 80, www.example.org", a.Evidence["shape"], a.DstP, a.Name, tc.shape)
			}
			if tc.src == "" {
				if srcs, n := a.Crowd(); n < 30 || len(srcs) != 10 {
					t.Errorf("crowd %v of %d: want 10 named of 30 or more", srcs, n)
				}
			}
		})
	}
}

// TestHTTPFloodQuiet: busy servers that are not flooded stay quiet, each
// by the rule named; with that rule off, each would be a flood.
func TestHTTPFloodQuiet(t *testing.T) {
	type quiet struct {
		lines []dt.Line
		off   func(*HTTPThresholds) // turns off the rule that keeps it quiet
	}
	// An API server polled at 60 requests a second for two minutes, then
	// 150: over the rate threshold, but not five times its own rate.
	poller := func(i int) string { return fmt.Sprintf("10.2.0.%d", i%12) }
	api := requests(1000, 60, 7200, poller, same("/api/v1/telemetry"), ok)
	api = append(api, requests(1120, 150, 9000, poller, same("/api/v1/telemetry"), ok)...)
	tests := map[string]quiet{
		// Thousands of readers of one article, each once: the server
		// copes.
		"flash crowd": {requests(1000, 200, 6000, func(i int) string { return fmt.Sprintf("100.64.%d.%d", i/250, i%250) }, same("/news/today"), ok),
			func(th *HTTPThresholds) { th.MinPerClient = 0 }},
		// A busy site: 100 pages, 50 clients, 200 requests a second.
		"busy site": {requests(1000, 200, 6000, func(i int) string { return fmt.Sprintf("10.1.0.%d", i%50) },
			func(i int) string { return fmt.Sprintf("/page/%d", (i*37)%100) }, ok),
			func(th *HTTPThresholds) { th.FocusShare = 0 }},
		// A web scanner: one client, every path new, 404s.
		"web scanner": {requests(1000, 150, 4000, same("10.9.9.9"), func(i int) string { return fmt.Sprintf("/cgi-bin/x%d", i) },
			func(int) int { return 404 }),
			func(th *HTTPThresholds) { th.FocusShare = 0 }},
		"slow single client":      {requests(1000, 20, 4000, same("10.1.0.7"), same("/api/poll"), ok), func(th *HTTPThresholds) { th.MinRate, th.MinRequests = 10, 1000 }},
		"busy api server growing": {api, func(th *HTTPThresholds) { th.Surge = 0 }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dt.Quiet(t, dt.Run(t, New(DefaultConfig()), tc.lines))
			cfg := DefaultConfig()
			tc.off(&cfg.HTTP)
			dt.Find(t, dt.Run(t, New(cfg), tc.lines), "flood.http")
		})
	}
}

// TestHTTPFloodSurge: a server seen quiet for two windows is flooded at
// far more than its own rate; the alert gives that rate.
func TestHTTPFloodSurge(t *testing.T) {
	clients := func(i int) string { return fmt.Sprintf("10.2.0.%d", i%12) }
	lines := requests(1000, 20, 2400, clients, same("/"), ok)
	lines = append(lines, requests(1120, 300, 9000, bot, same("/"), ok)...)
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), lines), "flood.http")
	if n := dt.Num(t, a, "requests"); n < 8900 || n > 9000 {
		t.Errorf("%v requests, want the flood's 9000 but for those in the window before", n)
	}
	if base := dt.Num(t, a, "base_rate_rps"); math.Abs(base-20) > 1 {
		t.Errorf("base rate %v, want about 20", base)
	}
}

// TestTopPaths: a path asked for in more than a ninth of the requests
// holds a slot whatever else is asked, its count short by a ninth at
// most; its text is kept, a random path's is not.
func TestTopPaths(t *testing.T) {
	var p topPaths
	const n = 9000
	hot := 0
	for i := range n {
		if i%3 == 0 {
			p.add([]byte("/hot"))
			hot++
			continue
		}
		p.add(fmt.Appendf(nil, "/r%d", i))
	}
	top, text := p.top()
	if text != "/hot" || top > uint64(hot) || top < uint64(hot-n/9) {
		t.Errorf("top %q counted %d of %d", text, top, hot)
	}
	if kept := p.counted(); len(kept) != 1 {
		t.Errorf("kept %v: want /hot alone", kept)
	}
}

// TestHTTPFloodTyped: records handed with their fields located (as the
// pipeline hands http records) make the same alerts as records read by
// key (as from Zeek's logs).
func TestHTTPFloodTyped(t *testing.T) {
	lines := requests(1000, 250, 5000, bot, func(i int) string { return fmt.Sprintf("/?%d", i) }, ok)
	byKey := dt.Run(t, New(DefaultConfig()), lines)
	d := New(DefaultConfig())
	var typed []alert.Alert
	emit := func(a alert.Alert) { a.Fill(); typed = append(typed, a) }
	var s rec.Shared
	last := math.Inf(-1)
	for _, l := range lines {
		s.ResetHTTP("http", l.JSON, located(t, l))
		r, err := s.Rec()
		if err != nil {
			t.Fatal(err)
		}
		d.Handle(r, emit)
		if l.TS-last >= 10 {
			d.Flush(l.TS, emit)
			last = l.TS
		}
	}
	d.Flush(math.Inf(1), emit)
	if len(typed) == 0 || !reflect.DeepEqual(typed, byKey) {
		t.Errorf("typed records: %d alerts, by key %d; first typed %+v", len(typed), len(byKey), typed)
	}
}

// located returns l's http fields located as the pipeline's producer
// locates them.
func located(t *testing.T, l dt.Line) *rec.HTTP {
	var r rec.Rec
	if err := r.Parse("http", l.JSON); err != nil {
		t.Fatal(err)
	}
	c := r.Conn()
	h := &rec.HTTP{TS: c.TS, Orig: c.Orig, Resp: c.Resp, OrigP: c.OrigP, RespP: c.RespP}
	spans := map[string]*rec.Span{"uid": &h.UID, "method": &h.Method, "host": &h.Host, "uri": &h.URI,
		"user_agent": &h.UserAgent, "status_code": &h.StatusCode}
	for _, f := range r.Fields() {
		if sp := spans[string(r.Key(f))]; sp != nil {
			*sp = rec.SpanOf(r.ValueSpan(f))
		}
	}
	return h
}

// slowConn is a conn.log record of a connection to the web server
// 10.0.0.80:80 held dur seconds, sent bytes bytes by the client and
// answered with resp bytes.
func slowConn(ts float64, client string, port int, dur float64, sent, resp uint64, service string) dt.Line {
	return dt.Conn{TS: ts, UID: fmt.Sprintf("CS%d%d", int(ts*10), port), Src: client, SrcP: port, Dst: "10.0.0.80", DstP: 80,
		Service: service, History: "ShADaFf", Duration: dur, OrigBytes: sent, RespBytes: resp, OrigPkts: 10, RespPkts: 8}.Line()
}

// slowConns makes n connections started over 4 s, client(i) the i-th's.
func slowConns(n int, client func(int) string, dur float64, sent, resp uint64, service string) []dt.Line {
	l := make([]dt.Line, 0, n)
	for i := range n {
		l = append(l, slowConn(1000+float64(i)*4/float64(n), client(i), 40000+i, dur, sent, resp, service))
	}
	return l
}

func TestSlowHTTPFires(t *testing.T) {
	tests := []struct {
		name  string
		lines []dt.Line
		src   string
		conns float64
	}{
		{"slowhttptest from one host", slowConns(200, same("10.66.0.66"), 30, 402, 0, "http"), "10.66.0.66", 200},
		{"slowloris from 50 bots, nginx timing them out", slowConns(150, func(i int) string { return fmt.Sprintf("198.51.100.%d", i%50) }, 60, 900, 0, "http"), "", 150},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig()), tc.lines)
			a := dt.Expect(t, alerts, "flood.http", tc.src, "10.0.0.80", "connections", tc.conns)
			if m := dt.Merged(alerts); len(m) != 1 {
				t.Errorf("want one alert, got %v", dt.Classes(m))
			}
			if a.Evidence["shape"] != "slow" || a.DstP != 80 || !strings.HasPrefix(a.Summary, "Slow HTTP DoS (slowloris) on 10.0.0.80:80: ") {
				t.Errorf("shape %v, port %d, summary %q", a.Evidence["shape"], a.DstP, a.Summary)
			}
			if _, n := a.Crowd(); tc.src == "" && n != 50 {
				t.Errorf("crowd of %d, want 50", n)
			}
		})
	}
}

// TestSlowHTTPQuiet: long, quiet connections that are no slow HTTP DoS,
// each kept quiet by the rule named; with it off, each would be one.
func TestSlowHTTPQuiet(t *testing.T) {
	bot := func(i int) string { return fmt.Sprintf("10.1.0.%d", 1+i%200) }
	tests := map[string]struct {
		lines []dt.Line
		off   func(*Config)
	}{
		// 200 IoT devices keeping MQTT sessions open to a broker: a
		// ping every minute, answered.
		"mqtt keep-alives": {slowConns(200, bot, 600, 60, 0, "mqtt"), nil},
		// Long polls: the server sends its headers at least.
		"long polls": {slowConns(200, bot, 55, 450, 180, "http"), nil},
		"too few":    {slowConns(60, bot, 30, 400, 0, "http"), func(c *Config) { c.HTTP.SlowMinConns = 50 }},
		"short":      {slowConns(200, bot, 5, 400, 0, "http"), func(c *Config) { c.HTTP.SlowMinDuration = 4 }},
		// Uploads that went unanswered: a client sending fast.
		"fast uploads": {slowConns(200, bot, 30, 3_000_000, 0, "http"), func(c *Config) { c.HTTP.SlowMaxRate = 1e6 }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dt.Quiet(t, dt.Run(t, New(DefaultConfig()), tc.lines))
			if tc.off == nil {
				return // not HTTP, or answered: no slow HTTP DoS whatever the thresholds
			}
			cfg := DefaultConfig()
			tc.off(&cfg)
			dt.Find(t, dt.Run(t, New(cfg), tc.lines), "flood.http")
		})
	}
}
