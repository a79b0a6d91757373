package ics

import (
	"fmt"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

const (
	hmi    = "10.20.0.5"
	plc    = "10.20.0.10"
	rogue  = "10.66.0.66"
	master = "10.20.0.6"
)

func id(ts float64, uid, src, dst string, port int) map[string]any {
	return map[string]any{"ts": ts, "uid": uid, "id.orig_h": src, "id.orig_p": 40000, "id.resp_h": dst, "id.resp_p": port}
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// polling is a SCADA master's normal Modbus, DNP3 and CIP traffic: reads,
// writes, diagnostics that only return data, integrity polls, tag reads.
func polling(start float64) []dt.Line {
	var l []dt.Line
	for i := range 200 {
		ts := start + float64(i)
		l = append(l,
			dt.Rec("modbus", with(id(ts, "CM", hmi, plc, 502), "tid", i, "unit", 1, "func", "READ_HOLDING_REGISTERS", "pdu_type", "REQ", "address", 0, "quantity", 10)),
			dt.Rec("modbus", with(id(ts+0.01, "CM", hmi, plc, 502), "tid", i, "unit", 1, "func", "READ_HOLDING_REGISTERS", "pdu_type", "RESP")),
			dt.Rec("modbus", with(id(ts+0.2, "CM", hmi, plc, 502), "tid", i, "unit", 1, "func", "WRITE_SINGLE_REGISTER", "pdu_type", "REQ", "address", 7, "quantity", 1)),
			dt.Rec("modbus", with(id(ts+0.3, "CM", hmi, plc, 502), "tid", i, "unit", 1, "func", "DIAGNOSTICS", "pdu_type", "REQ", "sub_function", "RETURN_QUERY_DATA")),
			dt.Rec("dnp3", with(id(ts+0.4, "CD", master, plc, 20000), "fc_request", "READ", "fc_reply", "RESPONSE", "iin", 0)),
			dt.Rec("dnp3", with(id(ts+0.5, "CD", master, plc, 20000), "fc_request", "ENABLE_UNSOLICITED", "fc_reply", "RESPONSE", "iin", 0)),
			dt.Rec("dnp3", with(id(ts+0.6, "CD", master, plc, 20000), "fc_request", "DIRECT_OPERATE", "fc_reply", "RESPONSE", "iin", 0)),
			dt.Rec("cip", with(id(ts+0.7, "CC", hmi, plc, 44818), "is_orig", true, "enip_command", "send_rr_data", "direction", "request", "cip_service_code", "0x4c", "cip_service", "Read_Tag", "tag", "Line1.Speed")),
			dt.Rec("cip", with(id(ts+0.8, "CC", hmi, plc, 44818), "is_orig", false, "enip_command", "send_rr_data", "direction", "response", "cip_service_code", "0x4c", "cip_service", "Read_Tag", "cip_status_code", "0x00", "cip_status", "Success")),
			dt.Rec("cip", with(id(ts+0.9, "CC", hmi, plc, 44818), "is_orig", true, "enip_command", "send_rr_data", "direction", "request", "cip_service_code", "0x0e", "cip_service", "Get_Attribute_Single", "class_id", "0x01", "class_name", "Identity")),
		)
	}
	return l
}

func TestQuietPolling(t *testing.T) {
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), polling(1000)))
}

func TestModbusForceListenOnly(t *testing.T) {
	lines := polling(1000)
	for i := range 5 {
		lines = append(lines, dt.Rec("modbus", with(id(1050+float64(i), fmt.Sprint("CX", i%2), rogue, plc, 502), "tid", 9, "unit", 1, "func", "DIAGNOSTICS", "pdu_type", "REQ", "sub_function", "FORCE_LISTEN_ONLY_MODE")))
	}
	alerts := dt.Run(t, New(DefaultConfig()), lines)
	if len(alerts) != 2 {
		t.Fatalf("got %d alerts, want the first and the final report: %+v", len(alerts), alerts)
	}
	a := dt.Merged(alerts)
	if len(a) != 1 {
		t.Fatalf("merged into %d alerts, want 1", len(a))
	}
	got := a[0]
	if got.Class != "ics.disruptive" || got.Src != rogue || got.Dst != plc || got.Severity != alert.High {
		t.Fatalf("alert %+v", got)
	}
	if got.Evidence["commands"] != 5 || got.Evidence["protocol"] != "modbus" || got.Evidence["sub_function"] != "4" ||
		got.Evidence["acknowledged"] != false || got.TS != 1050 || got.TSEnd != 1054 || len(got.UIDs) != 2 {
		t.Fatalf("evidence %v ts %v-%v uids %v", got.Evidence, got.TS, got.TSEnd, got.UIDs)
	}
}

