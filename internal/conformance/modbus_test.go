package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// modbusSpec compares modbus.log. Records pair by connection tuple, then
// by agreement and ts.
var modbusSpec = &LogSpec{
	Fields: []Field{
		{"tid", Text}, {"unit", Text}, {"func", Text}, {"pdu_type", Text}, {"exception", Text},
	},
	Keys:  tupleFields,
	Label: "func",
}

// modbusFloors are set just under what the test reaches (100% on every log;
// the pipeline analyses this protocol on TCP connections picked up
// mid-stream, as Zeek does: Factory.Partial).
var modbusFloors = logFloors{rows: 0.99, fields: 0.99}

// modbusExcluded are baselines not comparable with Vigil's modbus.log.
var modbusExcluded = map[string]string{
	"scripts.base.protocols.modbus.exception_handling": "fuzz-72.pcap has fuzzed TCP sequence numbers (conn.log shows orig_bytes 2147483972): Vigil's reassembly delivers none of its payload, which is not the Modbus analyzer's doing",
}

// TestModbusConformance compares the pipeline's modbus.log with Zeek's
// baselines (modbus.pcap, the largest, is missing from the corpus).
func TestModbusConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "modbus.log", modbusExcluded)
	logExcluded(t, skipped)
	logConformance(t, zeekDir, "modbus", jobs, modbusSpec, modbusFloors)
}
