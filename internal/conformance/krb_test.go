package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// krbSpec compares kerberos.log, one record per connection; the PKINIT
// certificate fields (client_cert_subject …) are not written.
var krbSpec = &LogSpec{
	Fields: []Field{
		{"request_type", Text}, {"client", Text}, {"service", Text}, {"success", Text}, {"error_msg", Text},
		{"from", Seconds}, {"till", Seconds}, {"cipher", Text}, {"forwardable", Text}, {"renewable", Text},
	},
	Keys:  tupleFields,
	Label: "client",
}

// krbFloors are set at what TestKerberosConformance reaches: every row
// agrees on every field, the AP exchanges inside SMB session setups
// included.
var krbFloors = logFloors{rows: 1, fields: 1}

// krbExcluded are baselines whose records other analyzers make.
var krbExcluded = map[string]string{
	"scripts.base.protocols.dce-rpc.spnego-gssapi-kerberos": "Kerberos inside DCE-RPC's SPNEGO: no DCE-RPC analyzer",
}

// TestKerberosConformance compares the pipeline's kerberos.log with
// Zeek's baselines: MIT kinit's AS exchanges (NEEDED_PREAUTH dropped, as
// Zeek's KRB::ignored_errors), a TGS exchange, Windows AD over TCP with
// TSO-sized segments, a Nessus probe's error, an error with pre-
// authentication data, and the AP-REQs of SMB session setups (Zeek's
// GSSAPI analyzer: the ticket's service and cipher, the server's AP-REP).
func TestKerberosConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "kerberos.log", krbExcluded)
	logExcluded(t, skipped)
	if len(jobs) < 5 {
		t.Fatalf("%d kerberos.log baselines, want 5", len(jobs))
	}
	logConformance(t, zeekDir, "kerberos", jobs, krbSpec, krbFloors)
}
