package insight

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// corpusAlerts analyses one corpus capture and returns its alerts.
func corpusAlerts(t *testing.T, path ...string) []map[string]any {
	t.Helper()
	_, out := run(t, testcorpus.Require(t, path...))
	return readJSONLines(t, filepath.Join(out, "alerts.log"))
}

// TestSNMPTrapIsNoLogin: an SNMPv1 trap (agent 192.168.0.2 → manager
// 192.168.0.1 udp/162) carries community "public". A trap is a
// notification the agent sends: nobody logged in to anything, and the
// trap community says nothing about what the agent's read community
// accepts. Vigil raises a critical iot.default_creds "192.168.0.2 logged
// in to 192.168.0.2 (snmp) with the default credentials community public"
// (and "sent a login to 192.168.0.2"): a host logging in to itself.
func TestSNMPTrapIsNoLogin(t *testing.T) {
	alerts := corpusAlerts(t, "suricata-verify", "tests", "firewall", "ruletype-firewall-54-snmp-v1-trap",
		"public-wiresharkwiki-c06-snmpv1-trap-app-r1-1-12.pcap")
	for _, a := range alerts {
		s := fmt.Sprint(a["summary"])
		src := fmt.Sprint(a["src"])
		if sev := fmt.Sprint(a["severity"]); a["class"] == "iot.default_creds" && (sev == "1" || sev == "1.0") {
			t.Errorf("a trap raised a critical default-credential login: %s", s)
		}
		if strings.Contains(s, "logged in to "+src+" ") || strings.Contains(s, "sent a login to "+src+" ") {
			t.Errorf("alert says %s logged in to itself: %s", src, s)
		}
	}
}

// TestUDPTunnelNamed: IPv6 carried in Geneve (udp/6081 between
// 10.0.0.1 and 10.0.0.2) is reported as "IP-level tunnel (parent
// CDeZzUOgLjxL)" with empty src and dst: the UDP encapsulation's own
// connection and tunnel.log name both ends, but the IPv6 monitor only
// knows Teredo/AYIYA parents and IP/GRE tunnel.log entries. The same
// happens for GTP-U (gtp7_ipv6.pcap) and tcpdump's gso-ipv4-geneve-ipv6.
func TestUDPTunnelNamed(t *testing.T) {
	for _, c := range []struct {
		path     []string
		src, dst string
	}{
		{[]string{"zeek", "testing", "btest", "Traces", "tunnels", "geneve-ipv6.pcap"}, "10.0.0.1", "10.0.0.2"},
		{[]string{"zeek", "testing", "btest", "Traces", "tunnels", "gtp", "gtp7_ipv6.pcap"}, "118.92.124.41", "118.92.124.72"},
	} {
		t.Run(c.path[len(c.path)-1], func(t *testing.T) {
			for _, a := range corpusAlerts(t, c.path...) {
				if a["class"] != "ipv6.tunnel" {
					continue
				}
				s := fmt.Sprint(a["summary"])
				if a["src"] != c.src || a["dst"] != c.dst || strings.Contains(s, "IP-level") {
					t.Errorf("tunnel alert src %q dst %q (want %s ↔ %s): %s", a["src"], a["dst"], c.src, c.dst, s)
				}
			}
		})
	}
}

// TestCorruptARPNoSpoof: tcpdump's arp-oobr.pcap is one LAN's ARP
// with bit errors (fuzzed for an out-of-bounds read). 192.168.1.104
// (00:1f:29:da:2d:79) asks for its gateway every 4 s; 135 one-off
// corrupted sender MACs claim its address once each, in frames whose
// Ethernet source is still 00:1f:29:da:2d:79. Vigil raises 9 arp.spoof
// alerts, one "00:1f:29:da:2d:f3 impersonated 192.168.1.104 ... 340
// binding changes, poisoning 14 hosts" against a MAC that sent a single
// frame.
func TestCorruptARPNoSpoof(t *testing.T) {
	for _, a := range corpusAlerts(t, "tcpdump", "tests", "arp-oobr.pcap") {
		if a["class"] == "arp.spoof" {
			t.Errorf("arp.spoof on a corrupted capture: %s", a["summary"])
		}
	}
}
