package detect

import (
	"fmt"
	"net/netip"
	"sort"

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
	zeekLocal            map[netip.Prefix]uint64 // the /16 or /48 of a local address not internal
}

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
	if v, ok := r.Bool("local_orig"); ok && v && !origIn {
		s.local(c.Orig)
	}
	if v, ok := r.Bool("local_resp"); ok && v && !respIn {
		s.local(c.Resp)
	}
}

func (s *siteCheck) local(a netip.Addr) {
	if !a.IsValid() {
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
		s.zeekLocal = map[netip.Prefix]uint64{}
	}
	if _, ok := s.zeekLocal[p]; ok || len(s.zeekLocal) < maxZeekLocal {
		s.zeekLocal[p]++
	}
}

// hints says what the counts suggest: nothing when the internal networks
// fit.
func (s *siteCheck) hints() []string {
	var out []string
	if len(s.zeekLocal) > 0 {
		nets := make([]netip.Prefix, 0, len(s.zeekLocal))
		for p := range s.zeekLocal {
			nets = append(nets, p)
		}
		sort.Slice(nets, func(i, j int) bool { return s.zeekLocal[nets[i]] > s.zeekLocal[nets[j]] })
		list := ""
		for i, p := range nets[:min(len(nets), 4)] {
			if i > 0 {
				list += ","
			}
			list += p.String()
		}
		out = append(out, fmt.Sprintf("Zeek's logs call addresses in %s local (local_orig/local_resp) that are not internal networks here: if they are your site's, name them with --internal %s (or internal_networks in the detection config)", list, list))
	} else if s.conns >= 100 && s.internalConns == 0 {
		out = append(out, fmt.Sprintf("none of %d connections has an end in the internal networks (the private ranges by default): if your site uses public addresses, name them with --internal CIDR,… so that beacons, exfiltration and long connections are judged and the asset inventory lists your hosts", s.conns))
	}
	return out
}
