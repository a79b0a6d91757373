package detect

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// siteCheck counts what tells whether the internal networks fit the
// traffic: connections with an internal end, and the networks Zeek's
// conn.log calls local (local_orig, local_resp: its Site::local_nets)
// that the internal networks leave out. A campus or ISP with public
// addresses that was not named (--internal, internal_networks) sees no
// beacon, exfiltration or long-connection alert: the run's summary says
// so (Stats.SiteHints).
type siteCheck struct {
	conns, internalConns uint64
	zeekLocal            map[netip.Prefix]*localSpan // by the /16 or /48 of a local address not internal
}

// localSpan is what siteCheck knows of the local addresses of one /16 or
// /48: how many records named one, and the lowest and highest, whose
// common prefix is the network hinted.
type localSpan struct {
	n      uint64
	lo, hi netip.Addr
}

// prefix is the narrowest network holding the span's addresses, a /24 (or
// /64) at most: a site's network, not its hosts.
func (l *localSpan) prefix() netip.Prefix {
	lo, hi := l.lo.AsSlice(), l.hi.AsSlice()
	bits := 0
	for bits < len(lo)*8 && lo[bits/8]>>(7-bits%8)&1 == hi[bits/8]>>(7-bits%8)&1 {
		bits++
	}
	limit := 24
	if !l.lo.Is4() {
		limit = 64
	}
	p, _ := l.lo.Prefix(min(bits, limit))
	return p
}

// zeekPrivate is Zeek's Site::private_address_space, which Zeek calls
// local when no local_nets are set (Site::private_address_space_is_local,
// its default): a DHCP client's 0.0.0.0 and the broadcast it asks, the
// documentation and benchmarking ranges. That Zeek calls them local says
// nothing of the site, so they give no hint.
// Zeek before 6 also listed 192.88.99.0/24 (6to4 relay anycast).
var zeekPrivate = netset.MustParse(append([]string{"192.88.99.0/24"}, netset.ZeekPrivate...)...)

// maxZeekLocal bounds the networks siteCheck remembers.
const maxZeekLocal = 64

// note counts one conn record.
func (s *siteCheck) note(r *rec.Rec, internal interface{ Contains(netip.Addr) bool }) {
	c := r.Conn()
	s.conns++
	origIn, respIn := internal.Contains(c.Orig), internal.Contains(c.Resp)
	if origIn || respIn {
		s.internalConns++
	}
	if c.LocalOrig && !origIn {
		s.local(c.Orig)
	}
	if c.LocalResp && !respIn {
		s.local(c.Resp)
	}
}

func (s *siteCheck) local(a netip.Addr) {
	if !a.IsValid() || zeekPrivate.Contains(a) {
		return
	}
	bits := 16
	if !a.Is4() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return
	}
	if s.zeekLocal == nil {
		s.zeekLocal = map[netip.Prefix]*localSpan{}
	}
	l := s.zeekLocal[p]
	if l == nil {
		if len(s.zeekLocal) >= maxZeekLocal {
			return
		}
		l = &localSpan{lo: a, hi: a}
		s.zeekLocal[p] = l
	}
	l.n++
	if a.Less(l.lo) {
		l.lo = a
	}
	if l.hi.Less(a) {
		l.hi = a
	}
}

// hints says what the counts suggest: nothing when the internal networks
// fit.
func (s *siteCheck) hints() []string {
	var out []string
	if len(s.zeekLocal) > 0 {
		spans := make([]*localSpan, 0, len(s.zeekLocal))
		for _, l := range s.zeekLocal {
			spans = append(spans, l)
		}
		sort.Slice(spans, func(i, j int) bool {
			if spans[i].n != spans[j].n {
				return spans[i].n > spans[j].n
			}
			return spans[i].lo.Less(spans[j].lo)
		})
		list := ""
		for i, l := range spans[:min(len(spans), 4)] {
			if i > 0 {
				list += ","
			}
			list += l.prefix().String()
		}
		out = append(out, fmt.Sprintf("Zeek's logs call addresses in %s local (local_orig/local_resp) that are not internal networks here: if they are your site's, name them with --internal %s (or internal_networks in the detection config)", list, list))
	} else if s.conns >= 100 && s.internalConns == 0 {
		out = append(out, fmt.Sprintf("none of %d connections has an end in the internal networks (the private ranges by default): if your site uses public addresses, name them with --internal CIDR,… so that beacons, exfiltration and long connections are judged and the asset inventory lists your hosts", s.conns))
	}
	return out
}
