package assets

import (
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Hosts returns the inventory: one Host per MAC that sent traffic (with
// the addresses bound to it) and one per address with no known MAC.
// Addresses are bound to MACs here, from what ARP, neighbour discovery
// and DHCP said (the latest binding wins), else from the link-layer
// addresses of the address's packets, unless that MAC is a gateway's.
func (inv *Inventory) Hosts() []Host {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.snapshotting = true // findings it raises are not told to the sink
	defer func() { inv.snapshotting = false }()
	gateways := inv.gateways()
	owned, alone := inv.assign(gateways)
	joined := inv.joinedMACs(owned)
	index := inv.findingIndex()
	var d decision
	hosts := make([]Host, 0, len(inv.macs)+len(alone))
	for mac, m := range inv.macs {
		ips := owned[mac]
		if _, merged := joined.into[mac]; merged || !m.seen && len(ips) == 0 && !gateways[mac] {
			continue
		}
		hosts = append(hosts, inv.buildHost(&d, m, ips, gateways[mac], index, joined.from[mac]...))
	}
	for _, group := range alone {
		hosts = append(hosts, inv.buildHost(&d, nil, group, false, index))
	}
	if len(hosts) == 0 {
		return nil // no hosts: nil, not an empty list
	}
	sortHosts(hosts)
	return hosts
}

// sortHosts orders hosts by their first address, then by key, each
// host's first address found once.
func sortHosts(hosts []Host) {
	firsts := make([]netip.Addr, len(hosts))
	for i := range hosts {
		firsts[i] = firstAddr(&hosts[i])
	}
	sort.Sort(hostOrder{hosts, firsts})
}

// hostOrder sorts hosts and their first addresses together.
type hostOrder struct {
	hosts  []Host
	firsts []netip.Addr
}

func (o hostOrder) Len() int { return len(o.hosts) }

func (o hostOrder) Less(i, j int) bool {
	return hostLess(o.firsts[i], o.firsts[j], o.hosts[i].Key, o.hosts[j].Key)
}

func (o hostOrder) Swap(i, j int) {
	o.hosts[i], o.hosts[j] = o.hosts[j], o.hosts[i]
	o.firsts[i], o.firsts[j] = o.firsts[j], o.firsts[i]
}

// assign decides which addresses make one host: those bound to one MAC,
// and groups of addresses without a MAC that an mDNS responder announced
// as its own. Addresses that never sent anything are left out unless
// their group has one that did.
func (inv *Inventory) assign(gateways map[string]bool) (owned map[string][]*ipEntity, alone [][]*ipEntity) {
	owned = map[string][]*ipEntity{}
	for _, g := range inv.aliasGroups() {
		if !anySeen(g) {
			continue
		}
		shared := groupOwner(g, gateways)
		var rest []*ipEntity
		for _, ip := range g {
			mac := ip.owner(gateways)
			if mac == "" {
				mac = shared
			}
			if mac != "" {
				owned[mac] = append(owned[mac], ip)
			} else {
				rest = append(rest, ip)
			}
		}
		if len(rest) > 0 {
			alone = append(alone, rest)
		}
	}
	return owned, alone
}

// aliasGroups partitions the addresses: those linked by mDNS aliases
// (union-find) form one group, every other address its own.
func (inv *Inventory) aliasGroups() map[netip.Addr][]*ipEntity {
	parent := map[netip.Addr]netip.Addr{}
	var find func(a netip.Addr) netip.Addr
	find = func(a netip.Addr) netip.Addr {
		p, ok := parent[a]
		if !ok || p == a {
			return a
		}
		r := find(p)
		parent[a] = r
		return r
	}
	for a, ip := range inv.ips {
		if ip.alias.IsValid() && inv.ips[ip.alias] != nil {
			if ra, rb := find(a), find(ip.alias); ra != rb {
				parent[ra] = rb
			}
		}
	}
	groups := map[netip.Addr][]*ipEntity{}
	for a, ip := range inv.ips {
		r := find(a)
		groups[r] = append(groups[r], ip)
	}
	return groups
}

func anySeen(g []*ipEntity) bool {
	for _, ip := range g {
		if ip.seen {
			return true
		}
	}
	return false
}

// groupOwner is the MAC some address of the group is bound to (a strong
// binding first).
func groupOwner(g []*ipEntity, gateways map[string]bool) string {
	for _, ip := range g {
		if ip.strong != "" {
			return ip.strong
		}
	}
	for _, ip := range g {
		if mac := ip.owner(gateways); mac != "" {
			return mac
		}
	}
	return ""
}

// hostLess orders hosts by their first address (aa, ba), then by key.
func hostLess(aa, ba netip.Addr, aKey, bKey string) bool {
	if aa != ba {
		if !aa.IsValid() || !ba.IsValid() {
			return aa.IsValid()
		}
		return aa.Less(ba)
	}
	return aKey < bKey
}

func firstAddr(h *Host) netip.Addr {
	var best netip.Addr
	for _, a := range h.Addrs {
		if x, err := netip.ParseAddr(a.Addr); err == nil && (!best.IsValid() || x.Is4() && !best.Is4() || x.Is4() == best.Is4() && x.Less(best)) {
			best = x
		}
	}
	return best
}

// macJoins says which MACs' facts join another MAC's host: from[host MAC]
// lists them, into[joined MAC] names the host MAC.
type macJoins struct {
	from map[string][]*macEntity
	into map[string]string
}

// joinedMACs joins a DHCPv6 DUID's MAC to the host its client's
// link-local address belongs to, when that is another MAC.
func (inv *Inventory) joinedMACs(owned map[string][]*ipEntity) macJoins {
	n := 0
	for _, ips := range owned {
		n += len(ips)
	}
	ownerOf := make(map[netip.Addr]string, n)
	for mac, ips := range owned {
		for _, ip := range ips {
			ownerOf[ip.addr] = mac
		}
	}
	j := macJoins{from: map[string][]*macEntity{}, into: map[string]string{}}
	for mac, m := range inv.macs {
		if !m.sameAs.IsValid() || len(owned[mac]) > 0 {
			continue
		}
		if host := ownerOf[m.sameAs]; host != "" && host != mac {
			j.from[host] = append(j.from[host], m)
			j.into[mac] = host
		}
	}
	return j
}

// gateways returns the MACs weakly bound to too many addresses.
func (inv *Inventory) gateways() map[string]bool {
	out := map[string]bool{}
	for mac, m := range inv.macs {
		v4, v6 := m.weakCounts()
		if v4 > inv.cfg.GatewayAddrs || v6 > 4*inv.cfg.GatewayAddrs {
			out[mac] = true
		}
	}
	return out
}

// owner is the MAC the address belongs to ("" for none): the latest
// ARP/ND/DHCP binding, else the link-layer address its packets carried
// most (not a gateway's), else the MAC its EUI-64 identifier embeds, else
// the MAC in the DUID of the DHCPv6 client that used it.
func (ip *ipEntity) owner(gateways map[string]bool) string {
	if ip.strong != "" {
		return ip.strong
	}
	if mac := ip.weakOwner(gateways); mac != "" {
		return mac
	}
	if ip.derived != "" {
		return ip.derived
	}
	return ip.duid
}

func (ip *ipEntity) weakOwner(gateways map[string]bool) string {
	best := weakMAC{}
	for _, w := range ip.weak {
		if w.mac != "" && !gateways[w.mac] && w.count > best.count {
			best = w
		}
	}
	return best.mac
}

// buildHost merges a MAC's entity and its addresses' into one Host.
func (inv *Inventory) buildHost(d *decision, m *macEntity, ips []*ipEntity, gateway bool, index map[string][]*Finding, joined ...*macEntity) Host {
	var h Host
	var parts []*entity
	if m != nil {
		h.Key, h.MAC, h.Vendor, h.RandomMAC, h.Gateway = m.mac, m.mac, m.vendor, m.random, gateway
		parts = append(parts, &m.entity)
	}
	for _, j := range joined {
		parts = append(parts, &j.entity)
	}
	slices.SortFunc(ips, func(a, b *ipEntity) int { return a.addr.Compare(b.addr) })
	h.Addrs = hostAddrs(m, ips)
	for _, ip := range ips {
		parts = append(parts, &ip.entity)
	}
	if h.Key == "" && len(ips) > 0 {
		h.Key = ips[0].addr.String()
	}
	votes := slices.Grow(d.votes[:0], countVotes(parts)+extraVotes)
	for _, e := range parts {
		h.FirstSeen = minTS(h.FirstSeen, e.first)
		h.LastSeen = max(h.LastSeen, e.last)
		h.Names = mergeNames(h.Names, e.names)
		for i := range e.votes {
			votes = append(votes, &e.votes[i])
		}
		addTraffic(&h.Traffic, &e.traffic)
	}
	if gateway {
		votes = appendVotes(votes, inv.gatewayVotes(m))
	}
	for _, a := range h.Addrs {
		h.FirstSeen = minTS(h.FirstSeen, a.First)
		h.LastSeen = max(h.LastSeen, a.Last)
	}
	sortNames(h.Names)
	inv.decide(d, &h, votes)
	d.votes = votes[:0]
	h.Services = inv.mergeServices(parts)
	h.Used = mergeUsed(parts, inv.cfg.TopUsed)
	h.Findings = hostFindings(&h, index)
	return h
}

// extraVotes is room for the votes a host's parts do not hold (the
// gateway rules', the OS rules').
const extraVotes = 8

// appendVotes appends pointers to the votes of vs.
func appendVotes(votes []*vote, vs []vote) []*vote {
	for i := range vs {
		votes = append(votes, &vs[i])
	}
	return votes
}

// countVotes is the number of votes the parts hold.
func countVotes(parts []*entity) int {
	n := 0
	for _, e := range parts {
		n += len(e.votes)
	}
	return n
}

// hostAddrs lists the host's addresses with how each was bound to it.
func hostAddrs(m *macEntity, ips []*ipEntity) []Addr {
	var out []Addr
	for _, ip := range ips {
		a := Addr{Addr: ip.addr.String(), First: ip.first, Last: ip.last, Source: bindSource(m, ip)}
		if m != nil {
			if b := m.addrs[ip.addr]; b != nil && ip.strong == m.mac {
				a.First, a.Last = minTS(a.First, b.First), max(a.Last, b.Last)
			}
		}
		out = append(out, a)
	}
	return out
}

// bindSource says how ip came to belong to the host of m.
func bindSource(m *macEntity, ip *ipEntity) string {
	switch {
	case m == nil && ip.alias.IsValid():
		return ip.aliasSource
	case m == nil:
		return ""
	case ip.strong == m.mac:
		if b := m.addrs[ip.addr]; b != nil {
			return b.Source
		}
	case ip.hasWeak(m.mac):
		return "l2"
	case ip.derived == m.mac:
		return "eui64"
	case ip.duid == m.mac:
		return "dhcpv6"
	case ip.alias.IsValid():
		return ip.aliasSource
	}
	return ""
}

// gatewayVotes applies the "l2.gateway" rules to a MAC that routes many
// addresses (the value is the number of addresses).
func (inv *Inventory) gatewayVotes(m *macEntity) []vote {
	v4, v6 := m.weakCounts()
	var tmp entity
	o := obs{key: "l2.gateway", value: strconv.Itoa(v4 + v6), log: "conn", field: "l2_addr"}
	o.with("mac", m.mac).with("ipv4_addresses", strconv.Itoa(v4)).with("ipv6_addresses", strconv.Itoa(v6))
	inv.observe(&tmp, target{mac: m.mac}, &o)
	return tmp.votes
}

func addTraffic(dst, src *Traffic) {
	dst.ConnsOut += src.ConnsOut
	dst.ConnsIn += src.ConnsIn
	dst.BytesSent += src.BytesSent
	dst.BytesRecv += src.BytesRecv
	dst.PktsSent += src.PktsSent
	dst.PktsRecv += src.PktsRecv
}

func mergeNames(dst, src []Name) []Name {
outer:
	for _, n := range src {
		for i := range dst {
			if dst[i].Source == n.Source && strings.EqualFold(dst[i].Name, n.Name) {
				dst[i].First = minTS(dst[i].First, n.First)
				dst[i].Last = max(dst[i].Last, n.Last)
				continue outer
			}
		}
		dst = append(dst, n)
	}
	return dst
}

// nameRank orders name sources from the most to the least telling.
var nameRank = map[string]int{
	"dhcp": 0, "dhcp-fqdn": 1, "mdns": 2, "llmnr": 3, "nbns": 4, "ntlm": 5, "dns-ptr": 6, "tls-cert": 7,
	"dns": 8, "mdns-service": 9, "tls-sni": 10,
}

func sortNames(names []Name) {
	sort.SliceStable(names, func(i, j int) bool {
		ri, rj := rank(names[i].Source), rank(names[j].Source)
		if ri != rj {
			return ri < rj
		}
		return names[i].First < names[j].First
	})
}

func rank(source string) int {
	if r, ok := nameRank[source]; ok {
		return r
	}
	return len(nameRank)
}

// decision is the scratch of decide, reused from host to host (Hosts
// decides them one at a time): a host has a few votes, grouped here in
// short slices rather than in maps made for each guess.
type decision struct {
	groups  []voteGroup
	scores  []scored
	support []*vote
	votes   []*vote // buildHost's list of the host's votes
	// The few families' lower-case names and parents, remembered.
	lowers  map[string]string
	parents map[string]string
}

// lower is strings.ToLower(s), remembered.
func (d *decision) lower(s string) string {
	return computedOnce(&d.lowers, s, strings.ToLower)
}

// parent is the family that family f refines (Rules.parent), remembered.
func (d *decision) parent(r *Rules, f string) string {
	return computedOnce(&d.parents, f, r.parent)
}

// computedOnce returns f(k), from *memo when it holds k, else computed and
// kept there (the map made on first use).
func computedOnce(memo *map[string]string, k string, f func(string) string) string {
	v, ok := (*memo)[k]
	if !ok {
		if *memo == nil {
			*memo = map[string]string{}
		}
		v = f(k)
		(*memo)[k] = v
	}
	return v
}

// voteGroup is the votes for one family of answers, or for one role.
type voteGroup struct {
	name  string // the family (lower-case first word) or the role
	votes []*vote
}

// scored is a family's score in guess.
type scored struct {
	group int // in decision.groups
	score float64
	depth int
}

// group returns the index of a new empty group called name, reusing
// the slices an earlier host's groups left.
func (d *decision) group(name string) int {
	n := len(d.groups)
	if n < cap(d.groups) {
		d.groups = d.groups[:n+1]
		d.groups[n] = voteGroup{name: name, votes: d.groups[n].votes[:0]}
	} else {
		d.groups = append(d.groups, voteGroup{name: name})
	}
	return n
}

// decide turns the votes into the host's OS, class, device and roles.
// The OS is decided first: rules on the "os" observation may then add
// class votes.
func (inv *Inventory) decide(d *decision, h *Host, votes []*vote) {
	maxEv := inv.cfg.MaxEvidence
	h.OS = inv.guess(d, votes, voteOS, maxEv)
	if h.OS != nil {
		var tmp entity
		o := obs{key: "os", value: h.OS.Value, log: "assets", field: "os"}
		o.with("confidence", strconv.FormatFloat(h.OS.Confidence, 'f', 2, 64))
		inv.observe(&tmp, target{}, &o)
		for i := range tmp.votes {
			tmp.votes[i].conf *= h.OS.Confidence
		}
		votes = appendVotes(votes, tmp.votes)
	}
	h.Class = inv.guess(d, votes, voteClass, maxEv)
	h.Device = inv.guess(d, votes, voteDevice, maxEv)
	h.Roles = d.roles(votes, maxEv)
}

// firstWord is the first word of an answer ("Windows 10/11" → "Windows");
// its family is that word in lower case.
func firstWord(v string) string {
	f, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	return f
}

// lowerIs reports whether strings.ToLower(s) == lower, without building
// the lower-case copy when s is ASCII.
func lowerIs(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s) == lower
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if i >= len(lower) || c != lower[i] {
			return false
		}
	}
	return len(s) == len(lower)
}

