package assets

import (
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Synthetic packet facts: the fields internal/analyze/facts.go writes.
const (
	synLinux   = `{"ts":100.5,"v":4,"src":"192.168.1.10","src_p":40000,"dst":"93.184.216.34","dst_p":443,"src_mac":"b8:27:eb:01:02:03","ttl":64,"df":true,"ip_len":60,"win":64240,"mss":1460,"wscale":7,"sack_ok":true,"tsopt":true,"opts":"M,S,T,N,W","seq":1,"ack":false}`
	synWindows = `{"ts":101,"v":4,"src":"192.168.1.20","src_p":50000,"dst":"93.184.216.34","dst_p":443,"src_mac":"00:15:5d:00:00:01","ttl":128,"df":true,"ip_len":52,"win":64240,"mss":1460,"wscale":8,"sack_ok":true,"tsopt":false,"opts":"M,N,W,N,N,S","seq":1,"ack":false}`
	synApple   = `{"ts":102,"v":4,"src":"192.168.1.30","src_p":50001,"dst":"93.184.216.34","dst_p":443,"src_mac":"a4:83:e7:00:00:01","ttl":64,"df":true,"ip_len":64,"win":65535,"mss":1460,"wscale":6,"sack_ok":true,"tsopt":true,"opts":"M,N,W,N,N,T,S,E,E","seq":1,"ack":false}`
	// Linux options, an unusual window: half the rule's confidence.
	synLinuxOddWin = `{"ts":103,"v":4,"src":"192.168.1.40","src_p":40000,"dst":"93.184.216.34","dst_p":443,"ttl":63,"df":true,"win":12345,"mss":1460,"wscale":7,"opts":"M,S,T,N,W","ack":false}`
	// No rule has these options: the TTL rule speaks.
	synUnknown = `{"ts":104,"v":4,"src":"192.168.1.50","src_p":40000,"dst":"93.184.216.34","dst_p":443,"ttl":120,"df":true,"win":1000,"mss":1460,"opts":"M,N,S,?","ack":false}`
	synLwIP    = `{"ts":105,"v":4,"src":"192.168.1.60","src_p":49153,"dst":"192.168.1.2","dst_p":1883,"src_mac":"24:0a:c4:00:00:01","ttl":255,"df":false,"win":5744,"mss":1436,"opts":"M","ack":false}`
)

func TestSYNFingerprints(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "_syn", synLinux, synWindows, synApple, synLinuxOddWin, synUnknown, synLwIP)
	hosts := inv.Hosts()
	for _, c := range []struct {
		addr, os, rule string
		conf           float64
	}{
		{"192.168.1.10", "Linux 3.x+", "tcp-linux", 0.6},
		{"192.168.1.20", "Windows 10/11", "tcp-windows10", 0.7},
		{"192.168.1.30", "Apple macOS/iOS", "tcp-apple", 0.7},
		{"192.168.1.40", "Linux 3.x+", "tcp-linux~", 0.3},
		{"192.168.1.50", "Windows (TTL 128)", "ttl-128", 0.3},
		{"192.168.1.60", "lwIP (embedded RTOS)", "tcp-lwip", 0.5},
	} {
		h := host(t, hosts, c.addr)
		if h.OS == nil {
			t.Errorf("%s: no OS guess", c.addr)
			continue
		}
		ev := h.OS.Evidence
		if !strings.HasPrefix(h.OS.Value, c.os) || !hasEvidenceRule(ev, c.rule, "_syn", c.conf) {
			t.Errorf("%s: OS %q evidence %+v, want %s by rule %s", c.addr, h.OS.Value, ev, c.os, c.rule)
		}
	}
	// The SYN's source MAC binds the address (b8:27:eb is the Raspberry
	// Pi Foundation's): the vendor's OS vote adds up with the SYN's.
	pi := host(t, hosts, "192.168.1.10")
	if pi.MAC != "b8:27:eb:01:02:03" || !strings.HasPrefix(pi.Vendor, "Raspberry Pi") || guessValue(pi.Device) != "Raspberry Pi" {
		t.Errorf("pi: %+v", pi)
	}
	if pi.OS.Confidence <= 0.6 {
		t.Errorf("pi: OS confidence %v, want SYN and vendor combined", pi.OS.Confidence)
	}
	if esp := host(t, hosts, "192.168.1.60"); guessValue(esp.Class) != "iot" {
		t.Errorf("lwIP host class %+v", esp.Class)
	}
}

func hasEvidenceRule(ev []Evidence, rule, log string, conf float64) bool {
	for _, e := range ev {
		if e.Rule == rule && e.Log == log && e.Confidence == conf {
			return true
		}
	}
	return false
}

