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

// TestModbusForceListenOnlyRaised: modbus.pcap: 10.0.0.57 sends
// DIAGNOSTICS sub-function 4 (Force Listen Only Mode: the PLC goes off the
// bus) and sub-function 1 (Restart Communications Option) to 10.0.0.3:
// a control-command finding (an OT review found them silent).
func TestModbusForceListenOnlyRaised(t *testing.T) {
	inv := corpusInv(t, "suricata-verify/tests/modbus/modbus.pcap")
	for _, f := range inv.Findings() {
		// the finding's own record, not the usual master's first request
		// that ics_write_new_writer appends as context
		for _, e := range f.Evidence {
			if e.Detail["role"] != "" {
				continue
			}
			if strings.Contains(e.Value, "DIAGNOSTICS") || strings.Contains(strings.ToLower(e.Value), "listen") {
				return
			}
		}
	}
	t.Errorf("no finding about Force Listen Only / Restart Communications to 10.0.0.3; have %s", kinds(inv))
}

// TestDNP3StopFromUsualMaster: a DNP3 master stopping the outstation's
// application or cold-restarting it is worth an alert even when it is the
// usual master (zeek dnp3.pcap: 10.0.0.8 sends COLD_RESTART, WARM_RESTART
// and STOP_APPL to 10.0.0.3; they were silent).
func TestDNP3StopFromUsualMaster(t *testing.T) {
	inv := newInv(t, nil)
	rec := func(ts, fc string) string {
		return `{"ts":` + ts + `,"uid":"Cd1","id.orig_h":"10.0.0.8","id.orig_p":1184,"id.resp_h":"10.0.0.3","id.resp_p":20000,"fc_request":"` + fc + `"}`
	}
	feed(inv, "dnp3", rec("1", "READ"), rec("2", "STOP_APPL"), rec("3", "COLD_RESTART"))
	inv.Close()
	for _, f := range inv.Findings() {
		if f.Host == "10.0.0.3" && (strings.Contains(f.Summary, "STOP_APPL") || strings.Contains(f.Summary, "COLD_RESTART")) {
			return
		}
	}
	t.Errorf("STOP_APPL/COLD_RESTART to outstation 10.0.0.3 raised nothing; have %s", kinds(inv))
}
