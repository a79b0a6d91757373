package ipv6mon

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// evasions watches ICMPv6 errors and echoes, MLD, extension-header chains
// and the decoder's and reassembler's anomalies.
type evasions struct {
	m   *Monitor
	mld map[string][]float64 // MLD message times per source
	// counts of every anomaly kind seen, for the posture summary
	kinds map[string]int
	// probers: when each source last probed a multicast group with an
	// option that makes every member answer (host discovery).
	probers map[string]float64
	// echoes: echo requests to a multicast group whose source is not yet
	// known to belong to the sender (a smurf, or discovery: see smurf).
	echoes []icmp6Fact
}

func newEvasions(m *Monitor) *evasions {
	return &evasions{m: m, mld: map[string][]float64{}, kinds: map[string]int{}, probers: map[string]float64{}}
}

var evasionMITRE = []string{"T1562", "T1027"}

// weirdClasses maps weird.log names to what they reveal about IPv6.
var weirdClasses = map[string]string{
	"fragment_overlap":                        "overlapping fragments (RFC 5722: the datagram must be dropped)",
	"fragment_inconsistency":                  "overlapping fragments with different bytes",
	"ipv6_header_chain_not_in_first_fragment": "extension-header chain not in the first fragment (RFC 7112)",
	"routing0_hdr":                            "routing header type 0 (deprecated by RFC 5095)",
	"ipv6_routing_type_0":                     "routing header type 0 (deprecated by RFC 5095)", // Vigil's name before session 38
	"ndp_in_fragment":                         "neighbour discovery inside a fragment (RFC 6980: hosts must drop it; an RA-Guard evasion)",
	"excessive_ipv6_extension_headers":        "an excessive extension-header chain",
	"ipv6_hop_by_hop_not_first":               "hop-by-hop options not first in the chain (RFC 8200)",
	"unknown_ipv6_next_header":                "an unknown next header in the chain",
	"fragment_size_inconsistency":             "fragments that disagree on the datagram's size",
	"excessively_large_fragment":              "fragments beyond 65535 bytes",
	"atomic_fragment":                         "an atomic fragment (RFC 6946)",
}

// weirdKinds maps the weirds that the extension-header facts also see
// to the facts' kinds (onExt), so that each is reported once.
var weirdKinds = map[string]string{"routing0_hdr": "routing_type_0", "ipv6_routing_type_0": "routing_type_0",
	"excessive_ipv6_extension_headers": "long_chain"}

func (e *evasions) onWeird(w *weirdRec) {
	what, ok := weirdClasses[w.Name]
	if !ok || !isV6(w.OrigH) {
		return
	}
	e.kinds[w.Name]++
	sev, conf := 2, 0.8
	switch w.Name {
	case "atomic_fragment":
		// Atomic fragments are legitimate after a too-small PTB; alone
		// they are only a hint.
		sev, conf = 3, 0.5
	case "ndp_in_fragment":
		sev, conf = 2, 0.9 // RA-Guard cannot see it; no stack sends one
	}
	kind := w.Name
	if k, ok := weirdKinds[w.Name]; ok {
		kind = k // the extension-header fact may have said it first
	}
	e.evasion(w.TS, kind, sev, conf, w.OrigH, w.RespH, evasionMITRE,
		fmt.Sprintf("%s sent %s to %s", w.OrigH, what, w.RespH),
		map[string]any{"weird": w.Name, "addl": w.Addl})
}

// evasion reports an ipv6.evasion finding once per source, destination
// and kind: a first mild finding (an atomic fragment) must not hide the
// worse ones that follow (overlaps, RH0, neighbour discovery in a
// fragment).
func (e *evasions) evasion(ts float64, kind string, sev int, conf float64, src, dst string, mitre []string, summary string, ev map[string]any) {
	e.m.report(Finding{TS: ts, Class: "ipv6.evasion", Severity: sev, Confidence: conf, Src: src, Dst: dst, MITRE: mitre,
		Summary: summary, Evidence: ev, once: src + "|" + dst + "|" + kind})
}

// maxPadRun is the longest run of padding bytes RFC 8504 §5.3 lets a
// host accept (Linux drops more): 7, all an 8-byte header can need.
const maxPadRun = 7

