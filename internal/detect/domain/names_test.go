package domain

import (
	"fmt"
	"hash/maphash"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// TestNamesForget: a name is derived once while remembered, from the query
// unescaped; a record without a query derives nothing; a name whose slot
// another took is forgotten, and derived afresh, the same, when it comes
// again; the table never holds more than its slots.
func TestNamesForget(t *testing.T) {
	calls := map[string]int{}
	names := NewNames()
	n := NewSlot(names, func(q *Query) string { calls[q.Text]++; return "d:" + q.Text })
	of := func(line string) (string, bool) {
		var r rec.Rec
		if err := r.Parse("dns", []byte(line)); err != nil {
			t.Fatal(err)
		}
		return n.Of(&r)
	}
	if v, ok := of(`{"query":"a\u002eexample.org"}`); !ok || v != "d:a.example.org" {
		t.Errorf("Of = %q, %v", v, ok)
	}
	if v, ok := of(`{"query":"a\u002eexample.org"}`); !ok || v != "d:a.example.org" || calls["a.example.org"] != 1 {
		t.Errorf("again: %q, %v, %d derivations", v, ok, calls["a.example.org"])
	}
	if _, ok := of(`{"qtype":"A"}`); ok {
		t.Error("a record without a query derived something")
	}
	// Another name whose field lands in the same slot pushes it out.
	slotOf := func(raw string) uint64 { return maphash.String(names.seed, raw) >> (64 - knownBits) }
	want := slotOf(`"a\u002eexample.org"`)
	other := ""
	for i := 0; other == ""; i++ {
		if raw := fmt.Sprintf(`"x%d.example.org"`, i); slotOf(raw) == want {
			other = raw
		}
	}
	if v, _ := of(`{"query":` + other + `}`); v != "d:"+other[1:len(other)-1] {
		t.Errorf("colliding name: %q", v)
	}
	if v, _ := of(`{"query":"a\u002eexample.org"}`); v != "d:a.example.org" || calls["a.example.org"] != 2 {
		t.Errorf("after forgetting: %q, %d derivations", v, calls["a.example.org"])
	}
	for i := range 3 * knownSlots {
		of(fmt.Sprintf(`{"query":"n%d.example.org"}`, i))
	}
	kept := 0
	for _, q := range names.known {
		if q != nil {
			kept++
		}
	}
	if kept > knownSlots || kept < knownSlots/2 {
		t.Errorf("%d names kept in %d slots", kept, knownSlots)
	}
}

// TestNamesShared: two slots of one Names each derive their own value of a
// name, once, and see the same Query.
func TestNamesShared(t *testing.T) {
	names := NewNames()
	var seen [2]*Query
	var calls [2]int
	a := NewSlot(names, func(q *Query) int { seen[0] = q; calls[0]++; return len(q.Text) })
	b := NewSlot(names, func(q *Query) string { seen[1] = q; calls[1]++; return q.Text + "!" })
	var r rec.Rec
	for _, line := range []string{`{"query":"www.example.org"}`, `{"query":"www.example.org"}`, `{"query":"x.example.org"}`, `{"query":"www.example.org"}`} {
		if err := r.Parse("dns", []byte(line)); err != nil {
			t.Fatal(err)
		}
		va, _ := a.Of(&r)
		vb, _ := b.Of(&r)
		if q := r.Str("query"); va != len(q) || vb != q+"!" || seen[0] != seen[1] {
			t.Fatalf("%s: %v, %q, queries %p %p", line, va, vb, seen[0], seen[1])
		}
	}
	if calls != [2]int{2, 2} {
		t.Errorf("derivations %v, want 2 each", calls)
	}
	defer func() {
		if recover() == nil {
			t.Error("a third slot was handed out")
		}
	}()
	NewSlot(names, func(*Query) bool { return true })
}
