package dga

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// BenchmarkHandle measures records through the detector: 20000 lookups
// of 2000 distinct names (real-looking and generated, some unanswered)
// from 200 clients, so that most names come from its memory of names.
func BenchmarkHandle(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	names := make([]string, 2000)
	for i := range names {
		if i%4 == 3 {
			names[i] = randomLabel(rng, 14) + ".com"
		} else {
			names[i] = fmt.Sprintf("www.site%d.example.com", i)
		}
	}
	lines := make([]dt.Line, 20000)
	for i := range lines {
		n := names[rng.IntN(len(names))]
		rcode := "NOERROR"
		if i%3 == 0 {
			rcode = "NXDOMAIN"
		}
		lines[i] = lookupFrom(1000+float64(i)/20, fmt.Sprintf("10.0.0.%d", 1+i%200), n, rcode)
	}
	var r rec.Rec
	emit := func(alert.Alert) {}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d, err := New(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range lines {
			if err := r.Parse(l.Log, l.JSON); err != nil {
				b.Fatal(err)
			}
			d.Handle(&r, emit)
		}
	}
}