func TestModbusRestartAcknowledged(t *testing.T) {
	lines := []dt.Line{
		dt.Rec("modbus", with(id(100, "CR", rogue, plc, 502), "tid", 3, "unit", 1, "func", "DIAGNOSTICS", "pdu_type", "REQ", "sub_function", "RESTART_COMMUNICATIONS_OPTION")),
		dt.Rec("modbus", with(id(100.01, "CR", rogue, plc, 502), "tid", 3, "unit", 1, "func", "DIAGNOSTICS", "pdu_type", "RESP")),
		dt.Rec("modbus", with(id(101, "CR", rogue, plc, 502), "tid", 4, "unit", 1, "func", "DIAGNOSTICS", "pdu_type", "REQ", "sub_function", "RESTART_COMMUNICATIONS_OPTION")),
		dt.Rec("modbus", with(id(101.01, "CR", rogue, plc, 502), "tid", 4, "unit", 1, "func", "DIAGNOSTICS_EXCEPTION", "pdu_type", "RESP", "exception", "ILLEGAL_FUNCTION")),
	}
	a := dt.Merged(dt.Run(t, New(DefaultConfig()), lines))
	if len(a) != 1 {
		t.Fatalf("%d alerts", len(a))
	}
	ev := a[0].Evidence
	if ev["acknowledged"] != true || ev["acknowledged_count"] != 1 || ev["refused_count"] != 1 || ev["code"] != "8/1" {
		t.Fatalf("evidence %v", ev)
	}
}

func TestDNP3(t *testing.T) {
	lines := append(polling(1000),
		dt.Rec("dnp3", with(id(1100, "CD2", rogue, plc, 20000), "fc_request", "COLD_RESTART", "fc_reply", "RESPONSE", "iin", 0)),
		dt.Rec("dnp3", with(id(1101, "CD2", rogue, plc, 20000), "fc_request", "WARM_RESTART")),
		dt.Rec("dnp3", with(id(1102, "CD2", rogue, plc, 20000), "fc_request", "STOP_APPL", "fc_reply", "RESPONSE", "iin", 1)),
		dt.Rec("dnp3", with(id(1103, "CD2", rogue, plc, 20000), "fc_request", "DISABLE_UNSOLICITED", "fc_reply", "RESPONSE", "iin", 0)),
	)
	alerts := dt.Run(t, New(DefaultConfig()), lines)
	if len(alerts) != 4 {
		t.Fatalf("got %d alerts, want one per command: %+v", len(alerts), alerts)
	}
	by := map[string]alert.Alert{}
	for _, a := range alerts {
		if a.Src != rogue || a.Dst != plc {
			t.Errorf("alert %s → %s", a.Src, a.Dst)
		}
		by[a.Evidence["command"].(string)] = a
	}
	if a := by["COLD_RESTART"]; a.Evidence["acknowledged"] != true || a.Evidence["function_code"] != "13" || a.Severity != alert.High {
		t.Errorf("cold restart %v", a.Evidence)
	}
	if a := by["WARM_RESTART"]; a.Evidence["acknowledged"] != false {
		t.Errorf("warm restart %v", a.Evidence)
	}
	if a := by["STOP_APPL"]; a.Evidence["acknowledged"] != false || a.Evidence["refused_count"] != 1 {
		t.Errorf("stop appl (IIN2.0 set) %v", a.Evidence)
	}
	if a := by["DISABLE_UNSOLICITED"]; a.Severity != alert.Medium {
		t.Errorf("disable unsolicited %v", a.Severity)
	}
}

