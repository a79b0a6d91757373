package detect

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

// labHosts is the lab's address plan as the labels write it.
var labHosts = map[string]string{
	"10.66.0.1": "rtr", "10.66.0.10": "srv", "10.66.0.21": "ws1", "10.66.0.22": "ws2", "10.66.0.30": "iot",
	"10.66.0.66": "atk", "fd66::66": "atk", "2001:db8:66:0:66:ff:fe00:42": "atk", "fe80::66:ff:fe00:42": "atk",
	"fd66::10": "srv", "2001:db8:66:0:66:ff:fe00:a": "srv", "203.0.113.10": "ext", "2001:db8:ff::10": "ext",
	"fd66::22": "ws2", "2001:db8:66:0:66:ff:fe00:16": "ws2",
}

func scanLabels() Labels {
	return Labels{Scenario: "nmap-syn", Attacker: StringList{"10.66.0.66", "fd66::66"}, AttackerMAC: "02:66:00:00:00:42",
		Victims: StringList{"10.66.0.10"}, StartTS: 1000, EndTS: 1010, ExpectedClasses: []string{"scan.vertical"},
		BenignHosts: StringList{"10.66.0.21", "10.66.0.22", "10.66.0.1"}, Hosts: labHosts}
}

// TestScoreWrongAttackerIsNoHit: an alert of the expected class that blames
// a benign lab host (a workstation "scanning" the victim) did not detect the
// attack: it is a false alert, not a hit, and the class is not found.
func TestScoreWrongAttackerIsNoHit(t *testing.T) {
	l := scanLabels()
	row := Score(l, []alert.Alert{{Class: "scan.vertical", Src: "10.66.0.21", Dst: "10.66.0.10", TS: 1002, TSEnd: 1005}})
	if row.ClassRecall != 0 || row.ClassPrecision != 0 || row.FalsePerHour == 0 || len(row.Found) != 0 {
		t.Errorf("alert blaming ws1: row %+v, want class recall 0, precision 0, a false alert", row)
	}
	// The attacker named by its address or MAC, or a forged source naming
	// the victim, is a hit.
	for _, a := range []alert.Alert{
		{Class: "scan.vertical", Src: "fd66::66", Dst: "10.66.0.10", TS: 1002},
		{Class: "scan.vertical", SrcMAC: "02:66:00:00:00:42", Dst: "10.66.0.10", TS: 1002},
		{Class: "scan.vertical", Src: "192.0.2.77", Dst: "10.66.0.10", TS: 1002},
	} {
		if row := Score(l, []alert.Alert{a}); row.ClassRecall != 1 || row.ClassPrecision != 1 || row.FalsePerHour != 0 {
			t.Errorf("alert %+v: row %+v, want a hit", a, row)
		}
	}
	// A C2 channel: the victim talks to the attacker (the server outside);
	// a benign host talking to it is no hit.
	c2 := Labels{Scenario: "beacon", Attacker: StringList{"203.0.113.10"}, Victims: StringList{"10.66.0.22"},
		StartTS: 1000, EndTS: 1040, ExpectedClasses: []string{"c2.beacon"}, BenignHosts: StringList{"10.66.0.21", "10.66.0.22"}, Hosts: labHosts}
	if row := Score(c2, []alert.Alert{{Class: "c2.beacon", Src: "2001:db8:66:0:66:ff:fe00:16", Dst: "2001:db8:ff::10", TS: 1001}}); row.ClassRecall != 1 || row.AttackerRecall != 1 || row.VictimRecall != 1 {
		t.Errorf("beacon from ws2's SLAAC address: row %+v", row)
	}
	if row := Score(c2, []alert.Alert{{Class: "c2.beacon", Src: "10.66.0.21", Dst: "203.0.113.10", TS: 1001}}); row.ClassRecall != 0 {
		t.Errorf("beacon from ws1, a benign host: row %+v, want no hit", row)
	}
}

