package alert

import (
	"encoding/json"
	"testing"
)

// TestEVEICMP: Suricata writes an ICMP event with "proto":"ICMP" (IPv4) or
// "IPv6-ICMP" (IPv6) and the type and code as icmp_type/icmp_code; it
// never writes ports for ICMP. Vigil's export wrote the ICMP type as
// dest_port and "ICMP" for ICMPv6, so that Filebeat/ECS (destination.port),
// Evebox and Splunk showed port 128 for an ICMPv6 echo request.
func TestEVEICMP(t *testing.T) {
	a := Alert{TS: 1796036152.871515, Class: "scan.v6", Severity: 3, Confidence: 1, Proto: "icmp",
		Src: "2001:db8:66:0:66:ff:fe00:42", Dsts: []string{"fd66::3"}, DstP: 128, Detector: "scan"}
	var ev map[string]any
	if err := json.Unmarshal(a.EVE(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["proto"] != "IPv6-ICMP" {
		t.Errorf("proto = %v, want IPv6-ICMP (Suricata's name for ICMPv6)", ev["proto"])
	}
	for _, k := range []string{"src_port", "dest_port"} {
		if v, ok := ev[k]; ok {
			t.Errorf("%s = %v on an ICMP event; Suricata writes icmp_type/icmp_code instead", k, v)
		}
	}
}

// TestEVEICMPTypeCode: the type and code come out as Suricata's icmp_type
// and icmp_code: a scan's probe type (its dst_p), an exchange's Zeek-style
// orig_p/resp_p (type 3 code 1: host unreachable), none when unknown.
func TestEVEICMPTypeCode(t *testing.T) {
	tests := []struct {
		name       string
		srcP, dstP uint16
		typ, code  any // float64 from JSON, nil when absent
	}{
		{"scan probe", 0, 128, 128.0, nil},
		{"exchange", 3, 1, 3.0, 1.0},
		{"echo request", 8, 0, 8.0, 0.0},
		{"flood of several types", 0, 0, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := Alert{TS: 1, Class: "flood.icmp", Severity: 2, Proto: "icmp", Src: "10.0.0.1", Dst: "10.0.0.2", SrcP: tc.srcP, DstP: tc.dstP}
			var ev map[string]any
			if err := json.Unmarshal(a.EVE(), &ev); err != nil {
				t.Fatal(err)
			}
			if ev["icmp_type"] != tc.typ || ev["icmp_code"] != tc.code {
				t.Fatalf("icmp_type %v icmp_code %v, want %v %v", ev["icmp_type"], ev["icmp_code"], tc.typ, tc.code)
			}
		})
	}
}
