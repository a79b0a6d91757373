// Package exfil detects exfiltration: an internal host sending an external
// destination far more bytes than the host's own baseline.
//
// Each internal host's outbound bytes to external addresses (connections
// sending at least 1 kB) are summed per Interval; the baseline is an
// exponentially weighted moving average of the host's active intervals (idle intervals do not pull it down, and an
// interval that alerted enters it capped, so an attack does not teach the
// baseline). A destination that receives at least MinBytes in one interval,
// and Factor times the baseline, is reported. A host without history has a
// baseline of Floor bytes.
//
// A destination that sent back at least MaxReplyShare of what it received
// in the interval exchanged data both ways — a video call, a two-way sync
// — and is neither reported nor counted in the baseline, which so stays
// the host's one-way uploads (a video call sends hundreds of megabytes in
// ten minutes; without the rule every host's first call was an alert and
// its next hours' baseline ten times too high), unless it received more
// than ExchangeCap (no call sends a gigabyte in ten minutes). The reply
// counted is what the responder's packets carried (resp_bytes, at most
// resp_ip_bytes): a sequence number that jumps does not make one.
//
// A slow exfiltration stays under MinBytes in every interval and soon is
// the interval baseline itself: each destination's one-way uploads are
// also summed over a day from its first upload, and a destination whose
// sum reaches DailyMinBytes and Factor times the host's usual daily upload
// (an EWMA of its past days, at least DailyFloor; a day that alerted
// enters it capped) is reported, once a day (6 MB every 10 minutes to a
// new address: 864 MB a day, reported at 504 MB).
//
// A recurring large upload (a nightly backup to the same provider) is the
// host's routine: a destination that received an upload that would be
// reported in RecurAfter earlier runs (runs at least 20 hours apart) is no
// longer reported, unless it receives more than Factor times the largest
// of them; routine uploads enter neither baseline (a 20 GB backup would
// raise the interval baseline for hours).
//
// State: one entry per internal host with outbound traffic (MaxHosts, the
// longest-idle dropped past it; a host idle for a day is dropped, and
// with it what it remembered, or for eight days once it has a baseline) holding per-destination sums of the current
// interval (at most 1024 destinations; the rest summed under one entry),
// daily sums of at most 32 destinations (past it the smallest sum makes
// room for a larger interval's) and at most 8 destinations of large
// uploads (the least recently seen forgotten).
package exfil

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the exfiltration thresholds.
type Config struct {
	Enabled  bool    `json:"enabled"`
	Interval float64 `json:"interval_s"`
	// MinBytes is the smallest volume to one destination in one interval
	// that is reported.
	MinBytes uint64 `json:"min_bytes"`
	// Factor is how many times the baseline the volume must reach.
	Factor float64 `json:"factor"`
	// Alpha is the EWMA weight of a new interval.
	Alpha float64 `json:"alpha"`
	// Floor is the baseline of a host without history (bytes).
	Floor float64 `json:"floor_bytes"`
	// MaxReplyShare: a destination that sent back at least this share of
	// the bytes it received exchanged data, no exfiltration.
	MaxReplyShare float64 `json:"max_reply_share"`
	// ExchangeCap: a destination that received more than this in one
	// interval is judged whatever it sent back.
	ExchangeCap uint64 `json:"exchange_cap_bytes"`
	// DailyMinBytes is the smallest volume to one destination over a day
	// that is reported, when it is also Factor times the host's usual
	// daily upload (at least DailyFloor).
	DailyMinBytes uint64  `json:"daily_min_bytes"`
	DailyFloor    float64 `json:"daily_floor_bytes"`
	// RecurAfter: a destination that received a large upload (one that
	// would be reported) in this many earlier runs, a day or so apart, is
	// the host's routine (a nightly backup) and no longer reported, unless
	// it receives more than Factor times the largest of them.
	RecurAfter int `json:"recurring_after"`
	MaxHosts   int `json:"max_hosts"`
}

// DefaultConfig returns the defaults: 10 MB to one destination within 10
// minutes and 10× the host's baseline.
func DefaultConfig() Config {
	return Config{Enabled: true, Interval: 600, MinBytes: 10_000_000, Factor: 10, Alpha: 0.2, Floor: 1_000_000, MaxReplyShare: 0.5, ExchangeCap: 1_000_000_000,
		DailyMinBytes: 500_000_000, DailyFloor: 20_000_000, RecurAfter: 2, MaxHosts: 100_000}
}

type dest struct {
	bytes       uint64
	reply       uint64 // what the destination sent back
	conns       int
	first, last float64
	port        uint16
	uids        alert.UIDs
}

