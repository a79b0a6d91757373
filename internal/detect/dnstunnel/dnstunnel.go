// Package dnstunnel detects DNS tunnels (class dns.tunnel): data carried in
// the query names of one parent domain, or of several from one client; and
// random-subdomain floods (class flood.dns): such names of one parent
// domain asked by many clients, none of them dominant, at a flood's rate.
//
// Every query name of the public DNS (domain.Public: not .local, .lan,
// .internal, home.arpa or a single label) is split into its registered
// domain (public-suffix aware) and the subdomain before it. Reverse
// lookups, DNS-SD service names (_tcp, _udp labels), lookups to the mDNS
// port (5353) and allowlisted domains are skipped. A subdomain that starts
// with an address (a reversed IPv4 address, or reversed IPv6 nibbles: DNS
// blocklists, IP-to-ASN services) is judged by the rest, and its length
// does not count toward the mean-length rule.
//
// A name is tunnel-like (Judge) when its subdomain has characters no host
// name has (+ / = …) or 20 characters in labels that read as encoded data:
// labels of eight or more whose mean log-likelihood per character under
// the DGA model's benign character model is at most -4.2, or hex of 16 or
// more; the alphabet (hex, base32, base64) is recorded.
//
// Rules, each reported under "reason" with its thresholds:
//
//   - per parent domain, within Window: MinUnique unique subdomains and
//     either TunnelShare of them tunnel-like ("tunnel_like_share"), or a
//     mean length of at least MinMeanLen over the names not address-keyed
//     (at least MinUnique of them: "mean_length"), or RecordShare of the
//     queries asking for TXT, NULL, CNAME, MX, ANY, SRV, KEY or PRIVATE
//     records ("record_share");
//   - slow, per parent domain within SlowWindow: SlowMinNames distinct
//     tunnel-like names, TunnelShare of all its names ("slow");
//   - spread, per client within Window: ClientMinNames distinct tunnel-like
//     names under ClientMinParents parent domains or more, TunnelShare of
//     all the client's names ("client_spread").
//
// A parent domain whose per-domain rule fires while its names come from
// FloodMinClients clients or more, none a quarter of its queries, is no
// tunnel: at FloodMinQueries and FloodMinRate a second it is one flood.dns
// alert, else nothing (and the slow rule leaves it alone).
//
// State: at most MaxDomains parent domains in the window (the longest-idle
// dropped past it), each with the hashes (8 bytes) of at most MaxUnique
// distinct subdomains, and at most MaxNames hashes in all (about 20 MiB at
// the default 1,000,000); past either, a domain tells new names from old
// with a 128-byte domain.Distinct and its unique count is an estimate. Per
// domain besides: up to 256 clients, 256 servers, 16 query types, three
// sample names. At most MaxDomains slow tallies (one per parent domain
// with a tunnel-like name) and MaxDomains client tallies, about 330 bytes
// each (a client's tally of one name is that name alone, 48 bytes:
// clients.go); the tallies outlive a restart (state.go: checked against
// MaxDomains on load, 300 bytes and their names each in the state), the
// windows do not. At the defaults the whole is bounded by about 20 MiB of
// hashes plus about 30 KiB a domain in the window (its client and server
// maps full) and 330 bytes a tally.
package dnstunnel

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the DNS tunnel thresholds.
type Config struct {
	Enabled          bool     `json:"enabled"`
	MinUnique        int      `json:"min_unique_subdomains"`
	TunnelShare      float64  `json:"tunnel_name_share"`
	MinMeanLen       float64  `json:"min_mean_subdomain_length"`
	RecordShare      float64  `json:"tunnel_record_share"`
	Window           float64  `json:"window_s"`
	SlowMinNames     int      `json:"slow_min_names"`
	SlowWindow       float64  `json:"slow_window_s"`
	ClientMinNames   int      `json:"client_min_names"`
	ClientMinParents int      `json:"client_min_parents"`
	Idle             float64  `json:"idle_s"`
	Report           float64  `json:"report_s"`
	Allow            []string `json:"allow_domains"`
	MaxDomains       int      `json:"max_domains"`
	MaxUnique        int      `json:"max_unique_per_domain"`
	MaxNames         int      `json:"max_names"`
	// A parent domain's names asked by FloodMinClients clients or more,
	// none of them a quarter of the queries, are no one client's tunnel:
	// at FloodMinQueries queries and FloodMinRate a second or more they
	// are a random-subdomain flood ("water torture", class flood.dns),
	// below that nothing.
	FloodMinClients int     `json:"flood_min_clients"`
	FloodMinQueries int     `json:"flood_min_queries"`
	FloodMinRate    float64 `json:"flood_min_qps"`
}