// familyOf returns the index of the group whose name is s in lower
// case, -1 when there is none.
func (d *decision) familyOf(s string) int {
	for i := range d.groups {
		if lowerIs(s, d.groups[i].name) {
			return i
		}
	}
	return -1
}

// groupFamilies groups the votes of kind by family, the families in the
// order of their first vote, each family's votes in their order.
func (d *decision) groupFamilies(votes []*vote, kind voteKind) {
	d.groups = d.groups[:0]
	for _, v := range votes {
		if v.kind != kind {
			continue
		}
		w := firstWord(v.value)
		i := d.familyOf(w)
		if i < 0 {
			i = d.group(d.lower(w))
		}
		d.groups[i].votes = append(d.groups[i].votes, v)
	}
}

// supportOf appends to dst the votes that back family i: its own, then
// those of the broader families it refines (Android counts Linux's).
// It returns them and the number of broader families.
func (inv *Inventory) supportOf(d *decision, i int, dst []*vote) ([]*vote, int) {
	dst = append(dst, d.groups[i].votes...)
	depth := 0
	for p, seen := d.parent(inv.rules, d.groups[i].name), 0; p != "" && seen < 8; p, seen = d.parent(inv.rules, p), seen+1 {
		if j := d.familyOf(p); j >= 0 {
			dst = append(dst, d.groups[j].votes...)
		}
		depth++
	}
	return dst, depth
}

