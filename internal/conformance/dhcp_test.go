package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto/dhcp"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// dhcpSpec compares dhcp.log. There is no connection tuple: records pair
// by agreement. uids are not compared (Zeek's are random, Vigil's
// deterministic); uid_count compares their number instead.
var dhcpSpec = &LogSpec{
	Fields: []Field{
		{"uid_count", Text}, {"client_addr", Text}, {"server_addr", Text}, {"mac", Text},
		{"host_name", Text}, {"client_fqdn", Text}, {"domain", Text}, {"requested_addr", Text},
		{"assigned_addr", Text}, {"lease_time", Seconds}, {"client_message", Text},
		{"server_message", Text}, {"msg_types", TextList}, {"duration", Seconds},
		{"circuit_id", Text}, {"agent_remote_id", Text}, {"subscriber_id", Text},
	},
	Label: "msg_types",
}

// dhcpFloors are set just under what TestDHCPConformance reaches.
var dhcpFloors = logFloors{rows: 0.99, fields: 0.999}

// dhcpLimits are the DHCP::max_uids_per_log_entry and
// DHCP::max_msg_types_per_log_entry a baseline was run with (its
// command's -e redefs); Zeek's defaults otherwise.
var dhcpLimits = map[string][2]int{
	"scripts.base.protocols.dhcp.dhcp-prevent-large-msgtypes": {500, 8},
	"scripts.base.protocols.dhcp.dhcp-prevent-large-uids":     {5, 50},
}

// TestDHCPConformance compares the pipeline's dhcp.log with Zeek's
// baselines.
func TestDHCPConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "dhcp.log", nil)
	skipped["scripts.base.protocols.dhcp.cluster"] = "cluster run (manager.dhcp.log): the same trace and record as dhcp-ack-msg-types"
	logExcluded(t, skipped)
	defer func() { dhcp.MaxUIDsPerEntry, dhcp.MaxMsgTypesPerEntry = 10, 50 }()
	logConformanceWith(t, zeekDir, "dhcp", jobs, dhcpSpec, dhcpFloors, func(t *testing.T, j logJob) {
		l, ok := dhcpLimits[j.row.Dir]
		if !ok {
			l = [2]int{10, 50}
		}
		dhcp.MaxUIDsPerEntry, dhcp.MaxMsgTypesPerEntry = l[0], l[1]
	}, addUIDCount)
}
