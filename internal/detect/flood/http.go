package flood

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// HTTP floods (class flood.http), from http.log: requests at one web
// server (the responder's address) within Window. Volume alone does not
// tell a flood from a busy server, so a flood must also show one of two
// shapes:
//   - repeat: the clients ask for the same path again and again (the most
//     requested path, query strings aside, takes FocusShare of the
//     requests) and each asks often (MinPerClient requests on average): a
//     GET flood, bots re-requesting one page with cache-busting queries;
//   - overload: DistressShare of the requests go unanswered or are
//     answered 5xx or 429: whatever the requests, the server is failing.
//
// A flash crowd (thousands of readers of one page, each asking once or
// twice) is neither, as long as the server copes. A server the detector
// has seen through a whole window before must also see Surge times the
// request rate of those windows, so a server that is always this busy
// stays quiet after its first window.
//
// A slow HTTP DoS (slowloris) is the same class from conn.log: clients
// hold a web server's connections open by sending a request a few bytes
// at a time and never ending it, until the server has none left. Its
// connections carried HTTP, completed the handshake, lasted
// SlowMinDuration seconds or more at SlowMaxRate bytes a second or less
// from the client, and got not one byte back; SlowMinConns of them
// started within Window are one alert. Long polls and event streams get
// their response headers at least, a hung server's clients are few.

// HTTPThresholds holds the HTTP flood's thresholds.
type HTTPThresholds struct {
	MinRequests   uint64  `json:"min_requests"`
	MinRate       float64 `json:"min_rate_rps"`
	FocusShare    float64 `json:"focus_share"`
	MinPerClient  float64 `json:"min_requests_per_client"`
	DistressShare float64 `json:"distress_share"`
	Surge         float64 `json:"surge"`
	// The slow HTTP DoS (slowloris): connections held open.
	SlowMinConns    uint64  `json:"slow_min_connections"`
	SlowMinDuration float64 `json:"slow_min_duration_s"`
	SlowMaxRate     float64 `json:"slow_max_rate_bps"`
}

// defaultHTTP is the HTTP flood's default thresholds: 3000 requests at
// 100 a second or more.
func defaultHTTP() HTTPThresholds {
	return HTTPThresholds{MinRequests: 3000, MinRate: 100, FocusShare: 0.5, MinPerClient: 10, DistressShare: 0.5, Surge: 5,
		SlowMinConns: 100, SlowMinDuration: 10, SlowMaxRate: 100}
}

// httpTally is an HTTP victim's own counts. victim.pkts counts its
// requests; victim.conns those tallied (tallyFrom), and victim.sources
// and victim.ports their clients and ports.
type httpTally struct {
	distress uint64   // requests unanswered, or answered 5xx or 429
	paths    topPaths // the most requested paths
	host     string   // the Host header of the first request with one
	// base is the server's request rate in its windows that ended
	// without a flood (an average weighing the latest most; 0: none).
	base float64
	// held is a slow HTTP DoS's connections' total duration (s).
	held float64
}

// pathSlots is how many paths topPaths counts at a time.
const pathSlots = 8

// keepPathAt is the count at which a path's text is kept for the alert:
// one of a flood's random paths is not.
const keepPathAt = 8

// maxPathText bounds a kept path's length.
const maxPathText = 200

// topPaths is a Misra–Gries summary of the requested paths in pathSlots
// counters: a path asked for in more than 1/(pathSlots+1) of the requests
// is sure to hold one, its count short by at most that share. Paths are
// held by hash (domain.Hash); their text once they are asked for often.
type topPaths struct {
	hash [pathSlots]uint64
	n    [pathSlots]uint64
	text [pathSlots]string
}

// add counts one request for path.
func (t *topPaths) add(path []byte) {
	h := domain.Hash(path)
	free := -1
	for i := range t.n {
		switch {
		case t.n[i] > 0 && t.hash[i] == h:
			t.n[i]++
			if t.n[i] == keepPathAt && t.text[i] == "" {
				t.text[i] = string(path[:min(len(path), maxPathText)])
			}
			return
		case t.n[i] == 0 && free < 0:
			free = i
		}
	}
	if free >= 0 {
		t.hash[free], t.n[free], t.text[free] = h, 1, ""
		return
	}
	for i := range t.n { // no slot free: every count loses one
		t.n[i]--
	}
}

// top returns the most counted path's count, and its text ("" until kept).
func (t *topPaths) top() (n uint64, text string) {
	for i := range t.n {
		if t.n[i] > n {
			n, text = t.n[i], t.text[i]
		}
	}
	return n, text
}

// counted returns the paths kept with their counts, most first.
func (t *topPaths) counted() []counted[string] {
	var out []counted[string]
	for i := range t.n {
		if t.n[i] > 0 && t.text[i] != "" {
			out = append(out, counted[string]{t.text[i], t.n[i]})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].key < out[j].key
	})
	return out
}