// DefaultConfig returns the defaults. The allowlist holds services that
// answer lookups of encoded names by design (DNS blocklists, anti-virus
// reputation lookups, IP-to-ASN services).
func DefaultConfig() Config {
	return Config{
		Enabled: true, MinUnique: 30, TunnelShare: 0.3, MinMeanLen: 30, RecordShare: 0.6, Window: 3600,
		SlowMinNames: 100, SlowWindow: 86400, ClientMinNames: 100, ClientMinParents: 3,
		Idle: 900, Report: 600, MaxDomains: 100_000, MaxUnique: 5000, MaxNames: 1_000_000,
		FloodMinClients: 20, FloodMinQueries: 1000, FloodMinRate: 50,
		Allow: []string{"spamhaus.org", "spamhaus.net", "sophosxl.net", "mcafee.com", "senderbase.org", "surbl.org", "spamcop.net",
			"sorbs.net", "barracudacentral.org", "uribl.com", "e5.sk", "trendmicro.com", "dnswl.org", "cymru.com"},
	}
}

type state struct {
	name string
	alert.Episode
	first      float64
	queries    int
	tunnelLike int
	records    int // TXT, NULL, CNAME, MX, ANY … queries
	subs       map[uint64]struct{}
	more       *domain.Distinct // names past subs, when full
	moreNew    int              // names more took as new
	subBytes   int              // of the names not address-keyed
	lenNames   int              // names not address-keyed
	entropy    float64          // sum over unique names
	encodings  [encodings]int   // tunnel-like names by encoding
	clients    counts[netip.Addr]
	servers    counts[netip.Addr]
	qtypes     counts[string]
	sample     []string // tunnel-like names first, then others
	sampleLike int      // how many of sample are tunnel-like
	proto      string
	port       uint16
	uids       alert.UIDs
	flood      bool // reported as a random-subdomain flood, not a tunnel
}

// Detector is the DNS tunnel detector.
type Detector struct {
	cfg     Config
	allow   map[string]bool
	domains map[string]*state
	due     *alert.Schedule[string, *state] // when domains may end or be reported again
	names   *domain.Slot[*name]
	kept    int                        // subdomain hashes kept over all domains (MaxNames)
	slow    map[string]*tally          // by parent domain
	spread  map[netip.Addr]clientTally // by client (clients.go)
	// loneClients: a client's first name cannot make the spread rule
	// alone, so it is kept as a lone name until a second comes.
	loneClients bool

	// The previous record's addresses and query type, reused when the
	// next record repeats them (the same resolver, a busy client).
	orig, resp lastAddr
	qtype      lastQtype
}

// New returns a DNS tunnel detector.
func New(cfg Config) *Detector {
	d := &Detector{cfg: cfg, allow: map[string]bool{}, domains: map[string]*state{},
		due:  alert.NewSchedule[string, *state](cfg.Idle, cfg.Report),
		slow: map[string]*tally{}, spread: map[netip.Addr]clientTally{},
		loneClients: cfg.ClientMinNames > 1 || cfg.ClientMinParents > 1}
	d.names = domain.NewSlot(domain.NewNames(), d.derive)
	for _, a := range cfg.Allow {
		d.allow[domain.Normalize(a)] = true
	}
	return d
}

// ShareNames makes d look query names up in names, which other detectors
// handed the same records share (the engine's): each name is looked up
// and checked once for all. Call it before the first record.
func (d *Detector) ShareNames(names *domain.Names) { d.names = domain.NewSlot(names, d.derive) }

// Name implements detect.Detector.
func (d *Detector) Name() string { return "dnstunnel" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"dns"} }

var tunnelTypes = map[string]bool{"TXT": true, "NULL": true, "CNAME": true, "MX": true, "*": true, "ANY": true, "SRV": true, "KEY": true, "PRIVATE": true}

// maxClients bounds the clients and the servers a domain's state counts.
const maxClients = 256

