// Package dnstunnel detects DNS tunnels (class dns.tunnel): data carried in
// the query names of one parent domain.
//
// Every query name is split into its registered domain (public-suffix
// aware) and the subdomain before it. A name is tunnel-like when its
// subdomain carries encoded data: characters a host name never has (+ / =),
// a label of 40 characters or more, or a long (≥ 20) high-entropy (≥ 3.8
// bits/char) subdomain, or a shorter (≥ 12) one mixing letters, digits and
// case. Per parent domain the detector counts queries, unique subdomains,
// their bytes, tunnel-like names and the share of TXT/NULL/CNAME/MX/ANY
// queries; a domain is a tunnel when, within Window, it has MinUnique
// unique subdomains and either TunnelShare of its names are tunnel-like, or
// their mean length is at least MinMeanLen, or RecordShare of its queries
// ask for tunnel record types. Reverse-lookup names and allowlisted domains
// are skipped.
//
// State: at most MaxDomains parent domains (the longest-idle dropped past
// it), each with at most MaxUnique distinct subdomains remembered (more are
// counted but not told apart).
package dnstunnel

import (
	"cmp"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the DNS tunnel thresholds.
type Config struct {
	Enabled     bool     `json:"enabled"`
	MinUnique   int      `json:"min_unique_subdomains"`
	TunnelShare float64  `json:"tunnel_name_share"`
	MinMeanLen  float64  `json:"min_mean_subdomain_length"`
	RecordShare float64  `json:"tunnel_record_share"`
	Window      float64  `json:"window_s"`
	Idle        float64  `json:"idle_s"`
	Report      float64  `json:"report_s"`
	Allow       []string `json:"allow_domains"`
	MaxDomains  int      `json:"max_domains"`
	MaxUnique   int      `json:"max_unique_per_domain"`
}

// DefaultConfig returns the defaults. The allowlist holds services that
// answer lookups of encoded names by design (DNS blocklists, anti-virus
// reputation lookups).
func DefaultConfig() Config {
	return Config{
		Enabled: true, MinUnique: 30, TunnelShare: 0.3, MinMeanLen: 30, RecordShare: 0.6,
		Window: 3600, Idle: 900, Report: 600, MaxDomains: 100_000, MaxUnique: 5000,
		Allow: []string{"spamhaus.org", "sophosxl.net", "mcafee.com", "senderbase.org", "surbl.org", "spamcop.net",
			"sorbs.net", "barracudacentral.org", "uribl.com", "e5.sk", "trendmicro.com", "dnswl.org"},
	}
}

// TunnelLike reports whether a subdomain looks like encoded data.
func TunnelLike(sub string) bool {
	if sub == "" {
		return false
	}
	letters, digits, upper, maxLabel, label := 0, 0, 0, 0, 0
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		switch {
		case c == '.':
			label = 0
			continue
		case c >= 'a' && c <= 'z':
			letters++
		case c >= 'A' && c <= 'Z':
			letters++
			upper++
		case c >= '0' && c <= '9':
			digits++
		case c == '-':
		case c == '_' && label == 0: // _dmarc, _tcp …
		default:
			return true // + / = and other bytes no host name has
		}
		label++
		maxLabel = max(maxLabel, label)
	}
	n := letters + digits
	if maxLabel >= 40 {
		return true
	}
	h := domain.Entropy(strings.ReplaceAll(sub, ".", ""))
	if n >= 20 && h >= 3.8 {
		return true
	}
	mixed := digits > 0 && letters > 0 && upper > 0 && upper < letters
	return n >= 12 && h >= 3.3 && mixed
}

type state struct {
	name string
	alert.Episode
	first      float64
	queries    int
	tunnelLike int
	records    int // TXT, NULL, CNAME, MX, ANY … queries
	subs       map[string]struct{}
	overflow   int // unique subdomains beyond MaxUnique (upper bound)
	subBytes   int
	clients    map[netip.Addr]int
	servers    map[netip.Addr]int
	qtypes     map[string]int
	sample     []string
	uids       alert.UIDs
}

// Detector is the DNS tunnel detector.
type Detector struct {
	cfg     Config
	allow   map[string]bool
	domains map[string]*state
	due     *alert.Schedule[string, *state] // when domains may end or be reported again
	names   *domain.Names[*name]

	// The previous record's addresses and query type, reused when the
	// next record repeats them (the same resolver, a busy client).
	orig, resp lastAddr
	qtype      lastQtype
}

