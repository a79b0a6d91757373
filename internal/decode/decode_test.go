package decode

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"unsafe"
)

// tcase is one table test: a frame, the anomalies Decode must record (in
// order, exactly), whether it is truncated, and field checks.
type tcase struct {
	name  string
	link  LinkType
	data  []byte
	cfg   *Config
	anoms []AnomalyKind
	trunc bool
	// wire is the frame's length on the wire (0: 1500, more than any
	// case's data: a shorter frame was cut by the snap length).
	wire     int
	skipCsum bool // TransportChecksumOK is not expected to hold
	check    func(t *testing.T, p *Packet)
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// ipIs checks the innermost datagram's addresses and protocol.
func ipIs(t *testing.T, p *Packet, ver uint8, src, dst string, proto uint8) {
	t.Helper()
	eq(t, "IP.Version", p.IP.Version, ver)
	eq(t, "IP.Src", p.IP.Src, mustAddr(src))
	eq(t, "IP.Dst", p.IP.Dst, mustAddr(dst))
	eq(t, "IP.Proto", p.IP.Proto, proto)
}

func portsAre(t *testing.T, d *Datagram, sp, dp uint16, l4 int) {
	t.Helper()
	eq(t, "SrcPort", d.SrcPort, sp)
	eq(t, "DstPort", d.DstPort, dp)
	eq(t, "L4Len", d.L4Len, l4)
	eq(t, "HasL4", d.HasL4, true)
}

func tunnelsAre(t *testing.T, p *Packet, kinds ...TunnelKind) {
	t.Helper()
	var got []TunnelKind
	for i := 0; i < int(p.NumTunnels); i++ {
		got = append(got, p.Tunnels[i].Kind)
	}
	if !slices.Equal(got, kinds) {
		t.Errorf("tunnels = %v, want %v", got, kinds)
	}
}

// outerIs checks tunnel i's outer datagram.
func outerIs(t *testing.T, p *Packet, i int, src, dst string, proto uint8, sp, dp uint16, l4 int) {
	t.Helper()
	if i >= int(p.NumTunnels) {
		t.Fatalf("no tunnel %d (have %d)", i, p.NumTunnels)
	}
	o := &p.Tunnels[i].Outer
	eq(t, "Outer.Src", o.Src, mustAddr(src))
	eq(t, "Outer.Dst", o.Dst, mustAddr(dst))
	eq(t, "Outer.Proto", o.Proto, proto)
	eq(t, "Outer.SrcPort", o.SrcPort, sp)
	eq(t, "Outer.DstPort", o.DstPort, dp)
	eq(t, "Outer.L4Len", o.L4Len, l4)
	if proto == ProtoUDP {
		eq(t, "Outer.HasL4", o.HasL4, true)
	}
}

func tcp4Inner(t *testing.T, p *Packet) {
	t.Helper()
	ipIs(t, p, 4, "10.0.0.1", "10.0.0.2", ProtoTCP)
	portsAre(t, &p.IP, 40000, 80, len(payloadHello))
	eq(t, "Payload", string(p.Payload), string(payloadHello))
}

func udp6Inner(t *testing.T, p *Packet) {
	t.Helper()
	ipIs(t, p, 6, "2001:db8::1", "2001:db8::2", ProtoUDP)
	portsAre(t, &p.IP, 5353, 53, len(payloadHello))
	eq(t, "Payload", string(p.Payload), string(payloadHello))
}

var (
	macC = [6]byte{0x02, 0, 0, 0, 0, 0x0c}
	macD = [6]byte{0x02, 0, 0, 0, 0, 0x0d}
)

// innerEth is an Ethernet header with other MACs than ethHdr's.
func innerEth(et uint16) []byte { return cat(macD[:], macC[:], u16(et)) }

func greHdr(flags, proto uint16, extra ...[]byte) []byte {
	return cat(append([][]byte{u16(flags), u16(proto)}, extra...)...)
}

func gtpHdr(flags, typ uint8, inner []byte, opt ...[]byte) []byte {
	o := cat(opt...)
	return cat([]byte{flags, typ}, u16(uint16(len(o)+len(inner))), u32(0x11223344), o, inner)
}

func geneveHdr(optWords int, proto uint16, inner []byte) []byte {
	return cat([]byte{byte(optWords), 0}, u16(proto), u32(0x00abcd00), make([]byte, optWords*4), inner)
}

// ayiyaHdr builds an AYIYA header: identity 2^idN bytes, signature 4*sigN
// bytes (hash method 2, so sigN 5 gives the 0x52 byte Zeek detects),
// authentication method 1, the opcode, the next header.
func ayiyaHdr(idN, sigN, op, next uint8, inner []byte) []byte {
	return cat([]byte{idN<<4 | 1, sigN<<4 | 2, 0x10 | op, next}, u32(0x4af64bfd), make([]byte, 1<<idN), bytes.Repeat([]byte{0xee}, 4*int(sigN)), inner)
}

// wlanQoS is an 802.11 QoS data frame header (to DS) whose QoS control
// field starts with qos (0x80: A-MSDU present).
func wlanQoS(qos byte) []byte {
	return cat([]byte{0x88, 0x01, 0, 0}, macB[:], macA[:], macC[:], u16(0), []byte{qos, 0})
}

// amsduSub is an A-MSDU subframe header (destination, source, length)
// before sub.
func amsduSub(sub []byte) []byte { return cat(macB[:], macA[:], u16(uint16(len(sub))), sub) }

var snap4 = []byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00}

func nested4in4(n int) []byte {
	b := sampleTCP4()
	for i := 0; i < n; i++ {
		b = v4{src: netip.AddrFrom4([4]byte{1, 1, 1, byte(i + 1)}).String(), dst: "2.2.2.2", proto: ProtoIPIP}.build(b)
	}
	return b
}