// guess scores each family of answers by combining its votes' confidences
// as independent evidence (1 − Π(1 − c)); a family also counts the votes
// of the broader families it refines (Android counts Linux's). The
// answer is the most confident vote's wording in the best family.
func (inv *Inventory) guess(d *decision, votes []*vote, kind voteKind, maxEv int) *Guess {
	d.groupFamilies(votes, kind)
	if len(d.groups) == 0 {
		return nil
	}
	all := d.scores[:0]
	for i := range d.groups {
		support, depth := inv.supportOf(d, i, d.support[:0])
		all = append(all, scored{i, combine(support), depth})
		d.support = support
	}
	d.scores = all
	slices.SortFunc(all, func(a, b scored) int {
		switch {
		case a.score != b.score:
			return order(a.score > b.score)
		case a.depth != b.depth:
			return order(a.depth > b.depth)
		}
		return strings.Compare(d.groups[a.group].name, d.groups[b.group].name)
	})
	best := all[0]
	bestFamily := d.groups[best.group].name
	support, _ := inv.supportOf(d, best.group, d.support[:0])
	d.support = support
	g := &Guess{Value: wording(d.groups[best.group].votes), Confidence: round2(best.score), Evidence: evidenceOf(support, maxEv)}
	for _, s := range all[1:] {
		if d.refines(inv.rules, bestFamily, d.groups[s.group].name) || len(g.Alternatives) >= 3 {
			continue
		}
		g.Alternatives = append(g.Alternatives, Alternative{Value: wording(d.groups[s.group].votes), Confidence: round2(s.score)})
	}
	return g
}

