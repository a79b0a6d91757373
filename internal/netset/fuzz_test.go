package netset

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzContains holds the set's mask arithmetic to net/netip: for any
// item Add accepts and any address, Contains answers as
// netip.Prefix.Contains does for the prefix the item names (a plain
// address being its own /32 or /128, an IPv4-mapped one unmapped), and the
// prefix's own first address is always in the set.
func FuzzContains(f *testing.F) {
	for _, seed := range []struct {
		item string
		addr []byte
	}{
		{"10.0.0.0/8", []byte{10, 1, 2, 3}},
		{"0.0.0.0/0", []byte{255, 255, 255, 255}},
		{"192.168.1.7", []byte{192, 168, 1, 7}},
		{"fe80::/10", []byte{0xfe, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"::/0", make([]byte, 16)},
		{"2001:db8::/63", []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"2001:db8::/65", []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 1}},
		{"::ffff:10.0.0.1", []byte{10, 0, 0, 1}},
		{"::ffff:10.0.0.0/104", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 9, 9, 9}},
		{" 172.16.0.0/12 ", []byte{172, 31, 255, 255}},
		{"10.0.0.0/33", []byte{10, 0, 0, 0}},
		{"fe80::1%eth0", []byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
	} {
		f.Add(seed.item, seed.addr)
	}
	f.Fuzz(func(t *testing.T, item string, raw []byte) {
		var s Set
		if err := s.Add(item); err != nil {
			return
		}
		p := prefixOf(t, item)
		var a netip.Addr
		switch len(raw) {
		case 4:
			a = netip.AddrFrom4([4]byte(raw))
		case 16:
			a = netip.AddrFrom16([16]byte(raw))
		default:
			a = p.Addr()
		}
		if got, want := s.Contains(a), p.Contains(a); got != want {
			t.Errorf("set of %q contains %v: %v, netip says %v (prefix %v)", item, a, got, want, p)
		}
		if !s.Contains(p.Addr()) {
			t.Errorf("set of %q lacks its own prefix's address %v", item, p.Addr())
		}
		if s.Len() != 1 {
			t.Errorf("one item, %d prefixes", s.Len())
		}
	})
}

// prefixOf is the prefix an item Add accepted names, by net/netip alone.
func prefixOf(t *testing.T, item string) netip.Prefix {
	item = strings.TrimSpace(item)
	if strings.Contains(item, "/") {
		return netip.MustParsePrefix(item).Masked()
	}
	a := netip.MustParseAddr(item).Unmap()
	p, err := a.Prefix(a.BitLen())
	if err != nil {
		t.Fatalf("address %q: %v", item, err)
	}
	return p
}
