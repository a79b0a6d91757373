package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// rdpSpec compares rdp.log, one record per connection. keyboard_layout
// and client_build are not written (Zeek names them from its own tables
// of Windows language and build numbers: internal/proto/rdp).
var rdpSpec = &LogSpec{
	Fields: []Field{
		{"cookie", Text}, {"result", Text}, {"security_protocol", Text}, {"client_channels", TextList},
		{"client_name", Text}, {"client_dig_product_id", Text}, {"desktop_width", Text},
		{"desktop_height", Text}, {"requested_color_depth", Text}, {"cert_type", Text},
		{"cert_count", Text}, {"cert_permanent", Text}, {"encryption_level", Text}, {"encryption_method", Text},
	},
	Keys:  tupleFields,
	Label: "cookie",
}

// rdpFloors are set at what TestRDPConformance reaches: every row of the
// five baselines agrees on every compared field.
var rdpFloors = logFloors{rows: 1, fields: 1}

// TestRDPConformance compares the pipeline's rdp.log with Zeek's
// baselines: TLS and CredSSP (HYBRID, HYBRID_EX) hand-overs, a refused
// negotiation, standard RDP security with proprietary (RSA) and X.509
// server certificates.
func TestRDPConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "rdp.log", nil)
	logExcluded(t, skipped)
	if len(jobs) < 5 {
		t.Fatalf("%d rdp.log baselines, want 5", len(jobs))
	}
	logConformance(t, zeekDir, "rdp", jobs, rdpSpec, rdpFloors)
}
