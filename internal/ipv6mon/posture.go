package ipv6mon

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Address kinds, as the posture reports them.
const (
	kindLinkLocal = "link-local"
	kindEUI64     = "eui64"       // interface id from the MAC (RFC 4291 appendix A)
	kindRandom    = "random"      // privacy (RFC 8981) or stable-opaque (RFC 7217)
	kindLowByte   = "static"      // ::1, ::10, ::a:b — set by hand
	kindISATAP    = "isatap"      // 0:5efe / 200:5efe interface id
	kindTeredo    = "teredo"      // 2001::/32
	kind6to4      = "6to4"        // 2002::/16
	kindMulticast = "multicast"   // not a host address
	kindDHCPv6    = "dhcpv6"      // assigned by a DHCPv6 server
	kindMapped    = "ipv4-mapped" // ::ffff:a.b.c.d
)

// host is one IPv6 speaker: its MAC when known and its addresses.
type host struct {
	MAC       string
	LeaksMAC  bool
	FirstSeen float64
	LastSeen  float64
	// kinds maps each address (at most maxHostAddrs) to its kind; the
	// addresses' text is made only when ipv6.log is written (hostLine).
	kinds map[netip.Addr]string
}

// maxHostAddrs bounds the addresses one host keeps.
const maxHostAddrs = 64

// hostLine is a host as ipv6.log writes it.
type hostLine struct {
	Kind      string            `json:"kind"`
	MAC       string            `json:"mac,omitempty"`
	Addresses map[string]string `json:"addresses"` // address → kind
	LeaksMAC  bool              `json:"eui64_leaks_mac"`
	FirstSeen float64           `json:"first_seen"`
	LastSeen  float64           `json:"last_seen"`
}

// line returns h as ipv6.log writes it (what hostLines.appendLine
// appends).
func (h *host) line() hostLine {
	addrs := make(map[string]string, len(h.kinds))
	for a, k := range h.kinds {
		addrs[a.String()] = k
	}
	return hostLine{Kind: "host", MAC: h.MAC, Addresses: addrs, LeaksMAC: h.LeaksMAC, FirstSeen: h.FirstSeen, LastSeen: h.LastSeen}
}

// posture gathers what the summary and ipv6.log report.
type posture struct {
	max       int
	hosts     map[string]*host     // by MAC
	byAddr    map[netip.Addr]*host // hosts seen without a MAC, by address
	dhcp      map[string]bool      // addresses assigned by DHCPv6
	bytes     [2]uint64            // IP bytes in IPv4 and IPv6 connections
	conns     [2]uint64
	tunnels   map[string]*tunnel
	tunnelIDs []string
	// udpParents: uids of UDP tunnel connections (Teredo, AYIYA) seen.
	udpParents map[string]bool
	// inner: IPv6 connections decapsulated from a tunnel, by their
	// parent's uid, kept until the end (settleTunnels): the parent's own
	// record (a Teredo UDP connection) may come after them.
	inner   map[string]*tunnel
	innerID []string
	// ipEnds: the outer endpoints of the tunnels in tunnelLabels (IP-in-IP,
	// GRE, Geneve, VXLAN, GTP-U), by uid, from tunnel.log, to name the
	// tunnel of inner connections.
	ipEnds map[string]tunnelEnds
	// offLink tells whether an address is known to be off the link
	// (Monitor.offLink).
	offLink func(netip.Addr) bool
	// tell reports a tunnel as soon as it is known (Monitor.tellTunnel),
	// and its newer counts as its connections end (update); nil: at the
	// end only.
	tell func(t *tunnel, update bool, ts float64)
}

// tunnelEnds are an IP-level tunnel's outer addresses (as tunnel.log
// orients them) and its Zeek type.
type tunnelEnds struct {
	orig, resp, typ string
}

// maxIPEnds bounds posture.ipEnds (further tunnels are named by uid).
const maxIPEnds = 4096

