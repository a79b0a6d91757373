package assets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/vigil-nsm/vigil/internal/assets/oui"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Inventory builds the passive asset inventory from records. Record is
// meant to be called from one goroutine; Hosts, Findings, Stats and
// WriteLog may be called from others (a mutex guards the state).
type Inventory struct {
	mu         sync.Mutex
	cfg        Config
	rules      *Rules
	oui        oui.Memo       // the vendor table, its answers for whole OUIs remembered
	learned    []netip.Prefix // on-link prefixes from router advertisements
	localNets  prefixSet      // the local networks and the learned prefixes
	icsMasters []netip.Prefix

	ips  map[netip.Addr]*ipEntity
	macs map[string]*macEntity
	// unclaimed is the traffic sent to local addresses that have no
	// entity yet, handed to the entity when one is made: the counts do
	// not depend on whether a host's first own packet is seen before or
	// after the connections it received (with several workers, records
	// come in no fixed order).
	unclaimed map[netip.Addr]Traffic

	findings     map[string]*Finding
	snapshotting bool // Hosts is building a snapshot (FindingSink)
	findingOrder []string

	certs      map[string]*certInfo     // x509 by fingerprint
	pending    map[string][]pendingCert // ssl records waiting for their x509
	uidNames   map[string]string        // uid → SNI / HTTP Host, until the conn record
	kept       *keptNames               // keepUsed's entries in uidNames
	mqttAuth   map[string]mqttAuth      // uid → how the MQTT client connected
	mqttSubs   []pendingSub             // subscriptions whose CONNECT is not known yet
	ics        map[icsKey]*icsDevice
	ftpData    map[netip.AddrPort]struct{} // FTP data channels announced in ftp.log
	addrs      memo[netip.Addr]            // addresses by their raw text
	ipCache    *ipCache                    // ip's recent answers
	matchCache map[obsKey][]ruleHit
	recentHits *hitTable // hits's recent answers, before matchCache
	strs       map[string]string
	interned   memo[string]      // intern's values by their raw text
	uids       memo[string]      // uid's values by their raw text
	agents     memo[string]      // user agents by their raw text
	usedNames  map[string]string // usedName's answers
	portTexts  *portTexts        // portText's answers
	macTexts   *macTexts         // macText's answers
	verdicts   *synVerdicts      // synVerdict's answers
	answerBuf  []value           // the answers of the dns record being read

	handlers map[string]*handler
	recent   [recentLogs]logHandler // the handlers of logs seen lately
	nextKept int                    // the entry of recent replaced next
	lastKept int                    // the entry of recent found last
	cur      *rec.Shared            // the line RecordShared is handing to a handler
	scratch  rec.Rec                // the index of a line Record is handing to one
	stats    Stats
	closed   bool
}

// Stats counts what Record was given.
type Stats struct {
	Records   uint64            `json:"records"`
	ByLog     map[string]uint64 `json:"by_log"`
	Errors    uint64            `json:"errors"`  // lines that did not parse
	Ignored   uint64            `json:"ignored"` // lines of logs the inventory does not read
	Dropped   uint64            `json:"dropped"` // addresses and MACs past Config.MaxHosts
	LastError string            `json:"last_error,omitempty"`
}

// Bounds of the cross-record state.
const (
	maxCerts      = 1 << 14
	maxUIDNames   = 1 << 16
	maxMQTTConns  = 1 << 16
	maxMQTTSubs   = 1 << 12
	maxMatchCache = 1 << 15
	maxUsedNames  = 1 << 14
	maxLearned    = 64
	maxICS        = 1 << 12
)

