package decode

// Test-only packet builder: small helpers that assemble frames byte by byte,
// filling lengths and checksums unless told otherwise.

import (
	"encoding/binary"
	"net/netip"
)

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

var (
	macA = [6]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	macB = [6]byte{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}
)

// ethHdr is an Ethernet II header from macA to macB with EtherType et.
func ethHdr(et uint16) []byte { return cat(macB[:], macA[:], u16(et)) }

// tag is a VLAN tag body (TCI, next EtherType) following a TPID.
func tag(vid, next uint16) []byte { return cat(u16(0x2000|vid), u16(next)) }

// mplsLabel is one MPLS label stack entry.
func mplsLabel(label uint32, bottom bool) []byte {
	v := label<<12 | 64
	if bottom {
		v |= 0x100
	}
	return u32(v)
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// csum is an independent, plain 16-bit one's-complement checksum.
func csum(parts ...[]byte) uint16 {
	var s uint32
	b := cat(parts...)
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// l4SumOffset is where the checksum sits in a transport header.
func l4SumOffset(proto uint8) int {
	switch proto {
	case ProtoTCP:
		return 16
	case ProtoUDP:
		return 6
	case ProtoICMP, ProtoICMPv6:
		return 2
	}
	return -1
}

// fillL4Sum computes the transport checksum of seg in place.
func fillL4Sum(proto uint8, seg []byte, pseudo []byte) {
	off := l4SumOffset(proto)
	if off < 0 || len(seg) < off+2 {
		return
	}
	seg[off], seg[off+1] = 0, 0
	var s uint16
	if proto == ProtoICMP {
		s = csum(seg)
	} else {
		s = csum(pseudo, seg)
	}
	if s == 0 && proto == ProtoUDP {
		s = 0xffff
	}
	binary.BigEndian.PutUint16(seg[off:], s)
}

// v4 describes an IPv4 header.
type v4 struct {
	src, dst string // default 10.0.0.1 -> 10.0.0.2
	proto    uint8
	ttl      uint8 // default 64
	id       uint16
	fragOff  int // bytes
	mf, df   bool
	opts     []byte // must be a multiple of 4
	totLen   int    // 0: computed
	ihl      int    // 0: computed (in 4-byte words)
	version  uint8  // 0: 4
	badSum   bool
	noL4Sum  bool
}

func (h v4) build(payload []byte) []byte {
	if h.src == "" {
		h.src = "10.0.0.1"
	}
	if h.dst == "" {
		h.dst = "10.0.0.2"
	}
	if h.ttl == 0 {
		h.ttl = 64
	}
	if h.version == 0 {
		h.version = 4
	}
	hl := 20 + len(h.opts)
	ihl := h.ihl
	if ihl == 0 {
		ihl = hl / 4
	}
	tot := h.totLen
	if tot == 0 {
		tot = hl + len(payload)
	}
	fo := uint16(h.fragOff / 8)
	if h.mf {
		fo |= 0x2000
	}
	if h.df {
		fo |= 0x4000
	}
	src, dst := mustAddr(h.src).As4(), mustAddr(h.dst).As4()
	hdr := cat([]byte{h.version<<4 | byte(ihl&0xf), 0}, u16(uint16(tot)), u16(h.id), u16(fo),
		[]byte{h.ttl, h.proto, 0, 0}, src[:], dst[:], h.opts)
	s := csum(hdr)
	if h.badSum {
		s ^= 0x5a5a
	}
	binary.BigEndian.PutUint16(hdr[10:], s)
	seg := append([]byte(nil), payload...)
	if !h.noL4Sum && h.fragOff == 0 && !h.mf {
		pseudo := cat(src[:], dst[:], []byte{0, h.proto}, u16(uint16(len(seg))))
		fillL4Sum(h.proto, seg, pseudo)
	}
	return cat(hdr, seg)
}

// ext is one IPv6 extension header: its type and the bytes after the
// next-header and length bytes (padded by the builder).
type ext struct {
	typ  uint8
	body []byte
	// rawLen overrides the length byte when >= 0 (set via withLen); the
	// constructors set it to -1.
	rawLen int
}

func withLen(e ext, l int) ext { e.rawLen = l; return e }

func hbhExt() ext { return ext{typ: ProtoHopByHop, body: []byte{1, 4, 0, 0, 0, 0}, rawLen: -1} } // PadN
func dstExt() ext { return ext{typ: ProtoDstOpts, body: []byte{1, 4, 0, 0, 0, 0}, rawLen: -1} }

func fragExt(off int, more bool, id uint32) ext {
	fo := uint16(off/8) << 3
	if more {
		fo |= 1
	}
	return ext{typ: ProtoFragment, body: cat(u16(fo), u32(id)), rawLen: -1}
}

func routingExt(typ, segLeft uint8, addrs ...string) ext {
	b := []byte{typ, segLeft, 0, 0, 0, 0}
	for _, a := range addrs {
		x := mustAddr(a).As16()
		b = append(b, x[:]...)
	}
	return ext{typ: ProtoRouting, body: b, rawLen: -1}
}

func ahExt() ext {
	// SPI, sequence, 12-byte ICV: 24 bytes in all, length byte 4.
	return ext{typ: ProtoAH, body: make([]byte, 22), rawLen: -1}
}

func mobilityExt() ext { return ext{typ: ProtoMobility, body: []byte{0, 0, 0, 0, 0, 0}, rawLen: -1} }

// v6 describes an IPv6 header.
type v6 struct {
	src, dst string // default 2001:db8::1 -> 2001:db8::2
	hlim     uint8
	plen     int // used when plenSet, else computed
	plenSet  bool
	finalDst string // destination for the transport checksum
	noL4Sum  bool
	version  uint8
}

func (h v6) build(exts []ext, proto uint8, payload []byte) []byte {
	if h.src == "" {
		h.src = "2001:db8::1"
	}
	if h.dst == "" {
		h.dst = "2001:db8::2"
	}
	if h.hlim == 0 {
		h.hlim = 64
	}
	if h.version == 0 {
		h.version = 6
	}
	var chain []byte
	first := proto
	if len(exts) > 0 {
		first = exts[0].typ
	}
	for i, e := range exts {
		next := proto
		if i+1 < len(exts) {
			next = exts[i+1].typ
		}
		body := e.body
		var l byte
		switch e.typ {
		case ProtoFragment:
			l = 0
		case ProtoAH:
			l = byte((len(body)+2)/4 - 2)
		default:
			for (len(body)+2)%8 != 0 {
				body = append(append([]byte(nil), body...), 0)
			}
			l = byte((len(body)+2)/8 - 1)
		}
		if e.rawLen >= 0 {
			l = byte(e.rawLen)
		}
		chain = append(chain, next, l)
		chain = append(chain, body...)
	}
	seg := append([]byte(nil), payload...)
	src, dst := mustAddr(h.src).As16(), mustAddr(h.dst).As16()
	fd := dst
	if h.finalDst != "" {
		fd = mustAddr(h.finalDst).As16()
	}
	if !h.noL4Sum {
		pseudo := cat(src[:], fd[:], u32(uint32(len(seg))), []byte{0, 0, 0, proto})
		fillL4Sum(proto, seg, pseudo)
	}
	plen := len(chain) + len(seg)
	if h.plenSet {
		plen = h.plen
	}
	hdr := cat([]byte{h.version << 4, 0, 0, 0}, u16(uint16(plen)), []byte{first, h.hlim}, src[:], dst[:])
	return cat(hdr, chain, seg)
}

// tcpH describes a TCP header.
type tcpH struct {
	sp, dp   uint16
	seq, ack uint32
	flags    uint8
	win      uint16
	opts     []byte
	doff     int // 0: computed (words)
}

func (h tcpH) build(payload []byte) []byte {
	if h.win == 0 {
		h.win = 65535
	}
	doff := h.doff
	if doff == 0 {
		doff = (20 + len(h.opts)) / 4
	}
	return cat(u16(h.sp), u16(h.dp), u32(h.seq), u32(h.ack), []byte{byte(doff << 4), h.flags},
		u16(h.win), u16(0), u16(0), h.opts, payload)
}

// udp builds a UDP datagram; ulen 0 means computed.
func udp(sp, dp uint16, payload []byte) []byte { return udpLen(sp, dp, 0, payload) }

func udpLen(sp, dp uint16, ulen int, payload []byte) []byte {
	if ulen == 0 {
		ulen = 8 + len(payload)
	}
	return cat(u16(sp), u16(dp), u16(uint16(ulen)), u16(0), payload)
}

func icmpEcho(typ uint8, id, seq uint16, payload []byte) []byte {
	return cat([]byte{typ, 0, 0, 0}, u16(id), u16(seq), payload)
}

func sctp(sp, dp uint16, payload []byte) []byte {
	return cat(u16(sp), u16(dp), u32(0xdeadbeef), u32(0), payload)
}

func arpPkt(op uint16) []byte {
	return cat(u16(1), u16(0x0800), []byte{6, 4}, u16(op), macA[:], []byte{10, 0, 0, 1}, macB[:], []byte{10, 0, 0, 2})
}

// Common samples.

var payloadHello = []byte("hello, world")

func sampleTCP4() []byte {
	return v4{proto: ProtoTCP}.build(tcpH{sp: 40000, dp: 80, seq: 1000, ack: 2000, flags: TCPAck | TCPPsh}.build(payloadHello))
}

func sampleEthTCP4() []byte { return cat(ethHdr(EtherTypeIPv4), sampleTCP4()) }

func sampleUDP6() []byte {
	return v6{}.build(nil, ProtoUDP, udp(5353, 53, payloadHello))
}

// sampleUDP6Ext is IPv6 with hop-by-hop, destination options and a type-2
// routing header (segments left 0) in front of UDP.
func sampleUDP6Ext() []byte {
	return v6{}.build([]ext{hbhExt(), dstExt(), routingExt(2, 0, "2001:db8::99")}, ProtoUDP, udp(5353, 53, payloadHello))
}

func vxlanHdr(vni uint32) []byte { return cat([]byte{0x08, 0, 0, 0}, u32(vni<<8)) }

// sampleVXLAN is Ethernet/IPv4/UDP 4789/VXLAN/Ethernet/IPv4/TCP.
func sampleVXLAN() []byte {
	inner := cat(ethHdr(EtherTypeIPv4), v4{src: "192.168.1.1", dst: "192.168.1.2", proto: ProtoTCP}.build(
		tcpH{sp: 1234, dp: 443, flags: TCPSyn, seq: 7}.build(nil)))
	return cat(ethHdr(EtherTypeIPv4), v4{src: "172.16.0.1", dst: "172.16.0.2", proto: ProtoUDP}.build(
		udp(55555, PortVXLAN, cat(vxlanHdr(42), inner))))
}
