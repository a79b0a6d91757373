package decode

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// The checksum sums here are one's-complement sums before folding: only
// their value modulo 0xffff matters (folding keeps it, and gives 0 only
// for a zero sum), and 2^16 ≡ 1 modulo 0xffff. The kernels (sumLE and
// those it picks) return a sum congruent to that of their input's
// little-endian 16-bit words (an odd last byte padded with a zero), zero
// only for zero bytes, and under 2^56. Swapping the bytes of a 16-bit word
// x multiplies it by 2^8 modulo 0xffff (x<<8 = lo<<8 + hi<<16 ≡ lo<<8 +
// hi), so a little-endian sum shifted left by 8 is congruent to the
// checksum's sum of big-endian words: that shift is the byte swap (RFC 1071
// section 2(B)). Little-endian sums of several parts (all starting on a
// word boundary) add up before the one shift.

// sumLE returns the little-endian sum of b: by sumAVX2 from avx2Min bytes
// where the CPU has AVX2, by sumGeneric from genericMin bytes where it has
// not, else by sumWords.
func sumLE(b []byte) uint64 {
	switch n := len(b); {
	case n >= avx2Min && n < vecChunk+32:
		return sumAVX2(b)
	case n < genericMin: // and under avx2Min, which is no more
		return sumWords(b)
	}
	return sumLong(b)
}

// sumLong is sumLE for long inputs: by sumAVX2, vecChunk bytes at a time,
// where the CPU has AVX2, else by sumGeneric. A chunk's length is even, so
// the next starts on a word boundary.
func sumLong(b []byte) uint64 {
	if avx2Min == noVec {
		return sumGeneric(b)
	}
	var s uint64
	for len(b) >= vecChunk+32 {
		s += sumAVX2(b[:vecChunk])
		s = s&0xffffffff + s>>32 // congruent, nonzero if s was, under 2^49
		b = b[vecChunk:]
	}
	return s + sumAVX2(b)
}

// genericMin is the shortest input sumLE hands to sumGeneric rather than
// sumWords (where no vector kernel takes it): below it, sumGeneric's fold
// costs more than its 8-byte steps save.
const genericMin = 128

// sumWords returns the little-endian sum of b by its little-endian 32-bit
// words (a 16-bit tail as one word, an odd last byte as its low byte): a
// 32-bit word hi<<16 + lo is congruent to hi + lo, and the words add
// without carries to track. For short inputs — headers, the pseudo-header,
// the tails of the other kernels — it is the cheapest: no fold,
// independent additions. b must be under 2^24 bytes (the sum under 2^56).
func sumWords(b []byte) uint64 {
	le := binary.LittleEndian
	var s uint64
	for len(b) >= 16 {
		w := (*[16]byte)(b)
		s += uint64(le.Uint32(w[0:4])) + uint64(le.Uint32(w[4:8])) + uint64(le.Uint32(w[8:12])) + uint64(le.Uint32(w[12:16]))
		b = b[16:]
	}
	if len(b) >= 8 {
		s += uint64(le.Uint32(b[0:4])) + uint64(le.Uint32(b[4:8]))
		b = b[8:]
	}
	if len(b) >= 4 {
		s += uint64(le.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		s += uint64(le.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0])
	}
	return s
}

// noVec as avx2Min keeps sumLE off the vector kernel.
const noVec = math.MaxInt

// vecChunk bounds the input sumAVX2 takes at once (its 32-bit lanes would
// overflow past it); a multiple of 32.
const vecChunk = 1 << 18

// sumGeneric is sumLE in Go. The bulk is summed as little-endian 64-bit
// words with end-around carry (modulo 2^64-1, a multiple of 0xffff) and
// folded to 16 bits; the tail of fewer than 8 bytes is added by sumWords.
func sumGeneric(b []byte) uint64 {
	var folded uint64
	if len(b) >= 8 {
		var s, c uint64
		for len(b) >= 32 {
			s, c = bits.Add64(s, binary.LittleEndian.Uint64(b), c)
			s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[8:]), c)
			s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[16:]), c)
			s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[24:]), c)
			b = b[32:]
		}
		for len(b) >= 8 {
			s, c = bits.Add64(s, binary.LittleEndian.Uint64(b), c)
			b = b[8:]
		}
		s, c = bits.Add64(s, c, 0)
		s += c
		s = s&0xffffffff + s>>32
		s = s&0xffff + s>>16
		s = s&0xffff + s>>16
		folded = s&0xffff + s>>16
	}
	return folded + sumWords(b) // the tail of fewer than 8 bytes
}

