package assets

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// The corpus tables: for captures whose protocols reveal devices (DHCP,
// DHCPv6, mDNS, SSDP, MQTT, CoAP, Modbus, DNP3, BACnet), the hosts,
// names, vendors and roles the inventory must find, checked against the
// traffic (tshark and the analysis' own logs). Records come from the
// repository's own analysis (analyze.Run); the packet facts are not
// needed.

// hostWant is what one host must show; empty fields are not checked,
// strings are prefixes.
type hostWant struct {
	key      string   // an address or a MAC of the host
	mac      string   // the host's MAC ("-": none)
	vendor   string   // MAC vendor prefix
	addrs    []string // addresses it must hold
	names    []string // "name/source"
	os       string
	class    string
	device   string
	roles    []string
	services []string // "proto/port"
}

type corpusCase struct {
	name     string
	path     string // under the corpus
	all      bool   // public addresses: every sender is a host
	facts    bool   // the inventory is an analysis consumer: packet facts too
	hosts    []hostWant
	findings []string // "kind@host"
	absent   []string // finding kinds that must not be raised
}

var corpusCases = []corpusCase{
	// DHCP
	{name: "dhcp/zeek-dhcp", path: "zeek/testing/btest/Traces/dhcp/dhcp.pcap", all: true, hosts: []hostWant{
		{key: "90:b1:1c:99:49:29", vendor: "Dell", addrs: []string{"128.2.6.189"}, names: []string{"btest.is.cool/dhcp"}},
		{key: "128.2.6.152", roles: []string{"dhcp server"}, device: "Aruba access point", services: []string{"udp/67"}},
	}},
	{name: "dhcp/foxio-grandstream", path: "foxio-ja4/pcap/dhcp.pcapng", hosts: []hostWant{
		{key: "00:0b:82:01:fc:42", vendor: "Grandstream", addrs: []string{"192.168.0.10"}, class: "voip"},
		{key: "192.168.0.1", roles: []string{"dhcp server"}, services: []string{"udp/67"}},
	}},
	{name: "dhcp/windows-xp", path: "tcpdump/tests/eapon1.pcap", hosts: []hostWant{
		{key: "00:04:23:57:a5:7a", names: []string{"DJP95S0J/dhcp"}, os: "Windows XP", class: "workstation"},
	}},
	{name: "dhcp/windows-10", path: "suricata-verify/tests/decode-dce/input.pcap", hosts: []hostWant{
		{key: "5c:f3:fc:a9:33:8d", names: []string{"WinSniff2/dhcp"}, os: "Windows 8.1/10", class: "workstation"},
	}},
	{name: "dhcp/nintendo-wii", path: "suricata-verify/tests/decode-teredo-01/input.pcap", hosts: []hostWant{
		{key: "00:1a:e9:9d:53:b7", vendor: "Nintendo", names: []string{"Wii/dhcp"}, class: "game-console", device: "Nintendo Wii"},
	}},
	{name: "dhcp/busybox-udhcpc", path: "suricata-verify/tests/dhcp-option-52-overload/input.pcap", hosts: []hostWant{
		{key: "92:dd:a4:8d:5f:de", addrs: []string{"10.100.0.50"}, os: "Linux (BusyBox", class: "iot"},
		{key: "10.100.0.2", roles: []string{"dhcp server"}},
	}},
	{name: "dhcp/synology-nas", path: "suricata-verify/tests/dhcp-eve-extended/input.pcap", hosts: []hostWant{
		{key: "00:11:32:17:49:f0", vendor: "Synology", addrs: []string{"10.16.1.4"}, names: []string{"nas1/dhcp"}, os: "Linux", class: "nas"},
	}},
	{name: "dhcp/bootcamp-macbook", path: "suricata-verify/tests/dhcp-eve-extended-option-60/input.pcap", hosts: []hostWant{
		// Named a MacBook, asks for Windows 7's options: Windows wins.
		{key: "28:cf:da:dc:8d:76", vendor: "Apple", names: []string{"NicksMacBook/dhcp"}, os: "Windows 7", class: "workstation"},
	}},
	// DHCPv6
	{name: "dhcpv6/raspberry-pi", path: "tcpdump/tests/dhcpv6-mud.pcap", all: true, hosts: []hostWant{
		// The SOLICITs come through a relay agent (a global source, port
		// 547): its address is not the Pi's.
		{key: "b8:27:eb:b8:53:c8", vendor: "Raspberry Pi", names: []string{"raspberrypi/dhcp"}, os: "Linux 4.1", device: "Raspberry Pi"},
		{key: "2001:8a8:1006:4:223:ebff:fe10:2c29", mac: "00:23:eb:10:2c:29"},
	}},
	{name: "dhcpv6/virtualbox", path: "foxio-ja4/pcap/dhcpv6.pcap", hosts: []hostWant{
		{key: "08:00:27:fe:8f:95", vendor: "PCS Systemtechnik", device: "virtual machine", addrs: []string{"fe80::a00:27ff:fefe:8f95"}},
		{key: "fe80::a00:27ff:fed4:10bb", mac: "08:00:27:d4:10:bb", vendor: "PCS Systemtechnik", roles: []string{"dhcp server"}, services: []string{"udp/547"}},
	}},
	{name: "dhcpv6/cable-modem", path: "tcpdump/tests/dhcpv6-vendor-specific-information.pcap", hosts: []hostWant{
		{key: "54:d4:6f:fa:10:9a", class: "router", device: "cable modem"}, // relayed: no address
	}},
	{name: "dhcp+dhcpv6+ssdp/windows-and-router", path: "suricata-verify/tests/output-eve-ftp-data/input.pcap", hosts: []hostWant{
		// The DHCPv6 DUID holds another interface's MAC (08:2e:5f:…); the
		// link-local address it sent from is this NIC's (ND): one host.
		{key: "68:5d:43:8b:f9:de", addrs: []string{"192.168.0.13", "fe80::9154:c66f:8d0e:33cb"}, names: []string{"jaekuryu-HP/dhcp"},
			os: "Windows 7", class: "workstation"},
		{key: "192.168.0.1", roles: []string{"dhcp server", "upnp device", "upnp internet gateway"}, class: "router", services: []string{"udp/67", "udp/1900"}},
	}, findings: []string{"upnp_exposed@192.168.0.1"}},
	// mDNS
	{name: "mdns/zeek-qemu-vm", path: "zeek/testing/btest/Traces/dns/mdns.pcap", hosts: []hostWant{
		// The VM announced its IPv4 and IPv6 addresses for its name; its
		// EUI-64 link-local address gives its MAC.
		{key: "10.0.2.7", mac: "8a:3c:d6:e1:4d:c4", names: []string{"johanna-qemu-virtual-machine.local/mdns"},
			addrs: []string{"10.0.2.7", "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4", "fe80::883c:d6ff:fee1:4dc4"}},
	}},
	{name: "mdns/imac-device-info", path: "suricata-verify/tests/ipv6-evasion/ipv6-malformed-fragments-9/frag-9.pcap", hosts: []hostWant{
		{key: "fe80::4b6:2b35:b860:803f", names: []string{"john’s imac/mdns-service"}, os: "macOS", class: "workstation", device: "Apple iMac"},
	}},
	// SSDP
	{name: "ssdp/tomato-router", path: "suricata-verify/tests/sip-ssdp-pm/ssdp.pcap", hosts: []hostWant{
		{key: "192.168.1.1", os: "Linux (Tomato", class: "router", device: "Tomato router", roles: []string{"upnp device"},
			services: []string{"udp/1900", "tcp/7406"}},
	}, findings: []string{"upnp_exposed@192.168.1.1"}},
	{name: "ssdp/tp-link-router", path: "zeek/testing/btest/Traces/raw_packets.pcap", hosts: []hostWant{
		{key: "192.168.1.1", class: "router", device: "TP-Link TL-WDR3600", roles: []string{"upnp internet gateway"}, services: []string{"udp/1900"}},
	}, findings: []string{"upnp_exposed@192.168.1.1"}},
	// MQTT
	{name: "mqtt/zeek-paho", path: "zeek/testing/btest/Traces/mqtt.pcap", all: true, hosts: []hostWant{
		{key: "198.41.30.241", roles: []string{"mqtt broker"}, services: []string{"tcp/1883"}},
		{key: "10.0.1.4", roles: []string{"mqtt client"}},
	}, findings: []string{"mqtt_anonymous@198.41.30.241", "mqtt_cleartext@198.41.30.241"},
		absent: []string{"mqtt_wildcard_subscription"}},
	// Modbus
	{name: "modbus/suricata", path: "suricata-verify/tests/modbus/modbus.pcap", hosts: []hostWant{
		{key: "10.0.0.3", class: "ics", roles: []string{"modbus server (PLC/RTU)"}, services: []string{"tcp/502"}},
		{key: "10.0.0.57", roles: []string{"modbus client (master / HMI)"}},
		{key: "10.0.0.9", roles: []string{"modbus client (master / HMI)"}},
	}, findings: []string{"ics_write_new_writer@10.0.0.3"}},
	{name: "modbus/zeek-small", path: "zeek/testing/btest/Traces/modbus/modbusSmall.pcap", all: true, hosts: []hostWant{
		{key: "118.189.96.132", class: "ics", roles: []string{"modbus server (PLC/RTU)", "modbus client (master / HMI)"}},
	}, absent: []string{"ics_write_new_writer"}},
	// DNP3
	{name: "dnp3/zeek-udp-write", path: "zeek/testing/btest/Traces/dnp3/dnp3_udp_write.pcap", hosts: []hostWant{
		{key: "192.168.80.12", class: "ics", roles: []string{"dnp3 outstation"}, services: []string{"udp/20000"}},
		{key: "192.168.80.160", roles: []string{"dnp3 master"}},
	}, absent: []string{"ics_write_new_writer"}},
	{name: "dnp3/suricata-write", path: "suricata-verify/tests/dnp3/dnp3-write/input.pcap", all: true, hosts: []hostWant{
		{key: "130.126.142.250", roles: []string{"dnp3 master"}},
	}},
	// Packet facts: TCP SYN fingerprints, ARP, neighbour discovery.
	{name: "facts/macos-syn", path: "foxio-ja4/pcap/macos_tcp_flags.pcap", facts: true, hosts: []hostWant{
		{key: "172.16.5.16", mac: "9a:4b:87:d9:e9:6e", os: "Apple macOS/iOS"},
	}},
	{name: "facts/arp", path: "zeek/testing/btest/Traces/arp-who-has.pcap", facts: true, hosts: []hostWant{
		{key: "10.0.0.1", mac: "f8:ed:a5:c0:a4:f1", vendor: "ARRIS"},
		{key: "10.0.0.2", mac: "78:31:c1:c6:3f:c2", vendor: "Apple", os: "Apple"},
	}},
	{name: "facts/wikipedia", path: "zeek/testing/btest/Traces/wikipedia.pcap", all: true, facts: true, hosts: []hostWant{
		{key: "141.142.220.118", mac: "00:24:7e:e0:1d:b5", os: "Linux 2.6"},
		{key: "00:13:7f:be:8c:ff", vendor: "Cisco", class: "router", addrs: []string{"141.142.220.1"}},
		{key: "141.142.220.50", mac: "00:17:f2:d7:cf:65", vendor: "Apple", names: []string{"gemini/mdns-service"},
			addrs: []string{"fe80::217:f2ff:fed7:cf65"}},
	}},
	{name: "facts/nd", path: "zeek/testing/btest/Traces/icmp/icmp6-nd-options.pcap", facts: true, hosts: []hostWant{
		{key: "00:0c:29:0e:4c:67", vendor: "VMware", device: "virtual machine",
			addrs: []string{"fe80::20c:29ff:fe0e:4c67", "2001:db8:0:1:fd97:f9f0:a810:782e"}},
		{key: "c2:00:54:f5:00:00", class: "router", roles: []string{"ipv6 router"}, addrs: []string{"fe80::c000:54ff:fef5:0"}},
	}},
	// BACnet
	{name: "bacnet/icsnpp-example", path: "icsnpp-bacnet/testing/traces/bacnet_example.pcap", hosts: []hostWant{
		{key: "172.20.32.100", class: "ics", roles: []string{"bacnet device"}, services: []string{"udp/47808"}},
		{key: "172.20.32.129", class: "ics", roles: []string{"bacnet device"}},
		{key: "172.20.32.200", roles: []string{"bacnet client"}},
		{key: "172.20.32.250", roles: []string{"bacnet client"}},
		// 172.20.32.250 tries reinitialize_device (with wrong passwords) on
		// devices whose master is 172.20.32.200.
	}, findings: []string{"ics_write_new_writer@172.20.32.100", "ics_write_new_writer@172.20.32.129"}},
}

