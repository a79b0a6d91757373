package assets

import (
	"os"
	"strings"
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

// TestModbusForceListenOnlyLeftToDetector: modbus.pcap: 10.0.0.57 sends
// DIAGNOSTICS sub-function 4 (Force Listen Only Mode: the PLC goes off the
// bus) and sub-function 1 (Restart Communications Option) to 10.0.0.3.
// The ics detector reports them (ics.disruptive, internal/detect/ics,
// whose corpus test holds it to it); the inventory, which once raised an
// ics_control_command finding for them too, leaves them to it, so that
// one command makes one alert.
func TestModbusForceListenOnlyLeftToDetector(t *testing.T) {
	inv := corpusInv(t, "suricata-verify/tests/modbus/modbus.pcap")
	for _, f := range inv.Findings() {
		if f.Kind != "ics_control_command" {
			continue
		}
		for _, e := range f.Evidence {
			if strings.Contains(e.Value, "RESTART_COMMUNICATIONS") || strings.Contains(e.Value, "LISTEN_ONLY") {
				t.Errorf("the inventory raised %s for %s: the ics detector reports it", f.Kind, e.Value)
			}
		}
	}
}

// TestDNP3StopLeftToDetector: COLD_RESTART, WARM_RESTART and STOP_APPL
// (zeek dnp3.pcap: 10.0.0.8 to 10.0.0.3) are the ics detector's; the
// inventory raises no control-command finding for them, while START_APPL
// (not the detector's) still raises one.
func TestDNP3StopLeftToDetector(t *testing.T) {
	inv := newInv(t, nil)
	rec := func(ts, fc string) string {
		return `{"ts":` + ts + `,"uid":"Cd1","id.orig_h":"10.0.0.8","id.orig_p":1184,"id.resp_h":"10.0.0.3","id.resp_p":20000,"fc_request":"` + fc + `"}`
	}
	feed(inv, "dnp3", rec("1", "READ"), rec("2", "STOP_APPL"), rec("3", "COLD_RESTART"), rec("4", "START_APPL"))
	inv.Close()
	started := false
	for _, f := range inv.Findings() {
		if f.Kind != "ics_control_command" {
			continue
		}
		if strings.Contains(f.Summary, "STOP_APPL") || strings.Contains(f.Summary, "COLD_RESTART") {
			t.Errorf("the inventory raised %s: %s (the ics detector reports it)", f.Kind, f.Summary)
		}
		started = started || strings.Contains(f.Summary, "START_APPL")
	}
	if !started {
		t.Errorf("START_APPL to outstation 10.0.0.3 raised nothing; have %s", kinds(inv))
	}
}
