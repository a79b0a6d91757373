package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// dnp3Spec compares dnp3.log. Records pair by connection tuple, then by
// agreement and ts.
var dnp3Spec = &LogSpec{
	Fields: []Field{{"fc_request", Text}, {"fc_reply", Text}, {"iin", Text}},
	Keys:   tupleFields,
	Label:  "fc_reply",
}

// dnp3Floors are set just under what the test reaches (100% on every log;
// the pipeline analyses this protocol on TCP connections picked up
// mid-stream, as Zeek does: Factory.Partial).
var dnp3Floors = logFloors{rows: 0.99, fields: 0.99}

// TestDNP3Conformance compares the pipeline's dnp3.log with Zeek's
// baselines.
func TestDNP3Conformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "dnp3.log", nil)
	logExcluded(t, skipped)
	logConformance(t, zeekDir, "dnp3", jobs, dnp3Spec, dnp3Floors)
	// dnp3_link_only.pcap: the baseline has no dnp3.log (the test logs
	// events only); its event dump shows one READ request and two
	// responses with IIN 5120, which make two records.
	recs := pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces/dnp3/dnp3_link_only.pcap"), true, "dnp3")
	t.Logf("dnp3_link_only.pcap: %d dnp3.log records (Zeek's events: 2)", len(recs))
	// The connection starts mid-stream: no records while the pipeline
	// leaves such connections unanalyzed.
	if len(recs) != 0 && (len(recs) != 2 || recs[0]["fc_request"] != "READ" || recs[1]["fc_reply"] != "RESPONSE") {
		t.Errorf("dnp3_link_only.pcap: records %v, want READ/RESPONSE then RESPONSE", recs)
	}
}
