package assets

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Packet facts: the lines the packet reader emits for consumers only
// ("_syn", "_arp", "_nd"; see internal/analyze/facts.go).

type synRec struct {
	ts            float64
	src, dst      netip.Addr
	srcP, dstP    uint16
	srcMAC        string
	ttl, win, mss int
	wscale        int // -1 when absent
	df, ack       bool
	opts          string
}

// decodeSYN reads a "_syn" fact's fields (f: the fact's line).
func (inv *Inventory) decodeSYN(f *rec.Rec, r *synRec) {
	*r = synRec{wscale: -1}
	for _, fl := range f.Fields() {
		k, v := f.Key(fl), value{f.Value(fl)}
		switch string(k) {
		case "ts":
			r.ts = v.float()
		case "src":
			r.src = inv.addr(v)
		case "dst":
			r.dst = inv.addr(v)
		case "src_p":
			r.srcP = uint16(v.uint())
		case "dst_p":
			r.dstP = uint16(v.uint())
		case "src_mac":
			r.srcMAC = inv.intern(v)
		case "ttl":
			r.ttl = int(v.uint())
		case "win":
			r.win = int(v.uint())
		case "mss":
			r.mss = int(v.uint())
		case "wscale":
			r.wscale = int(v.uint())
		case "df":
			r.df = v.bool()
		case "ack":
			r.ack = v.bool()
		case "opts":
			r.opts = inv.intern(v)
		}
	}
}

// typedSYN reads the fields the packet reader handed with its fact
// (rec.SYN) as decodeSYN reads them from the line (line: the fact's).
func (inv *Inventory) typedSYN(y *rec.SYN, line []byte, r *synRec) {
	*r = synRec{ts: y.TS, src: y.Src, dst: y.Dst, srcP: y.SrcP, dstP: y.DstP,
		ttl: int(y.TTL), win: int(y.Win), mss: int(y.MSS), wscale: y.WScale, df: y.DF, ack: y.Ack}
	if mac := y.SrcMAC.Raw(line); mac != nil {
		r.srcMAC = inv.intern(value{mac})
	}
	r.opts = inv.intern(value{y.Opts.Raw(line)})
}

// onSYN: the sender's TCP stack fingerprint. Most SYNs come from remote
// hosts: the sender is looked up first, and the other fields are read
// only for a local one (or one with an EUI-64 interface identifier,
// which its MAC may show to be local). The packet reader hands the
// fields with the line (rec.SYN); a line without them (a log read back)
// is indexed.
func (inv *Inventory) onSYN(line []byte) error {
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	y := f.SYN()
	var src netip.Addr
	if y != nil {
		src = y.Src
	} else {
		src = inv.addr(lastValue(f, "src"))
	}
	e := inv.ip(src)
	if e == nil && !hasEUI64(src) {
		return nil
	}
	var r synRec
	if y != nil {
		inv.typedSYN(y, line, &r)
	} else {
		inv.decodeSYN(f, &r)
	}
	if e == nil && eui64Match(r.src, r.srcMAC) {
		e = inv.ipForce(r.src)
	}
	if e == nil {
		return nil
	}
	e.seen = true
	e.touch(r.ts)
	inv.bindWeak(e, r.srcMAC)
	inv.fingerprintSYN(e, &r)
	return nil
}

// fingerprintSYN votes for the best TCP rule, or for a TTL rule when no
// TCP rule fits.
func (inv *Inventory) fingerprintSYN(e *ipEntity, r *synRec) {
	v := inv.synVerdict(r)
	key := "tcp.syn"
	if r.ack {
		key = "tcp.synack"
	}
	o := obs{log: "_syn", ts: r.ts, proto: "tcp", key: key, value: r.opts, field: "opts",
		id: connID{origH: r.src, origP: r.srcP, respH: r.dst, respP: r.dstP}}
	o.with("ttl", v.ttl).with("win", v.win).with("mss", v.mss).
		with("wscale", v.wscale).with("df", strconv.FormatBool(r.df))
	if rule := v.rule; rule != nil {
		id := rule.ID
		if v.conf < rule.Confidence {
			id += "~" // options and TTL fit, the window does not
		}
		inv.vote(&e.entity, id, v.conf, &o, rule.OS, rule.Class, rule.Device)
		return
	}
	init := initialTTL(r.ttl)
	o.key, o.value, o.field = "tcp.ttl", v.init, "ttl"
	for _, t := range inv.rules.ttl {
		if t.TTL == init {
			inv.vote(&e.entity, t.ID, t.Confidence, &o, t.OS, t.Class, "")
		}
	}
}

// synPrint is what a SYN's vote depends on, but for its connection and
// time: the fields the TCP rules read and its evidence shows.
type synPrint struct {
	opts                  string
	ttl, win, mss, wscale int
	df, ack, v4           bool
}