type host struct {
	addr netip.Addr
	// bucket is the open interval's number (its start over Interval);
	// noBucket when none is open: the host is then not in Detector.open.
	bucket   int64
	dests    map[netip.Addr]*dest
	baseline float64
	history  int // active intervals seen
	alerted  bool
	last     float64
	evicted  bool // dropped past MaxHosts (evict), to be taken off open
	// day is the host's uploads of its current day, days the daily sums
	// per destination (at most maxDaySums), routine the destinations of
	// its recurring large uploads (at most maxRoutine).
	day     hostDay
	days    map[netip.Addr]*daySum
	routine map[netip.Addr]*run
}

// noBucket marks a host without an open interval.
const noBucket = math.MinInt64

// Detector is the exfiltration detector.
type Detector struct {
	cfg      Config
	internal *netset.Set
	hosts    map[netip.Addr]*host
	// open lists the hosts with an open interval (at most one entry per
	// host of hosts), which Flush closes once it has ended: a flush costs
	// the hosts active lately, not all.
	open []*host
	// swept is when idle hosts were last dropped (sweep).
	swept float64
	// quietUntil: no interval can have ended for Flush before this time
	// (the end of the interval Flush last ran in; intervals are aligned).
	quietUntil float64
}

// New returns an exfiltration detector.
func New(cfg Config, internal *netset.Set) *Detector {
	return &Detector{cfg: cfg, internal: internal, hosts: map[netip.Addr]*host{}}
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "exfil" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	sent := c.Uploaded() // not a sequence-number artefact
	if sent < minDestBytes || !d.internal.Contains(c.Orig) || d.internal.Contains(c.Resp) || !c.Resp.IsValid() || netset.Group(c.Resp) {
		return
	}
	h := d.host(c.Orig, emit)
	bucket := int64(math.Floor(c.TS / d.cfg.Interval))
	if bucket > h.bucket {
		if h.bucket == noBucket {
			d.open = append(d.open, h)
		} else {
			d.roll(h, emit)
		}
		h.bucket = bucket
		// A late record (a long upload's, written at its end) may open an
		// interval already past its allowance: the next flush closes it.
		d.quietUntil = min(d.quietUntil, float64(bucket+2)*d.cfg.Interval)
	}
	h.last = max(h.last, c.TS)
	ds := h.dests[c.Resp]
	if ds == nil {
		if len(h.dests) >= 1024 {
			ds = h.dests[netip.Addr{}]
		}
		if ds == nil {
			ds = &dest{first: c.TS, port: c.RespP}
			h.dests[c.Resp] = ds
		}
	}
	ds.bytes += sent
	ds.reply += min(c.RespBytes, c.RespIPBytes)
	ds.conns++
	ds.first, ds.last = min(ds.first, c.TS), max(ds.last, c.TS+c.Duration)
	if sent >= minDestBytes*100 {
		ds.uids.Add(c.TS, c.UID)
	}
}

// minDestBytes is the smallest upload counted (towards the host's
// baseline and its destination): a bulk transfer moves data in large
// connections, and skipping the many small ones keeps the cost and the
// state small. Uids are kept from 100 kB on.
const minDestBytes = 1000

func (d *Detector) host(a netip.Addr, emit alert.Emit) *host {
	h := d.hosts[a]
	if h != nil {
		return h
	}
	if len(d.hosts) >= d.cfg.MaxHosts {
		d.evict(emit)
	}
	h = &host{addr: a, bucket: noBucket, dests: map[netip.Addr]*dest{}, day: hostDay{start: math.NaN()}}
	d.hosts[a] = h
	return h
}

// evict drops the tenth of the hosts seen least recently; a host's open
// interval is judged first, as it stands (the host has been quiet the
// longest, so it is most likely complete).
func (d *Detector) evict(emit alert.Emit) {
	for _, a := range evict.First(d.hosts, len(d.hosts)/10+1, func(h *host) float64 { return h.last }, cmp.Compare[float64]) {
		h := d.hosts[a]
		if h.bucket != noBucket {
			d.roll(h, emit)
		}
		h.evicted = true // to be taken off open
		delete(d.hosts, a)
	}
	d.open = slices.DeleteFunc(d.open, func(h *host) bool { return h.evicted })
}

// roll closes the host's current interval: destinations above the
// interval's or their day's threshold are reported, unless routine, and
// the interval enters the baselines. Routine uploads and exchanges enter
// neither.
func (d *Detector) roll(h *host, emit alert.Emit) {
	start := float64(h.bucket) * d.cfg.Interval
	h.day.close(start, &d.cfg)
	h.expireDays(start)
	base := d.baseline(h)
	alerted := false
	var total uint64 // the interval's one-way uploads
	for addr, ds := range h.dests {
		if float64(ds.reply) >= d.cfg.MaxReplyShare*float64(ds.bytes) && ds.bytes <= d.cfg.ExchangeCap {
			continue // an exchange
		}
		large := ds.bytes >= d.cfg.MinBytes && float64(ds.bytes) >= d.cfg.Factor*base
		if large && d.routine(h, addr, ds.bytes, ds.first) {
			continue
		}
		total += ds.bytes
		var sum *daySum
		if addr.IsValid() { // not the sum of the destinations past 1024
			sum = h.addDay(addr, ds, start)
		}
		if large {
			emit(d.alert(h, addr, ds, base))
			alerted = true
			if sum != nil {
				sum.alerted = true // reported for this day
			}
		}
		d.judgeDay(h, addr, sum, emit)
	}
	h.day.bytes += total
	h.day.alerted = h.day.alerted || alerted
	d.learn(h, total, alerted, base)
}