// New returns an inventory configured by cfg: rules are loaded and the
// MAC vendor table opened (the embedded one is parsed on first use).
func New(cfg Config) (*Inventory, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	local, err := prefixes("local networks", cfg.LocalNets)
	if err != nil {
		return nil, err
	}
	masters, err := prefixes("ICS masters", cfg.ICSMasters)
	if err != nil {
		return nil, err
	}
	rules, err := LoadRules(cfg.RuleFiles...)
	if err != nil {
		return nil, err
	}
	table, err := openOUI(cfg.OUIFile)
	if err != nil {
		return nil, err
	}
	inv := &Inventory{
		cfg: cfg, rules: rules, oui: oui.NewMemo(table), localNets: newPrefixSet(local), icsMasters: masters,
		ips:        map[netip.Addr]*ipEntity{},
		unclaimed:  map[netip.Addr]Traffic{},
		macs:       map[string]*macEntity{},
		findings:   map[string]*Finding{},
		certs:      map[string]*certInfo{},
		pending:    map[string][]pendingCert{},
		uidNames:   map[string]string{},
		mqttAuth:   map[string]mqttAuth{},
		ics:        map[icsKey]*icsDevice{},
		ftpData:    map[netip.AddrPort]struct{}{},
		addrs:      newMemo[netip.Addr](),
		ipCache:    new(ipCache),
		matchCache: map[obsKey][]ruleHit{},
		recentHits: new(hitTable),
		strs:       map[string]string{},
		interned:   newMemo[string](),
		uids:       newMemo[string](),
		agents:     newMemo[string](),
		usedNames:  map[string]string{},
		portTexts:  new(portTexts),
		macTexts:   new(macTexts),
		verdicts:   new(synVerdicts),
		kept:       new(keptNames),
	}
	inv.handlers = inv.handlerTable()
	return inv, nil
}

func openOUI(path string) (*oui.Table, error) {
	if path != "" {
		t, err := oui.Load(path)
		if err != nil {
			return nil, fmt.Errorf("assets: %w", err)
		}
		return t, nil
	}
	t, err := oui.Embedded()
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	return t, nil
}

// handler reads the records of one log and counts them (Stats.ByLog).
type handler struct {
	read    func([]byte) error
	records uint64
}

// logHandler is one log's handler (nil: the inventory does not read
// the log).
type logHandler struct {
	log string
	h   *handler
}

// recentLogs is how many logs' handlers the inventory keeps at hand:
// records of several logs (conn, http, dns, _syn …) interleave.
const recentLogs = 8

// handlerOf returns log's handler, nil when the inventory does not read
// it. The writer interns the logs' names, so comparing the latest ones
// costs less than hashing the name for the map, which is looked up only
// for a log not seen lately (it replaces the oldest kept). The zero entry
// is right for log "", which has no handler.
func (inv *Inventory) handlerOf(log string) *handler {
	if l := &inv.recent[inv.lastKept]; l.log == log { // a run of one log's records
		return l.h
	}
	for i := range inv.recent {
		if inv.recent[i].log == log {
			inv.lastKept = i
			return inv.recent[i].h
		}
	}
	i := inv.nextKept
	inv.nextKept = (i + 1) % recentLogs
	inv.recent[i] = logHandler{log, inv.handlers[log]}
	inv.lastKept = i
	return inv.recent[i].h
}

// handlerTable maps each log the inventory reads to its handler.
func (inv *Inventory) handlerTable() map[string]*handler {
	table := map[string]*handler{}
	for log, read := range inv.readers() {
		table[log] = &handler{read: read}
	}
	return table
}

// readers maps each log the inventory reads to its handler's function.
func (inv *Inventory) readers() map[string]func([]byte) error {
	return map[string]func([]byte) error{
		"conn": inv.onConn, "dns": inv.onDNS, "dhcp": inv.onDHCP,
		"http": inv.onHTTP, "ssl": inv.onSSL, "x509": inv.onX509, "ssh": inv.onSSH,
		"ftp": inv.onFTP, "smtp": inv.onSMTP, "snmp": inv.onSNMP,
		"ssdp": inv.onSSDP, "mqtt_connect": inv.onMQTTConnect,
		"mqtt_subscribe": inv.onMQTTSubscribe, "mqtt_publish": inv.onMQTTPublish,
		"coap": inv.onCoAP, "modbus": inv.onICS("modbus"), "dnp3": inv.onICS("dnp3"),
		"bacnet": inv.onBACnet, "ntlm": inv.onNTLM, "enip_list_identity": inv.onENIPIdentity,
		"_syn": inv.onSYN, "_arp": inv.onARP, "_nd": inv.onND, "_telnet_auth": inv.onTelnetAuth,
		"_ftp_auth": inv.onLoginFact("ftp"), "_http_auth": inv.onLoginFact("http"), "_mqtt_auth": inv.onLoginFact("mqtt"),
		"_mysql_server": inv.onMySQLServer, "_mysql_auth": inv.onLoginFact("mysql"),
	}
}

