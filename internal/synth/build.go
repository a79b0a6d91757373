package synth

import "encoding/binary"

// Frames are built back to front inside one reusable buffer: the transport
// header and payload are written at headroom+ipHeaderLen, the IP header in
// front of them, then link and tunnel headers are prepended into the
// headroom.
const (
	headroom = 128
	bufSize  = headroom + 65536
)

const (
	ethIPv4 = 0x0800
	ethIPv6 = 0x86dd
	ethVLAN = 0x8100

	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoIPv6   = 41
	protoICMPv6 = 58

	tcpFin = 0x01
	tcpSyn = 0x02
	tcpRst = 0x04
	tcpPsh = 0x08
	tcpAck = 0x10
)

// sum adds b to a running ones'-complement sum (unfolded).
func sum(s uint64, b []byte) uint64 {
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v>>32 + v&0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// fold finishes a ones'-complement sum into a checksum field value.
func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// pseudo returns the pseudo-header sum for IPv4 (addresses in [:4]) or IPv6.
func pseudo(v6 bool, src, dst *[16]byte, proto uint8, l4len int) uint64 {
	var s uint64
	if v6 {
		s = sum(0, src[:])
		s = sum(s, dst[:])
	} else {
		s = sum(0, src[:4])
		s = sum(s, dst[:4])
	}
	return s + uint64(proto) + uint64(l4len)
}

// putIPv4 writes a 20-byte IPv4 header with its checksum.
func putIPv4(b []byte, tos uint8, total int, id uint16, df bool, fragOff int, mf bool, ttl, proto uint8, src, dst []byte) {
	b[0] = 0x45
	b[1] = tos
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], id)
	ff := uint16(fragOff / 8)
	if df {
		ff |= 0x4000
	}
	if mf {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], ff)
	b[8] = ttl
	b[9] = proto
	b[10], b[11] = 0, 0
	copy(b[12:16], src)
	copy(b[16:20], dst)
	binary.BigEndian.PutUint16(b[10:], fold(sum(0, b[:20])))
}

// putIPv6 writes a 40-byte IPv6 header.
func putIPv6(b []byte, tc uint8, flow uint32, plen int, next, hop uint8, src, dst *[16]byte) {
	binary.BigEndian.PutUint32(b, 6<<28|uint32(tc)<<20|flow&0xfffff)
	binary.BigEndian.PutUint16(b[4:], uint16(plen))
	b[6] = next
	b[7] = hop
	copy(b[8:24], src[:])
	copy(b[24:40], dst[:])
}

// endpoint is one side of a flow as seen on the wire.
type endpoint struct {
	mac  [6]byte // MAC of the frame's sender on the captured link
	ip   [16]byte
	port uint16
	ttl  uint8 // TTL / hop limit as seen at the capture point
	ipid uint16
	tos  uint8
	flow uint32 // IPv6 flow label
}

// tunnel holds the outer addressing of an encapsulated flow.
type tunnel struct {
	kind     uint8 // encapVXLAN or encap6in4
	vni      uint32
	outer    [2]endpoint // per direction: sender of the outer packet
	innerMAC [2][6]byte  // VXLAN inner Ethernet source per direction
}

const (
	encapNone = iota
	encapVXLAN
	encap6in4
)

// ipHdrLen is the length of the (option-less) IP header.
func ipHdrLen(v6 bool) int {
	if v6 {
		return 40
	}
	return 20
}

