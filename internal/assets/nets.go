package assets

import (
	"encoding/binary"
	"net/netip"
)

// prefixSet tells whether an address is in any of a list of prefixes, as
// netip.Prefix.Contains would: the IPv4 prefixes are kept as a network
// and a mask on the address's 32 bits, which is all the test takes.
type prefixSet struct {
	v4 []v4Prefix
	v6 []netip.Prefix
}

type v4Prefix struct{ network, mask uint32 }

func newPrefixSet(list []netip.Prefix) prefixSet {
	var s prefixSet
	for _, p := range list {
		s.add(p)
	}
	return s
}

// add adds p (an invalid prefix contains nothing).
func (s *prefixSet) add(p netip.Prefix) {
	switch {
	case !p.IsValid():
	case p.Addr().Is4():
		mask := ^uint32(0) << (32 - p.Bits()) // 0 for /0
		s.v4 = append(s.v4, v4Prefix{network: be32(p.Addr()) & mask, mask: mask})
	default:
		s.v6 = append(s.v6, p)
	}
}

// contains reports whether a prefix of the set contains a. IPv4 prefixes
// hold only IPv4 addresses (not IPv4-mapped IPv6 ones).
func (s *prefixSet) contains(a netip.Addr) bool {
	if a.Is4() {
		return s.contains4(be32(a))
	}
	for _, p := range s.v6 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// contains4 is contains for the IPv4 address x (be32).
func (s *prefixSet) contains4(x uint32) bool {
	for _, p := range s.v4 {
		if x&p.mask == p.network {
			return true
		}
	}
	return false
}

// be32 is an IPv4 address as a number.
func be32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}
