package tls

import (
	"fmt"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

func FuzzClientHello(f *testing.F) {
	f.Add(specHello())
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, err := ParseClientHello(b)
		if err == nil {
			JA3(ch)
			JA4(ch, JA4TCP)
			JA4Raw(ch, JA4QUIC)
			checkMemo(t, ch)
		}
		sh, errS := ParseServerHello(b)
		if errS == nil {
			JA3S(sh)
		}
		checkReparse(t, b, ch, err, sh, errS)
		parseV2ClientHello(b)
		ParseCert(b)
	})
}

// checkReparse checks that parsing b over hellos that held another
// hello's lists gives what a fresh parse gave (ch, sh and their errors):
// the analyzer parses each hello over the previous one.
func checkReparse(t *testing.T, b []byte, ch *ClientHello, err error, sh *ServerHello, errS error) {
	t.Helper()
	var used ClientHello
	var usedS ServerHello
	if used.parse(specHello()) != nil || usedS.parse(serverHelloBody()) != nil {
		t.Fatal("seed hellos do not parse")
	}
	if errR := used.parse(b); errR != err {
		t.Fatalf("reparse error %v, fresh %v", errR, err)
	} else if err == nil && fmt.Sprintf("%v", used) != fmt.Sprintf("%v", *ch) {
		t.Fatalf("reparsed hello %v, fresh %v", used, *ch)
	}
	if errR := usedS.parse(b); errR != errS {
		t.Fatalf("reparse server hello error %v, fresh %v", errR, errS)
	} else if errS == nil && fmt.Sprintf("%v", usedS) != fmt.Sprintf("%v", *sh) {
		t.Fatalf("reparsed server hello %v, fresh %v", usedS, *sh)
	}
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
		// One that last fingerprinted another hello does too.
		b := New(&testConn, nopSink{})
		feedInterleaved(b, tlsRecord(22, handshakeMsg(1, specHello())), nil)
		prototest.CheckReuse(t, b, &testConn, func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
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