// mdnsPort is multicast DNS's port: its names are the LAN's own.
const mdnsPort = 5353

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	n, ok := d.names.Of(r)
	if !ok || n.skip {
		return
	}
	f := fieldsOf(r)
	if f.respP() == mdnsPort {
		return
	}
	// The few connection fields wanted are read alone: r.Conn() would
	// decode every field of the record.
	ts, uid := r.TS(), rec.Unquoted(f.uid)
	orig, resp := d.orig.parse(rec.Unquoted(f.orig)), d.resp.parse(rec.Unquoted(f.resp))
	s := d.state(n.regKey, ts, &f)
	s.first = min(s.first, ts)
	s.Active(ts)
	s.queries++
	qtype, tunnelType := d.qtype.of(rec.Unquoted(f.qtype))
	if tunnelType {
		s.records++
	}
	s.qtypes.add(qtype, 16)
	if d.fresh(s, n) {
		s.count(n)
	}
	s.clients.add(orig, maxClients)
	s.servers.add(resp, maxClients)
	s.uids.Add(ts, uid)
	if !s.Alerted {
		if reason := d.rule(s); reason != "" {
			if spread := d.distributed(s); !spread || d.flooded(s) {
				s.flood = spread
				s.Reported(ts)
				d.due.Watch(d.domains, s.name, s)
				emit(d.alert(s, reason))
			}
		}
	}
	d.long(ts, n, orig, resp, s, emit)
}

// distributed reports whether s's names come from FloodMinClients clients
// or more, none of them a quarter of the queries: not one client's tunnel.
func (d *Detector) distributed(s *state) bool {
	return s.clients.len() >= d.cfg.FloodMinClients && 4*s.clients.most <= s.queries
}

// flooded reports whether s's queries make a flood: FloodMinQueries and
// FloodMinRate a second over the state's span (a second at least).
func (d *Detector) flooded(s *state) bool {
	return s.queries >= d.cfg.FloodMinQueries && float64(s.queries) >= d.cfg.FloodMinRate*max(s.Last-s.first, 1)
}

// fresh reports whether n's subdomain is new to s: told exactly while s
// keeps fewer than MaxUnique and the detector fewer than MaxNames, by s's
// Distinct after.
func (d *Detector) fresh(s *state, n *name) bool {
	if _, seen := s.subs[n.hash]; seen {
		return false
	}
	if s.more == nil && len(s.subs) < d.cfg.MaxUnique && d.kept < d.cfg.MaxNames {
		s.subs[n.hash] = struct{}{}
		d.kept++
		return true
	}
	if s.more == nil {
		s.more = &domain.Distinct{}
	}
	if !s.more.Add(n.hash) {
		return false
	}
	s.moreNew++
	return true
}

// count adds a new subdomain's figures to s.
func (s *state) count(n *name) {
	if !n.keyed {
		s.subBytes += n.length
		s.lenNames++
	}
	s.entropy += n.entropy
	like := n.enc != NoData
	if like {
		s.tunnelLike++
		s.encodings[n.enc]++
	}
	switch {
	case len(s.sample) < 3:
		s.sample = append(s.sample, n.query)
		if like { // tunnel-like names go first
			s.sample[s.sampleLike], s.sample[len(s.sample)-1] = n.query, s.sample[s.sampleLike]
			s.sampleLike++
		}
	case like && s.sampleLike < 3:
		s.sample[s.sampleLike] = n.query
		s.sampleLike++
	}
}

// long counts n in the slow rule's tally of its parent domain and the
// spread rule's tally of its client; a tally starts at a tunnel-like name.
func (d *Detector) long(ts float64, n *name, client, server netip.Addr, s *state, emit alert.Emit) {
	// A rule's answer changes only with a new tunnel-like name (the share
	// of the others only falls): it is asked then. The slow rule leaves
	// alone a domain whose names many clients ask (distributed): its own
	// state judges it.
	like := n.enc != NoData
	if t := tallyOf(d.slow, n.regKey, ts, like, d.cfg.SlowWindow, d.cfg.MaxDomains); t != nil && t.add(ts, n, client, server) && d.slowRule(t) && !d.distributed(s) {
		t.alerted = true
		emit(d.tallyAlert(t, "slow", n.regKey))
	}
	if t := d.clientTally(ts, n, client, server); t != nil && d.spreadRule(t) {
		t.alerted = true
		emit(d.tallyAlert(t, "client_spread", ""))
	}
}

