package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// ntpSpec compares ntp.log. Records pair by connection tuple (after Zeek's
// role flip), then by agreement and ts.
var ntpSpec = &LogSpec{
	Fields: []Field{
		{"version", Text}, {"mode", Text}, {"stratum", Text},
		{"poll", Seconds}, {"precision", Seconds}, {"root_delay", Seconds}, {"root_disp", Seconds},
		{"ref_id", Text}, {"ref_time", Seconds}, {"org_time", Seconds}, {"rec_time", Seconds},
		{"xmt_time", Seconds}, {"num_exts", Text},
	},
	Keys:  tupleFields,
	Label: "mode",
}

// ntpFloors are set just under what TestNTPConformance reaches.
var ntpFloors = logFloors{rows: 0.99, fields: 0.999}

// TestNTPConformance compares the pipeline's ntp.log with Zeek's baselines.
func TestNTPConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "ntp.log", nil)
	logExcluded(t, skipped)
	logConformance(t, zeekDir, "ntp", jobs, ntpSpec, ntpFloors)
	// Traces on which Zeek writes no ntp.log: mode 6/7 only (logged by the
	// test script to ntp_control/ntp_private) and a malformed extension
	// field (a protocol violation).
	for _, tr := range []string{"ntp/ntpmode67.pcap", "ntp/ntp-no-extensions-mac.pcap"} {
		recs := pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces", tr), true, "ntp")
		t.Logf("%s: %d ntp.log records (Zeek: none)", tr, len(recs))
		if len(recs) != 0 {
			t.Errorf("%s: %d ntp.log records, Zeek writes none", tr, len(recs))
		}
	}
}
