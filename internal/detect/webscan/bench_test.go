package webscan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// parsed returns lines parsed once, so that a benchmark times the
// detector alone.
func parsed(b *testing.B, lines []dt.Line) []rec.Rec {
	recs := make([]rec.Rec, len(lines))
	for i, l := range lines {
		if err := recs[i].Parse(l.Log, l.JSON); err != nil {
			b.Fatal(err)
		}
	}
	return recs
}

// benchHandle times the records through a new detector; b.N counts
// records.
func benchHandle(b *testing.B, recs []rec.Rec) {
	emit := func(alert.Alert) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		d := New(DefaultConfig())
		for j := range recs {
			if i++; i > b.N {
				break
			}
			d.Handle(&recs[j], emit)
		}
	}
}

// BenchmarkBrowsing is the common case: 20,000 requests of 200 clients to
// 50 sites (five names each) at one server, 5% answered 404, a client's
// requests often in a row: what every record costs when nobody scans.
func BenchmarkBrowsing(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var lines []dt.Line
	for i := 0; i < 20000; {
		client := fmt.Sprintf("10.0.%d.%d", rng.IntN(2), 1+rng.IntN(100))
		for range 1 + rng.IntN(6) { // a page and its assets
			st := 200
			if rng.IntN(20) == 0 {
				st = 404
			}
			host := fmt.Sprintf("%s.site%d.example", []string{"www", "img", "api", "cdn", "static"}[rng.IntN(5)], rng.IntN(50))
			lines = append(lines, req{ts: 1000 + float64(i)/50, client: client, host: host, uri: fmt.Sprintf("/p%d", rng.IntN(500)),
				status: st, agent: "Firefox", length: 1000 + rng.IntN(5000)}.line())
			i++
		}
	}
	benchHandle(b, parsed(b, lines))
}

// BenchmarkScans is a path scan and a vhost scan at once (gobuster's two
// modes, interleaved): what a watched target's record costs.
func BenchmarkScans(b *testing.B) {
	paths := scan(1000, 0.01, "10.66.0.66", "gobuster/3.5", wordlist(5000), 404)
	vhosts := vhostScan(1000, 0.01, "10.66.0.67", "gobuster/3.5", names(5000, "lab.example"), func(int) (int, int) { return 200, 288 })
	lines := slices.Concat(paths, vhosts)
	slices.SortStableFunc(lines, func(a, b dt.Line) int { return int(a.TS*1000) - int(b.TS*1000) })
	benchHandle(b, parsed(b, lines))
}