func (e *evasions) onExt(f *extFact) {
	if discoveryProbe(f) {
		e.discovery(f)
		return
	}
	chain := strings.Split(f.Chain, ",")
	ev := map[string]any{"chain": f.Chain, "unknown_options": f.UnknownOpts, "nonzero_padding": f.NonzeroPad, "option_bytes": f.OptBytes, "max_padding": f.MaxPad}
	if f.NonzeroPad || f.UnknownOpts != "" {
		e.kinds["ext_options"]++
		e.evasion(f.TS, "ext_options", 2, 0.8, f.Src, f.Dst, []string{"T1001", "T1048"},
			fmt.Sprintf("%s sent destination/hop-by-hop options to %s with %s", f.Src, f.Dst, optionsWhat(f)), ev)
	}
	if n := len(chain) - 1; n > e.m.cfg.ExtChainLimit {
		e.kinds["long_chain"]++
		ev["limit"] = e.m.cfg.ExtChainLimit
		e.evasion(f.TS, "long_chain", 2, 0.8, f.Src, f.Dst, append([]string{"T1499"}, evasionMITRE...),
			fmt.Sprintf("%s sent a chain of %d extension headers to %s (limit %d)", f.Src, n, f.Dst, e.m.cfg.ExtChainLimit), ev)
	}
	if f.RoutingType != nil && *f.RoutingType == 0 {
		e.kinds["routing_type_0"]++
		e.evasion(f.TS, "routing_type_0", 2, 0.9, f.Src, f.Dst, evasionMITRE,
			fmt.Sprintf("%s sent a type 0 routing header to %s (RFC 5095)", f.Src, f.Dst), ev)
	}
	if what := ndBehindHeader(f, chain); what != "" {
		e.kinds["nd_behind_ext"]++
		e.evasion(f.TS, "nd_behind_ext", 2, 0.9, f.Src, f.Dst, append([]string{"T1557"}, evasionMITRE...),
			fmt.Sprintf("%s sent %s to %s behind %s (chain %s): an RA-Guard evasion (RFC 7113 §2); no host or router stack wraps neighbour discovery so",
				f.Src, ndName(*f.ICMPType), f.Dst, what, f.Chain), ev)
	}
	if f.MaxPad > maxPadRun {
		e.kinds["long_padding"]++
		e.evasion(f.TS, "long_padding", 2, 0.8, f.Src, f.Dst, evasionMITRE,
			fmt.Sprintf("%s sent %d bytes of padding in a row to %s (RFC 8504 §5.3 allows %d; hosts drop it): headers stuffed to push the upper layer past what filters inspect",
				f.Src, f.MaxPad, f.Dst, maxPadRun), ev)
	}
	if f.OptBytes > e.m.cfg.ExtOptionBytes {
		e.kinds["large_options"]++
		ev["limit"] = e.m.cfg.ExtOptionBytes
		e.evasion(f.TS, "large_options", 2, 0.7, f.Src, f.Dst, evasionMITRE,
			fmt.Sprintf("%s sent %d bytes of hop-by-hop/destination options to %s (limit %d): headers stuffed to push the upper layer past what filters inspect",
				f.Src, f.OptBytes, f.Dst, e.m.cfg.ExtOptionBytes), ev)
	}
}

// ndBehindHeader names the extension header that neighbour discovery
// (ICMPv6 133-137) in f comes behind: hop-by-hop options, destination
// options or a routing header ("" when none, or f is no ND).
func ndBehindHeader(f *extFact, chain []string) string {
	if f.ICMPType == nil || *f.ICMPType < 133 || *f.ICMPType > 137 {
		return ""
	}
	for _, h := range chain[:len(chain)-1] {
		switch h {
		case "0":
			return "a hop-by-hop options header"
		case "60":
			return "a destination options header"
		case "43":
			return "a routing header"
		}
	}
	return ""
}

// ndName names a neighbour-discovery ICMPv6 type.
func ndName(t int) string {
	return ndNames[t] + fmt.Sprintf(" (ICMPv6 %d)", t)
}