// Record reads one record: log is the log's name ("conn", "dns" … or a
// fact stream "_syn", "_arp", "_nd", "_telnet_auth", "_ftp_auth",
// "_http_auth", "_mqtt_auth", "_mysql_server"), line one JSON object as
// vigil writes it. Lines of other logs are counted and ignored; lines
// that do not parse are counted (Stats) and skipped.
func (inv *Inventory) Record(log string, line []byte) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.record(log, line)
}

// RecordShared is Record for a line other consumers read too (its
// fields are indexed once for all of them).
func (inv *Inventory) RecordShared(s *rec.Shared) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.cur = s
	inv.record(s.Log, s.Line)
	inv.cur = nil
}

func (inv *Inventory) record(log string, line []byte) {
	inv.stats.Records++
	h := inv.handlerOf(log)
	if h == nil {
		inv.stats.Ignored++
		return
	}
	h.records++
	if err := h.read(line); err != nil {
		inv.stats.Errors++
		inv.stats.LastError = fmt.Sprintf("%s record: %v", log, err)
	}
}

// Close finishes the inventory: subscriptions whose connection was never
// seen are judged. Records after Close are still accepted.
func (inv *Inventory) Close() error {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.closed {
		return nil
	}
	inv.closed = true
	inv.flushMQTTSubs()
	return nil
}

// Stats returns the record counters.
func (inv *Inventory) Stats() Stats {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	s := inv.stats
	s.ByLog = map[string]uint64{}
	for log, h := range inv.handlers {
		if h.records > 0 {
			s.ByLog[log] = h.records
		}
	}
	return s
}

// Rules returns the rules in use.
func (inv *Inventory) Rules() *Rules { return inv.rules }

// addr parses an address value, remembered by its raw text (the same
// few addresses recur in every record): an IPv4 address from its bytes,
// others by netip.ParseAddr.
func (inv *Inventory) addr(v value) netip.Addr {
	if v.kind() != kindString {
		return netip.Addr{}
	}
	raw := v.raw()
	if len(raw) == 0 {
		return netip.Addr{}
	}
	s := inv.addrs.slot(raw)
	if s.holds(raw) {
		return s.val
	}
	a, ok := parseDottedQuad(raw)
	text := ""
	if !ok && !v.escaped() {
		text = string(raw)
		if p, err := netip.ParseAddr(text); err == nil {
			a = p.Unmap()
		}
	}
	s.take(raw, a, text)
	return a
}

// parseDottedQuad parses b as netip.ParseAddr parses an IPv4 address: four
// decimal octets of at most 255, without leading zeros. Anything else
// reports false (ParseAddr may still take it, or refuse it).
func parseDottedQuad(b []byte) (netip.Addr, bool) {
	var out [4]byte
	part, val, digits := 0, 0, 0
	for _, c := range b {
		if d := c - '0'; d <= 9 {
			val = val*10 + int(d)
			digits++
			continue
		}
		if c != '.' || part == 3 || !octet(val, digits) {
			return netip.Addr{}, false
		}
		out[part] = byte(val)
		part, val, digits = part+1, 0, 0
	}
	if part != 3 || !octet(val, digits) {
		return netip.Addr{}, false
	}
	out[3] = byte(val)
	return netip.AddrFrom4(out), true
}

