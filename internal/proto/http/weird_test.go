package http

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// TestWeirds checks the weirds the analyzer reports, as Zeek's HTTP
// analyzer and http.log script name them, once per connection each.
func TestWeirds(t *testing.T) {
	req := func(s string) step { return step{dir: proto.FromOrig, data: s} }
	resp := func(s string) step { return step{dir: proto.FromResp, data: s} }
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	cases := []struct {
		name  string
		steps []step
		want  []string // name=addl
	}{
		{"plain", []step{req("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), resp(ok)}, nil},
		{"bad request", []step{req("GET\r\n\r\n")}, []string{"bad_HTTP_request="}},
		{"bad request with version", []step{req("/index.html HTTP/1.1\r\n\r\n")}, []string{"bad_HTTP_request_with_version="}},
		{"missing uri", []step{req("GET HTTP/1.1\r\n\r\n"), resp(ok)}, []string{"missing_HTTP_uri="}},
		{"0.9 not GET", []step{req("POST /x\r\n")}, []string{"invalid_http_09_request_method=POST"}},
		{"unknown method", []step{req("CCM_POST / HTTP/1.1\r\n\r\n"), resp(ok)}, []string{"unknown_HTTP_method=CCM_POST"}},
		{"WebDAV method", []step{req("PROPFIND / HTTP/1.1\r\n\r\n"), resp(ok)}, nil},
		{"version mismatch, once", []step{
			req("GET /a HTTP/1.1\r\n\r\n"), resp(ok), req("GET /b HTTP/1.0\r\n\r\n"), resp(ok),
			req("GET /c HTTP/1.1\r\n\r\n"), resp(ok),
		}, []string{"HTTP_version_mismatch="}},
		{"response first", []step{resp(ok), req("GET / HTTP/1.1\r\n\r\n")}, []string{"HTTP_response_before_request="}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := &sinkRecs{}
			a := New(&proto.ConnInfo{UID: "CTest"}, out)
			ts := int64(1e9)
			for _, s := range c.steps {
				ts += 1000
				deliver(a, s.dir, ts, []byte(s.data))
			}
			a.End(ts + 1000)
			var got []string
			for _, line := range out.weirds {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("weird %q: %v", line, err)
				}
				if m["uid"] != "CTest" || m["source"] != "HTTP" {
					t.Errorf("weird %s: want uid CTest and source HTTP", line)
				}
				addl, _ := m["addl"].(string)
				got = append(got, m["name"].(string)+"="+addl)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("weirds %q, want %q", got, c.want)
			}
		})
	}
}
