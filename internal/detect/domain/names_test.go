package domain

import (
	"fmt"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// TestNamesForget: a name is derived once while remembered, from the query
// unescaped; a record without a query derives nothing; when the memory is
// full it is forgotten at once and names are derived afresh, the same.
func TestNamesForget(t *testing.T) {
	calls := map[string]int{}
	n := NewNames(func(q string) string { calls[q]++; return "d:" + q })
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
	for i := len(n.known); i < maxNames; i++ {
		n.known[fmt.Sprint(i)] = "filler"
	}
	if v, ok := of(`{"query":"b.example.org"}`); !ok || v != "d:b.example.org" || len(n.known) != 1 {
		t.Errorf("when full: %q, %v, %d kept", v, ok, len(n.known))
	}
	if v, _ := of(`{"query":"a\u002eexample.org"}`); v != "d:a.example.org" || calls["a.example.org"] != 2 {
		t.Errorf("after forgetting: %q, %d derivations", v, calls["a.example.org"])
	}
}
