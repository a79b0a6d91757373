package assets

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestPrefixSetAgreesWithContains compares prefixSet with
// netip.Prefix.Contains on random addresses near random prefixes.
func TestPrefixSetAgreesWithContains(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	list := []netip.Prefix{
		netip.MustParsePrefix("10.1.2.3/8"), netip.MustParsePrefix("0.0.0.0/0"),
		netip.MustParsePrefix("192.168.7.0/24"), netip.MustParsePrefix("203.0.113.9/32"),
		netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("::ffff:10.0.0.0/104"), {},
	}
	addrs := []netip.Addr{{}, netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("::ffff:10.1.1.1")}
	for i := 0; i < 2000; i++ {
		var b4 [4]byte
		var b16 [16]byte
		for j := range b4 {
			b4[j] = byte(r.IntN(256))
		}
		for j := range b16 {
			b16[j] = byte(r.IntN(256))
		}
		p4 := netip.PrefixFrom(netip.AddrFrom4(b4), r.IntN(33))
		p6 := netip.PrefixFrom(netip.AddrFrom16(b16), r.IntN(129))
		list = append(list, p4, p6)
		b4[3] ^= byte(r.IntN(256))
		b16[15] ^= byte(r.IntN(256))
		addrs = append(addrs, netip.AddrFrom4(b4), netip.AddrFrom16(b16), netip.AddrFrom16(netip.AddrFrom4(b4).As16()))
	}
	for n := 0; n < len(list); n += 1 + n/3 {
		set := newPrefixSet(list[:n])
		for _, a := range addrs {
			want := false
			for _, p := range list[:n] {
				want = want || p.Contains(a)
			}
			if got := set.contains(a); got != want {
				t.Fatalf("%d prefixes, %v: %v, Contains says %v", n, a, got, want)
			}
		}
	}
}

// TestParseDottedQuad checks the IPv4 fast path against netip.ParseAddr:
// whatever it takes, ParseAddr takes the same way.
func TestParseDottedQuad(t *testing.T) {
	cases := []string{"1.2.3.4", "0.0.0.0", "255.255.255.255", "10.16.1.35", "192.168.100.200",
		"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.00", "1..2.3", ".1.2.3", "1.2.3.",
		"1.2.3.4 ", "1.2.3.1000", "1.2.3.0255", "::1", "2001:db8::1", "::ffff:1.2.3.4", "1.2.3.4%eth0",
		"", "a.b.c.d", "1.2.3.-4", "1.2.3.4/24", "99999999999999999999.1.1.1"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 { // random strings of digits and dots
		b := make([]byte, 1+r.IntN(16))
		for i := range b {
			b[i] = "0123456789.."[r.IntN(12)]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got, ok := parseDottedQuad([]byte(s))
		want, err := netip.ParseAddr(s)
		if ok && (err != nil || got != want) {
			t.Errorf("%q: got %v, ParseAddr %v %v", s, got, want, err)
		}
		if !ok && err == nil && want.Is4() {
			t.Errorf("%q: refused, ParseAddr takes it", s)
		}
	}
}

// TestHostAddr4 checks hostAddr4 against hostAddr on the IPv4 addresses
// at the edges of the ranges it rules out and on random ones.
func TestHostAddr4(t *testing.T) {
	xs := []uint32{0, 1, 0xffffffff, 0xfffffffe, 0x7f000000, 0x7f000001, 0x7effffff, 0x80000000,
		0xe0000000, 0xdfffffff, 0xefffffff, 0xf0000000, 0xe00000fb}
	r := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		xs = append(xs, r.Uint32())
	}
	for _, x := range xs {
		a := netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
		if got, want := hostAddr4(x), hostAddr(a); got != want {
			t.Errorf("%v: hostAddr4 %v, hostAddr %v", a, got, want)
		}
	}
}
