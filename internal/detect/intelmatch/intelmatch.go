// Package intelmatch matches records against threat-intelligence feeds
// (internal/intel) and reports hits as intel.match: connection addresses
// (conn.log), DNS queries and answers (dns.log; the answer's addresses are
// named as destinations beside the resolver), HTTP hosts and URLs
// (http.log), TLS server names, JA3/JA4 and certificate hashes, SHA-256
// and SHA-1 (ssl.log, x509.log), QUIC server names and JA4 (quic.log).
//
// The feeds are reloaded when their files change, checked at most every
// Reload seconds of wall-clock time from Flush. Stateless apart from the
// feeds: repeats of one (class, source, destination) are merged by the
// engine. A failed reload keeps the previous indicators in use and is
// reported by Problems (the engine's Stats), as are feeds' values that
// were not indicators.
package intelmatch

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/intel"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config lists the feeds.
type Config struct {
	Enabled bool `json:"enabled"`
	// Feeds are files or MISP feed directories (plain, CSV, MISP, STIX).
	Feeds []string `json:"feeds"`
	// Reload is the least time (s) between checks of the feed files.
	Reload float64 `json:"reload_s"`
}

// DefaultConfig returns the defaults: enabled, no feeds.
func DefaultConfig() Config { return Config{Enabled: true, Reload: 10} }

// Detector is the threat-intelligence matcher.
type Detector struct {
	cfg       Config
	feeds     *intel.Feeds
	lastCheck time.Time
	// ReloadErr is the error of the last failed reload (nil when fine).
	ReloadErr error
	// failures counts the reloads that failed with ReloadErr's message in
	// a row (retried at every check until the feeds load).
	failures int
}

// New loads the feeds.
func New(cfg Config) (*Detector, error) {
	f, err := intel.Open(cfg.Feeds)
	if err != nil {
		return nil, fmt.Errorf("intel feeds: %w", err)
	}
	return &Detector{cfg: cfg, feeds: f, lastCheck: time.Now()}, nil
}

// Indicators returns the number of indicators loaded.
func (d *Detector) Indicators() int { return d.feeds.Set().Len() }

// Name implements detect.Detector.
func (d *Detector) Name() string { return "intel" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn", "dns", "http", "ssl", "x509", "quic"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	set := d.feeds.Set()
	if set.Len() == 0 {
		return
	}
	switch r.Log {
	case "conn":
		c := r.Conn()
		if ind := set.Addr(c.Resp); ind != nil {
			d.emit(r, emit, ind, "connection to", c.Orig, c.Resp)
		} else if ind := set.Addr(c.Orig); ind != nil {
			d.emit(r, emit, ind, "connection from", c.Orig, c.Resp)
		}
	case "dns":
		q := r.Str("query")
		if ind := set.Domain(q); ind != nil {
			d.emitDNS(r, emit, ind, "DNS lookup of "+q+" matching")
			return
		}
		for _, ans := range r.Strings("answers") {
			a, err := netip.ParseAddr(ans)
			var ind *intel.Indicator
			if err == nil {
				ind = set.Addr(a.Unmap())
			} else {
				ind = set.Domain(ans)
			}
			if ind != nil {
				d.emitDNS(r, emit, ind, "DNS answer for "+q+" matching")
				return
			}
		}
	case "http":
		host, uri := r.Str("host"), r.Str("uri")
		if ind := set.URL(host, uri); ind != nil {
			d.emit(r, emit, ind, "HTTP request for "+host+uri+" matching", netip.Addr{}, netip.Addr{})
		} else if ind := set.Domain(stripPort(host)); ind != nil {
			d.emit(r, emit, ind, "HTTP request to "+host+" matching", netip.Addr{}, netip.Addr{})
		}
	case "ssl":
		d.ssl(r, set, emit)
	case "x509":
		for _, f := range []string{"fingerprint", "fingerprint_sha1"} {
			if ind := set.Fingerprint(intel.Cert, r.Str(f)); ind != nil {
				d.emit(r, emit, ind, "certificate "+r.Str("certificate.subject")+" matching", netip.Addr{}, netip.Addr{})
				return
			}
		}
	case "quic":
		d.quic(r, set, emit)
	}
}

// quic matches a QUIC connection's server name and client JA4.
func (d *Detector) quic(r *rec.Rec, set *intel.Set, emit alert.Emit) {
	sni := r.Str("server_name")
	if ind := set.Domain(sni); ind != nil {
		d.emit(r, emit, ind, "QUIC connection to "+sni+" matching", netip.Addr{}, netip.Addr{})
	} else if ind := set.Fingerprint(intel.JA4, r.Str("ja4")); ind != nil {
		d.emit(r, emit, ind, "QUIC client fingerprint matching", netip.Addr{}, netip.Addr{})
	}
}

