// Package netset holds sets of address prefixes (internal networks,
// allowlists) with a membership test cheap enough for every record.
package netset

import (
	"fmt"
	"net/netip"
	"strings"
)

// Set is a set of prefixes. The zero Set is empty.
type Set struct {
	v4, v6 []netip.Prefix
}

// DefaultInternal lists the networks Vigil treats as internal by default:
// RFC 1918, CGNAT, loopback, link-local and IPv6 ULA.
var DefaultInternal = []string{
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128",
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
		s.v4 = append(s.v4, p)
	} else {
		s.v6 = append(s.v6, p)
	}
	return nil
}

// Contains reports whether a is in one of the prefixes.
func (s *Set) Contains(a netip.Addr) bool {
	if s == nil || !a.IsValid() {
		return false
	}
	list := s.v6
	if a.Is4() {
		list = s.v4
	}
	for _, p := range list {
		if p.Contains(a) {
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