type tunnel struct {
	Kind   string  `json:"kind"`
	Outer  string  `json:"outer,omitempty"`
	Conns  int     `json:"conns"`
	Bytes  uint64  `json:"bytes"`
	First  float64 `json:"first_seen"`
	Sample string  `json:"sample_uid,omitempty"`
	// label names an IP-level tunnel in the alert's summary ("6in4",
	// "GRE"); "" for the others (Kind names them).
	label string
	// conns4 and bytes4 count its IPv4 inner connections: a tunnel of
	// IPv4 only is kept when it is IP-in-IPv6 (4in6), with them as its
	// counts; one that carries IPv6 is counted by its IPv6 connections.
	conns4 int
	bytes4 uint64
	// raised: reported (tell) while the run went on; found is its place
	// in Monitor.found (-1: none), which the end's totals replace.
	raised bool
	found  int
}

// inner4 tells whether all t's inner connections are IPv4.
func (t *tunnel) inner4() bool { return t.Conns == 0 }

func newPosture(max int, offLink func(netip.Addr) bool) *posture {
	return &posture{max: max, offLink: offLink, hosts: map[string]*host{}, byAddr: map[netip.Addr]*host{}, dhcp: map[string]bool{}, tunnels: map[string]*tunnel{}, udpParents: map[string]bool{},
		inner: map[string]*tunnel{}, ipEnds: map[string]tunnelEnds{}}
}

// classify names the kind of a host address (mac helps tell a leaking
// EUI-64 interface id).
func classify(a netip.Addr) string {
	switch {
	case a.Is4In6():
		return kindMapped
	case a.IsMulticast():
		return kindMulticast
	case a.IsLinkLocalUnicast():
		return kindLinkLocal
	}
	b := a.As16()
	switch {
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0:
		return kindTeredo
	case b[0] == 0x20 && b[1] == 0x02:
		return kind6to4
	case (b[8]|0x02) == 0x02 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe:
		return kindISATAP
	case b[11] == 0xff && b[12] == 0xfe:
		return kindEUI64
	case binary.BigEndian.Uint64(b[8:]) < 0x10000:
		return kindLowByte
	}
	return kindRandom
}

// eui64MAC is the MAC an EUI-64 interface id was made from.
func eui64MAC(a netip.Addr) string {
	b := a.As16()
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[8]^0x02, b[9], b[10], b[13], b[14], b[15])
}

// seenV6 notes an address speaking on the link (with its frame's MAC).
func (p *posture) seenV6(addr, mac string, ts float64) {
	if a, err := netip.ParseAddr(addr); err == nil {
		p.seenAddr(a, []byte(mac), ts)
	}
}

// seenAddr is seenV6 for a parsed address; mac may be empty. Known
// addresses cost two map lookups and no allocation.
func (p *posture) seenAddr(a netip.Addr, mac []byte, ts float64) {
	if !a.Is6() || a.IsUnspecified() || a.IsMulticast() || a.Is4In6() {
		return
	}
	var h *host
	if len(mac) > 0 {
		h = p.hosts[string(mac)]
	} else {
		h = p.byAddr[a]
	}
	if h == nil {
		if len(p.hosts)+len(p.byAddr) >= p.max {
			return
		}
		h = &host{MAC: string(mac), FirstSeen: ts, kinds: map[netip.Addr]string{}}
		if len(mac) > 0 {
			p.hosts[h.MAC] = h
		} else {
			p.byAddr[a] = h
		}
	}
	h.FirstSeen, h.LastSeen = min(h.FirstSeen, ts), max(h.LastSeen, ts) // records come in any order across workers
	if _, ok := h.kinds[a]; ok || len(h.kinds) >= maxHostAddrs {
		return
	}
	kind := classify(a)
	if len(p.dhcp) > 0 && p.dhcp[a.String()] {
		kind = kindDHCPv6
	}
	h.kinds[a] = kind
	if kind == kindEUI64 && h.MAC != "" && eui64MAC(a) == h.MAC {
		h.LeaksMAC = true
	}
}

// seenEnd notes an address heard through a router, perhaps: a
// connection's end or an ICMPv6 message's source, with the frame's MAC.
// For a routed connection that MAC is the router's, so an address off
// the link is no host of the link's (the posture lists the link's
// hosts), and one whose place is unknown (no advertisement, binding or
// allowlist names the link's prefixes) keeps the MAC as the best guess.
func (p *posture) seenEnd(a netip.Addr, mac []byte, ts float64) {
	if p.offLink != nil && p.offLink(a) {
		return
	}
	p.seenAddr(a, mac, ts)
}

