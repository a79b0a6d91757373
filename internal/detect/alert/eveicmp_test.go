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