// frame prepends tunnel and link headers to the IP packet at
// buf[headroom:headroom+n] and returns the complete frame.
func (g *gen) frame(f *flow, dir int, n int, v6 bool) []byte {
	b := g.buf
	s := headroom
	et := uint16(ethIPv4)
	if v6 {
		et = ethIPv6
	}
	src, dst := &f.ep[dir], &f.ep[1-dir]
	if t := f.tun; t != nil {
		switch t.kind {
		case encapVXLAN:
			// inner Ethernet
			s -= 14
			copy(b[s:], t.innerMAC[1-dir][:])
			copy(b[s+6:], t.innerMAC[dir][:])
			binary.BigEndian.PutUint16(b[s+12:], et)
			// VXLAN
			s -= 8
			b[s], b[s+1], b[s+2], b[s+3] = 0x08, 0, 0, 0
			binary.BigEndian.PutUint32(b[s+4:], t.vni<<8)
			// UDP (checksum 0: not computed, as Linux VTEPs send it)
			s -= 8
			o := &t.outer[dir]
			binary.BigEndian.PutUint16(b[s:], o.port)
			binary.BigEndian.PutUint16(b[s+2:], 4789)
			binary.BigEndian.PutUint16(b[s+4:], uint16(headroom+n-s))
			b[s+6], b[s+7] = 0, 0
			s -= 20
			o.ipid++
			putIPv4(b[s:], 0, headroom+n-s, o.ipid, true, 0, false, o.ttl, protoUDP, o.ip[:4], t.outer[1-dir].ip[:4])
		case encap6in4:
			s -= 20
			o := &t.outer[dir]
			o.ipid++
			putIPv4(b[s:], 0, headroom+n-s, o.ipid, true, 0, false, o.ttl, protoIPv6, o.ip[:4], t.outer[1-dir].ip[:4])
		}
		et = ethIPv4
		src, dst = &t.outer[dir], &t.outer[1-dir]
	}
	if f.vlan != 0 {
		s -= 18
		copy(b[s:], dst.mac[:])
		copy(b[s+6:], src.mac[:])
		binary.BigEndian.PutUint16(b[s+12:], ethVLAN)
		binary.BigEndian.PutUint16(b[s+14:], f.vlan)
		binary.BigEndian.PutUint16(b[s+16:], et)
	} else {
		s -= 14
		copy(b[s:], dst.mac[:])
		copy(b[s+6:], src.mac[:])
		binary.BigEndian.PutUint16(b[s+12:], et)
	}
	return b[s : headroom+n]
}

// ip writes the IP header for an L4 segment of l4len bytes already placed
// after it, and returns the IP packet length.
func (g *gen) ip(f *flow, dir int, proto uint8, l4len int, df bool) int {
	b := g.buf[headroom:]
	e := &f.ep[dir]
	if f.v6 {
		putIPv6(b, e.tos, e.flow, l4len, proto, e.ttl, &e.ip, &f.ep[1-dir].ip)
		return 40 + l4len
	}
	e.ipid++
	putIPv4(b, e.tos, 20+l4len, e.ipid, df, 0, false, e.ttl, proto, e.ip[:4], f.ep[1-dir].ip[:4])
	return 20 + l4len
}

// l4 returns the buffer where the transport header goes.
func (g *gen) l4(f *flow) []byte {
	return g.buf[headroom+ipHdrLen(f.v6):]
}

// udp finishes a UDP datagram whose payload (plen bytes) is already written
// after the 8-byte header, and returns the frame.
func (g *gen) udp(f *flow, dir int, plen int) []byte {
	u := g.l4(f)
	src, dst := &f.ep[dir], &f.ep[1-dir]
	binary.BigEndian.PutUint16(u, src.port)
	binary.BigEndian.PutUint16(u[2:], dst.port)
	binary.BigEndian.PutUint16(u[4:], uint16(8+plen))
	u[6], u[7] = 0, 0
	c := fold(sum(pseudo(f.v6, &src.ip, &dst.ip, protoUDP, 8+plen), u[:8+plen]))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], c)
	n := g.ip(f, dir, protoUDP, 8+plen, false)
	return g.frame(f, dir, n, f.v6)
}

// icmp finishes an ICMP (v4) or ICMPv6 message of mlen bytes (header
// included) already written at l4, and returns the frame.
func (g *gen) icmp(f *flow, dir int, mlen int) []byte {
	u := g.l4(f)
	u[2], u[3] = 0, 0
	proto := uint8(protoICMP)
	var s uint64
	if f.v6 {
		proto = protoICMPv6
		s = pseudo(true, &f.ep[dir].ip, &f.ep[1-dir].ip, protoICMPv6, mlen)
	}
	binary.BigEndian.PutUint16(u[2:], fold(sum(s, u[:mlen])))
	n := g.ip(f, dir, proto, mlen, false)
	return g.frame(f, dir, n, f.v6)
}