func TestARPAndGateway(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "_arp",
		`{"ts":1,"op":2,"src_mac":"00:11:32:aa:bb:cc","src_ip":"10.1.1.5","dst_mac":"00:0c:29:00:00:01","dst_ip":"10.1.1.1"}`,
		`{"ts":2,"op":1,"src_mac":"00:0c:29:00:00:09","src_ip":"0.0.0.0","dst_mac":"00:00:00:00:00:00","dst_ip":"10.1.1.9"}`)
	// The router's MAC carries six routed local addresses: a gateway, not
	// their owner.
	for i, a := range []string{"10.2.0.1", "10.2.0.2", "10.2.0.3", "10.2.0.4", "10.2.0.5", "10.2.0.6"} {
		feed(inv, "conn", `{"ts":`+itoa(10+i)+`,"uid":"Cg`+itoa(i)+`","id.orig_h":"`+a+`","id.orig_p":5000,"id.resp_h":"10.1.1.5","id.resp_p":445,"proto":"tcp","service":"smb","conn_state":"SF","history":"ShADadFf","orig_bytes":100,"resp_bytes":200,"orig_pkts":5,"resp_pkts":5,"orig_ip_bytes":300,"resp_ip_bytes":400,"orig_l2_addr":"00:00:5e:00:01:01","resp_l2_addr":"00:11:32:aa:bb:cc"}`)
	}
	hosts := inv.Hosts()
	nas := host(t, hosts, "10.1.1.5")
	if nas.MAC != "00:11:32:aa:bb:cc" || nas.Addrs[0].Source != "arp" || guessValue(nas.Class) != "nas" {
		t.Errorf("nas: %+v", nas)
	}
	if s := hasService(nas, "tcp", 445); s == nil || s.Conns != 6 || s.Clients != 6 || s.Name != "smb" {
		t.Errorf("nas services %+v", nas.Services)
	}
	if nas.Traffic.ConnsIn != 6 || nas.Traffic.BytesSent != 6*400 || nas.Traffic.BytesRecv != 6*300 {
		t.Errorf("nas traffic %+v", nas.Traffic)
	}
	gw := host(t, hosts, "00:00:5e:00:01:01")
	if !gw.Gateway || guessValue(gw.Class) != "router" || len(gw.Addrs) != 0 {
		t.Errorf("gateway %+v", gw)
	}
	if h := host(t, hosts, "10.2.0.3"); h.MAC != "" {
		t.Errorf("routed address bound to %s", h.MAC)
	}
	// An ARP probe (sender 0.0.0.0) binds nothing.
	for _, h := range hosts {
		if h.MAC == "00:0c:29:00:00:09" {
			t.Errorf("probe made a host: %+v", h)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestNeighbourDiscovery(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "_nd",
		`{"ts":1,"type":"ra","src":"fe80::1","dst":"ff02::1","src_mac":"00:0d:b9:00:00:01","hop_limit":255,"flags":"O","prf":"medium","cur_hop_limit":64,"router_lifetime":1800,"reachable":0,"retrans":0,"ll_addr":"00:0d:b9:00:00:01","prefixes":[{"prefix":"2001:db8:1::/64","flags":"LA","valid":86400,"preferred":14400}],"options":"1,3"}`,
		`{"ts":2,"type":"ns","src":"::","dst":"ff02::1:ff00:5","src_mac":"3c:22:fb:00:00:05","hop_limit":255,"target":"2001:db8:1::5","options":""}`,
		`{"ts":3,"type":"na","src":"2001:db8:1::5","dst":"fe80::1","src_mac":"3c:22:fb:00:00:05","hop_limit":255,"flags":"SO","target":"2001:db8:1::5","ll_addr":"3c:22:fb:00:00:05","options":"2"}`)
	// A global address of the advertised prefix is local now.
	feed(inv, "conn", `{"ts":4,"uid":"C6","id.orig_h":"2001:db8:1::7","id.orig_p":5000,"id.resp_h":"2001:db8:ff::1","id.resp_p":443,"proto":"tcp","conn_state":"SF","history":"ShADadFf","orig_pkts":3,"resp_pkts":3}`)
	hosts := inv.Hosts()
	r := host(t, hosts, "fe80::1")
	if r.MAC != "00:0d:b9:00:00:01" || !hasRole(r, "ipv6 router") || guessValue(r.Class) != "router" {
		t.Errorf("router %+v", r)
	}
	h := host(t, hosts, "2001:db8:1::5")
	if h.MAC != "3c:22:fb:00:00:05" || h.Addrs[0].Source != "nd" || !strings.HasPrefix(h.Vendor, "Apple") {
		t.Errorf("ND host %+v", h)
	}
	host(t, hosts, "2001:db8:1::7")
}

func TestDHCPFingerprintAndNames(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "dhcp",
		`{"ts":10,"uids":["Cd1","Cd2"],"client_addr":"192.168.0.13","server_addr":"192.168.0.1","mac":"68:5d:43:8b:f9:de","host_name":"DESKTOP-AB12CD3","client_fqdn":"DESKTOP-AB12CD3.corp.example","requested_addr":"192.168.0.13","assigned_addr":"192.168.0.13","lease_time":604800.0,"msg_types":["REQUEST","ACK"],"duration":0.1,"client_software":"MSFT 5.0","requested_options":[1,3,6,15,31,33,43,44,46,47,119,121,249,252],"vendor_class":"MSFT 5.0"}`,
		`{"ts":11,"uids":["Cd3"],"mac":"3c:28:6d:00:00:01","host_name":"Pixel-7","requested_addr":"192.168.0.14","assigned_addr":"192.168.0.14","msg_types":["REQUEST","ACK"],"duration":0.0,"requested_options":[1,3,6,15,26,28,51,58,59,43],"vendor_class":"android-dhcp-13"}`,
		`{"ts":12,"uids":["Cd4"],"mac":"02:00:00:00:00:99","requested_addr":"192.168.0.99","assigned_addr":"192.168.0.99","msg_types":["DISCOVER","OFFER"],"duration":0.0}`)
	hosts := inv.Hosts()
	pc := host(t, hosts, "68:5d:43:8b:f9:de")
	if !hasName(pc, "DESKTOP-AB12CD3", "dhcp") || !hasName(pc, "DESKTOP-AB12CD3.corp.example", "dhcp-fqdn") {
		t.Errorf("pc names %+v", pc.Names)
	}
	if guessValue(pc.OS) != "Windows 10/11" || pc.OS.Confidence < 0.9 || guessValue(pc.Class) != "workstation" {
		t.Errorf("pc OS %+v class %+v", pc.OS, pc.Class)
	}
	if len(pc.Addrs) != 1 || pc.Addrs[0].Addr != "192.168.0.13" || pc.Addrs[0].Source != "dhcp" {
		t.Errorf("pc addrs %+v", pc.Addrs)
	}
	phone := host(t, hosts, "3c:28:6d:00:00:01")
	if guessValue(phone.OS) != "Android 13" || guessValue(phone.Class) != "phone" {
		t.Errorf("phone OS %+v class %+v", phone.OS, phone.Class)
	}
	srv := host(t, hosts, "192.168.0.1")
	if !hasRole(srv, "dhcp server") || hasService(srv, "udp", 67) == nil {
		t.Errorf("server %+v", srv)
	}
	// An address only offered (no ACK) is not bound.
	if h := host(t, hosts, "02:00:00:00:00:99"); len(h.Addrs) != 0 || !h.RandomMAC {
		t.Errorf("offered-only client %+v", h)
	}
}

