package alert

import "math"

// Watched is a detector's state for one watched thing: a pointer to a
// struct that embeds Episode.
type Watched interface {
	comparable
	episode() *Episode
}

func (e *Episode) episode() *Episode { return e }

// Schedule orders a detector's watched things by the earliest record time
// at which a flush could have to end or report them, so that a flush
// visits those whose time has come instead of every thing watched. It
// decides nothing itself: a visited thing is judged exactly as a walk over
// all of them would judge it (Flush), and one not due yet is scheduled
// again.
//
// The detector calls Watch when it starts watching a thing and when the
// thing alerts (which may make it due sooner: it is then re-reported every
// report seconds); a thing's last activity only moves forward, which can
// only delay it. Things the detector forgets by itself (evicted, replaced)
// leave their entries behind, recognised when they come up; the schedule
// is rebuilt from the map when those would make it more than twice the
// map's size, so it stays bounded.
type Schedule[K comparable, V Watched] struct {
	idle, every float64
	// refresh, when set (SetRefresh), re-reports an alerted thing that was
	// active since its last report this often during the first two
	// periods after a flush first saw it alerted, and leaves out its end
	// report when it was not active since its last report. A live engine
	// writes an episode quiet_s (two periods) after its last detection:
	// a burst (a scan over in a second, a short brute force) so is written
	// once, a minute or two after it crossed, with the numbers it reached,
	// and an attack that goes on is not held back by its own growth; it is
	// reported again every `every` and when it ends, as without refresh.
	refresh float64
	heap    []scheduled[K, V] // a binary min-heap on due
	later   []scheduled[K, V] // Flush's entries due (kept for reuse)
}

// scheduled is one entry of a Schedule: thing watched, under key, due
// at record time due; ticket tells its latest entry from older ones.
type scheduled[K comparable, V Watched] struct {
	due     float64
	key     K
	watched V
	ticket  uint32
}

// NewSchedule returns an empty schedule for things that end when idle for
// longer than idle seconds and, once alerted, are reported every every
// seconds.
func NewSchedule[K comparable, V Watched](idle, every float64) *Schedule[K, V] {
	return &Schedule[K, V]{idle: idle, every: every}
}

// SetRefresh turns refresh mode on for period r (s), when it is shorter
// than the re-report period (see Schedule.refresh); 0 turns it off.
func (s *Schedule[K, V]) SetRefresh(r float64) {
	s.refresh = 0
	if r > 0 && r < s.every {
		s.refresh = r
	}
}

// Len returns the number of entries held (for tests of the bound).
func (s *Schedule[K, V]) Len() int { return len(s.heap) }

// Watch schedules v, watched under k in m, for when it may next be due:
// call it when v is added to m and when v alerts.
func (s *Schedule[K, V]) Watch(m map[K]V, k K, v V) {
	if len(s.heap) >= 2*len(m)+64 {
		s.rebuild(m)
		return // v is in m: the rebuilt schedule holds it
	}
	s.push(k, v)
}

// Flush is a detector's Flush over m at record time now, for the things
// whose time may have come: one idle for longer than idle is reported a
// last time if it alerted, then ended (end must delete it from m); an
// alerted one still active is reported again every every seconds.
func (s *Schedule[K, V]) Flush(m map[K]V, now float64, report func(V), end func(K, V)) {
	var due []scheduled[K, V]
	if math.IsInf(now, 1) {
		// Every entry is due (the last flush): they are taken as they
		// lie rather than popped in order.
		due, s.heap = s.heap, s.later[:0]
	} else {
		for len(s.heap) > 0 && s.heap[0].due <= now {
			s.later = append(s.later, s.pop())
		}
		due = s.later
	}
	again := due[:0]
	for _, x := range due {
		if s.visit(m, x, now, report, end) {
			again = append(again, x)
		}
	}
	for _, x := range again {
		s.push(x.key, x.watched)
	}
	clear(due)
	s.later = due[:0]
}

// visit judges the thing of entry x at record time now (see Flush) and
// reports whether it is still watched. Entries of things forgotten,
// replaced or scheduled again since are passed over.
func (s *Schedule[K, V]) visit(m map[K]V, x scheduled[K, V], now float64, report func(V), end func(K, V)) bool {
	e := x.watched.episode()
	if cur, ok := m[x.key]; !ok || cur != x.watched || e.ticket != x.ticket {
		return false
	}
	grown := s.refresh == 0 || e.activity > e.reported // active since its last report
	if s.refresh > 0 && e.Alerted && e.refreshUntil == 0 {
		// The first look since it alerted (a flush of the engine's clock,
		// which a live run's wall clock drives ahead of record times).
		e.refreshUntil = now + 2*s.refresh
	}
	switch {
	case now-e.Last > s.idle:
		if e.Alerted && grown {
			report(x.watched)
		}
		end(x.key, x.watched)
		return false
	case e.Alerted && now-e.LastEmit >= s.every,
		e.Alerted && s.refresh > 0 && grown && now-e.LastEmit >= s.refresh && now <= e.refreshUntil:
		e.Reported(now)
		report(x.watched)
	}
	if s.refresh > 0 {
		e.checked = now
	}
	return true
}

// push adds an entry for v, which from now on is v's only valid one.
func (s *Schedule[K, V]) push(k K, v V) {
	e := v.episode()
	e.ticket++
	s.heap = append(s.heap, scheduled[K, V]{due: e.due(s.idle, s.every, s.refresh), key: k, watched: v, ticket: e.ticket})
	s.up(len(s.heap) - 1)
}

// rebuild makes the schedule hold one entry for each thing in m.
func (s *Schedule[K, V]) rebuild(m map[K]V) {
	clear(s.heap)
	s.heap = s.heap[:0]
	for k, v := range m {
		s.push(k, v)
	}
}

// pop removes and returns the entry due first.
func (s *Schedule[K, V]) pop() scheduled[K, V] {
	h := s.heap
	top, n := h[0], len(h)-1
	h[0] = h[n]
	h[n] = scheduled[K, V]{}
	s.heap = h[:n]
	if n > 0 {
		s.down(0)
	}
	return top
}

func (s *Schedule[K, V]) up(i int) {
	h := s.heap
	for i > 0 {
		p := (i - 1) / 2
		if h[p].due <= h[i].due {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (s *Schedule[K, V]) down(i int) {
	h := s.heap
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1].due < h[c].due {
			c++
		}
		if h[i].due <= h[c].due {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// due returns a record time before which a flush cannot end or report
// the episode (given thresholds idle and every, and the refresh period,
// 0 when off): Flush's tests, now-Last > idle, now-LastEmit >= every and,
// while refreshing, a refresh period after the last look, solved for now,
// less a margin for the rounding of either side. Where that is not a
// number (infinite or NaN times), the episode is due at every flush.
func (e *Episode) due(idle, every, refresh float64) float64 {
	t := lowerSum(e.Last, idle)
	if e.Alerted {
		t = min(t, lowerSum(e.LastEmit, every))
	}
	if refresh > 0 && e.Alerted && (e.refreshUntil == 0 || e.checked < e.refreshUntil) {
		t = min(t, lowerSum(max(e.checked, e.LastEmit), refresh))
	}
	if math.IsNaN(t) {
		return math.Inf(-1)
	}
	return t
}

// lowerSum returns a little less than a+b: a relative margin of 1e-12,
// thousands of times the rounding error of float64 sums and differences.
func lowerSum(a, b float64) float64 {
	return a + b - (math.Abs(a)+math.Abs(b))*1e-12
}
