package assets

import (
	"net/netip"
	"strings"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Bounds of what one entity (a MAC or an address) keeps.
const (
	maxNames       = 16
	maxVotes       = 64
	maxServices    = 256
	maxUsed        = 256
	maxObserved    = 512
	maxClients     = 1000
	maxCertFPs     = 8
	maxAddrsPerMAC = 256
	maxWeakMACs    = 2
)

// voteKind says what a vote is about.
type voteKind uint8

const (
	voteOS voteKind = iota
	voteClass
	voteDevice
	voteRole
)

// vote is one rule's support for an answer, with the first record it
// fired on and how often it fired.
type vote struct {
	kind  voteKind
	value string
	rule  string
	conf  float64
	ev    Evidence
	count uint64
}

// entity holds what was learnt about one MAC or one address. Entities
// are merged into hosts when the inventory is read (snapshot.go).
type entity struct {
	first, last float64
	seen        bool // sent traffic (not only named in someone's answer)
	names       []Name
	votes       []vote
	services    map[svcKey]*serviceState
	used        map[string]*Used
	usedOthers  uint64
	traffic     Traffic
	observed    map[obsKey]struct{}
	certFPs     []string
}

type svcKey struct {
	proto string
	port  uint16
}

type obsKey struct{ key, value string }

type serviceState struct {
	Service
	clients map[netip.Addr]struct{}
	certFP  string // the leaf certificate a TLS service showed first
}

func (e *entity) touch(ts float64) {
	if ts <= 0 {
		return
	}
	if e.first == 0 || ts < e.first {
		e.first = ts
	}
	if ts > e.last {
		e.last = ts
	}
}

// addName records a name (case-insensitively unique per source).
func (e *entity) addName(name, source string, ev Evidence) {
	name = cleanName(name)
	if name == "" || len(name) > 255 {
		return
	}
	for i := range e.names {
		n := &e.names[i]
		if n.Source == source && strings.EqualFold(n.Name, name) {
			n.First = minTS(n.First, ev.TS)
			n.Last = max(n.Last, ev.TS)
			return
		}
	}
	if len(e.names) >= maxNames {
		return
	}
	e.names = append(e.names, Name{Name: name, Source: source, First: ev.TS, Last: ev.TS, Log: ev.Log, UID: ev.UID})
}

// addVote records a new vote of rule for value, counted once, with o as
// its evidence; past the bound it is dropped (and no evidence made). The
// caller knows the entity has no such vote (castVote).
func (e *entity) addVote(kind voteKind, value, rule string, conf float64, o *obs) {
	if len(e.votes) >= maxVotes {
		return
	}
	e.votes = append(e.votes, vote{kind: kind, value: value, rule: rule, conf: conf, ev: o.evidence(rule, conf), count: 1})
}

// observedOnce reports whether key=value is new for the entity (and
// remembers it); past the bound everything counts as seen.
func (e *entity) observedOnce(key, value string) bool {
	if e.observed == nil {
		e.observed = map[obsKey]struct{}{}
	}
	k := obsKey{key, value}
	if _, ok := e.observed[k]; ok {
		return false
	}
	if len(e.observed) >= maxObserved {
		return false
	}
	e.observed[k] = struct{}{}
	return true
}

// service returns the state of a port the entity offers, creating it.
func (e *entity) service(proto string, port uint16, ts float64) *serviceState {
	k := svcKey{proto, port}
	s := e.services[k]
	if s == nil {
		if len(e.services) >= maxServices {
			return nil
		}
		if e.services == nil {
			e.services = map[svcKey]*serviceState{}
		}
		s = &serviceState{Service: Service{Proto: proto, Port: port, First: ts, Last: ts}}
		e.services[k] = s
	}
	s.First = minTS(s.First, ts)
	s.Last = max(s.Last, ts)
	return s
}

func (s *serviceState) addClient(a netip.Addr) {
	if !a.IsValid() || len(s.clients) >= maxClients {
		return
	}
	if s.clients == nil {
		s.clients = map[netip.Addr]struct{}{}
	}
	s.clients[a] = struct{}{}
}

// newUsed adds the endpoint u under key and returns it; nil past the
// bound (the connection is counted among the others then).
func (e *entity) newUsed(key string, u Used) *Used {
	if len(e.used) >= maxUsed {
		e.usedOthers++
		return nil
	}
	if e.used == nil {
		e.used = map[string]*Used{}
	}
	e.used[key] = &u
	return &u
}

// count adds one connection at ts to the endpoint.
func (u *Used) count(ts float64, bytesOut, bytesIn uint64, service string) {
	u.Conns++
	u.BytesOut += bytesOut
	u.BytesIn += bytesIn
	u.First = minTS(u.First, ts)
	u.Last = max(u.Last, ts)
	if u.Service == "" {
		u.Service = service
	}
}

func (e *entity) addCert(fp string) {
	for _, f := range e.certFPs {
		if f == fp {
			return
		}
	}
	if len(e.certFPs) < maxCertFPs {
		e.certFPs = append(e.certFPs, fp)
	}
}

// minTS is the earlier of two times, 0 meaning unknown.
func minTS(a, b float64) float64 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// ipEntity is what is known about one address, and the MAC it is bound to.
type ipEntity struct {
	entity
	addr netip.Addr
	// strong is the MAC ARP, neighbour discovery or DHCP bound the address
	// to (the latest one).
	strong       string
	strongSource string
	// weak are MACs seen as the address's link-layer address in conn.log
	// and SYNs, with how often.
	weak [maxWeakMACs]weakMAC
	// derived is the MAC an EUI-64 interface identifier embeds.
	derived string
	// alias is another address of the same host: the mDNS responder that
	// announced this one among its own, or the DHCPv6 client that was
	// assigned it; aliasSource says which ("mdns", "dhcpv6").
	alias       netip.Addr
	aliasSource string
	// duid is the MAC in the DUID of the DHCPv6 client that used the
	// address: the client's identity, not always this interface's MAC.
	duid string
}

type weakMAC struct {
	mac   string
	raw   rec.MAC // mac's bytes: conn records' MACs are compared as such
	count uint64
}

// bumpWeakRaw is bumpWeak for a MAC's bytes (not zero): the bound MAC
// whose text is m's, as conn.log writes it, is counted once more.
func (ip *ipEntity) bumpWeakRaw(m rec.MAC) bool {
	for i := range ip.weak {
		if w := &ip.weak[i]; w.raw == m && w.mac != "" {
			w.count++
			return true
		}
	}
	return false
}

// bumpWeak counts mac once more when it is one of the address's weakly
// bound MACs already; false when it is not.
func (ip *ipEntity) bumpWeak(mac string) bool {
	for i := range ip.weak {
		if ip.weak[i].mac == mac {
			ip.weak[i].count++
			return true
		}
	}
	return false
}

// addWeak binds mac weakly to the address (counted), while it has room.
func (ip *ipEntity) addWeak(mac string) {
	if ip.bumpWeak(mac) {
		return
	}
	for i := range ip.weak {
		if ip.weak[i].mac == "" {
			raw, _ := rec.ParseMAC([]byte(mac)) // mac is normal: it parses
			ip.weak[i] = weakMAC{mac, raw, 1}
			return
		}
	}
}

// macEntity is what is known about one MAC.
type macEntity struct {
	entity
	mac       string
	vendor    string
	random    bool
	addrs     map[netip.Addr]*Addr // strongly bound addresses
	weakAddrs map[netip.Addr]struct{}
	// sameAs is the link-local address a DHCPv6 client whose DUID holds
	// this MAC sent from: when that address belongs to another MAC (the
	// DUID was made on another interface), this one's facts join it.
	sameAs netip.Addr
}

func (m *macEntity) bind(a netip.Addr, source string, ts float64) {
	cur := m.addrs[a]
	if cur == nil {
		if len(m.addrs) >= maxAddrsPerMAC {
			return
		}
		if m.addrs == nil {
			m.addrs = map[netip.Addr]*Addr{}
		}
		cur = &Addr{Addr: a.String(), First: ts, Last: ts, Source: source}
		m.addrs[a] = cur
	}
	cur.First = minTS(cur.First, ts)
	cur.Last = max(cur.Last, ts)
}

func (m *macEntity) addWeakAddr(a netip.Addr) {
	if len(m.weakAddrs) >= maxAddrsPerMAC {
		return
	}
	if m.weakAddrs == nil {
		m.weakAddrs = map[netip.Addr]struct{}{}
	}
	m.weakAddrs[a] = struct{}{}
}

// weakCounts returns the number of IPv4 and IPv6 addresses weakly bound.
func (m *macEntity) weakCounts() (v4, v6 int) {
	for a := range m.weakAddrs {
		if a.Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

func (ip *ipEntity) hasWeak(mac string) bool {
	for _, w := range ip.weak {
		if w.mac == mac {
			return true
		}
	}
	return false
}

// cleanName drops control characters (DHCP host names often end in a
// NUL) and the trailing dot of a DNS name.
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(name), "."))
}
