package webscan

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Virtual-host enumeration (also scan.web): gobuster vhost, ffuf with a
// fuzzed Host header. The client asks one server for the same page under
// hundreds of names of one domain (Host: WORD.example.com), to find the
// sites the server holds besides the one its address shows. Each name is
// one request, so the scan of paths above, whose target is one site, never
// sees it. A vhost target is a client, a server and the parent domain of
// the names asked for (the name without its first label; "" for names of
// one label); it is a scan when, within Window, the client asks for
// MinHosts distinct names under it, few paths (at most one for every
// pathsPerHost names, or minHostPaths when that is more), and FailShare of
// the answers show the server does not know the names: a refusal (4xx but
// 401 and 407) or the answer most names get — the default site's page,
// the same status and length each time. A proxy's client browsing many
// sites of one domain asks for many paths and gets different answers;
// CONNECT requests (tunnels) are left out.
//
// The alert lists the names answered otherwise (what the scan found), as
// gobuster does, and the tool the user agent names.
//
// Cost: a record is looked at only when it names another host than the
// record before it had, between the same client and server (a scanner's
// requests follow one another), or when its client is watched already.
// A vhost target is watched from its watchAt-th distinct name met that
// way (vsuspect); until then, only those names, their paths and answers
// are noted (countSuspect counts them in).
//
// State: at most MaxTargets vhost targets and MaxTargets suspects, each
// target with two fixed-size counts of distinct items, at most maxOdd
// names answered otherwise and alert.MaxUIDs uids.

// pathsPerHost: a vhost scan asks for at most one distinct path for every
// pathsPerHost names (and minHostPaths in any case).
const (
	pathsPerHost = 10
	minHostPaths = 3
)

// maxOdd is how many names answered otherwise than the leading answer a
// vhost target keeps, for its alert's found names.
const maxOdd = 16

// vkey is a vhost target: a client, a server and the domain whose names
// it asks for.
type vkey struct {
	client, server netip.Addr
	parent         uint64 // domain.Hash of the names' parent domain
}

// answer is a reply's status code and body length: the same for every
// name the server does not know.
type answer struct {
	status status
	length int64 // response_body_len; -1 when absent
}

// answerTally finds the answer most names get (Misra–Gries with
// answerSlots counters: an answer given to more than 1/answerSlots+1 of
// the requests is among them).
type answerTally struct {
	slots [answerSlots]answer
	n     [answerSlots]uint64
}

const answerSlots = 4

// add counts a.
func (t *answerTally) add(a answer) {
	free := -1
	for i := range t.slots {
		switch {
		case t.n[i] > 0 && t.slots[i] == a:
			t.n[i]++
			return
		case t.n[i] == 0 && free < 0:
			free = i
		}
	}
	if free >= 0 {
		t.slots[free], t.n[free] = a, 1
		return
	}
	for i := range t.n {
		t.n[i]--
	}
}

// leader returns the answer counted most and its count (0 while none
// is). The count is exact only for an answer given to most requests:
// Misra–Gries undercounts the others.
func (t *answerTally) leader() (a answer, n uint64) {
	best := -1
	for i, c := range t.n {
		if c > 0 && (best < 0 || c > t.n[best]) {
			best = i
		}
	}
	if best < 0 {
		return answer{}, 0
	}
	return t.slots[best], t.n[best]
}

// oddName is a name answered otherwise than the leading answer was when
// it came.
type oddName struct {
	host string
	answer
}

// vtarget is a watched client's requests for names of one domain at one
// server in its window.
type vtarget struct {
	vkey
	alert.Episode
	first              float64
	port               uint16
	requests, answered uint64
	refused            uint64 // answers 4xx but 401 and 407
	hosts, paths       domain.Distinct
	answers            answerTally
	odd                []oddName
	parent, agent      string
	uids               alert.UIDs
}

// vsuspect is a vhost target met fewer than watchAt distinct names:
// their hashes, their paths' hashes and their answers, counted in when the
// target is watched. A name is kept as text only when it is the first or
// was answered otherwise than the first: most names get the first's
// answer, and the one that did not, or the first when all the others
// agree, may be what the scan finds.
type vsuspect struct {
	first   float64
	n       int
	hosts   [watchAt - 1]uint64
	paths   [watchAt - 1]uint64
	answers [watchAt - 1]answer // status 0: no reply
	names   [watchAt - 1]string
}

