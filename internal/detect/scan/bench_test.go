package scan

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// BenchmarkHandle measures the scan detector alone, per conn record, on
// a site's traffic: 2000 clients' conversations with 50000 servers, one
// record in ten a failed attempt (to a server or a random address), and
// a scanner's probes among them (one record in a hundred). The records
// are parsed before the clock starts.
func BenchmarkHandle(b *testing.B) {
	const n = 100_000
	rng := rand.New(rand.NewPCG(3, 4))
	recs := make([]rec.Rec, n)
	ts := 1.7e9
	for i := range recs {
		ts += rng.ExpFloat64() * 0.002
		h := rng.IntN(2000)
		c := dt.Conn{TS: ts, UID: fmt.Sprintf("C%08x", i), Src: fmt.Sprintf("10.%d.%d.%d", h/500, (h/250)%2, 1+h%250), SrcP: 1024 + rng.IntN(60000),
			Dst: fmt.Sprintf("%d.%d.%d.%d", 23+rng.IntN(150), rng.IntN(256), rng.IntN(256), 1+rng.IntN(250)), DstP: []int{443, 443, 80, 53, 22}[rng.IntN(5)],
			OrigBytes: 500, RespBytes: 9000, OrigPkts: 6, RespPkts: 9}
		switch r := rng.IntN(100); {
		case r == 0:
			c.Src, c.Dst, c.DstP = "10.66.0.66", fmt.Sprintf("10.20.%d.%d", rng.IntN(256), 1+rng.IntN(250)), 1+rng.IntN(1024)
			fallthrough
		case r < 10:
			c.State, c.OrigBytes, c.RespBytes, c.OrigPkts, c.RespPkts = "S0", 0, 0, 1, 0
		}
		l := c.Line()
		if err := recs[i].Parse(l.Log, l.JSON); err != nil {
			b.Fatal(err)
		}
	}
	benchHandle(b, recs, DefaultConfig())
}

// benchHandle hands recs to a detector of cfg in turn, b.N records in all
// (a new detector at each pass over them), flushing every thousand.
func benchHandle(b *testing.B, recs []rec.Rec, cfg Config) {
	emit := func(alert.Alert) {}
	b.ReportAllocs()
	b.ResetTimer()
	var d *Detector
	for i := 0; i < b.N; i++ {
		if i%len(recs) == 0 {
			d = New(cfg, internal)
		}
		r := &recs[i%len(recs)]
		d.Handle(r, emit)
		if i%1000 == 999 {
			d.Flush(r.Conn().TS, emit)
		}
	}
}

// BenchmarkSpoofedFlood measures the scan detector per record under a SYN
// flood from spoofed random sources, each record a source of one probe:
// with a budget of 100,000 entries the table fills every few thousand
// records and evicts its idlest tenth (vigil sample --flood, per detector).
// Eviction taking from the idle orders costs nothing per record held; a
// sort of every source each time had cost more than the rest (session 30,
// same VM, same benchmark: 6,959 ns a record with the sort, 2,283 without).
func BenchmarkSpoofedFlood(b *testing.B) {
	const n = 200_000
	rng := rand.New(rand.NewPCG(5, 6))
	recs := make([]rec.Rec, n)
	for i := range recs {
		c := dt.Conn{TS: 1.7e9 + float64(i)/10_000, UID: fmt.Sprintf("C%08x", i), Src: fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(223), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)),
			SrcP: 1024 + rng.IntN(60000), Dst: "10.0.0.1", DstP: 80, State: "S0", OrigPkts: 1}
		l := c.Line()
		if err := recs[i].Parse(l.Log, l.JSON); err != nil {
			b.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.MaxEntries = 100_000
	benchHandle(b, recs, cfg)
}
