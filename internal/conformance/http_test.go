package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// httpSpec compares http.log. Records pair by connection tuple and
// trans_depth (when the baseline has them), then by agreement and ts.
var httpSpec = &LogSpec{
	Fields: []Field{
		{"trans_depth", Text}, {"method", Text}, {"host", Text}, {"uri", Text}, {"referrer", Text},
		{"version", Text}, {"user_agent", Text}, {"request_body_len", Text}, {"response_body_len", Text},
		{"status_code", Text}, {"status_msg", Text}, {"resp_mime_types", TextList},
	},
	Keys:  append(append([]string{}, tupleFields...), "trans_depth"),
	Label: "uri",
}

// httpFloors are set just under what TestHTTPConformance reaches.
var httpFloors = logFloors{rows: 0.97, fields: 0.997}

// httpOtherFloors are set just under what the other baselines reach.
// Their known differences are in the HTTP analyzer, not the pipeline: a
// cab file's MIME type, which Zeek reports on the connection that
// completes the file its range requests (206) assemble across
// connections, and a body length on http-port-22.
var httpOtherFloors = logFloors{rows: 0.95, fields: 0.995}

// httpExcluded are baselines made with test-specific scripts or options
// that change what http.log holds, so they cannot be compared.
var httpExcluded = map[string]string{
	"scripts.base.protocols.http.multipart-file-limit":      "http-limited.log etc. come from a test script changing file limits",
	"scripts.base.protocols.http.http-pending-state-growth": "no http.log baseline (output only)",
}

// httpJobs picks the HTTP analyzer's baselines (scripts.base.protocols.http.*):
// http.log or its zeek-cut output; where one dir holds the runs over a
// standard and a nonstandard-port trace, the file of each trace.
func httpJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	skipped = map[string]string{}
	for _, r := range rows {
		if !strings.HasPrefix(r.Dir, "scripts.base.protocols.http.") {
			continue
		}
		if why, ok := httpExcluded[r.Dir]; ok {
			skipped[r.Dir] = why
			continue
		}
		var file string
		nonstandard := strings.Contains(r.Trace, "nonstandard")
		for _, f := range r.Files {
			switch {
			case f == "http.log" || f == "http.log.cut",
				f == "http.log.standard" && !nonstandard,
				f == "http.log.nonstandard" && nonstandard:
				file = f
			}
		}
		if file != "" {
			jobs = append(jobs, logJob{r, file})
		}
	}
	return jobs, skipped
}

// httpOtherExcluded are http.log baselines outside the HTTP analyzer's
// own tests that cannot be compared.
var httpOtherExcluded = map[string]string{
	"scripts.policy.protocols.ssl.decryption": "HTTP inside TLS decrypted with keys the test script supplies",
	"scripts.base.protocols.websocket.wstunnel-http": "HTTP inside WebSocket frames: Zeek's inner HTTP analyzer shares the connection's HTTP script state with the outer one, " +
		"so the tunnelled request's 301 is logged on the upgrading request (/v1/events, whose 101 is informational) and the tunnelled request has none; " +
		"Vigil logs each request with its own reply (the services, http,websocket, agree: TestWebSocketConformance)",
}

// httpOtherJobs picks the http.log baselines of other tests (tunnels,
// link layers, reassembly, other protocols' scripts): they exercise the
// pipeline in front of the analyzer. Dirs written from several traces or
// by filtered runs are left out.
func httpOtherJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	skipped = map[string]string{}
	dirTraces := map[string]map[string]bool{}
	for _, r := range rows {
		if dirTraces[r.Dir] == nil {
			dirTraces[r.Dir] = map[string]bool{}
		}
		dirTraces[r.Dir][r.Trace] = true
	}
	for _, r := range rows {
		if strings.HasPrefix(r.Dir, "scripts.base.protocols.http.") {
			continue
		}
		for _, f := range r.Files {
			if f != "http.log" && f != "http.log.cut" {
				continue
			}
			switch why, excluded := httpOtherExcluded[r.Dir]; {
			case excluded:
				skipped[r.Dir] = why
			case len(dirTraces[r.Dir]) > 1 || r.DistinctTraces() > 1:
				skipped[r.Dir] = "baseline dir written by runs over several traces"
			case r.Filtered():
				skipped[r.Dir] = "run with a BPF filter"
			default:
				jobs = append(jobs, logJob{r, f})
			}
		}
	}
	return jobs, skipped
}

// TestHTTPConformance compares the pipeline's http.log with Zeek's
// baselines on the traces they were made from: the HTTP analyzer's own
// tests, and the other tests that log HTTP (through tunnels, odd link
// layers, reassembly corner cases).
func TestHTTPConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("analyzer", func(t *testing.T) {
		jobs, skipped := httpJobs(rows)
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "http", jobs, httpSpec, httpFloors)
	})
	t.Run("other", func(t *testing.T) {
		jobs, skipped := httpOtherJobs(rows)
		logExcluded(t, skipped)
		logConformance(t, zeekDir, "http", jobs, httpSpec, httpOtherFloors)
	})
}
