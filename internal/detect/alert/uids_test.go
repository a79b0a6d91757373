package alert

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// uidConn is a connection offered to a UIDs list.
type uidConn struct {
	ts  float64
	uid string
}

// listsInAnyOrder offers conns to a new list in their order and then in
// 49 shuffled orders (seeded by seed), and requires want each time.
func listsInAnyOrder(t *testing.T, conns []uidConn, want []string, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for round := range 50 {
		var u UIDs
		for _, c := range conns {
			u.Add(c.ts, []byte(c.uid))
		}
		if got := u.List(); !slices.Equal(got, want) {
			t.Fatalf("round %d: %v, want %v", round, got, want)
		}
		rng.Shuffle(len(conns), func(i, j int) { conns[i], conns[j] = conns[j], conns[i] })
	}
}

// TestUIDsOrderFree: whatever order connections are offered in, the list
// holds the MaxUIDs earliest, each once, in time order.
func TestUIDsOrderFree(t *testing.T) {
	var conns []uidConn
	for i := range 60 {
		conns = append(conns, uidConn{float64(i / 2), "C" + strconv.Itoa(100+i)}) // pairs share a time
	}
	conns = append(conns, uidConn{3, "C106"}, uidConn{0, ""}) // a repeat, and no uid
	var want []string
	for _, c := range conns[:MaxUIDs] {
		want = append(want, c.uid)
	}
	listsInAnyOrder(t, conns, want, 1)
}

func TestUIDsAllocatesOnlyWhenKept(t *testing.T) {
	var u UIDs
	for i := range MaxUIDs {
		u.Add(float64(i), []byte("C"+strconv.Itoa(i)))
	}
	late := []byte("Clate")
	if n := testing.AllocsPerRun(100, func() { u.Add(1000, late) }); n != 0 {
		t.Errorf("a uid not kept costs %v allocations", n)
	}
}

// TestUIDsGrowsTwice: a list is allocated twice at most (firstUIDs, then
// MaxUIDs), besides one string per uid kept longer than shortUID and
// the list of those.
func TestUIDsGrowsTwice(t *testing.T) {
	for _, prefix := range []string{"C", "Cabcdefghijklmnopq"} {
		uids := make([][]byte, MaxUIDs)
		for i := range uids {
			uids[i] = []byte(prefix + strconv.Itoa(i))
		}
		n := testing.AllocsPerRun(10, func() {
			var u UIDs
			for i, uid := range uids {
				u.Add(float64(i), uid)
			}
		})
		want := 2.0
		if len(prefix) > shortUID {
			want += MaxUIDs + 1
		}
		if n > want {
			t.Errorf("filling a list with %s… costs %v allocations, want at most %v", prefix, n, want)
		}
	}
}

// TestUIDsLong: uids too long to be kept in place sort, repeat and list
// as short ones do.
func TestUIDsLong(t *testing.T) {
	long := "C" + strings.Repeat("x", shortUID)
	var u UIDs
	for _, uid := range []string{long + "b", "Cb", long + "a", "Ca", long + "b", "Cb", long[:shortUID]} {
		u.Add(1, []byte(uid))
	}
	want := []string{"Ca", "Cb", long[:shortUID], long + "a", long + "b"}
	if got := u.List(); !slices.Equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	var m UIDs
	m.Merge(&u)
	if got := m.List(); !slices.Equal(got, want) {
		t.Fatalf("merged: %q, want %q", got, want)
	}
}

// TestUIDsMixedOrderFree: lists of short and long uids keep the MaxUIDs
// earliest whatever the order, long ones staying beside their entries
// when the list is cut.
func TestUIDsMixedOrderFree(t *testing.T) {
	var conns []uidConn
	for i := range 60 {
		uid := "C" + strconv.Itoa(100+i)
		if i%3 == 0 {
			uid += strings.Repeat("L", shortUID)
		}
		conns = append(conns, uidConn{float64(i / 4), uid})
	}
	sorted := slices.Clone(conns)
	slices.SortFunc(sorted, func(a, b uidConn) int {
		if a.ts != b.ts {
			return int(a.ts - b.ts)
		}
		return strings.Compare(a.uid, b.uid)
	})
	var want []string
	for _, c := range sorted[:MaxUIDs] {
		want = append(want, c.uid)
	}
	listsInAnyOrder(t, conns, want, 3)
}
