// Package netset holds sets of address prefixes (internal networks,
// allowlists) with a membership test cheap enough for every record.
package netset

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Set is a set of prefixes. The zero Set is empty.
type Set struct {
	v4 []v4Net
	v6 []v6Net
}

// v4Net is an IPv4 prefix as a masked address and its mask, so that a
// membership test is one AND and one compare per prefix.
type v4Net struct{ addr, mask uint32 }

func newV4Net(p netip.Prefix) v4Net {
	mask := ^uint32(0) << (32 - p.Bits()) // 0 for a /0: Go shifts it all out
	return v4Net{v4Bits(p.Addr()) & mask, mask}
}

// v6Net is an IPv6 prefix as a masked address and its mask, each in two
// halves.
type v6Net struct{ hi, lo, maskHi, maskLo uint64 }

func newV6Net(p netip.Prefix) v6Net {
	bits := p.Bits()
	maskHi := ^uint64(0) << max(64-bits, 0) // Go shifts past 63 to 0
	maskLo := ^uint64(0) << max(128-bits, 0)
	hi, lo := v6Halves(p.Addr())
	return v6Net{hi & maskHi, lo & maskLo, maskHi, maskLo}
}

// v6Halves is an IPv6 address as two numbers.
func v6Halves(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// v4Bits is an IPv4 address as a number.
func v4Bits(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// DefaultInternal lists the networks Vigil treats as internal by default:
// RFC 1918, CGNAT, loopback, link-local and IPv6 ULA.
var DefaultInternal = []string{
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128",
}

// Group reports whether a is a multicast group or the limited broadcast
// address: a destination every host on the link hears, not one host.
func Group(a netip.Addr) bool {
	return a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// Parse builds a Set from CIDRs or plain addresses.
func Parse(items []string) (*Set, error) {
	s := &Set{}
	for _, it := range items {
		if err := s.Add(it); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// MustParse is Parse for fixed lists; it panics on a bad item.
func MustParse(items ...string) *Set {
	s, err := Parse(items)
	if err != nil {
		panic(err)
	}
	return s
}

// Add adds one CIDR or address.
func (s *Set) Add(item string) error {
	item = strings.TrimSpace(item)
	var p netip.Prefix
	var err error
	if strings.Contains(item, "/") {
		p, err = netip.ParsePrefix(item)
	} else {
		var a netip.Addr
		a, err = netip.ParseAddr(item)
		if err == nil {
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil {
		return fmt.Errorf("netset: bad address or prefix %q: %w", item, err)
	}
	p = p.Masked()
	if p.Addr().Is4() {
		s.v4 = append(s.v4, newV4Net(p))
	} else {
		s.v6 = append(s.v6, newV6Net(p))
	}
	return nil
}

// Contains reports whether a is in one of the prefixes.
func (s *Set) Contains(a netip.Addr) bool {
	if s == nil || !a.IsValid() {
		return false
	}
	if a.Is4() {
		bits := v4Bits(a)
		for _, n := range s.v4 {
			if bits&n.mask == n.addr {
				return true
			}
		}
		return false
	}
	if a.Zone() != "" {
		return false // as netip.Prefix.Contains: no prefix holds a zoned address
	}
	hi, lo := v6Halves(a)
	for _, n := range s.v6 {
		if hi&n.maskHi == n.hi && lo&n.maskLo == n.lo {
			return true
		}
	}
	return false
}

// Len returns the number of prefixes.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.v4) + len(s.v6)
}

// ZeekPrivate is Zeek's Site::private_address_space (Zeek 9.1): the
// IANA special-purpose blocks, each IPv4 block also as its 6to4 prefix.
// Zeek counts it local by default (Site::private_address_space_is_local),
// so that conn.log's local_orig and local_resp and ssh.log's direction
// call these addresses local beside the site's own networks.
var ZeekPrivate = []string{
	"0.0.0.0/8", "2002::/24", "10.0.0.0/8", "2002:a00::/24",
	"100.64.0.0/10", "2002:6440::/26", "127.0.0.0/8", "2002:7f00::/24",
	"169.254.0.0/16", "2002:a9fe::/32", "172.16.0.0/12", "2002:ac10::/28",
	"192.0.0.0/24", "2002:c000::/40", "192.0.2.0/24", "2002:c000:200::/40",
	"192.168.0.0/16", "2002:c0a8::/32", "198.18.0.0/15", "2002:c612::/31",
	"198.51.100.0/24", "2002:c633:6400::/40", "203.0.113.0/24", "2002:cb00:7100::/40",
	"240.0.0.0/4", "2002:f000::/20", "255.255.255.255/32", "2002:ffff:ffff::/48",
	"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:2::/48",
	"2001:db8::/32", "fc00::/7", "fe80::/10",
}

// ZeekLocal is what Zeek calls local (Site::local_nets with the private
// address space added, its default): ZeekPrivate and the site's own
// networks, CIDRs or addresses.
func ZeekLocal(site []string) (*Set, error) {
	return Parse(append(append([]string(nil), ZeekPrivate...), site...))
}