func TestCorpusInventory(t *testing.T) {
	root := testcorpus.Require(t)
	for _, c := range corpusCases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(root, c.path)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("capture missing: %v", err)
			}
			inv := inventoryOfCapture(t, path, c.all, c.facts)
			checkCase(t, inv, c)
		})
	}
}

// TestCorpusCoAP: the corpus has no CoAP capture, so the test writes one
// (a GET of /.well-known/core answered 2.05 by an Espressif device) and
// runs the same analysis on it.
func TestCorpusCoAP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coap.pcap")
	writeCoAPCapture(t, path)
	inv := inventoryOfCapture(t, path, false, false)
	checkCase(t, inv, corpusCase{
		hosts: []hostWant{
			{key: "192.168.7.20", class: "iot", roles: []string{"coap server"}, services: []string{"udp/5683"}},
			{key: "192.168.7.10", roles: []string{"coap client"}},
		},
		findings: []string{"coap_exposed@192.168.7.20"},
	})
}

// inventoryOfCapture analyses a capture (one worker, checksums ignored as
// for offloaded captures) and feeds every log to a new inventory, or,
// with facts, makes the inventory a consumer of the analysis (records
// and packet facts as they come, the way vigil analyze runs it).
func inventoryOfCapture(t *testing.T, path string, all, facts bool) *Inventory {
	t.Helper()
	inv := newInv(t, func(c *Config) { c.AllHosts = all })
	cfg := analyze.DefaultConfig()
	cfg.OutDir = t.TempDir()
	cfg.Workers = 1
	cfg.Flow.IgnoreChecksums = true
	if facts {
		cfg.Consumers = []analyze.Consumer{inv}
	}
	if _, err := analyze.Run(context.Background(), cfg, []string{path}); err != nil {
		t.Logf("analyze %s: %v", filepath.Base(path), err)
	}
	if !facts {
		feedDir(t, inv, cfg.OutDir)
	}
	if err := inv.Close(); err != nil {
		t.Fatal(err)
	}
	if s := inv.Stats(); s.Errors > 0 {
		t.Errorf("%d records did not parse: %s", s.Errors, s.LastError)
	}
	return inv
}

