package decode

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand"
	"strconv"
	"testing"
)

// naiveSum is RFC 1071 written out: big-endian 16-bit words, odd byte padded.
func naiveSum(b []byte, acc uint64) uint64 {
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint64(b[i])<<8 | uint64(b[i+1])
	}
	if len(b)%2 == 1 {
		acc += uint64(b[len(b)-1]) << 8
	}
	return acc
}

// sum adds b to acc as big-endian 16-bit words, congruent modulo 0xffff
// (what segmentSumOK does with sumLE).
func sum(b []byte, acc uint64) uint64 { return acc + sumLE(b)<<8 }

func haveAVX2() bool { return avx2Min != noVec }

// sumVec sums by the AVX2 kernel from 32 bytes on, whatever avx2Min says.
func sumVec(b []byte) uint64 {
	if len(b) < 32 {
		return sumWords(b)
	}
	return sumLong(b)
}

// sumPaths are the implementations this machine can run, each as sum: acc
// plus the little-endian sum shifted left by 8.
func sumPaths() map[string]func([]byte, uint64) uint64 {
	shifted := func(f func([]byte) uint64) func([]byte, uint64) uint64 {
		return func(b []byte, acc uint64) uint64 { return acc + f(b)<<8 }
	}
	p := map[string]func([]byte, uint64) uint64{"generic": shifted(sumGeneric), "words": shifted(sumWords), "sumLE": sum}
	if haveAVX2() {
		p["avx2"] = shifted(sumVec)
	}
	return p
}

func TestSumMatchesRFC1071(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 300; n++ {
		for trial := 0; trial < 20; trial++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Intn(256))
				if trial%3 == 0 {
					b[i] = 0xff // carries everywhere
				}
			}
			acc := uint64(rng.Intn(1 << 20))
			if got, want := fold(sum(b, acc)), fold(naiveSum(b, acc)); got != want {
				t.Fatalf("len %d: sum %#04x, RFC 1071 %#04x", n, got, want)
			}
		}
	}
}

// TestSumPaths checks each implementation against RFC 1071 for every length
// up to 4096 at a random (unaligned) offset, with random, all-0xff and
// all-zero data (fold tells 0 from 0xffff only for all-zero input).
func TestSumPaths(t *testing.T) {
	if !haveAVX2() {
		t.Log("no AVX2 kernel here: generic path only")
	}
	rng := rand.New(rand.NewSource(2))
	buf := make([]byte, 4096+64)
	for name, f := range sumPaths() {
		for n := 0; n <= 4096; n++ {
			for pat := 0; pat < 3; pat++ {
				off := rng.Intn(64)
				b := buf[off : off+n]
				var acc uint64
				switch pat {
				case 0:
					rng.Read(b)
					acc = rng.Uint64() >> rng.Intn(64)
				case 1:
					for i := range b {
						b[i] = 0xff
					}
					acc = 0xffff
				case 2:
					clear(b)
				}
				if got, want := fold(f(b, acc)), fold(naiveSum(b, acc)); got != want {
					t.Fatalf("%s: len %d off %d pattern %d: %#04x, RFC 1071 %#04x", name, n, off, pat, got, want)
				}
			}
		}
	}
}

