package alert

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// thing is a watched thing of the tests.
type thing struct {
	Episode
	id int
}

// flushAll is the flush a Schedule stands in for: every thing of m is
// judged, idle ones are ended (reported a last time if they alerted),
// alerted ones still active are reported again every every seconds.
func flushAll[K comparable](m map[K]*thing, now, idle, every float64, report func(*thing), end func(K, *thing)) {
	for k, v := range m {
		switch {
		case now-v.Last > idle:
			if v.Alerted {
				report(v)
			}
			end(k, v)
		case v.Alerted && now-v.LastEmit >= every:
			v.LastEmit = now
			report(v)
		}
	}
}

// watcher is one detector's state: a map of things and, for the
// scheduled one, its Schedule.
type watcher struct {
	m      map[int]*thing
	sched  *Schedule[int, *thing]
	events []string // what the last flush did, sorted
}

func (w *watcher) watch(k int, v *thing) {
	if w.sched != nil {
		w.sched.Watch(w.m, k, v)
	}
}

func (w *watcher) flush(now, idle, every float64) {
	w.events = w.events[:0]
	report := func(v *thing) { w.events = append(w.events, fmt.Sprintf("report %d", v.id)) }
	end := func(k int, v *thing) {
		w.events = append(w.events, fmt.Sprintf("end %d", v.id))
		delete(w.m, k)
	}
	if w.sched != nil {
		w.sched.Flush(w.m, now, report, end)
	} else {
		flushAll(w.m, now, idle, every, report, end)
	}
	slices.Sort(w.events)
}

// TestScheduleFlushesAsWalk: a Schedule ends and reports the same things
// at the same flushes as a walk over all of them, through records that
// come late, replace or evict things, alert, and carry odd times (NaN,
// infinities, huge, exactly on a threshold); it stays under its bound.
func TestScheduleFlushesAsWalk(t *testing.T) {
	const idle, every = 5, 7
	odd := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, -1e300, 0}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		walk := &watcher{m: map[int]*thing{}}
		sched := &watcher{m: map[int]*thing{}, sched: NewSchedule[int, *thing](idle, every)}
		ids, now := 0, 0.0
		when := func() float64 {
			switch r := rng.IntN(40); {
			case r == 0:
				return odd[rng.IntN(len(odd))]
			case r < 4:
				return now - idle // on the threshold
			default:
				return now + float64(rng.IntN(40)-30)/4
			}
		}
		for step := range 400 {
			k := rng.IntN(12)
			switch op := rng.IntN(10); {
			case op < 5: // a record: a new thing, or a later time for one
				ts := when()
				if rng.IntN(4) == 0 || walk.m[k] == nil {
					ids++
					for _, w := range []*watcher{walk, sched} {
						v := &thing{id: ids, Episode: Episode{Last: ts}}
						w.m[k] = v
						w.watch(k, v)
					}
				}
				for _, w := range []*watcher{walk, sched} {
					w.m[k].Last = max(w.m[k].Last, ts)
				}
			case op < 7: // the thing alerts
				ts := when()
				for _, w := range []*watcher{walk, sched} {
					if v := w.m[k]; v != nil && !v.Alerted {
						v.Alerted, v.LastEmit = true, ts
						w.watch(k, v)
					}
				}
			case op < 8: // evicted
				delete(walk.m, k)
				delete(sched.m, k)
			default:
				if rng.IntN(8) > 0 {
					now += float64(rng.IntN(12)) / 2
				}
				t0 := now
				if rng.IntN(30) == 0 {
					t0 = odd[rng.IntN(len(odd))]
				}
				walk.flush(t0, idle, every)
				sched.flush(t0, idle, every)
				if !slices.Equal(walk.events, sched.events) {
					t.Fatalf("seed %d step %d: flush at %v: schedule %v, walk %v", seed, step, t0, sched.events, walk.events)
				}
			}
			if n, bound := sched.sched.Len(), 2*len(sched.m)+65; n > bound {
				t.Fatalf("seed %d step %d: %d entries for %d things", seed, step, n, len(sched.m))
			}
		}
		walk.flush(math.Inf(1), idle, every)
		sched.flush(math.Inf(1), idle, every)
		if !slices.Equal(walk.events, sched.events) {
			t.Fatalf("seed %d: last flush: schedule %v, walk %v", seed, sched.events, walk.events)
		}
	}
}

// TestScheduleVisitsOnlyDue: a flush with nothing due looks at nothing.
func TestScheduleVisitsOnlyDue(t *testing.T) {
	s := NewSchedule[int, *thing](300, 600)
	m := map[int]*thing{}
	for i := range 1000 {
		m[i] = &thing{id: i, Episode: Episode{Last: 1000 + float64(i)}}
		s.Watch(m, i, m[i])
	}
	visits := 0
	s.Flush(m, 1299, func(*thing) { visits++ }, func(k int, _ *thing) { visits++; delete(m, k) })
	if visits != 0 || s.Len() != 1000 {
		t.Fatalf("flush before anything is due: %d visits, %d entries", visits, s.Len())
	}
	s.Flush(m, 1309.5, func(*thing) {}, func(k int, _ *thing) { delete(m, k) })
	if len(m) != 990 || s.Len() != 990 {
		t.Fatalf("after ten went idle: %d things, %d entries", len(m), s.Len())
	}
}