func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}

// ipv4HeaderSumOK verifies an IPv4 header checksum: the one's-complement
// sum of the header, checksum included, is 0xffff. h is the whole header
// (20 to 60 bytes).
//
// The fixed 20 bytes are added as five little-endian 32-bit words in line,
// options, if any, by sumWords, and the total shifted left by 8 to stand
// for the big-endian sum. The folded sum is 0xffff exactly when that is a
// nonzero multiple of 0xffff (sumIsNegZero).
func ipv4HeaderSumOK(h []byte) bool {
	s := fixedSumLE((*[20]byte)(h))
	if len(h) > 20 {
		s += sumWords(h[20:])
	}
	return sumIsNegZero(s << 8)
}

// ipv4FixedSum returns the sum of the fixed 20 bytes of an IPv4 header,
// shifted left by 8 to stand for the big-endian sum. Small enough to
// inline into the fast path, which checks a header without options as
// sumIsNegZero(ipv4FixedSum(h)).
func ipv4FixedSum(h *[20]byte) uint64 { return fixedSumLE(h) << 8 }

// fixedSumLE returns the little-endian sum of 20 bytes (as sumWords).
func fixedSumLE(h *[20]byte) uint64 {
	le := binary.LittleEndian
	return uint64(le.Uint32(h[0:4])) + uint64(le.Uint32(h[4:8])) + uint64(le.Uint32(h[8:12])) +
		uint64(le.Uint32(h[12:16])) + uint64(le.Uint32(h[16:20]))
}

// TransportChecksumOK verifies the TCP, UDP, ICMP or ICMPv6 checksum of p's
// innermost datagram. It returns false only when the checksum could be
// verified and is wrong: a transport segment not fully captured, a
// fragment, a protocol without a checksum here (SCTP uses CRC32c and is not
// checked), or a UDP checksum of 0 (not computed) all count as ok.
func TransportChecksumOK(p *Packet) (ok bool) {
	if !p.IP.HasL4 || p.Frag.IsFragment {
		return true
	}
	return DatagramChecksumOK(&p.IP, p.IPRaw)
}

// DatagramChecksumOK is TransportChecksumOK for a datagram d whose bytes as
// captured, IP header first, are raw (a reassembled or copied datagram).
func DatagramChecksumOK(ip *Datagram, raw []byte) bool { return !checksumBad(ip, raw, false) }

// DatagramChecksumBad reports whether the datagram ip, its bytes as
// captured raw (IP header first), has a transport checksum that is wrong
// as Zeek counts it: one DatagramChecksumOK rejects, or a UDP checksum of 0
// over IPv6, allowed only over IPv4 (and, as Zeek has it, for VXLAN on
// port 4789). It answers false when it cannot tell: no IP header or no
// transport segment, or a datagram not captured whole (Zeek skips
// validation when caplen < len).
func DatagramChecksumBad(ip *Datagram, raw []byte) bool { return checksumBad(ip, raw, true) }

