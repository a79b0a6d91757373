package assets

import (
	"bytes"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// dnsRec holds the dns.log fields the inventory reads (also mDNS, LLMNR
// and NetBIOS name service, which go to dns.log too). Most records name
// no local host (their answers are remote addresses): the ports, which
// say what the record is, are decoded with it, the other fields of the
// connection (raw) only for a record that names someone (ids).
type dnsRec struct {
	ts             float64
	uid            string
	id             connID
	raw            rawIDs // ts, uid and id.* as written (ids decodes them)
	idsDone        bool
	query          string
	queryV         value // query as written: decoded for a record that names someone
	opcodeV        value // opcode_name as written: read for NetBIOS only
	hasRcode, hasQ bool
	answers        []value // the string answers, at most maxAnswers (Inventory.answerBuf)
}

const maxAnswers = 64

func (inv *Inventory) decodeDNS(line []byte, r *dnsRec) error {
	*r = dnsRec{}
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	for _, fl := range r.raw.leading(f) {
		k, v := f.Key(fl), value{f.Value(fl)}
		if r.raw.take(k, v) {
			continue
		}
		switch string(k) {
		case "query":
			r.queryV = v
		case "qtype_name":
			r.hasQ = true
		case "rcode":
			r.hasRcode = true
		case "opcode_name":
			r.opcodeV = v
		case "answers":
			r.answers = inv.answerValues(v)
		}
	}
	r.id.origP, r.id.respP = uint16(r.raw.origP.uint()), uint16(r.raw.respP.uint())
	return nil
}

// ids decodes the record's time, uid and addresses (once).
func (inv *Inventory) ids(r *dnsRec) {
	if !r.idsDone {
		inv.decodeIDs(&r.raw, &r.ts, &r.uid, &r.id)
		r.idsDone = true
	}
}

// dnsObs is the record's observation, its connection decoded.
func (inv *Inventory) dnsObs(r *dnsRec) obs {
	inv.ids(r)
	return obs{log: "dns", uid: r.uid, ts: r.ts, proto: "udp", id: r.id}
}

// answerValues returns the string elements of a dns.log answers array
// (at most maxAnswers), as strs would but undecoded, in a buffer reused
// from record to record: most answers are only parsed as addresses.
func (inv *Inventory) answerValues(v value) []value {
	out := inv.answerBuf[:0]
	v.each(func(e value) {
		if e.kind() == kindString && len(out) < maxAnswers {
			out = append(out, e)
		}
	})
	inv.answerBuf = out
	return out
}

// answerAddr parses an answer as netip.ParseAddr parses its text (the
// address unmapped); false when it is not an address. An IPv4 address is
// read from its bytes; a text with no colon (escaped or not) that is
// not one is no address; others go through addr's memo, unless escaped.
func (inv *Inventory) answerAddr(v value) (netip.Addr, bool) {
	raw := v.raw()
	if a, ok := parseDottedQuad(raw); ok {
		return a, true
	}
	escaped := v.escaped()
	if !escaped && bytes.IndexByte(raw, ':') < 0 {
		return netip.Addr{}, false
	}
	if escaped {
		a, err := netip.ParseAddr(v.str())
		return a.Unmap(), err == nil
	}
	a := inv.addr(v)
	return a, a.IsValid()
}

// nameSource is the name source of a DNS-family record by port.
func nameSource(id connID) string {
	switch {
	case id.respP == 5353 || id.origP == 5353:
		return "mdns"
	case id.respP == 5355 || id.origP == 5355:
		return "llmnr"
	case id.respP == 137 || id.origP == 137:
		return "nbns"
	}
	return "dns"
}

func isNameServicePort(p uint16) bool { return p == 53 || p == 137 || p == 5353 || p == 5355 }

// responder returns who sent a record's reply: the sender of a reply
// seen alone (its connection's originator, unless the flow table turned
// the connection round because the other port is the service's), else
// the responder.
func (r *dnsRec) responder() netip.Addr {
	switch {
	case !r.hasRcode:
		return netip.Addr{}
	case !r.id.respH.IsValid() || r.id.respH.IsMulticast() || !hostAddr(r.id.respH):
		return r.id.origH
	case r.hasQ:
		return r.id.respH
	case r.id.origP == r.id.respP || !isNameServicePort(r.id.respP):
		return r.id.origH
	}
	return r.id.respH
}

func (inv *Inventory) onDNS(line []byte) error {
	var r dnsRec
	if err := inv.decodeDNS(line, &r); err != nil {
		return err
	}
	src := nameSource(r.id)
	if src == "nbns" {
		if opcode := inv.intern(r.opcodeV); opcode == "netbios-registration" || opcode == "netbios-refresh" {
			o := inv.dnsObs(&r)
			if e := inv.sender(r.id.origH, r.ts); e != nil {
				inv.addName(&e.entity, target{addr: e.addr}, r.queryV.str(), "nbns", o)
			}
			return nil
		}
	}
	if len(r.answers) == 0 {
		return nil
	}
	r.query = r.queryV.str()
	if a, ok := arpaAddr(r.query); ok {
		inv.dnsReverse(a, &r, src, inv.dnsObs(&r))
		return nil
	}
	if src == "mdns" {
		inv.mdnsServices(&r, inv.dnsObs(&r))
	}
	if !plainHostName(r.query) {
		return nil
	}
	var addrs []*ipEntity
	var o obs // made for the first local answer
	self := false
	for _, ans := range r.answers {
		a, ok := inv.answerAddr(ans)
		if !ok {
			continue
		}
		if e := inv.ip(a); e != nil {
			if o.log == "" {
				o = inv.dnsObs(&r)
			}
			inv.addName(&e.entity, target{addr: e.addr}, r.query, src, o)
			addrs = append(addrs, e)
			self = self || e.addr == r.responder()
		}
	}
	if src == "mdns" && self {
		linkAliases(addrs, r.responder())
	}
	return nil
}

// linkAliases records that the addresses an mDNS responder announced for
// its own name are its own.
func linkAliases(addrs []*ipEntity, responder netip.Addr) {
	for _, e := range addrs {
		if e.addr != responder && !e.alias.IsValid() {
			e.alias, e.aliasSource = responder, "mdns"
		}
	}
}

// sender returns the entity of a local address that sent a record,
// marked seen.
func (inv *Inventory) sender(a netip.Addr, ts float64) *ipEntity {
	e := inv.ip(a)
	if e != nil {
		e.seen = true
		e.touch(ts)
	}
	return e
}

// dnsReverse names the address a reverse query asked about.
func (inv *Inventory) dnsReverse(a netip.Addr, r *dnsRec, src string, o obs) {
	e := inv.ip(a)
	if e == nil {
		return
	}
	if src == "dns" {
		src = "dns-ptr"
	}
	for _, v := range r.answers {
		if ans := v.str(); plainHostName(ans) {
			inv.addName(&e.entity, target{addr: a}, ans, src, o)
			return
		}
	}
}

var mdnsServiceRE = regexp.MustCompile(`(?i)^(?:(.*?)\.)?(_[a-z0-9-]+\._(?:tcp|udp))\.local\.?$`)

// mdnsServices observes the DNS-SD service types (and instance names
// and TXT data) a responder announces.
func (inv *Inventory) mdnsServices(r *dnsRec, o obs) {
	resp := r.responder()
	if !resp.IsValid() {
		return
	}
	e := inv.sender(resp, r.ts)
	if e == nil {
		return
	}
	t := target{addr: e.addr}
	for i := 0; i <= len(r.answers); i++ {
		s := r.query
		if i > 0 {
			s = r.answers[i-1].str()
		}
		if m := mdnsServiceRE.FindStringSubmatch(s); m != nil {
			if m[1] != "" && !strings.HasPrefix(m[1], "_") {
				inv.addName(&e.entity, t, m[1], "mdns-service", o)
			}
			o.key, o.value, o.field = "mdns.service", strings.ToLower(m[2]), "answers"
			if i == 0 {
				o.field = "query"
			}
			inv.observe(&e.entity, t, &o)
			continue
		}
		if i > 0 && strings.Contains(s, "=") {
			for _, txt := range splitTXT(s) {
				o.key, o.value, o.field = "mdns.txt", txt, "answers"
				inv.observe(&e.entity, t, &o)
			}
		}
	}
}

// plainHostName reports whether s looks like a host name (not an
// address, not a DNS-SD service name, not a reverse name).
func plainHostName(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, "_") || strings.Contains(s, "._") {
		return false
	}
	if mayBeAddr(s) {
		if _, err := netip.ParseAddr(s); err == nil {
			return false
		}
	}
	if hasLowerSuffix(s, ".arpa") || hasLowerSuffix(s, ".arpa.") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '=' {
			return false
		}
	}
	return true
}

