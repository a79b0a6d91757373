package decode

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// sum adds b to acc as big-endian 16-bit words (one's-complement sum before
// folding; the result is congruent modulo 0xffff, and zero only for zero
// bytes and acc).
func sum(b []byte, acc uint64) uint64 {
	f := sumWords
	if len(b) >= longMin {
		f = longSum
	}
	return f(b, acc) // one call, so sum inlines and the kernels stay leaves
}

// longMin and longSum are the kernel sum hands inputs of longMin bytes or
// more: sumVec from avx2Min bytes where the CPU has AVX2, else sumGeneric
// from genericMin (avx2Min is no more than genericMin). Set once, at start.
var longMin, longSum = func() (int, func([]byte, uint64) uint64) {
	if avx2Min != noVec {
		return avx2Min, sumVec
	}
	return genericMin, sumGeneric
}()

// genericMin is the shortest input sum hands to sumGeneric rather than
// sumWords (where no vector kernel takes it): below it, sumGeneric's fold
// costs more than its 8-byte steps save.
const genericMin = 128

// sumWords adds b's big-endian 16-bit words to acc (an odd last byte
// padded with a zero), congruent modulo 0xffff and zero only if b is all
// zero. It sums b's little-endian 32-bit words (a 16-bit tail as one word,
// an odd last byte as its low byte): since 2^16 ≡ 1 modulo 0xffff, a
// 32-bit word hi<<16 + lo is congruent to hi + lo, so that sum s is
// congruent to that of b's little-endian 16-bit words, and s<<8 to that of
// its big-endian ones (see sumVec); the words add without carries to track.
// For short inputs — headers, the pseudo-header, the tails of the other
// kernels — it is the cheapest: no fold, one shift, independent additions.
// b must be under 2^24 bytes (s<<8 under 2^64).
func sumWords(b []byte, acc uint64) uint64 {
	var s uint64
	for len(b) >= 16 {
		s += uint64(binary.LittleEndian.Uint32(b)) + uint64(binary.LittleEndian.Uint32(b[4:])) +
			uint64(binary.LittleEndian.Uint32(b[8:])) + uint64(binary.LittleEndian.Uint32(b[12:]))
		b = b[16:]
	}
	for len(b) >= 4 {
		s += uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		s += uint64(binary.LittleEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0])
	}
	return acc + s<<8
}

// noVec as avx2Min keeps sum off the vector kernel.
const noVec = math.MaxInt

// sumVec is sum by the AVX2 kernel, vecChunk bytes at a time (inputs under
// 32 bytes, too short for it, by sumWords).
//
// The arithmetic: only the sum modulo 0xffff matters (fold reduces modulo
// 0xffff, giving 0 only for an all-zero sum), and 2^16 ≡ 1 modulo 0xffff.
// sumAVX2 gives a sum s congruent to that of b's little-endian 16-bit
// words, zero only for zero bytes, under 2^48. Swapping the bytes of a
// 16-bit word x multiplies it by 2^8 modulo 0xffff (x<<8 = lo<<8 + hi<<16
// ≡ lo<<8 + hi), so the sum of the big-endian words is congruent to s<<8:
// this shift is the byte swap (RFC 1071 section 2(B)), where sumGeneric
// uses bits.ReverseBytes16 on its folded sum. A chunk's length is even, so
// the next starts on a word boundary.
func sumVec(b []byte, acc uint64) uint64 {
	if len(b) < 32 {
		return sumWords(b, acc)
	}
	for len(b) >= vecChunk+32 {
		acc += sumAVX2(b[:vecChunk]) << 8
		b = b[vecChunk:]
	}
	return acc + sumAVX2(b)<<8
}

// vecChunk bounds the input sumAVX2 takes at once (its 32-bit lanes would
// overflow past it); a multiple of 32.
const vecChunk = 1 << 18

