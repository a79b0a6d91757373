package eve

import (
	"os"
	"path/filepath"
	"testing"
)

// cutEVE is a Suricata eve.json whose first line is the end of an event
// cut off (a file split by size, a copy taken while Suricata wrote), then
// an alert and a flow event, whole.
const cutEVE = `6","dest_port":80,"proto":"TCP","tx_id":0,"http":{"hostname":"www.example.com","url":"/","status":200,"length":39}}
{"timestamp":"2026-01-01T10:00:01.000000+0000","flow_id":1,"event_type":"alert","src_ip":"198.51.100.7","src_port":80,"dest_ip":"192.0.2.16","dest_port":54186,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","severity":2}}
{"timestamp":"2026-01-01T10:00:02.000000+0000","flow_id":1,"event_type":"flow","src_ip":"192.0.2.16","src_port":54186,"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":6,"pkts_toclient":4,"bytes_toserver":500,"bytes_toclient":900,"start":"2026-01-01T10:00:00.000000+0000","end":"2026-01-01T10:00:01.500000+0000","age":1,"state":"closed","reason":"timeout","alerted":true}}
`

// TestSniffCutFirstLine: an EVE file whose first line was cut is EVE all
// the same; the cut line is skipped and counted, the rest read.
func TestSniffCutFirstLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eve.json")
	if err := os.WriteFile(path, []byte(cutEVE), 0o644); err != nil {
		t.Fatal(err)
	}
	if !Sniff(path) {
		t.Errorf("Sniff = false: a file of Suricata events whose first line was cut is not taken for EVE")
	}
	alerts, recs, _, r := readAll(t, path)
	if len(alerts) != 1 || len(recs["conn"]) != 1 || r.Malformed != 1 {
		t.Errorf("reader: %d alerts, %d conn, %d malformed; want 1, 1, 1", len(alerts), len(recs["conn"]), r.Malformed)
	}
	// A text whose second line is an event but whose first is no cut
	// event is not EVE.
	other := filepath.Join(t.TempDir(), "notes.json")
	if err := os.WriteFile(other, []byte("some notes\n"+cutEVE[len("6\",\"dest_port\":80,\"proto\":\"TCP\",\"tx_id\":0,\"http\":{\"hostname\":\"www.example.com\",\"url\":\"/\",\"status\":200,\"length\":39}}\n"):]), 0o644); err != nil {
		t.Fatal(err)
	}
	if Sniff(other) {
		t.Errorf("Sniff(%s) = true for a text file", other)
	}
}

// TestDNSv1Answers: EVE DNS version 1 (Suricata 2 to 4) logs one event
// per answer record, rdata at the top of the dns object, in the
// response's direction (src_ip is the server). Each answer is a dns.log
// record with the client as originator and its answer.
func TestDNSv1Answers(t *testing.T) {
	const v1 = `{"timestamp":"2017-03-14T10:00:00.100000+0000","flow_id":7,"event_type":"dns","src_ip":"192.0.2.5","src_port":40000,"dest_ip":"198.51.100.53","dest_port":53,"proto":"UDP","dns":{"type":"query","id":4660,"rrname":"example.com","rrtype":"A","tx_id":0}}
{"timestamp":"2017-03-14T10:00:00.120000+0000","flow_id":7,"event_type":"dns","src_ip":"198.51.100.53","src_port":53,"dest_ip":"192.0.2.5","dest_port":40000,"proto":"UDP","dns":{"type":"answer","id":4660,"rcode":"NOERROR","rrname":"example.com","rrtype":"A","ttl":300,"rdata":"203.0.113.34"}}
{"timestamp":"2017-03-14T10:00:00.120000+0000","flow_id":7,"event_type":"dns","src_ip":"198.51.100.53","src_port":53,"dest_ip":"192.0.2.5","dest_port":40000,"proto":"UDP","dns":{"type":"answer","id":4660,"rcode":"NOERROR","rrname":"example.com","rrtype":"A","ttl":300,"rdata":"203.0.113.35"}}
`
	path := filepath.Join(t.TempDir(), "eve.json")
	if err := os.WriteFile(path, []byte(v1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, recs, _, _ := readAll(t, path)
	dns := recs["dns"]
	if len(dns) != 2 {
		t.Fatalf("%d dns.log records, want one per answer: %v", len(dns), dns)
	}
	for i, want := range []string{"203.0.113.34", "203.0.113.35"} {
		r := dns[i]
		if a, _ := r["answers"].([]any); len(a) != 1 || a[0] != want {
			t.Errorf("record %d answers = %v, want [%s]", i, r["answers"], want)
		}
		if r["id.orig_h"] != "192.0.2.5" || r["id.resp_h"] != "198.51.100.53" || r["id.resp_p"] != float64(53) {
			t.Errorf("record %d: %v:%v → %v:%v, want the client 192.0.2.5 → 198.51.100.53:53", i,
				r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"])
		}
	}
}
