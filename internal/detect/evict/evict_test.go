package evict

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFirst: the keys returned are exactly n entries that come first by
// the order, for random tables, tables of equal values, and the edges.
func TestFirst(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name   string
		size   int
		values func(i int) float64
	}{
		{"random", 1000, func(int) float64 { return rng.Float64() }},
		{"few distinct", 1000, func(i int) float64 { return float64(i % 3) }},
		{"all equal", 500, func(int) float64 { return 7 }},
		{"ascending", 300, func(i int) float64 { return float64(i) }},
		{"descending", 300, func(i int) float64 { return float64(-i) }},
		{"one", 1, func(int) float64 { return 1 }},
	}
	for _, c := range cases {
		m := map[int]float64{}
		for i := range c.size {
			m[i] = c.values(i)
		}
		sorted := make([]float64, 0, len(m))
		for _, v := range m {
			sorted = append(sorted, v)
		}
		slices.Sort(sorted)
		for _, n := range []int{0, 1, c.size / 10, c.size / 2, c.size - 1, c.size, c.size + 5} {
			keys := First(m, n, same, cmp.Compare[float64])
			want := min(max(n, 0), c.size)
			if len(keys) != want {
				t.Fatalf("%s n=%d: %d keys, want %d", c.name, n, len(keys), want)
			}
			got := make([]float64, len(keys))
			seen := map[int]bool{}
			for i, k := range keys {
				if seen[k] {
					t.Fatalf("%s n=%d: key %d twice", c.name, n, k)
				}
				seen[k] = true
				got[i] = m[k]
			}
			slices.Sort(got)
			if !slices.Equal(got, sorted[:want]) {
				t.Fatalf("%s n=%d: values %v, want the smallest %v", c.name, n, got, sorted[:want])
			}
		}
	}
}

// BenchmarkFirst: a tenth of a 200,000-entry table of pointers, as a
// full detector table evicts.
func BenchmarkFirst(b *testing.B) {
	type state struct {
		other [15]float64
		last  float64
	}
	rng := rand.New(rand.NewPCG(3, 4))
	m := map[int]*state{}
	for i := range 200_000 {
		m[i] = &state{last: float64(rng.IntN(3600))}
	}
	for b.Loop() {
		First(m, len(m)/10+1, func(s *state) float64 { return s.last }, cmp.Compare[float64])
	}
}

func same(v float64) float64 { return v }

// TestDropTenth: a full table loses its idlest tenth and one, and keeps
// the rest; a table of one loses it.
func TestDropTenth(t *testing.T) {
	for _, size := range []int{1, 9, 10, 1000} {
		m := map[int]float64{}
		for i := range size {
			m[i] = float64((i * 7919) % size) // every idleness once, shuffled
		}
		want := size/10 + 1
		if n := DropTenth(m, func(v float64) float64 { return v }); n != want || len(m) != size-want {
			t.Fatalf("size %d: dropped %d, %d left; want %d dropped", size, n, len(m), want)
		}
		for k, v := range m {
			if v < float64(want) {
				t.Errorf("size %d: kept %d, idle since %v, among the idlest", size, k, v)
			}
		}
	}
}
