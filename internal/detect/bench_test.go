package detect

import (
	"fmt"
	"math/rand/v2"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// mixedStream is synthetic traffic of a site: 2000 internal hosts talking
// to servers drawn from a Zipf distribution over 50000 (a few popular
// ones, a long tail), about 5000 records per second, mostly conn records
// with DNS, HTTP and TLS records among them.
func mixedStream(n int) []dt.Line {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.2, 1, 49_999)
	out := make([]dt.Line, 0, n)
	ts := 1.7e9
	for i := 0; len(out) < n; i++ {
		ts += rng.ExpFloat64() * 0.0002
		h := rng.IntN(2000)
		src := fmt.Sprintf("10.%d.%d.%d", h/500, (h/250)%2, 1+h%250)
		d := zipf.Uint64()
		dst := fmt.Sprintf("%d.%d.%d.%d", 23+d%150, (d/150)%256, (d*7)%256, 1+d%250)
		port := []int{443, 443, 443, 80, 53, 22, 123, 8080}[rng.IntN(8)]
		switch r := rng.IntN(100); {
		case r < 70:
			out = append(out, dt.Conn{TS: ts, UID: fmt.Sprintf("C%08x", i), Src: src, SrcP: 1024 + rng.IntN(60000), Dst: dst, DstP: port,
				Duration: rng.Float64() * 30, OrigBytes: uint64(rng.IntN(5000)), RespBytes: uint64(rng.IntN(200000)),
				OrigPkts: uint64(1 + rng.IntN(50)), RespPkts: uint64(rng.IntN(200))}.Line())
		case r < 88:
			out = append(out, dt.Rec("dns", map[string]any{"ts": ts, "uid": fmt.Sprintf("D%08x", i), "id.orig_h": src, "id.orig_p": 5000 + rng.IntN(60000),
				"id.resp_h": "10.0.0.53", "id.resp_p": 53, "proto": "udp", "query": fmt.Sprintf("www.site%d.example.com", rng.IntN(5000)),
				"qtype_name": "A", "rcode_name": "NOERROR", "answers": []string{dst}}))
		case r < 95:
			out = append(out, dt.Rec("http", map[string]any{"ts": ts, "uid": fmt.Sprintf("H%08x", i), "id.orig_h": src, "id.orig_p": 40000,
				"id.resp_h": dst, "id.resp_p": 80, "method": "GET", "host": fmt.Sprintf("site%d.example.com", rng.IntN(5000)),
				"uri": "/index.html", "status_code": 200}))
		default:
			out = append(out, dt.Rec("ssl", map[string]any{"ts": ts, "uid": fmt.Sprintf("S%08x", i), "id.orig_h": src, "id.orig_p": 40000,
				"id.resp_h": dst, "id.resp_p": 443, "server_name": fmt.Sprintf("cdn%d.example.net", rng.IntN(5000)),
				"ja3": "72a589da586844d7f0818ce684948eea", "cert_chain_fps": []string{fmt.Sprintf("%064x", rng.IntN(1000))}}))
		}
	}
	return out
}

// BenchmarkEngine measures records/s through all detectors on a mixed
// stream (70 % conn, 18 % dns, 7 % http, 5 % ssl).
func BenchmarkEngine(b *testing.B) {
	lines := mixedStream(200_000)
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		e, err := New(DefaultConfig(), Output{})
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range lines {
			e.Record(l.Log, l.JSON)
		}
		e.Close()
		total += len(lines)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkConnOnly measures conn records/s through all detectors.
func BenchmarkConnOnly(b *testing.B) {
	var lines []dt.Line
	for _, l := range mixedStream(280_000) {
		if l.Log == "conn" {
			lines = append(lines, l)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		e, _ := New(DefaultConfig(), Output{})
		for _, l := range lines {
			e.Record(l.Log, l.JSON)
		}
		e.Close()
		total += len(lines)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}
