package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// HTTP CONNECT tunnels: after a CONNECT answered by 200, Zeek detects the
// protocol inside the tunnel again by content; conn.log's service lists
// both ("http,ssl", "http,smtp") and the inner protocol's log is written.

// TestHTTPConnectTunnel compares conn.log's service, per connection, with
// the baselines of Zeek's http-connect tests, and checks that the inner
// protocol's log holds records of the tunnelled connection (as many as
// the http-connect baseline's smtp.log; for ssl.log, which the
// http-connect-with-header test does not load but conn.log's "ssl" says
// Zeek parsed, at least one).
func TestHTTPConnectTunnel(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	for _, tc := range []struct {
		trace, dir, inner string
	}{
		{"http/connect-with-header.pcap", "scripts.base.protocols.http.http-connect-with-header", "ssl"},
		{"http/connect-with-smtp.pcap", "scripts.base.protocols.http.http-connect", "smtp"},
	} {
		t.Run(tc.inner, func(t *testing.T) {
			base := filepath.Join(zeekDir, "testing/btest/Baseline", tc.dir)
			want := map[string]string{}
			for _, m := range readZeekTSVFile(t, filepath.Join(base, "conn.log")).Maps() {
				want[m["id.orig_p"]+">"+m["id.resp_p"]] = m["service"]
			}
			if len(want) == 0 {
				t.Fatal("no connection in the baseline's conn.log")
			}
			out := runPipeline(t, filepath.Join(zeekDir, "testing/btest/Traces", tc.trace), true)
			conns, err := ReadJSONLog(filepath.Join(out, "conn.log"))
			if err != nil {
				t.Fatal(err)
			}
			uids := map[string]bool{}
			for _, c := range conns {
				key := fmt.Sprint(c["id.orig_p"]) + ">" + fmt.Sprint(c["id.resp_p"])
				w, ok := want[key]
				if !ok {
					continue
				}
				delete(want, key)
				got, _ := c["service"].(string)
				if got == "" {
					got = "-"
				}
				if got != w {
					t.Errorf("conn %s: service %q, want %q", key, got, w)
				}
				uids[fmt.Sprint(c["uid"])] = true
			}
			for key := range want {
				t.Errorf("conn %s: missing from conn.log", key)
			}
			wantRows := -1 // the baseline has no such log: at least one
			if _, err := os.Stat(filepath.Join(base, tc.inner+".log")); err == nil {
				wantRows = len(readZeekTSVFile(t, filepath.Join(base, tc.inner+".log")).Maps())
			}
			recs, err := ReadJSONLog(filepath.Join(out, tc.inner+".log"))
			if err != nil {
				t.Fatalf("%s.log: %v", tc.inner, err)
			}
			n := 0
			for _, r := range recs {
				if uids[fmt.Sprint(r["uid"])] {
					n++
				}
			}
			switch {
			case wantRows < 0 && n == 0:
				t.Errorf("%s.log: no record of the tunnelled connection", tc.inner)
			case wantRows >= 0 && n != wantRows:
				t.Errorf("%s.log: %d records of the tunnelled connection, baseline %d", tc.inner, n, wantRows)
			}
		})
	}
}