func decodeCases() []tcase {
	tcp4 := sampleTCP4()
	udp6 := sampleUDP6()
	eth4 := func(ip []byte) []byte { return cat(ethHdr(EtherTypeIPv4), ip) }
	eth6 := func(ip []byte) []byte { return cat(ethHdr(EtherTypeIPv6), ip) }
	syn4 := v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn}.build(nil))
	udp4 := func(ulen int, n int) []byte {
		return v4{proto: ProtoUDP}.build(udpLen(1000, 2000, ulen, make([]byte, n)))
	}
	cut := func(b []byte, n int) []byte { return b[:len(b)-n] }
	mfrag := v4{proto: ProtoUDP, mf: true, id: 77}.build(udp(1, 2, make([]byte, 32)))
	vx := func(port uint16, inner []byte) []byte {
		return eth4(v4{src: "172.16.0.1", dst: "172.16.0.2", proto: ProtoUDP}.build(udp(55555, port, inner)))
	}
	gre4 := func(g []byte) []byte { return eth4(v4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoGRE}.build(g)) }
	udpOuter := func(sp, dp uint16, payload []byte) []byte {
		return eth4(v4{src: "172.16.0.1", dst: "172.16.0.2", proto: ProtoUDP}.build(udp(sp, dp, payload)))
	}
	noTunnels := DefaultConfig()
	noTunnels.DecodeTunnels = false
	vxlanAlt := DefaultConfig()
	vxlanAlt.VXLANPorts = []uint16{8472}
	max2 := DefaultConfig()
	max2.MaxExtHeaders = 2
	var deepDst []ext
	for i := 0; i < 17; i++ {
		deepDst = append(deepDst, dstExt())
	}
	teredoOrigin := cat(u16(0), u16(0x1234), u32(0x01020304))
	teredoAuth := cat(u16(1), []byte{2, 3}, []byte{0xaa, 0xbb}, []byte{1, 2, 3}, make([]byte, 9))
	bubble := v6{src: "2001::1", dst: "2001::2"}.build(nil, ProtoNoNext, nil)
	bigPlen := v6{plen: 100, plenSet: true}.build(nil, ProtoUDP, udp(1, 2, nil))
	teredoSrc := v6{src: "2001:0:4137:9e50::1", dst: "2001:db8::2"}.build(nil, ProtoUDP, udp(5353, 53, payloadHello))
	teredoDst := v6{src: "2001:db8::2", dst: "2001:0:4137:9e50::1"}.build(nil, ProtoUDP, udp(5353, 53, payloadHello))
	noDetect := DefaultConfig()
	noDetect.NoTunnelDetection = true

	return []tcase{
		// ---- link layers ----
		{name: "eth/ipv4/tcp", link: LinkEthernet, data: sampleEthTCP4(), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "HasEth", p.HasEth, true)
			eq(t, "SrcMAC", p.SrcMAC, macA)
			eq(t, "DstMAC", p.DstMAC, macB)
			eq(t, "EtherType", p.EtherType, uint16(EtherTypeIPv4))
			eq(t, "TTL", p.IP.TTL, uint8(64))
			eq(t, "IPLen", p.IP.IPLen, 52)
			eq(t, "HeaderLen", p.IP.HeaderLen, 20)
			eq(t, "Seq", p.IP.Seq, uint32(1000))
			eq(t, "Ack", p.IP.Ack, uint32(2000))
			eq(t, "TCPFlags", p.IP.TCPFlags, uint8(TCPAck|TCPPsh))
			eq(t, "Window", p.IP.Window, uint16(65535))
			eq(t, "len(IPRaw)", len(p.IPRaw), 52)
			eq(t, "CapLen", p.CapLen, 66)
			eq(t, "TS", p.TS, int64(12345))
			eq(t, "WireLen", p.WireLen, 1500)
		}},
		{name: "eth/padding", link: LinkEthernet, data: cat(eth4(syn4), make([]byte, 6)), check: func(t *testing.T, p *Packet) {
			eq(t, "len(IPRaw)", len(p.IPRaw), 40)
			eq(t, "len(Payload)", len(p.Payload), 0)
			eq(t, "L4Len", p.IP.L4Len, 0)
			eq(t, "TCPFlags", p.IP.TCPFlags, uint8(TCPSyn))
		}},
		{name: "802.3/snap", link: LinkEthernet, data: cat(macB[:], macA[:], u16(uint16(8+len(tcp4))), []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(0x0800), tcp4), check: tcp4Inner},
		{name: "802.3/stp", link: LinkEthernet, data: cat(macB[:], macA[:], u16(38), []byte{0x42, 0x42, 3}, make([]byte, 35)), check: func(t *testing.T, p *Packet) {
			eq(t, "HasEth", p.HasEth, true)
			eq(t, "IP.Version", p.IP.Version, uint8(0))
		}},
		{name: "802.3/snap-short", link: LinkEthernet, data: cat(macB[:], macA[:], u16(5), []byte{0xaa, 0xaa, 3, 0}), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "vlan", link: LinkEthernet, data: cat(ethHdr(EtherTypeVLAN), tag(100, EtherTypeIPv4), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "NumVLANs", p.NumVLANs, uint8(1))
			eq(t, "VLANs[0]", p.VLANs[0], uint16(100))
			eq(t, "EtherType", p.EtherType, uint16(EtherTypeIPv4))
		}},
		{name: "qinq", link: LinkEthernet, data: cat(ethHdr(EtherTypeQinQ), tag(10, EtherTypeVLAN), tag(20, EtherTypeIPv4), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "NumVLANs", p.NumVLANs, uint8(2))
			eq(t, "VLANs", p.VLANs, [2]uint16{10, 20})
		}},
		{name: "qinqinq", link: LinkEthernet, data: cat(ethHdr(EtherTypeQinQ), tag(1, EtherTypeVLAN), tag(2, EtherTypeQinQOld1), tag(3, EtherTypeIPv6), udp6), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "NumVLANs", p.NumVLANs, uint8(2))
			eq(t, "VLANs", p.VLANs, [2]uint16{1, 2})
		}},
		{name: "vlan/llc-snap", link: LinkEthernet, data: cat(ethHdr(EtherTypeVLAN), tag(3, uint16(8+len(tcp4))), []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv4), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "VLANs[0]", p.VLANs[0], uint16(3))
		}},
		{name: "vlan/truncated", link: LinkEthernet, data: cat(ethHdr(EtherTypeVLAN), []byte{0, 1}), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "vntag", link: LinkEthernet, data: cat(ethHdr(EtherTypeVNTag), u32(0x80010002), u16(EtherTypeIPv4), tcp4), check: tcp4Inner},
		{name: "pbb", link: LinkEthernet, data: cat(ethHdr(EtherTypePBB), u32(0x00000100), macC[:], macD[:], u16(EtherTypeVLAN), tag(7, EtherTypeIPv4), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "VLANs[0]", p.VLANs[0], uint16(7))
		}},
		{name: "mpls", link: LinkEthernet, data: cat(ethHdr(EtherTypeMPLS), mplsLabel(16, false), mplsLabel(17, true), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "NumMPLS", p.NumMPLS, uint8(2))
			eq(t, "EtherType", p.EtherType, uint16(EtherTypeMPLS))
		}},
		{name: "mpls/multicast/v6", link: LinkEthernet, data: cat(ethHdr(EtherTypeMPLSMC), mplsLabel(99, true), udp6), check: udp6Inner},
		{name: "vlan/mpls", link: LinkEthernet, data: cat(ethHdr(EtherTypeVLAN), tag(5, EtherTypeMPLS), mplsLabel(16, true), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "VLANs[0]", p.VLANs[0], uint16(5))
			eq(t, "NumMPLS", p.NumMPLS, uint8(1))
		}},
		{name: "mpls/not-ip", link: LinkEthernet, data: cat(ethHdr(EtherTypeMPLS), mplsLabel(16, true), make([]byte, 30)), anoms: []AnomalyKind{AnomalyBadMPLS}},
		{name: "mpls/too-deep", link: LinkEthernet, data: cat(ethHdr(EtherTypeMPLS), bytes.Repeat(mplsLabel(16, false), 20), tcp4), anoms: []AnomalyKind{AnomalyBadMPLS}},
		{name: "mpls/truncated", link: LinkEthernet, data: cat(ethHdr(EtherTypeMPLS), mplsLabel(16, false), []byte{0, 1}), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "pppoe/ipv4", link: LinkEthernet, data: cat(ethHdr(EtherTypePPPoES), []byte{0x11, 0}, u16(0x1234), u16(uint16(2+len(tcp4))), u16(0x0021), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "EtherType", p.EtherType, uint16(EtherTypePPPoES))
		}},
		{name: "pppoe/ipv6", link: LinkEthernet, data: cat(ethHdr(EtherTypePPPoES), []byte{0x11, 0}, u16(0x1234), u16(uint16(2+len(udp6))), u16(0x0057), udp6), check: udp6Inner},
		{name: "pppoe/lcp", link: LinkEthernet, data: cat(ethHdr(EtherTypePPPoES), []byte{0x11, 0}, u16(0x1234), u16(6), u16(0xc021), []byte{1, 1, 0, 4}), check: func(t *testing.T, p *Packet) {
			eq(t, "IP.Version", p.IP.Version, uint8(0))
		}},
		{name: "pppoe/bad", link: LinkEthernet, data: cat(ethHdr(EtherTypePPPoES), []byte{0x12, 0}, u16(0x1234), u16(2), u16(0x0021), tcp4), anoms: []AnomalyKind{AnomalyBadPPPoE}},
		{name: "pppoe/discovery", link: LinkEthernet, data: cat(ethHdr(EtherTypePPPoED), []byte{0x11, 0x09, 0, 0, 0, 0})},
		{name: "arp", link: LinkEthernet, data: cat(ethHdr(EtherTypeARP), arpPkt(1)), check: func(t *testing.T, p *Packet) {
			eq(t, "IsARP", p.IsARP, true)
			eq(t, "Op", p.ARP.Op, uint16(1))
			eq(t, "SenderMAC", p.ARP.SenderMAC, macA)
			eq(t, "TargetMAC", p.ARP.TargetMAC, macB)
			eq(t, "SenderIP", p.ARP.SenderIP, mustAddr("10.0.0.1"))
			eq(t, "TargetIP", p.ARP.TargetIP, mustAddr("10.0.0.2"))
			eq(t, "IP.Version", p.IP.Version, uint8(0))
			eq(t, "EtherType", p.EtherType, uint16(EtherTypeARP))
		}},
		{name: "arp/truncated", link: LinkEthernet, data: cat(ethHdr(EtherTypeARP), arpPkt(2)[:20]), anoms: []AnomalyKind{AnomalyTruncatedARP}, trunc: true, check: func(t *testing.T, p *Packet) {
			eq(t, "IsARP", p.IsARP, true)
			eq(t, "Op", p.ARP.Op, uint16(2))
		}},
		{name: "arp/other-format", link: LinkEthernet, data: cat(ethHdr(EtherTypeARP), u16(6), u16(0x0800), []byte{8, 4}, u16(1), make([]byte, 24)), check: func(t *testing.T, p *Packet) {
			eq(t, "IsARP", p.IsARP, true)
			eq(t, "SenderIP valid", p.ARP.SenderIP.IsValid(), false)
		}},
		{name: "eth/short", link: LinkEthernet, data: make([]byte, 10), anoms: []AnomalyKind{AnomalyTruncatedEthernet}, trunc: true},
		{name: "eth/unknown-ethertype", link: LinkEthernet, data: cat(ethHdr(0x88b5), make([]byte, 40)), anoms: []AnomalyKind{AnomalyUnknownEtherType}, check: func(t *testing.T, p *Packet) {
			eq(t, "Detail", p.Anomalies[0].Detail, uint32(0x88b5))
		}},
		{name: "fabricpath", link: LinkEthernet, data: cat(macD[:], macC[:], u16(EtherTypeFabric), u16(0x0120), ethHdr(EtherTypeIPv4), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "DstMAC", p.DstMAC, macB) // the inner frame's MACs
			eq(t, "SrcMAC", p.SrcMAC, macA)
			eq(t, "EtherType", p.EtherType, uint16(EtherTypeIPv4))
			eq(t, "NumTunnels", p.NumTunnels, 0)
		}},
		{name: "fabricpath/vlan", link: LinkEthernet, data: cat(macD[:], macC[:], u16(EtherTypeFabric), u16(0x0120), ethHdr(EtherTypeVLAN), tag(12, EtherTypeIPv6), udp6), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "VLAN", p.VLANs[0], 12)
		}},
		{name: "fabricpath/nested-not-skipped", link: LinkEthernet, data: cat(macD[:], macC[:], u16(EtherTypeFabric), u16(0x0120), ethHdr(EtherTypeFabric), make([]byte, 40)), anoms: []AnomalyKind{AnomalyUnknownEtherType}},
		{name: "fabricpath/short", link: LinkEthernet, data: cat(macD[:], macC[:], u16(EtherTypeFabric), u16(0x0120), macB[:], macA[:]), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "sll", link: LinkLinuxSLL, data: cat(u16(0), u16(1), u16(6), macA[:], u16(0), u16(EtherTypeIPv4), tcp4), check: tcp4Inner},
		{name: "sll/vlan", link: LinkLinuxSLL, data: cat(u16(0), u16(1), u16(6), macA[:], u16(0), u16(EtherTypeVLAN), tag(9, EtherTypeIPv4), tcp4), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "VLANs[0]", p.VLANs[0], uint16(9))
		}},
		{name: "sll/llc", link: LinkLinuxSLL, data: cat(u16(0), u16(1), u16(6), macA[:], u16(0), u16(4), []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv4), tcp4), check: tcp4Inner},
		{name: "sll/short", link: LinkLinuxSLL, data: make([]byte, 15), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "sll2", link: LinkLinuxSLL2, data: cat(u16(EtherTypeIPv6), u16(0), u32(3), u16(1), []byte{0, 6}, macA[:], u16(0), udp6), check: udp6Inner},
		{name: "sll2/short", link: LinkLinuxSLL2, data: make([]byte, 19), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "null/le/v4", link: LinkNull, data: cat([]byte{2, 0, 0, 0}, tcp4), check: tcp4Inner},
		{name: "null/be/v6-30", link: LinkNull, data: cat([]byte{0, 0, 0, 30}, udp6), check: udp6Inner},
		{name: "null/le/v6-24", link: LinkNull, data: cat([]byte{24, 0, 0, 0}, udp6), check: udp6Inner},
		{name: "null/le/v6-28", link: LinkNull, data: cat([]byte{28, 0, 0, 0}, udp6), check: udp6Inner},
		{name: "null/unknown", link: LinkNull, data: cat([]byte{7, 0, 0, 0}, udp6), anoms: []AnomalyKind{AnomalyUnknownEtherType}},
		{name: "null/short", link: LinkNull, data: []byte{2, 0}, anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "loop/v4", link: LinkLoop, data: cat([]byte{0, 0, 0, 2}, tcp4), check: tcp4Inner},
		{name: "loop/v6", link: LinkLoop, data: cat([]byte{0, 0, 0, 24}, udp6), check: udp6Inner},
		{name: "raw/v4", link: LinkRaw, data: tcp4, check: tcp4Inner},
		{name: "raw/v6", link: LinkRaw, data: udp6, check: udp6Inner},
		{name: "raw12", link: LinkRawAlt12, data: tcp4, check: tcp4Inner},
		{name: "raw14", link: LinkRawAlt14, data: udp6, check: udp6Inner},
		{name: "ipv4-link", link: LinkIPv4, data: tcp4, check: tcp4Inner},
		{name: "ipv6-link", link: LinkIPv6, data: udp6, check: udp6Inner},
		{name: "raw/bad-version", link: LinkRaw, data: cat([]byte{0x50}, tcp4[1:]), anoms: []AnomalyKind{AnomalyBadIPVersion}},
		{name: "raw/empty", link: LinkRaw, data: nil, anoms: []AnomalyKind{AnomalyTruncatedHeader}, trunc: true},
		{name: "ipv4-link/v6", link: LinkIPv4, data: udp6, anoms: []AnomalyKind{AnomalyBadIPVersion}},
		{name: "ipv6-link/v4", link: LinkIPv6, data: cat(tcp4, make([]byte, 20)), anoms: []AnomalyKind{AnomalyBadIPVersion}},
		{name: "nflog", link: LinkNFLOG, data: cat([]byte{2, 0, 0, 0}, []byte{8, 0, 1, 0}, u32(0x08000300), []byte{byte(4 + len(tcp4)), 0, 9, 0}, tcp4), check: tcp4Inner},
		{name: "nflog/bad-tlv", link: LinkNFLOG, data: cat([]byte{2, 0, 0, 0}, []byte{2, 0, 1, 0}, u32(0)), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "ppp/hdlc-framing", link: LinkPPP, data: cat([]byte{0xff, 0x03}, u16(0x0021), tcp4), check: tcp4Inner},
		{name: "ppp/pfc", link: LinkPPP, data: cat([]byte{0x57}, udp6), check: udp6Inner},
		{name: "ppp/lcp", link: LinkPPP, data: cat([]byte{0xff, 0x03}, u16(0xc021), []byte{1, 1, 0, 4})},
		{name: "ppp/empty", link: LinkPPP, data: []byte{0xff, 0x03}, anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "ppp-hdlc/cisco", link: LinkPPPHDLC, data: cat([]byte{0x0f, 0}, u16(EtherTypeIPv4), tcp4), check: tcp4Inner},
		{name: "chdlc", link: LinkCHDLC, data: cat([]byte{0x8f, 0}, u16(EtherTypeIPv6), udp6), check: udp6Inner},
		{name: "chdlc/short", link: LinkCHDLC, data: []byte{0x8f, 0}, anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "fddi", link: LinkFDDI, data: cat([]byte{0x50}, macB[:], macA[:], []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv4), tcp4), check: tcp4Inner},
		{name: "fddi/short", link: LinkFDDI, data: make([]byte, 12), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "radiotap/qos-data", link: LinkRadiotap, data: cat([]byte{0, 0, 8, 0}, u32(0), []byte{0x88, 0x01, 0, 0}, macB[:], macA[:], macC[:], u16(0), u16(0), []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv4), tcp4), check: tcp4Inner},
		{name: "radiotap/bad-len", link: LinkRadiotap, data: cat([]byte{0, 0, 200, 0}, u32(0)), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "802.11/wds", link: LinkIEEE80211, data: cat([]byte{0x08, 0x03, 0, 0}, macB[:], macA[:], macC[:], u16(0), macD[:], []byte{0xaa, 0xaa, 3, 0, 0, 0}, u16(EtherTypeIPv6), udp6), check: udp6Inner},
		{name: "802.11/protected", link: LinkIEEE80211, data: cat([]byte{0x08, 0x41, 0, 0}, macB[:], macA[:], macC[:], u16(0), make([]byte, 40))},
		{name: "802.11/beacon", link: LinkIEEE80211, data: cat([]byte{0x80, 0, 0, 0}, macB[:], macA[:], macC[:], u16(0), make([]byte, 40))},
		{name: "802.11/amsdu-first-subframe", link: LinkIEEE80211, data: cat(wlanQoS(0x80), amsduSub(cat(snap4, tcp4)), []byte{0, 0}, amsduSub(cat(snap4, tcp4))), check: tcp4Inner},
		{name: "802.11/amsdu-cut", link: LinkIEEE80211, data: cat(wlanQoS(0x80), amsduSub(cat(snap4, tcp4))[:40]), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "802.11/amsdu-no-subframe", link: LinkIEEE80211, data: cat(wlanQoS(0x80), macB[:]), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "802.11/short", link: LinkIEEE80211, data: make([]byte, 20), anoms: []AnomalyKind{AnomalyTruncatedLink}, trunc: true},
		{name: "802.3/snap-cisco", link: LinkEthernet, data: cat(macB[:], macA[:], u16(30), []byte{0xaa, 0xaa, 3, 0, 0, 0x0c}, u16(0x2000), make([]byte, 22))},
		{name: "unknown-link", link: 200, data: tcp4, anoms: []AnomalyKind{AnomalyUnknownLinkType}},

		// ---- IPv4 ----
		{name: "ipv4/options", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP, opts: []byte{1, 1, 1, 0}}.build(tcpH{sp: 40000, dp: 80, flags: TCPAck}.build(payloadHello))), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "HeaderLen", p.IP.HeaderLen, 24)
		}},
		{name: "ipv4/ihl<5", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP, ihl: 4}.build(tcpH{}.build(nil))), anoms: []AnomalyKind{AnomalyIPv4MinHeader}},
		{name: "ipv4/ihl>captured", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP, ihl: 15, totLen: 100}.build(tcpH{}.build(nil))), anoms: []AnomalyKind{AnomalyInternallyTruncated}, trunc: true},
		{name: "ipv4/ihl>captured-and-totlen", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP, ihl: 15}.build(tcpH{}.build(nil))), anoms: []AnomalyKind{AnomalyIPLenTooSmall}},
		{name: "ipv4/short", link: LinkEthernet, data: eth4(tcp4[:10]), anoms: []AnomalyKind{AnomalyTruncatedHeader}, trunc: true},
		{name: "ipv4/version-mismatch", link: LinkEthernet, data: eth4(udp6), anoms: []AnomalyKind{AnomalyBadIPVersion}},
		{name: "ipv4/totlen<hdr", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP, totLen: 10}.build(tcpH{}.build(nil))), anoms: []AnomalyKind{AnomalyIPLenTooSmall}, check: func(t *testing.T, p *Packet) {
			eq(t, "Version", p.IP.Version, uint8(4))
			eq(t, "IPLen", p.IP.IPLen, 10)
			eq(t, "HasL4", p.IP.HasL4, false)
		}},
		{name: "tcp/missing", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP}.build(nil)), anoms: []AnomalyKind{AnomalyTruncatedTCP}, trunc: true},
		{name: "ipv4/totlen-zero", link: LinkRaw, data: func() []byte {
			b := sampleTCP4()
			b[2], b[3] = 0, 0
			b[10], b[11] = 0, 0
			s := csum(b[:20])
			b[10], b[11] = byte(s>>8), byte(s)
			return b
		}(), anoms: []AnomalyKind{AnomalyIPLenZero}, check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "IPLen", p.IP.IPLen, 52)
		}},
		{name: "ipv4/length-past-wire", link: LinkEthernet, data: eth4(cut(tcp4, 5)), wire: 14 + len(tcp4) - 5, anoms: []AnomalyKind{AnomalyTruncatedIP}, trunc: true},
		{name: "ipv4/truncated", link: LinkEthernet, data: eth4(cut(tcp4, 5)), trunc: true, check: func(t *testing.T, p *Packet) {
			eq(t, "IPLen", p.IP.IPLen, 52)
			eq(t, "L4Len", p.IP.L4Len, 12)
			eq(t, "Payload", string(p.Payload), "hello, ")
			eq(t, "HasL4", p.IP.HasL4, true)
		}},
		{name: "ipv4/bad-checksum", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP, badSum: true}.build(tcpH{sp: 40000, dp: 80, flags: TCPAck}.build(payloadHello))), anoms: []AnomalyKind{AnomalyBadIPChecksum}, check: tcp4Inner},
		{name: "ipv4/fragment-first", link: LinkEthernet, data: eth4(mfrag), check: func(t *testing.T, p *Packet) {
			eq(t, "Frag", p.Frag, FragInfo{IsFragment: true, ID: 77, Offset: 0, More: true, UnfragLen: 20, NextHeader: ProtoUDP})
			eq(t, "HasL4", p.IP.HasL4, false)
			eq(t, "Payload nil", p.Payload == nil, true)
			eq(t, "len(IPRaw)", len(p.IPRaw), 60)
		}},
		{name: "ipv4/fragment-last", link: LinkEthernet, data: eth4(v4{proto: ProtoUDP, fragOff: 1480, id: 77}.build(make([]byte, 100))), check: func(t *testing.T, p *Packet) {
			eq(t, "Frag", p.Frag, FragInfo{IsFragment: true, ID: 77, Offset: 1480, More: false, UnfragLen: 20, NextHeader: ProtoUDP})
		}},
		{name: "ipv4/df-not-fragment", link: LinkEthernet, data: eth4(v4{proto: ProtoTCP, df: true}.build(tcpH{sp: 40000, dp: 80, flags: TCPAck}.build(payloadHello))), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			eq(t, "IsFragment", p.Frag.IsFragment, false)
		}},
		{name: "ipv4/unknown-proto", link: LinkEthernet, data: eth4(v4{proto: 253}.build(make([]byte, 10))), anoms: []AnomalyKind{AnomalyUnknownIPProto}, check: func(t *testing.T, p *Packet) {
			eq(t, "Detail", p.Anomalies[0].Detail, uint32(253))
			eq(t, "L4Len", p.IP.L4Len, 10)
			eq(t, "len(Payload)", len(p.Payload), 10)
		}},
		{name: "ipv4/igmp", link: LinkEthernet, data: eth4(v4{proto: 2}.build(make([]byte, 8))), check: func(t *testing.T, p *Packet) {
			eq(t, "Proto", p.IP.Proto, uint8(2))
		}},

		// ---- IPv6 ----
		{name: "ipv6/udp", link: LinkEthernet, data: eth6(udp6), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "IPLen", p.IP.IPLen, 60)
			eq(t, "HeaderLen", p.IP.HeaderLen, 40)
			eq(t, "TTL", p.IP.TTL, uint8(64))
		}},
		{name: "ipv6/ext-chain", link: LinkEthernet, data: eth6(sampleUDP6Ext()), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "HeaderLen", p.IP.HeaderLen, 80)
			eq(t, "IPLen", p.IP.IPLen, 100)
		}},
		{name: "ipv6/hbh-not-first", link: LinkEthernet, data: eth6(v6{}.build([]ext{dstExt(), hbhExt()}, ProtoUDP, udp(5353, 53, payloadHello))), anoms: []AnomalyKind{AnomalyHopByHopNotFirst}, check: udp6Inner},
		{name: "ipv6/routing-type0", link: LinkEthernet, data: eth6(v6{finalDst: "2001:db8::77"}.build([]ext{routingExt(0, 1, "2001:db8::77")}, ProtoUDP, udp(5353, 53, payloadHello))), anoms: []AnomalyKind{AnomalyRoutingType0}, check: udp6Inner},
		{name: "ipv6/fragment-first", link: LinkEthernet, data: eth6(v6{}.build([]ext{hbhExt(), fragExt(0, true, 0x1234)}, ProtoUDP, udp(1, 2, make([]byte, 40)))), check: func(t *testing.T, p *Packet) {
			eq(t, "Frag", p.Frag, FragInfo{IsFragment: true, ID: 0x1234, Offset: 0, More: true, UnfragLen: 56, FragHdrOff: 48, FragPrevNH: 40, NextHeader: ProtoUDP})
			eq(t, "Proto", p.IP.Proto, uint8(ProtoUDP))
			eq(t, "HeaderLen", p.IP.HeaderLen, 56)
			eq(t, "HasL4", p.IP.HasL4, false)
		}},
		{name: "ipv6/fragment-last", link: LinkEthernet, data: eth6(v6{}.build([]ext{fragExt(1480, false, 7)}, ProtoTCP, make([]byte, 40))), check: func(t *testing.T, p *Packet) {
			eq(t, "Frag", p.Frag, FragInfo{IsFragment: true, ID: 7, Offset: 1480, More: false, UnfragLen: 48, FragHdrOff: 40, FragPrevNH: 6, NextHeader: ProtoTCP})
		}},
		{name: "ipv6/atomic-fragment", link: LinkEthernet, data: eth6(v6{}.build([]ext{fragExt(0, false, 9)}, ProtoUDP, udp(5353, 53, payloadHello))), anoms: []AnomalyKind{AnomalyAtomicFragment}, check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "IsFragment", p.Frag.IsFragment, false)
			eq(t, "HeaderLen", p.IP.HeaderLen, 48)
			eq(t, "Detail", p.Anomalies[0].Detail, uint32(9))
		}},
		{name: "ipv6/atomic-ndp", link: LinkEthernet, data: eth6(v6{}.build([]ext{fragExt(0, false, 9)}, ProtoICMPv6, cat([]byte{135, 0, 0, 0}, make([]byte, 20)))), anoms: []AnomalyKind{AnomalyAtomicFragment, AnomalyNDPInFragment}},
		{name: "ipv6/ah", link: LinkEthernet, data: eth6(v6{}.build([]ext{ahExt()}, ProtoUDP, udp(5353, 53, payloadHello))), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "HeaderLen", p.IP.HeaderLen, 64)
		}},
		{name: "ipv6/esp", link: LinkEthernet, data: eth6(v6{}.build(nil, ProtoESP, make([]byte, 16))), check: func(t *testing.T, p *Packet) {
			eq(t, "Proto", p.IP.Proto, uint8(ProtoESP))
			eq(t, "HasL4", p.IP.HasL4, false)
			eq(t, "L4Len", p.IP.L4Len, 16)
		}},
		{name: "ipv6/dst-esp", link: LinkEthernet, data: eth6(v6{}.build([]ext{dstExt()}, ProtoESP, make([]byte, 16))), check: func(t *testing.T, p *Packet) {
			eq(t, "Proto", p.IP.Proto, uint8(ProtoESP))
			eq(t, "HeaderLen", p.IP.HeaderLen, 48)
		}},
		{name: "ipv6/mobility", link: LinkEthernet, data: eth6(v6{}.build([]ext{mobilityExt()}, ProtoNoNext, nil)), check: func(t *testing.T, p *Packet) {
			eq(t, "Proto", p.IP.Proto, uint8(ProtoNoNext))
			eq(t, "HeaderLen", p.IP.HeaderLen, 48)
		}},
		{name: "ipv6/shim6-hip", link: LinkEthernet, data: eth6(v6{}.build([]ext{{typ: protoShim6, body: make([]byte, 6), rawLen: -1}, {typ: protoHIP, body: make([]byte, 14), rawLen: -1}}, ProtoUDP, udp(5353, 53, payloadHello))), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "HeaderLen", p.IP.HeaderLen, 40+8+16)
		}},
		{name: "ipv6/ah-overrun", link: LinkEthernet, data: eth6(v6{}.build([]ext{withLen(ahExt(), 40)}, ProtoUDP, udp(1, 2, nil))), anoms: []AnomalyKind{AnomalyBadIPv6ExtLen}, trunc: true},
		{name: "ipv6/no-next", link: LinkEthernet, data: eth6(v6{}.build(nil, ProtoNoNext, nil)), check: func(t *testing.T, p *Packet) {
			eq(t, "Proto", p.IP.Proto, uint8(ProtoNoNext))
		}},
		{name: "ipv6/unknown-nh", link: LinkEthernet, data: eth6(v6{}.build([]ext{dstExt()}, 200, make([]byte, 8))), anoms: []AnomalyKind{AnomalyUnknownIPv6NextHeader}, check: func(t *testing.T, p *Packet) {
			eq(t, "Detail", p.Anomalies[0].Detail, uint32(200))
			eq(t, "HeaderLen", p.IP.HeaderLen, 48)
		}},
		// Assigned protocols carried but not decoded (SCTP, DCCP, the
		// Mobility Header, Ethernet after SRv6): no anomaly.
		{name: "ipv6/sctp", link: LinkEthernet, data: eth6(v6{}.build(nil, 132, make([]byte, 12))), check: func(t *testing.T, p *Packet) {
			eq(t, "Proto", p.IP.Proto, uint8(132))
		}},
		{name: "ipv6/dccp-after-dst", link: LinkEthernet, data: eth6(v6{}.build([]ext{dstExt()}, 33, make([]byte, 16))), check: func(t *testing.T, p *Packet) {
			eq(t, "Proto", p.IP.Proto, uint8(33))
		}},
		{name: "ipv6/experimental-nh", link: LinkEthernet, data: eth6(v6{}.build(nil, 253, make([]byte, 8))), anoms: []AnomalyKind{AnomalyUnknownIPv6NextHeader}},
		{name: "ipv6/excessive-ext", link: LinkEthernet, data: eth6(v6{}.build(deepDst, ProtoUDP, udp(1, 2, nil))), anoms: []AnomalyKind{AnomalyExcessiveExtHeaders}, check: func(t *testing.T, p *Packet) {
			eq(t, "HeaderLen", p.IP.HeaderLen, 40+16*8)
			eq(t, "Proto", p.IP.Proto, uint8(ProtoDstOpts))
		}},
		{name: "ipv6/max-ext-2", link: LinkEthernet, cfg: &max2, data: eth6(sampleUDP6Ext()), anoms: []AnomalyKind{AnomalyExcessiveExtHeaders}, check: func(t *testing.T, p *Packet) {
			eq(t, "HeaderLen", p.IP.HeaderLen, 56)
			eq(t, "Proto", p.IP.Proto, uint8(ProtoRouting))
		}},
		{name: "ipv6/ext-len-overrun", link: LinkEthernet, data: eth6(v6{}.build([]ext{withLen(dstExt(), 10)}, ProtoUDP, udp(1, 2, nil))), anoms: []AnomalyKind{AnomalyBadIPv6ExtLen}, trunc: true},
		{name: "ipv6/ext-cut", link: LinkEthernet, data: eth6(sampleUDP6Ext()[:44]), anoms: []AnomalyKind{AnomalyTruncatedHeader}, trunc: true},
		{name: "ipv6/jumbogram", link: LinkEthernet, data: eth6(v6{plenSet: true}.build([]ext{hbhExt()}, ProtoUDP, udp(5353, 53, payloadHello))), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			eq(t, "IPLen", p.IP.IPLen, 68)
		}},
		{name: "ipv6/length-past-wire", link: LinkEthernet, data: eth6(cut(udp6, 5)), wire: 14 + len(udp6) - 5, anoms: []AnomalyKind{AnomalyTruncatedIP}, trunc: true},
		{name: "ipv6/truncated", link: LinkEthernet, data: eth6(cut(udp6, 5)), trunc: true, check: func(t *testing.T, p *Packet) {
			eq(t, "L4Len", p.IP.L4Len, 12)
			eq(t, "Payload", string(p.Payload), "hello, ")
		}},
		{name: "ipv6/short", link: LinkEthernet, data: eth6(udp6[:39]), anoms: []AnomalyKind{AnomalyTruncatedHeader}, trunc: true},

		// ---- transport ----
		{name: "tcp/doff<5", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPAck, doff: 4}.build(nil)), anoms: []AnomalyKind{AnomalyBadTCPHeaderLen}, check: func(t *testing.T, p *Packet) {
			eq(t, "SrcPort", p.IP.SrcPort, uint16(1))
			eq(t, "HasL4", p.IP.HasL4, false)
		}},
		{name: "tcp/doff>segment", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPAck, doff: 15}.build(nil)), anoms: []AnomalyKind{AnomalyBadTCPHeaderLen}},
		{name: "tcp/options-cut", link: LinkRaw, data: cut(v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn, opts: make([]byte, 20)}.build(nil)), 10), anoms: []AnomalyKind{AnomalyTruncatedTCP}, trunc: true, check: func(t *testing.T, p *Packet) {
			eq(t, "DstPort", p.IP.DstPort, uint16(2))
			eq(t, "HasL4", p.IP.HasL4, false)
		}},
		{name: "tcp/options", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn, opts: []byte{2, 4, 5, 0xb4, 1, 1, 1, 0}}.build([]byte("x"))), anoms: []AnomalyKind{AnomalySYNWithData}, check: func(t *testing.T, p *Packet) {
			eq(t, "L4Len", p.IP.L4Len, 1)
			eq(t, "Payload", string(p.Payload), "x")
		}},
		{name: "tcp/syn-fin", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn | TCPFin}.build(nil)), anoms: []AnomalyKind{AnomalyBadTCPFlags}, check: func(t *testing.T, p *Packet) {
			eq(t, "HasL4", p.IP.HasL4, true)
		}},
		{name: "tcp/syn-rst", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn | TCPRst | TCPAck}.build(nil)), anoms: []AnomalyKind{AnomalyTCPChristmas}},
		{name: "tcp/syn-urg", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn | TCPUrg}.build(nil)), anoms: []AnomalyKind{AnomalyBaroqueSYN}},
		{name: "tcp/syn-rst-urg", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn | TCPRst | TCPUrg}.build(nil)), anoms: []AnomalyKind{AnomalyTCPChristmas, AnomalyBaroqueSYN}},
		{name: "tcp/syn-data", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPSyn}.build([]byte("fast open"))), anoms: []AnomalyKind{AnomalySYNWithData}},
		{name: "tcp/syn-ack-data", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 2, dp: 1, flags: TCPSyn | TCPAck}.build([]byte("x"))), anoms: []AnomalyKind{AnomalySYNWithData}},
		{name: "tcp/ack-data", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 2, dp: 1, flags: TCPAck}.build([]byte("x")))},
		{name: "tcp/no-flags", link: LinkRaw, data: v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2}.build(nil)), anoms: []AnomalyKind{AnomalyBadTCPFlags}},
		{name: "tcp/short", link: LinkRaw, data: v4{proto: ProtoTCP}.build(make([]byte, 10)), anoms: []AnomalyKind{AnomalyTruncatedTCP}, trunc: true},
		{name: "udp/len>ip", link: LinkRaw, data: udp4(30, 12), anoms: []AnomalyKind{AnomalyBadUDPLen}, skipCsum: true, check: func(t *testing.T, p *Packet) {
			eq(t, "L4Len", p.IP.L4Len, 12)
			eq(t, "len(Payload)", len(p.Payload), 12)
		}},
		{name: "udp/len<ip", link: LinkRaw, data: udp4(10, 12), anoms: []AnomalyKind{AnomalyBadUDPLen}, skipCsum: true, check: func(t *testing.T, p *Packet) {
			eq(t, "L4Len", p.IP.L4Len, 2)
			eq(t, "len(Payload)", len(p.Payload), 2)
		}},
		{name: "udp/len<8", link: LinkRaw, data: udp4(4, 12), anoms: []AnomalyKind{AnomalyBadUDPLen}, skipCsum: true, check: func(t *testing.T, p *Packet) {
			eq(t, "L4Len", p.IP.L4Len, 12)
		}},
		{name: "udp/short", link: LinkRaw, data: v4{proto: ProtoUDP}.build(make([]byte, 6)), anoms: []AnomalyKind{AnomalyTruncatedUDP}, trunc: true},
		{name: "icmp/echo", link: LinkRaw, data: v4{proto: ProtoICMP}.build(icmpEcho(8, 0x1234, 1, payloadHello)), check: func(t *testing.T, p *Packet) {
			eq(t, "ICMPType", p.IP.ICMPType, uint8(8))
			eq(t, "ICMPID", p.IP.ICMPID, uint16(0x1234))
			eq(t, "L4Len", p.IP.L4Len, 12)
			eq(t, "HasL4", p.IP.HasL4, true)
		}},
		{name: "icmp/unreach", link: LinkRaw, data: v4{proto: ProtoICMP}.build(cat([]byte{3, 3, 0, 0, 0, 0, 0, 0}, syn4)), check: func(t *testing.T, p *Packet) {
			eq(t, "ICMPType", p.IP.ICMPType, uint8(3))
			eq(t, "ICMPCode", p.IP.ICMPCode, uint8(3))
			eq(t, "ICMPID", p.IP.ICMPID, uint16(0))
			eq(t, "L4Len", p.IP.L4Len, 40)
		}},
		{name: "icmp/short", link: LinkRaw, data: v4{proto: ProtoICMP}.build([]byte{8, 0, 0, 0}), anoms: []AnomalyKind{AnomalyTruncatedICMP}, trunc: true, check: func(t *testing.T, p *Packet) {
			eq(t, "ICMPType", p.IP.ICMPType, uint8(8))
		}},
		{name: "icmpv6/echo", link: LinkRaw, data: v6{}.build(nil, ProtoICMPv6, icmpEcho(128, 0x4321, 1, payloadHello)), check: func(t *testing.T, p *Packet) {
			eq(t, "ICMPType", p.IP.ICMPType, uint8(128))
			eq(t, "ICMPID", p.IP.ICMPID, uint16(0x4321))
			eq(t, "L4Len", p.IP.L4Len, 12)
		}},
		{name: "icmpv6/ns", link: LinkRaw, data: v6{}.build(nil, ProtoICMPv6, cat([]byte{135, 0, 0, 0}, make([]byte, 20))), check: func(t *testing.T, p *Packet) {
			eq(t, "ICMPType", p.IP.ICMPType, uint8(135))
		}},
		{name: "sctp", link: LinkRaw, data: v4{proto: ProtoSCTP}.build(sctp(5000, 6000, make([]byte, 16))), check: func(t *testing.T, p *Packet) {
			portsAre(t, &p.IP, 5000, 6000, 16)
		}},
		{name: "sctp/short", link: LinkRaw, data: v4{proto: ProtoSCTP}.build(make([]byte, 8)), anoms: []AnomalyKind{AnomalyBadSCTP}, trunc: true},

		// ---- tunnels ----
		{name: "tunnel/4in4", link: LinkEthernet, data: eth4(v4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoIPIP}.build(tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelIP)
			outerIs(t, p, 0, "1.1.1.1", "2.2.2.2", ProtoIPIP, 0, 0, 52)
			o := p.Tunnels[0].Outer
			eq(t, "Outer.IPLen", o.IPLen, 72)
			eq(t, "Outer.HasL4", o.HasL4, false)
			eq(t, "len(IPRaw)", len(p.IPRaw), 52)
			eq(t, "HasEth", p.HasEth, true)
		}},
		{name: "tunnel/6in4", link: LinkEthernet, data: eth4(v4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoIPv6}.build(udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelIP)
			outerIs(t, p, 0, "1.1.1.1", "2.2.2.2", ProtoIPv6, 0, 0, 60)
		}},
		{name: "tunnel/4in6", link: LinkEthernet, data: eth6(v6{src: "2001::a", dst: "2001::b"}.build(nil, ProtoIPIP, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			outerIs(t, p, 0, "2001::a", "2001::b", ProtoIPIP, 0, 0, 52)
		}},
		{name: "tunnel/6in6-ext", link: LinkEthernet, data: eth6(v6{src: "2001::a", dst: "2001::b"}.build([]ext{dstExt()}, ProtoIPv6, sampleUDP6Ext())), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelIP)
			outerIs(t, p, 0, "2001::a", "2001::b", ProtoIPv6, 0, 0, 100)
			eq(t, "Outer.HeaderLen", p.Tunnels[0].Outer.HeaderLen, 48)
		}},
		{name: "tunnel/ipip-version-mismatch", link: LinkEthernet, data: eth4(v4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoIPIP}.build(udp6)), anoms: []AnomalyKind{AnomalyBadIPVersion}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			ipIs(t, p, 4, "1.1.1.1", "2.2.2.2", ProtoIPIP)
			eq(t, "len(Payload)", len(p.Payload), 60)
			eq(t, "len(IPRaw)", len(p.IPRaw), 80)
		}},
		{name: "tunnel/ipip-inner-short", link: LinkEthernet, data: eth4(v4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoIPIP}.build(tcp4[:10])), anoms: []AnomalyKind{AnomalyTruncatedHeader}, trunc: true, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			ipIs(t, p, 4, "1.1.1.1", "2.2.2.2", ProtoIPIP)
		}},
		{name: "tunnel/too-deep", link: LinkRaw, data: nested4in4(5), anoms: []AnomalyKind{AnomalyTunnelTooDeep}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelIP, TunnelIP, TunnelIP, TunnelIP)
			ipIs(t, p, 4, "1.1.1.1", "2.2.2.2", ProtoIPIP)
			eq(t, "Outer[0].Src", p.Tunnels[0].Outer.Src, mustAddr("1.1.1.5"))
			eq(t, "Outer[3].Src", p.Tunnels[3].Outer.Src, mustAddr("1.1.1.2"))
		}},
		{name: "tunnel/max-depth", link: LinkRaw, data: nested4in4(4), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelIP, TunnelIP, TunnelIP, TunnelIP)
			tcp4Inner(t, p)
		}},
		{name: "tunnel/disabled", link: LinkEthernet, cfg: &noTunnels, data: sampleVXLAN(), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			ipIs(t, p, 4, "172.16.0.1", "172.16.0.2", ProtoUDP)
			eq(t, "DstPort", p.IP.DstPort, uint16(PortVXLAN))
		}},
		{name: "gre/ipv4", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeIPv4, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
			outerIs(t, p, 0, "1.1.1.1", "2.2.2.2", ProtoGRE, 0, 0, 56)
		}},
		{name: "gre/csum-key-seq", link: LinkEthernet, data: gre4(greHdr(0xb000, EtherTypeIPv6, u32(0), u32(0x1234), u32(1), udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
		}},
		{name: "gre/teb", link: LinkEthernet, data: gre4(greHdr(0x2000, EtherTypeTEB, u32(5), innerEth(EtherTypeVLAN), tag(77, EtherTypeIPv4), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
			eq(t, "SrcMAC (outer kept)", p.SrcMAC, macA)
			eq(t, "NumVLANs (outer kept)", p.NumVLANs, uint8(0))
			eq(t, "EtherType (outer kept)", p.EtherType, uint16(EtherTypeIPv4))
		}},
		{name: "gre/mpls", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeMPLS, mplsLabel(20, true), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
			eq(t, "NumMPLS (outer kept)", p.NumMPLS, uint8(0))
		}},
		{name: "gre/inner-fragment", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeIPv4, mfrag)), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelGRE)
			eq(t, "IsFragment", p.Frag.IsFragment, true)
			ipIs(t, p, 4, "10.0.0.1", "10.0.0.2", ProtoUDP)
		}},
		{name: "gre/erspan1", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeERSPAN2, innerEth(EtherTypeIPv4), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelERSPAN)
			outerIs(t, p, 0, "1.1.1.1", "2.2.2.2", ProtoGRE, 0, 0, 4+14+52)
		}},
		{name: "gre/erspan2", link: LinkEthernet, data: gre4(greHdr(0x1000, EtherTypeERSPAN2, u32(1), []byte{0x10, 0x64, 0, 0, 0, 0, 0, 1}, innerEth(EtherTypeIPv4), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelERSPAN)
		}},
		{name: "gre/erspan2-bad-version", link: LinkEthernet, data: gre4(greHdr(0x1000, EtherTypeERSPAN2, u32(1), []byte{0x30, 0x64, 0, 0, 0, 0, 0, 1}, innerEth(EtherTypeIPv4), tcp4)), anoms: []AnomalyKind{AnomalyBadGRE}},
		{name: "gre/erspan3", link: LinkEthernet, data: gre4(greHdr(0x1000, EtherTypeERSPAN3, u32(1), []byte{0x20, 0x64, 0, 0}, u32(0), u32(0), innerEth(EtherTypeIPv4), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelERSPAN)
		}},
		{name: "gre/erspan3-subheader", link: LinkEthernet, data: gre4(greHdr(0x1000, EtherTypeERSPAN3, u32(1), []byte{0x20, 0x64, 0, 0}, u32(0), u32(1), make([]byte, 8), innerEth(EtherTypeIPv6), udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelERSPAN)
		}},
		{name: "gre/aruba", link: LinkEthernet, data: gre4(greHdr(0, 0x8200, wlanQoS(0), snap4, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
			outerIs(t, p, 0, "1.1.1.1", "2.2.2.2", ProtoGRE, 0, 0, 4+26+8+52)
		}},
		{name: "gre/aruba-8370", link: LinkEthernet, data: gre4(greHdr(0, 0x8370, wlanQoS(0), snap4, tcp4)), check: tcp4Inner},
		{name: "gre/aruba-9000-amsdu", link: LinkEthernet, data: gre4(greHdr(0, 0x9000, wlanQoS(0x80), amsduSub(cat(snap4, tcp4)))), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
		}},
		{name: "gre/aruba-amsdu-two-subframes", link: LinkEthernet, data: gre4(greHdr(0, 0x9000, wlanQoS(0x80), amsduSub(cat(snap4, tcp4)), []byte{0, 0}, amsduSub(cat(snap4, tcp4)))), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
			if p.NextSubframe == 0 {
				t.Error("NextSubframe = 0: the second subframe is not announced")
			}
		}},
		{name: "gre/aruba-beacon", link: LinkEthernet, data: gre4(greHdr(0, 0x8210, []byte{0x80, 0, 0, 0}, macB[:], macA[:], macC[:], u16(0), make([]byte, 20))), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p) // not a data frame: nothing inside to analyse
		}},
		{name: "gre/aruba-empty", link: LinkEthernet, data: gre4(greHdr(0, 0x8200)), anoms: []AnomalyKind{AnomalyBadGRE}, trunc: true},
		{name: "gre/not-aruba", link: LinkEthernet, data: gre4(greHdr(0, 0x8201, wlanQoS(0), snap4, tcp4)), anoms: []AnomalyKind{AnomalyInnerNotIP}},
		{name: "gre/pptp", link: LinkEthernet, data: gre4(greHdr(0x3001, EtherTypePPTP, u16(uint16(4+len(tcp4))), u16(7), u32(1), []byte{0xff, 0x03}, u16(0x0021), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
		}},
		{name: "gre/pptp-pfc-ack", link: LinkEthernet, data: gre4(greHdr(0x3081, EtherTypePPTP, u16(uint16(1+len(udp6))), u16(7), u32(1), u32(0), []byte{0x57}, udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
		}},
		{name: "gre/pptp-ack-only", link: LinkEthernet, data: gre4(greHdr(0x2081, EtherTypePPTP, u16(0), u16(7), u32(1))), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			eq(t, "Proto", p.IP.Proto, uint8(ProtoGRE))
		}},
		{name: "gre/pptp-ccp", link: LinkEthernet, data: gre4(greHdr(0x3001, EtherTypePPTP, u16(6), u16(7), u32(1), []byte{0xff, 0x03}, u16(0x80fd), u16(0))), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "gre/ppp", link: LinkEthernet, data: gre4(greHdr(0, EtherTypePPTP, []byte{0xff, 0x03}, u16(0x0021), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
		}},
		{name: "gre/wccp-v1", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeWCCP, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
		}},
		{name: "gre/wccp-v2", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeWCCP, u32(0x00010000), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
		}},
		{name: "gre/arp", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeARP, arpPkt(2))), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelGRE)
			eq(t, "IsARP", p.IsARP, true)
		}},
		{name: "gre/erspan3-ip", link: LinkEthernet, data: gre4(greHdr(0x1000, EtherTypeERSPAN3, u32(1), []byte{0x20, 0x64, 0, 0}, u32(0), u16(0), u16(2<<10), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelERSPAN)
		}},
		{name: "gre/erspan3-ft7", link: LinkEthernet, data: gre4(greHdr(0x1000, EtherTypeERSPAN3, u32(1), []byte{0x20, 0x64, 0, 0}, u32(0), u16(0), u16(7<<10), tcp4)), anoms: []AnomalyKind{AnomalyInnerNotIP}},
		{name: "gre/erspan3-short", link: LinkEthernet, data: gre4(greHdr(0x1000, EtherTypeERSPAN3, u32(1), []byte{0x20, 0x64, 0, 0})), anoms: []AnomalyKind{AnomalyBadGRE}, trunc: true},
		{name: "gre/in-udp", link: LinkEthernet, data: udpOuter(40000, PortGREUDP, greHdr(0, EtherTypeIPv4, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE)
			outerIs(t, p, 0, "172.16.0.1", "172.16.0.2", ProtoUDP, 40000, PortGREUDP, 56)
		}},
		{name: "gre/bad-version", link: LinkEthernet, data: gre4(greHdr(0x0002, EtherTypeIPv4, tcp4)), anoms: []AnomalyKind{AnomalyBadGRE}},
		{name: "gre/routing", link: LinkEthernet, data: gre4(greHdr(0x4000, EtherTypeIPv4, u32(0), tcp4)), anoms: []AnomalyKind{AnomalyBadGRE}},
		{name: "gre/pptp-bad", link: LinkEthernet, data: gre4(greHdr(0x0001, EtherTypePPTP, u32(0), tcp4)), anoms: []AnomalyKind{AnomalyBadGRE}},
		{name: "gre/unknown-proto", link: LinkEthernet, data: gre4(greHdr(0, 0x1234, tcp4)), anoms: []AnomalyKind{AnomalyInnerNotIP}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			eq(t, "Proto", p.IP.Proto, uint8(ProtoGRE))
		}},
		{name: "gre/short", link: LinkEthernet, data: gre4([]byte{0, 0}), anoms: []AnomalyKind{AnomalyBadGRE}, trunc: true},
		{name: "gre/in-gre", link: LinkEthernet, data: gre4(greHdr(0, EtherTypeIPv4, v4{src: "3.3.3.3", dst: "4.4.4.4", proto: ProtoGRE}.build(greHdr(0, EtherTypeIPv4, tcp4)))), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGRE, TunnelGRE)
			outerIs(t, p, 1, "3.3.3.3", "4.4.4.4", ProtoGRE, 0, 0, 56)
		}},
		{name: "vxlan", link: LinkEthernet, data: sampleVXLAN(), check: func(t *testing.T, p *Packet) {
			ipIs(t, p, 4, "192.168.1.1", "192.168.1.2", ProtoTCP)
			portsAre(t, &p.IP, 1234, 443, 0)
			tunnelsAre(t, p, TunnelVXLAN)
			outerIs(t, p, 0, "172.16.0.1", "172.16.0.2", ProtoUDP, 55555, PortVXLAN, 8+14+40)
			eq(t, "SrcMAC (outer)", p.SrcMAC, macA)
			eq(t, "len(IPRaw)", len(p.IPRaw), 40)
		}},
		{name: "vxlan/alt-port", link: LinkEthernet, cfg: &vxlanAlt, data: vx(8472, cat(vxlanHdr(1), innerEth(EtherTypeIPv4), tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelVXLAN)
		}},
		{name: "vxlan/alt-port-default-off", link: LinkEthernet, cfg: &vxlanAlt, data: sampleVXLAN(), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "vxlan/no-i-flag", link: LinkEthernet, data: vx(PortVXLAN, cat([]byte{0, 0, 0, 0, 0, 0, 1, 0}, innerEth(EtherTypeIPv4), tcp4)), anoms: []AnomalyKind{AnomalyBadVXLAN}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			eq(t, "DstPort", p.IP.DstPort, uint16(PortVXLAN))
		}},
		{name: "vxlan/short", link: LinkEthernet, data: vx(PortVXLAN, []byte{8, 0, 0, 0}), anoms: []AnomalyKind{AnomalyBadVXLAN}},
		{name: "vxlan/inner-lldp", link: LinkEthernet, data: vx(PortVXLAN, cat(vxlanHdr(1), innerEth(0x88cc), make([]byte, 30))), anoms: []AnomalyKind{AnomalyInnerNotIP}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			ipIs(t, p, 4, "172.16.0.1", "172.16.0.2", ProtoUDP)
			portsAre(t, &p.IP, 55555, PortVXLAN, 8+14+30)
			eq(t, "len(Payload)", len(p.Payload), 8+14+30)
			eq(t, "len(IPRaw)", len(p.IPRaw), 20+8+8+14+30)
			eq(t, "Detail", p.Anomalies[0].Detail, uint32(0x88cc))
		}},
		{name: "vxlan/inner-eth-short", link: LinkEthernet, data: vx(PortVXLAN, cat(vxlanHdr(1), make([]byte, 6))), anoms: []AnomalyKind{AnomalyTruncatedEthernet}, trunc: true, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			eq(t, "DstPort", p.IP.DstPort, uint16(PortVXLAN))
		}},
		{name: "vxlan/inner-bad-ip", link: LinkEthernet, data: vx(PortVXLAN, cat(vxlanHdr(1), innerEth(EtherTypeIPv4), udp6)), anoms: []AnomalyKind{AnomalyBadIPVersion}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "vxlan/inner-arp", link: LinkEthernet, data: vx(PortVXLAN, cat(vxlanHdr(1), innerEth(EtherTypeARP), arpPkt(1))), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelVXLAN)
			eq(t, "IsARP", p.IsARP, true)
			eq(t, "IP.Version", p.IP.Version, uint8(0))
		}},
		{name: "geneve/eth-options", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(2, EtherTypeTEB, cat(innerEth(EtherTypeIPv4), tcp4))), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGeneve)
			outerIs(t, p, 0, "172.16.0.1", "172.16.0.2", ProtoUDP, 40000, PortGeneve, 16+14+52)
		}},
		{name: "geneve/ipv6", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(0, EtherTypeIPv6, udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelGeneve)
		}},
		{name: "geneve/ipv4", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(1, EtherTypeIPv4, tcp4)), check: tcp4Inner},
		{name: "geneve/arp", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(0, EtherTypeARP, arpPkt(1))), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelGeneve)
			eq(t, "IsARP", p.IsARP, true)
		}},
		{name: "geneve/bad-version", link: LinkEthernet, data: udpOuter(40000, PortGeneve, cat([]byte{0x40, 0}, u16(EtherTypeTEB), u32(0), innerEth(EtherTypeIPv4), tcp4)), anoms: []AnomalyKind{AnomalyBadGeneve}},
		{name: "geneve/unknown-proto", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(0, 0x1234, tcp4)), anoms: []AnomalyKind{AnomalyInnerNotIP}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "geneve/empty", link: LinkEthernet, data: udpOuter(40000, PortGeneve, nil), anoms: []AnomalyKind{AnomalyBadGeneve}},
		{name: "geneve/nothing-inside", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(0, EtherTypeTEB, nil)), anoms: []AnomalyKind{AnomalyGeneveEmpty}, trunc: true},
		{name: "geneve/inner-eth-short", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(0, EtherTypeTEB, make([]byte, 6))), anoms: []AnomalyKind{AnomalyTruncatedEthernet}, trunc: true},
		{name: "geneve/options-cut", link: LinkEthernet, data: udpOuter(40000, PortGeneve, geneveHdr(2, EtherTypeTEB, nil)[:12]), anoms: []AnomalyKind{AnomalyBadGeneve}},
		{name: "teredo", link: LinkEthernet, data: udpOuter(PortTeredo, 50000, udp6), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelTeredo)
			outerIs(t, p, 0, "172.16.0.1", "172.16.0.2", ProtoUDP, PortTeredo, 50000, 60)
		}},
		{name: "teredo/auth-origin", link: LinkEthernet, data: udpOuter(50000, PortTeredo, cat(teredoAuth, teredoOrigin, udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelTeredo)
		}},
		{name: "teredo/origin", link: LinkEthernet, data: udpOuter(50000, PortTeredo, cat(teredoOrigin, udp6)), check: udp6Inner},
		{name: "teredo/bubble", link: LinkEthernet, data: udpOuter(50000, PortTeredo, bubble), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelTeredo)
			ipIs(t, p, 6, "2001::1", "2001::2", ProtoNoNext)
		}},
		{name: "teredo/not-ipv6", link: LinkEthernet, data: udpOuter(50000, PortTeredo, make([]byte, 60)), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			ipIs(t, p, 4, "172.16.0.1", "172.16.0.2", ProtoUDP)
		}},
		{name: "teredo/plen-too-big", link: LinkEthernet, data: udpOuter(50000, PortTeredo, bigPlen), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "teredo/longer-than-stated", link: LinkEthernet, data: udpOuter(50000, PortTeredo, cat(udp6, []byte{1, 2, 3, 4})), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p) // Zeek: payload length mismatch, a violation
		}},
		{name: "teredo/bubble-with-payload", link: LinkEthernet, data: udpOuter(50000, PortTeredo, cat(bubble, []byte{1, 2, 3, 4})), anoms: []AnomalyKind{AnomalyTeredoBubblePayload}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelTeredo)
			ipIs(t, p, 6, "2001::1", "2001::2", ProtoNoNext)
			eq(t, "Detail", p.Anomalies[0].Detail, 4)
		}},
		{name: "teredo/snap-cut", link: LinkEthernet, data: cut(udpOuter(50000, PortTeredo, udp6), 3), trunc: true, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p) // Zeek: caplen too small, a violation
		}},
		{name: "teredo/auth-after-origin", link: LinkEthernet, data: udpOuter(50000, PortTeredo, cat(teredoOrigin, teredoAuth, udp6)), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "teredo/detected-src", link: LinkEthernet, data: udpOuter(40000, 32900, teredoSrc), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelTeredo)
			ipIs(t, p, 6, "2001:0:4137:9e50::1", "2001:db8::2", ProtoUDP)
		}},
		{name: "teredo/detected-dst", link: LinkEthernet, data: udpOuter(40000, 32900, teredoDst), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p, TunnelTeredo)
			ipIs(t, p, 6, "2001:db8::2", "2001:0:4137:9e50::1", ProtoUDP)
		}},
		{name: "teredo/detected-origin", link: LinkEthernet, data: udpOuter(40000, 32900, cat(teredoOrigin, udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelTeredo)
		}},
		{name: "teredo/detected-auth-origin", link: LinkEthernet, data: udpOuter(40000, 32900, cat(teredoAuth, teredoOrigin, udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelTeredo)
		}},
		{name: "teredo/not-detected", link: LinkEthernet, data: udpOuter(40000, 32900, udp6), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p) // IPv6 without a Teredo address or header
			ipIs(t, p, 4, "172.16.0.1", "172.16.0.2", ProtoUDP)
		}},
		{name: "teredo/detection-off", link: LinkEthernet, cfg: &noDetect, data: udpOuter(40000, 32900, teredoSrc), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "ayiya/ipv6", link: LinkEthernet, data: udpOuter(53859, PortAYIYA, ayiyaHdr(4, 5, 1, ProtoIPv6, udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelAYIYA)
			outerIs(t, p, 0, "172.16.0.1", "172.16.0.2", ProtoUDP, 53859, PortAYIYA, 44+len(udp6))
		}},
		{name: "ayiya/src-port", link: LinkEthernet, data: udpOuter(PortAYIYA, 53796, ayiyaHdr(4, 0, 1, ProtoIPIP, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelAYIYA)
		}},
		{name: "ayiya/detected", link: LinkEthernet, data: udpOuter(40000, 40001, ayiyaHdr(2, 5, 1, ProtoIPIP, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelAYIYA)
		}},
		{name: "ayiya/large-identity", link: LinkEthernet, data: udpOuter(12345, PortAYIYA, ayiyaHdr(8, 5, 1, ProtoIPv6, udp6)), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p) // a 256-byte identity
			tunnelsAre(t, p, TunnelAYIYA)
		}},
		{name: "ayiya/not-forward", link: LinkEthernet, data: udpOuter(40000, PortAYIYA, ayiyaHdr(4, 5, 2, ProtoIPv6, udp6)), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "ayiya/empty", link: LinkEthernet, data: udpOuter(40000, PortAYIYA, ayiyaHdr(4, 5, 1, ProtoIPv6, nil)), anoms: []AnomalyKind{AnomalyAYIYAEmpty}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "ayiya/short", link: LinkEthernet, data: udpOuter(40000, PortAYIYA, ayiyaHdr(4, 5, 1, ProtoIPv6, nil)[:20]), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "ayiya/not-ip", link: LinkEthernet, data: udpOuter(40000, PortAYIYA, ayiyaHdr(4, 5, 1, 59, udp6)), anoms: []AnomalyKind{AnomalyInnerNotIP}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "ayiya/inner-version-mismatch", link: LinkEthernet, data: udpOuter(40000, PortAYIYA, ayiyaHdr(4, 5, 1, ProtoIPIP, udp6)), anoms: []AnomalyKind{AnomalyBadIPVersion}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			ipIs(t, p, 4, "172.16.0.1", "172.16.0.2", ProtoUDP)
		}},
		{name: "gtpu", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, gtpHdr(0x30, 0xff, tcp4)), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelGTPU)
			outerIs(t, p, 0, "172.16.0.1", "172.16.0.2", ProtoUDP, PortGTPU, PortGTPU, 8+52)
		}},
		{name: "gtpu/seq-ext", link: LinkEthernet, data: udpOuter(40000, PortGTPU, gtpHdr(0x36, 0xff, udp6, u16(5), []byte{0, 0x85}, []byte{1, 0x10, 0x01, 0})), check: func(t *testing.T, p *Packet) {
			udp6Inner(t, p)
			tunnelsAre(t, p, TunnelGTPU)
		}},
		{name: "gtpu/src-port", link: LinkEthernet, data: udpOuter(PortGTPU, 40000, gtpHdr(0x30, 0xff, tcp4)), check: tcp4Inner},
		{name: "gtpu/echo", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, gtpHdr(0x32, 1, nil, u16(1), []byte{0, 0})), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
			eq(t, "DstPort", p.IP.DstPort, uint16(PortGTPU))
		}},
		{name: "gtpu/version2", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, gtpHdr(0x50, 0xff, tcp4)), check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "gtpu/not-ip", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, gtpHdr(0x30, 0xff, make([]byte, 30))), anoms: []AnomalyKind{AnomalyInnerNotIP}, check: func(t *testing.T, p *Packet) {
			tunnelsAre(t, p)
		}},
		{name: "gtpu/ext-len-0", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, gtpHdr(0x34, 0xff, tcp4, u16(0), []byte{0, 0x85}, []byte{0, 0, 0, 0})), anoms: []AnomalyKind{AnomalyBadGTP}},
		{name: "gtpu/len-too-big", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, cat([]byte{0x30, 0xff}, u16(500), u32(1), tcp4)), anoms: []AnomalyKind{AnomalyBadGTP}},
		{name: "gtpu/empty", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, gtpHdr(0x30, 0xff, nil)), anoms: []AnomalyKind{AnomalyBadGTP}},
		{name: "gtpu/short", link: LinkEthernet, data: udpOuter(PortGTPU, PortGTPU, []byte{0x30, 0xff, 0}), anoms: []AnomalyKind{AnomalyBadGTP}},
		{name: "gtpu/in-vxlan", link: LinkEthernet, data: vx(PortVXLAN, cat(vxlanHdr(1), innerEth(EtherTypeIPv4), v4{src: "5.5.5.5", dst: "6.6.6.6", proto: ProtoUDP}.build(udp(PortGTPU, PortGTPU, gtpHdr(0x30, 0xff, tcp4))))), check: func(t *testing.T, p *Packet) {
			tcp4Inner(t, p)
			tunnelsAre(t, p, TunnelVXLAN, TunnelGTPU)
			outerIs(t, p, 1, "5.5.5.5", "6.6.6.6", ProtoUDP, PortGTPU, PortGTPU, 60)
		}},
	}
}