func TestDNSNames(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "conn",
		`{"ts":1,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","service":"dns","orig_pkts":1,"resp_pkts":1}`,
		`{"ts":1,"uid":"C2","id.orig_h":"10.0.0.7","id.orig_p":5353,"id.resp_h":"224.0.0.251","id.resp_p":5353,"proto":"udp","service":"dns","orig_pkts":2}`)
	feed(inv, "dns",
		// A forward answer names a local address; the external one is no host.
		`{"ts":1,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","query":"files.corp.example","qtype_name":"A","rcode":0,"answers":["10.0.0.5","93.184.216.34"]}`,
		`{"ts":2,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","query":"53.0.0.10.in-addr.arpa","qtype_name":"PTR","rcode":0,"answers":["ns1.corp.example"]}`,
		// An mDNS announcement: host name, service types, instance name, TXT.
		`{"ts":3,"uid":"C2","id.orig_h":"10.0.0.7","id.orig_p":5353,"id.resp_h":"224.0.0.251","id.resp_p":5353,"proto":"udp","query":"Office Printer._ipp._tcp.local","rcode":0,"AA":true,"answers":["TXT 18 ty=HP LaserJet 400 TXT 19 pdl=application/pdf","Office Printer._ipp._tcp.local","npi1a2b3c.local"]}`,
		`{"ts":4,"uid":"C2","id.orig_h":"10.0.0.7","id.orig_p":5353,"id.resp_h":"224.0.0.251","id.resp_p":5353,"proto":"udp","query":"npi1a2b3c.local","rcode":0,"AA":true,"answers":["10.0.0.7","fe80::1234:5678:9abc:def0"]}`,
		// NetBIOS name registration.
		`{"ts":5,"uid":"C3","id.orig_h":"10.0.0.9","id.orig_p":137,"id.resp_h":"10.0.0.255","id.resp_p":137,"proto":"udp","query":"WORKPC","opcode":5,"opcode_name":"netbios-registration"}`)
	hosts := inv.Hosts()
	if h := host(t, hosts, "10.0.0.5"); !hasName(h, "files.corp.example", "dns") {
		t.Errorf("dns name: %+v", h.Names)
	}
	if h := host(t, hosts, "10.0.0.53"); !hasName(h, "ns1.corp.example", "dns-ptr") {
		t.Errorf("ptr name: %+v", h.Names)
	}
	p := host(t, hosts, "10.0.0.7")
	if !hasName(p, "npi1a2b3c.local", "mdns") || !hasName(p, "Office Printer", "mdns-service") {
		t.Errorf("mdns names %+v", p.Names)
	}
	if guessValue(p.Class) != "printer" || !hasRole(p, "printer") || guessValue(p.Device) != "HP LaserJet 400" {
		t.Errorf("printer class %+v device %+v roles %+v", p.Class, p.Device, p.Roles)
	}
	// The link-local address the printer announced for itself joins it.
	if len(p.Addrs) != 2 || p.Addrs[1].Source != "mdns" {
		t.Errorf("printer addrs %+v", p.Addrs)
	}
	if h := host(t, hosts, "10.0.0.9"); !hasName(h, "WORKPC", "nbns") {
		t.Errorf("nbns %+v", h.Names)
	}
	for _, h := range hosts {
		if h.Key == "93.184.216.34" {
			t.Errorf("external answer became a host")
		}
	}
}

