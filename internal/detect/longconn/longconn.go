// Package longconn reports long connections (class conn.long):
// interactive backdoors, tunnels and C2 channels hold connections open for
// hours.
//
// Two rules, both on conn.log records:
//
//   - a connection that lasted at least MinDuration is reported alone (its
//     evidence is the record's duration);
//   - as RITA sums a pair's connection durations over its import, each
//     (source, destination) pair's connections of at least MinPiece are
//     added up over a window of Window seconds from the first one's
//     start, overlapping time counted once (records come in the order
//     connections end), and a pair whose total reaches MinDuration is
//     reported, once a window: a tunnel that re-dials every 50 minutes,
//     or a session that an inactivity timeout cuts into pieces, is as
//     long as one connection that stays open. Shorter pieces (web
//     requests, polls) are left out: an hour of them is browsing.
//
// In a live run the flow table also writes connections still open to
// conn_long.log (at 10 and 30 minutes, 1, 2, 4, 8, 12 and 24 hours, then
// daily): one open for MinDuration is reported then, while it lasts
// ("still open" in its alert), rather than when it ends, days later; its
// end then adds it to its pair's total without a second alert.
//
// By default only connections from an internal host to an external one
// count (never to a multicast group or broadcast), and ports of protocols
// that keep connections open by design (MQTT, push services) are ignored.
//
// State: at most MaxPairs pairs with pieces in their window (the tenth
// that ended longest ago dropped past it; pairs whose window ended are
// dropped at flushes), each with at most alert.MaxUIDs uids; and the uids
// of at most MaxPairs connections reported while open (the tenth reported
// longest ago dropped past it).
package longconn

import (
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the long-connection threshold.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinDuration is the shortest duration (s) reported, of one connection
	// or of a pair's connections in a window.
	MinDuration float64 `json:"min_duration_s"`
	// MinPiece is the shortest connection (s) added to its pair's total.
	MinPiece float64 `json:"min_piece_s"`
	// Window is how long (s) a pair's connections are added up.
	Window float64 `json:"window_s"`
	// ExternalOnly limits the detector to internal → external connections.
	ExternalOnly bool `json:"external_only"`
	// IgnorePorts are responder ports whose long connections are normal.
	IgnorePorts []uint16 `json:"ignore_ports"`
	MaxPairs    int      `json:"max_pairs"`
}

// DefaultConfig returns the defaults: one hour, alone or in pieces of at
// least 5 minutes within a day, internal to external, MQTT and
// push-notification ports ignored.
func DefaultConfig() Config {
	return Config{Enabled: true, MinDuration: 3600, MinPiece: 300, Window: 86400, ExternalOnly: true,
		IgnorePorts: []uint16{1883, 8883, 5228, 5223}, MaxPairs: 100_000}
}

type key struct{ src, dst netip.Addr }

// total is a pair's connections of at least MinPiece in its window.
type total struct {
	start    float64 // the window's start: the first piece's start
	end      float64 // the latest end of a piece
	covered  float64 // time covered by pieces (s), overlaps once
	pieces   int
	longest  float64
	out, in  uint64
	port     uint16
	proto    rec.Proto
	uids     alert.UIDs
	reported bool // in this window, by either rule
}

// Detector is the long-connection detector.
type Detector struct {
	cfg      Config
	internal *netset.Set
	ignore   map[uint16]bool
	pairs    map[key]*total
	swept    float64 // when pairs whose window ended were last dropped
	// open holds the uids of connections reported while still open
	// (conn_long), with when they were reported.
	open map[string]float64
}

// New returns a long-connection detector; internal says which addresses
// are internal.
func New(cfg Config, internal *netset.Set) *Detector {
	d := &Detector{cfg: cfg, internal: internal, ignore: map[uint16]bool{}, pairs: map[key]*total{}, open: map[string]float64{}}
	for _, p := range cfg.IgnorePorts {
		d.ignore[p] = true
	}
	return d
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "longconn" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn", "conn_long"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	// A "connection" to a multicast group or the broadcast address is no
	// channel held with a host (router advertisements to ff02::1 and
	// solicitations to ff02::2 make one that lasts as long as the link),
	// and the group is in no internal network: left out, as exfil and
	// beacon leave it out.
	if c.Duration < d.cfg.MinPiece || d.ignore[c.RespP] || netset.Group(c.Resp) {
		return
	}
	if d.cfg.ExternalOnly && (!d.internal.Contains(c.Orig) || d.internal.Contains(c.Resp)) {
		return
	}
	if r.Log == "conn_long" {
		d.stillOpen(c, emit)
		return
	}
	_, told := d.open[string(c.UID)]
	if told {
		delete(d.open, string(c.UID))
	}
	t := d.add(c)
	if told {
		t.reported = true
	} else if c.Duration >= d.cfg.MinDuration {
		t.reported = true
		emit(d.alert(c))
	} else if !t.reported && t.covered >= d.cfg.MinDuration {
		t.reported = true
		emit(d.totalAlert(key{c.Orig, c.Resp}, t))
	}
}