// refines reports whether family f is (a refinement of) broader.
func (d *decision) refines(r *Rules, f, broader string) bool {
	for p, n := d.parent(r, f), 0; p != "" && n < 8; p, n = d.parent(r, p), n+1 {
		if strings.EqualFold(p, broader) {
			return true
		}
	}
	return false
}

// combine is 1 − Π(1 − c) over distinct rules (each rule's first vote),
// at most 0.99: passive evidence never makes a guess certain.
func combine(votes []*vote) float64 {
	miss := 1.0
	for i, v := range votes {
		if !ruleBefore(votes[:i], v.rule) {
			miss *= 1 - v.conf
		}
	}
	return min(1-miss, 0.99)
}

// ruleBefore reports whether one of votes is rule's.
func ruleBefore(votes []*vote, rule string) bool {
	for _, v := range votes {
		if v.rule == rule {
			return true
		}
	}
	return false
}

// wording picks the answer of the most confident vote (the longer, more
// specific wording on a tie, then the first in byte order).
func wording(votes []*vote) string {
	best := votes[0]
	for _, v := range votes[1:] {
		if v.conf > best.conf || v.conf == best.conf && (len(v.value) > len(best.value) ||
			len(v.value) == len(best.value) && v.value < best.value) {
			best = v
		}
	}
	return best.value
}

