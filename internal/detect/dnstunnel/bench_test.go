package dnstunnel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// BenchmarkHandle measures records through the detector: 20000 records of
// 2000 distinct names (host names, CDN ids, some tunnel-like) from 200
// clients, so that most names come from its memory of names.
func BenchmarkHandle(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	names := make([]string, 2000)
	for i := range names {
		switch i % 4 {
		case 0:
			names[i] = fmt.Sprintf("www.site%d.example.com", i)
		case 1:
			names[i] = fmt.Sprintf("e%d.dscb.akamaiedge.net", i)
		case 2:
			names[i] = fmt.Sprintf("api-%d.eu-west.service.example.org", i)
		default:
			names[i] = randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 40) + ".t.example.net"
		}
	}
	lines := make([]dt.Line, 20000)
	for i := range lines {
		lines[i] = query(1000+float64(i)/20, fmt.Sprintf("10.0.%d.%d", i%200/250, 1+i%200), names[rng.IntN(len(names))], "A")
	}
	var r rec.Rec
	emit := func(alert.Alert) {}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d := New(DefaultConfig())
		for _, l := range lines {
			if err := r.Parse(l.Log, l.JSON); err != nil {
				b.Fatal(err)
			}
			d.Handle(&r, emit)
		}
	}
}

// BenchmarkWaterTorture is a random-subdomain flood: every query a new
// name (8 to 60 random characters under one of 16 parents of
// example.com) from one of 10,000 clients, as `vigil sample --kind
// flood` writes it. Each name is new, so this is the detector's cost per
// new name; b.N counts queries.
func BenchmarkWaterTorture(b *testing.B) {
	benchTorture(b, func(rng *rand.Rand, _ int) string {
		return fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(250))
	})
}

// BenchmarkWaterTortureSpoofed is the flood from spoofed sources: every
// query from a client of its own, whose tally holds that one name.
func BenchmarkWaterTortureSpoofed(b *testing.B) {
	benchTorture(b, func(_ *rand.Rand, i int) string {
		return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	})
}

// benchTorture times b.N queries for new names from client(i).
func benchTorture(b *testing.B, client func(rng *rand.Rand, i int) string) {
	rng := rand.New(rand.NewPCG(1, 2))
	lines := make([]dt.Line, b.N)
	for i := range lines {
		name := randFrom(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 8+rng.IntN(53)) + fmt.Sprintf(".tunnel%d.example.com", rng.IntN(16))
		lines[i] = query(1000+float64(i)/5000, client(rng, i), name, "A")
	}
	var r rec.Rec
	emit := func(alert.Alert) {}
	b.ReportAllocs()
	b.ResetTimer()
	d := New(DefaultConfig())
	for _, l := range lines {
		if err := r.Parse(l.Log, l.JSON); err != nil {
			b.Fatal(err)
		}
		d.Handle(&r, emit)
	}
}