// learn enters an interval's one-way uploads into the host's baseline
// (capped at Factor × the baseline when it alerted, so an attack does not
// teach it) and empties its destinations.
func (d *Detector) learn(h *host, total uint64, alerted bool, base float64) {
	if total == 0 {
		clear(h.dests)
		return
	}
	sample := float64(total)
	if alerted {
		sample = math.Min(sample, d.cfg.Factor*base)
	}
	if h.history == 0 {
		h.baseline = sample
	} else {
		h.baseline = d.cfg.Alpha*sample + (1-d.cfg.Alpha)*h.baseline
	}
	h.history++
	h.dests = map[netip.Addr]*dest{}
}

func (d *Detector) baseline(h *host) float64 {
	if h.history == 0 {
		return d.cfg.Floor
	}
	return math.Max(h.baseline, d.cfg.Floor)
}

// Flush implements detect.Detector: intervals that ended more than one
// interval ago (lateness allowance) are closed.
func (d *Detector) Flush(now float64, emit alert.Emit) {
	if now <= d.quietUntil {
		return
	}
	// An interval b is closed once now > (b+2)·Interval: after this flush
	// the next to be is the one ending at the first multiple from now on.
	d.quietUntil = math.Ceil(now/d.cfg.Interval) * d.cfg.Interval
	kept := d.open[:0]
	for _, h := range d.open {
		end := float64(h.bucket+1) * d.cfg.Interval
		switch {
		case now-end > d.cfg.Interval:
			d.roll(h, emit)
			h.bucket = noBucket
		default:
			kept = append(kept, h)
		}
	}
	clear(d.open[len(kept):]) // no pointers kept to hosts gone
	d.open = kept
	if now-d.swept >= d.cfg.Interval {
		d.sweep(now)
	}
}

// Idle hosts are forgotten after forgetNew when they taught nothing yet,
// after forgetLearned when they have a baseline: a workstation off over a
// weekend or a week's holiday comes back judged by what it learnt, not as
// a new host whose 1 MB floor makes its usual upload an alert.
const (
	forgetNew     = 24 * 3600.0
	forgetLearned = 8 * 24 * 3600.0
)

// sweep drops the idle hosts (all of them at the end, now +Inf) that have
// no open interval: once an Interval, so that a flush does not cost every
// host.
func (d *Detector) sweep(now float64) {
	d.swept = now
	for a, h := range d.hosts {
		forget := forgetNew
		if h.history > 0 {
			forget = forgetLearned
		}
		if h.bucket == noBucket && (now-h.last > forget || math.IsInf(now, 1)) {
			delete(d.hosts, a)
		}
	}
}

func (d *Detector) alert(h *host, dst netip.Addr, ds *dest, base float64) alert.Alert {
	ratio := float64(ds.bytes) / base
	dstS := alert.AddrString(dst)
	if dstS == "" {
		dstS = "many destinations"
	}
	act := fmt.Sprintf("sent %s to %s (%.0fx its baseline of %s per %s)",
		bytesText(ds.bytes), dstS, ratio, bytesText(uint64(base)), durText(d.cfg.Interval))
	return alert.Alert{
		TS: ds.first, TSEnd: ds.last, UIDs: ds.uids.List(), Src: h.addr.String(), Dst: alert.AddrString(dst),
		DstP: ds.port, Class: "exfil", Confidence: d.confidence(ratio),
		Act:     act,
		Summary: fmt.Sprintf("%s %s in %d connections between %s and %s.", h.addr, act, ds.conns, alert.Clock(ds.first), alert.Clock(ds.last)),
		Evidence: map[string]any{
			"bytes": ds.bytes, "reply_bytes": ds.reply, "connections": ds.conns, "baseline_bytes": math.Round(base), "ratio": math.Round(ratio*10) / 10,
			"rule": "interval", "history_intervals": h.history, "interval_s": d.cfg.Interval,
			"threshold_bytes": d.cfg.MinBytes, "threshold_factor": d.cfg.Factor,
		},
		Detector: "exfil",
	}
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}

func durText(s float64) string {
	if s >= 2*3600 {
		return fmt.Sprintf("%.1f h", s/3600)
	}
	if s >= 60 {
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.0f s", s)
}

// confidence grows from 0.5 with how far over its baseline a host sent:
// 1 at ten times the factor that makes an alert.
func (d *Detector) confidence(ratio float64) float64 {
	return min(1, 0.5+0.5*min(ratio/(10*d.cfg.Factor), 1))
}