var ndNames = map[int]string{133: "a router solicitation", 134: "a router advertisement", 135: "a neighbour solicitation",
	136: "a neighbour advertisement", 137: "a redirect"}

// discoveryProbe reports whether f carries, to a multicast group, only
// unknown options whose type says "discard the packet and answer with a
// parameter problem even to a multicast destination" (the two high bits
// 10, RFC 8200 section 4.2): made for every member to answer, which is
// how scan6 and alive6 find a link's hosts, not a covert channel.
func discoveryProbe(f *extFact) bool {
	dst, err := netip.ParseAddr(f.Dst)
	if err != nil || !dst.IsMulticast() || f.NonzeroPad || f.UnknownOpts == "" {
		return false
	}
	for _, t := range strings.Split(f.UnknownOpts, ",") {
		n, err := strconv.Atoi(t)
		if err != nil || n>>6 != 2 {
			return false
		}
	}
	return true
}

// maxProbers bounds the discovery sources remembered.
const maxProbers = 4096

// discovery: a host probed every member of a group (see discoveryProbe).
// The members' parameter problems that answer it are then expected.
func (e *evasions) discovery(f *extFact) {
	e.kinds["multicast_discovery"]++
	if len(e.probers) >= maxProbers {
		clear(e.probers)
	}
	e.probers[f.Src] = f.TS
	e.m.raise(f.TS, "scan.v6", 3, 0.7, f.Src, f.Dst, []string{"T1046", "T1595.001"},
		fmt.Sprintf("%s probed every node of %s with unknown option type %s, which makes each host answer with an ICMPv6 parameter problem: host discovery (as scan6 and alive6 do)", f.Src, f.Dst, f.UnknownOpts),
		map[string]any{"chain": f.Chain, "unknown_options": f.UnknownOpts, "group": f.Dst})
}

// probeWindow is how long after a discovery probe the members' answers
// are expected, in seconds.
const probeWindow = 10.0

// optionsWhat says what is wrong with f's options: unknown or malformed
// option types (a truncated option counts as unknown) are malformed
// headers, which may hide data; padding that carries data is a covert
// channel.
func optionsWhat(f *extFact) string {
	var parts []string
	if f.UnknownOpts != "" {
		parts = append(parts, "unknown or malformed option types "+f.UnknownOpts+": malformed headers, which filters may not parse")
	}
	if f.NonzeroPad {
		parts = append(parts, "padding that carries data: a covert channel in extension headers")
	}
	return strings.Join(parts, "; and ")
}

func (e *evasions) onICMP6(f *icmp6Fact) {
	switch {
	case f.Type == 2 && f.MTU != nil && *f.MTU < 1280:
		e.kinds["ptb_below_1280"]++
		e.evasion(f.TS, "ptb_below_1280", 2, 0.9, f.Src, f.Dst, []string{"T1499"},
			fmt.Sprintf("packet-too-big from %s to %s with MTU %d, below IPv6's minimum 1280: forces atomic fragments (RFC 8021)", f.Src, f.Dst, *f.MTU),
			map[string]any{"mtu": *f.MTU, "minimum": 1280})
	case f.Type == 128:
		e.smurf(f)
	case f.Type == 130 || f.Type == 131 || f.Type == 132 || f.Type == 143:
		e.mldFlood(f)
	case f.Type == 4 || f.Type == 3 && f.Code == 1:
		e.rejected(f)
	}
}

// paramProblems names ICMPv6 parameter-problem codes (RFC 4443, 7112).
var paramProblems = map[int]string{
	0: "an erroneous header field", 1: "an unrecognised next header", 2: "an unrecognised option",
	3: "a header chain not in the first fragment",
}

