package conformance

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestENIPSuricataVerify checks enip.log, cip.log and
// enip_list_identity.log on suricata-verify's two EtherNet/IP captures
// against what its tests assert (run with -k none: checksums ignored):
//
//   - enip-alert/enip_test1.pcap (enip-log-identity, enip-stats-udp): one
//     TCP ENIP flow, a ListIdentity request and its response naming a
//     1756-ENBT/A of vendor 1 at revision 4.3.
//   - enip-keywords/enip_cip_example.pcap (enip-keywords,
//     enip-keywords-suricata8): 269 messages of status 0 (Suricata 8's
//     enip.status:0), 267 SendUnitData (enip_command:112), 81 CIP messages
//     of service 0x0A, Multiple_Service_Packet (41 requests, 40 responses:
//     Suricata 8's cip_service:10), 133 CIP responses of status 0
//     (enip.cip_status:0), 41 Multiple_Service_Packet requests to the
//     Message Router class 2 instance 1 (enip-frames), and the Identity
//     fields enip-keywords-suricata8 asserts (protocol version 1, revision
//     0x403, status 0x30, state 3, serial 0x524D8E, product code 58,
//     device type 12, vendor 1). Its class 1 attribute 5 requests (41)
//     are inside the Multiple_Service_Packets, which cip.log does not
//     open; its UDP 2222 flow is CIP I/O, not analysed.
func TestENIPSuricataVerify(t *testing.T) {
	sv := testcorpus.Require(t, "suricata-verify", "tests")
	type count struct {
		log   string
		match map[string]string
		want  int
	}
	identity := map[string]string{
		"encapsulation_version": "1", "vendor_id": "1", "vendor_name": "Rockwell Automation/Allen-Bradley",
		"device_type_id": "12", "device_type": "Communications Adapter", "product_code": "58",
		"revision": "4.3", "device_status": "0x0030", "serial_number": "0x00524d8e",
		"product_name": "1756-ENBT/A", "device_state": "3", "socket_port": "44818",
	}
	cases := []struct {
		pcap     string
		services int // conn.log connections of service enip
		counts   []count
	}{
		{"enip-alert/enip_test1.pcap", 1, []count{
			{"enip", map[string]string{"enip_command": "list_identity", "is_orig": "true", "length": "0"}, 1},
			{"enip", map[string]string{"enip_command": "list_identity", "is_orig": "false", "enip_status": "success"}, 1},
			{"enip", nil, 2},
			{"enip_list_identity", identity, 1},
			{"enip_list_identity", nil, 1},
			{"cip", nil, 0},
		}},
		{"enip-keywords/enip_cip_example.pcap", 2, []count{
			{"enip", map[string]string{"enip_status": "success"}, 269},
			{"enip", map[string]string{"enip_command": "send_unit_data"}, 267},
			{"enip", map[string]string{"enip_command": "list_identity"}, 2},
			{"cip", map[string]string{"cip_service_code": "0x0a", "cip_service": "Multiple_Service_Packet"}, 81},
			{"cip", map[string]string{"cip_service": "Multiple_Service_Packet", "direction": "request"}, 41},
			{"cip", map[string]string{"direction": "response", "cip_status_code": "0x00", "cip_status": "Success"}, 133},
			{"cip", map[string]string{"direction": "request", "class_id": "0x02", "class_name": "Message Router", "instance_id": "0x01"}, 41},
			{"cip", nil, 267},
			{"enip_list_identity", identity, 1},
			{"enip_list_identity", nil, 1},
		}},
	}
	agree, total := 0, 0
	for _, c := range cases {
		out := runPipeline(t, filepath.Join(sv, c.pcap), true)
		logs := map[string][]Rec{}
		for _, name := range []string{"conn", "enip", "cip", "enip_list_identity"} {
			recs, err := ReadJSONLog(filepath.Join(out, name+".log"))
			if err != nil {
				t.Fatalf("%s: %v", c.pcap, err)
			}
			logs[name] = recs
		}
		check := func(what string, got, want int) {
			total++
			if got == want {
				agree++
			} else {
				t.Errorf("%s: %s: %d, want %d", c.pcap, what, got, want)
			}
		}
		n := 0
		for _, r := range logs["conn"] {
			if r["service"] == "enip" {
				n++
				if fmt.Sprint(r["id.resp_p"]) != "44818" {
					t.Errorf("%s: enip on %v", c.pcap, r["id.resp_p"])
				}
			}
		}
		check("conn.log service enip", n, c.services)
		for _, k := range c.counts {
			got := 0
			for _, r := range logs[k.log] {
				if recordMatches(r, k.match) {
					got++
				}
			}
			check(fmt.Sprintf("%s.log %v", k.log, k.match), got, k.want)
		}
	}
	t.Logf("suricata-verify enip: %d/%d checks agree", agree, total)
}

// recordMatches reports whether r has every field of match with the value
// given (numbers and booleans as their text).
func recordMatches(r Rec, match map[string]string) bool {
	for k, want := range match {
		v, ok := r[k]
		if !ok || fmt.Sprint(v) != want {
			return false
		}
	}
	return true
}
