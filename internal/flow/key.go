package flow

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"unsafe"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// addr is an IP address as two big-endian halves of its 16-byte form
// (IPv4 as ::ffff:a.b.c.d), so keys compare and hash as machine words.
type addr struct{ hi, lo uint64 }

func addrOf(a netip.Addr) addr {
	if netipLayoutOK {
		// netip.Addr starts with the same two words (TestAddrOfLayout
		// checks, and netipLayoutOK falls back if a release changes it):
		// reading them costs nothing, the byte round trip of As16 did
		// show in profiles of the per-packet path.
		return *(*addr)(unsafe.Pointer(&a))
	}
	return addrOfBytes(a)
}

func addrOfBytes(a netip.Addr) addr {
	b := a.As16()
	return addr{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// netipLayoutOK reports whether netip.Addr begins with the address as two
// host-order words, high first, as it has since Go 1.18.
var netipLayoutOK = func() bool {
	for _, s := range []string{"192.0.2.1", "2001:db8::ff00:42:8329", "::ffff:10.1.2.3", "::"} {
		a := netip.MustParseAddr(s)
		if unsafe.Sizeof(a) < unsafe.Sizeof(addr{}) || *(*addr)(unsafe.Pointer(&a)) != addrOfBytes(a) {
			return false
		}
	}
	return true
}()

// netip returns the address, as IPv4 unless v6.
func (a addr) netip(v6 bool) netip.Addr {
	if !v6 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(a.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return netip.AddrFrom16(b)
}

// appendBytes appends the address in network order: 4 bytes unless v6.
func (a addr) appendBytes(dst []byte, v6 bool) []byte {
	if !v6 {
		return binary.BigEndian.AppendUint32(dst, uint32(a.lo))
	}
	dst = binary.BigEndian.AppendUint64(dst, a.hi)
	return binary.BigEndian.AppendUint64(dst, a.lo)
}

// key identifies a connection independently of direction: the two
// endpoints are stored lower first (Zeek's ConnKey ordering), except for
// one-way ICMP messages which Zeek keys in packet order.
type key struct {
	a, b addr
	// rest packs the ports, protocol and flags into one word (see
	// key.set), so equal compares five machine words.
	rest uint64
}

func (k *key) equal(o *key) bool {
	return k.a == o.a && k.b == o.b && k.rest == o.rest
}

// lessEndpoint orders endpoints as their bytes would (address, then port).
func lessEndpoint(a addr, pa uint16, b addr, pb uint16) bool {
	if a.hi != b.hi {
		return a.hi < b.hi
	}
	if a.lo != b.lo {
		return a.lo < b.lo
	}
	return pa < pb
}

// Key flags (key.set).
const (
	keyV6     = 1 << 0 // IPv6 addresses
	keyOneWay = 1 << 1 // an ICMP message without counterpart, keyed in packet order
)

// set makes k the lookup key for src:sp -> dst:dp; flags are key flags.
// It fills k in place: the per-packet path builds its key where lookup
// reads it, without a copy.
func (k *key) set(src, dst addr, sp, dp uint16, proto uint8, flags uint64) {
	if flags&keyOneWay == 0 && !lessEndpoint(src, sp, dst, dp) {
		src, dst, sp, dp = dst, src, dp, sp
	}
	k.a, k.b = src, dst
	k.rest = uint64(sp) | uint64(dp)<<16 | uint64(proto)<<32 | flags<<40
}

// versionFlags are the key flags of an IP version.
func versionFlags(version uint8) uint64 {
	if version == 6 {
		return keyV6
	}
	return 0
}

// v6 reports whether k's addresses are IPv6.
func (k *key) v6() bool { return (k.rest>>40)&keyV6 != 0 }

// ICMP "ports" as Zeek keys them: the source port is the type and the
// destination port the counterpart type for request/response pairs, or
// the code for one-way messages (ICMP4_counterpart / ICMP6_counterpart).
func icmpPorts(v6 bool, typ, code uint8) (sp, dp uint16, oneWay bool) {
	if !v6 {
		switch typ {
		case 8:
			return 8, 0, false
		case 0:
			return 0, 8, false
		case 13:
			return 13, 14, false
		case 14:
			return 14, 13, false
		case 15:
			return 15, 16, false
		case 16:
			return 16, 15, false
		case 10:
			return 10, 9, false
		case 9:
			return 9, 10, false
		case 17:
			return 17, 18, false
		case 18:
			return 18, 17, false
		}
		return uint16(typ), uint16(code), true
	}
	switch typ {
	case 128:
		return 128, 129, false
	case 129:
		return 129, 128, false
	case 133:
		return 133, 134, false
	case 134:
		return 134, 133, false
	case 135:
		return 135, 136, false
	case 136:
		return 136, 135, false
	case 130:
		return 130, 131, false
	case 131:
		return 131, 130, false
	case 139:
		return 139, 140, false
	case 140:
		return 140, 139, false
	case 144:
		return 144, 145, false
	case 145:
		return 145, 144, false
	}
	return uint16(typ), uint16(code), true
}

const (
	mulA = 0x9E3779B97F4A7C15
	mulB = 0xBF58476D1CE4E5B9
	mulC = 0x94D049BB133111EB
	mulD = 0xD6E8FEB86659FD93
	mulE = 0xA0761D6478BD642F
)

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= mulB
	x ^= x >> 27
	x *= mulC
	x ^= x >> 31
	return x
}

// hashKey hashes k with seed: three 128-bit multiplies, each folding its
// halves (wyhash's mixer), the first two independent of each other, with
// the seed in every one, so collisions cannot be chosen without knowing
// it. It is written out so the compiler inlines it into the per-packet
// path.
func hashKey(k *key, seed uint64) uint64 {
	xh, xl := bits.Mul64(k.a.hi^seed^mulA, k.a.lo^mulB)
	yh, yl := bits.Mul64(k.b.hi^seed^mulC, k.b.lo^mulD)
	hi, lo := bits.Mul64(xh^xl^k.rest^mulE, yh^yl^seed)
	return hi ^ lo
}

// UID identifies one connection. It is a hash of the connection key and
// its first packet time, so a capture gives the same UIDs whatever the
// number of workers.
type UID uint64

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// uidSeed is fixed so UIDs are reproducible across runs and workers.
const uidSeed = 0x76696769_6c2d7569

func makeUID(k *key, ts int64) UID {
	h := hashKey(k, uidSeed)
	h = mix64(h ^ uint64(ts) ^ mulA)
	if h == 0 {
		h = 1
	}
	return UID(h)
}

// AppendTo appends the Zeek-style text form ("C" + base62).
func (u UID) AppendTo(dst []byte) []byte {
	dst = append(dst, 'C')
	v := uint64(u)
	var b [11]byte
	i := len(b)
	for {
		i--
		b[i] = base62[v%62]
		v /= 62
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// String returns the Zeek-style text form: "C" followed by up to 11
// base62 digits.
func (u UID) String() string { return string(u.AppendTo(make([]byte, 0, 12))) }

// Parents names the tunnel connections an inner packet travelled through,
// outermost first; UIDs[N-1] is the innermost encapsulating connection,
// which Zeek logs as tunnel_parents.
type Parents struct {
	UIDs [decode.MaxTunnels]UID
	N    uint8
}
