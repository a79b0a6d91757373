package insight

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEVEAlertsReachAlertsLog: a Suricata eve.json given to analyze has its
// alert events made Vigil alerts, which the engine writes and correlates
// (they were dropped silently while Engine.Add's signature and
// analyze.AlertAdder's differed).
func TestEVEAlertsReachAlertsLog(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	line := `{"timestamp":"2024-04-29T18:00:00.500000+0000","flow_id":1,"event_type":"alert","src_ip":"10.0.0.5","src_port":40000,"dest_ip":"203.0.113.9","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2024897,"rev":1,"signature":"ET MALWARE Test trojan checkin","category":"A Network Trojan was detected","severity":1}}` + "\n"
	if err := os.WriteFile(eve, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	set, out := run(t, eve)
	alerts := readJSONLines(t, filepath.Join(out, "alerts.log"))
	if len(alerts) == 0 || len(set.Alerts()) == 0 {
		b, _ := os.ReadFile(filepath.Join(out, "eve.log"))
		t.Fatalf("the EVE alert was not imported: alerts.log has %d lines, eve.log: %s", len(alerts), strings.TrimSpace(string(b)))
	}
}