func checkAnoms(t *testing.T, p *Packet, want []AnomalyKind) {
	t.Helper()
	var got []AnomalyKind
	for i := 0; i < int(p.NumAnomalies); i++ {
		got = append(got, p.Anomalies[i].Kind)
	}
	if !slices.Equal(got, want) {
		t.Errorf("anomalies = %v, want %v", got, want)
	}
}

// within reports whether sub lies inside outer's memory.
func within(sub, outer []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(outer) == 0 {
		return false
	}
	s, o := uintptr(unsafe.Pointer(unsafe.SliceData(sub))), uintptr(unsafe.Pointer(unsafe.SliceData(outer)))
	return s >= o && s+uintptr(len(sub)) <= o+uintptr(len(outer))
}

// checkInvariants holds for every decoded packet, whatever the input.
func checkInvariants(t testing.TB, p *Packet, data []byte) {
	t.Helper()
	if p.NumTunnels > MaxTunnels {
		t.Fatalf("NumTunnels %d", p.NumTunnels)
	}
	if p.NumAnomalies > MaxAnomalies || p.NumVLANs > 2 {
		t.Fatalf("NumAnomalies %d NumVLANs %d", p.NumAnomalies, p.NumVLANs)
	}
	if !within(p.IPRaw, data) || !within(p.Payload, data) {
		t.Fatalf("IPRaw/Payload outside the frame")
	}
	if p.IPRaw != nil && !within(p.Payload, p.IPRaw) {
		t.Fatalf("Payload outside IPRaw")
	}
	if p.IP.Version != 0 && p.IP.Version != 4 && p.IP.Version != 6 {
		t.Fatalf("IP.Version %d", p.IP.Version)
	}
	if p.IP.Version != 0 && p.IPRaw == nil {
		t.Fatalf("IP without IPRaw")
	}
	if len(p.IPRaw) > p.IP.IPLen && p.IP.IPLen >= p.IP.HeaderLen {
		t.Fatalf("len(IPRaw) %d > IPLen %d", len(p.IPRaw), p.IP.IPLen)
	}
	if p.IP.L4Len < 0 || len(p.Payload) > p.IP.L4Len && p.IP.HasL4 {
		t.Fatalf("L4Len %d, len(Payload) %d", p.IP.L4Len, len(p.Payload))
	}
	for i := 0; i < int(p.NumTunnels); i++ {
		if v := p.Tunnels[i].Outer.Version; v != 4 && v != 6 {
			t.Fatalf("tunnel %d outer version %d", i, v)
		}
		if p.Tunnels[i].Kind == TunnelNone {
			t.Fatalf("tunnel %d kind none", i)
		}
	}
	for i := 0; i < int(p.NumAnomalies); i++ {
		if p.Anomalies[i].Kind == AnomalyNone || p.Anomalies[i].Kind >= anomalyKindCount {
			t.Fatalf("anomaly %d kind %d", i, p.Anomalies[i].Kind)
		}
	}
}

