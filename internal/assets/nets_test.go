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