// slowRule reports whether a parent domain's tally, not reported yet,
// makes the slow rule.
func (d *Detector) slowRule(t *tally) bool {
	if t.alerted {
		return false
	}
	like, share := t.share()
	return like >= d.cfg.SlowMinNames && share >= d.cfg.TunnelShare
}

// spreadRule reports whether a client's tally, not reported yet, makes
// the spread rule.
func (d *Detector) spreadRule(t *tally) bool {
	if t.alerted || t.spread() < d.cfg.ClientMinParents {
		return false
	}
	like, share := t.share()
	return like >= d.cfg.ClientMinNames && share >= d.cfg.TunnelShare
}

// tallyOf returns k's tally in m, when it has one begun within window
// of ts; else, when like, a new one (the longest-idle tenth dropped past
// max); else nil. A tally past its window is thus as good as gone, and
// Flush dropping it changes nothing.
func tallyOf[K comparable](m map[K]*tally, k K, ts float64, like bool, window float64, max int) *tally {
	t := m[k]
	if t != nil && ts-t.first <= window {
		return t
	}
	if !like {
		return nil
	}
	if t == nil && len(m) >= max {
		evict.DropTenth(m, func(t *tally) float64 { return t.last })
	}
	t = &tally{first: ts}
	m[k] = t
	return t
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

// state returns reg's state, a new one when its window is over; f, the
// fields of the record that opens it, give its transport.
func (d *Detector) state(reg string, ts float64, f *fields) *state {
	s := d.domains[reg]
	if s != nil && (s.Alerted || ts-s.first <= d.cfg.Window) {
		return s
	}
	if s != nil {
		d.kept -= len(s.subs)
	} else if len(d.domains) >= d.cfg.MaxDomains {
		d.evict()
	}
	s = &state{name: reg, first: ts, Episode: alert.Episode{Last: ts}, subs: map[uint64]struct{}{},
		proto: rec.Text(f.proto), port: uint16(f.respP())}
	d.domains[reg] = s
	d.due.Watch(d.domains, reg, s)
	return s
}

// unique returns the unique subdomains: exact, or estimated once s's
// Distinct took over.
func (s *state) unique() int {
	if s.more == nil {
		return len(s.subs)
	}
	return len(s.subs) + s.more.Count()
}

// counted returns the names the shares are of: those taken as new, which
// past the exact set is a little under the estimated unique count.
func (s *state) counted() int { return len(s.subs) + s.moreNew }

// rule returns the rule a domain's counts meet, "" for none.
func (d *Detector) rule(s *state) string {
	u, c := s.unique(), float64(s.counted())
	switch {
	case u < d.cfg.MinUnique:
		return ""
	case float64(s.tunnelLike) >= d.cfg.TunnelShare*c:
		return "tunnel_like_share"
	case s.lenNames >= d.cfg.MinUnique && float64(s.subBytes) >= d.cfg.MinMeanLen*float64(s.lenNames):
		return "mean_length"
	case float64(s.records) >= d.cfg.RecordShare*float64(s.queries):
		return "record_share"
	}
	return ""
}

// Tunnel reports whether a domain's counts make a tunnel.
func (d *Detector) Tunnel(s *state) bool { return d.rule(s) != "" }

func (d *Detector) evict() {
	for _, k := range evict.First(d.domains, len(d.domains)/10+1, func(s *state) float64 { return s.Last }, cmp.Compare[float64]) {
		d.drop(k)
	}
}

// drop forgets a domain.
func (d *Detector) drop(k string) {
	d.kept -= len(d.domains[k].subs)
	delete(d.domains, k)
}

// SetRefresh implements detect.Refresher: alerted episodes active since
// their last report are reported again every r seconds (of record time).
func (d *Detector) SetRefresh(r float64) { d.due.SetRefresh(r) }

// Flush implements detect.Detector.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	d.flushDomains(now, emit)
	for k, t := range d.slow {
		if now-t.first > d.cfg.SlowWindow {
			delete(d.slow, k)
		}
	}
	for k, c := range d.spread {
		if now-c.begun() > d.cfg.Window {
			delete(d.spread, k)
		}
	}
}

