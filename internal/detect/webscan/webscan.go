// Package webscan reports web content discovery and vulnerability
// scanning (class scan.web) from http.log: one client asking one web site
// for many distinct paths, most of which the site does not have; and
// virtual-host enumeration (vhost.go): one client asking one server for
// one page under many names, most of which the server does not know.
//
// Wordlist scanners (dirb, gobuster, ffuf, wfuzz, feroxbuster) try the
// thousands of paths of a list; vulnerability scanners (nikto, nuclei)
// ask for the files of known flaws. Either gets mostly 404 or 403 back.
// So a target — a client, a server and the Host it names, so that a
// proxy's clients are told apart by the sites they ask for — is a scan
// when, within Window of its first request, the client asks for MinPaths
// distinct paths (query strings aside) and FailShare or more of the
// answered requests are refused: a 4xx other than 401 and 407, which ask
// for credentials (password guessing is the bruteforce detector's). A
// crawler asks for many paths too, but finds them (2xx, 3xx); a page with
// broken links asks for a few missing ones; a health check for the same
// one again and again; a server in trouble answers 5xx.
//
// The alert says what the scan found — the paths answered 2xx or 3xx, the
// first maxFound of them — and the client's user agent, naming the tool
// when the agent gives it away (knownTools).
//
// Cost: a target is watched from its first refused request on; until
// then a record costs the reading of its status code. Most clients are
// never refused, and a scanner's first requests are: the paths it tries
// before that are not counted, which only delays an alert by those.
//
// State: at most MaxTargets targets (the tenth idle longest dropped past
// it), each with a fixed-size count of distinct paths (domain.Distinct),
// at most maxFound found paths and alert.MaxUIDs uids.
package webscan

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the web scan thresholds.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinPaths distinct paths asked for within Window make a scan, when
	// FailShare of the answered requests were refused (4xx but 401, 407).
	MinPaths  int     `json:"min_paths"`
	FailShare float64 `json:"fail_share"`
	// Window is the time (s) within which MinPaths must be reached.
	Window float64 `json:"window_s"`
	// Idle ends a target's episode after this many seconds without
	// requests; Report re-emits an ongoing scan's alert this often (s).
	Idle   float64 `json:"idle_s"`
	Report float64 `json:"report_s"`
	// MaxTargets bounds the targets watched, of each kind (paths, vhosts).
	MaxTargets int `json:"max_targets"`
	// MinHosts distinct names of one domain asked of one server within
	// Window make a virtual-host scan (vhost.go), when FailShare of the
	// answers show the server does not know them.
	MinHosts int `json:"min_hosts"`
}

// DefaultConfig returns the defaults: 100 distinct paths (or names of one
// domain) within 5 minutes, at least half of the answers refusals (or, for
// names, the answer most names get).
func DefaultConfig() Config {
	return Config{Enabled: true, MinPaths: 100, FailShare: 0.5, Window: 300, Idle: 300, Report: 600, MaxTargets: 50_000, MinHosts: 100}
}

// maxFound is how many found paths an alert lists.
const maxFound = 10

// maxText bounds a path, host or user agent kept for the alert.
const maxText = 200

// key is a target: a client, a server and the site (Host) asked for.
type key struct {
	client, server netip.Addr
	host           uint64 // domain.Hash of the Host header
}

// target is a watched client's requests to one site in its window.
type target struct {
	key
	alert.Episode
	first    float64
	port     uint16
	requests uint64 // since watched
	answered uint64
	status   statusCounts
	paths    domain.Distinct
	found    []string // paths answered 2xx or 3xx, the first maxFound
	host     string
	agent    string
	uids     alert.UIDs
}

// statusCounts counts the answers by kind.
type statusCounts struct {
	ok, redirect, auth, forbidden, missing, otherRefused, serverError, none uint64
}

// refused returns the requests refused: 4xx but 401 and 407.
func (s *statusCounts) refused() uint64 { return s.forbidden + s.missing + s.otherRefused }

// Detector is the web scan detector.
type Detector struct {
	cfg      Config
	suspects map[key]suspect // targets refused, not yet watched
	targets  map[key]*target
	clients  map[netip.Addr]int // watched targets and vhost targets by client
	due      *alert.Schedule[key, *target]
	last     *target // the latest request's target: a connection's requests come in a row
	// The virtual-host scans (vhost.go).
	vsuspects map[vkey]vsuspect
	vtargets  map[vkey]*vtarget
	vdue      *alert.Schedule[vkey, *vtarget]
	prev      previous
	// Evicted counts targets dropped to stay under MaxTargets.
	Evicted int
}