func (p *posture) onConn(r *rec.Rec) {
	c := r.Conn()
	v := 0
	if c.Orig.Is6() && !c.Orig.Is4In6() {
		v = 1
		p.seenEnd(c.Orig, c.OrigL2, c.TS)
		p.seenEnd(c.Resp, c.RespL2, c.TS)
	}
	p.bytes[v] += c.OrigIPBytes + c.RespIPBytes
	p.conns[v]++
	p.noteTunnel(r, c)
}

// noteTunnel counts IPv6 carried over IPv4 (6in4, 6to4, Teredo, ISATAP,
// AYIYA) and IPv4 over IPv6.
func (p *posture) noteTunnel(r *rec.Rec, c *rec.Conn) {
	kind, v6 := "", c.Orig.Is6() && !c.Orig.Is4In6()
	ipProto, service := c.IPProto, c.Service
	switch {
	case ipProto == 41 && !v6:
		kind = "6in4"
	case string(service) == "teredo": // the decoder found IPv6 in it, not just the port
		kind = "teredo"
	case string(service) == "ayiya":
		kind = "ayiya"
	case ipProto == 4 && v6:
		kind = "4in6"
	case c.Tunneled:
		// Decapsulated from a tunnel: an IP-level one (6in4, 6to4, GRE,
		// 4in6), whose outer datagrams make no connection of their own,
		// or a UDP one counted from its own connection; which it is is
		// known at the end. IPv4 counts only in IPv6 (4in6).
		p.noteInner(r, c, !v6)
		return
	}
	outer := ""
	if kind != "" {
		outer = c.Orig.String() + " ↔ " + c.Resp.String()
	} else if v6 {
		for _, a := range []netip.Addr{c.Orig, c.Resp} {
			switch classify(a) {
			case kind6to4, kindTeredo, kindISATAP:
				kind = classify(a)
			}
		}
	}
	if kind == "" {
		return
	}
	key := kind + "|" + outer
	t := p.tunnels[key]
	if t == nil {
		if len(p.tunnels) >= 256 {
			return
		}
		t = &tunnel{Kind: kind, Outer: outer, First: c.TS, Sample: string(c.UID)}
		p.tunnels[key] = t
		p.tunnelIDs = append(p.tunnelIDs, key)
	}
	t.Conns++
	t.Bytes += c.OrigIPBytes + c.RespIPBytes
	if c.Proto == rec.ProtoUDP && len(p.udpParents) < 4096 {
		p.udpParents[string(c.UID)] = true
	}
	p.told(t, c)
}

// told reports t, whose connection c has just ended, as soon as it is
// known (a live sensor runs for weeks), then its newer counts.
func (p *posture) told(t *tunnel, c *rec.Conn) {
	if p.tell != nil {
		p.tell(t, t.raised, c.TS+c.Duration)
	}
}

// noteInner counts an IPv6 connection carried in a tunnel under its
// (innermost) parent.
func (p *posture) noteInner(r *rec.Rec, c *rec.Conn, v4 bool) {
	parents := r.Strings("tunnel_parents")
	if len(parents) == 0 {
		return
	}
	parent := parents[len(parents)-1]
	t := p.inner[parent]
	if t == nil {
		if len(p.inner) >= 4096 {
			return
		}
		t = &tunnel{Kind: "ip-tunnel", Outer: "parent " + strings.Join(parents, ","), First: c.TS, Sample: string(c.UID)}
		p.inner[parent] = t
		p.innerID = append(p.innerID, parent)
	}
	t.First = min(t.First, c.TS)
	if v4 {
		t.conns4++
		t.bytes4 += c.OrigIPBytes + c.RespIPBytes
		return
	}
	if t.Conns == 0 {
		t.Sample = string(c.UID) // an IPv6 connection stands for the tunnel
	}
	t.Conns++
	t.Bytes += c.OrigIPBytes + c.RespIPBytes
	// An IPv6 connection in a tunnel that tunnel.log named (IP-level,
	// Geneve, VXLAN, GTP-U; never Teredo or AYIYA, whose own connection
	// counts) is known now: it is reported as settleTunnels will name it.
	if e, ok := p.ipEnds[parent]; ok && !p.udpParents[parent] {
		if !t.raised {
			p.nameInner(t, e)
			if o := p.tunnels[t.Kind+"|"+t.Outer]; o != nil && o != t {
				return // another parent's, reported already
			}
		}
		p.told(t, c)
	}
}