// rejected: a host answered with a parameter problem or a reassembly
// timeout, so it received malformed headers or incomplete fragment sets
// — what crafted evasion and header-DoS traffic causes. The error goes
// back to the sender of the bad packets: that is the suspect.
func (e *evasions) rejected(f *icmp6Fact) {
	if t, ok := e.probers[f.Dst]; ok && f.Type == 4 && f.Code == 2 && f.TS >= t && f.TS-t <= probeWindow {
		e.kinds["discovery_answers"]++ // a member answering a discovery probe
		return
	}
	what := "incomplete fragments (reassembly timed out)"
	if f.Type == 4 {
		what = paramProblems[f.Code]
		if what == "" {
			what = fmt.Sprintf("a parameter problem (code %d)", f.Code)
		}
	}
	e.kinds["rejected_by_receiver"]++
	e.m.report(Finding{TS: f.TS, Class: "ipv6.evasion", Severity: 3, Confidence: 0.6, Src: f.Dst, Dst: f.Src, MITRE: evasionMITRE,
		Summary:   fmt.Sprintf("%s sends malformed IPv6 headers (%s) that hosts reject with ICMPv6 errors (the latest: %s)", f.Dst, what, f.Src),
		Evidence:  map[string]any{"icmp_type": f.Type, "icmp_code": f.Code, "pointer": f.Pointer, "reported_by": f.Src},
		OneOfMany: true, once: f.Dst + "|" + f.Src + "|rejected"})
}

// smurf: an echo request to a multicast group makes every member answer
// its source; from a global (or spoofed) source that is an amplifier
// aimed at the source (smurf6, rsmurf6).
//
// The sender may ping the group from its own address (ping6 ff02::1,
// scan6's discovery): the answers then come back to it. Whose address it
// is shows soon: the members resolve it before answering, and its owner
// replies with a neighbour advertisement. So the decision waits echoHold
// seconds of capture time (settleEchoes).
func (e *evasions) smurf(f *icmp6Fact) {
	if len(e.echoes) >= maxHeldEchoes {
		e.settleEchoes(math.Inf(1))
	}
	e.echoes = append(e.echoes, *f)
}

// echoHold is how long a smurf decision waits for the source's owner to
// show, in seconds; maxHeldEchoes bounds the echoes waiting.
const (
	echoHold      = 2.0
	maxHeldEchoes = 1024
)

// settleEchoes decides the held echoes older than echoHold at now (all of
// them when now is +Inf).
func (e *evasions) settleEchoes(now float64) {
	if len(e.echoes) == 0 {
		return
	}
	keep := e.echoes[:0]
	for i := range e.echoes {
		f := &e.echoes[i]
		if now-f.TS < echoHold {
			keep = append(keep, *f)
			continue
		}
		e.settleEcho(f)
	}
	clear(e.echoes[len(keep):])
	e.echoes = keep
}

// settleEcho raises f as a smurf unless its source belongs to its sender.
func (e *evasions) settleEcho(f *icmp6Fact) {
	src, err := netip.ParseAddr(f.Src)
	if err != nil {
		return
	}
	if e.ownAddress(src, f.SrcMAC) {
		e.kinds["echo_to_multicast_own"]++
		return
	}
	conf := 0.6
	if !src.IsLinkLocalUnicast() {
		conf = 0.9
	}
	e.kinds["echo_to_multicast"]++
	// The source address is the victim's; the sender is named by its MAC
	// (an address of its own when it has shown one).
	sender, victim := f.Src, f.Dst
	if f.SrcMAC != "" {
		sender, victim = e.m.nd.speaker(f.SrcMAC), f.Src
	}
	what := fmt.Sprintf("every member answers %s", f.Src)
	if src.IsMulticast() {
		what = fmt.Sprintf("its source %s is a multicast address (never a valid source, RFC 4291 §2.7): the members' answers go to every member of that group", f.Src)
	}
	e.m.raise(f.TS, "ipv6.smurf", 2, conf, sender, victim, []string{"T1498.002"},
		fmt.Sprintf("echo request to multicast group %s from %s: %s", f.Dst, f.Src, what),
		map[string]any{"group": f.Dst, "len": f.Len, "hop_limit": f.HopLimit, "src_mac": f.SrcMAC})
}

// ownAddress reports whether addr is known to belong to the frame's
// source mac: bound to it by neighbour discovery, or its EUI-64 interface
// id is made from it.
func (e *evasions) ownAddress(addr netip.Addr, mac string) bool {
	if mac == "" {
		return false
	}
	if b := e.m.nd.bindings[addr.String()]; b != nil && strings.EqualFold(b.MAC, mac) {
		return true
	}
	id := addr.As16()
	return id[11] == 0xff && id[12] == 0xfe && strings.EqualFold(eui64MAC(addr), mac)
}

