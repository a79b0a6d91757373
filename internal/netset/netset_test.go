package netset

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestContainsMatchesPrefixes checks Contains against netip.Prefix.Contains
// over many addresses near the set's prefixes' edges and at random.
func TestContainsMatchesPrefixes(t *testing.T) {
	items := []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.1.7", "100.64.0.0/10", "fe80::/10", "::ffff:1.2.3.0/120",
		"2001:db8::/32", "2001:db8:aa:bb:cc00::/72", "::1", "fd00:1:2:3::/64"}
	s := MustParse(items...)
	var prefixes []netip.Prefix
	for _, it := range items {
		p, err := netip.ParsePrefix(it)
		if err != nil {
			a := netip.MustParseAddr(it)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		prefixes = append(prefixes, p.Masked())
	}
	want := func(a netip.Addr) bool {
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	addrs := []netip.Addr{{}, netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("9.255.255.255"),
		netip.MustParseAddr("172.31.255.255"), netip.MustParseAddr("172.32.0.0"), netip.MustParseAddr("192.168.1.7"),
		netip.MustParseAddr("192.168.1.8"), netip.MustParseAddr("::ffff:10.1.2.3"), netip.MustParseAddr("::ffff:1.2.3.4"),
		netip.MustParseAddr("fe80::1"), netip.MustParseAddr("fe80::1%eth0")}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}))
	}
	for range 10000 { // IPv6, near the prefixes above
		var b [16]byte
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		switch r.IntN(4) {
		case 0:
			copy(b[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0xaa, 0, 0xbb, 0xcc})
		case 1:
			copy(b[:], []byte{0x20, 0x01, 0x0d, 0xb8})
		case 2:
			copy(b[:], []byte{0xfd, 0, 0, 1, 0, 2, 0, 3})
		}
		addrs = append(addrs, netip.AddrFrom16(b))
	}
	for _, a := range addrs {
		if got := s.Contains(a); got != want(a) {
			t.Errorf("Contains(%v) = %v, want %v", a, got, want(a))
		}
	}
	all := MustParse("0.0.0.0/0")
	if !all.Contains(netip.MustParseAddr("203.0.113.9")) || all.Contains(netip.MustParseAddr("2001:db8::1")) {
		t.Error("0.0.0.0/0 should hold every IPv4 address and no IPv6 one")
	}
	all6 := MustParse("::/0")
	if !all6.Contains(netip.MustParseAddr("2001:db8::1")) || all6.Contains(netip.MustParseAddr("203.0.113.9")) {
		t.Error("::/0 should hold every IPv6 address and no IPv4 one")
	}
	var none *Set
	if none.Contains(netip.MustParseAddr("10.0.0.1")) {
		t.Error("a nil Set holds nothing")
	}
}

func TestGroup(t *testing.T) {
	for a, want := range map[string]bool{
		"224.0.0.252": true, "ff02::1:3": true, "255.255.255.255": true, "239.255.255.250": true,
		"192.168.1.255": false, "10.0.0.1": false, "2001:db8::1": false, "fe80::1": false,
	} {
		if got := Group(netip.MustParseAddr(a)); got != want {
			t.Errorf("Group(%s) = %v, want %v", a, got, want)
		}
	}
}
