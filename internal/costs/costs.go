// Package costs times the parts of an analysis that read records: how
// much time each consumer (the inventory, the detection engine, the IPv6
// monitor) and each detector spends on the records of each log
// (`vigil analyze --costs`), as Suricata's rule profiling and Zeek's
// profiling.log tell where a sensor's time goes. Timing a call costs a few
// tens of nanoseconds, so it is off unless asked for.
package costs

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"
)

// Entry is one part's time on one log's records.
type Entry struct {
	Part  string // "assets", "detect", "detect/scan" …
	Log   string // the records' log ("conn", "http" …), or what else was timed ("flush", "close")
	Calls uint64
	Time  time.Duration
}

// PerCall is the time of one call, on average.
func (e Entry) PerCall() time.Duration {
	if e.Calls == 0 {
		return 0
	}
	return e.Time / time.Duration(e.Calls)
}

type key struct{ part, log string }

// Table sums the time of calls by part and log. The zero value is ready
// to use; not safe for concurrent use.
type Table struct {
	cells map[key]*Entry
}

// Add counts one call of part on a record of log that took d.
func (t *Table) Add(part, log string, d time.Duration) {
	k := key{part, log}
	e := t.cells[k]
	if e == nil {
		if t.cells == nil {
			t.cells = map[key]*Entry{}
		}
		e = &Entry{Part: part, Log: log}
		t.cells[k] = e
	}
	e.Calls++
	e.Time += d
}

// Time runs f and counts it as one call of part on log; on a nil Table it
// only runs f, so that a caller times a call only when timing was asked
// for without a branch of its own.
func (t *Table) Time(part, log string, f func()) {
	if t == nil {
		f()
		return
	}
	defer t.Since(part, log, time.Now())
	f()
}

// Since counts one call of part on a record of log that began at start:
// `defer t.Since(part, log, time.Now())` times the rest of a function.
func (t *Table) Since(part, log string, start time.Time) { t.Add(part, log, time.Since(start)) }

// Entries returns what t counted, the costliest first.
func (t *Table) Entries() []Entry {
	out := make([]Entry, 0, len(t.cells))
	for _, e := range t.cells {
		out = append(out, *e)
	}
	Sort(out)
	return out
}

// Sort orders entries by time, the costliest first (then by part and log).
func Sort(entries []Entry) {
	slices.SortFunc(entries, func(a, b Entry) int {
		if c := cmp.Compare(b.Time, a.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Part, b.Part); c != 0 {
			return c
		}
		return cmp.Compare(a.Log, b.Log)
	})
}

// Print writes entries as the summary's Costs block: per part and log, the
// time in all, the calls and the time of one; at most limit lines (0:
// all), sorted as they are given.
func Print(w io.Writer, entries []Entry, limit int) {
	if len(entries) == 0 {
		return
	}
	fmt.Fprintln(w, "Costs     time spent on records, by part and log (timed calls; --costs):")
	for i, e := range entries {
		if limit > 0 && i == limit {
			fmt.Fprintf(w, "  … %d more\n", len(entries)-limit)
			break
		}
		fmt.Fprintf(w, "  %-22s %-8s %9.1f ms %9d calls %8s each\n", e.Part, e.Log,
			float64(e.Time)/float64(time.Millisecond), e.Calls, perCall(e))
	}
}

// perCall writes an entry's time per call in ns or µs.
func perCall(e Entry) string {
	d := e.PerCall()
	if d < 10*time.Microsecond {
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}