// distressed reports whether a reply's status (a raw JSON value) is no
// reply, a server error (5xx) or too many requests (429).
func distressed(status []byte) bool {
	switch {
	case len(status) == 0 || string(status) == "null" || string(status) == "0":
		return true
	case len(status) == 3 && status[0] == '5':
		return true
	}
	return string(status) == "429"
}

// httpRequest counts one http record towards its server's flood state.
func (d *Detector) httpRequest(r *rec.Rec, emit alert.Emit) {
	q := r.HTTPRequest()
	if !q.Client.IsValid() || !q.Server.IsValid() || q.Server.IsMulticast() {
		return
	}
	v := d.httpVictim(q)
	h := v.http
	v.first = min(v.first, q.TS)
	v.Active(q.TS)
	v.pkts++
	if v.pkts >= d.cfg.HTTP.MinRequests/tallyFrom {
		d.tally(v, h, &q)
	}
	if !v.Alerted && d.crossedHTTP(v) {
		v.Reported(q.TS)
		d.due.Watch(d.victims, v.key, v)
		emit(d.alert(v))
	}
}

// tallyFrom: a server's requests are tallied (clients, paths, replies)
// from the MinRequests/tallyFrom-th of its window on; before, only
// counted. Nearly every server stays below, and costs a count a request;
// the shares a flood is judged by are those of the requests tallied.
const tallyFrom = 4

// tally counts q's client, path, port and reply in v's window.
func (d *Detector) tally(v *victim, h *httpTally, q *rec.Request) {
	v.conns++ // the requests tallied
	if distressed(q.Status) {
		h.distress++
	}
	h.paths.add(rec.URIPath(q.URI))
	if h.host == "" && len(q.Host) > 0 {
		h.host = string(q.Host[:min(len(q.Host), maxPathText)])
	}
	v.sources.add(q.Client, 1, d.cfg.MaxSources)
	v.ports.add(q.Port, 1, 16)
	v.uids.Add(q.TS, q.UID)
}

// httpVictim returns q's server's state. The requests of one connection
// come one after another: the state of the latest request's server is
// kept at hand while its window lasts (Flush and eviction forget it).
func (d *Detector) httpVictim(q rec.Request) *victim {
	if v := d.lastHTTP; v != nil && v.victim == q.Server && (v.Alerted || q.TS-v.first <= d.cfg.Window) {
		return v
	}
	v := d.state(key{q.Server, kindHTTP}, q.TS)
	if v.http == nil {
		v.http = &httpTally{}
	}
	d.lastHTTP = v
	return v
}

// crossedHTTP reports whether an HTTP victim's window makes a flood (see
// HTTPThresholds).
func (d *Detector) crossedHTTP(v *victim) bool {
	th, h := &d.cfg.HTTP, v.http
	if v.pkts < th.MinRequests || d.rate(v) < th.MinRate || h.base > 0 && d.rate(v) < th.Surge*h.base {
		return false
	}
	reqs := float64(v.conns) // tallied
	if float64(h.distress) >= th.DistressShare*reqs {
		return true
	}
	top, _ := h.paths.top()
	return float64(top) >= th.FocusShare*reqs && reqs >= th.MinPerClient*float64(v.sources.len())
}

// restartHTTP carries an HTTP victim's counts over to its next window:
// the window that ended without a flood joins the server's base rate.
func (h *httpTally) restart(rate float64) *httpTally {
	base := rate
	if h.base > 0 {
		base = (h.base + rate) / 2
	}
	*h = httpTally{base: base}
	return h
}

// httpAlert reports an HTTP flood.
func (d *Detector) httpAlert(v *victim, a alert.Alert, ev map[string]any) alert.Alert {
	h, th := v.http, d.cfg.HTTP
	rate := d.rate(v)
	top, topText := h.paths.top()
	tallied := float64(max(v.conns, 1))
	distress := float64(h.distress) / tallied
	perClient := tallied / float64(max(v.sources.len(), 1))
	shape := "repeat"
	if distress >= th.DistressShare {
		shape = "overload"
	}
	paths := []map[string]any{}
	kept := h.paths.counted()
	for _, p := range kept[:min(3, len(kept))] {
		paths = append(paths, map[string]any{"path": p.key, "requests_at_least": p.n})
	}
	delete(ev, "packets")
	delete(ev, "connections")
	delete(ev, "rate_pps")
	ev["requests"], ev["rate_rps"], ev["shape"] = v.pkts, round1(rate), shape
	ev["unanswered_or_failed_share"], ev["requests_per_client"] = round3(distress), round1(perClient)
	ev["top_path_share_at_least"], ev["top_paths"], ev["requests_tallied"] = round3(float64(top)/tallied), paths, v.conns
	ev["threshold_requests"], ev["threshold_rate_rps"] = th.MinRequests, th.MinRate
	ev["threshold_focus_share"], ev["threshold_requests_per_client"], ev["threshold_distress_share"] = th.FocusShare, th.MinPerClient, th.DistressShare
	if h.base > 0 {
		ev["base_rate_rps"], ev["threshold_surge"] = round1(h.base), th.Surge
	}
	if h.host != "" {
		ev["host"] = h.host
		a.Name = h.host
	}
	server, from := d.webParties(v, &a, ev)
	how := fmt.Sprintf(" at %.0f a second", rate)
	if topText != "" && shape == "repeat" {
		how += fmt.Sprintf(", %.0f%% for %s", 100*float64(top)/tallied, topText)
	}
	if shape == "overload" {
		how += fmt.Sprintf(", %.0f%% unanswered or failed (5xx, 429)", 100*distress)
	}
	a.Confidence = min(1, 0.6+0.4*min(rate/(10*th.MinRate), 1))
	// The act has the narrative's subject (the client or the crowd) before
	// it; the summary names it.
	a.Act = fmt.Sprintf("flooded the web server %s with %d HTTP requests%s", server, v.pkts, how)
	a.Summary = fmt.Sprintf("HTTP flood on %s: %d HTTP requests from %s%s, between %s and %s.", server, v.pkts, from, how, alert.Clock(v.first), alert.Clock(v.Last))
	return a
}

