// Package evict chooses what a bounded detector table drops when it is
// full: the entries that come first by the table's order (the longest
// idle, mostly), found in expected linear time by selection rather than by
// sorting the whole table. A detector that keeps 200,000 pairs and drops a
// tenth at a time so pays for one pass over them, not a sort, which on
// large Zeek logs (an ISP's conn.log: a new pair per record) was a fifth
// of the detection engine's time.
package evict

import (
	"cmp"
	"math/rand/v2"
)

// First returns the keys of the n entries of m whose order keys (order)
// come first by cmp (all of m when n ≥ len(m)), in no particular order.
// Among entries that compare equal at the cut, which are taken is
// unspecified. Each entry's order key is read once: the selection moves
// and compares small copies, not the table's values.
func First[K comparable, V, O any](m map[K]V, n int, order func(V) O, cmp func(a, b O) int) []K {
	if n <= 0 {
		return nil
	}
	keys := make([]K, 0, len(m))
	ranks := make([]rank[O], 0, len(m))
	for k, v := range m {
		ranks = append(ranks, rank[O]{order(v), len(keys)})
		keys = append(keys, k)
	}
	if n >= len(keys) {
		return keys
	}
	selectFirst(ranks, n, cmp)
	out := make([]K, n)
	for i, r := range ranks[:n] {
		out[i] = keys[r.i]
	}
	return out
}

// DropTenth deletes from a full table m the tenth of its entries (and
// one) whose order keys come first — most often the longest idle — and
// returns how many it deleted: what most detectors do when a table
// reaches its cap.
func DropTenth[K comparable, V any](m map[K]V, order func(V) float64) int {
	keys := First(m, len(m)/10+1, order, cmp.Compare[float64])
	for _, k := range keys {
		delete(m, k)
	}
	return len(keys)
}

// rank is an entry's order key and the index of its table key.
type rank[O any] struct {
	o O
	i int
}

// selectFirst reorders s so that s[:n] are n entries that come first by
// cmp (0 < n < len(s)): quickselect with a random pivot (no input makes it
// quadratic in expectation) and a three-way partition (runs of equal
// entries, as many records in one second, end the search at once).
func selectFirst[O any](s []rank[O], n int, cmp func(a, b O) int) {
	lo, hi := 0, len(s) // the cut at n lies in s[lo:hi]
	for hi-lo > 1 {
		pivot := s[lo+rand.IntN(hi-lo)].o
		// s[lo:lt] < pivot, s[lt:i] == pivot, s[gt:hi] > pivot.
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch c := cmp(s[i].o, pivot); {
			case c < 0:
				s[lt], s[i] = s[i], s[lt]
				lt++
				i++
			case c > 0:
				gt--
				s[i], s[gt] = s[gt], s[i]
			default:
				i++
			}
		}
		switch {
		case n < lt:
			hi = lt
		case n > gt:
			lo = gt
		default: // the cut falls among the pivot's equals (or at an edge)
			return
		}
	}
}
