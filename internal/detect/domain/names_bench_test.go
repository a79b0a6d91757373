package domain

import (
	"fmt"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// BenchmarkNamesNew: the cost of a query name not seen before (a DNS
// flood of random names), its Query made and kept.
func BenchmarkNamesNew(b *testing.B) {
	recs := make([]rec.Rec, 1<<16)
	for i := range recs {
		line := fmt.Sprintf(`{"ts":1,"query":"%x%x.tunnel%d.example.com","qtype_name":"TXT"}`, i*7919, i, i%40)
		if err := recs[i].Parse("dns", []byte(line)); err != nil {
			b.Fatal(err)
		}
	}
	names := NewNames()
	b.ResetTimer()
	for i := range b.N {
		if _, ok := names.Of(&recs[i%len(recs)]); !ok {
			b.Fatal("no query")
		}
		if i%len(recs) == len(recs)-1 {
			b.StopTimer()
			names = NewNames()
			b.StartTimer()
		}
	}
}