// evidenceOf lists the evidence of the votes' distinct rules, at most
// maxEv; it sorts votes (a scratch list) in place.
func evidenceOf(votes []*vote, maxEv int) []Evidence {
	sorted := votes
	// Most confident first; then the earliest record, then the rule: the
	// same evidence whatever order the records came in.
	slices.SortFunc(sorted, func(a, b *vote) int {
		switch {
		case a.conf != b.conf:
			return order(a.conf > b.conf)
		case a.ev.TS != b.ev.TS:
			return order(a.ev.TS < b.ev.TS)
		}
		return strings.Compare(a.rule, b.rule)
	})
	var out []Evidence
	if len(sorted) > 0 {
		out = make([]Evidence, 0, min(len(sorted), maxEv))
	}
	var stack [8]string
	seen := stack[:0] // the rules in out
	for _, v := range sorted {
		if len(out) >= maxEv {
			break
		}
		if slices.Contains(seen, v.rule) {
			continue
		}
		seen = append(seen, v.rule)
		ev := v.ev
		ev.Confidence = round2(v.conf)
		if v.count > 1 {
			ev.Detail = ev.Detail.with("times", strconv.FormatUint(v.count, 10))
		}
		out = append(out, ev)
	}
	return out
}

// order is a comparison's result for two values that differ: -1 when
// the first comes first, else 1. (Values that compare unordered, NaNs,
// come after, as they do with sort.Slice and the same less function.)
func order(first bool) int {
	if first {
		return -1
	}
	return 1
}

