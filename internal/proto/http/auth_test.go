package http

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

func basicRequest(user, password string) string {
	return "GET /cgi-bin/snapshot.cgi HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic " +
		base64.StdEncoding.EncodeToString([]byte(user+":"+password)) + "\r\n\r\n"
}

// TestBasicAuthFact: a request with Basic credentials makes one
// AuthLog fact, with the user, the password, the status and whether it
// got in, handed on just before its http.log record; http.log keeps the
// user name only (Zeek's default: no password).
func TestBasicAuthFact(t *testing.T) {
	out := &sinkRecs{}
	a := New(&proto.ConnInfo{UID: "CAuth"}, out)
	deliverAll(a, []step{
		{dir: 0, data: basicRequest("admin", "Vr8#kq2-Lm")},
		{dir: 1, data: "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"},
		{dir: 0, data: basicRequest("admin", "admin")},
		{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{dir: 0, data: "GET /public HTTP/1.1\r\nHost: cam\r\n\r\n"},
		{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
	})
	if len(out.auth) != 2 || len(out.lines) != 3 {
		t.Fatalf("facts %q, records %q", out.auth, out.lines)
	}
	checkFacts(t, out.auth, []map[string]any{
		{"uid": "CAuth", "user": "admin", "password": "Vr8#kq2-Lm", "status_code": 401.0, "success": false},
		{"uid": "CAuth", "user": "admin", "password": "admin", "status_code": 200.0, "success": true},
	})
	for i := range out.auth {
		if !strings.HasPrefix(out.order[2*i], AuthLog+" ") || !strings.HasPrefix(out.order[2*i+1], "http ") {
			t.Errorf("order %q: each fact just before its record", out.order)
		}
	}
	for _, l := range out.lines {
		if strings.Contains(l, `"password"`) || strings.Contains(l, "Vr8#kq2-Lm") {
			t.Errorf("http.log shows a password: %s", l)
		}
	}
}

// TestBasicAuthUndecodable: credentials that do not decode to user and
// password make no fact (http.log names the problem, as Zeek does).
func TestBasicAuthUndecodable(t *testing.T) {
	out := &sinkRecs{}
	a := New(&proto.ConnInfo{UID: "CAuth"}, out)
	deliver(a, 0, 1e9, []byte("GET / HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic bm9jb2xvbg==\r\n\r\n"))
	deliver(a, 1, 2e9, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	a.End(1e10)
	if len(out.auth) != 0 || len(out.lines) != 1 || !strings.Contains(out.lines[0], "<problem-decoding>") {
		t.Errorf("facts %q, records %q", out.auth, out.lines)
	}
}

// checkFacts holds each login fact to the fields its want names.
func checkFacts(t *testing.T, facts []string, want []map[string]any) {
	t.Helper()
	for i, w := range want {
		var m map[string]any
		if err := json.Unmarshal([]byte(facts[i]), &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range w {
			if m[k] != v {
				t.Errorf("fact %d: %s = %v, want %v (%s)", i, k, m[k], v, facts[i])
			}
		}
	}
}

// deliverAll hands a the steps' data a second apart, then ends it.
func deliverAll(a *Analyzer, steps []step) {
	for i, st := range steps {
		deliver(a, st.dir, int64(i+1)*1e9, []byte(st.data))
	}
	a.End(1e10)
}