// name is what Handle derives from one query name (kept per name: see
// domain.Names).
type name struct {
	skip   bool   // a reverse lookup, no subdomain or an allowed domain
	query  string // the query, unescaped
	regKey string // its registered domain, normalised
	sub    string // the subdomain before it, as written
	lsub   string // sub lower-cased
}

// New returns a DNS tunnel detector.
func New(cfg Config) *Detector {
	d := &Detector{cfg: cfg, allow: map[string]bool{}, domains: map[string]*state{},
		due: alert.NewSchedule[string, *state](cfg.Idle, cfg.Report)}
	d.names = domain.NewNames(d.derive)
	for _, a := range cfg.Allow {
		d.allow[domain.Normalize(a)] = true
	}
	return d
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "dnstunnel" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"dns"} }

var tunnelTypes = map[string]bool{"TXT": true, "NULL": true, "CNAME": true, "MX": true, "*": true, "ANY": true, "SRV": true, "KEY": true, "PRIVATE": true}

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	n, ok := d.names.Of(r)
	if !ok || n.skip {
		return
	}
	// The few connection fields wanted are read alone: r.Conn() would
	// decode every field of the record.
	ts, uid := r.TS(), r.Bytes("uid")
	orig, resp := d.orig.parse(r.Bytes("id.orig_h")), d.resp.parse(r.Bytes("id.resp_h"))
	s := d.state(n.regKey, ts)
	s.first = min(s.first, ts)
	s.Active(ts)
	s.queries++
	qtype, tunnelType := d.qtype.of(r.Bytes("qtype_name"))
	if tunnelType {
		s.records++
	}
	if len(s.qtypes) < 16 || s.qtypes[qtype] > 0 {
		s.qtypes[qtype]++
	}
	if _, seen := s.subs[n.lsub]; !seen {
		if len(s.subs) < d.cfg.MaxUnique {
			s.subs[n.lsub] = struct{}{}
		} else {
			s.overflow++
		}
		s.subBytes += len(n.sub)
		if TunnelLike(n.sub) {
			s.tunnelLike++
			if len(s.sample) < 3 {
				s.sample = append(s.sample, n.query)
			}
		}
	}
	if len(s.clients) < 256 || s.clients[orig] > 0 {
		s.clients[orig]++
	}
	if len(s.servers) < 256 || s.servers[resp] > 0 {
		s.servers[resp]++
	}
	s.uids.Add(ts, uid)
	if !s.Alerted && d.Tunnel(s) {
		s.Reported(ts)
		d.due.Watch(d.domains, s.name, s)
		emit(d.alert(s))
	}
}

// derive works out a query name's registered domain and subdomain.
func (d *Detector) derive(q string) *name {
	if q == "" || domain.Reverse(q) {
		return &name{skip: true}
	}
	reg, sub := domain.Registered(q)
	regKey := domain.Normalize(reg)
	if sub == "" || d.allowed(regKey) {
		return &name{skip: true}
	}
	return &name{query: q, regKey: regKey, sub: sub, lsub: strings.ToLower(sub)}
}

func (d *Detector) allowed(reg string) bool {
	for name := reg; name != ""; {
		if d.allow[name] {
			return true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[i+1:]
	}
	return false
}

func (d *Detector) state(reg string, ts float64) *state {
	s := d.domains[reg]
	if s != nil && (s.Alerted || ts-s.first <= d.cfg.Window) {
		return s
	}
	if s == nil && len(d.domains) >= d.cfg.MaxDomains {
		d.evict()
	}
	s = &state{name: reg, first: ts, Episode: alert.Episode{Last: ts}, subs: map[string]struct{}{}, clients: map[netip.Addr]int{},
		servers: map[netip.Addr]int{}, qtypes: map[string]int{}}
	d.domains[reg] = s
	d.due.Watch(d.domains, reg, s)
	return s
}

func (s *state) unique() int { return len(s.subs) + s.overflow }

// Tunnel reports whether a domain's counts make a tunnel.
func (d *Detector) Tunnel(s *state) bool {
	u := s.unique()
	if u < d.cfg.MinUnique {
		return false
	}
	return float64(s.tunnelLike) >= d.cfg.TunnelShare*float64(u) ||
		float64(s.subBytes) >= d.cfg.MinMeanLen*float64(u) ||
		float64(s.records) >= d.cfg.RecordShare*float64(s.queries)
}

func (d *Detector) evict() {
	for _, k := range evict.First(d.domains, len(d.domains)/10+1, func(s *state) float64 { return s.Last }, cmp.Compare[float64]) {
		delete(d.domains, k)
	}
}

// SetRefresh implements detect.Refresher: alerted episodes active since
// their last report are reported again every r seconds (of record time).
func (d *Detector) SetRefresh(r float64) { d.due.SetRefresh(r) }

// Flush implements detect.Detector.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	d.due.Flush(d.domains, now, func(s *state) { emit(d.alert(s)) }, func(k string, _ *state) { delete(d.domains, k) })
}