func TestDecodeTable(t *testing.T) {
	def := NewDecoder(DefaultConfig())
	seen := map[string]bool{}
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate case name")
			}
			seen[tc.name] = true
			d := def
			if tc.cfg != nil {
				d = NewDecoder(*tc.cfg)
			}
			var p Packet
			p.Tunnels[3].Kind = TunnelGRE // stale state must be reset
			p.NumAnomalies = 3
			wire := tc.wire
			if wire == 0 {
				wire = 1500
			}
			d.Decode(tc.data, tc.link, 12345, wire, &p)
			checkAnoms(t, &p, tc.anoms)
			eq(t, "Truncated", p.Truncated, tc.trunc)
			eq(t, "CapLen", p.CapLen, len(tc.data))
			checkInvariants(t, &p, tc.data)
			if tc.check != nil {
				tc.check(t, &p)
			}
			if !tc.skipCsum && !TransportChecksumOK(&p) {
				t.Errorf("TransportChecksumOK = false")
			}
			if allocs := testing.AllocsPerRun(20, func() { d.Decode(tc.data, tc.link, 0, 0, &p) }); allocs != 0 {
				t.Errorf("%v allocs per Decode", allocs)
			}
		})
	}
}

// TestAnomalyCoverage checks that the table exercises every anomaly kind
// the decoder emits.
func TestAnomalyCoverage(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	seen := map[AnomalyKind]bool{}
	for _, tc := range decodeCases() {
		dd := d
		if tc.cfg != nil {
			dd = NewDecoder(*tc.cfg)
		}
		var p Packet
		dd.Decode(tc.data, tc.link, 0, 0, &p)
		for i := 0; i < int(p.NumAnomalies); i++ {
			seen[p.Anomalies[i].Kind] = true
		}
	}
	// Kinds that belong to other stages (defragmentation, flow table).
	other := map[AnomalyKind]bool{
		AnomalyFragmentOverlap: true, AnomalyFragmentInconsistent: true, AnomalyTinyFirstFragment: true,
		AnomalyOversizedFragment: true, AnomalyFragmentTimeout: true, AnomalyFragmentMemoryCap: true,
		AnomalyFragmentSizeMismatch: true, AnomalyLandAttack: true, AnomalyFlowTableFull: true,
		AnomalyBadTeredo:           true, // malformed Teredo is plain UDP, without an anomaly
		AnomalyRexmitInconsistency: true, // stream reassembly
		AnomalyIncompleteFragment:  true, // defragmentation
	}
	for _, k := range AnomalyKinds() {
		if !seen[k] && !other[k] {
			t.Errorf("no table case emits %v", k)
		}
		if k.String() == "unknown_anomaly" {
			t.Errorf("kind %d has no name", k)
		}
	}
}

