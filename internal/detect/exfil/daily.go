package exfil

import (
	"fmt"
	"math"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

// dayLen is the length of the daily sums (s).
const dayLen = 86400

// maxDaySums is the most destinations whose daily sums a host keeps; past
// it a destination takes the place of the smallest sum, if it carried
// more than that one in its interval.
const maxDaySums = 32

// daySum is what one destination received from a host (one-way uploads)
// over a day that began with its first upload.
type daySum struct {
	start       float64 // the day's start: the start of the first interval counted
	bytes       uint64
	conns       int
	first, last float64
	port        uint16
	uids        alert.UIDs
	// alerted: the destination has been reported (or excused as routine)
	// in this day.
	alerted bool
}

// hostDay is a host's one-way uploads over its current day, and the
// baseline of its past days.
type hostDay struct {
	start   float64 // NaN before the host's first interval
	bytes   uint64
	alerted bool
	base    float64 // EWMA of past days' uploads
	history int     // days that entered base
}

// close ends the host's day once the interval starting at start lies a
// day past its beginning: its uploads enter the daily baseline (capped at
// factor × the baseline when it alerted, so an attack does not teach it).
func (hd *hostDay) close(start float64, cfg *Config) {
	if math.IsNaN(hd.start) {
		hd.start = start
	}
	if start-hd.start < dayLen {
		return
	}
	sample := float64(hd.bytes)
	if hd.alerted {
		sample = math.Min(sample, cfg.Factor*hd.baseline(cfg))
	}
	if hd.history == 0 {
		hd.base = sample
	} else {
		hd.base = cfg.Alpha*sample + (1-cfg.Alpha)*hd.base
	}
	hd.history++
	*hd = hostDay{start: start, base: hd.base, history: hd.history}
}

// baseline is the host's usual daily upload: DailyFloor without history.
func (hd *hostDay) baseline(cfg *Config) float64 {
	if hd.history == 0 {
		return cfg.DailyFloor
	}
	return math.Max(hd.base, cfg.DailyFloor)
}

// threshold is the smallest daily sum to one destination reported.
func (hd *hostDay) threshold(cfg *Config) float64 {
	return math.Max(float64(cfg.DailyMinBytes), cfg.Factor*hd.baseline(cfg))
}

// addDay adds an interval's uploads to a destination's daily sum (start
// is the interval's start) and returns the sum, nil when it was not kept.
func (h *host) addDay(addr netip.Addr, ds *dest, start float64) *daySum {
	sum := h.days[addr]
	if sum == nil || start-sum.start >= dayLen {
		if sum == nil && !h.roomForDay(ds.bytes) {
			return nil
		}
		if h.days == nil {
			h.days = map[netip.Addr]*daySum{}
		}
		sum = &daySum{start: start, first: ds.first, port: ds.port}
		h.days[addr] = sum
	}
	sum.bytes += ds.bytes
	sum.conns += ds.conns
	sum.first, sum.last = min(sum.first, ds.first), max(sum.last, ds.last)
	sum.uids.Merge(&ds.uids)
	return sum
}

// roomForDay makes room for a new daily sum of at least bytes: it drops
// the smallest sum when maxDaySums are kept and that one is smaller.
func (h *host) roomForDay(bytes uint64) bool {
	if len(h.days) < maxDaySums {
		return true
	}
	var smallest netip.Addr
	least := uint64(math.MaxUint64)
	for a, s := range h.days {
		if s.bytes < least || s.bytes == least && a.Less(smallest) {
			smallest, least = a, s.bytes
		}
	}
	if least >= bytes {
		return false
	}
	delete(h.days, smallest)
	return true
}

// expireDays drops the daily sums whose day ended before start.
func (h *host) expireDays(start float64) {
	for a, s := range h.days {
		if start-s.start >= dayLen {
			delete(h.days, a)
		}
	}
}

// judgeDay reports a destination whose daily sum reached the host's
// daily threshold, once a day, unless it is routine.
func (d *Detector) judgeDay(h *host, addr netip.Addr, sum *daySum, emit alert.Emit) {
	if sum == nil || sum.alerted || float64(sum.bytes) < h.day.threshold(&d.cfg) {
		return
	}
	sum.alerted = true
	if d.routine(h, addr, sum.bytes, sum.first) {
		return
	}
	h.day.alerted = true
	emit(d.dayAlert(h, addr, sum))
}

func (d *Detector) dayAlert(h *host, dst netip.Addr, sum *daySum) alert.Alert {
	base := h.day.baseline(&d.cfg)
	ratio := float64(sum.bytes) / base
	over := sum.last - sum.first
	act := fmt.Sprintf("sent %s to %s over %s (%.0fx its usual daily upload of %s)",
		bytesText(sum.bytes), alert.AddrString(dst), durText(over), ratio, bytesText(uint64(base)))
	return alert.Alert{
		TS: sum.first, TSEnd: sum.last, UIDs: sum.uids.List(), Src: h.addr.String(), Dst: alert.AddrString(dst),
		DstP: sum.port, Class: "exfil", Confidence: d.confidence(ratio),
		Act:     act,
		Summary: fmt.Sprintf("%s %s in %d connections between %s and %s.", h.addr, act, sum.conns, alert.Clock(sum.first), alert.Clock(sum.last)),
		Evidence: map[string]any{
			"rule": "daily", "bytes": sum.bytes, "connections": sum.conns, "span_s": math.Round(over),
			"daily_baseline_bytes": math.Round(base), "ratio": math.Round(ratio*10) / 10, "history_days": h.day.history,
			"window_s": dayLen, "threshold_bytes": d.cfg.DailyMinBytes, "threshold_factor": d.cfg.Factor,
		},
		Detector: "exfil",
	}
}