// Alerted returns the parent domains reported so far (for tests).
func (d *Detector) Alerted() []string {
	var out []string
	for name, s := range d.domains {
		if s.Alerted {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func top(m map[netip.Addr]int) (netip.Addr, []string) {
	keys := make([]netip.Addr, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i].Less(keys[j])
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	if len(keys) == 0 {
		return netip.Addr{}, nil
	}
	return keys[0], out
}

// withoutRelays returns m without the addresses that are also in other
// (a resolver is the client of the upstream server and the server of the
// real clients), unless that would leave nothing.
func withoutRelays(m, other map[netip.Addr]int) map[netip.Addr]int {
	out := map[netip.Addr]int{}
	for a, n := range m {
		if _, relay := other[a]; !relay {
			out[a] = n
		}
	}
	if len(out) == 0 {
		return m
	}
	return out
}

func (d *Detector) alert(s *state) alert.Alert {
	// The tunnel runs from the client that asks to the server that
	// answers for the domain; a resolver between them relays both ways.
	client, _ := top(withoutRelays(s.clients, s.servers))
	server, _ := top(withoutRelays(s.servers, s.clients))
	_, clients := top(s.clients)
	_, servers := top(s.servers)
	u := s.unique()
	mean := float64(s.subBytes) / float64(max(u, 1))
	act := fmt.Sprintf("tunnelled data through DNS names under %s (%d queries, %d unique subdomains, mean length %.0f)", s.name, s.queries, u, mean)
	return alert.Alert{
		TS: s.first, TSEnd: s.Last, UIDs: s.uids.List(), Src: client.String(), Dst: alert.AddrString(server),
		Name: s.name, Proto: "udp", DstP: 53, Class: "dns.tunnel",
		Confidence: min(1, 0.5+0.5*float64(s.tunnelLike)/float64(max(u, 1))), Act: act,
		Summary: fmt.Sprintf("%s %s between %s and %s.", client, act, alert.Clock(s.first), alert.Clock(s.Last)),
		Evidence: map[string]any{
			"domain": s.name, "queries": s.queries, "unique_subdomains": u, "tunnel_like_names": s.tunnelLike,
			"mean_subdomain_length": float64(int(mean*10)) / 10, "subdomain_bytes": s.subBytes,
			"tunnel_record_queries": s.records, "qtypes": s.qtypes, "clients": clients, "servers": servers,
			"examples": s.sample, "threshold_unique": d.cfg.MinUnique, "threshold_share": d.cfg.TunnelShare,
			"window_s": d.cfg.Window,
		},
		Detector: "dnstunnel",
	}
}

// lastAddr is the address last parsed from one field: parse skips the
// parsing when the text is the same.
type lastAddr struct {
	text [64]byte
	n    int // bytes of text in use; 0 when nothing is kept
	addr netip.Addr
}

// parse returns rec.ParseAddr(b).
func (l *lastAddr) parse(b []byte) netip.Addr {
	if l.n > 0 && string(b) == string(l.text[:l.n]) {
		return l.addr
	}
	a := rec.ParseAddr(b)
	if len(b) <= len(l.text) {
		l.n = copy(l.text[:], b)
		l.addr = a
	}
	return a
}

// lastQtype is the query type name last seen, kept as a string so that
// the next record of the same type does not allocate it again.
type lastQtype struct {
	name   string
	tunnel bool // tunnelTypes[name]
}

// of returns the type name b as a string and whether tunnels favour it.
func (l *lastQtype) of(b []byte) (string, bool) {
	if string(b) != l.name {
		l.name = string(b)
		l.tunnel = tunnelTypes[l.name]
	}
	return l.name, l.tunnel
}
