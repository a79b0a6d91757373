package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// dnsSpec compares dns.log. Records pair by connection tuple (when the
// baseline has it), then by agreement and ts.
var dnsSpec = &LogSpec{
	Fields: []Field{
		{"trans_id", Text}, {"query", Text}, {"qclass_name", Text}, {"qtype_name", Text},
		{"rcode_name", Text}, {"AA", Text}, {"TC", Text}, {"RD", Text}, {"RA", Text}, {"Z", Text},
		{"answers", TextList}, {"TTLs", SecondsList}, {"rejected", Text}, {"opcode_name", Text},
		{"rtt", Seconds},
	},
	Keys:  append([]string{"proto"}, tupleFields...),
	Label: "query",
}

// dnsFloors are set just under what TestDNSConformance reaches.
var dnsFloors = logFloors{rows: 0.99, fields: 0.999}

// dnsExcluded are baselines not comparable with base dns.log.
var dnsExcluded = map[string]string{
	"scripts.base.protocols.dns.dnssec": "test script writes its own log (dns.ed25519/ed448) with answers rewritten to add algorithm names",
}

// dnsJobs picks every baseline dir holding dns.log (or zeek-cut output of
// it) that was made from one trace.
func dnsJobs(rows []IndexRow) (jobs []logJob, skipped map[string]string) {
	skipped = map[string]string{}
	dirTraces := map[string]map[string]bool{}
	for _, r := range rows {
		if dirTraces[r.Dir] == nil {
			dirTraces[r.Dir] = map[string]bool{}
		}
		dirTraces[r.Dir][r.Trace] = true
	}
	for _, r := range rows {
		for _, f := range r.Files {
			if f != "dns.log" && f != "dns.log.cut" {
				continue
			}
			switch why, excluded := dnsExcluded[r.Dir]; {
			case excluded:
				skipped[r.Dir] = why
			case len(dirTraces[r.Dir]) > 1:
				skipped[r.Dir] = "baseline dir written by runs over several traces"
			default:
				jobs = append(jobs, logJob{r, f})
			}
		}
	}
	return jobs, skipped
}

// TestDNSConformance compares the pipeline's dns.log with Zeek's
// baselines on the traces they were made from.
func TestDNSConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := dnsJobs(rows)
	logExcluded(t, skipped)
	logConformance(t, zeekDir, "dns", jobs, dnsSpec, dnsFloors)
}