// TestTruncationSweep decodes every prefix of sample packets: no panic, and
// every proper prefix is marked Truncated.
func TestTruncationSweep(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	samples := map[string][]byte{
		"eth/ipv4/tcp": sampleEthTCP4(),
		"eth/ipv6-ext": cat(ethHdr(EtherTypeIPv6), sampleUDP6Ext()),
		"vxlan":        sampleVXLAN(),
		"qinq/mpls":    cat(ethHdr(EtherTypeQinQ), tag(10, EtherTypeVLAN), tag(20, EtherTypeMPLS), mplsLabel(1, true), sampleTCP4()),
		"gtpu-ext":     cat(ethHdr(EtherTypeIPv4), v4{proto: ProtoUDP}.build(udp(1, PortGTPU, gtpHdr(0x36, 0xff, sampleUDP6(), u16(5), []byte{0, 0x85}, []byte{1, 0x10, 0x01, 0})))),
		"erspan3":      cat(ethHdr(EtherTypeIPv4), v4{proto: ProtoGRE}.build(greHdr(0x1000, EtherTypeERSPAN3, u32(1), []byte{0x20, 0x64, 0, 0}, u32(0), u32(1), make([]byte, 8), innerEth(EtherTypeIPv4), sampleTCP4()))),
	}
	for name, full := range samples {
		var p Packet
		d.Decode(full, LinkEthernet, 0, 0, &p)
		if p.Truncated || p.NumAnomalies != 0 {
			t.Fatalf("%s: full packet: truncated=%v anomalies=%v", name, p.Truncated, p.Anomalies[:p.NumAnomalies])
		}
		for n := 0; n < len(full); n++ {
			data := full[:n]
			d.Decode(data, LinkEthernet, 0, 0, &p)
			checkInvariants(t, &p, data)
			if !p.Truncated {
				t.Errorf("%s: prefix %d/%d not marked Truncated (anomalies %v)", name, n, len(full), p.Anomalies[:p.NumAnomalies])
			}
		}
	}
}