func (d *Detector) ssl(r *rec.Rec, set *intel.Set, emit alert.Emit) {
	sni := r.Str("server_name")
	if ind := set.Domain(sni); ind != nil {
		d.emit(r, emit, ind, "TLS connection to "+sni+" matching", netip.Addr{}, netip.Addr{})
		return
	}
	for _, k := range []intel.Kind{intel.JA3, intel.JA4} {
		if ind := set.Fingerprint(k, r.Str(string(k))); ind != nil {
			d.emit(r, emit, ind, "TLS client fingerprint matching", netip.Addr{}, netip.Addr{})
			return
		}
	}
	for _, f := range []string{"cert_chain_fps", "cert_chain_fps_sha1"} {
		for _, fp := range r.Strings(f) {
			if ind := set.Fingerprint(intel.Cert, fp); ind != nil {
				d.emit(r, emit, ind, "TLS certificate matching", netip.Addr{}, netip.Addr{})
				return
			}
		}
	}
}

func stripPort(host string) string {
	if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}

// emitDNS reports a hit of a DNS record: from the client to its resolver,
// naming among the destinations (Dsts) the addresses the answer gave —
// the listed name's, or the listed address itself: the infrastructure
// the client is about to reach, which the resolver is not.
func (d *Detector) emitDNS(r *rec.Rec, emit alert.Emit, ind *intel.Indicator, what string) {
	var resolved []string
	for _, ans := range r.Strings("answers") {
		if a, err := netip.ParseAddr(ans); err == nil {
			if s := a.Unmap().WithZone("").String(); !slices.Contains(resolved, s) {
				resolved = append(resolved, s)
			}
		}
	}
	d.emit(r, emit, ind, what, netip.Addr{}, netip.Addr{}, resolved...)
}

// emit reports a hit; src and dst default to the record's originator and
// responder; dsts are further addresses the hit names (Alert.Dsts).
func (d *Detector) emit(r *rec.Rec, emit alert.Emit, ind *intel.Indicator, what string, src, dst netip.Addr, dsts ...string) {
	c := r.Conn()
	if !src.IsValid() {
		src, dst = c.Orig, c.Resp
	}
	desc := ""
	if ind.Description != "" {
		desc = " (" + ind.Description + ")"
	}
	act := fmt.Sprintf("made a %s %s indicator %s from %s%s", what, ind.Kind, ind.Value, ind.Feed, desc)
	if strings.HasPrefix(what, "connection from") {
		act = fmt.Sprintf("a listed %s indicator %s from %s%s connected to %s", ind.Kind, ind.Value, ind.Feed, desc, dst)
	}
	a := alert.Alert{
		TS: c.TS, UID: string(c.UID), Src: alert.AddrString(src), Dst: alert.AddrString(dst), SrcP: c.OrigP, DstP: c.RespP,
		Class: "intel.match", Confidence: 0.9, Act: act,
		Summary:  fmt.Sprintf("%s %s at %s.", alert.AddrString(src), act, alert.Clock(c.TS)),
		Evidence: map[string]any{"indicator": ind.Value, "kind": string(ind.Kind), "feed": ind.Feed, "description": ind.Description, "log": r.Log},
		Detector: "intel",
	}
	if len(dsts) > 0 {
		a.Dsts = dsts
	}
	if ind.Kind == intel.Domain || ind.Kind == intel.URL {
		a.Name = ind.Value
	}
	if !src.IsValid() && r.Log == "x509" {
		a.Summary = fmt.Sprintf("A %s at %s.", strings.TrimPrefix(act, "made a "), alert.Clock(c.TS))
	}
	emit(a)
}

// Flush implements detect.Detector: the feeds are reloaded when changed.
func (d *Detector) Flush(float64, alert.Emit) {
	if time.Since(d.lastCheck).Seconds() < d.cfg.Reload {
		return
	}
	d.lastCheck = time.Now()
	reloaded, err := d.feeds.Reload()
	if !reloaded {
		return // nothing changed: a failure stands until a file changes
	}
	switch {
	case err == nil:
		d.ReloadErr, d.failures = nil, 0
	case d.ReloadErr != nil && d.ReloadErr.Error() == err.Error():
		d.failures++
	default:
		d.ReloadErr, d.failures = err, 1
	}
}

// Problems implements detect.Reporter: the failed reload, and the feeds'
// values that were not indicators, at the last load.
func (d *Detector) Problems() []string {
	var out []string
	if d.ReloadErr != nil {
		out = append(out, fmt.Sprintf("feeds failed to reload (%d tries; the previous indicators are in use): %v", d.failures, d.ReloadErr))
	}
	for _, p := range d.cfg.Feeds {
		if n := d.feeds.Rejected[p]; n > 0 {
			out = append(out, fmt.Sprintf("feed %s: %d values passed over (not indicators)", p, n))
		}
	}
	return out
}