// TestSumAVX2 checks the kernel's documented result: congruent modulo
// 0xffff to the sum of b's little-endian 16-bit words and zero only for an
// all-zero b, for lengths from 32 to vecChunk+31, with all-0xff and
// all-zero words (the extremes of its biased 32-bit lanes) and random
// ones; and sumVec on inputs longer than vecChunk.
func TestSumAVX2(t *testing.T) {
	if !haveAVX2() {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewSource(3))
	buf := make([]byte, 3*vecChunk+64)
	for pat := range 3 {
		switch pat {
		case 0:
			for i := range buf {
				buf[i] = 0xff
			}
		case 1:
			clear(buf)
		case 2:
			rng.Read(buf)
		}
		for _, n := range []int{32, 33, 63, 64, 95, 96, 127, 128, 129, 160, 224, 255, 1500, 1501, 9000,
			1 << 16, vecChunk - 32, vecChunk - 1, vecChunk, vecChunk + 1, vecChunk + 31} {
			off := rng.Intn(32)
			b := buf[off : off+n]
			var want uint64
			for i := 0; i+1 < n; i += 2 {
				want += uint64(binary.LittleEndian.Uint16(b[i:]))
			}
			if n%2 == 1 {
				want += uint64(b[n-1])
			}
			if got := sumAVX2(b); got%0xffff != want%0xffff || (got == 0) != (want == 0) || got >= 1<<48 {
				t.Errorf("pattern %d len %d: %#x, want %#x modulo 0xffff", pat, n, got, want)
			}
		}
		for _, n := range []int{vecChunk + 32, vecChunk + 33, 2*vecChunk + 31, 2*vecChunk + 33, 3 * vecChunk} {
			b := buf[64-n%64 : 64-n%64+n]
			if got, want := fold(sumPaths()["avx2"](b, 1)), fold(naiveSum(b, 1)); got != want {
				t.Errorf("pattern %d: sumVec len %d: %#04x, RFC 1071 %#04x", pat, n, got, want)
			}
		}
	}
}

// TestSumEveryAlignment checks each path against RFC 1071 for every length
// 0..300 at every offset 0..63, with random, all-0xff and all-zero data.
func TestSumEveryAlignment(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	buf := make([]byte, 300+64)
	for name, f := range sumPaths() {
		for pat := range 3 {
			for off := range 64 {
				for n := 0; n <= 300; n++ {
					b := buf[off : off+n]
					switch pat {
					case 0:
						rng.Read(b)
					case 1:
						for i := range b {
							b[i] = 0xff
						}
					case 2:
						clear(b)
					}
					acc := uint64(rng.Intn(1 << 20))
					if got, want := fold(f(b, acc)), fold(naiveSum(b, acc)); got != want {
						t.Fatalf("%s: len %d off %d pattern %d: %#04x, RFC 1071 %#04x", name, n, off, pat, got, want)
					}
				}
			}
		}
	}
}

func FuzzSum(f *testing.F) {
	f.Add([]byte{}, uint8(0), uint64(0))
	f.Add([]byte{0xff}, uint8(0), uint64(0xffff))
	f.Add(bytes.Repeat([]byte{0}, 64), uint8(1), uint64(0))
	f.Add(bytes.Repeat([]byte{0xff}, 100), uint8(3), uint64(1))
	f.Add(bytes.Repeat([]byte{0x12, 0x34, 0xfe}, 500), uint8(7), uint64(1<<40))
	f.Fuzz(func(t *testing.T, b []byte, off uint8, acc uint64) {
		if len(b) > 0 {
			b = b[int(off)%len(b):]
		}
		acc &= 1<<48 - 1 // callers start from small sums; none wraps 2^64
		want := fold(naiveSum(b, acc))
		for name, sf := range sumPaths() {
			if got := fold(sf(b, acc)); got != want {
				t.Fatalf("%s: len %d: %#04x, RFC 1071 %#04x", name, len(b), got, want)
			}
		}
	})
}

func BenchmarkSum1500(b *testing.B) {
	buf := make([]byte, 1500)
	for i := range buf {
		buf[i] = byte(i)
	}
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		_ = fold(sum(buf, 0))
	}
}

// benchSum measures sum as dispatched ("sum") and each path it can take.
func benchSum(b *testing.B, sizes []int) {
	for _, path := range []string{"sum", "generic", "avx2"} {
		f := sumPaths()[path]
		if f == nil && path != "sum" {
			continue
		}
		for _, n := range sizes {
			buf := make([]byte, n)
			for i := range buf {
				buf[i] = byte(i)
			}
			b.Run(path+"/"+strconv.Itoa(n), func(b *testing.B) {
				b.SetBytes(int64(n))
				if f == nil {
					for b.Loop() {
						_ = fold(sum(buf, 0)) // direct, as callers use it
					}
					return
				}
				for b.Loop() {
					_ = fold(f(buf, 0))
				}
			})
		}
	}
}

func BenchmarkSum(b *testing.B) { benchSum(b, []int{64, 256, 576, 1500, 9000}) }

// BenchmarkChecksumCrossover measures short inputs, to place avx2Min.
func BenchmarkChecksumCrossover(b *testing.B) { benchSum(b, []int{32, 48, 64, 80, 96, 112, 128}) }