func TestDecodeIP(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	var p Packet
	// A GRE tunnel whose inner IPv4 datagram is a first fragment.
	frame := cat(ethHdr(EtherTypeVLAN), tag(42, EtherTypeIPv4), v4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoGRE}.build(
		greHdr(0, EtherTypeIPv4, v4{proto: ProtoUDP, mf: true, id: 5}.build(udp(1, 2, make([]byte, 16))))))
	d.Decode(frame, LinkEthernet, 777, 999, &p)
	if !p.Frag.IsFragment || p.NumTunnels != 1 {
		t.Fatalf("setup: frag=%v tunnels=%d", p.Frag.IsFragment, p.NumTunnels)
	}
	// The defragmenter hands back a reassembled datagram, itself a VXLAN
	// packet (a tunnel inside data).
	d.DecodeIP(v4{src: "172.16.0.1", dst: "172.16.0.2", proto: ProtoUDP}.build(udp(1, PortVXLAN, cat(vxlanHdr(3), innerEth(EtherTypeIPv4), sampleTCP4()))), &p)
	tcp4Inner(t, &p)
	tunnelsAre(t, &p, TunnelGRE, TunnelVXLAN)
	outerIs(t, &p, 0, "1.1.1.1", "2.2.2.2", ProtoGRE, 0, 0, 4+20+8+16)
	outerIs(t, &p, 1, "172.16.0.1", "172.16.0.2", ProtoUDP, 1, PortVXLAN, 8+14+52)
	eq(t, "Frag cleared", p.Frag, FragInfo{})
	eq(t, "TS", p.TS, int64(777))
	eq(t, "WireLen", p.WireLen, 999)
	eq(t, "VLANs[0]", p.VLANs[0], uint16(42))
	eq(t, "SrcMAC", p.SrcMAC, macA)
	eq(t, "len(IPRaw)", len(p.IPRaw), 52)

	// An IPv6 datagram; a garbage datagram leaves no IP.
	d.DecodeIP(sampleUDP6Ext(), &p)
	udp6Inner(t, &p)
	d.DecodeIP([]byte{0x10, 0, 0}, &p)
	eq(t, "Version after garbage", p.IP.Version, uint8(0))
	if !p.HasAnomaly(AnomalyBadIPVersion) {
		t.Errorf("no bad_IP_version on garbage")
	}
	if a := testing.AllocsPerRun(20, func() { d.DecodeIP(sampleTCP4Static, &p) }); a != 0 {
		t.Errorf("%v allocs per DecodeIP", a)
	}
}