// nameInner names t, the inner connections of a tunnel tunnel.log told
// (e), by its outer addresses.
func (p *posture) nameInner(t *tunnel, e tunnelEnds) {
	t.Outer = e.orig + " ↔ " + e.resp
	t.label = ipTunnelLabel(e)
	if e.typ != "Tunnel::IP" && e.typ != "Tunnel::GRE" {
		t.Kind = strings.ToLower(t.label) // a UDP encapsulation, not IP-level
	}
}

// tunnelLabels names the tunnels whose inner connections are known by
// their parent's uid alone (tunnel.log's type → the summary's name):
// IP-level ones (IP-in-IP's name depends on its addresses:
// ipTunnelLabel) and the UDP encapsulations counted from their inner
// connections (Teredo's and AYIYA's own connection counts them instead).
var tunnelLabels = map[string]string{
	"Tunnel::IP": "IP", "Tunnel::GRE": "GRE",
	"Tunnel::GENEVE": "Geneve", "Tunnel::VXLAN": "VXLAN", "Tunnel::GTPv1": "GTP-U",
}

// onTunnel notes the outer endpoints of a tunnel discovered (tunnel.log)
// whose inner connections name it only by uid: IP-level ones, Geneve,
// VXLAN and GTP-U. Teredo and AYIYA are known from their own connection.
func (p *posture) onTunnel(r *rec.Rec) {
	typ := r.Bytes("tunnel_type")
	if string(r.Bytes("action")) != "Tunnel::DISCOVER" || tunnelLabels[string(typ)] == "" {
		return
	}
	uid := r.Bytes("uid")
	if len(uid) == 0 || len(p.ipEnds) >= maxIPEnds {
		return
	}
	if _, ok := p.ipEnds[string(uid)]; ok {
		return
	}
	p.ipEnds[string(uid)] = tunnelEnds{orig: r.Str("id.orig_h"), resp: r.Str("id.resp_h"), typ: string(typ)}
}

// settleTunnels ends the run's tunnel accounting: connections carried in a
// UDP tunnel belong to it (its own connection counted it); the others
// were carried by an IP-level tunnel, one per parent, named by its outer
// addresses when tunnel.log told them (tunnels between the same
// addresses are one).
func (p *posture) settleTunnels() {
	for _, parent := range p.innerID {
		t := p.inner[parent]
		v4 := t.inner4()
		if p.udpParents[parent] || v4 && !p.in6(parent, t) {
			continue
		}
		if e, ok := p.ipEnds[parent]; ok && !v4 && !t.raised {
			p.nameInner(t, e)
		}
		key := t.Kind + "|" + t.Outer
		if o := p.tunnels[key]; o != nil {
			if o != t {
				o.Conns += t.Conns
				o.Bytes += t.Bytes
				o.First = min(o.First, t.First)
			}
			continue
		}
		if len(p.tunnels) < 256 {
			p.tunnels[key] = t
			p.tunnelIDs = append(p.tunnelIDs, key)
		}
	}
	p.inner, p.innerID = map[string]*tunnel{}, nil
	p.ipEnds = map[string]tunnelEnds{}
}

// in6 reports whether parent, the tunnel of IPv4 connections t, is IPv4
// in IPv6 (tunnel.log's IP-in-IP with IPv6 outer addresses), and names
// t so; Zeek's 4in6 and an undecodable one (a connection of IP protocol
// 4, noteTunnel) are then both 4in6.
func (p *posture) in6(parent string, t *tunnel) bool {
	e, ok := p.ipEnds[parent]
	if !ok || e.typ != "Tunnel::IP" || !isV6(e.orig) {
		return false
	}
	t.Kind, t.Outer = "4in6", e.orig+" ↔ "+e.resp
	t.Conns, t.Bytes = t.conns4, t.bytes4
	return true
}

// ipTunnelLabel names a tunnel known by uid for a summary: 6in4 or 6in6
// (inner connections are IPv6) for IP-in-IP, else tunnelLabels' name.
func ipTunnelLabel(e tunnelEnds) string {
	if e.typ != "Tunnel::IP" {
		return tunnelLabels[e.typ]
	}
	if a, err := netip.ParseAddr(e.orig); err == nil && a.Unmap().Is4() {
		return "6in4"
	}
	return "6in6"
}