// mayBeAddr reports whether netip.ParseAddr may take s: without a colon
// only digits and dots make an address (IPv4).
func mayBeAddr(s string) bool {
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// hasLowerSuffix reports whether strings.ToLower(s) ends with suffix
// (lower-case ASCII letters and dots), without lower-casing s: the only
// runes other than themselves that lower-case to ASCII are U+0130 (i)
// and the Kelvin sign (k), so the suffix's runes are s's last bytes.
func hasLowerSuffix(s, suffix string) bool {
	if len(s) < len(suffix) {
		return false
	}
	tail := s[len(s)-len(suffix):]
	for i := 0; i < len(suffix); i++ {
		c := tail[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}

// arpaAddr decodes a reverse-lookup name (in-addr.arpa, ip6.arpa). Most
// names are not one: they end neither in "arpa" nor in "arpa.".
func arpaAddr(name string) (netip.Addr, bool) {
	if !hasLowerSuffix(name, "arpa") && !hasLowerSuffix(name, "arpa.") {
		return netip.Addr{}, false
	}
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if rest, ok := strings.CutSuffix(n, ".in-addr.arpa"); ok {
		parts := strings.Split(rest, ".")
		if len(parts) != 4 {
			return netip.Addr{}, false
		}
		var b [4]byte
		for i, p := range parts {
			x, err := strconv.Atoi(p)
			if err != nil || x < 0 || x > 255 {
				return netip.Addr{}, false
			}
			b[3-i] = byte(x)
		}
		return netip.AddrFrom4(b), true
	}
	if rest, ok := strings.CutSuffix(n, ".ip6.arpa"); ok {
		nibbles := strings.Split(rest, ".")
		if len(nibbles) != 32 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i, h := range nibbles {
			if len(h) != 1 || !isHex(h[0]) {
				return netip.Addr{}, false
			}
			pos := 31 - i
			b[pos/2] |= hexByte(h[0]) << (4 * (1 - pos%2))
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// addName gives the host a name and observes it ("name" rules).
func (inv *Inventory) addName(e *entity, t target, name, source string, o obs) {
	name = cleanName(name)
	if name == "" {
		return
	}
	e.addName(name, source, Evidence{Log: o.log, UID: o.uid, TS: o.ts})
	o.key, o.value, o.field = "name", name, ""
	o.with("source", source)
	inv.observe(e, t, &o)
}

// dhcpRec holds the dhcp.log fields the inventory reads.
type dhcpRec struct {
	ts                          float64
	uid                         string
	clientAddr, serverAddr      netip.Addr
	assigned, requested         netip.Addr
	mac, hostName, clientFQDN   string
	vendorClass, serverSoftware string
	prl                         string
	msgTypes                    []string
	v6                          bool
}

func (inv *Inventory) decodeDHCP(line []byte, r *dhcpRec) error {
	*r = dhcpRec{}
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	for _, fl := range f.Fields() {
		k, v := f.Key(fl), value{f.Value(fl)}
		switch string(k) {
		case "ts":
			r.ts = v.float()
		case "uids":
			if u := v.strs(1); len(u) > 0 {
				r.uid = u[0]
			}
		case "uid":
			r.uid = v.str()
		case "client_addr":
			r.clientAddr = inv.addr(v)
		case "server_addr":
			r.serverAddr = inv.addr(v)
		case "assigned_addr":
			r.assigned = inv.addr(v)
		case "requested_addr":
			r.requested = inv.addr(v)
		case "mac":
			r.mac = inv.intern(v)
		case "host_name":
			r.hostName = v.str()
		case "client_fqdn":
			r.clientFQDN = v.str()
		case "vendor_class":
			r.vendorClass = v.str()
		case "client_software":
			if r.vendorClass == "" {
				r.vendorClass = v.str()
			}
		case "server_software":
			r.serverSoftware = v.str()
		case "requested_options":
			r.prl = joinNumbers(v)
		case "msg_types":
			r.msgTypes = v.strs(64)
		case "dhcp_version":
			r.v6 = v.uint() == 6
		}
	}
	return nil
}

// joinNumbers renders an array of numbers as "1,3,6".
func joinNumbers(v value) string {
	var b []byte
	v.each(func(e value) {
		if e.kind() == kindNumber {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, e.raw()...)
		}
	})
	return string(b)
}

// onDHCP: address bindings, host names, the client's fingerprint
// (parameter request list, vendor class) and the server's role.
func (inv *Inventory) onDHCP(line []byte) error {
	var r dhcpRec
	if err := inv.decodeDHCP(line, &r); err != nil {
		return err
	}
	o := obs{log: "dhcp", uid: r.uid, ts: r.ts, proto: "udp"}
	if r.mac != "" {
		o.with("mac", r.mac)
	}
	client, t := inv.dhcpClient(&r)
	if client != nil {
		client.seen = true
		client.touch(r.ts)
		inv.dhcpClientFacts(client, t, &r, o)
	}
	inv.dhcpServer(&r, o)
	return nil
}

// dhcpClient binds the client's addresses to its MAC and returns the
// entity DHCP facts go to (the MAC's, else the address's).
func (inv *Inventory) dhcpClient(r *dhcpRec) (*entity, target) {
	if r.v6 {
		return inv.dhcpv6Client(r)
	}
	var m *macEntity
	if r.mac != "" {
		m = inv.mac(r.mac)
	}
	var ipe *ipEntity
	for _, c := range [...]struct {
		a   netip.Addr
		use bool
	}{{r.clientAddr, true}, {r.assigned, dhcpAcked(r.msgTypes)}} {
		a := c.a
		if !hostAddr(a) || !c.use {
			continue
		}
		if m != nil {
			ipe, _ = inv.bindStrong(a, m.mac, "dhcp", r.ts)
		} else if ipe == nil {
			ipe = inv.ipForce(a)
		}
		if ipe != nil {
			ipe.seen = true
			ipe.touch(r.ts)
		}
	}
	switch {
	case m != nil:
		return &m.entity, target{mac: m.mac}
	case ipe != nil:
		return &ipe.entity, target{addr: ipe.addr}
	}
	return nil, target{}
}

// dhcpv6Client notes a DHCPv6 client. Its "mac" comes from its DUID: the
// client's identity, but the MAC of whichever interface the DUID was made
// on, so it binds nothing strongly. DHCPv6 clients send from their
// link-local address (a global source is a relay agent's): that address
// and the one the server assigned belong to the client, with the DUID's
// MAC as their owner of last resort. Facts go to the DUID's MAC, which
// joins the host its link-local address turns out to belong to.
func (inv *Inventory) dhcpv6Client(r *dhcpRec) (*entity, target) {
	var m *macEntity
	if r.mac != "" {
		m = inv.mac(r.mac)
	}
	var client *ipEntity
	if r.clientAddr.IsLinkLocalUnicast() {
		client = inv.ipForce(r.clientAddr)
	}
	if client != nil {
		client.seen = true
		client.touch(r.ts)
		if m != nil {
			client.duid, m.sameAs = m.mac, client.addr
		}
	}
	if hostAddr(r.assigned) && dhcpAcked(r.msgTypes) {
		if a := inv.ipForce(r.assigned); a != nil {
			if m != nil {
				a.duid = m.mac
			}
			if client != nil && !a.alias.IsValid() && a != client {
				a.alias, a.aliasSource = client.addr, "dhcpv6"
			}
		}
	}
	switch {
	case m != nil:
		return &m.entity, target{mac: m.mac}
	case client != nil:
		return &client.entity, target{addr: client.addr}
	}
	return nil, target{}
}

// dhcpAcked reports whether the exchange ended with the address granted.
func dhcpAcked(types []string) bool {
	for _, t := range types {
		if t == "ACK" || t == "REPLY" {
			return true
		}
	}
	return false
}

func (inv *Inventory) dhcpClientFacts(e *entity, t target, r *dhcpRec, o obs) {
	if r.hostName != "" {
		inv.addName(e, t, r.hostName, "dhcp", o)
	}
	if r.clientFQDN != "" && !strings.EqualFold(r.clientFQDN, r.hostName) {
		inv.addName(e, t, r.clientFQDN, "dhcp-fqdn", o)
	}
	version := "dhcp"
	if r.v6 {
		version = "dhcpv6"
	}
	if r.prl != "" {
		o.key, o.value, o.field = version+".prl", r.prl, "requested_options"
		inv.observe(e, t, &o)
	}
	if r.vendorClass != "" {
		o.key, o.value, o.field = version+".vendor_class", r.vendorClass, "vendor_class"
		inv.observe(e, t, &o)
	}
}

// dhcpServer notes the server's DHCP service.
func (inv *Inventory) dhcpServer(r *dhcpRec, o obs) {
	if !r.serverAddr.IsValid() {
		return
	}
	e := inv.sender(r.serverAddr, r.ts)
	if e == nil {
		return
	}
	port := uint16(67)
	if r.v6 {
		port = 547
	}
	s := e.service("udp", port, r.ts)
	if s == nil {
		return
	}
	if s.Name == "" {
		s.Name = "dhcp"
	}
	if r.serverSoftware != "" {
		s.Banner = r.serverSoftware
	}
	t := target{addr: e.addr}
	o.id = connID{respH: r.serverAddr, respP: port}
	o.key, o.value, o.field = "offers", "udp/"+strconv.Itoa(int(port)), "server_addr"
	inv.observe(&e.entity, t, &o)
	o.key, o.value, o.field = "offers.service", "dhcp", "server_addr"
	inv.observe(&e.entity, t, &o)
	if r.serverSoftware != "" {
		o.key, o.value, o.field = "dhcp.server_software", r.serverSoftware, "server_software"
		inv.observe(&e.entity, t, &o)
	}
}

// splitTXT splits a TXT answer as dns.log renders it ("TXT 14
// model=iMac17,1 TXT 10 osxvers=17": each string after its length) into
// its strings; other text is returned whole.
func splitTXT(s string) []string {
	var out []string
	rest := s
	for strings.HasPrefix(rest, "TXT ") && len(out) < 32 {
		num, after, ok := strings.Cut(rest[4:], " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n > len(after) {
			break
		}
		out = append(out, after[:n])
		rest = strings.TrimPrefix(after[n:], " ")
	}
	if len(out) == 0 {
		return []string{s}
	}
	return out
}
