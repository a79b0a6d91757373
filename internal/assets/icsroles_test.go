package assets

import (
	"os"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

func corpusInv(t *testing.T, rel string) *Inventory {
	t.Helper()
	path := testcorpus.Require(t, rel)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("capture missing: %v", err)
	}
	return inventoryOfCapture(t, path, false, false)
}

// TestModbusServerNeedsModbusReply: a host that never sent a Modbus PDU
// is not a Modbus server (an OT review found requests alone making PLCs). In
// suricata-verify's modbus.pcap 10.0.0.57 is the master (DIAGNOSTICS,
// REPORT_SLAVE_ID requests); it is the responder of one odd connection
// (10.0.0.8:502 -> 10.0.0.57:4446) on which it sends nothing but ACKs.
// It was called "modbus server (PLC/RTU)", class ics, service tcp/4446.
func TestModbusServerNeedsModbusReply(t *testing.T) {
	inv := corpusInv(t, "suricata-verify/tests/modbus/modbus.pcap")
	h := host(t, inv.Hosts(), "10.0.0.57")
	if hasRole(h, "modbus server (PLC/RTU)") {
		t.Errorf("10.0.0.57 (the master, sent no Modbus reply) has role modbus server (PLC/RTU); class %+v", h.Class)
	}
}

// TestModbusServerNeedsModbusReplySynthetic: the same with records only:
// a workstation that accepted a TCP connection on 502 and received one
// request, never answering in Modbus, is no PLC (it was class ics 0.7).
func TestModbusServerNeedsModbusReplySynthetic(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "modbus",
		`{"ts":10,"uid":"Cm1","id.orig_h":"10.1.0.5","id.orig_p":40000,"id.resp_h":"10.1.0.20","id.resp_p":502,"tid":1,"unit":1,"func":"READ_HOLDING_REGISTERS","pdu_type":"REQ","address":0,"quantity":10}`)
	feed(inv, "conn",
		`{"ts":10,"uid":"Cm1","id.orig_h":"10.1.0.5","id.orig_p":40000,"id.resp_h":"10.1.0.20","id.resp_p":502,"proto":"tcp","service":"modbus","duration":1,"orig_bytes":12,"resp_bytes":0,"conn_state":"SF","history":"ShADaFf","orig_pkts":5,"orig_ip_bytes":300,"resp_pkts":4,"resp_ip_bytes":160}`)
	inv.Close()
	h := host(t, inv.Hosts(), "10.1.0.20")
	if hasRole(h, "modbus server (PLC/RTU)") || (h.Class != nil && h.Class.Value == "ics") {
		t.Errorf("10.1.0.20 never answered in Modbus, yet roles %+v class %+v", h.Roles, h.Class)
	}
}