// octet reports whether digits decimal digits of value val make an IPv4
// octet as netip.ParseAddr takes it: 1 to 3 digits, at most 255, no
// leading zero (below 10 with two digits, below 100 with three).
func octet(val, digits int) bool {
	switch digits {
	case 1:
		return true
	case 2:
		return val >= 10
	case 3:
		return val >= 100 && val <= 255
	}
	return false
}

// isLocal reports whether a is a host address of the inventory's networks.
func (inv *Inventory) isLocal(a netip.Addr) bool {
	if a.Is4() { // the usual case, on the address's 32 bits
		x := be32(a)
		return hostAddr4(x) && (inv.cfg.AllHosts || inv.localNets.contains4(x))
	}
	if !hostAddr(a) {
		return false
	}
	return inv.cfg.AllHosts || inv.localNets.contains(a)
}

// hostAddr rules out addresses no host has: unspecified, multicast,
// loopback and the limited broadcast.
func hostAddr(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLoopback() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// hostAddr4 is hostAddr for an IPv4 address x (be32): not 0.0.0.0,
// multicast (224/4), loopback (127/8) or 255.255.255.255.
func hostAddr4(x uint32) bool {
	return x != 0 && x>>28 != 0xe && x>>24 != 127 && x != 0xffffffff
}

func (inv *Inventory) full() bool {
	if len(inv.ips)+len(inv.macs) >= inv.cfg.MaxHosts {
		inv.stats.Dropped++
		return true
	}
	return false
}

// ip returns the entity of a local address (nil for others), creating it.
// The answer for an address that has an entity, or that is not local, is
// kept in the cache.
func (inv *Inventory) ip(a netip.Addr) *ipEntity {
	slot := inv.ipCache.slot(a)
	if e, ok := inv.ipCache.get(slot, a); ok {
		return e
	}
	e := inv.ips[a]
	if e == nil && inv.isLocal(a) {
		return inv.newIP(a) // cached by the next lookup (nil when full is not)
	}
	inv.ipCache.put(slot, a, e)
	return e
}

// existing returns the entity of a, nil when it has none (ips[a], through
// ip's cache).
func (inv *Inventory) existing(a netip.Addr) *ipEntity {
	if e, ok := inv.ipCache.get(inv.ipCache.slot(a), a); ok {
		return e
	}
	return inv.ips[a]
}

// ipForce is ip for an address that link-layer evidence (ARP, ND, DHCP)
// shows to be local.
func (inv *Inventory) ipForce(a netip.Addr) *ipEntity {
	if e := inv.existing(a); e != nil {
		return e
	}
	if !hostAddr(a) {
		return nil
	}
	return inv.newIP(a)
}

func (inv *Inventory) newIP(a netip.Addr) *ipEntity {
	if inv.full() {
		return nil
	}
	e := &ipEntity{addr: a}
	// a may be cached as having no entity: its slot gets the answer now
	// (the other addresses' answers still hold).
	inv.ipCache.put(inv.ipCache.slot(a), a, e)
	if t, ok := inv.unclaimed[a]; ok {
		e.traffic = t
		delete(inv.unclaimed, a)
	}
	inv.ips[a] = e
	if mac := eui64MAC(a); mac != "" {
		if m := inv.mac(mac); m != nil {
			e.derived = m.mac
		}
	}
	return e
}

// mac returns the entity of a unicast MAC, creating it (and looking up
// its vendor).
func (inv *Inventory) mac(m string) *macEntity {
	if e := inv.macs[m]; e != nil { // m is normal already (the keys are)
		return e
	}
	m = normMAC(m)
	if m == "" {
		return nil
	}
	if e := inv.macs[m]; e != nil {
		return e
	}
	if inv.full() {
		return nil
	}
	e := &macEntity{mac: m, random: oui.LocallyAdministered(m)}
	if !e.random {
		e.vendor, _ = inv.oui.Lookup(m)
	}
	inv.macs[m] = e
	if e.vendor != "" {
		inv.observe(&e.entity, target{mac: m}, &obs{key: "mac.vendor", value: e.vendor, log: "oui", field: "mac"})
	}
	if e.random {
		inv.observe(&e.entity, target{mac: m}, &obs{key: "mac.random", value: "true", log: "oui", field: "mac"})
	}
	return e
}

// normMAC lower-cases a MAC and rejects broadcast, multicast, all-zero
// and malformed ones ("" then).
func normMAC(m string) string {
	if len(m) != 17 {
		return ""
	}
	m = strings.ToLower(m)
	for i := 0; i < 17; i++ {
		c := m[i]
		if i%3 == 2 {
			if c != ':' {
				return ""
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	first := hexByte(m[0])<<4 | hexByte(m[1])
	if first&1 != 0 || m == "00:00:00:00:00:00" {
		return ""
	}
	return m
}

func hexByte(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// bindStrong binds a to mac on link-layer evidence (ARP, ND, DHCP).
func (inv *Inventory) bindStrong(a netip.Addr, mac, source string, ts float64) (*ipEntity, *macEntity) {
	m := inv.mac(mac)
	if m == nil {
		return inv.ipForce(a), nil
	}
	ip := inv.ipForce(a)
	if ip == nil {
		return nil, m
	}
	ip.strong, ip.strongSource = m.mac, source
	m.bind(a, source, ts)
	return ip, m
}

// bindWeak notes mac as the link-layer address a's packets came with.
// A MAC the address is bound to already is counted again without a
// lookup: its entity has the address among its weak ones since the first
// binding (or had no room for it then, nor has it now).
func (inv *Inventory) bindWeak(ip *ipEntity, mac string) {
	if ip == nil || mac == "" || ip.bumpWeak(mac) {
		return
	}
	m := inv.mac(mac)
	if m == nil {
		return
	}
	ip.addWeak(m.mac)
	m.addWeakAddr(ip.addr)
}

// learnPrefix adds an on-link prefix from a router advertisement.
func (inv *Inventory) learnPrefix(p netip.Prefix) {
	if !p.IsValid() || p.Bits() < 16 || len(inv.learned) >= maxLearned {
		return
	}
	p = p.Masked()
	for _, q := range inv.learned {
		if q == p {
			return
		}
	}
	inv.learned = append(inv.learned, p)
	inv.localNets.add(p)
	inv.ipCache.invalidate() // addresses of p may be cached as not local
}

// intern returns a string value, shared between records for the few
// values that recur (services, states, MACs, host names, software): the
// memo first, then a table. Both are keyed by the raw text, escapes and
// all, so that a hit needs no scan for them.
func (inv *Inventory) intern(v value) string {
	if v.kind() != kindString {
		return v.str()
	}
	return inv.internRaw(v.raw(), v.str)
}

// internText is intern for a string's text as written between its
// quotes (a field rec decoded).
func (inv *Inventory) internText(raw []byte) string {
	return inv.internRaw(raw, func() string { return unescaped(raw) })
}

// internRaw is intern of the string written raw, which str decodes.
func (inv *Inventory) internRaw(raw []byte, str func() string) string {
	if len(raw) > 64 {
		return str()
	}
	slot := inv.interned.slot(raw)
	if slot.holds(raw) {
		return slot.val
	}
	s, ok := inv.strs[string(raw)]
	if !ok {
		s = str()
		if len(inv.strs) < maxInterned {
			if s == string(raw) { // no escapes: key and value share the bytes
				inv.strs[s] = s
			} else {
				inv.strs[string(raw)] = s
			}
		}
	}
	slot.take(raw, s, s)
	return s
}

// unescaped decodes a JSON string's text as written between its quotes.
func unescaped(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	return value{append(append([]byte{'"'}, raw...), '"')}.str()
}

const maxInterned = 1 << 14

// remembered returns a string value: the string made for the last value
// with the same raw text that landed in m's slot when it is still there,
// else a new one (kept there). It is for values too many or too long to
// intern that often recur in records that come close together: a
// connection's uid in the records of its requests, a client's user agent.
func remembered(m memo[string], v value) string {
	if v.kind() != kindString {
		return v.str()
	}
	return rememberedRaw(m, v.raw(), v.str)
}

// rememberedText is remembered for a string's text as written between
// its quotes (a field rec decoded).
func rememberedText(m memo[string], raw []byte) string {
	return rememberedRaw(m, raw, func() string { return unescaped(raw) })
}

func rememberedRaw(m memo[string], raw []byte, str func() string) string {
	slot := m.slot(raw)
	if !slot.holds(raw) {
		s := str()
		slot.take(raw, s, s)
	}
	return slot.val
}

// uid returns a connection's uid (remembered).
func (inv *Inventory) uid(v value) string { return remembered(inv.uids, v) }

// eui64Match reports whether the IPv6 address's interface identifier is
// the modified EUI-64 of mac (SLAAC without privacy extensions).
func eui64Match(a netip.Addr, mac string) bool {
	if !hasEUI64(a) { // no MAC checked: most addresses
		return false
	}
	b := a.As16()
	m := normMAC(mac)
	if m == "" {
		return false
	}
	var hw [6]byte
	for i := range hw {
		hw[i] = hexByte(m[3*i])<<4 | hexByte(m[3*i+1])
	}
	return b[8] == hw[0]^0x02 && b[9] == hw[1] && b[10] == hw[2] && b[11] == 0xff &&
		b[12] == 0xfe && b[13] == hw[3] && b[14] == hw[4] && b[15] == hw[5]
}

// hasEUI64 reports whether a is an IPv6 address whose interface
// identifier may be a modified EUI-64 (ff:fe in its middle).
func hasEUI64(a netip.Addr) bool {
	if !a.Is6() {
		return false
	}
	b := a.As16()
	return b[11] == 0xff && b[12] == 0xfe
}

// eui64MAC returns the MAC a modified EUI-64 interface identifier
// (xx:xx:xx:ff:fe:xx:xx:xx) embeds, "" for other addresses.
func eui64MAC(a netip.Addr) string {
	if !a.Is6() || a.Is4In6() {
		return ""
	}
	b := a.As16()
	if b[11] != 0xff || b[12] != 0xfe {
		return ""
	}
	const hex = "0123456789abcdef"
	mac := make([]byte, 0, 17)
	for i, x := range [6]byte{b[8] ^ 0x02, b[9], b[10], b[13], b[14], b[15]} {
		if i > 0 {
			mac = append(mac, ':')
		}
		mac = append(mac, hex[x>>4], hex[x&15])
	}
	return normMAC(string(mac))
}

// ipCache remembers Inventory.ip's answers for recent addresses in a
// small direct-mapped table, so that the addresses every record names
// cost neither a map lookup nor a test against the local networks. An
// entity, once made, is the answer for good (newIP puts it in its
// address' slot); "no entity" is an answer until then, or until a
// network is learned: invalidate then starts a new generation, and the
// older negative answers no longer count.
type ipCache struct {
	gen   uint32
	slots [ipCacheSlots]ipCacheSlot
}

// ipCacheSlot is one address and its entity (nil: none, as of gen).
type ipCacheSlot struct {
	addr netip.Addr
	e    *ipEntity
	gen  uint32
}

const ipCacheBits = 10
const ipCacheSlots = 1 << ipCacheBits

// slot returns the slot a's answer is kept in.
func (c *ipCache) slot(a netip.Addr) *ipCacheSlot {
	b := a.As16()
	x := (binary.LittleEndian.Uint64(b[:8]) ^ binary.LittleEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
	return &c.slots[x>>(64-ipCacheBits)]
}

// get returns the entity kept in s for a; false when s holds no valid
// answer for it.
func (c *ipCache) get(s *ipCacheSlot, a netip.Addr) (*ipEntity, bool) {
	if s.addr != a || s.e == nil && s.gen != c.gen {
		return nil, false
	}
	return s.e, true
}

// put keeps e as a's answer in s.
func (c *ipCache) put(s *ipCacheSlot, a netip.Addr, e *ipEntity) {
	s.addr, s.e, s.gen = a, e, c.gen
}

// invalidate drops the negative answers.
func (c *ipCache) invalidate() { c.gen++ }
