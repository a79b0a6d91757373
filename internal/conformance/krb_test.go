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
// of the KDC exchanges (96) agrees on every field; the 4 rows missing are
// the AP-REQs that Zeek's SMB analyzer finds in the session setups of
// krb-tcp-tso's SMB connections (port 445: Vigil's SMB analyzer reads
// NTLM only).
var krbFloors = logFloors{rows: 0.96, fields: 0.96}

// krbExcluded are baselines whose records other analyzers make.
var krbExcluded = map[string]string{
	"scripts.base.protocols.krb.smb_gssapi":                 "the AP-REQ inside SMB's GSSAPI (Zeek's SMB analyzer hands it to Kerberos): Vigil's SMB analyzer reads NTLM only",
	"scripts.base.protocols.dce-rpc.spnego-gssapi-kerberos": "Kerberos inside DCE-RPC's SPNEGO: no DCE-RPC analyzer",
}

// TestKerberosConformance compares the pipeline's kerberos.log with
// Zeek's baselines: MIT kinit's AS exchanges (NEEDED_PREAUTH dropped, as
// Zeek's KRB::ignored_errors), a TGS exchange, Windows AD over TCP with
// TSO-sized segments, a Nessus probe's error, an error with pre-
// authentication data.
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
