package serve

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fuzzEndpoints are the read endpoints FuzzAPI calls; {x} is replaced by
// fuzzed text. The event stream (it never ends) and the endpoints that
// change or delete data are left out.
var fuzzEndpoints = []string{
	"/api/v1/situation", "/api/v1/overview", "/api/v1/incidents", "/api/v1/incidents/{x}",
	"/api/v1/incidents/{x}/pcap", "/api/v1/alerts", "/api/v1/assets", "/api/v1/iot", "/api/v1/hosts/{x}",
	"/api/v1/flows", "/api/v1/records", "/api/v1/timeline", "/api/v1/graph", "/api/v1/ipv6",
	"/api/v1/search", "/api/v1/sensor", "/api/v1/config", "/api/v1/{x}",
}

// FuzzAPI sends read requests with fuzzed path parts and query strings to
// a server holding a small ingested capture: a malformed request gets a
// 4xx with a JSON error, never a 5xx, and every 2xx reply is JSON (but a
// capture's); paths with dot segments are redirected by the mux.
func FuzzAPI(f *testing.F) {
	srv, _ := testServer(f)
	h, token := srv.Handler(), srv.Tokens().Admin
	for i, q := range []string{"", "limit=5", "limit=-1&offset=99999999999999999999", "proto=tcp&port=80",
		"since=2026-01-01T00:00:00Z&until=x", "q=10.0.0.1", "addr=::1&limit=1", "severity=9&class=scan.%27",
		"kind=ssl&cursor=abc", "from=1e308&to=-1", "sort=score'--"} {
		f.Add(uint8(i), "inc-test", q)
	}
	f.Add(uint8(8), "10.16.14.17", "window=3600")
	f.Add(uint8(8), "fe80::1%eth0", "")
	f.Fuzz(func(t *testing.T, pick uint8, part, query string) {
		path := strings.ReplaceAll(fuzzEndpoints[int(pick)%len(fuzzEndpoints)], "{x}", url.PathEscape(part))
		req := httptest.NewRequest("GET", "/", nil)
		req.URL = &url.URL{Path: path, RawQuery: query}
		req.RequestURI = req.URL.RequestURI()
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code, body := rec.Code, rec.Body.Bytes()
		if code >= 500 {
			t.Fatalf("GET %s?%s: %d %s", path, query, code, body)
		}
		if code >= 300 && code < 400 {
			return // the mux's redirect to the cleaned path ("/a/./b")
		}
		if strings.HasSuffix(path, "/pcap") && code == http.StatusOK {
			return // a capture, not JSON
		}
		if !json.Valid(body) {
			t.Fatalf("GET %s?%s: %d, not JSON: %.200q", path, query, code, body)
		}
	})
}
