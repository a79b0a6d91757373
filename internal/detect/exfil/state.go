package exfil

import (
	"fmt"
	"io"
	"math"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/persist"
)

// stateVersion is the version of the state SaveState writes; raise it
// when its layout changes (a state of another version is not loaded).
// Version 2 added the interval (interval_s) after the version; a state of
// version 1 (without it) is still read.
const stateVersion = 2

// maxStateBytes bounds the state read; the counts in it are checked
// against MaxHosts and the per-host bounds.
const maxStateBytes = 4 << 30

// maxCount bounds the counters a state holds (intervals and days of
// history, connections of a destination).
const maxCount = math.MaxInt32

// maxBucket bounds an interval number read: far beyond any record time,
// and small enough that its arithmetic cannot overflow.
const maxBucket = 1 << 53

// SaveState implements detect.Persistent: every host with its baselines
// (interval and daily, with their history), its open interval's
// destinations, its daily sums and its routine uploads. The hosts with an
// open interval come first, in the order Flush visits them.
func (d *Detector) SaveState(w io.Writer) error {
	var e persist.Enc
	e.U8(stateVersion)
	e.F64(d.cfg.Interval)
	e.F64(d.swept)
	e.F64(d.quietUntil)
	e.Int(len(d.hosts))
	for _, h := range d.open {
		saveHost(&e, h)
	}
	for _, h := range d.hosts {
		if h.bucket == noBucket {
			saveHost(&e, h)
		}
	}
	_, err := e.WriteTo(w)
	return err
}

func saveHost(e *persist.Enc, h *host) {
	e.Addr(h.addr)
	e.I64(h.bucket)
	e.F64(h.baseline)
	e.Int(h.history)
	e.F64(h.last)
	e.F64(h.day.start)
	e.U64(h.day.bytes)
	e.Bool(h.day.alerted)
	e.F64(h.day.base)
	e.Int(h.day.history)
	e.Int(len(h.dests))
	for a, ds := range h.dests {
		e.Addr(a)
		e.U64(ds.bytes)
		e.U64(ds.reply)
		e.Int(ds.conns)
		e.F64(ds.first)
		e.F64(ds.last)
		e.U16(ds.port)
		e.UIDs(&ds.uids)
	}
	e.Int(len(h.days))
	for a, s := range h.days {
		e.Addr(a)
		e.F64(s.start)
		e.U64(s.bytes)
		e.Int(s.conns)
		e.F64(s.first)
		e.F64(s.last)
		e.U16(s.port)
		e.UIDs(&s.uids)
		e.Bool(s.alerted)
	}
	e.Int(len(h.routine))
	for a, r := range h.routine {
		e.Addr(a)
		e.Int(r.runs)
		e.F64(r.last)
		e.U64(r.largest)
	}
}

// LoadState implements detect.Persistent: it gives a detector that has
// seen no record the state SaveState wrote, checked against MaxHosts and
// the per-host bounds. On error the detector is left as it was. Intervals
// that ended while the sensor was down are closed, and idle hosts
// forgotten, at the next flush, by the usual rules.
func (d *Detector) LoadState(r io.Reader) error {
	b, err := persist.ReadAll(r, maxStateBytes)
	if err != nil {
		return fmt.Errorf("exfil: %w", err)
	}
	dec := persist.NewDec(b)
	switch v := dec.U8(); {
	case dec.Err() != nil:
	case v == stateVersion:
		// The intervals (open ones, baselines) are counted in interval_s
		// of the save: read in other intervals, an open interval's number
		// would name another time (an hour-long interval centuries hence
		// for a 10-minute one, never ended, its host's uploads unjudged).
		if iv := dec.Time(); dec.Err() == nil && iv != d.cfg.Interval {
			dec.Fail("saved with interval_s %g, now %g: its intervals and baselines do not apply", iv, d.cfg.Interval)
		}
	case v != 1:
		dec.Fail("state version %d, this Vigil reads versions 1 and %d", v, stateVersion)
	}
	swept, quietUntil := dec.Time(), dec.Time()
	hosts := map[netip.Addr]*host{}
	var open []*host
	// A host takes at least 70 bytes, a destination 41, a daily sum 42, a
	// routine upload 21.
	n := dec.Count(d.cfg.MaxHosts, 70)
	for range n {
		h := loadHost(dec)
		if dec.Err() != nil {
			break
		}
		// An open interval begins at the host's last upload at the latest
		// (a late record may open an earlier one): one past it is of
		// another interval_s, or made up, and would never end.
		if h.bucket != noBucket && float64(h.bucket) > math.Floor(h.last/d.cfg.Interval)+1 {
			dec.Fail("host %v: interval %d begins after its last upload at %v", h.addr, h.bucket, h.last)
			break
		}
		if _, dup := hosts[h.addr]; dup {
			dec.Fail("host %v listed twice", h.addr)
			break
		}
		hosts[h.addr] = h
		if h.bucket != noBucket {
			open = append(open, h)
		}
	}
	if err := dec.End(); err != nil {
		return fmt.Errorf("exfil: %w", err)
	}
	d.swept, d.quietUntil, d.hosts, d.open = swept, quietUntil, hosts, open
	return nil
}