// sumGeneric is sum in Go. The bulk is summed as little-endian 64-bit words
// with end-around carry (modulo 2^64-1, a multiple of 0xffff), folded to 16
// bits and byte-swapped; the tail of fewer than 8 bytes is added as
// big-endian words.
func sumGeneric(b []byte, acc uint64) uint64 {
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
		s = s&0xffff + s>>16
		acc += uint64(bits.ReverseBytes16(uint16(s)))
	}
	return sumWords(b, acc) // the tail of fewer than 8 bytes
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
// shifted left by 8 to stand for the big-endian sum (see sumWords), and
// options, if any, by sumWords. The folded sum is 0xffff exactly when that
// total is a nonzero multiple of 0xffff (sumIsNegZero).
func ipv4HeaderSumOK(h []byte) bool {
	acc := ipv4FixedSum((*[20]byte)(h))
	if len(h) > 20 {
		acc = sumWords(h[20:], acc)
	}
	return sumIsNegZero(acc)
}

// ipv4FixedSum returns the sum of the fixed 20 bytes of an IPv4 header as
// sumWords gives it: their little-endian 32-bit words, shifted left by 8.
// Small enough to inline into the fast path, which checks a header
// without options as sumIsNegZero(ipv4FixedSum(h)).
func ipv4FixedSum(h *[20]byte) uint64 {
	s := uint64(le32(h[0:4])) + uint64(le32(h[4:8])) + uint64(le32(h[8:12])) +
		uint64(le32(h[12:16])) + uint64(le32(h[16:20]))
	return s << 8
}

// le32 reads a little-endian 32-bit word.
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

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
func DatagramChecksumOK(ip *Datagram, raw []byte) bool {
	hl, end := ip.HeaderLen, ip.IPLen
	if hl < 0 || end > len(raw) || hl > end {
		return true
	}
	seg := raw[hl:end]
	var pseudo bool
	switch ip.Proto {
	case ProtoTCP:
		pseudo = true
	case ProtoUDP:
		if len(seg) < 8 {
			return true
		}
		ulen := int(binary.BigEndian.Uint16(seg[4:]))
		if ulen < 8 || ulen > len(seg) {
			return true
		}
		if binary.BigEndian.Uint16(seg[6:]) == 0 {
			return true // no checksum (IPv4; zero-checksum UDP tunnels on IPv6)
		}
		seg = seg[:ulen]
		pseudo = true
	case ProtoICMP:
		pseudo = ip.Version == 6
	case ProtoICMPv6:
		pseudo = true
	default:
		return true
	}
	var acc uint64
	if pseudo {
		switch ip.Version {
		case 4:
			if len(raw) < 20 {
				return true
			}
			acc = uint64(binary.BigEndian.Uint32(raw[12:])) + uint64(binary.BigEndian.Uint32(raw[16:]))
		case 6:
			if len(raw) < 40 {
				return true
			}
			if hl == 40 {
				// No extension headers: the addresses are the
				// header's, 32 bytes in a row.
				acc = sumAddrs6((*[32]byte)(raw[8:40]))
			} else {
				src, dst := pseudoAddrs6(raw, hl)
				acc = sumWords(dst, sumWords(src, 0))
			}
		default:
			return true
		}
		acc += uint64(len(seg)) + uint64(ip.Proto)
	}
	// The pseudo-header parts above are too short for the kernel, so they
	// skip sum's dispatch; the segment may be long.
	return sumIsNegZero(sum(seg, acc))
}

// sumIsNegZero reports whether fold(acc) == 0xffff, without the loop:
// folding keeps the value modulo 0xffff and gives 0 only for 0, so the
// folded sum is 0xffff exactly when acc is a nonzero multiple of 0xffff.
func sumIsNegZero(acc uint64) bool {
	return acc != 0 && acc%0xffff == 0
}

// sumAddrs6 returns the sum of the source and destination addresses of an
// IPv6 header, a (its bytes 8 to 40), congruent to what sumWords gives:
// their little-endian 32-bit words, shifted left by 8.
func sumAddrs6(a *[32]byte) uint64 {
	s := uint64(le32(a[0:4])) + uint64(le32(a[4:8])) + uint64(le32(a[8:12])) +
		uint64(le32(a[12:16])) + uint64(le32(a[16:20])) + uint64(le32(a[20:24])) +
		uint64(le32(a[24:28])) + uint64(le32(a[28:32]))
	return s << 8
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