func checkCase(t *testing.T, inv *Inventory, c corpusCase) {
	t.Helper()
	hosts := inv.Hosts()
	for _, w := range c.hosts {
		checkHost(t, host(t, hosts, w.key), w)
	}
	have := map[string]bool{}
	for _, f := range inv.Findings() {
		have[f.Kind+"@"+f.Host] = true
		have[f.Kind] = true
		checkFindingEvidence(t, f)
	}
	for _, f := range c.findings {
		if !have[f] {
			t.Errorf("no finding %s; have %s", f, kinds(inv))
		}
	}
	for _, k := range c.absent {
		if have[k] {
			t.Errorf("unexpected %s finding: %s", k, kinds(inv))
		}
	}
}

func checkHost(t *testing.T, h *Host, w hostWant) {
	t.Helper()
	switch {
	case w.mac == "-" && h.MAC != "", w.mac != "" && w.mac != "-" && h.MAC != w.mac:
		t.Errorf("%s: MAC %q, want %q", w.key, h.MAC, w.mac)
	}
	if !strings.HasPrefix(h.Vendor, w.vendor) {
		t.Errorf("%s: vendor %q, want %q…", w.key, h.Vendor, w.vendor)
	}
	for _, a := range w.addrs {
		if !containsAddr(h, a) {
			t.Errorf("%s: no address %s in %s", w.key, a, addrList(h))
		}
	}
	for _, n := range w.names {
		name, source, _ := strings.Cut(n, "/")
		if !hasName(h, name, source) {
			t.Errorf("%s: no name %s; names %+v", w.key, n, h.Names)
		}
	}
	for what, g := range map[string]struct {
		got  *Guess
		want string
	}{"os": {h.OS, w.os}, "class": {h.Class, w.class}, "device": {h.Device, w.device}} {
		if g.want != "" && !strings.HasPrefix(guessValue(g.got), g.want) {
			t.Errorf("%s: %s %+v, want %s…", w.key, what, g.got, g.want)
		}
	}
	for _, r := range w.roles {
		if !hasRole(h, r) {
			t.Errorf("%s: no role %q; roles %+v", w.key, r, h.Roles)
		}
	}
	for _, s := range w.services {
		proto, port, _ := strings.Cut(s, "/")
		if !hasServicePort(h, proto, port) {
			t.Errorf("%s: no service %s; services %s", w.key, s, serviceList(h))
		}
	}
}