// synVerdict is the TCP rule that fits a fingerprint best (nil when
// none does) with its confidence, and the texts of the fingerprint's
// numbers that the evidence shows (init: the initial TTL's).
type synVerdict struct {
	print                       synPrint
	rule                        *TCPRule
	conf                        float64
	ttl, win, mss, wscale, init string
	valid                       bool
}

// synVerdicts keeps synVerdict's answers in a direct-mapped table: a
// host's SYNs mostly repeat the same fingerprint, which then costs
// neither a pass over the rules nor the texts of its numbers.
type synVerdicts [synSlots]synVerdict

const synBits = 6
const synSlots = 1 << synBits

// synVerdict returns the verdict on r's fingerprint, from the table when
// its slot holds it.
func (inv *Inventory) synVerdict(r *synRec) *synVerdict {
	p := synPrint{opts: r.opts, ttl: r.ttl, win: r.win, mss: r.mss, wscale: r.wscale,
		df: r.df, ack: r.ack, v4: r.src.Is4()}
	s := &inv.verdicts[p.hash()]
	if s.valid && s.print == p {
		return s
	}
	side := "syn"
	if r.ack {
		side = "synack"
	}
	init := initialTTL(r.ttl)
	rule, conf := inv.rules.bestTCP(r, side, init)
	*s = synVerdict{print: p, rule: rule, conf: conf, valid: true,
		ttl: strconv.Itoa(r.ttl), win: strconv.Itoa(r.win), mss: strconv.Itoa(r.mss),
		wscale: strconv.Itoa(r.wscale), init: strconv.Itoa(init)}
	return s
}

// hash picks a fingerprint's slot from its numbers and flags.
func (p *synPrint) hash() uint {
	x := uint64(p.ttl) ^ uint64(p.win)<<8 ^ uint64(p.mss)<<24 ^ uint64(p.wscale)<<40 ^ uint64(len(p.opts))<<48
	if p.df {
		x ^= 1 << 56
	}
	if p.ack {
		x ^= 1 << 57
	}
	if p.v4 {
		x ^= 1 << 58
	}
	x *= 0x9e3779b97f4a7c15
	return uint(x >> (64 - synBits))
}

// vote adds a rule's OS, class and device votes to e.
func (inv *Inventory) vote(e *entity, rule string, conf float64, o *obs, os, class, device string) {
	for _, g := range [...]struct {
		kind  voteKind
		value string
	}{{voteOS, os}, {voteClass, class}, {voteDevice, device}} {
		e.castVote(g.kind, g.value, rule, conf, o)
	}
}

// initialTTL rounds an observed TTL up to the initial value it most
// likely started from.
func initialTTL(ttl int) int {
	for _, t := range [...]int{32, 64, 128} {
		if ttl <= t {
			return t
		}
	}
	return 255
}

// bestTCP returns the rule that fits the SYN best and its confidence: a
// rule's own when everything fits, half of it when the option layout and
// the TTL fit but the window, scale or DF bit do not.
func (rs *Rules) bestTCP(r *synRec, side string, init int) (*TCPRule, float64) {
	var best *TCPRule
	bestConf := 0.0
	for i := range rs.tcp {
		t := &rs.tcp[i]
		if (t.Side != "" && t.Side != side) || t.TTL != init || (t.Opts != "*" && !sameLayout(t.Opts, r.opts)) {
			continue
		}
		conf := t.Confidence
		if !t.fits(r) {
			conf /= 2
		}
		if conf > bestConf {
			best, bestConf = t, conf
		}
	}
	return best, bestConf
}

// sameLayout compares option layouts, case-insensitively and with any run
// of trailing end-of-list options as one (what follows the first is
// padding).
func sameLayout(a, b string) bool {
	return strings.EqualFold(trimEOL(a), trimEOL(b))
}

func trimEOL(s string) string {
	for strings.HasSuffix(s, ",E,E") {
		s = s[:len(s)-2]
	}
	return s
}