var sampleTCP4Static = sampleTCP4()

func TestTransportChecksum(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	flip := func(b []byte, off int) []byte {
		c := append([]byte(nil), b...)
		c[off] ^= 0x01
		return c
	}
	cases := []struct {
		name string
		link LinkType
		data []byte
		ok   bool
	}{
		{"tcp4", LinkRaw, sampleTCP4(), true},
		{"tcp4-bad", LinkRaw, flip(sampleTCP4(), 45), false},
		{"udp6", LinkRaw, sampleUDP6(), true},
		{"udp6-bad", LinkRaw, flip(sampleUDP6(), 50), false},
		{"udp6-ext", LinkRaw, sampleUDP6Ext(), true},
		{"udp6-rh0-final-dst", LinkRaw, v6{finalDst: "2001:db8::77"}.build([]ext{routingExt(0, 1, "2001:db8::77")}, ProtoUDP, udp(1, 2, payloadHello)), true},
		{"udp6-rh0-wrong-dst", LinkRaw, v6{}.build([]ext{routingExt(0, 1, "2001:db8::77")}, ProtoUDP, udp(1, 2, payloadHello)), false},
		{"udp4-zero", LinkRaw, v4{proto: ProtoUDP, noL4Sum: true}.build(udp(1, 2, payloadHello)), true},
		{"udp4-truncated", LinkRaw, flip(sampleTCP4(), 45)[:50], true},
		{"icmp4", LinkRaw, v4{proto: ProtoICMP}.build(icmpEcho(8, 1, 1, payloadHello)), true},
		{"icmp4-bad", LinkRaw, flip(v4{proto: ProtoICMP}.build(icmpEcho(8, 1, 1, payloadHello)), 30), false},
		{"icmp6", LinkRaw, v6{}.build(nil, ProtoICMPv6, icmpEcho(128, 1, 1, payloadHello)), true},
		{"icmp6-bad", LinkRaw, flip(v6{}.build(nil, ProtoICMPv6, icmpEcho(128, 1, 1, payloadHello)), 50), false},
		{"odd-length", LinkRaw, v4{proto: ProtoTCP}.build(tcpH{sp: 1, dp: 2, flags: TCPAck}.build([]byte("abc"))), true},
		{"vxlan-inner", LinkEthernet, sampleVXLAN(), true},
		{"sctp", LinkRaw, v4{proto: ProtoSCTP}.build(sctp(1, 2, nil)), true},
	}
	var p Packet
	for _, c := range cases {
		d.Decode(c.data, c.link, 0, 0, &p)
		if got := TransportChecksumOK(&p); got != c.ok {
			t.Errorf("%s: TransportChecksumOK = %v, want %v", c.name, got, c.ok)
		}
	}
	d.Decode(sampleTCP4Static, LinkRaw, 0, 0, &p)
	if a := testing.AllocsPerRun(20, func() { TransportChecksumOK(&p) }); a != 0 {
		t.Errorf("%v allocs per TransportChecksumOK", a)
	}
}

