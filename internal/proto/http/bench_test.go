package http

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

type nopSink struct{ n int }

func (s *nopSink) Record(log string, line []byte) { s.n++ }

// BenchmarkParser parses a keep-alive connection of typical transactions
// (request with headers, response with a 4 KiB body delivered in 1460-byte
// segments). Reported per transaction.
func BenchmarkParser(b *testing.B) {
	req := []byte("GET /static/js/app.min.js?v=12345 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nReferer: http://www.example.com/\r\nConnection: keep-alive\r\nCookie: a=b; c=d\r\n\r\n")
	body := make([]byte, 4096)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	resp := append([]byte("HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Wed, 30 Nov 2022 15:37:56 GMT\r\nContent-Type: application/javascript\r\nContent-Length: 4096\r\nConnection: keep-alive\r\nCache-Control: max-age=3600\r\n\r\n"), body...)
	sink := &nopSink{}
	a := New(&proto.ConnInfo{UID: "CBench"}, sink)
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Data(proto.FromOrig, int64(i), req)
		for p := resp; len(p) > 0; {
			n := min(len(p), 1460)
			a.Data(proto.FromResp, int64(i), p[:n])
			p = p[n:]
		}
	}
	b.StopTimer()
	a.End(int64(b.N))
	if sink.n != b.N {
		b.Fatalf("%d records for %d transactions", sink.n, b.N)
	}
}
