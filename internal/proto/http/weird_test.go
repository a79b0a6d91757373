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
		{"second request without keep-alive", []step{
			req("GET /a HTTP/1.0\r\n\r\n"), resp(ok), req("GET /b HTTP/1.0\r\n\r\n"),
		}, []string{"unexpected_multiple_HTTP_requests="}},
		{"bad chunk size", []step{req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")},
			[]string{"HTTP_bad_chunk_size=zz"}},
		{"chunk size past int64", []step{req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n")},
			[]string{"HTTP_bad_chunk_size=10000000000000000"}},
		{"negative length", []step{req("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")}, []string{"HTTP_bad_content_length=-1"}},
		{"leading zeros", []step{req("POST / HTTP/1.1\r\nContent-Length: 002\r\n\r\nab"), resp(ok)},
			[]string{"HTTP_content_length_leading_zeros=002"}},
		{"length and chunked", []step{req("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")},
			[]string{"HTTP_content_length_and_chunked="}},
		{"chunked and more", []step{req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n")},
			[]string{"HTTP_chunked_multi=, identity"}},
		{"chunked in HTTP/1.0 is none", []step{req("POST / HTTP/1.0\r\nContent-Length: 0\r\nTransfer-Encoding: chunked, x\r\n\r\n")}, nil},
		{"expect with length 0", []step{req("POST / HTTP/1.1\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n")},
			[]string{"HTTP_content_length_0_and_expect_100_cont="}},
		{"expect other", []step{req("POST / HTTP/1.1\r\nExpect: later\r\n\r\n")}, []string{"HTTP_expect_not_100_continue=later"}},
		{"folded header", []step{req("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n"), resp(ok)}, []string{"HTTP_obsolete_line_folding=X-A"}},
		{"range that ends before it starts", []step{req("GET / HTTP/1.1\r\n\r\n"),
			resp("HTTP/1.1 206 Partial\r\nContent-Range: bytes 5-1/10\r\nContent-Length: 0\r\n\r\n")},
			[]string{"HTTP_non_positive_content_range=5-1/10"}},
		{"range and length differ", []step{req("GET / HTTP/1.1\r\n\r\n"),
			resp("HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-9/10\r\nContent-Length: 4\r\n\r\nabcd")},
			[]string{"HTTP_range_not_matching_len="}},
		{"range of a 200 is not read", []step{req("GET / HTTP/1.1\r\n\r\n"),
			resp("HTTP/1.1 200 OK\r\nContent-Range: bytes 5-1/10\r\nContent-Length: 0\r\n\r\n")}, nil},
		{"% at the end", []step{req("GET /a% HTTP/1.1\r\n\r\n"), resp(ok)}, []string{"illegal_%_at_end_of_URI="}},
		{"%X at the end", []step{req("GET /a%4 HTTP/1.1\r\n\r\n"), resp(ok)}, []string{"partial_escape_at_end_of_URI="}},
		{"%% and a bad escape", []step{req("GET /%%41/%zz HTTP/1.1\r\n\r\n"), resp(ok)},
			[]string{"double_%_in_URI=", "unescaped_%_in_URI="}},
		{"good escapes", []step{req("GET /%41%u0041 HTTP/1.1\r\n\r\n"), resp(ok)}, nil},
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
