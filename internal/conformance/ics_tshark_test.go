package conformance

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// The expected values below were extracted with tshark 4.0 (Wireshark's
// ENIP, CIP and BACnet dissectors), which is not available in CI; the
// tests only compare Vigil's logs with them.

// tallies counts the records of recs by the fields named, joined by "|"
// (a missing field is empty).
func tallies(recs []Rec, fields ...string) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		var parts []string
		for _, f := range fields {
			if v, ok := r[f]; ok {
				parts = append(parts, fmt.Sprint(v))
			} else {
				parts = append(parts, "")
			}
		}
		out[strings.Join(parts, "|")]++
	}
	return out
}

func compareTallies(t *testing.T, what string, got, want map[string]int) (agree, total int) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		total += want[k]
		if got[k] == want[k] {
			agree += want[k]
			continue
		}
		t.Errorf("%s %s: %d records, tshark %d", what, k, got[k], want[k])
	}
	return agree, total
}

// TestENIPAgainstTshark compares enip.log, cip.log and
// enip_list_identity.log on suricata-verify's enip_cip_example.pcap
// (checksums ignored: the client's are offloaded) with tshark's reading:
//
//	tshark -r enip_cip_example.pcap -Y 'enip && tcp' -T fields -E occurrence=f \
//	  -e enip.command -e enip.length -e enip.session -e enip.status \
//	  -e enip.cpf.cai.connid -e cip.seq -e cip.service -e cip.genstat \
//	  -e cip.class -e cip.instance
//	tshark -r enip_cip_example.pcap -Y 'enip.command == 0x63' -O enip
//
// tshark's cip.attribute is left out: it also reports the attribute lists
// of Get/Set_Attribute_List and the services inside a
// Multiple_Service_Packet, while Vigil's attribute_id is the request
// path's. 269 messages, 267 CIP messages, one Identity item.
func TestENIPAgainstTshark(t *testing.T) {
	pcap := testcorpus.Require(t, "suricata-verify", "tests", "enip-keywords", "enip_cip_example.pcap")
	out := runPipeline(t, pcap, true)
	logs := map[string][]Rec{}
	for _, name := range []string{"enip", "cip", "enip_list_identity"} {
		recs, err := ReadJSONLog(filepath.Join(out, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		logs[name] = recs
	}
	agree, total := 0, 0
	add := func(a, n int) { agree, total = agree+a, total+n }
	add(compareTallies(t, "enip", tallies(logs["enip"], "enip_command_code", "length", "session_handle", "enip_status"), map[string]int{
		"0x0063|0|0x00000000|success":   1,
		"0x0063|51|0x00000000|success":  1,
		"0x0070|32|0x11020100|success":  93,
		"0x0070|33|0x11020100|success":  24,
		"0x0070|34|0x11020100|success":  24,
		"0x0070|36|0x11020100|success":  20,
		"0x0070|40|0x11020100|success":  1,
		"0x0070|72|0x11020100|success":  24,
		"0x0070|186|0x11020100|success": 41,
		"0x0070|269|0x11020100|success": 40,
	}))
	add(compareTallies(t, "cip", tallies(logs["cip"], "direction", "cip_service_code", "cip_status_code", "class_id", "instance_id", "connection_id"), map[string]int{
		"request|0x03||0x73|0x01|0x007c0b01": 20,
		"request|0x03||0x8b|0x01|0x007c0b01": 72,
		"request|0x04||0x8b|0x01|0x007c0b01": 1,
		"request|0x0a||0x02|0x01|0x007c0b01": 41,
		"response|0x03|0x00|||0x80fe0028":    92,
		"response|0x04|0x00|||0x80fe0028":    1,
		"response|0x0a|0x00|||0x80fe0028":    40,
	}))
	// Sequence counts per connection: tshark's cip.seq, 1929..2062 for
	// the 134 requests (sum 267397), 1929..2061 for the 133 responses
	// (sum 265335).
	for conn, want := range map[string][4]int{"0x007c0b01": {1929, 2062, 134, 267397}, "0x80fe0028": {1929, 2061, 133, 265335}} {
		got := [4]int{1 << 30, 0, 0, 0}
		for _, r := range logs["cip"] {
			if r["connection_id"] != conn {
				continue
			}
			var s int
			fmt.Sscan(fmt.Sprint(r["cip_sequence_count"]), &s)
			got[0], got[1], got[2], got[3] = min(got[0], s), max(got[1], s), got[2]+1, got[3]+s
		}
		total++
		if got == want {
			agree++
		} else {
			t.Errorf("connection %s sequence counts (min, max, n, sum) %v, tshark %v", conn, got, want)
		}
	}
	// The Identity item: tshark -O enip reads Vendor ID 0x0001, Device
	// Type 12, Product Code 58, Revision 4.03, Status 0x0030, Serial
	// Number 0x00524d8e, Product Name 1756-ENBT/A, State 0x03, version 1,
	// sin_port 44818, sin_addr 10.1.1.164.
	add(compareTallies(t, "enip_list_identity", tallies(logs["enip_list_identity"], "encapsulation_version", "socket_address", "socket_port",
		"vendor_id", "device_type_id", "product_code", "revision", "device_status", "serial_number", "product_name", "device_state"), map[string]int{
		"1|10.1.1.164|44818|1|12|58|4.3|0x0030|0x00524d8e|1756-ENBT/A|3": 1,
	}))
	t.Logf("enip_cip_example.pcap: %d/%d records agree with tshark", agree, total)
}

// TestBACnetDiscoveryAgainstTshark compares bacnet_discovery.log on the
// ICSNPP BACnet captures with tshark's reading of their Who-Is, I-Am,
// Who-Has and I-Have requests:
//
//	tshark -r FILE -Y 'bacapp.type == 1 && bacapp.unconfirmed_service in {0 1 7 8}' \
//	  -T fields -E occurrence=a -e bacapp.unconfirmed_service -e bacapp.objectType \
//	  -e bacapp.instance_number -e bacapp.vendor_identifier -e bacapp.object_name
//
// An I-Have names the device first, then the object. The names of
// bacnet_segmented_data.pcap's I-Haves are in the IBM/Microsoft DBCS
// character set, which Vigil logs empty, as ICSNPP does.
func TestBACnetDiscoveryAgainstTshark(t *testing.T) {
	dir := testcorpus.Require(t, "icsnpp-bacnet", "testing", "traces")
	// bacnet_example.pcap: 7 Who-Is and, seven times each, the I-Am of 30
	// devices (instance:vendor).
	example := map[string]int{"who-is||||||||All": 7}
	for _, d := range strings.Fields(`136:134 165:212 199:206 203:173 276:167 278:46 303:103 322:53 329:240 394:251
		407:181 416:138 439:130 440:215 456:123 489:100 501:85 508:139 565:107 652:133 661:22 663:221 674:165
		696:26 721:15 771:230 777:51 788:116 840:65 850:162`) {
		inst, vendor, _ := strings.Cut(d, ":")
		example["i-am|||device|"+inst+"||"+vendor+"|1024|"] = 7
	}
	cases := []struct {
		pcap string
		want map[string]int
	}{
		{"bacnet_error_reject_abort.pcap", map[string]int{
			"i-am|||device|101||1337|1024|":         1,
			"i-have|device|61|device|61|SYNERGY|||": 1,
			"who-has|||||SYNERGY|||All":             1,
			"who-is||||||||All":                     1,
		}},
		{"bacnet_example.pcap", example},
		{"bacnet_segmented_data.pcap", map[string]int{
			"i-am|||device|0||154|1024|":          4,
			"i-am|||device|254||154|1024|":        3,
			"i-have|device|254|accumulator|4||||": 1,
			"i-have|device|254|accumulator|5||||": 1,
			"who-has|||accumulator|5||||All":      1,
			"who-is||||||||All":                   1,
		}},
	}
	agree, total := 0, 0
	for _, c := range cases {
		out := runPipeline(t, filepath.Join(dir, c.pcap), true)
		recs, err := ReadJSONLog(filepath.Join(out, "bacnet_discovery.log"))
		if err != nil {
			t.Fatal(err)
		}
		a, n := compareTallies(t, c.pcap, tallies(recs, "pdu_service", "device_id_type", "device_id_number", "object_type",
			"instance_number", "object_name", "vendor_id", "max_apdu", "range"), c.want)
		agree, total = agree+a, total+n
	}
	t.Logf("ICSNPP BACnet captures: %d/%d discovery records agree with tshark", agree, total)
}