// stillOpen reports a connection still open (a conn_long record) that has
// lasted MinDuration, once.
func (d *Detector) stillOpen(c *rec.Conn, emit alert.Emit) {
	if c.Duration < d.cfg.MinDuration {
		return
	}
	if _, told := d.open[string(c.UID)]; told {
		return
	}
	if len(d.open) >= d.cfg.MaxPairs {
		evict.DropTenth(d.open, func(ts float64) float64 { return ts })
	}
	d.open[string(c.UID)] = c.TS + c.Duration
	// Its pair is reported: the other pieces of its window make no
	// second alert (the connection counts in its total when it ends).
	d.pair(key{c.Orig, c.Resp}, c.TS).reported = true
	a := d.alert(c)
	dur := time.Duration(c.Duration * float64(time.Second)).Round(time.Second)
	a.Act = fmt.Sprintf("has held a %s connection to %s:%d/%s open for %s so far (%d bytes out, %d in)",
		c.Proto, c.Resp, c.RespP, c.Proto, dur, c.OrigBytes, c.RespBytes)
	a.Summary = fmt.Sprintf("%s %s, since %s.", c.Orig, a.Act, alert.Clock(c.TS))
	a.Evidence["still_open"] = true
	emit(a)
}

// pair returns the total of pair k whose window holds a piece starting
// at start, begun there if there is none.
func (d *Detector) pair(k key, start float64) *total {
	t := d.pairs[k]
	if t == nil || start-t.start >= d.cfg.Window {
		if t == nil && len(d.pairs) >= d.cfg.MaxPairs {
			d.evict()
		}
		t = &total{start: start, end: start}
		d.pairs[k] = t
	}
	return t
}

// add adds a connection to its pair's total, which it returns.
func (d *Detector) add(c *rec.Conn) *total {
	start, end := c.TS, c.TS+c.Duration
	t := d.pair(key{c.Orig, c.Resp}, start)
	t.covered += max(0, end-max(start, t.end))
	t.end = max(t.end, end)
	t.pieces++
	t.longest = max(t.longest, c.Duration)
	t.out, t.in = t.out+c.OrigBytes, t.in+c.RespBytes
	t.port, t.proto = c.RespP, c.Proto
	t.uids.Add(c.TS, c.UID)
	return t
}

// evict drops the tenth of the pairs whose last piece ended longest ago.
func (d *Detector) evict() {
	evict.DropTenth(d.pairs, func(t *total) float64 { return t.end })
}

// Flush implements detect.Detector: pairs whose window ended are dropped,
// at most once an hour of input.
func (d *Detector) Flush(now float64, _ alert.Emit) {
	if now-d.swept < 3600 {
		return
	}
	d.swept = now
	for k, t := range d.pairs {
		if now-t.start >= d.cfg.Window {
			delete(d.pairs, k)
		}
	}
}

func (d *Detector) alert(c *rec.Conn) alert.Alert {
	dur := time.Duration(c.Duration * float64(time.Second)).Round(time.Second)
	act := fmt.Sprintf("held a %s connection to %s:%d/%s open for %s (%d bytes out, %d in)",
		c.Proto, c.Resp, c.RespP, c.Proto, dur, c.OrigBytes, c.RespBytes)
	return alert.Alert{
		TS: c.TS, TSEnd: c.TS + c.Duration, UID: string(c.UID), Src: c.Orig.String(), Dst: c.Resp.String(),
		SrcP: c.OrigP, DstP: c.RespP, Proto: c.Proto.String(), Class: "conn.long",
		Confidence: d.confidence(c.Duration),
		Act:        act,
		Summary:    fmt.Sprintf("%s %s, from %s.", c.Orig, act, alert.Clock(c.TS)),
		Evidence: map[string]any{
			"duration_s": c.Duration, "orig_bytes": c.OrigBytes, "resp_bytes": c.RespBytes,
			"threshold_s": d.cfg.MinDuration,
		},
		Detector: "longconn",
	}
}

func (d *Detector) totalAlert(k key, t *total) alert.Alert {
	covered := time.Duration(t.covered * float64(time.Second)).Round(time.Second)
	longest := time.Duration(t.longest * float64(time.Second)).Round(time.Second)
	act := fmt.Sprintf("was connected to %s (last on %d/%s) for %s in %d connections of %s at most (%d bytes out, %d in)",
		k.dst, t.port, t.proto, covered, t.pieces, longest, t.out, t.in)
	return alert.Alert{
		TS: t.start, TSEnd: t.end, UIDs: t.uids.List(), Src: k.src.String(), Dst: k.dst.String(),
		DstP: t.port, Proto: t.proto.String(), Class: "conn.long",
		Confidence: d.confidence(t.covered),
		Act:        act,
		Summary:    fmt.Sprintf("%s %s, between %s and %s.", k.src, act, alert.Clock(t.start), alert.Clock(t.end)),
		Evidence: map[string]any{
			"total_duration_s": round(t.covered), "connections": t.pieces, "longest_s": round(t.longest),
			"span_s": round(t.end - t.start), "orig_bytes": t.out, "resp_bytes": t.in,
			"threshold_s": d.cfg.MinDuration, "min_piece_s": d.cfg.MinPiece, "window_s": d.cfg.Window,
		},
		Detector: "longconn",
	}
}

// confidence grows from 0.5 at MinDuration to 1 at five times it.
func (d *Detector) confidence(dur float64) float64 {
	return min(1, 0.5+0.5*(dur-d.cfg.MinDuration)/(4*d.cfg.MinDuration))
}

func round(f float64) float64 { return math.Round(f*10) / 10 }