// roles lists the roles the votes give, the most confident first.
func (d *decision) roles(votes []*vote, maxEv int) []Role {
	d.groups = d.groups[:0]
	for _, v := range votes {
		if v.kind != voteRole {
			continue
		}
		i := d.roleOf(v.value)
		if i < 0 {
			i = d.group(v.value)
		}
		d.groups[i].votes = append(d.groups[i].votes, v)
	}
	out := make([]Role, 0, len(d.groups))
	for _, g := range d.groups {
		conf := round2(combine(g.votes)) // before evidenceOf reorders the votes
		out = append(out, Role{Role: g.name, Confidence: conf, Evidence: evidenceOf(g.votes, maxEv)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Confidence != out[j].Confidence {
			return out[i].Confidence > out[j].Confidence
		}
		return out[i].Role < out[j].Role
	})
	return out
}

// roleOf returns the index of role's group, -1 when there is none.
func (d *decision) roleOf(role string) int {
	for i := range d.groups {
		if d.groups[i].name == role {
			return i
		}
	}
	return -1
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// mergeServices lists the services of the host's entities, TLS
// certificates resolved.
func (inv *Inventory) mergeServices(parts []*entity) []Service {
	byKey := map[svcKey]*Service{}
	clients := map[svcKey]map[netip.Addr]struct{}{}
	for _, e := range parts {
		for k, s := range e.services {
			cur := byKey[k]
			if cur == nil {
				c := s.Service
				c.TLSVersions = append([]string(nil), s.TLSVersions...)
				cur = &c
				byKey[k] = cur
				clients[k] = map[netip.Addr]struct{}{}
			} else {
				mergeService(cur, &s.Service)
			}
			for a := range s.clients {
				clients[k][a] = struct{}{}
			}
			if ci := inv.certs[s.certFP]; ci != nil && cur.CertSubject == "" {
				cur.CertSubject, cur.CertIssuer, cur.CertNotAfter = ci.subject, ci.issuer, ci.notAfter
			}
		}
	}
	out := make([]Service, 0, len(byKey))
	for k, s := range byKey {
		s.Clients = len(clients[k])
		if s.worthListing() {
			out = append(out, *s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Proto != out[j].Proto {
			return out[i].Proto < out[j].Proto
		}
		return out[i].Port < out[j].Port
	})
	return out
}

func mergeService(dst, src *Service) {
	dst.Conns += src.Conns
	dst.First = minTS(dst.First, src.First)
	dst.Last = max(dst.Last, src.Last)
	if dst.Name == "" {
		dst.Name = src.Name
	}
	if dst.Banner == "" {
		dst.Banner, dst.Software, dst.Version = src.Banner, src.Software, src.Version
	}
	for _, v := range src.TLSVersions {
		if !contains(dst.TLSVersions, v) {
			dst.TLSVersions = append(dst.TLSVersions, v)
		}
	}
}

// mergeUsed returns the top n endpoints by connections, then bytes (then
// name, protocol and port: one order on every run). The parts' endpoints
// are merged by key only when more than one part has some; the top n are
// then picked without sorting the rest.
func mergeUsed(parts []*entity, n int) []Used {
	var only *entity // the one part with endpoints, if there is one
	withUsed := 0
	for _, e := range parts {
		if len(e.used) > 0 {
			only = e
			withUsed++
		}
	}
	if withUsed == 0 || n <= 0 {
		return []Used{}
	}
	top := topUsed{n: n, list: make([]*Used, 0, min(n, len(only.used)))}
	if withUsed == 1 {
		for _, u := range only.used {
			top.offer(u)
		}
	} else {
		for _, u := range mergedUsed(parts) {
			top.offer(u)
		}
	}
	out := make([]Used, len(top.list))
	for i, u := range top.list {
		out[i] = *u
	}
	return out
}

// mergedUsed merges the endpoints of several parts by key: an endpoint in
// one part is shared as it is, one in several is summed into a copy.
func mergedUsed(parts []*entity) map[string]*Used {
	total := 0
	for _, e := range parts {
		total += len(e.used)
	}
	merged := make(map[string]*Used, total)
	copied := map[*Used]bool{} // the sums made here (the parts' own stay untouched)
	for _, e := range parts {
		for k, u := range e.used {
			cur, ok := merged[k]
			if !ok {
				merged[k] = u
				continue
			}
			if !copied[cur] {
				c := *cur
				cur = &c
				merged[k], copied[cur] = cur, true
			}
			cur.Conns += u.Conns
			cur.BytesIn += u.BytesIn
			cur.BytesOut += u.BytesOut
			cur.First, cur.Last = minTS(cur.First, u.First), max(cur.Last, u.Last)
		}
	}
	return merged
}

// topUsed keeps the first n endpoints offered to it in usedBefore order.
type topUsed struct {
	n    int
	list []*Used // sorted, at most n
}

// offer adds u when it comes before the last of the n kept.
func (t *topUsed) offer(u *Used) {
	if len(t.list) == t.n && !usedBefore(u, t.list[t.n-1]) {
		return
	}
	i := len(t.list)
	for i > 0 && usedBefore(u, t.list[i-1]) {
		i--
	}
	if len(t.list) == t.n {
		t.list = t.list[:t.n-1]
	}
	t.list = slices.Insert(t.list, i, u)
}

// usedBefore orders endpoints: more connections first, then more bytes,
// then by name, protocol, port, and address followed by service.
func usedBefore(a, b *Used) bool {
	if a.Conns != b.Conns {
		return a.Conns > b.Conns
	}
	if t1, t2 := a.BytesIn+a.BytesOut, b.BytesIn+b.BytesOut; t1 != t2 {
		return t1 > t2
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if a.Proto != b.Proto {
		return a.Proto < b.Proto
	}
	if a.Port != b.Port {
		return a.Port < b.Port
	}
	return concatLess(a.Addr, a.Service, b.Addr, b.Service)
}

// concatLess reports whether a1+a2 < b1+b2, without building either.
func concatLess(a1, a2, b1, b2 string) bool {
	for {
		if a1 == "" {
			a1, a2 = a2, ""
		}
		if b1 == "" {
			b1, b2 = b2, ""
		}
		if a1 == "" || b1 == "" {
			return a1 == "" && b1 != ""
		}
		k := min(len(a1), len(b1))
		if c := strings.Compare(a1[:k], b1[:k]); c != 0 {
			return c < 0
		}
		a1, b1 = a1[k:], b1[k:]
	}
}

// findingIndex maps each host a finding is about to its findings.
func (inv *Inventory) findingIndex() map[string][]*Finding {
	out := map[string][]*Finding{}
	for _, k := range inv.findingOrder {
		f := inv.findings[k]
		out[f.Host] = append(out[f.Host], f)
	}
	return out
}

func hostFindings(h *Host, index map[string][]*Finding) []HostFinding {
	var out []HostFinding
	add := func(key string) {
		for _, f := range index[key] {
			out = append(out, HostFinding{Kind: f.Kind, Class: f.Class, Severity: f.Severity, Summary: f.Summary, Count: f.Count})
		}
	}
	if h.MAC != "" {
		add(h.MAC)
	}
	for _, a := range h.Addrs {
		add(a.Addr)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity < out[j].Severity })
	return out
}

// worthListing leaves out the one-off answers of high ports nothing
// names (data channels, peer-to-peer, RTP): a service is listed when it
// has a name or a banner, a port below 1024, or more than one client or
// a few connections.
func (s *Service) worthListing() bool {
	return s.Name != "" || s.Banner != "" || s.Port < 1024 || s.Clients >= 2 || s.Conns >= 3
}
