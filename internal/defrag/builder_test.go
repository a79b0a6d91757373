package defrag

import (
	"encoding/binary"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// Test-only fragment builder: it produces IPRaw, FragInfo and the IP fields
// the way the decoder fills them for a fragment.

var (
	src4 = netip.MustParseAddr("192.0.2.1")
	dst4 = netip.MustParseAddr("198.51.100.2")
	src6 = netip.MustParseAddr("2001:db8::1")
	dst6 = netip.MustParseAddr("2001:db8::2")
)

// v4Header builds a 20-byte IPv4 header (or 20+len(opts)) with a valid
// checksum.
func v4Header(src, dst netip.Addr, id uint16, proto uint8, off int, more bool, dataLen int, opts []byte) []byte {
	hl := 20 + len(opts)
	h := make([]byte, hl)
	h[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(h[2:4], uint16(hl+dataLen))
	binary.BigEndian.PutUint16(h[4:6], id)
	fo := uint16(off / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(h[6:8], fo)
	h[8] = 64
	h[9] = proto
	s, d := src.As4(), dst.As4()
	copy(h[12:16], s[:])
	copy(h[16:20], d[:])
	copy(h[20:], opts)
	binary.BigEndian.PutUint16(h[10:12], ipv4Checksum(h))
	return h
}

// frag4 builds an IPv4 fragment carrying data at byte offset off.
func frag4(ts int64, id uint16, proto uint8, off int, more bool, data []byte) *decode.Packet {
	return frag4From(src4, dst4, ts, id, proto, off, more, data, nil)
}

func frag4From(src, dst netip.Addr, ts int64, id uint16, proto uint8, off int, more bool, data, opts []byte) *decode.Packet {
	h := v4Header(src, dst, id, proto, off, more, len(data), opts)
	raw := append(h, data...)
	p := &decode.Packet{TS: ts, WireLen: len(raw), CapLen: len(raw)}
	p.IP = decode.Datagram{Version: 4, Src: src, Dst: dst, TTL: 64, Proto: proto, IPLen: len(raw), HeaderLen: len(h)}
	p.IPRaw = raw
	p.Frag = decode.FragInfo{
		IsFragment: true, ID: uint32(id), Offset: off, More: more,
		UnfragLen: len(h), NextHeader: proto,
	}
	return p
}

// whole4 is the datagram reassembly of payload must produce.
func whole4(id uint16, proto uint8, payload, opts []byte) []byte {
	h := v4Header(src4, dst4, id, proto, 0, false, len(payload), opts)
	binary.BigEndian.PutUint16(h[6:8], 0)
	h[10], h[11] = 0, 0
	binary.BigEndian.PutUint16(h[10:12], ipv4Checksum(h))
	return append(h, payload...)
}

// frag6 builds an IPv6 fragment. hbh, when not nil, is a hop-by-hop header
// (multiple of 8 bytes) placed before the fragment header; its next-header
// byte is set to 44.
func frag6(ts int64, id uint32, nh uint8, off int, more bool, data, hbh []byte) *decode.Packet {
	return frag6From(src6, dst6, ts, id, nh, off, more, data, hbh)
}

func frag6From(src, dst netip.Addr, ts int64, id uint32, nh uint8, off int, more bool, data, hbh []byte) *decode.Packet {
	raw := make([]byte, 40, 40+len(hbh)+8+len(data))
	raw[0] = 0x60
	binary.BigEndian.PutUint16(raw[4:6], uint16(len(hbh)+8+len(data)))
	raw[7] = 64
	s, d := src.As16(), dst.As16()
	copy(raw[8:24], s[:])
	copy(raw[24:40], d[:])
	prevNH := 6
	if hbh != nil {
		raw[6] = decode.ProtoHopByHop
		prevNH = 40
		raw = append(raw, hbh...)
		raw[40] = decode.ProtoFragment
	} else {
		raw[6] = decode.ProtoFragment
	}
	fh := len(raw)
	fo := uint16(off/8) << 3
	if more {
		fo |= 1
	}
	raw = append(raw, nh, 0, byte(fo>>8), byte(fo), byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	raw = append(raw, data...)
	p := &decode.Packet{TS: ts, WireLen: len(raw), CapLen: len(raw)}
	p.IP = decode.Datagram{Version: 6, Src: src, Dst: dst, TTL: 64, Proto: decode.ProtoFragment, IPLen: len(raw), HeaderLen: fh + 8}
	p.IPRaw = raw
	p.Frag = decode.FragInfo{
		IsFragment: true, ID: id, Offset: off, More: more,
		UnfragLen: fh + 8, FragHdrOff: fh, FragPrevNH: prevNH, NextHeader: nh,
	}
	return p
}

// whole6 is the datagram reassembly of payload must produce.
func whole6(nh uint8, payload, hbh []byte) []byte {
	raw := make([]byte, 40, 40+len(hbh)+len(payload))
	raw[0] = 0x60
	binary.BigEndian.PutUint16(raw[4:6], uint16(len(hbh)+len(payload)))
	raw[7] = 64
	s, d := src6.As16(), dst6.As16()
	copy(raw[8:24], s[:])
	copy(raw[24:40], d[:])
	if hbh != nil {
		raw[6] = decode.ProtoHopByHop
		raw = append(raw, hbh...)
		raw[40] = nh
	} else {
		raw[6] = nh
	}
	return append(raw, payload...)
}

// pattern returns n bytes that differ at every offset modulo 251.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) + seed
	}
	return b
}

// tcpPayload is a transport segment starting with a 20-byte TCP header.
func tcpPayload(n int) []byte {
	b := pattern(n, 3)
	if n >= 20 {
		b[12] = 5 << 4
	}
	return b
}