func (e *evasions) mldFlood(f *icmp6Fact) {
	win := e.m.cfg.RAFloodWindow.Seconds()
	key := f.SrcMAC + "|" + f.Src
	times := append(e.mld[key], f.TS)
	for len(times) > 0 && f.TS-times[0] > win {
		times = times[1:]
	}
	if len(e.mld) < e.m.cfg.MaxHosts || e.mld[key] != nil {
		e.mld[key] = times
	}
	if len(times) >= e.m.cfg.MLDFloodCount {
		e.m.raise(f.TS, "ipv6.mld_abuse", 2, 0.8, f.Src, f.Dst, []string{"T1498"},
			fmt.Sprintf("%s sent %d MLD messages within %s", f.Src, len(times), e.m.cfg.RAFloodWindow),
			map[string]any{"messages": len(times), "window_s": win, "threshold": e.m.cfg.MLDFloodCount})
	}
}

// ndLimits checks neighbour-discovery fields against RFC 4861: hop limit
// 255 (a lower one was forwarded: an off-link spoof), a link-local RA
// source, lifetimes within bounds, SLAAC prefixes of 64 bits.
//
// A finding is reported once per message type, destination and set of
// rules broken: a flood of spoofed sources (flood_router26) breaking the
// same rules is one finding, not one per source.
func (m *Monitor) ndLimits(f *ndFact) {
	var bad, rules []string
	broke := func(rule, detail string) {
		bad, rules = append(bad, detail), append(rules, rule)
	}
	if f.HopLimit != 255 {
		broke("hop limit", fmt.Sprintf("hop limit %d (must be 255)", f.HopLimit))
	}
	if f.Type == "ra" {
		if a, err := netip.ParseAddr(f.Src); err == nil && !a.IsLinkLocalUnicast() {
			broke("source", "source "+f.Src+" not link-local")
		}
		if f.RouterLifetime > 9000 {
			broke("router lifetime", fmt.Sprintf("router lifetime %d s (max 9000)", f.RouterLifetime))
		}
		if f.Reachable > 3600000 {
			broke("reachable time", fmt.Sprintf("reachable time %d ms (max 3600000)", f.Reachable))
		}
		for _, p := range f.Prefixes {
			if p.Preferred > p.Valid {
				broke("prefix lifetimes", "prefix "+p.Prefix+" preferred lifetime above its valid lifetime")
			}
			if pfx, err := netip.ParsePrefix(p.Prefix); err == nil && strings.Contains(p.Flags, "A") && pfx.Bits() != 64 {
				broke("prefix length", "autonomous prefix "+p.Prefix+" not /64 (§5.5.3: SLAAC adds a 64-bit interface id, RFC 4291)")
			}
		}
	}
	if len(bad) == 0 {
		return
	}
	m.ev.kinds["nd_limits"]++
	finding := Finding{TS: f.TS, Class: "anomaly", Severity: 3, Confidence: 0.7, Src: f.Src, Dst: f.Dst, MITRE: []string{"T1557"},
		Summary:  fmt.Sprintf("%s message from %s breaks %s: %s", strings.ToUpper(f.Type), f.Src, ndRFCs(rules), strings.Join(bad, "; ")),
		Evidence: map[string]any{"type": f.Type, "violations": bad, "src_mac": f.SrcMAC},
		once:     f.Type + "|" + f.Dst + "|" + strings.Join(rules, ",")}
	if f.Type == "ra" {
		// An RA flood's first adverts come before the flood is seen: the
		// flood absorbs what they break, as it does rogue-router findings.
		m.routers.hold(finding)
		return
	}
	m.report(finding)
}

// ndRFCs names the RFCs whose rules ndLimits found broken: RFC 4861, and
// RFC 4862 for the autonomous prefix's length.
func ndRFCs(rules []string) string {
	other, slaac := false, false
	for _, r := range rules {
		if r == "prefix length" {
			slaac = true
		} else {
			other = true
		}
	}
	switch {
	case slaac && other:
		return "RFC 4861 and RFC 4862"
	case slaac:
		return "RFC 4862"
	}
	return "RFC 4861"
}