// TestScoreOtherScenarioTime: alerts are the scenario's only inside its
// time: an alert of the expected class by the same attacker (every lab
// scenario's attacker is atk) from another scenario's time, or from the
// lead-in before the attack, is not this scenario's detection.
func TestScoreOtherScenarioTime(t *testing.T) {
	l := scanLabels()
	l.Capture = CaptureSpan{StartTS: 997, EndTS: 1012}
	row := Score(l, []alert.Alert{{Class: "scan.vertical", Src: "10.66.0.66", Dst: "10.66.0.10", TS: 500, TSEnd: 520}})
	if row.ClassRecall != 0 || row.Alerts != 0 {
		t.Errorf("alert of another scenario's time: row %+v, want not counted", row)
	}
	row = Score(l, []alert.Alert{{Class: "scan.vertical", Src: "10.66.0.66", Dst: "10.66.0.10", TS: 1011.5}})
	if row.ClassRecall != 1 {
		t.Errorf("alert within the attack's end and a second: row %+v, want a hit", row)
	}
}

// TestScoreFalseRateOverCapture: false alerts per hour are over the time
// the alerts could come from: the whole capture (lead-in and lead-out
// included), not the labelled attack phase, and not a minute's floor.
func TestScoreFalseRateOverCapture(t *testing.T) {
	l := Labels{Scenario: "benign", StartTS: 1003, EndTS: 1015, Capture: CaptureSpan{StartTS: 1000, EndTS: 1018}}
	row := Score(l, []alert.Alert{{Class: "scan.vertical", Src: "10.66.0.21", TS: 1001}})
	if want := 3600.0 / 18; row.FalsePerHour < want-1e-9 || row.FalsePerHour > want+1e-9 {
		t.Errorf("1 alert in an 18 s capture: %v false alerts per hour, want %v", row.FalsePerHour, want)
	}
	out := (Table{Rows: []Row{row}}).String()
	if !strings.Contains(out, "over 0.0050 h") {
		t.Errorf("the table does not say over how long the benign rate was measured:\n%s", out)
	}
}

// TestScoreAddressForms: labels written by hand or by another tool name
// addresses in any valid form (RFC 5952 allows several for one IPv6
// address, a MAC in upper case, a link-local address with its zone); the
// alerts' (canonical) addresses are the same hosts.
func TestScoreAddressForms(t *testing.T) {
	l := Labels{Scenario: "rogue-ra", Attacker: StringList{"FE80:0:0:0:66:FF:FE00:42%br0", "2001:DB8:66::66:FF:FE00:42"},
		Victims: StringList{"FD66:0::21"}, StartTS: 1000, EndTS: 1010, ExpectedClasses: []string{"ipv6.rogue_ra"}}
	row := Score(l, []alert.Alert{{Class: "ipv6.rogue_ra", Src: "fe80::66:ff:fe00:42", Dst: "fd66::21", TS: 1001}})
	if row.AttackerRecall != 1 || row.VictimRecall != 1 || row.ClassRecall != 1 {
		t.Errorf("row %+v: the alert names the labelled attacker and victim", row)
	}
	row = Score(l, []alert.Alert{{Class: "ipv6.rogue_ra", Src: "::ffff:10.9.9.9", Dst: "2001:db8:66:0:66:ff:fe00:42", TS: 1001}})
	if row.AttackerRecall != 1 {
		t.Errorf("row %+v: the attacker's SLAAC address named", row)
	}
}

// TestScorePostureShown: posture alerts (an exposed service of the
// background) are neither hits nor false alerts, but the table says how
// many were left out, so that a benign row's 0 false alerts per hour does
// not hide six alerts of severity 2 and 3.
func TestScorePostureShown(t *testing.T) {
	l := Labels{Scenario: "benign", StartTS: 1000, EndTS: 1010}
	row := Score(l, []alert.Alert{
		{Class: "iot.insecure_protocol", Src: "10.66.0.21", Dst: "10.66.0.30", Exposed: "10.66.0.30", TS: 1001},
		{Class: "iot.insecure_protocol", Src: "10.66.0.22", Dst: "10.66.0.30", TS: 1002},
	})
	if row.FalsePerHour != 0 || row.Posture != 2 {
		t.Errorf("row %+v: want 0 false alerts, 2 posture alerts", row)
	}
	if out := (Table{Rows: []Row{row}}).String(); !strings.Contains(out, "posture 2 (iot.insecure_protocol)") {
		t.Errorf("table hides the posture alerts:\n%s", out)
	}
}