// New returns a web scan detector.
func New(cfg Config) *Detector {
	return &Detector{cfg: cfg, suspects: map[key]suspect{}, targets: map[key]*target{}, clients: map[netip.Addr]int{},
		due: alert.NewSchedule[key, *target](cfg.Idle, cfg.Report), vsuspects: map[vkey]vsuspect{}, vtargets: map[vkey]*vtarget{},
		vdue: alert.NewSchedule[vkey, *vtarget](cfg.Idle, cfg.Report)}
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "webscan" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"http"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	st := statusOf(r)
	client, switched := d.hostSwitched(r)
	if !st.refusal() && !switched && (len(d.clients) == 0 || d.clients[client] == 0) {
		return // no target of its client watched, none to start watching: most records
	}
	q := r.HTTPRequest()
	if !q.Client.IsValid() || !q.Server.IsValid() {
		return
	}
	d.pathScan(&q, st, emit)
	d.vhostScan(r, &q, st, switched, emit)
}

// pathScan counts q, answered st, towards its target: one watched, or
// one whose refusals are noted.
func (d *Detector) pathScan(q *rec.Request, st status, emit alert.Emit) {
	t := d.find(q)
	if t == nil {
		if !st.refusal() {
			return
		}
		if t = d.suspect(q, st); t == nil {
			return
		}
	}
	d.add(t, q, st, emit)
}

// watchAt is the refusal from which a target is watched: before, its
// refusals are only noted (suspect).
const watchAt = 8

// suspect is a target refused fewer than watchAt times within Window:
// its refusals by kind and their paths.
type suspect struct {
	first                     float64
	n                         int
	forbidden, missing, other uint64
	paths                     [watchAt - 1]uint64 // domain.Hash of each refused path
}

// suspect notes q, refused st, against its target, and returns the target
// watched from now on when this is its watchAt-th refusal within Window
// (its earlier refusals counted in), else nil.
func (d *Detector) suspect(q *rec.Request, st status) *target {
	k := key{q.Client, q.Server, domain.Hash(q.Host)}
	s, ok := d.suspects[k]
	if !ok || q.TS-s.first > d.cfg.Window {
		s = suspect{first: q.TS}
	}
	if s.n < len(s.paths) {
		if !ok && len(d.suspects) >= d.cfg.MaxTargets {
			d.evictSuspects()
		}
		s.paths[s.n] = domain.Hash(rec.URIPath(q.URI))
		s.n++
		switch st.kind() {
		case kindForbidden:
			s.forbidden++
		case kindMissing:
			s.missing++
		default:
			s.other++
		}
		s.first = min(s.first, q.TS)
		d.suspects[k] = s
		return nil
	}
	delete(d.suspects, k)
	t := d.watch(q)
	t.first = min(s.first, q.TS)
	t.requests, t.answered = uint64(s.n), uint64(s.n)
	t.status.forbidden, t.status.missing, t.status.otherRefused = s.forbidden, s.missing, s.other
	for _, h := range s.paths {
		t.paths.Add(h)
	}
	return t
}

// evictSuspects drops the tenth of the suspects noted first.
func (d *Detector) evictSuspects() {
	evict.DropTenth(d.suspects, func(s suspect) float64 { return s.first })
}

// status is an answer's status code (0: no answer).
type status int

// refusal reports a 4xx other than 401 and 407.
func (s status) refusal() bool {
	k := s.kind()
	return k == kindForbidden || k == kindMissing || k == kindOtherRefused
}

// statusOf reads r's status_code (0 when absent or not a number).
func statusOf(r *rec.Rec) status {
	var raw []byte
	if h := r.HTTP(); h != nil {
		raw = h.StatusCode.Raw(r.Line())
	} else {
		raw, _ = r.Raw("status_code")
	}
	if len(raw) != 3 {
		return 0
	}
	n := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0
		}
		n = 10*n + int(c-'0')
	}
	return status(n)
}

// find returns q's target when it is watched, else nil.
func (d *Detector) find(q *rec.Request) *target {
	k := key{q.Client, q.Server, domain.Hash(q.Host)}
	if t := d.last; t != nil && t.key == k {
		return t
	}
	t := d.targets[k]
	if t != nil {
		d.last = t
	}
	return t
}