func TestBannersAndCertificates(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "ssh", `{"ts":1,"uid":"Cs","id.orig_h":"10.0.0.5","id.orig_p":5000,"id.resp_h":"10.0.0.22","id.resp_p":22,"auth_success":true,"auth_attempts":1,"client":"SSH-2.0-PuTTY_Release_0.78","server":"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1"}`)
	feed(inv, "http", `{"ts":2,"uid":"Ch","id.orig_h":"10.0.0.5","id.orig_p":5001,"id.resp_h":"10.0.0.80","id.resp_p":80,"method":"GET","host":"cam.local","uri":"/","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","status_code":200,"server":"Hikvision-Webs"}`)
	feed(inv, "conn", `{"ts":2,"uid":"Ch","id.orig_h":"10.0.0.5","id.orig_p":5001,"id.resp_h":"10.0.0.80","id.resp_p":80,"proto":"tcp","service":"http","conn_state":"SF","history":"ShADadFf","orig_pkts":5,"resp_pkts":5,"orig_ip_bytes":500,"resp_ip_bytes":900}`)
	// The certificate comes after the ssl record for one server, before
	// it for the other.
	feed(inv, "ssl", `{"ts":3,"uid":"Ct","id.orig_h":"10.0.0.5","id.orig_p":5002,"id.resp_h":"10.0.0.44","id.resp_p":443,"version":"TLSv10","cipher":"TLS_RSA_WITH_AES_128_CBC_SHA","server_name":"nas.corp.example","established":true,"cert_chain_fps":["fp1"]}`)
	feed(inv, "x509",
		`{"ts":3,"fingerprint":"fp1","certificate.subject":"CN=nas.corp.example,O=Synology Inc.","certificate.issuer":"CN=nas.corp.example,O=Synology Inc.","certificate.not_valid_after":1900000000.0,"san.dns":["nas.corp.example","diskstation.local"],"host_cert":true}`,
		`{"ts":4,"fingerprint":"fp2","certificate.subject":"CN=printer.corp.example","certificate.issuer":"CN=CA","host_cert":true}`)
	feed(inv, "ssl", `{"ts":4,"uid":"Cu","id.orig_h":"10.0.0.5","id.orig_p":5003,"id.resp_h":"10.0.0.45","id.resp_p":443,"version":"TLSv13","established":true,"cert_chain_fps":["fp2"]}`)
	hosts := inv.Hosts()
	ssh := hasService(host(t, hosts, "10.0.0.22"), "tcp", 22)
	if ssh == nil || ssh.Software != "OpenSSH" || ssh.Version != "8.9p1" || guessValue(host(t, hosts, "10.0.0.22").OS) != "Linux (Ubuntu)" {
		t.Errorf("ssh %+v", ssh)
	}
	cam := host(t, hosts, "10.0.0.80")
	if s := hasService(cam, "tcp", 80); s == nil || s.Banner != "Hikvision-Webs" || guessValue(cam.Class) != "camera" {
		t.Errorf("camera %+v", cam)
	}
	client := host(t, hosts, "10.0.0.5")
	if guessValue(client.OS) != "Windows 10/11" {
		t.Errorf("client OS %+v", client.OS)
	}
	if len(client.Used) != 1 || client.Used[0].Name != "cam.local" || client.Used[0].BytesIn != 900 || client.Used[0].External {
		t.Errorf("client %+v", client)
	}
	nas := host(t, hosts, "10.0.0.44")
	s := hasService(nas, "tcp", 443)
	if s == nil || !strings.Contains(s.CertSubject, "Synology") || s.CertNotAfter != 1900000000 || len(s.TLSVersions) != 1 {
		t.Errorf("nas tls %+v", s)
	}
	if !hasName(nas, "nas.corp.example", "tls-cert") || !hasName(nas, "diskstation.local", "tls-cert") || guessValue(nas.Class) != "nas" {
		t.Errorf("nas %+v %+v", nas.Names, nas.Class)
	}
	if !hasName(host(t, hosts, "10.0.0.45"), "printer.corp.example", "tls-cert") {
		t.Errorf("certificate before ssl: %+v", host(t, hosts, "10.0.0.45").Names)
	}
	if f := findingsOf(inv, "tls_deprecated"); len(f) != 1 || f[0].Host != "10.0.0.44" || f[0].Value != "TLSv10" {
		t.Errorf("tls findings %+v", f)
	}
}