// checksumBad is the negation of DatagramChecksumOK, or with asZeek
// DatagramChecksumBad, which differs in two ways: a datagram without IP
// header length or transport bytes is not checked, and a UDP checksum of 0
// (not computed) over IPv6 outside VXLAN is bad. The pseudo-header's
// addresses and the segment add up as little-endian sums, shifted once;
// its length and protocol as they are.
func checksumBad(ip *Datagram, raw []byte, asZeek bool) bool {
	hl, end := ip.HeaderLen, ip.IPLen
	if hl < 0 || end > len(raw) || hl > end || asZeek && (hl == 0 || hl == end) {
		return false
	}
	seg := raw[hl:end]
	pseudo := true
	switch ip.Proto {
	case ProtoTCP, ProtoICMPv6:
	case ProtoUDP:
		if len(seg) < 8 {
			return false
		}
		if seg[6]|seg[7] == 0 {
			// No checksum: fine over IPv4, and for zero-checksum
			// UDP tunnels over IPv6.
			return asZeek && ip.Version == 6 && ip.DstPort != PortVXLAN
		}
		ulen := int(be16(seg[4:6]))
		if ulen < 8 || ulen > len(seg) {
			return false
		}
		seg = seg[:ulen]
	case ProtoICMP:
		pseudo = ip.Version == 6
	default:
		return false
	}
	var acc, addrs uint64
	if pseudo {
		switch ip.Version {
		case 4:
			if len(raw) < 20 {
				return false
			}
			le := binary.LittleEndian
			addrs = uint64(le.Uint32(raw[12:16])) + uint64(le.Uint32(raw[16:20]))
		case 6:
			if len(raw) < 40 {
				return false
			}
			if hl == 40 {
				// No extension headers: the addresses are
				// the header's, 32 bytes in a row.
				addrs = addr6SumLE((*[16]byte)(raw[8:24])) + addr6SumLE((*[16]byte)(raw[24:40]))
			} else {
				src, dst := pseudoAddrs6(raw, hl)
				addrs = sumWords(src) + sumWords(dst)
			}
		default:
			return false
		}
		acc = uint64(len(seg)) + uint64(ip.Proto)
	}
	// sumLE's choice, made here for a call less.
	var s uint64
	switch n := len(seg); {
	case n >= avx2Min && n < vecChunk+32:
		s = sumAVX2(seg)
	case n < genericMin:
		s = sumWords(seg)
	default:
		s = sumLong(seg)
	}
	return !sumIsNegZero(acc + (addrs+s)<<8)
}

// sumIsNegZero reports whether fold(acc) == 0xffff, without the loop:
// folding keeps the value modulo 0xffff and gives 0 only for 0, so the
// folded sum is 0xffff exactly when acc is a nonzero multiple of 0xffff.
func sumIsNegZero(acc uint64) bool {
	return acc != 0 && acc%0xffff == 0
}

// addr6SumLE returns the little-endian sum (as sumWords) of an IPv6
// address.
func addr6SumLE(a *[16]byte) uint64 {
	le := binary.LittleEndian
	return uint64(le.Uint32(a[0:4])) + uint64(le.Uint32(a[4:8])) + uint64(le.Uint32(a[8:12])) + uint64(le.Uint32(a[12:16]))
}

// pseudoAddrs6 returns the addresses the IPv6 pseudo-header uses (RFC 8200
// section 8.1): the source, or the home address of a Mobile IPv6 Home
// Address option (RFC 6275); the destination, or the final one of a routing
// header with segments left.
func pseudoAddrs6(raw []byte, hl int) (src, dst []byte) {
	src, dst = raw[8:24], raw[24:40]
	nh := raw[6]
	off := 40
	for i := 0; i < DefaultMaxExtHeaders*4 && off+8 <= hl && off+8 <= len(raw); i++ {
		var l int
		switch nh {
		case ProtoAH:
			l = (int(raw[off+1]) + 2) << 2
		case ProtoFragment:
			l = 8
		case ProtoHopByHop, ProtoDstOpts, ProtoRouting, ProtoMobility, protoHIP, protoShim6:
			l = (int(raw[off+1]) + 1) << 3
		default:
			return src, dst
		}
		if off+l > len(raw) {
			return src, dst
		}
		switch nh {
		case ProtoRouting:
			if raw[off+3] > 0 && l >= 24 {
				switch raw[off+2] {
				case 0, 2: // source route, Mobile IPv6 type 2: last address
					dst = raw[off+l-16 : off+l]
				case 4: // segment routing: segment list[0] is the last segment
					dst = raw[off+8 : off+24]
				}
			}
		case ProtoDstOpts:
			opts := raw[off+2 : off+l]
			for j := 0; j < len(opts); {
				if opts[j] == 0 { // Pad1
					j++
					continue
				}
				if j+2 > len(opts) {
					break
				}
				ol := int(opts[j+1])
				if opts[j] == 0xc9 && ol == 16 && j+2+16 <= len(opts) { // Home Address
					src = opts[j+2 : j+18]
				}
				j += 2 + ol
			}
		}
		nh = raw[off]
		off += l
	}
	return src, dst
}
