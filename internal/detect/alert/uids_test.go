package alert

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestUIDsOrderFree: whatever order connections are offered in, the list
// holds the MaxUIDs earliest, each once, in time order.
func TestUIDsOrderFree(t *testing.T) {
	type conn struct {
		ts  float64
		uid string
	}
	var conns []conn
	for i := range 60 {
		conns = append(conns, conn{float64(i / 2), "C" + strconv.Itoa(100+i)}) // pairs share a time
	}
	conns = append(conns, conn{3, "C106"}, conn{0, ""}) // a repeat, and no uid
	var want []string
	for _, c := range conns[:MaxUIDs] {
		want = append(want, c.uid)
	}
	rng := rand.New(rand.NewPCG(1, 2))
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
// MaxUIDs), besides one string per uid kept.
func TestUIDsGrowsTwice(t *testing.T) {
	uids := make([][]byte, MaxUIDs)
	for i := range uids {
		uids[i] = []byte("C" + strconv.Itoa(i))
	}
	n := testing.AllocsPerRun(10, func() {
		var u UIDs
		for i, uid := range uids {
			u.Add(float64(i), uid)
		}
	})
	if want := float64(MaxUIDs + 2); n > want {
		t.Errorf("filling a list costs %v allocations, want at most %v", n, want)
	}
}