// TestIPv4HeaderSumOK checks the in-line header sum against RFC 1071 for
// every header length, with random headers, headers given a valid
// checksum, and all-0xff and all-zero headers (0xffff and 0 sums).
func TestIPv4HeaderSumOK(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for ihl := 20; ihl <= 60; ihl += 4 {
		for trial := 0; trial < 200; trial++ {
			h := make([]byte, ihl)
			switch trial {
			case 0:
				for i := range h {
					h[i] = 0xff
				}
			case 1: // all zero
			default:
				rng.Read(h)
				if trial%2 == 0 {
					h[10], h[11] = 0, 0
					binary.BigEndian.PutUint16(h[10:], ^fold(naiveSum(h, 0)))
				}
			}
			want := fold(naiveSum(h, 0)) == 0xffff
			if got := ipv4HeaderSumOK(h); got != want {
				t.Fatalf("ihl %d trial %d: %v, RFC 1071 %v (% x)", ihl, trial, got, want, h)
			}
		}
	}
}

// TestSumIsNegZero checks the loop-free test against fold on edge values
// and random sums of every size.
func TestSumIsNegZero(t *testing.T) {
	vals := []uint64{0, 1, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0x1ffff, 0xffff << 16, 0xffff * 0xffff,
		0xffffffff, 1 << 32, 0xffff << 40, math.MaxUint64, math.MaxUint64 - 0xffff}
	rng := rand.New(rand.NewSource(5))
	for range 100000 {
		v := rng.Uint64() >> rng.Intn(64)
		vals = append(vals, v, v-v%0xffff)
	}
	for _, v := range vals {
		if got, want := sumIsNegZero(v), fold(v) == 0xffff; got != want {
			t.Fatalf("sumIsNegZero(%#x) = %v, fold gives %#x", v, got, fold(v))
		}
	}
}

// TestSumAddrs6 checks the fixed-size address sum against sumWords, modulo
// 0xffff.
func TestSumAddrs6(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var a [16]byte
	for range 1000 {
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		if got, want := addr6SumLE(&a), sumWords(a[:]); got%0xffff != want%0xffff {
			t.Fatalf("addr6SumLE(%x) = %#x, want %#x", a, got, want)
		}
	}
}

// refFolded is the sum DatagramChecksumOK tests, written as it was before
// checksumBad, with RFC 1071 sums: the folded sum of the pseudo-header and
// segment (0xffff when the checksum is right), and whether there is one to
// test.
func refFolded(ip *Datagram, raw []byte) (uint16, bool) {
	hl, end := ip.HeaderLen, ip.IPLen
	if hl < 0 || end > len(raw) || hl > end {
		return 0, false
	}
	seg := raw[hl:end]
	var pseudo bool
	switch ip.Proto {
	case ProtoTCP, ProtoICMPv6:
		pseudo = true
	case ProtoUDP:
		if len(seg) < 8 {
			return 0, false
		}
		ulen := int(binary.BigEndian.Uint16(seg[4:]))
		if ulen < 8 || ulen > len(seg) || binary.BigEndian.Uint16(seg[6:]) == 0 {
			return 0, false
		}
		seg = seg[:ulen]
		pseudo = true
	case ProtoICMP:
		pseudo = ip.Version == 6
	default:
		return 0, false
	}
	var acc uint64
	if pseudo {
		switch ip.Version {
		case 4:
			if len(raw) < 20 {
				return 0, false
			}
			acc = naiveSum(raw[12:20], 0)
		case 6:
			if len(raw) < 40 {
				return 0, false
			}
			src, dst := pseudoAddrs6(raw, hl)
			acc = naiveSum(dst, naiveSum(src, 0))
		default:
			return 0, false
		}
		acc += uint64(len(seg)) + uint64(ip.Proto)
	}
	return fold(naiveSum(seg, acc)), true
}

func refChecksumOK(ip *Datagram, raw []byte) bool {
	f, checked := refFolded(ip, raw)
	return !checked || f == 0xffff
}

