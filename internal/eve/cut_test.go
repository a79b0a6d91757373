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