func TestParseSoftware(t *testing.T) {
	for _, c := range []struct{ banner, kind, sw, ver string }{
		{"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3", "ssh", "OpenSSH", "8.9p1"},
		{"SSH-2.0-dropbear_2020.81", "ssh", "dropbear", "2020.81"},
		{"SSH-2.0-Cisco-1.25", "ssh", "Cisco", "1.25"},
		{"SSH-1.99-OpenSSH_3.9p1", "ssh", "OpenSSH", "3.9p1"},
		{"nginx/1.18.0 (Ubuntu)", "http", "nginx", "1.18.0"},
		{"Microsoft-IIS/10.0", "http", "Microsoft-IIS", "10.0"},
		{"lighttpd", "http", "lighttpd", ""},
		{"Linux/3.14 UPnP/1.0 Sonos/70.3-35220 (ZPS9)", "ssdp", "Sonos", "70.3-35220"},
		{"UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6", "ssdp", "MiniUPnPd", "1.6"},
		{"8.0.36-0ubuntu0.22.04.1", "mysql", "MySQL", "8.0.36"},
		{"5.5.5-10.6.12-MariaDB-0ubuntu0.22.04.1", "mysql", "MariaDB", "10.6.12"},
		{"11.4.2-MariaDB", "mysql", "MariaDB", "11.4.2"},
		{"5.0.54", "mysql", "MySQL", "5.0.54"},
		{"garbage", "mysql", "", ""},
	} {
		sw, ver := parseSoftware(c.banner, c.kind)
		if sw != c.sw || ver != c.ver {
			t.Errorf("%q: %q %q, want %q %q", c.banner, sw, ver, c.sw, c.ver)
		}
	}
}

