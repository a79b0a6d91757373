package proto

import (
	"fmt"
	"testing"
)

func TestSharedRecent(t *testing.T) {
	const hour = int64(3600e9)
	s := NewShared()
	steps := []struct {
		key  string
		ts   int64
		want bool
	}{
		{"a", 0, false},         // first sight marks it
		{"a", hour, true},       // within the window
		{"b", hour, false},      // another key
		{"a", 25 * hour, false}, // window passed: marked again
		{"a", 26 * hour, true},
		{"a", 10 * hour, false}, // time went backwards: not "recent"
	}
	for i, st := range steps {
		if got := s.Recent(st.key, st.ts, 24*hour); got != st.want {
			t.Errorf("step %d: Recent(%q, %d) = %v, want %v", i, st.key, st.ts, got, st.want)
		}
	}
	var none *Shared
	if none.Recent("a", 0, hour) || none.Recent("a", 0, hour) {
		t.Error("a nil Shared must remember nothing")
	}
	for i := 0; i < maxShared+10; i++ {
		s.Recent(fmt.Sprint(i), 0, hour)
	}
	if len(s.seen) > maxShared || len(s.order) > maxShared {
		t.Errorf("Shared holds %d keys, bound is %d", len(s.seen), maxShared)
	}
}
