package conformance

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// bacnetSpec compares bacnet.log with ICSNPP BACnet's. Records pair by
// connection tuple and direction, then by agreement and ts.
var bacnetSpec = &LogSpec{
	Fields: []Field{
		{"is_orig", Text}, {"source_h", Text}, {"source_p", Text},
		{"destination_h", Text}, {"destination_p", Text}, {"bvlc_function", Text},
		{"pdu_type", Text}, {"pdu_service", Text}, {"invoke_id", Text}, {"result_code", Text},
	},
	Keys:  append(append([]string{}, tupleFields...), "is_orig"),
	Label: "pdu_service",
}

// bacnetFloors are set just under what TestBACnetConformance reaches.
var bacnetFloors = logFloors{rows: 0.999, fields: 0.999}

// TestBACnetConformance compares the pipeline's bacnet.log with the
// baselines of cisagov/icsnpp-bacnet (testing/baseline/<test>/bacnet.log
// made from testing/traces/<trace>).
func TestBACnetConformance(t *testing.T) {
	root := testcorpus.Require(t, "icsnpp-bacnet")
	// logConformance joins traces and baselines below Zeek's btest
	// layout; these relative paths lead to ICSNPP's layout instead.
	job := func(trace, dir string) logJob {
		return logJob{row: IndexRow{Trace: "../../traces/" + trace, Dir: "../../baseline/" + dir, Cmd: "zeek -C"}, file: "bacnet.log"}
	}
	jobs := []logJob{
		job("bacnet_example.pcap", "analyzer.basic"),
		job("bacnet_error_reject_abort.pcap", "analyzer.error-reject-abort"),
		job("bacnet_segmented_data.pcap", "analyzer.segmented_data"),
	}
	logConformance(t, root, "bacnet", jobs, bacnetSpec, bacnetFloors)
}

// bacnetDiscoverySpec compares bacnet_discovery.log with ICSNPP's. The
// vendor is left out: ICSNPP names it from ASHRAE's vendor list, which
// Vigil does not ship; Vigil logs its number (vendor_id). ICSNPP writes
// object_name "N/A" for a Who-Has by object identifier, Vigil no name
// (one row of segmented_data).
var bacnetDiscoverySpec = &LogSpec{
	Fields: []Field{
		{"is_orig", Text}, {"source_h", Text}, {"source_p", Text},
		{"destination_h", Text}, {"destination_p", Text}, {"pdu_service", Text},
		{"device_id_type", Text}, {"device_id_number", Text}, {"object_type", Text},
		{"instance_number", Text}, {"range", Text}, {"object_name", Text},
	},
	Keys:  append(append([]string{}, tupleFields...), "is_orig"),
	Label: "pdu_service",
}

// TestBACnetDiscoveryConformance compares bacnet_discovery.log with the
// ICSNPP baselines of the three traces.
func TestBACnetDiscoveryConformance(t *testing.T) {
	root := testcorpus.Require(t, "icsnpp-bacnet")
	job := func(trace, dir string) logJob {
		return logJob{row: IndexRow{Trace: "../../traces/" + trace, Dir: "../../baseline/" + dir, Cmd: "zeek -C"}, file: "bacnet_discovery.log"}
	}
	jobs := []logJob{
		job("bacnet_example.pcap", "analyzer.basic"),
		job("bacnet_error_reject_abort.pcap", "analyzer.error-reject-abort"),
		job("bacnet_segmented_data.pcap", "analyzer.segmented_data"),
	}
	logConformance(t, root, "bacnet_discovery", jobs, bacnetDiscoverySpec, logFloors{rows: 0.99, fields: 0.99})
}