// watch starts watching q's target.
func (d *Detector) watch(q *rec.Request) *target {
	if len(d.targets) >= d.cfg.MaxTargets {
		d.evict()
	}
	t := &target{key: key{q.Client, q.Server, domain.Hash(q.Host)}, first: q.TS, Episode: alert.Episode{Last: q.TS}, port: q.Port}
	t.host = clip(q.Host)
	t.agent = clip(q.UserAgent)
	d.targets[t.key] = t
	d.clients[t.client]++
	d.due.Watch(d.targets, t.key, t)
	d.last = t
	return t
}

// add counts request q, answered st, to t, and reports t when it crosses
// the thresholds.
func (d *Detector) add(t *target, q *rec.Request, st status, emit alert.Emit) {
	if !t.Alerted && q.TS-t.first > d.cfg.Window {
		// The window passed without a scan: the next begins with q.
		*t = target{key: t.key, Episode: t.Episode, first: q.TS, port: t.port, host: t.host, agent: t.agent}
		t.Restart(q.TS)
		d.due.Watch(d.targets, t.key, t)
	}
	t.first = min(t.first, q.TS)
	t.Active(q.TS)
	t.requests++
	p := rec.URIPath(q.URI)
	t.paths.Add(domain.Hash(p))
	t.count(st, p)
	t.uids.Add(q.TS, q.UID)
	if !t.Alerted && d.crossed(t) {
		t.Reported(q.TS)
		d.due.Watch(d.targets, t.key, t)
		emit(d.alert(t))
	}
}

// The kinds of answer a target counts.
const (
	kindNone = iota
	kindOK
	kindRedirect
	kindAuth
	kindForbidden
	kindMissing
	kindOtherRefused
	kindServerError
)

// kind returns the kind of answer s is.
func (s status) kind() int {
	switch {
	case s == 0:
		return kindNone
	case s < 300:
		return kindOK
	case s < 400:
		return kindRedirect
	case s == 401 || s == 407:
		return kindAuth
	case s == 403:
		return kindForbidden
	case s == 404 || s == 410:
		return kindMissing
	case s < 500:
		return kindOtherRefused
	}
	return kindServerError
}

// count counts an answer st to a request for path p.
func (t *target) count(st status, p []byte) {
	c := &t.status
	switch st.kind() {
	case kindNone:
		c.none++
		return
	case kindOK:
		c.ok++
	case kindRedirect:
		c.redirect++
	case kindAuth:
		c.auth++
	case kindForbidden:
		c.forbidden++
	case kindMissing:
		c.missing++
	case kindOtherRefused:
		c.otherRefused++
	default:
		c.serverError++
	}
	t.answered++
	if (st.kind() == kindOK || st.kind() == kindRedirect) && len(t.found) < maxFound && !slices.Contains(t.found, string(p)) {
		t.found = append(t.found, clip(p))
	}
}

// distinctPaths returns the estimated distinct paths asked for (never
// more than the requests: the estimate runs high once thousands fill its
// map).
func (t *target) distinctPaths() int { return int(min(uint64(t.paths.Count()), t.requests)) }

// crossed reports whether t's window makes a scan.
func (d *Detector) crossed(t *target) bool {
	return t.distinctPaths() >= d.cfg.MinPaths && t.answered > 0 &&
		float64(t.status.refused()) >= d.cfg.FailShare*float64(t.answered)
}

// evict drops the tenth of the targets idle longest.
func (d *Detector) evict() {
	for _, k := range evict.First(d.targets, len(d.targets)/10+1, func(t *target) float64 { return t.Last }, cmp.Compare[float64]) {
		d.forget(k)
		d.Evicted++
	}
}

// forget stops watching target k.
func (d *Detector) forget(k key) {
	if d.last != nil && d.last.key == k {
		d.last = nil
	}
	delete(d.targets, k)
	d.unwatchClient(k.client)
}

// unwatchClient counts one watched target of client's less.
func (d *Detector) unwatchClient(client netip.Addr) {
	if d.clients[client]--; d.clients[client] <= 0 {
		delete(d.clients, client)
	}
}

// SetRefresh implements detect.Refresher.
func (d *Detector) SetRefresh(r float64) {
	d.due.SetRefresh(r)
	d.vdue.SetRefresh(r)
}

// Flush implements detect.Detector: idle targets end (reported a last
// time when they scanned), ongoing scans are re-reported every Report
// seconds.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	d.due.Flush(d.targets, now, func(t *target) { emit(d.alert(t)) }, func(k key, t *target) {
		d.forget(k)
	})
	d.vdue.Flush(d.vtargets, now, func(t *vtarget) { emit(d.valert(t)) }, func(k vkey, _ *vtarget) {
		d.vforget(k)
	})
	for k, s := range d.suspects {
		if now-s.first > d.cfg.Window {
			delete(d.suspects, k)
		}
	}
	for k, s := range d.vsuspects {
		if now-s.first > d.cfg.Window {
			delete(d.vsuspects, k)
		}
	}
}