// flushDomains reports the parent domains due at now and drops those
// idle or past their window.
func (d *Detector) flushDomains(now float64, emit alert.Emit) {
	d.due.Flush(d.domains, now, func(s *state) { emit(d.alert(s, d.rule(s))) }, func(k string, _ *state) { d.drop(k) })
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

// why says, for the summary, what the rule that fired found.
func (s *state) why(reason string, counted int, mean float64) string {
	switch reason {
	case "tunnel_like_share":
		return fmt.Sprintf(": %d of %d tunnel-like", s.tunnelLike, counted)
	case "mean_length":
		return fmt.Sprintf(": mean length %.0f", mean)
	case "record_share":
		return fmt.Sprintf(": %d of %d queries for tunnel record types", s.records, s.queries)
	}
	return ""
}

func (d *Detector) alert(s *state, reason string) alert.Alert {
	if s.flood {
		return d.floodAlert(s)
	}
	// The tunnel runs from the client that asks to the server that
	// answers for the domain; a resolver between them relays both ways.
	clientN, serverN := s.clients.asMap(), s.servers.asMap()
	client, _ := top(withoutRelays(clientN, serverN))
	server, _ := top(withoutRelays(serverN, clientN))
	_, clients := top(clientN)
	_, servers := top(serverN)
	u, c := s.unique(), max(s.counted(), 1)
	mean := float64(s.subBytes) / float64(max(s.lenNames, 1))
	act := fmt.Sprintf("tunnelled data through DNS names under %s (%d queries, %d unique subdomains%s)", s.name, s.queries, u, s.why(reason, c, mean))
	return alert.Alert{
		TS: s.first, TSEnd: s.Last, UIDs: s.uids.List(), Src: client.String(), Dst: alert.AddrString(server),
		Name: s.name, Proto: s.proto, DstP: s.port, Class: "dns.tunnel",
		Confidence: min(1, 0.5+0.5*float64(s.tunnelLike)/float64(c)), Act: act,
		Summary: fmt.Sprintf("%s %s between %s and %s.", client, act, alert.Clock(s.first), alert.Clock(s.Last)),
		Evidence: map[string]any{
			"reason": reason, "domain": s.name, "queries": s.queries, "unique_subdomains": u, "unique_estimated": s.more != nil,
			"tunnel_like_names": s.tunnelLike, "encodings": encodingCounts(s.encodings),
			"mean_subdomain_length": round1(mean), "subdomain_bytes": s.subBytes, "address_keyed_names": c - s.lenNames,
			"mean_entropy":          round1(s.entropy / float64(c)),
			"tunnel_record_queries": s.records, "qtypes": s.qtypes.asMap(), "clients": clients, "servers": servers,
			"examples": slices.Clone(s.sample), "threshold_unique": d.cfg.MinUnique, "threshold_share": d.cfg.TunnelShare,
			"threshold_mean_length": d.cfg.MinMeanLen, "threshold_record_share": d.cfg.RecordShare,
			"window_s": d.cfg.Window,
		},
		Detector: "dnstunnel",
	}
}

// floodAlert reports a parent domain whose names many clients ask at a
// flood's rate: a random-subdomain ("water torture") flood on the domain's
// name servers, through the resolvers it names as its destinations.
func (d *Detector) floodAlert(s *state) alert.Alert {
	clientN, serverN := s.clients.asMap(), s.servers.asMap()
	server, _ := top(withoutRelays(serverN, clientN))
	_, clients := top(clientN)
	_, servers := top(serverN)
	u := s.unique()
	span := max(s.Last-s.first, 1)
	atLeast := ""
	if s.clients.len() >= maxClients {
		atLeast = "at least "
	}
	uniqueAtLeast := "" // past MaxUnique the estimate stays near 7,000
	if s.more != nil {
		uniqueAtLeast = "at least "
	}
	counts := fmt.Sprintf("%d queries for %s%d unique subdomains from %s%d clients at %.0f a second",
		s.queries, uniqueAtLeast, u, atLeast, s.clients.len(), float64(s.queries)/span)
	act := fmt.Sprintf("flooded the name servers of %s with queries for random subdomains (water torture): %s", s.name, counts)
	return alert.Alert{
		TS: s.first, TSEnd: s.Last, UIDs: s.uids.List(), Dst: alert.AddrString(server),
		Name: s.name, Proto: s.proto, DstP: s.port, Class: "flood.dns", Confidence: 0.8, Act: act,
		Summary: fmt.Sprintf("Random-subdomain flood (water torture) on %s: %s, between %s and %s.", s.name, counts, alert.Clock(s.first), alert.Clock(s.Last)),
		Evidence: map[string]any{
			"domain": s.name, "queries": s.queries, "unique_subdomains": u, "unique_estimated": s.more != nil,
			"tunnel_like_names": s.tunnelLike, "kind": "distributed", "source_count": s.clients.len(), "sources_at_least": atLeast != "",
			"sources": clients[:min(len(clients), 10)], "servers": servers, "rate_qps": round1(float64(s.queries) / span),
			"qtypes": s.qtypes.asMap(), "examples": slices.Clone(s.sample),
			"threshold_clients": d.cfg.FloodMinClients, "threshold_queries": d.cfg.FloodMinQueries, "threshold_qps": d.cfg.FloodMinRate,
			"window_s": d.cfg.Window,
		},
		Detector: "dnstunnel",
	}
}

// tallyAlert reports a tally's rule: slow (of parent domain name) or
// client_spread.
func (d *Detector) tallyAlert(t *tally, reason, name string) alert.Alert {
	like, share := t.share()
	window, need, act := d.cfg.SlowWindow, d.cfg.SlowMinNames, ""
	if reason == "slow" {
		act = fmt.Sprintf("tunnelled data through DNS names under %s slowly (about %d tunnel-like names over %.1f h)", name, like, (t.last-t.first)/3600)
	} else {
		window, need = d.cfg.Window, d.cfg.ClientMinNames
		act = fmt.Sprintf("tunnelled data through DNS names under %d parent domains (about %d tunnel-like names)", t.spread(), like)
	}
	ev := map[string]any{
		"reason": reason, "tunnel_like_names": like, "tunnel_like_share": round1(share*100) / 100, "unique_names": t.all.Count(),
		"tunnel_like_bytes": t.bytes, "examples": slices.Clone(t.sample[:t.samples]), "threshold_names": need, "threshold_share": d.cfg.TunnelShare,
		"window_s": window, "estimated": true,
	}
	if reason == "client_spread" {
		ev["parent_domains"], ev["threshold_parents"] = t.spread(), d.cfg.ClientMinParents
	} else {
		ev["domain"] = name
	}
	return alert.Alert{
		TS: t.first, TSEnd: t.last, Src: t.client.String(), Dst: alert.AddrString(t.server), Name: name,
		Class: "dns.tunnel", Confidence: min(1, 0.5+0.5*share), Act: act,
		Summary:  fmt.Sprintf("%s %s between %s and %s.", t.client, act, alert.Clock(t.first), alert.Clock(t.last)),
		Evidence: ev, Detector: "dnstunnel",
	}
}

func encodingCounts(c [encodings]int) map[string]int {
	out := map[string]int{}
	for e, n := range c {
		if n > 0 {
			out[Encoding(e).String()] = n
		}
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

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

// fields are the raw values (as rec.Rec.Raw gives them, nil when absent)
// of the fields Handle reads besides the query and ts: found in one walk
// over the record's fields, which stops at the last of them, instead of
// a lookup by key each.
type fields struct {
	uid, orig, resp, respPort, proto, qtype []byte
}

// fieldsWanted is how many fields a fields holds.
const fieldsWanted = 6

// fieldsOf finds r's fields, the first of each key as rec.Rec.Raw does.
func fieldsOf(r *rec.Rec) fields {
	var f fields
	found := 0
	for _, fl := range r.Fields() {
		v := &f.uid
		switch string(r.Key(fl)) {
		case "uid":
		case "id.orig_h":
			v = &f.orig
		case "id.resp_h":
			v = &f.resp
		case "id.resp_p":
			v = &f.respPort
		case "proto":
			v = &f.proto
		case "qtype_name":
			v = &f.qtype
		default:
			continue
		}
		if *v != nil {
			continue // a repeated key: the first counts
		}
		*v = r.Value(fl)
		if found++; found == fieldsWanted {
			break
		}
	}
	return f
}

// respP is rec.Rec.Uint("id.resp_p").
func (f *fields) respP() uint64 {
	n, _ := rec.Unsigned(f.respPort)
	return n
}