// refChecksumBad is DatagramChecksumBad as the flow table wrote it.
func refChecksumBad(d *Datagram, raw []byte) bool {
	if raw == nil || d.HeaderLen <= 0 || d.IPLen <= d.HeaderLen || len(raw) < d.IPLen {
		return false
	}
	if d.Proto == ProtoUDP && d.Version == 6 && d.DstPort != 4789 {
		if seg := raw[d.HeaderLen:d.IPLen]; len(seg) >= 8 && binary.BigEndian.Uint16(seg[6:8]) == 0 {
			return true
		}
	}
	return !refChecksumOK(d, raw)
}

// checkDatagramChecksum compares DatagramChecksumOK and DatagramChecksumBad
// with their references.
func checkDatagramChecksum(t *testing.T, ip *Datagram, raw []byte) {
	t.Helper()
	if got, want := DatagramChecksumOK(ip, raw), refChecksumOK(ip, raw); got != want {
		t.Fatalf("DatagramChecksumOK = %v, reference %v: %+v % x", got, want, *ip, raw)
	}
	if got, want := DatagramChecksumBad(ip, raw), refChecksumBad(ip, raw); got != want {
		t.Fatalf("DatagramChecksumBad = %v, reference %v: %+v % x", got, want, *ip, raw)
	}
}

// TestDatagramChecksumMatchesReference checks both datagram tests against
// the reference on random datagrams of every protocol, version and length
// up to 300 bytes (and some long ones), with header lengths and IP lengths
// in and out of range, zero UDP checksums, IPv6 extension chains, and half
// of them given a right checksum.
func TestDatagramChecksumMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	protos := []uint8{ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6, ProtoSCTP, 0}
	nexts := []uint8{ProtoHopByHop, ProtoDstOpts, ProtoRouting, ProtoFragment, ProtoAH, ProtoTCP}
	lengths := []int{1500, 1501, 4000, vecChunk + 100}
	for i := range 300000 {
		n := rng.Intn(301)
		if i%100 == 0 {
			n = lengths[rng.Intn(len(lengths))]
		}
		raw := make([]byte, n)
		rng.Read(raw)
		ip := &Datagram{Proto: protos[rng.Intn(len(protos))], DstPort: uint16(rng.Intn(2)) * 4789}
		ip.Version = []uint8{4, 6, 6, 4, 0, 5}[rng.Intn(6)]
		switch ip.Version {
		case 4:
			ip.HeaderLen = 20 + 4*rng.Intn(4)
		case 6:
			ip.HeaderLen = 40
			if rng.Intn(3) == 0 {
				ip.HeaderLen += 8 * rng.Intn(6)
				if n > 6 {
					raw[6] = nexts[rng.Intn(len(nexts))]
				}
				for off := 40; off+8 <= n; off += 8 {
					raw[off] = nexts[rng.Intn(len(nexts))]
					raw[off+1] = byte(rng.Intn(2))
				}
			}
		}
		switch rng.Intn(8) {
		case 0:
			ip.HeaderLen = rng.Intn(n+3) - 1
		case 1:
			ip.HeaderLen = 0
		}
		ip.IPLen = n
		switch rng.Intn(6) {
		case 0:
			ip.IPLen = rng.Intn(n + 2)
		case 1:
			ip.IPLen = ip.HeaderLen
		}
		if hl := ip.HeaderLen; hl >= 0 && hl+8 <= ip.IPLen && ip.IPLen <= n {
			seg := raw[hl:ip.IPLen]
			if ip.Proto == ProtoUDP && rng.Intn(2) == 0 {
				binary.BigEndian.PutUint16(seg[4:], uint16(len(seg)-rng.Intn(3)))
			}
			if rng.Intn(5) == 0 {
				seg[6], seg[7] = 0, 0
			} else if rng.Intn(2) == 0 {
				// A right checksum: the word at offset 2 set to
				// make the folded sum 0xffff.
				seg[2], seg[3] = 0, 0
				if f, ok := refFolded(ip, raw); ok {
					binary.BigEndian.PutUint16(seg[2:], ^f)
				}
			}
		}
		checkDatagramChecksum(t, ip, raw)
		if raw != nil && rng.Intn(50) == 0 {
			checkDatagramChecksum(t, ip, nil)
		}
	}
}