func loadHost(dec *persist.Dec) *host {
	h := &host{addr: dec.ValidAddr(), bucket: dec.I64(), baseline: dec.Time(), history: dec.Int(maxCount), last: dec.Time(),
		dests: map[netip.Addr]*dest{}}
	if h.bucket != noBucket && (h.bucket > maxBucket || h.bucket < -maxBucket) {
		dec.Fail("interval %d", h.bucket)
	}
	h.day = hostDay{start: dec.F64(), bytes: dec.U64(), alerted: dec.Bool(), base: dec.Time(), history: dec.Int(maxCount)}
	if math.IsInf(h.day.start, 0) {
		dec.Fail("day starting at %v", h.day.start) // NaN: no day yet
	}
	n := dec.Count(1025, 41) // 1024 destinations and the sum of the rest
	for range n {
		a := dec.Addr()
		ds := &dest{bytes: dec.U64(), reply: dec.U64(), conns: dec.Int(maxCount), first: dec.Time(), last: dec.Time(), port: dec.U16()}
		dec.UIDs(&ds.uids)
		if _, dup := h.dests[a]; dup && dec.Err() == nil {
			dec.Fail("destination %v listed twice", a)
		}
		if dec.Err() != nil {
			return h
		}
		h.dests[a] = ds
	}
	if n = dec.Count(maxDaySums, 42); n > 0 {
		h.days = make(map[netip.Addr]*daySum, n)
	}
	for range n {
		a := dec.ValidAddr()
		s := &daySum{start: dec.Time(), bytes: dec.U64(), conns: dec.Int(maxCount), first: dec.Time(), last: dec.Time(), port: dec.U16()}
		dec.UIDs(&s.uids)
		s.alerted = dec.Bool()
		if _, dup := h.days[a]; dup && dec.Err() == nil {
			dec.Fail("daily sum of %v listed twice", a)
		}
		if dec.Err() != nil {
			return h
		}
		h.days[a] = s
	}
	if n = dec.Count(maxRoutine, 21); n > 0 {
		h.routine = make(map[netip.Addr]*run, n)
	}
	for range n {
		a := dec.ValidAddr()
		r := &run{runs: dec.Int(maxCount), last: dec.Time(), largest: dec.U64()}
		if _, dup := h.routine[a]; dup && dec.Err() == nil {
			dec.Fail("routine upload to %v listed twice", a)
		}
		if dec.Err() != nil {
			return h
		}
		h.routine[a] = r
	}
	return h
}

// StateSummary says what the state holds, for the engine's notices.
func (d *Detector) StateSummary() string {
	learnt := 0
	for _, h := range d.hosts {
		if h.history > 0 {
			learnt++
		}
	}
	return fmt.Sprintf("%d hosts (%d with a baseline, %d with an open interval)", len(d.hosts), learnt, len(d.open))
}
