package assets

import (
	"fmt"
	"testing"
)

// TestICSControlNotRaisedForUMASPolling: Modbus function 90 (0x5A,
// "PROGRAM_UNITY") is Schneider's UMAS channel, which Unity Pro/Control
// Expert, OFS and SCADA use for every exchange with an M340/M580, reads
// and keep-alives included: the usual HMI polling a PLC through it every
// 10 s is routine, no control command (a new writer's is still one).
func TestICSControlNotRaisedForUMASPolling(t *testing.T) {
	inv := newInv(t, nil)
	var lines []string
	for i := 0; i < 360; i++ { // one hour of polling by the only master
		ts := 1700000000 + 10*i
		req := fmt.Sprintf(`{"ts":%d,"uid":"Cu1","id.orig_h":"10.1.0.5","id.orig_p":40000,"id.resp_h":"10.1.0.20","id.resp_p":502,"tid":%d,"unit":0,"func":"PROGRAM_UNITY","pdu_type":"REQ"}`, ts, i)
		resp := fmt.Sprintf(`{"ts":%d.001,"uid":"Cu1","id.orig_h":"10.1.0.5","id.orig_p":40000,"id.resp_h":"10.1.0.20","id.resp_p":502,"tid":%d,"unit":0,"func":"PROGRAM_UNITY","pdu_type":"RESP"}`, ts, i)
		lines = append(lines, req, resp)
	}
	feed(inv, "modbus", lines...)
	inv.Close()
	for _, f := range inv.Findings() {
		if f.Kind == "ics_control_command" {
			t.Errorf("usual master's routine UMAS (FC 90) polling raised %s x%d: %s", f.Kind, f.Count, f.Summary)
		}
	}
}