func TestCIPResetAndStop(t *testing.T) {
	lines := append(polling(1000),
		dt.Rec("cip", with(id(1100, "CE", rogue, plc, 44818), "is_orig", true, "direction", "request", "cip_service_code", "0x05", "cip_service", "Reset", "class_id", "0x01", "class_name", "Identity", "instance_id", "0x01")),
		dt.Rec("cip", with(id(1100.1, "CE", rogue, plc, 44818), "is_orig", false, "direction", "response", "cip_service_code", "0x05", "cip_service", "Reset", "cip_status_code", "0x00", "cip_status", "Success")),
		dt.Rec("cip", with(id(1105, "CE", rogue, plc, 44818), "is_orig", true, "direction", "request", "cip_service_code", "0x07", "cip_service", "Stop", "class_id", "0x8e")),
		dt.Rec("cip", with(id(1105.1, "CE", rogue, plc, 44818), "is_orig", false, "direction", "response", "cip_service_code", "0x07", "cip_service", "Stop", "cip_status_code", "0x08", "cip_status", "Service not supported")),
	)
	a := dt.Merged(dt.Run(t, New(DefaultConfig()), lines))
	if len(a) != 2 {
		t.Fatalf("%d alerts: %+v", len(a), a)
	}
	for _, x := range a {
		switch x.Evidence["service_code"] {
		case "0x05":
			if x.Evidence["acknowledged"] != true || x.Evidence["class"] != "Identity (0x01)" || x.Severity != alert.High {
				t.Errorf("reset %v", x.Evidence)
			}
		case "0x07":
			if x.Evidence["acknowledged"] != false || x.Evidence["response"] != "Service not supported" {
				t.Errorf("stop %v", x.Evidence)
			}
		default:
			t.Errorf("alert %v", x.Evidence)
		}
	}
}

// TestEpisodes: a command repeated after Window is a new episode; state
// stays within MaxEpisodes.
func TestEpisodes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxEpisodes = 10
	d := New(cfg)
	var lines []dt.Line
	for i := range 100 {
		lines = append(lines, dt.Rec("dnp3", with(id(float64(i), "C", fmt.Sprintf("10.66.1.%d", i), plc, 20000), "fc_request", "COLD_RESTART")))
	}
	lines = append(lines, dt.Rec("dnp3", with(id(5000, "C", "10.66.1.1", plc, 20000), "fc_request", "COLD_RESTART")))
	alerts := dt.Run(t, d, lines)
	if len(alerts) != 101 || len(d.episodes) != 0 {
		t.Fatalf("%d alerts, %d episodes left", len(alerts), len(d.episodes))
	}
}

// TestCorpusDNP3: Zeek's dnp3.log of its DNP3 traces (dnp3.pcap and
// others merged): two masters (10.0.0.8, 10.0.0.9) that restart the
// outstation 10.0.0.3, stop an application and disable unsolicited
// responses, and 192.168.66.33's selects and reads, which stay quiet.
// The outstation refuses STOP_APPL (IIN 0x1001: function not supported).
func TestCorpusDNP3(t *testing.T) {
	path := testcorpus.Require(t, "zeek", "testing", "btest", "Baseline", "scripts.base.protocols.dnp3.events", "dnp3.log")
	lines := dt.ZeekTSV(t, path, "dnp3")
	for i := range lines { // the baseline's timestamps are masked
		lines[i].TS = float64(i)
	}
	a := dt.Merged(dt.Run(t, New(DefaultConfig()), lines))
	got := map[string]alert.Alert{}
	for _, x := range a {
		if x.Dst != "10.0.0.3" {
			t.Errorf("alert to %s: %s", x.Dst, x.Summary)
		}
		got[fmt.Sprint(x.Src, " ", x.Evidence["command"])] = x
	}
	for _, want := range []string{"10.0.0.8 COLD_RESTART", "10.0.0.8 WARM_RESTART", "10.0.0.8 STOP_APPL", "10.0.0.8 DISABLE_UNSOLICITED",
		"10.0.0.9 COLD_RESTART", "10.0.0.9 STOP_APPL", "10.0.0.9 DISABLE_UNSOLICITED"} {
		if _, ok := got[want]; !ok {
			t.Errorf("no alert for %s", want)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d alerts, want 7", len(got))
	}
	if x := got["10.0.0.8 COLD_RESTART"]; x.Evidence["acknowledged"] != true {
		t.Errorf("cold restart: %v", x.Evidence)
	}
	if x := got["10.0.0.8 STOP_APPL"]; x.Evidence["acknowledged"] != false || x.Evidence["refused_count"] != 2 {
		t.Errorf("stop appl: %v", x.Evidence)
	}
	if x := got["10.0.0.9 COLD_RESTART"]; x.Evidence["acknowledged"] != false {
		t.Errorf("cold restart answered by an unsolicited response: %v", x.Evidence)
	}
}
