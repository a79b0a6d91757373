package exfil

import "net/netip"

// maxRoutine is the most destinations of large uploads a host remembers;
// past it the one seen least recently is forgotten.
const maxRoutine = 8

// runGap separates two runs of a recurring upload: an upload that lasts
// many intervals (a night's backup) is one run.
const runGap = 20 * 3600

// run is a destination that received large uploads from a host: how many
// runs (at least runGap apart), when the last began, and the largest
// volume judged.
type run struct {
	runs    int
	last    float64
	largest uint64
}

// routine reports whether bytes uploaded to addr at ts are the host's
// routine — the destination received a large upload in RecurAfter earlier
// runs, and this one is at most Factor times the largest of them — and
// remembers this upload as a run of its own.
func (d *Detector) routine(h *host, addr netip.Addr, bytes uint64, ts float64) bool {
	r, ok := h.routine[addr]
	usual := ok && r.runs >= d.cfg.RecurAfter && float64(bytes) <= d.cfg.Factor*float64(r.largest)
	if !ok {
		h.forgetRoutine()
		if h.routine == nil {
			h.routine = map[netip.Addr]*run{}
		}
		r = &run{last: ts - runGap}
		h.routine[addr] = r
	}
	if ts-r.last >= runGap {
		r.runs++
		r.last = ts
	}
	r.largest = max(r.largest, bytes)
	return usual
}

// forgetRoutine makes room for one more remembered destination.
func (h *host) forgetRoutine() {
	if len(h.routine) < maxRoutine {
		return
	}
	var oldest netip.Addr
	var r *run
	for a, x := range h.routine {
		if r == nil || x.last < r.last || x.last == r.last && a.Less(oldest) {
			oldest, r = a, x
		}
	}
	delete(h.routine, oldest)
}