// previous is the latest http record's client, server and Host, to tell
// a change of name between the same parties.
type previous struct {
	client, server netip.Addr
	hostLen        int
	host           [prevHostBytes]byte // the Host's first bytes
}

// prevHostBytes is how much of a Host previous keeps: names that differ
// only past it (and not in length) are taken for one. A copy and a
// compare cost a record less than a hash of the name.
const prevHostBytes = 64

// hostSwitched notes r's parties and Host, and returns its client and
// whether the record before it was between the same parties under
// another name.
func (d *Detector) hostSwitched(r *rec.Rec) (client netip.Addr, switched bool) {
	var server netip.Addr
	var host []byte
	if h := r.HTTP(); h != nil {
		client, server, host = h.Orig, h.Resp, rec.Unquoted(h.Host.Raw(r.Line()))
	} else {
		client, server, host = r.Addr("id.orig_h"), r.Addr("id.resp_h"), r.Bytes("host")
	}
	p := &d.prev
	switched = p.client == client && p.server == server &&
		(p.hostLen != len(host) || !bytes.Equal(p.host[:min(p.hostLen, prevHostBytes)], host[:min(len(host), prevHostBytes)]))
	p.client, p.server, p.hostLen = client, server, len(host)
	copy(p.host[:], host)
	return client, switched
}

// parentOf returns the parent domain of a Host header's name (without its
// port and first label; "" for a name of one label) and false for an
// address, an empty name or a name with a port alone.
func parentOf(host []byte) ([]byte, bool) {
	if len(host) == 0 || host[0] == '[' {
		return nil, false // empty, or an IPv6 literal
	}
	if i := bytes.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	host = bytes.TrimSuffix(host, []byte("."))
	if len(host) == 0 || numericLastLabel(host) {
		return nil, false // a port alone, or an IPv4 address (no top-level domain is numeric)
	}
	if i := bytes.IndexByte(host, '.'); i >= 0 {
		return host[i+1:], true
	}
	return nil, true
}

// numericLastLabel reports whether name's last label is all digits.
func numericLastLabel(name []byte) bool {
	i := len(name) - 1
	for ; i >= 0 && name[i] >= '0' && name[i] <= '9'; i-- {
	}
	return i < len(name)-1 && (i < 0 || name[i] == '.')
}

