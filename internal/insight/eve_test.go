package insight

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// eveFlow is one Suricata flow event's tuple, packets and bytes each way,
// and the flags each side sent (hex, as Suricata writes them; none when
// both are "").
type eveFlow struct {
	src, dst                                string
	dport, pktsTS, bytesTS, pktsTC, bytesTC int
	flagsTS, flagsTC                        string
}

// eveFlows writes n Suricata flow events made by flow(i), 10 ms apart.
func eveFlows(t *testing.T, n int, flow func(i int) eveFlow) string {
	t.Helper()
	var b strings.Builder
	start := time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		f := flow(i)
		if f.dst == "" {
			f.dst = "192.168.1.10"
		}
		ts := start.Add(time.Duration(i) * 10 * time.Millisecond).Format("2006-01-02T15:04:05.000000-0700")
		tcp := "" // no flags: an event without its tcp object
		if f.flagsTS != "" || f.flagsTC != "" {
			tcp = fmt.Sprintf(`,"tcp":{"tcp_flags_ts":%q,"tcp_flags_tc":%q}`, f.flagsTS, f.flagsTC)
		}
		fmt.Fprintf(&b, `{"timestamp":%q,"flow_id":%d,"event_type":"flow","src_ip":%q,"src_port":%d,"dest_ip":%q,"dest_port":%d,"proto":"TCP",`+
			`"flow":{"pkts_toserver":%d,"pkts_toclient":%d,"bytes_toserver":%d,"bytes_toclient":%d,"start":%q,"end":%q,"state":"closed"}%s}`+"\n",
			ts, 1000+i, f.src, 30000+i%30000, f.dst, f.dport, f.pktsTS, f.pktsTC, f.bytesTS, f.bytesTC, ts, ts, tcp)
	}
	path := filepath.Join(t.TempDir(), "eve.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEVEFlows: a Suricata deployment's flow events are read as Vigil's
// own connections. A busy TLS server's completed exchanges (6,000 flows
// from 1,000 clients in a minute), with or without flags, and downloads
// Suricata picked up mid-stream raise nothing; before flow events carried
// a conn_state and payload bytes, they made a SYN flood or a scan.
// Spoofed SYNs that are never answered are one, a client refused on 100
// ports a vertical scan, a half-open scan of open ports a horizontal one.
func TestEVEFlows(t *testing.T) {
	client := func(i int) string { return fmt.Sprintf("10.1.%d.%d", i%4, 1+i%250) }
	for _, c := range []struct {
		name string
		n    int
		flow func(i int) eveFlow
		want string // "" for none
	}{
		{"busy server", 6000, func(i int) eveFlow { return eveFlow{client(i), "", 443, 12, 1800, 14, 24000, "1b", "1b"} }, ""},
		{"busy server, events without flags", 6000, func(i int) eveFlow { return eveFlow{client(i), "", 443, 12, 1800, 14, 24000, "", ""} }, ""},
		// Flows whose SYN Suricata missed (flags 00): picked up mid-stream.
		{"bulk downloads picked up mid-stream", 50, func(i int) eveFlow {
			return eveFlow{client(i), fmt.Sprintf("198.51.100.%d", 1+i), 443, 40000, 2_600_000, 80000, 118_000_000, "00", "00"}
		}, ""},
		{"spoofed SYNs", 6000, func(i int) eveFlow {
			return eveFlow{fmt.Sprintf("%d.%d.%d.%d", 1+i%200, i/200%250, i%7, 1+i%251), "", 443, 1, 60, 0, 0, "02", ""}
		}, "flood.syn"},
		{"refused on 100 ports", 100, func(i int) eveFlow { return eveFlow{"10.1.0.66", "", 1 + i, 1, 60, 1, 54, "02", "14"} }, "scan.vertical"},
		// nmap -sS of 30 hosts whose port 22 is open: SYN-ACKs with
		// options, the scanner's RST.
		{"half-open scan of open ports", 30, func(i int) eveFlow {
			return eveFlow{"10.1.0.66", fmt.Sprintf("192.168.1.%d", 10+i), 22, 2, 114, 1, 74, "06", "12"}
		}, "scan.horizontal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			classes := alertClasses(t, eveFlows(t, c.n, c.flow))
			if c.want == "" && len(classes) != 0 || c.want != "" && !classes[c.want] {
				t.Errorf("alerts %v, want %q", classes, c.want)
			}
		})
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