// onDHCP learns DHCPv6 servers; one that appears after the learning
// window (or outside the allowlist) is rogue. A server is judged by its
// first exchange that configures hosts (an address, or options): one
// that only delegates a prefix to a router is listed but judged by none,
// and neither makes its server known nor starts the learning window, so
// that a rogue cannot vouch for itself with a delegation first.
func (m *Monitor) onDHCP(d *dhcpRec) {
	if d.DHCPVersion != 6 {
		return
	}
	if d.AssignedAddr != "" {
		m.post.dhcp[d.AssignedAddr] = true
	}
	if d.ServerAddr == "" {
		return
	}
	if m.dhcpServers == nil {
		m.dhcpServers = map[string]*dhcpServer{}
	}
	s := m.dhcpServers[d.ServerAddr]
	if s == nil {
		s = &dhcpServer{first: d.TS}
		if len(m.dhcpServers) < maxDHCPServers {
			m.dhcpServers[d.ServerAddr] = s
		}
	}
	if d.delegatesOnly() || s.judged {
		return
	}
	first := m.dhcpJudged == 0
	s.judged = true
	m.dhcpJudged++
	if len(m.dhcpFirst) < 64 {
		m.dhcpFirst = append(m.dhcpFirst, *d)
	}
	if m.firstDHCP == 0 {
		m.firstDHCP = d.TS
	}
	allowed := m.allowR[d.ServerAddr]
	if !allowed && m.routers.noDHCPv6() {
		m.raise(d.TS, "ipv6.rogue_dhcpv6", 1, 0.85, d.ServerAddr, d.ClientAddr, []string{"T1557.003"},
			fmt.Sprintf("DHCPv6 server %s answered %s (assigning %s) on a link whose routers announce no DHCPv6 (M and O flags off)", d.ServerAddr, d.ClientAddr, d.AssignedAddr),
			map[string]any{"assigned": d.AssignedAddr, "uids": d.UIDs, "router_flags": "none"})
		return
	}
	learning := len(m.allowR) == 0 && d.TS-m.firstDHCP <= m.cfg.LearnWindow.Seconds()
	if first && learning || allowed || learning {
		return
	}
	m.raise(d.TS, "ipv6.rogue_dhcpv6", 1, 0.8, d.ServerAddr, d.ClientAddr, []string{"T1557.003"},
		fmt.Sprintf("a new DHCPv6 server %s answered clients after the known servers were learned", d.ServerAddr),
		map[string]any{"servers": m.dhcpJudged, "uids": d.UIDs})
}

// dhcpServer is a DHCPv6 server seen: when, and whether one of its
// exchanges was judged.
type dhcpServer struct {
	first  float64
	judged bool
}

// maxDHCPServers bounds the servers kept (a flood of forged servers is
// judged, not listed, past it).
const maxDHCPServers = 1024

// delegatesOnly reports an exchange that delegated a prefix to a
// downstream router (IA_PD) and assigned no address: prefix delegation
// does not depend on the routers' M and O flags (RFC 8415 §6.3), so an
// ISP's delegating server on a link whose RAs announce no DHCPv6 is no
// rogue.
func (d *dhcpRec) delegatesOnly() bool { return d.Delegated != "" && d.AssignedAddr == "" }

// recheckDHCPv6 judges the DHCPv6 servers again once the routers are
// known (their advertisements may come after the DHCP records).
func (m *Monitor) recheckDHCPv6() {
	if !m.routers.noDHCPv6() {
		return
	}
	for _, d := range m.dhcpFirst {
		if m.allowR[d.ServerAddr] {
			continue
		}
		m.raise(d.TS, "ipv6.rogue_dhcpv6", 1, 0.85, d.ServerAddr, d.ClientAddr, []string{"T1557.003"},
			fmt.Sprintf("DHCPv6 server %s answered %s (assigning %s) on a link whose routers announce no DHCPv6 (M and O flags off)", d.ServerAddr, d.ClientAddr, d.AssignedAddr),
			map[string]any{"assigned": d.AssignedAddr, "uids": d.UIDs, "router_flags": "none"})
	}
}

func isV6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && !a.Is4In6()
}