// hashLower is domain.Hash of name lower-cased, without a copy.
func hashLower(name []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// vhostScan counts q, answered st, towards its vhost target: one watched,
// or one noted now that its name changed (switched).
func (d *Detector) vhostScan(r *rec.Rec, q *rec.Request, st status, switched bool, emit alert.Emit) {
	if len(d.vtargets) == 0 && !switched || isConnect(r) {
		return
	}
	parent, ok := parentOf(q.Host)
	if !ok {
		return
	}
	k := vkey{q.Client, q.Server, hashLower(parent)}
	t := d.vtargets[k]
	if t == nil {
		if !switched {
			return
		}
		if t = d.vsuspect(k, q, parent, answerOf(r, st)); t == nil {
			return
		}
	}
	d.vadd(t, r, q, st, emit)
}

// isConnect reports whether r's request is a CONNECT (a proxy tunnel,
// whose answers say nothing of the names).
func isConnect(r *rec.Rec) bool {
	var m []byte
	if h := r.HTTP(); h != nil {
		m = h.Method.Raw(r.Line())
	} else {
		m, _ = r.Raw("method")
	}
	return string(rec.Unquoted(m)) == "CONNECT"
}

// vsuspect notes q's name against vhost target k and returns the target,
// watched from now on, when this is its watchAt-th distinct name within
// Window, else nil.
func (d *Detector) vsuspect(k vkey, q *rec.Request, parent []byte, a answer) *vtarget {
	h := hashLower(q.Host)
	s, ok := d.vsuspects[k]
	if !ok || q.TS-s.first > d.cfg.Window {
		s = vsuspect{first: q.TS}
	}
	if slices.Contains(s.hosts[:s.n], h) {
		return nil
	}
	if s.n < len(s.hosts) {
		if !ok && len(d.vsuspects) >= d.cfg.MaxTargets {
			evict.DropTenth(d.vsuspects, func(s vsuspect) float64 { return s.first })
		}
		s.hosts[s.n], s.paths[s.n], s.answers[s.n] = h, domain.Hash(rec.URIPath(q.URI)), a
		if s.n == 0 || a != s.answers[0] {
			s.names[s.n] = clip(q.Host)
		}
		s.n++
		s.first = min(s.first, q.TS)
		d.vsuspects[k] = s
		return nil
	}
	delete(d.vsuspects, k)
	if len(d.vtargets) >= d.cfg.MaxTargets {
		d.vevict()
	}
	t := &vtarget{vkey: k, first: min(s.first, q.TS), Episode: alert.Episode{Last: q.TS}, port: q.Port,
		parent: clip(parent), agent: clip(q.UserAgent)}
	t.countSuspect(&s)
	d.vtargets[k] = t
	d.clients[k.client]++
	d.vdue.Watch(d.vtargets, k, t)
	return t
}

// countSuspect counts in the names t's suspect noted, in their order.
func (t *vtarget) countSuspect(s *vsuspect) {
	t.requests = uint64(s.n)
	for i := range s.n {
		t.hosts.Add(s.hosts[i])
		t.paths.Add(s.paths[i])
		var host []byte // nil: not kept
		if s.names[i] != "" {
			host = []byte(s.names[i])
		}
		t.count(host, s.answers[i])
	}
}

// count counts answer a (status 0: none) to a request for host, which is
// kept among the odd names when it was answered otherwise than most so
// far and not refused (nil: not to be kept).
func (t *vtarget) count(host []byte, a answer) {
	if a.status == 0 {
		return
	}
	t.answered++
	if a.status.refusal() {
		t.refused++
	} else if lead, n := t.answers.leader(); (n == 0 || a != lead) && host != nil && len(t.odd) < maxOdd {
		t.odd = append(t.odd, oddName{clip(host), a})
	}
	t.answers.add(a)
}

// answerOf is r's answer, answered st (status 0: none).
func answerOf(r *rec.Rec, st status) answer {
	if st == 0 {
		return answer{}
	}
	return answer{st, bodyLength(r)}
}

// vadd counts request q of record r, answered st, to t, and reports t
// when it crosses the thresholds.
func (d *Detector) vadd(t *vtarget, r *rec.Rec, q *rec.Request, st status, emit alert.Emit) {
	if !t.Alerted && q.TS-t.first > d.cfg.Window {
		*t = vtarget{vkey: t.vkey, Episode: t.Episode, first: q.TS, port: t.port, parent: t.parent, agent: t.agent}
		t.Restart(q.TS)
		d.vdue.Watch(d.vtargets, t.vkey, t)
	}
	t.first = min(t.first, q.TS)
	t.Active(q.TS)
	t.requests++
	t.hosts.Add(hashLower(q.Host))
	t.paths.Add(domain.Hash(rec.URIPath(q.URI)))
	t.uids.Add(q.TS, q.UID)
	t.count(q.Host, answerOf(r, st))
	if !t.Alerted && d.vcrossed(t) {
		t.Reported(q.TS)
		d.vdue.Watch(d.vtargets, t.vkey, t)
		emit(d.valert(t))
	}
}

// bodyLength reads r's response_body_len (-1 when absent).
func bodyLength(r *rec.Rec) int64 {
	raw, _ := r.Raw("response_body_len")
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// unknownNames returns how many of t's answers say the server does not
// know the name: the refusals, or the leading answer's count when more
// (which errs low: see leader).
func (t *vtarget) unknownNames() uint64 {
	_, n := t.answers.leader()
	return max(n, t.refused)
}

// distinctHosts returns the estimated distinct names asked for (never more
// than the requests).
func (t *vtarget) distinctHosts() int { return int(min(uint64(t.hosts.Count()), t.requests)) }

// vcrossed reports whether t's window makes a vhost scan.
func (d *Detector) vcrossed(t *vtarget) bool {
	hosts := t.distinctHosts()
	return hosts >= d.cfg.MinHosts && t.answered > 0 &&
		t.paths.Count() <= max(minHostPaths, hosts/pathsPerHost) &&
		float64(t.unknownNames()) >= d.cfg.FailShare*float64(t.answered)
}

// vevict drops the tenth of the vhost targets idle longest.
func (d *Detector) vevict() {
	for _, k := range evict.First(d.vtargets, len(d.vtargets)/10+1, func(t *vtarget) float64 { return t.Last }, cmp.Compare[float64]) {
		d.vforget(k)
		d.Evicted++
	}
}

// vforget stops watching vhost target k.
func (d *Detector) vforget(k vkey) {
	delete(d.vtargets, k)
	d.unwatchClient(k.client)
}

// found returns the names t's scan found: answered neither as most names
// are nor refused, the first maxFound.
func (t *vtarget) found() []string {
	lead, _ := t.answers.leader()
	var out []string
	for _, o := range t.odd {
		if o.answer != lead && len(out) < maxFound && !slices.Contains(out, o.host) {
			out = append(out, o.host)
		}
	}
	return out
}

// valert reports t's vhost scan.
func (d *Detector) valert(t *vtarget) alert.Alert {
	hosts := t.distinctHosts()
	unknownShare := float64(t.unknownNames()) / float64(max(t.answered, 1))
	lead, _ := t.answers.leader()
	found := t.found()
	span := t.Last - t.first
	domainText := t.parent
	if domainText == "" {
		domainText = "(names of one label)"
	}
	ev := map[string]any{
		"kind": "vhost", "requests": t.requests, "distinct_hosts": hosts, "domain": t.parent,
		"distinct_paths": min(t.paths.Count(), int(t.requests)), "unknown_share": round3(unknownShare),
		"common_answer": map[string]any{"status_code": int(lead.status), "response_body_len": lead.length},
		"refused":       t.refused, "found_hosts": found, "threshold_hosts": d.cfg.MinHosts,
		"threshold_unknown_share": d.cfg.FailShare, "window_s": d.cfg.Window, "first": t.first, "last": t.Last,
		"rate_rps": float64(int64(float64(t.requests)/max(span, 1)*10+0.5)) / 10,
	}
	a := alert.Alert{TS: t.first, TSEnd: t.Last, UIDs: t.uids.List(), Src: t.client.String(), Dst: t.server.String(), DstP: t.port,
		Proto: "tcp", Class: "scan.web", Detector: "webscan", Evidence: ev, Name: t.parent}
	tool, by := "", ""
	if t.agent != "" {
		ev["user_agent"] = t.agent
		if tool = toolOf(t.agent); tool != "" {
			ev["tool"] = tool
			by = " (" + tool + ")"
		}
	}
	a.Confidence = 0.6 + 0.3*min(float64(hosts)/float64(5*d.cfg.MinHosts), 1)
	if tool != "" {
		a.Confidence += 0.1
	}
	foundText := "found no other site"
	if len(found) > 0 {
		foundText = "found " + strings.Join(found[:min(len(found), 5)], ", ")
		if len(found) > 5 {
			foundText += " …"
		}
	}
	a.Act = fmt.Sprintf("enumerated the virtual hosts of the web server %s: %d names in %s%s, and %s", t.server, hosts, domainText, by, foundText)
	a.Summary = fmt.Sprintf("Virtual-host scan of %s by %s%s: %d requests for %d names in %s in %s, %.0f%% answered as unknown (%s); %s.",
		t.server, t.client, by, t.requests, hosts, domainText, lasting(span), 100*unknownShare, answerText(lead, t.refused), foundText)
	return a
}

// answerText describes the answer most names got.
func answerText(lead answer, refused uint64) string {
	if lead.length < 0 {
		return fmt.Sprintf("most answered %d; %d refused", int(lead.status), refused)
	}
	return fmt.Sprintf("most answered %d with %d bytes; %d refused", int(lead.status), lead.length, refused)
}