// raiseTunnels reports each tunnel once, as information, at the end of
// the run: those reported while it went on (tellTunnel) with their totals.
func (p *posture) raiseTunnels(m *Monitor) {
	p.settleTunnels()
	for _, key := range p.tunnelIDs {
		t := p.tunnels[key]
		m.tellTunnel(t, t.raised, t.First)
	}
}

// finding is t's finding with its counts so far. Its source and
// destination are the outer addresses (empty when unknown).
func (t *tunnel) finding() Finding {
	src, dst, ok := strings.Cut(t.Outer, " ↔ ")
	if !ok {
		src, dst = "", ""
	}
	var summary string
	switch {
	case t.label != "":
		summary = fmt.Sprintf("%s tunnel %s: %d connections, %d bytes", t.label, t.Outer, t.Conns, t.Bytes)
	case !ok && t.Outer != "":
		summary = fmt.Sprintf("IP-level tunnel (%s): %d connections, %d bytes", t.Outer, t.Conns, t.Bytes)
	default:
		summary = fmt.Sprintf("%s tunnel %s: %d connections, %d bytes", t.Kind, t.Outer, t.Conns, t.Bytes)
	}
	return Finding{TS: t.First, Class: "ipv6.tunnel", Severity: 4, Confidence: 0.9, Src: src, Dst: dst, MITRE: []string{"T1572"}, Summary: summary,
		Evidence: map[string]any{"kind": t.Kind, "conns": t.Conns, "bytes": t.Bytes, "uid": t.Sample}}
}

// allHosts lists the hosts, those with a MAC first, in a stable order.
func (p *posture) allHosts() []*host {
	out := make([]*host, 0, len(p.hosts)+len(p.byAddr))
	for _, h := range p.hosts {
		out = append(out, h)
	}
	for _, h := range p.byAddr {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MAC != out[j].MAC {
			return out[i].MAC > out[j].MAC
		}
		if out[i].FirstSeen != out[j].FirstSeen {
			return out[i].FirstSeen < out[j].FirstSeen
		}
		return out[i].firstAddr() < out[j].firstAddr()
	})
	return out
}

// firstAddr is the host's lowest address as text (a tie-break).
func (h *host) firstAddr() string {
	first := ""
	for a := range h.kinds {
		if s := a.String(); first == "" || s < first {
			first = s
		}
	}
	return first
}

// Posture is the IPv6 section of the summary.
type Posture struct {
	Hosts        int            `json:"hosts"`
	AddressKinds map[string]int `json:"address_kinds"`
	LeakingMACs  int            `json:"hosts_leaking_mac"`
	Routers      int            `json:"routers"`
	Rogue        int            `json:"rogue_routers"`
	Prefixes     []string       `json:"prefixes"`
	Tunnels      map[string]int `json:"tunnels"`
	ShareBytes   float64        `json:"ipv6_share_bytes"`
	ShareConns   float64        `json:"ipv6_share_conns"`
	Anomalies    map[string]int `json:"anomalies"`
	Findings     map[string]int `json:"findings"`
}

// Posture summarises the link as seen so far.
func (m *Monitor) Posture() Posture {
	p := m.post
	out := Posture{AddressKinds: map[string]int{}, Tunnels: map[string]int{}, Anomalies: map[string]int{}, Findings: map[string]int{}}
	for _, h := range p.allHosts() {
		out.Hosts++
		if h.LeaksMAC {
			out.LeakingMACs++
		}
		for _, k := range h.kinds {
			out.AddressKinds[k]++
		}
	}
	pfx := map[string]bool{}
	for _, r := range m.routers.byKey {
		out.Routers++
		if !r.Legitimate {
			out.Rogue++
		}
		for _, x := range r.Prefixes {
			pfx[x] = true
		}
	}
	for x := range pfx {
		out.Prefixes = append(out.Prefixes, x)
	}
	sort.Strings(out.Prefixes)
	for _, t := range p.tunnels {
		out.Tunnels[t.Kind] += t.Conns
	}
	if all := p.bytes[0] + p.bytes[1]; all > 0 {
		out.ShareBytes = float64(p.bytes[1]) / float64(all)
	}
	if all := p.conns[0] + p.conns[1]; all > 0 {
		out.ShareConns = float64(p.conns[1]) / float64(all)
	}
	for k, n := range m.ev.kinds {
		out.Anomalies[k] = n
	}
	for _, f := range m.found {
		out.Findings[f.Class]++
	}
	return out
}

