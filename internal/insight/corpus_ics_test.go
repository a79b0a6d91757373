package insight

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestCorpusICSDisruptive analyses the corpus's ICS captures: the ones
// with restarts, stops, listen-only mode and disabled unsolicited
// reporting raise ics.disruptive (so many alerts, the sender and device
// named), and the captures of ordinary polling (reads, writes, selects
// and operates, file transfer, CIP tag and attribute services) raise
// none.
func TestCorpusICSDisruptive(t *testing.T) {
	zeek := []string{"zeek", "testing", "btest", "Traces"}
	sv := []string{"suricata-verify", "tests"}
	for _, c := range []struct {
		path     []string
		want     int
		src, dst string
	}{
		// Two masters: cold and warm restarts, STOP_APPL (refused:
		// IIN2.0), DISABLE_UNSOLICITED (twice, hours apart).
		{append(zeek, "dnp3", "dnp3.pcap"), 8, "10.0.0.8", "10.0.0.3"},
		// FORCE_LISTEN_ONLY_MODE ×3 and RESTART_COMMUNICATIONS_OPTION ×3.
		{append(sv, "modbus", "modbus.pcap"), 2, "10.0.0.57", "10.0.0.3"},
		{append(sv, "dnp3", "dnp3-eve", "input.pcap"), 1, "127.0.0.1", "127.0.0.1"},
		{append(zeek, "dnp3", "dnp3_read.pcap"), 0, "", ""},
		{append(zeek, "dnp3", "dnp3_write.pcap"), 0, "", ""},
		{append(zeek, "dnp3", "dnp3_select_operate.pcap"), 0, "", ""},
		{append(zeek, "dnp3", "dnp3_udp_select_operate.pcap"), 0, "", ""},
		{append(zeek, "dnp3", "dnp3_file_read.pcap"), 0, "", ""},
		{append(zeek, "dnp3", "dnp3_file_write.pcap"), 0, "", ""},
		{append(zeek, "dnp3", "dnp3_en_spon.pcap"), 0, "", ""},
		{append(zeek, "modbus", "modbus-and-non-modbus-p502.pcap"), 0, "", ""},
		{append(zeek, "modbus", "modbus-eit.pcap"), 0, "", ""},
		{append(sv, "dnp3", "dnp3-select-operate", "input.pcap"), 0, "", ""},
		{append(sv, "enip-keywords", "enip_cip_example.pcap"), 0, "", ""},
	} {
		c := c
		t.Run(filepath.Base(filepath.Join(c.path...)), func(t *testing.T) {
			_, out := run(t, testcorpus.Require(t, c.path...))
			n := 0
			for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
				if a["class"] != "ics.disruptive" {
					continue
				}
				n++
				ev, _ := a["evidence"].(map[string]any)
				if ev["protocol"] == nil || ev["command"] == nil || ev["code"] == nil || ev["acknowledged"] == nil {
					t.Errorf("evidence %v", ev)
				}
				if c.src != "" && (a["dst"] != c.dst || a["src"] != c.src && a["src"] != "10.0.0.9") {
					t.Errorf("alert %v → %v: %v", a["src"], a["dst"], a["summary"])
				}
			}
			if n != c.want {
				t.Errorf("%d ics.disruptive alerts, want %d", n, c.want)
			}
		})
	}
}