func TestConfigDefaults(t *testing.T) {
	d := NewDecoder(Config{DecodeTunnels: true})
	var p Packet
	d.Decode(sampleVXLAN(), LinkEthernet, 0, 0, &p)
	tunnelsAre(t, &p, TunnelVXLAN)
	if d.maxExt != DefaultMaxExtHeaders {
		t.Errorf("maxExt %d", d.maxExt)
	}
	// An empty non-nil list disables the kind.
	d = NewDecoder(Config{DecodeTunnels: true, VXLANPorts: []uint16{}})
	d.Decode(sampleVXLAN(), LinkEthernet, 0, 0, &p)
	tunnelsAre(t, &p)
	// The caller's slice is copied.
	ports := []uint16{9999}
	d = NewDecoder(Config{DecodeTunnels: true, VXLANPorts: ports})
	ports[0] = PortVXLAN
	d.Decode(sampleVXLAN(), LinkEthernet, 0, 0, &p)
	tunnelsAre(t, &p)
}

// TestConcurrentDecode shares one Decoder between goroutines (run with
// -race to check it keeps no per-call state).
func TestConcurrentDecode(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	cases := decodeCases()
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			var p Packet
			for i := 0; i < 200; i++ {
				tc := cases[(i*7+g)%len(cases)]
				if tc.cfg != nil {
					continue
				}
				d.Decode(tc.data, tc.link, 0, 0, &p)
			}
			done <- true
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

func TestNames(t *testing.T) {
	eq(t, "TunnelGTPU", TunnelGTPU.String(), "GTPV1")
	eq(t, "TunnelKind(99)", TunnelKind(99).String(), "UNKNOWN")
	eq(t, "AnomalyUnknownLinkType", AnomalyUnknownLinkType.String(), "unknown_link_type")
}

// TestDropAnomaly removes the first anomaly of a kind and keeps the
// others in order.
func TestDropAnomaly(t *testing.T) {
	var p Packet
	p.AddAnomaly(AnomalyBadIPChecksum, 1)
	p.AddAnomaly(AnomalyTeredoBubblePayload, 2)
	p.AddAnomaly(AnomalyBadIPChecksum, 3)
	if !p.DropAnomaly(AnomalyBadIPChecksum) || p.DropAnomaly(AnomalyAYIYAEmpty) {
		t.Fatal("DropAnomaly reports the wrong presence")
	}
	if got := p.Anomalies[:p.NumAnomalies]; len(got) != 2 || got[0] != (Anomaly{AnomalyTeredoBubblePayload, 2}) || got[1] != (Anomaly{AnomalyBadIPChecksum, 3}) {
		t.Errorf("anomalies left %v", got)
	}
}