// slow reports whether c, an established TCP connection with payload, is
// one of a slow HTTP DoS: it carried HTTP, the client completed the
// handshake, and it was held open SlowMinDuration or more at SlowMaxRate
// bytes a second or less, without a byte back.
func (d *Detector) slow(c *rec.Conn) bool {
	th := &d.cfg.HTTP
	return c.RespBytes == 0 && c.Duration >= th.SlowMinDuration && float64(c.OrigBytes) <= th.SlowMaxRate*c.Duration &&
		handshakeDone(c) && c.HasService("http")
}

// slowConn counts one connection of a slow HTTP DoS towards its server.
func (d *Detector) slowConn(c *rec.Conn, emit alert.Emit) {
	v := d.state(key{c.Resp, kindSlowHTTP}, c.TS)
	if v.http == nil {
		v.http = &httpTally{}
	}
	v.first = min(v.first, c.TS)
	v.Active(c.TS + c.Duration)
	v.conns++
	v.pkts += c.OrigPkts
	v.bytesOut += c.OrigBytes
	v.http.held += c.Duration
	v.sources.add(c.Orig, 1, d.cfg.MaxSources)
	v.ports.add(c.RespP, 1, 16)
	v.uids.Add(c.TS, c.UID)
	if !v.Alerted && d.crossed(v) {
		v.Reported(c.TS)
		d.due.Watch(d.victims, v.key, v)
		emit(d.alert(v))
	}
}

// slowAlert reports a slow HTTP DoS.
func (d *Detector) slowAlert(v *victim, a alert.Alert, ev map[string]any) alert.Alert {
	th := d.cfg.HTTP
	n := float64(max(v.conns, 1))
	held, sent := v.http.held/n, float64(v.bytesOut)/n
	delete(ev, "rate_pps")
	ev["shape"], ev["connections"], ev["mean_duration_s"], ev["mean_request_bytes"] = "slow", v.conns, round1(held), round1(sent)
	ev["distinct_sources"], ev["response_bytes"] = v.sources.len(), 0
	ev["threshold_connections"], ev["threshold_duration_s"], ev["threshold_rate_bps"] = th.SlowMinConns, th.SlowMinDuration, th.SlowMaxRate
	server, from := d.webParties(v, &a, ev)
	how := fmt.Sprintf("%.0f s on average each, %.0f bytes of a request sent and never finished, not one byte answered", held, sent)
	a.Confidence = min(1, 0.6+0.4*min(float64(v.conns)/(4*float64(th.SlowMinConns)), 1))
	a.Act = fmt.Sprintf("held %d connections to the web server %s open (slowloris): %s", v.conns, server, how)
	a.Summary = fmt.Sprintf("Slow HTTP DoS (slowloris) on %s: %d connections from %s held open %s, between %s and %s.", server, v.conns, from, how, alert.Clock(v.first), alert.Clock(v.Last))
	return a
}

// webParties gives an HTTP alert its protocol and port (the server's
// busiest), and returns the server as "address:port" and its clients as
// the summary names them: the one client named as the source, else how
// many there were, their crowd in the evidence as flood.dns gives it.
func (d *Detector) webParties(v *victim, a *alert.Alert, ev map[string]any) (server, from string) {
	a.Proto = "tcp"
	if ports := v.ports.sorted(func(a, b uint16) bool { return a < b }); len(ports) > 0 {
		a.DstP = ports[0].key
	}
	server = v.victim.String()
	if a.DstP != 0 {
		server = netip.AddrPortFrom(v.victim, a.DstP).String()
	}
	if a.Src != "" {
		return server, a.Src
	}
	from = alert.Plural(v.sources.len(), "client")
	atLeast := v.sources.len() >= d.cfg.MaxSources
	if atLeast {
		from = "at least " + from
	}
	ev["kind"], ev["source_count"], ev["sources_at_least"] = "distributed", v.sources.len(), atLeast
	ev["sources"] = topSources(&v.sources, 10)
	return server, from
}
