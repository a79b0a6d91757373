package tls

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var dtlsConn = proto.ConnInfo{UID: "CD1", TS: 1e18, OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"), OrigP: 50000, RespP: 4433, Transport: 17}

// dtlsRecord is a DTLS 1.2 record of epoch 0.
func dtlsRecord(typ byte, epoch uint16, body []byte) []byte {
	h := []byte{typ, 0xfe, 0xfd, byte(epoch >> 8), byte(epoch), 0, 0, 0, 0, 0, 1, byte(len(body) >> 8), byte(len(body))}
	return append(h, body...)
}

// dtlsFrag is a handshake fragment of message seq (length total) at off.
func dtlsFrag(typ byte, seq, total, off int, frag []byte) []byte {
	h := []byte{typ, byte(total >> 16), byte(total >> 8), byte(total), byte(seq >> 8), byte(seq),
		byte(off >> 16), byte(off >> 8), byte(off), byte(len(frag) >> 16), byte(len(frag) >> 8), byte(len(frag))}
	return append(h, frag...)
}

// dtlsHello is specHello as a DTLS 1.2 hello: version, random, session
// id, an empty cookie, then the rest.
func dtlsHello() []byte {
	b := specHello()
	out := append([]byte{0xfe, 0xfd}, b[2:2+32+1+32]...)
	out = append(out, 0) // cookie
	return append(out, b[2+32+1+32:]...)
}

// dtlsServerHello is a DTLS 1.2 server hello choosing
// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, without extensions.
func dtlsServerHello() []byte {
	b := append([]byte{0xfe, 0xfd}, make([]byte, 32)...)
	b = append(b, vec8([]byte{1, 2})...)
	return append(b, 0xc0, 0x2f, 0)
}

func runDTLS(t *testing.T, dgrams []struct {
	dir proto.Direction
	b   []byte
}) string {
	t.Helper()
	sink := &lineSink{}
	a := NewDTLS(&dtlsConn, sink)
	for i, d := range dgrams {
		a.Data(d.dir, 1e18+int64(i)*1000, d.b)
	}
	a.End(1e18 + 1e9)
	if len(sink.lines) != 1 {
		t.Fatalf("records %q", sink.lines)
	}
	return sink.lines[0]
}

type dgram = struct {
	dir proto.Direction
	b   []byte
}

func TestDTLSHandshake(t *testing.T) {
	ch := dtlsHello()
	sh := dtlsServerHello()
	half := len(ch) / 2
	got := runDTLS(t, []dgram{
		// The hello in two fragments, the second sent twice.
		{proto.FromOrig, dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), 0, ch[:half]))},
		{proto.FromOrig, dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), half, ch[half:]))},
		{proto.FromOrig, dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), half, ch[half:]))},
		{proto.FromResp, append(dtlsRecord(22, 0, dtlsFrag(2, 0, len(sh), 0, sh)), dtlsRecord(22, 0, dtlsFrag(14, 1, 0, 0, nil))...)},
		{proto.FromOrig, append(dtlsRecord(22, 0, dtlsFrag(16, 1, 3, 0, []byte{1, 2, 3})), append(dtlsRecord(20, 0, []byte{1}), dtlsRecord(22, 1, make([]byte, 40))...)...)},
		{proto.FromResp, append(dtlsRecord(20, 0, []byte{1}), dtlsRecord(22, 1, make([]byte, 40))...)},
	})
	for _, want := range []string{`"version":"DTLSv12"`, `"ssl_history":"CsnGIi"`, `"established":true`, `"server_name":"example.com"`, `"ja4":"d13d1516h2_8daaf6152771_e5627efa2ab1"`, `"cipher":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
}

// TestDTLSFragmentsOutOfOrder: a message whose second fragment comes
// first is lost (fragments are gathered in order only); a retransmitted
// whole message is handled again, as Zeek does.
func TestDTLSFragmentsOutOfOrder(t *testing.T) {
	ch := dtlsHello()
	half := len(ch) / 2
	got := runDTLS(t, []dgram{
		{proto.FromOrig, dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), half, ch[half:]))},
		{proto.FromOrig, dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), 0, ch[:half]))},
		{proto.FromOrig, dtlsRecord(22, 0, dtlsFrag(1, 1, len(ch), 0, ch))},
		{proto.FromOrig, dtlsRecord(22, 0, dtlsFrag(1, 1, len(ch), 0, ch))},
	})
	if !strings.Contains(got, `"ssl_history":"CC"`) {
		t.Errorf("got %s", got)
	}
}

func TestDetectDTLS(t *testing.T) {
	ch := dtlsRecord(22, 0, dtlsFrag(1, 0, 100, 0, make([]byte, 100)))
	if c := DetectDTLS(proto.FromOrig, ch, 4433, 17); c != proto.Sure {
		t.Errorf("client hello: %v", c)
	}
	if c := DetectDTLS(proto.FromOrig, ch, 4433, 6); c != proto.No {
		t.Errorf("over TCP: %v", c)
	}
	if c := DetectDTLS(proto.FromOrig, dtlsRecord(22, 1, dtlsFrag(1, 0, 10, 0, make([]byte, 10))), 4433, 17); c != proto.No {
		t.Errorf("epoch 1: %v", c)
	}
	if c := DetectDTLS(proto.FromResp, dtlsRecord(22, 0, dtlsFrag(3, 0, 3, 0, []byte{0xfe, 0xff, 0})), 4433, 17); c != proto.Likely {
		t.Errorf("hello verify request: %v", c)
	}
}

func FuzzDTLS(f *testing.F) {
	ch := dtlsHello()
	f.Add(dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), 0, ch)), dtlsRecord(22, 0, dtlsFrag(2, 0, 10, 0, make([]byte, 10))))
	f.Add(dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), 0, ch[:50])), dtlsRecord(22, 0, dtlsFrag(1, 0, len(ch), 50, ch[50:])))
	f.Fuzz(func(t *testing.T, orig, resp []byte) {
		feed := func(a proto.Analyzer) {
			for i := 0; i < 3; i++ {
				a.Data(proto.FromOrig, int64(i), orig)
				a.Data(proto.FromResp, int64(i), resp)
			}
			a.End(1 << 40)
		}
		a := NewDTLS(&dtlsConn, nopSink{})
		feed(a)
		prototest.CheckReuse(t, a, &dtlsConn, func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return NewDTLS(ci, out)
		}, feed)
	})
}
