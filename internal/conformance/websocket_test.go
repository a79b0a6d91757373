package conformance

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// websocketSpec compares websocket.log, one record per WebSocket
// handshake.
var websocketSpec = &LogSpec{
	Fields: []Field{
		{"host", Text}, {"uri", Text}, {"user_agent", Text}, {"subprotocol", Text},
		{"client_protocols", TextList}, {"server_extensions", TextList}, {"client_extensions", TextList},
	},
	Keys:  tupleFields,
	Label: "uri",
}

// websocketFloors are set at what TestWebSocketConformance reaches: every
// row agrees on every field.
var websocketFloors = logFloors{rows: 1, fields: 1}

// websocketExcluded are baselines of test scripts that configure the
// WebSocket analyzer (the handshake logged is the same trace's).
var websocketExcluded = map[string]string{
	"scripts.base.protocols.websocket.wstunnel-ssh-configure":       "the test script configures the WebSocket analyzer (its websocket.log is wstunnel-ssh's)",
	"scripts.base.protocols.websocket.wstunnel-ssh-configure-break": "the test script disables the WebSocket analyzer from its configure hook",
	"scripts.base.protocols.websocket.wstunnel-ssh-configure-wrong": "the test script configures another analyzer inside",
}

// TestWebSocketConformance compares the pipeline's websocket.log with
// Zeek's baselines (a browser's, Jupyter's, Python websockets' and
// wstunnel's handshakes, a wrong Sec-WebSocket-Accept), and conn.log's
// services where the baselines keep them (cut to history and service):
// "http,websocket", and the protocol found inside wstunnel's frames
// (SSH: "http,websocket,ssh"; TLS: "http,ssl,websocket"), in Zeek's order.
func TestWebSocketConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "websocket.log", websocketExcluded)
	logExcluded(t, skipped)
	if len(jobs) < 6 {
		t.Fatalf("%d websocket.log baselines, want 6", len(jobs))
	}
	logConformance(t, zeekDir, "websocket", jobs, websocketSpec, websocketFloors)

	// The services of the connections, as the cut conn.log baselines
	// list them.
	checked := 0
	for _, j := range jobs {
		if !j.row.HasFile("conn.log") {
			continue
		}
		base := readZeekTSVFile(t, filepath.Join(zeekDir, "testing", "btest", "Baseline", j.row.Dir, "conn.log"))
		var want []string
		for _, r := range base.Maps() {
			want = append(want, r["service"])
		}
		trace := filepath.Join(zeekDir, "testing", "btest", "Traces", j.row.Trace)
		var got []string
		for _, r := range pipelineLog(t, trace, j.row.IgnoreChecksums(), "conn") {
			s, _ := r["service"].(string)
			got = append(got, s)
		}
		if strings.Join(want, " ") != strings.Join(got, " ") {
			t.Errorf("%s: conn.log services %q, Zeek's %q", j.row.Trace, got, want)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("services checked on %d baselines, want 5", checked)
	}
}