func TestArpaAddr(t *testing.T) {
	for name, want := range map[string]string{
		"4.3.2.1.in-addr.arpa":  "1.2.3.4",
		"4.3.2.1.in-addr.arpa.": "1.2.3.4",
		"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa": "4321:0:1:2:3:4:567:89ab",
		"1.2.3.in-addr.arpa":     "",
		"300.2.3.4.in-addr.arpa": "",
		"example.com":            "",
		"x.2.3.4.in-addr.arpa":   "",
		"g.a.9.8.ip6.arpa":       "",
	} {
		a, ok := arpaAddr(name)
		got := ""
		if ok {
			got = a.String()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func TestEUI64(t *testing.T) {
	if m := eui64MAC(mustAddr("fe80::883c:d6ff:fee1:4dc4")); m != "8a:3c:d6:e1:4d:c4" {
		t.Errorf("eui64MAC %q", m)
	}
	if m := eui64MAC(mustAddr("fe80::4b6:2b35:b860:803f")); m != "" {
		t.Errorf("privacy address gave %q", m)
	}
	if !eui64Match(mustAddr("2001:db8::211:22ff:fe33:4455"), "00:11:22:33:44:55") {
		t.Error("eui64Match")
	}
}

// TestConcurrentReaders: the API reads the inventory while the pipeline
// records (go test -race).
func TestConcurrentReaders(t *testing.T) {
	inv := newInv(t, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			inv.Hosts()
			inv.Findings()
			inv.Stats()
		}
	}()
	for i := 0; i < 50; i++ {
		scenario(inv)
		feed(inv, "_syn", synLinux, synWindows)
	}
	<-done
}

func TestDHCPv6DUIDJoinsInterfaceHost(t *testing.T) {
	inv := newInv(t, nil)
	// The DUID was made on another interface (08:2e:5f:…); ND says the
	// link-local source is this NIC's (68:5d:43:…).
	feed(inv, "dhcp",
		`{"ts":1,"uids":["C1"],"client_addr":"fe80::9154:c66f:8d0e:33cb","mac":"08:2e:5f:76:32:97","host_name":"laptop-7","msg_types":["SOLICIT"],"requested_options":[24,23,17,39],"vendor_class":"MSFT 5.0","dhcp_version":6}`,
		// Relayed: the global source is the relay agent's.
		`{"ts":2,"uids":["C2"],"client_addr":"2001:db8::1","mac":"b8:27:eb:00:00:07","host_name":"pi-7","msg_types":["SOLICIT"],"dhcp_version":6}`,
		// A client nothing else knows: the DUID's MAC owns its addresses.
		`{"ts":3,"uids":["C3"],"client_addr":"fe80::1:2:3:4","mac":"00:0c:29:00:00:44","msg_types":["REQUEST","REPLY"],"assigned_addr":"fd00::44","dhcp_version":6}`)
	feed(inv, "_nd", `{"ts":1,"type":"na","src":"fe80::9154:c66f:8d0e:33cb","dst":"ff02::1","src_mac":"68:5d:43:8b:f9:de","flags":"O","target":"fe80::9154:c66f:8d0e:33cb","ll_addr":"68:5d:43:8b:f9:de"}`)
	hosts := inv.Hosts()
	h := host(t, hosts, "fe80::9154:c66f:8d0e:33cb")
	if h.MAC != "68:5d:43:8b:f9:de" || !hasName(h, "laptop-7", "dhcp") || guessValue(h.OS) != "Windows" {
		t.Errorf("joined host %+v", h)
	}
	for _, x := range hosts {
		if x.MAC == "08:2e:5f:76:32:97" {
			t.Errorf("DUID MAC listed apart: %+v", x)
		}
	}
	if pi := host(t, hosts, "b8:27:eb:00:00:07"); len(pi.Addrs) != 0 || !hasName(pi, "pi-7", "dhcp") {
		t.Errorf("relayed client %+v", pi)
	}
	vm := host(t, hosts, "00:0c:29:00:00:44")
	if !containsAddr(vm, "fe80::1:2:3:4") || !containsAddr(vm, "fd00::44") || vm.Addrs[0].Source != "dhcpv6" {
		t.Errorf("DUID-owned addresses %+v", vm.Addrs)
	}
}

// TestTrafficOrderFree: a host's traffic counts do not depend on whether
// the connections it received come before or after its own first packet
// (with several workers, conn records arrive in no fixed order).
func TestTrafficOrderFree(t *testing.T) {
	received := `{"ts":5,"uid":"Cin","id.orig_h":"10.1.1.7","id.orig_p":5000,"id.resp_h":"10.1.1.5","id.resp_p":23,"proto":"tcp","conn_state":"S0","history":"S","orig_bytes":0,"resp_bytes":0,"orig_pkts":1,"resp_pkts":0,"orig_ip_bytes":60,"resp_ip_bytes":0}`
	sent := `{"ts":9,"uid":"Cout","id.orig_h":"10.1.1.5","id.orig_p":6000,"id.resp_h":"10.1.1.7","id.resp_p":80,"proto":"tcp","conn_state":"SF","history":"ShADadFf","orig_bytes":10,"resp_bytes":20,"orig_pkts":4,"resp_pkts":4,"orig_ip_bytes":300,"resp_ip_bytes":400}`
	var got []Traffic
	for _, order := range [][]string{{received, sent}, {sent, received}} {
		inv := newInv(t, nil)
		feed(inv, "conn", order...)
		got = append(got, host(t, inv.Hosts(), "10.1.1.5").Traffic)
	}
	want := Traffic{ConnsOut: 1, ConnsIn: 1, BytesSent: 300, BytesRecv: 460, PktsSent: 4, PktsRecv: 5}
	for i, g := range got {
		if g != want {
			t.Errorf("order %d: traffic %+v, want %+v", i, g, want)
		}
	}
}

// TestIPCacheAnswers checks that ip's cache gives the answers the map and
// the local networks give, as entities are made and networks learned.
func TestIPCacheAnswers(t *testing.T) {
	inv := newInv(t, func(c *Config) { c.LocalNets = []string{"10.0.0.0/8"} })
	remote := netip.MustParseAddr("192.0.2.7")
	local := netip.MustParseAddr("10.1.2.3")
	v6 := netip.MustParseAddr("2001:db8:1::5")

	if e := inv.ip(remote); e != nil {
		t.Fatalf("ip(%v) = %v, want nil", remote, e)
	}
	if e := inv.ip(remote); e != nil { // cached
		t.Fatalf("cached ip(%v) = %v, want nil", remote, e)
	}
	e := inv.ip(local)
	if e == nil || inv.ip(local) != e || inv.existing(local) != e {
		t.Fatalf("ip(%v) is not one entity: %v, %v", local, e, inv.ip(local))
	}

	// Link-layer evidence makes an entity for the remote address: the
	// cached "none" must not hide it.
	forced := inv.ipForce(remote)
	if forced == nil {
		t.Fatal("ipForce made no entity")
	}
	if got := inv.ip(remote); got != forced {
		t.Fatalf("ip(%v) after ipForce = %v, want %v", remote, got, forced)
	}
	if got := inv.existing(remote); got != forced {
		t.Fatalf("existing(%v) after ipForce = %v, want %v", remote, got, forced)
	}

	// A learned prefix makes its addresses local.
	if e := inv.ip(v6); e != nil {
		t.Fatalf("ip(%v) = %v before the prefix, want nil", v6, e)
	}
	inv.learnPrefix(netip.MustParsePrefix("2001:db8:1::/64"))
	if e := inv.ip(v6); e == nil || e.addr != v6 {
		t.Fatalf("ip(%v) after the prefix = %v, want an entity", v6, e)
	}
}

// TestIPCacheFull checks that a local address refused when the inventory
// is full is looked at again (and counted as dropped) each time.
func TestIPCacheFull(t *testing.T) {
	inv := newInv(t, func(c *Config) { c.LocalNets = []string{"10.0.0.0/8"}; c.MaxHosts = 1 })
	if inv.ip(netip.MustParseAddr("10.0.0.1")) == nil {
		t.Fatal("first address refused")
	}
	a := netip.MustParseAddr("10.0.0.2")
	for range 3 {
		if e := inv.ip(a); e != nil {
			t.Fatalf("ip(%v) = %v past MaxHosts, want nil", a, e)
		}
	}
	if inv.stats.Dropped != 3 {
		t.Fatalf("Dropped = %d, want 3", inv.stats.Dropped)
	}
}

// TestSYNSenderFirst checks that onSYN, which looks the sender up before
// reading the other fields, keeps the last of repeated src keys, skips
// remote senders and still fingerprints an IPv6 sender whose address
// embeds its MAC.
func TestSYNSenderFirst(t *testing.T) {
	inv := newInv(t, nil)
	remoteLast := strings.Replace(synWindows, `"src":"192.168.1.20"`, `"src":"192.168.1.20","src":"93.184.216.99"`, 1)
	localLast := strings.Replace(synLinux, `"src":"192.168.1.10"`, `"src":"93.184.216.98","src":"192.168.1.10"`, 1)
	slaac := strings.NewReplacer(`"v":4`, `"v":6`, `"192.168.1.10"`, `"2001:db8::ba27:ebff:fe0a:b0c"`,
		`"93.184.216.34"`, `"2001:db8:ffff::1"`, `b8:27:eb:01:02:03`, `b8:27:eb:0a:0b:0c`).Replace(synLinux)
	feed(inv, "_syn", remoteLast, localLast, slaac)
	hosts := inv.Hosts()
	if len(hosts) != 2 {
		t.Errorf("%d hosts, want 2 (192.168.1.10 and the SLAAC one): %+v", len(hosts), hosts)
	}
	for _, k := range []string{"192.168.1.10", "b8:27:eb:0a:0b:0c"} {
		if h := host(t, hosts, k); h.OS == nil || !hasEvidenceRule(h.OS.Evidence, "tcp-linux", "_syn", 0.6) {
			t.Errorf("%s: OS %+v, want the SYN's tcp-linux vote", k, h.OS)
		}
	}
}

// TestWeakBindingCounted checks that a MAC bound again to an address is
// counted on the binding made first, whatever its case.
func TestWeakBindingCounted(t *testing.T) {
	inv := newInv(t, nil)
	a := netip.MustParseAddr("192.168.1.10")
	e := inv.ip(a)
	for _, mac := range []string{"b8:27:eb:01:02:03", "b8:27:eb:01:02:03", "B8:27:EB:01:02:03"} {
		inv.bindWeak(e, mac)
	}
	raw := rec.MAC{0xb8, 0x27, 0xeb, 1, 2, 3}
	if e.weak[0] != (weakMAC{"b8:27:eb:01:02:03", raw, 3}) || e.weak[1].mac != "" {
		t.Errorf("weak bindings %+v", e.weak)
	}
	// conn records' MACs are counted by their bytes on the same binding
	if !e.bumpWeakRaw(raw) || e.weak[0].count != 4 || e.bumpWeakRaw(rec.MAC{0xb8, 0x27, 0xeb, 1, 2, 4}) {
		t.Errorf("weak bindings by bytes %+v", e.weak)
	}
	m := inv.macs["b8:27:eb:01:02:03"]
	if _, ok := m.weakAddrs[a]; !ok || len(m.weakAddrs) != 1 {
		t.Errorf("MAC's weak addresses %v", m.weakAddrs)
	}
}

// TestNTLMNames: an SMB login names its client (the workstation it gave)
// and its server (the DNS and NetBIOS names of its NTLM challenge).
func TestNTLMNames(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "ntlm",
		`{"ts":20,"uid":"Cn1","id.orig_h":"10.1.0.21","id.orig_p":50000,"id.resp_h":"10.1.0.10","id.resp_p":445,"username":"alice","hostname":"WS-ALICE","domainname":"CORP","server_nb_computer_name":"FILESRV","server_dns_computer_name":"filesrv.corp.example","success":true}`)
	hosts := inv.Hosts()
	if c := host(t, hosts, "10.1.0.21"); !hasName(c, "WS-ALICE", "ntlm") {
		t.Errorf("client names %+v", c.Names)
	}
	s := host(t, hosts, "10.1.0.10")
	if !hasName(s, "filesrv.corp.example", "ntlm") || !hasName(s, "FILESRV", "ntlm") {
		t.Errorf("server names %+v", s.Names)
	}
}

// TestUsedNameEscapedUID checks that a conn record finds the name its
// connection's http record used whether either writes the uid escaped.
func TestUsedNameEscapedUID(t *testing.T) {
	inv := newInv(t, nil)
	const http = `{"ts":2,"uid":%q,"id.orig_h":"10.0.0.5","id.orig_p":5001,"id.resp_h":"93.184.216.34","id.resp_p":80,"method":"GET","host":%q,"uri":"/","status_code":200}`
	const conn = `{"ts":2,"uid":%q,"id.orig_h":"10.0.0.5","id.orig_p":5001,"id.resp_h":"93.184.216.34","id.resp_p":80,"proto":"tcp","service":"http","conn_state":"SF","history":"ShADadFf","orig_pkts":5,"resp_pkts":5,"orig_ip_bytes":500,"resp_ip_bytes":900}`
	line := func(format, uid, host string) string {
		return strings.Replace(strings.Replace(format, "%q", uid, 1), "%q", host, 1)
	}
	feed(inv, "http", line(http, `"C\u0068x"`, `"a.example"`), line(http, `"Cjy"`, `"b.example"`))
	feed(inv, "conn", line(conn, `"Chx"`, ""), line(conn, `"C\u006ay"`, ""))
	client := host(t, inv.Hosts(), "10.0.0.5")
	var names []string
	for _, u := range client.Used {
		names = append(names, u.Name)
	}
	if strings.Join(names, " ") != "a.example b.example" || len(inv.uidNames) != 0 {
		t.Errorf("used %v, names left %v", names, inv.uidNames)
	}
}

// synOf returns a "_syn" fact's fields as its producer hands them with
// the line (rec.SYN), read from the line.
func synOf(t *testing.T, line []byte) *rec.SYN {
	t.Helper()
	var f rec.Rec
	if err := f.Parse("_syn", line); err != nil {
		t.Fatal(err)
	}
	y := &rec.SYN{TS: f.TS(), Src: rec.ParseAddr(f.Bytes("src")), Dst: rec.ParseAddr(f.Bytes("dst")),
		SrcP: uint16(f.Uint("src_p")), DstP: uint16(f.Uint("dst_p")),
		TTL: uint16(f.Uint("ttl")), Win: uint16(f.Uint("win")), MSS: uint16(f.Uint("mss")), WScale: -1}
	if f.Has("wscale") {
		y.WScale = int(f.Uint("wscale"))
	}
	y.DF, _ = f.Bool("df")
	y.Ack, _ = f.Bool("ack")
	for _, fl := range f.Fields() {
		switch string(f.Key(fl)) {
		case "src_mac":
			y.SrcMAC = rec.SpanOf(f.ValueSpan(fl))
		case "opts":
			y.Opts = rec.SpanOf(f.ValueSpan(fl))
		}
	}
	return y
}

// TestTypedSYNAsLine checks that "_syn" facts handed with their fields
// (rec.SYN, as the packet reader hands them) make the same hosts as the
// same lines read by key.
func TestTypedSYNAsLine(t *testing.T) {
	slaac := strings.NewReplacer(`"v":4`, `"v":6`, `"192.168.1.10"`, `"2001:db8::ba27:ebff:fe0a:b0c"`,
		`"93.184.216.34"`, `"2001:db8:ffff::1"`, `b8:27:eb:01:02:03`, `b8:27:eb:0a:0b:0c`).Replace(synLinux)
	remote := strings.Replace(synWindows, `"src":"192.168.1.20"`, `"src":"93.184.216.99"`, 1)
	synAck := strings.NewReplacer(`"ack":false`, `"ack":true`, `"ts":104`, `"ts":106.25`).Replace(synUnknown)
	lines := []string{synLinux, synWindows, synApple, synLinuxOddWin, synUnknown, synLwIP, slaac, remote, synAck}
	byKey, typed := newInv(t, nil), newInv(t, nil)
	feed(byKey, "_syn", lines...)
	var s rec.Shared
	for _, l := range lines {
		line := []byte(l)
		s.ResetSYN("_syn", line, synOf(t, line))
		typed.RecordShared(&s)
	}
	want, got := byKey.Hosts(), typed.Hosts()
	if len(want) < 7 {
		t.Fatalf("%d hosts from the lines read by key: the test fingerprints too few", len(want))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("typed _syn facts make\n%+v\nthe lines read by key\n%+v", got, want)
	}
	if !reflect.DeepEqual(byKey.Stats(), typed.Stats()) {
		t.Errorf("stats %+v, by key %+v", typed.Stats(), byKey.Stats())
	}
}

// TestMySQLServer: a MySQL greeting (the "_mysql_server" fact) names the
// service's software and version, and a distribution's build its OS.
func TestMySQLServer(t *testing.T) {
	inv := newInv(t, nil)
	feed(inv, "_mysql_server", `{"ts":1,"uid":"Cm","id.orig_h":"10.0.0.5","id.orig_p":5000,"id.resp_h":"10.0.0.33","id.resp_p":3306,"version":"5.5.5-10.6.12-MariaDB-0ubuntu0.22.04.1","auth_plugin":"mysql_native_password"}`)
	db := host(t, inv.Hosts(), "10.0.0.33")
	s := hasService(db, "tcp", 3306)
	if s == nil || s.Name != "mysql" || s.Software != "MariaDB" || s.Version != "10.6.12" || guessValue(db.OS) != "Linux (Ubuntu)" {
		t.Errorf("mysql %+v, os %+v", s, db.OS)
	}
}