// WriteSummary prints the posture in a few lines.
func (m *Monitor) WriteSummary(w io.Writer) {
	p := m.Posture()
	fmt.Fprintf(w, "IPv6      %.1f%% of connection bytes; %d hosts, addresses %s; %d leak their MAC in EUI-64 addresses\n",
		100*p.ShareBytes, p.Hosts, countList(p.AddressKinds), p.LeakingMACs)
	if p.Routers > 0 || len(p.Tunnels) > 0 {
		prefixes, tunnels := firstOf(p.Prefixes, summaryPrefixes), countList(p.Tunnels)
		if tunnels == "" {
			tunnels = "none"
		}
		fmt.Fprintf(w, "          routers %d (%d not legitimate), prefixes %s; tunnels %s\n",
			p.Routers, p.Rogue, prefixes, tunnels)
	}
	if len(p.Findings) > 0 {
		fmt.Fprintf(w, "          findings %s\n", countList(p.Findings))
	}
}

// summaryPrefixes is how many prefixes the summary names: a flood of
// forged advertisements announces thousands.
const summaryPrefixes = 8

// firstOf joins the first n of list, saying how many more there are;
// "none" for an empty list.
func firstOf(list []string, n int) string {
	switch {
	case len(list) == 0:
		return "none"
	case len(list) <= n:
		return strings.Join(list, " ")
	}
	return fmt.Sprintf("%s … %d more", strings.Join(list[:n], " "), len(list)-n)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func countList(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// WriteLog writes DIR/ipv6.log: one JSON line per router, host, IP↔MAC
// binding (with the MACs it had before), DHCPv6 server and tunnel, and a
// summary line. It may be called while records are being consumed (a live
// run's posture as it stands): the file is replaced whole.
func (m *Monitor) WriteLog(dir string) error {
	var buf bytes.Buffer
	m.mu.Lock()
	err := m.writeLines(&buf)
	m.mu.Unlock()
	if err == nil {
		err = replaceFile(filepath.Join(dir, "ipv6.log"), buf.Bytes())
	}
	if err != nil {
		return fmt.Errorf("ipv6mon: write ipv6.log: %w", err)
	}
	return nil
}

// replaceFile replaces path with data whole: readers see the old file or
// the new one, never part of it.
func replaceFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// Snapshot hands ipv6.log's lines as they stand to records, as "ipv6"
// records: a live run's IPv6 posture is seen before it ends. It may be
// called while records are being consumed.
func (m *Monitor) Snapshot(records interface{ Record(log string, line []byte) }) {
	var buf bytes.Buffer
	m.mu.Lock()
	m.writeLines(&buf)
	m.mu.Unlock()
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(line) > 0 {
			records.Record("ipv6", line)
		}
	}
}

// writeLines writes ipv6.log's lines to buf.
func (m *Monitor) writeLines(buf *bytes.Buffer) error {
	enc := json.NewEncoder(buf)
	for _, r := range m.Routers() {
		enc.Encode(struct {
			Kind string `json:"kind"`
			router
		}{"router", r})
	}
	var lines hostLines
	var line []byte
	for _, h := range m.post.allHosts() {
		var ok bool
		if line, ok = lines.appendLine(line[:0], h); ok {
			buf.Write(line)
		}
	}
	for _, addr := range sortedKeys(m.nd.bindings) {
		b := m.nd.bindings[addr]
		enc.Encode(struct {
			Kind string `json:"kind"`
			Addr string `json:"addr"`
			*binding
		}{"binding", addr, b})
	}
	for _, server := range sortedKeys(m.dhcpServers) {
		enc.Encode(struct {
			Kind      string  `json:"kind"`
			Addr      string  `json:"addr"`
			FirstSeen float64 `json:"first_seen"`
		}{"dhcpv6_server", server, m.dhcpServers[server].first})
	}
	for _, key := range m.post.tunnelIDs {
		enc.Encode(struct {
			Kind string `json:"kind"`
			*tunnel
		}{"tunnel", m.post.tunnels[key]})
	}
	return enc.Encode(struct {
		Kind string `json:"kind"`
		Posture
	}{"summary", m.Posture()})
}
