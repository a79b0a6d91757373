package insight

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// eveFlows writes n Suricata flow events made by flow(i): source,
// destination port, packets and bytes each way, and the flags each side
// sent (hex, as Suricata writes them).
func eveFlows(t *testing.T, n int, flow func(i int) (src string, dport, pktsTS, bytesTS, pktsTC, bytesTC int, flagsTS, flagsTC string)) string {
	t.Helper()
	var b strings.Builder
	start := time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		src, dport, pTS, bTS, pTC, bTC, fTS, fTC := flow(i)
		ts := start.Add(time.Duration(i) * 10 * time.Millisecond).Format("2006-01-02T15:04:05.000000-0700")
		tcp := "" // no flags: an event without its tcp object
		if fTS != "" || fTC != "" {
			tcp = fmt.Sprintf(`,"tcp":{"tcp_flags_ts":%q,"tcp_flags_tc":%q}`, fTS, fTC)
		}
		fmt.Fprintf(&b, `{"timestamp":%q,"flow_id":%d,"event_type":"flow","src_ip":%q,"src_port":%d,"dest_ip":"192.168.1.10","dest_port":%d,"proto":"TCP",`+
			`"flow":{"pkts_toserver":%d,"pkts_toclient":%d,"bytes_toserver":%d,"bytes_toclient":%d,"start":%q,"end":%q,"state":"closed"}%s}`+"\n",
			ts, 1000+i, src, 30000+i%30000, dport, pTS, pTC, bTS, bTC, ts, ts, tcp)
	}
	path := filepath.Join(t.TempDir(), "eve.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEVEFlows: a Suricata deployment's flow events are read as Vigil's
// own connections. A busy TLS server's completed exchanges (6,000 flows
// from 1,000 clients in a minute) raise nothing; before flow events
// carried a conn_state and payload bytes, they made a SYN flood. Spoofed
// SYNs that are never answered are one, and a client refused on 100 ports
// a vertical scan.
func TestEVEFlows(t *testing.T) {
	busy := eveFlows(t, 6000, func(i int) (string, int, int, int, int, int, string, string) {
		return fmt.Sprintf("10.1.%d.%d", i%4, 1+i%250), 443, 12, 1800, 14, 24000, "1b", "1b"
	})
	if classes := alertClasses(t, busy); len(classes) != 0 {
		t.Errorf("busy server: alerts %v", classes)
	}
	noFlags := eveFlows(t, 6000, func(i int) (string, int, int, int, int, int, string, string) {
		return fmt.Sprintf("10.1.%d.%d", i%4, 1+i%250), 443, 12, 1800, 14, 24000, "", ""
	})
	if classes := alertClasses(t, noFlags); len(classes) != 0 {
		t.Errorf("busy server, events without flags: alerts %v", classes)
	}
	flood := eveFlows(t, 6000, func(i int) (string, int, int, int, int, int, string, string) {
		return fmt.Sprintf("%d.%d.%d.%d", 1+i%200, i/200%250, i%7, 1+i%251), 443, 1, 60, 0, 0, "02", ""
	})
	if classes := alertClasses(t, flood); !classes["flood.syn"] {
		t.Errorf("spoofed SYNs: alerts %v, want flood.syn", classes)
	}
	scan := eveFlows(t, 100, func(i int) (string, int, int, int, int, int, string, string) {
		return "10.1.0.66", 1 + i, 1, 60, 1, 54, "02", "14"
	})
	if classes := alertClasses(t, scan); !classes["scan.vertical"] {
		t.Errorf("refused on 100 ports: alerts %v, want scan.vertical", classes)
	}
}

// alertClasses analyses inputs and returns the classes of their alerts.
func alertClasses(t *testing.T, inputs ...string) map[string]bool {
	t.Helper()
	_, out := run(t, inputs...)
	classes := map[string]bool{}
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		classes[fmt.Sprint(a["class"])] = true
	}
	return classes
}
