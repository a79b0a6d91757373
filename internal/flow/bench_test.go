package flow

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

type nopEmitter struct{ n int }

func (e *nopEmitter) Conn(c *record.Conn)   { e.n++ }
func (e *nopEmitter) Weird(w *record.Weird) {}

// BenchmarkUpdate accounts packets of 10k established flows (steady state).
func BenchmarkUpdate(b *testing.B) {
	cfg := DefaultConfig()
	cfg.MaxFlows = 1 << 16
	tb, err := NewTable(cfg, &nopEmitter{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	const flows = 10000
	ds := make([]decode.Datagram, flows)
	for i := range ds {
		d := synFlood(0, r, i)
		d.TCPFlags, d.L4Len, d.IPLen = PA, 100, 140
		ds[i] = *d
	}
	in := Input{TS: base}
	for i := range ds {
		in.D = &ds[i]
		tb.Update(&in)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := &ds[i%flows]
		d.Seq += 100
		in.D = d
		in.TS = base + int64(i)
		tb.Update(&in)
	}
	b.StopTimer()
	st := tb.Stats()
	b.ReportMetric(float64(st.BytesPerFlow), "B/flow")
}

// BenchmarkNewFlowEvict drives a full table with a random-source SYN flood:
// every packet creates a flow and evicts (emits) the oldest one.
func BenchmarkNewFlowEvict(b *testing.B) {
	cfg := DefaultConfig()
	cfg.MaxFlows = 1 << 12
	tb, err := NewTable(cfg, &nopEmitter{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	d := synFlood(0, r, 0)
	in := Input{TS: base, D: d}
	var a [4]byte
	for i := 0; i < cfg.MaxFlows; i++ {
		binary.BigEndian.PutUint32(a[:], r.Uint32())
		d.Src = d.Src.Prev() // distinct
		tb.Update(&in)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Src = d.Src.Next()
		d.SrcPort = uint16(i)
		in.TS = base + int64(i)
		tb.Update(&in)
	}
	b.StopTimer()
	if st := tb.Stats(); st.Active > uint64(cfg.MaxFlows) {
		b.Fatalf("active %d", st.Active)
	}
}

func TestUpdateAllocs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFlows = 1 << 10
	tb, _ := NewTable(cfg, &nopEmitter{})
	r := rand.New(rand.NewPCG(9, 10))
	d := synFlood(0, r, 0)
	in := Input{TS: base, D: d}
	for i := 0; i < 2*cfg.MaxFlows; i++ { // fill and start evicting
		d.Src = d.Src.Next()
		tb.Update(&in)
	}
	i := 0
	d2 := new(decode.Datagram)
	allocs := testing.AllocsPerRun(2000, func() {
		i++
		d.Src = d.Src.Next()
		in.TS = base + int64(i)
		tb.Update(&in) // new flow + eviction + emission
		*d2 = *d
		d2.TCPFlags = A
		in.D = d2
		tb.Update(&in) // existing flow
		in.D = d
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per new flow", allocs)
	}
}