// fits checks the window, window scale and DF bit.
func (t *TCPRule) fits(r *synRec) bool {
	if len(t.WScale) > 0 && !containsInt(t.WScale, r.wscale) {
		return false
	}
	if t.DF != nil && r.src.Is4() && *t.DF != r.df {
		return false
	}
	if len(t.Win) == 0 && len(t.WinMSS) == 0 {
		return true
	}
	if containsInt(t.Win, r.win) {
		return true
	}
	for _, m := range t.WinMSS {
		if r.mss > 0 && r.win == m*r.mss {
			return true
		}
	}
	return false
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

type arpRec struct {
	ts             float64
	op             string
	srcMAC, dstMAC string
	srcIP, dstIP   netip.Addr
}

func (inv *Inventory) decodeARP(line []byte, r *arpRec) error {
	*r = arpRec{}
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	for _, fl := range f.Fields() {
		k, v := f.Key(fl), value{f.Value(fl)}
		switch string(k) {
		case "ts":
			r.ts = v.float()
		case "op":
			r.op = string(v.raw())
		case "src_mac":
			r.srcMAC = inv.intern(v)
		case "dst_mac":
			r.dstMAC = inv.intern(v)
		case "src_ip":
			r.srcIP = inv.addr(v)
		case "dst_ip":
			r.dstIP = inv.addr(v)
		}
	}
	return nil
}

// onARP binds the sender's address to its MAC (probes, whose sender
// address is 0.0.0.0, bind nothing).
func (inv *Inventory) onARP(line []byte) error {
	var r arpRec
	if err := inv.decodeARP(line, &r); err != nil {
		return err
	}
	if !hostAddr(r.srcIP) {
		return nil
	}
	ip, m := inv.bindStrong(r.srcIP, r.srcMAC, "arp", r.ts)
	markSeen(ip, m, r.ts)
	return nil
}

func markSeen(ip *ipEntity, m *macEntity, ts float64) {
	if ip != nil {
		ip.seen = true
		ip.touch(ts)
	}
	if m != nil {
		m.seen = true
		m.touch(ts)
	}
}

type ndRec struct {
	ts             float64
	typ, flags     string
	src, target    netip.Addr
	srcMAC, llAddr string
	lifetime       uint64
	prefixes       []netip.Prefix
}

func (inv *Inventory) decodeND(line []byte, r *ndRec) error {
	*r = ndRec{}
	f, err := inv.fields(line)
	if err != nil {
		return err
	}
	for _, fl := range f.Fields() {
		k, v := f.Key(fl), value{f.Value(fl)}
		switch string(k) {
		case "ts":
			r.ts = v.float()
		case "type":
			r.typ = inv.intern(v)
		case "flags":
			r.flags = inv.intern(v)
		case "src":
			r.src = inv.addr(v)
		case "target":
			r.target = inv.addr(v)
		case "src_mac":
			r.srcMAC = inv.intern(v)
		case "ll_addr":
			r.llAddr = inv.intern(v)
		case "router_lifetime":
			r.lifetime = v.uint()
		case "prefixes":
			r.prefixes = decodePrefixes(v)
		}
	}
	return nil
}

// decodePrefixes reads [{"prefix":"2001:db8::/64","flags":"LA",…}]: the
// on-link or autonomous prefixes.
func decodePrefixes(v value) []netip.Prefix {
	var out []netip.Prefix
	v.each(func(e value) {
		var p netip.Prefix
		var flags string
		_ = scanObject(e.raw(), func(k []byte, f value) {
			switch string(k) {
			case "prefix":
				p, _ = netip.ParsePrefix(f.str())
			case "flags":
				flags = f.str()
			}
		})
		if p.IsValid() && strings.ContainsAny(flags, "LA") && len(out) < 16 {
			out = append(out, p)
		}
	})
	return out
}

// onND binds IPv6 addresses to MACs and notes routers and their prefixes.
func (inv *Inventory) onND(line []byte) error {
	var r ndRec
	if err := inv.decodeND(line, &r); err != nil {
		return err
	}
	mac := r.llAddr
	if mac == "" {
		mac = r.srcMAC
	}
	switch r.typ {
	case "rs", "ra":
		inv.ndBind(r.src, mac, r.ts)
	case "ns":
		if !r.src.IsValid() || r.src.IsUnspecified() { // duplicate address detection
			inv.ndBind(r.target, r.srcMAC, r.ts)
		} else {
			inv.ndBind(r.src, mac, r.ts)
		}
	case "na":
		inv.ndBind(r.target, mac, r.ts)
	}
	if r.typ == "ra" {
		inv.routerAdvert(&r)
	}
	if r.typ == "na" && strings.Contains(r.flags, "R") {
		if e := inv.ips[r.target]; e != nil {
			o := r.obs()
			inv.observeOn(e, &o, "nd.router", "na", "flags")
		}
	}
	return nil
}

func (inv *Inventory) ndBind(a netip.Addr, mac string, ts float64) {
	if !hostAddr(a) {
		return
	}
	ip, m := inv.bindStrong(a, mac, "nd", ts)
	markSeen(ip, m, ts)
}

func (r *ndRec) obs() obs {
	o := obs{log: "_nd", ts: r.ts, proto: "icmp6"}
	o.with("type", r.typ).with("src", r.src.String()).with("src_mac", r.srcMAC)
	return o
}

// routerAdvert learns the advertised prefixes and observes the router.
func (inv *Inventory) routerAdvert(r *ndRec) {
	for _, p := range r.prefixes {
		inv.learnPrefix(p)
	}
	e := inv.ips[r.src]
	if e == nil {
		return
	}
	value := "ra"
	if r.lifetime == 0 {
		value = "ra-not-default"
	}
	o := r.obs()
	o.with("router_lifetime", strconv.FormatUint(r.lifetime, 10))
	inv.observeOn(e, &o, "nd.router", value, "type")
}