func containsAddr(h *Host, a string) bool {
	for _, x := range h.Addrs {
		if x.Addr == a {
			return true
		}
	}
	return false
}

func hasServicePort(h *Host, proto, port string) bool {
	for _, s := range h.Services {
		if s.Proto == proto && itoa(int(s.Port)) == port {
			return true
		}
	}
	return false
}

// writeCoAPCapture writes a pcap with one CoAP exchange: a confirmable
// GET /.well-known/core from 192.168.7.10 and its piggybacked 2.05
// Content answer from 192.168.7.20 (MAC 24:0a:c4:…, Espressif).
func writeCoAPCapture(t *testing.T, path string) {
	t.Helper()
	req := []byte{0x42, 0x01, 0x12, 0x34, 0xab, 0xcd, 0xbb}
	req = append(req, ".well-known"...)
	req = append(req, 0x04)
	req = append(req, "core"...)
	resp := []byte{0x62, 0x45, 0x12, 0x34, 0xab, 0xcd, 0xc1, 40, 0xff}
	resp = append(resp, `</sensors/temp>;rt="temperature"`...)
	client := frameAddr{mac: [6]byte{0x3c, 0x22, 0xfb, 0xaa, 0xbb, 0xcc}, ip: [4]byte{192, 168, 7, 10}, port: 50123}
	server := frameAddr{mac: [6]byte{0x24, 0x0a, 0xc4, 0x11, 0x22, 0x33}, ip: [4]byte{192, 168, 7, 20}, port: 5683}
	var pcap []byte
	pcap = binary.LittleEndian.AppendUint32(pcap, 0xa1b2c3d4)
	pcap = binary.LittleEndian.AppendUint16(pcap, 2)
	pcap = binary.LittleEndian.AppendUint16(pcap, 4)
	pcap = append(pcap, make([]byte, 8)...)
	pcap = binary.LittleEndian.AppendUint32(pcap, 65535)
	pcap = binary.LittleEndian.AppendUint32(pcap, 1) // Ethernet
	pcap = appendRecord(pcap, 1700000000, 0, udpFrame(client, server, req))
	pcap = appendRecord(pcap, 1700000000, 20000, udpFrame(server, client, resp))
	if err := os.WriteFile(path, pcap, 0o644); err != nil {
		t.Fatal(err)
	}
}

type frameAddr struct {
	mac  [6]byte
	ip   [4]byte
	port uint16
}

func appendRecord(dst []byte, sec, usec uint32, frame []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, sec)
	dst = binary.LittleEndian.AppendUint32(dst, usec)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(frame)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(frame)))
	return append(dst, frame...)
}

// udpFrame builds an Ethernet/IPv4/UDP frame (UDP checksum 0: none).
func udpFrame(src, dst frameAddr, payload []byte) []byte {
	f := append(append([]byte{}, dst.mac[:]...), src.mac[:]...)
	f = append(f, 0x08, 0x00)
	ip := []byte{0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip = append(append(ip, src.ip[:]...), dst.ip[:]...)
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip))
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[0:], src.port)
	binary.BigEndian.PutUint16(udp[2:], dst.port)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	return append(append(append(f, ip...), udp...), payload...)
}

func ipChecksum(h []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(h); i += 2 {
		s += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
