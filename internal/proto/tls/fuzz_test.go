package tls

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

func FuzzClientHello(f *testing.F) {
	f.Add(specHello())
	f.Fuzz(func(t *testing.T, b []byte) {
		if ch, err := ParseClientHello(b); err == nil {
			JA3(ch)
			JA4(ch, JA4TCP)
			JA4Raw(ch, JA4QUIC)
		}
		if sh, err := ParseServerHello(b); err == nil {
			JA3S(sh)
		}
		parseV2ClientHello(b)
		ParseCert(b)
	})
}

type nopSink struct{}

func (nopSink) Record(string, []byte) {}

func FuzzAnalyzer(f *testing.F) {
	f.Add(tlsRecord(22, handshakeMsg(1, specHello())), tlsRecord(21, []byte{2, 40}))
	f.Fuzz(func(t *testing.T, orig, resp []byte) {
		a := New(&testConn, nopSink{})
		feed := func(a proto.Analyzer) { feedInterleaved(a, orig, resp) }
		feed(a)
		a.Service()
		// a, ended, serves another connection as a new analyzer does.
		prototest.CheckReuse(t, a, &testConn, func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		}, feed)
	})
}

// feedInterleaved gives a the bytes of both sides interleaved in chunks
// whose sizes come from the data itself, then ends it.
func feedInterleaved(a proto.Analyzer, orig, resp []byte) {
	for i := 0; len(orig) > 0 || len(resp) > 0; i++ {
		n := 1 + i*7%23
		if len(orig) > 0 {
			k := min(n, len(orig))
			a.Data(proto.FromOrig, int64(i), orig[:k])
			orig = orig[k:]
		}
		if len(resp) > 0 {
			k := min(n*3, len(resp))
			a.Data(proto.FromResp, int64(i), resp[:k])
			resp = resp[k:]
		}
	}
	a.End(1 << 40)
}

func BenchmarkClientHello(b *testing.B) {
	body := specHello()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		ch, err := ParseClientHello(body)
		if err != nil {
			b.Fatal(err)
		}
		JA3(ch)
		JA4(ch, JA4TCP)
	}
}