// clip returns b as a string of at most maxText bytes.
func clip(b []byte) string { return string(b[:min(len(b), maxText)]) }

// knownTools are user-agent words of web scanners, lower-cased, and the
// tools' names.
var knownTools = []struct{ word, tool string }{
	{"nikto", "Nikto"}, {"gobuster", "gobuster"}, {"dirbuster", "DirBuster"}, {"feroxbuster", "feroxbuster"},
	{"fuzz faster u fool", "ffuf"}, {"wfuzz", "wfuzz"}, {"nuclei", "Nuclei"}, {"sqlmap", "sqlmap"},
	{"wpscan", "WPScan"}, {"nmap scripting engine", "Nmap NSE"}, {"zgrab", "ZGrab"}, {"masscan", "masscan"},
	{"openvas", "OpenVAS"}, {"nessus", "Nessus"}, {"acunetix", "Acunetix"}, {"netsparker", "Netsparker"},
	{"qualys", "Qualys"}, {"skipfish", "skipfish"}, {"w3af", "w3af"}, {"arachni", "Arachni"}, {"whatweb", "WhatWeb"},
}

// toolOf returns the scanner a user agent names, "" for none.
func toolOf(agent string) string {
	lower := strings.ToLower(agent)
	for _, k := range knownTools {
		if strings.Contains(lower, k.word) {
			return k.tool
		}
	}
	return ""
}

// alert reports t's scan.
func (d *Detector) alert(t *target) alert.Alert {
	s := &t.status
	paths := t.distinctPaths()
	refusedShare := float64(s.refused()) / float64(max(t.answered, 1))
	span := t.Last - t.first
	ev := map[string]any{
		"kind": "paths", "requests": t.requests, "distinct_paths": paths, "refused_share": round3(refusedShare),
		"status": map[string]uint64{"2xx": s.ok, "3xx": s.redirect, "401_407": s.auth, "403": s.forbidden, "404_410": s.missing,
			"4xx_other": s.otherRefused, "5xx": s.serverError, "no_reply": s.none},
		"found_paths": slices.Clone(t.found), "rate_rps": math.Round(float64(t.requests)/max(span, 1)*10) / 10,
		"threshold_paths": d.cfg.MinPaths, "threshold_refused_share": d.cfg.FailShare, "window_s": d.cfg.Window,
		"first": t.first, "last": t.Last,
	}
	a := alert.Alert{TS: t.first, TSEnd: t.Last, UIDs: t.uids.List(), Src: t.client.String(), Dst: t.server.String(), DstP: t.port,
		Proto: "tcp", Class: "scan.web", Detector: "webscan", Evidence: ev}
	site := t.server.String()
	if t.host != "" {
		ev["host"], a.Name = t.host, t.host
		if h, err := netip.ParseAddr(strings.Trim(t.host, "[]")); err != nil || h != t.server {
			site = fmt.Sprintf("%s (%s)", t.host, t.server)
		}
	}
	tool := ""
	if t.agent != "" {
		ev["user_agent"] = t.agent
		if tool = toolOf(t.agent); tool != "" {
			ev["tool"] = tool
		}
	}
	a.Confidence = 0.6 + 0.3*min(float64(paths)/float64(5*d.cfg.MinPaths), 1)
	by := ""
	if tool != "" {
		a.Confidence += 0.1
		by = " (" + tool + ")"
	}
	foundText := "found nothing"
	if len(t.found) > 0 {
		foundText = "found " + strings.Join(t.found[:min(len(t.found), 5)], ", ")
		if len(t.found) > 5 {
			foundText += " …"
		}
	}
	a.Act = fmt.Sprintf("scanned the web site %s for %d paths%s and %s", site, paths, by, foundText)
	a.Summary = fmt.Sprintf("Web scan of %s by %s%s: %d requests for %d distinct paths in %s, %.0f%% refused (%d not found, %d forbidden); %s.",
		site, t.client, by, t.requests, paths, lasting(span), 100*refusedShare, s.missing, s.forbidden, foundText)
	return a
}

// lasting formats a span of seconds for a summary: "0.5 s", "2m13s".
func lasting(span float64) string {
	if span < 60 {
		return fmt.Sprintf("%.1f s", span)
	}
	return time.Duration(span * float64(time.Second)).Round(time.Second).String()
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
