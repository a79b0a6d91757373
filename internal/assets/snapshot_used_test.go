package assets

import (
	"math/rand"
	"reflect"
	"sort"
	"strconv"
	"testing"
)

// TestConcatLess holds concatLess to comparing the concatenations, on
// short random strings over a small alphabet (many shared prefixes and
// empty parts).
func TestConcatLess(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	word := func() string {
		b := make([]byte, rng.Intn(4))
		for i := range b {
			b[i] = "ab\xff"[rng.Intn(3)]
		}
		return string(b)
	}
	for i := 0; i < 200000; i++ {
		a1, a2, b1, b2 := word(), word(), word(), word()
		if got, want := concatLess(a1, a2, b1, b2), a1+a2 < b1+b2; got != want {
			t.Fatalf("concatLess(%q, %q, %q, %q) = %v, want %v", a1, a2, b1, b2, got, want)
		}
	}
}

// TestMergeUsedMatchesSort holds mergeUsed to merging every part's
// endpoints and sorting them all, on random hosts of one to three parts.
func TestMergeUsedMatchesSort(t *testing.T) {
	// Endpoints that share name, protocol and port, their address and
	// service pairs making distinct concatenations with shared prefixes,
	// so that the last tie-break decides.
	type pair struct{ addr, service string }
	var pairs []pair
	seen := map[string]bool{}
	for _, a := range []string{"", "1", "1x", "12"} {
		for _, s := range []string{"", "x", "2x", "ssl"} {
			if !seen[a+s] {
				seen[a+s] = true
				pairs = append(pairs, pair{a, s})
			}
		}
	}
	rng := rand.New(rand.NewSource(2))
	for round := 0; round < 3000; round++ {
		parts := make([]*entity, 1+rng.Intn(3))
		for p := range parts {
			parts[p] = &entity{}
			for range rng.Intn(40) {
				id := rng.Intn(4 * len(pairs))
				ep := pairs[id/4]
				u := Used{
					Name: "n" + strconv.Itoa(id%2), Proto: "tcp", Port: uint16(id / 2 % 2), Addr: ep.addr, Service: ep.service,
					Conns: uint64(rng.Intn(4)), BytesOut: uint64(rng.Intn(3)), BytesIn: uint64(rng.Intn(3)),
					First: float64(rng.Intn(5)), Last: float64(5 + rng.Intn(5)),
				}
				if parts[p].used == nil {
					parts[p].used = map[string]*Used{}
				}
				parts[p].used[strconv.Itoa(id)] = &u
			}
		}
		before := snapshotUsed(parts)
		n := rng.Intn(12)
		got, want := mergeUsed(parts, n), mergeUsedBySort(parts, n)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d, n=%d:\n got %+v\nwant %+v", round, n, got, want)
		}
		if after := snapshotUsed(parts); !reflect.DeepEqual(before, after) {
			t.Fatalf("round %d: mergeUsed changed the parts' endpoints", round)
		}
	}
}

// snapshotUsed copies the parts' endpoints.
func snapshotUsed(parts []*entity) []map[string]Used {
	var out []map[string]Used
	for _, e := range parts {
		m := map[string]Used{}
		for k, u := range e.used {
			m[k] = *u
		}
		out = append(out, m)
	}
	return out
}

// mergeUsedBySort is mergeUsed as it was: every endpoint merged by key
// into a slice, sorted whole, cut to n.
func mergeUsedBySort(parts []*entity, n int) []Used {
	out := []Used{}
	at := map[string]int{}
	for _, e := range parts {
		for k, u := range e.used {
			i, ok := at[k]
			if !ok {
				at[k] = len(out)
				out = append(out, *u)
				continue
			}
			cur := &out[i]
			cur.Conns += u.Conns
			cur.BytesIn += u.BytesIn
			cur.BytesOut += u.BytesOut
			cur.First, cur.Last = minTS(cur.First, u.First), max(cur.Last, u.Last)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Conns != out[j].Conns {
			return out[i].Conns > out[j].Conns
		}
		if t1, t2 := out[i].BytesIn+out[i].BytesOut, out[j].BytesIn+out[j].BytesOut; t1 != t2 {
			return t1 > t2
		}
		a, b := &out[i], &out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Proto != b.Proto {
			return a.Proto < b.Proto
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.Addr+a.Service < b.Addr+b.Service
	})
	return out[:min(len(out), n)]
}
