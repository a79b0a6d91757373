package lab

import (
	"net"
	"net/netip"
	"strconv"
)

// Prefix starts the name of every network namespace of the lab; a namespace
// with this prefix belongs to the lab and is removed by Clean.
const Prefix = "vgl-"

// The lab's address plan. Every range is private or reserved for
// documentation, and exists only inside the lab's namespaces: no namespace
// of the lab has a link to the host's network or a route beyond the lab.
var (
	lanNet4     = netip.MustParsePrefix("10.66.0.0/24")
	lanNet6     = netip.MustParsePrefix("fd66::/64")        // static ULA addresses
	slaacNet6   = netip.MustParsePrefix("2001:db8:66::/64") // announced by radvd for SLAAC
	outsideNet4 = netip.MustParsePrefix("203.0.113.0/24")
	outsideNet6 = netip.MustParsePrefix("2001:db8:ff::/64")
	// tunnelNet4 is iodine's tunnel network (between ws1 and ext, inside
	// the DNS tunnel).
	tunnelNet4 = netip.MustParsePrefix("10.99.0.0/27")
	// rogueNet6 is the prefix the rogue router announces.
	rogueNet6 = netip.MustParsePrefix("2001:db8:bad::/64")
	// smuggleNet4 and smuggleNet6 number the ipv6-tunnel scenario's TUN
	// devices (IPv6 carried in UDP between ws1 and ext).
	smuggleNet4 = netip.MustParsePrefix("10.99.0.32/30")
	smuggleNet6 = netip.MustParsePrefix("2001:db8:7e::/64")
)

// DNS names served by the lab's resolver (dnsmasq on srv).
const (
	lanDomain    = "lab.example"
	c2Name       = "c2.evil.example"
	tunnelDomain = "t.evil.example"  // iodine's domain, delegated to ext
	ampName      = "big.lab.example" // large TXT records (amplification)
)

// Host is one machine of the lab: a network namespace with one Ethernet
// interface (eth0; the router also has eth1 to the outside).
type Host struct {
	Name string // short name: srv, ws1 …
	Role string // what it plays, for people
	// Octet is the last byte of the host's addresses and MAC.
	Octet byte
	// Outside hosts live on the outside segment, behind the router.
	Outside bool
}

// NS is the host's network namespace.
func (h Host) NS() string { return Prefix + h.Name }

// MAC is the host's fixed, locally administered MAC address.
func (h Host) MAC() net.HardwareAddr {
	if h.Outside {
		return net.HardwareAddr{0x02, 0x66, 0x00, 0x00, 0x01, h.Octet}
	}
	return net.HardwareAddr{0x02, 0x66, 0x00, 0x00, 0x00, h.Octet}
}

// IPv4 is the host's IPv4 address.
func (h Host) IPv4() netip.Addr {
	if h.Outside {
		return hostAddr(outsideNet4, h.Octet)
	}
	return hostAddr(lanNet4, h.Octet)
}

// IPv6 is the host's static IPv6 address, whose last group reads like
// the IPv4 address's last byte (10.66.0.21 and fd66::21).
func (h Host) IPv6() netip.Addr {
	if h.Outside {
		return hostAddr6(outsideNet6, h.Octet)
	}
	return hostAddr6(lanNet6, h.Octet)
}

// SLAAC is the address the host forms from the router's announced prefix
// (EUI-64 from its MAC); LAN hosts other than the router only.
func (h Host) SLAAC() netip.Addr { return eui64(slaacNet6, h.MAC()) }

// LinkLocal is the host's EUI-64 link-local address.
func (h Host) LinkLocal() netip.Addr {
	return eui64(netip.MustParsePrefix("fe80::/64"), h.MAC())
}

func hostAddr(p netip.Prefix, octet byte) netip.Addr {
	b := p.Addr().AsSlice()
	b[len(b)-1] = octet
	a, _ := netip.AddrFromSlice(b)
	return a
}

// hostAddr6 is the address in p whose last group is n's decimal digits
// read as hexadecimal.
func hostAddr6(p netip.Prefix, n byte) netip.Addr {
	v, _ := strconv.ParseUint(strconv.Itoa(int(n)), 16, 16)
	b := p.Addr().As16()
	b[14], b[15] = byte(v>>8), byte(v)
	return netip.AddrFrom16(b)
}

// eui64 is the address in prefix p with the modified EUI-64 interface
// identifier of mac (RFC 4291 appendix A).
func eui64(p netip.Prefix, mac net.HardwareAddr) netip.Addr {
	b := p.Addr().As16()
	b[8] = mac[0] ^ 0x02
	b[9], b[10] = mac[1], mac[2]
	b[11], b[12] = 0xff, 0xfe
	b[13], b[14], b[15] = mac[3], mac[4], mac[5]
	return netip.AddrFrom16(b)
}

// The hosts. The switch (vgl-sw) is not a host: it holds the LAN bridge and
// no address.
var (
	hostRouter = Host{Name: "rtr", Role: "router: IPv4/IPv6 forwarding, radvd (SLAAC), link to the outside", Octet: 1}
	hostServer = Host{Name: "srv", Role: "server: ssh, telnet, http/https, dns+dhcp, ftp, mqtt, ntp", Octet: 10}
	hostWS1    = Host{Name: "ws1", Role: "workstation: browsing, ssh, ntp", Octet: 21}
	hostWS2    = Host{Name: "ws2", Role: "workstation: dns, dhcp, ftp, coap, ping", Octet: 22}
	hostIoT    = Host{Name: "iot", Role: "IoT hub/camera: busybox-like telnet (root/xc3511 on 23 and 2323), web admin login form (admin/1234 on 80), open mqtt broker, coap", Octet: 30}
	hostAtk    = Host{Name: "atk", Role: "attacker on the LAN", Octet: 66}
	hostExt    = Host{Name: "ext", Role: "outside: C2 and exfiltration server (https), iodined", Octet: 10, Outside: true}
)

const switchNS = Prefix + "sw"

// lanHosts are the hosts attached to the LAN bridge, router first.
var lanHosts = []Host{hostRouter, hostServer, hostWS1, hostWS2, hostIoT, hostAtk}

// allHosts are every host of the lab.
var allHosts = append(append([]Host(nil), lanHosts...), hostExt)

// Hosts lists the lab's hosts (for documentation and `vigil lab list`).
func Hosts() []Host { return append([]Host(nil), allHosts...) }

// benignHosts are the hosts whose traffic is the benign background.
var benignHosts = []Host{hostServer, hostWS1, hostWS2, hostIoT, hostRouter}
