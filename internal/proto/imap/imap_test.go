package imap

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = prototest.TCPConn("10.0.0.1", 40000, "192.0.2.143", 143)

type step struct {
	dir  proto.Direction
	data string
}

var session = []step{
	{proto.FromResp, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"},
	{proto.FromOrig, "a1 capability\r\n"},
	{proto.FromResp, "* CAPABILITY IMAP4rev1 LITERAL+\r\na1 OK done\r\n"},
	{proto.FromOrig, "a2 LOGIN {5}\r\n"},
	{proto.FromResp, "+ go ahead\r\n"},
	{proto.FromOrig, "alice {12+}\r\nx STARTTLS\r\n\r\n"},
	{proto.FromResp, "a2 OK logged in\r\n"},
	{proto.FromOrig, "a3 FETCH 1 BODY[]\r\n"},
	{proto.FromResp, "* 1 FETCH (BODY[] {24}\r\na3 OK fake\r\n* BYE fake\r\n)\r\na3 OK FETCH done\r\n"},
	{proto.FromOrig, "a4 LOGOUT\n"},
	{proto.FromResp, "* BYE\na4 OK\n"},
}

const sessionEvents = "S * OK|C a1 CAPABILITY|S * CAPABILITY|S a1 OK|C a2 LOGIN|S +|S a2 OK|C a3 FETCH|S * 1|S a3 OK|C a4 LOGOUT|S * BYE|S a4 OK"

func run(steps []step, split int) (*Analyzer, string) {
	a := New(ci, &prototest.Sink{})
	var ev []string
	a.event = func(e string) { ev = append(ev, e) }
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, []byte(st.data), split)
	}
	a.End(1e12)
	return a, strings.Join(ev, "|")
}

func TestSession(t *testing.T) {
	a, ev := run(session, 0)
	if ev != sessionEvents {
		t.Fatalf("events\n%s\nwant\n%s", ev, sessionEvents)
	}
	if a.Service() != "imap" || a.tls {
		t.Errorf("service %q tls %v", a.Service(), a.tls)
	}
}

func TestEverySplit(t *testing.T) {
	_, whole := run(session, 0)
	for n := 1; n < 160; n++ {
		if _, got := run(session, n); got != whole {
			t.Fatalf("split %d:\n%s\nwant\n%s", n, got, whole)
		}
	}
}

func TestConfirm(t *testing.T) {
	for _, c := range []struct {
		steps []step
		want  string
	}{
		{[]step{{proto.FromResp, "* OK ready\r\n"}}, "imap"},
		{[]step{{proto.FromResp, "* NO busy\r\n"}}, ""},
		{[]step{{proto.FromOrig, "1 LOGIN a b\r\n"}}, ""},
		{[]step{{proto.FromOrig, "1 STARTTLS\r\n"}}, "imap"},
		{[]step{{proto.FromOrig, "+ CAPABILITY\r\n"}}, ""},
	} {
		if a, _ := run(c.steps, 0); a.Service() != c.want {
			t.Errorf("%q: service %q, want %q", c.steps, a.Service(), c.want)
		}
	}
}

// TestUpgradeSTARTTLS checks the hand-over to TLS: only after STARTTLS is
// answered by OK with its tag, once, with the bytes after the reply line
// left to TLS.
func TestUpgradeSTARTTLS(t *testing.T) {
	a := New(ci, &prototest.Sink{})
	a.Data(proto.FromResp, 1, []byte("* OK ready\r\n"))
	a.Data(proto.FromOrig, 2, []byte(". STARTTLS\r\n"))
	if _, _, ok := a.Upgrade(); ok {
		t.Fatal("hand-over before the reply")
	}
	a.Data(proto.FromResp, 3, []byte("* OK untagged\r\nx OK other tag\r\n"))
	if _, _, ok := a.Upgrade(); ok {
		t.Fatal("hand-over on another tag")
	}
	reply := ". OK Begin TLS negotiation now\r\n"
	a.Data(proto.FromResp, 4, []byte(reply+"\x16\x03\x01"))
	next, used, ok := a.Upgrade()
	if !ok || next != "ssl" || used != len(reply) || !a.Finished() {
		t.Fatalf("Upgrade() = %q, %d, %v; want ssl, %d, true", next, used, ok, len(reply))
	}
	if _, _, ok := a.Upgrade(); ok {
		t.Error("hand-over reported twice")
	}
	b := New(ci, &prototest.Sink{})
	b.Data(proto.FromOrig, 1, []byte("t1 STARTTLS\r\n"))
	b.Data(proto.FromResp, 2, []byte("t1 BAD no\r\nt1 OK late\r\n"))
	if _, _, ok := b.Upgrade(); ok {
		t.Error("hand-over after a refused STARTTLS")
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		dir   proto.Direction
		in    string
		port  uint16
		trans uint8
		want  proto.Confidence
	}{
		{proto.FromResp, "* OK [CAPABILITY IMAP4rev1] ready\r\n", 9999, 6, proto.Likely},
		{proto.FromResp, "* PREAUTH hi\r\n", 9999, 6, proto.Likely},
		{proto.FromOrig, "a001 CAPABILITY\r\n", 9999, 6, proto.Likely},
		{proto.FromOrig, ". starttls\r\n", 9999, 6, proto.Likely},
		{proto.FromOrig, "a001 CAPABILITY", 9999, 6, proto.No}, // no line end yet
		{proto.FromOrig, "*2\r\n$4\r\nAUTH\r\n", 6379, 6, proto.No},
		{proto.FromOrig, "GET / HTTP/1.1\r\n", 143, 6, proto.Maybe},
		{proto.FromResp, "* OK hi\r\n", 143, 17, proto.No},
	} {
		if got := Detect(c.dir, []byte(c.in), c.port, c.trans); got != c.want {
			t.Errorf("Detect(%d, %q, %d) = %d, want %d", c.dir, c.in, c.port, got, c.want)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, c := range []struct {
		in string
		n  uint64
		ok bool
	}{
		{"a LOGIN {5}", 5, true}, {"x {12+}", 12, true}, {"{0}", 0, true}, {"x {}", 0, false},
		{"x 5}", 0, false}, {"x {99999999999999999999}", 0, false}, {"x {5", 0, false},
	} {
		if n, ok := literal([]byte(c.in)); n != c.n || ok != c.ok {
			t.Errorf("literal(%q) = %d, %v", c.in, n, ok)
		}
	}
}

func fuzzSeeds() map[string][]byte {
	var in []byte
	for _, s := range session {
		in = prototest.AppendPieces(in, s.dir, []byte(s.data))
	}
	tls := prototest.AppendPieces(nil, proto.FromResp, []byte("* OK ready\r\n"))
	tls = prototest.AppendPieces(tls, proto.FromOrig, []byte(". STARTTLS\r\n"))
	tls = prototest.AppendPieces(tls, proto.FromResp, []byte(". OK go\r\n\x16\x03\x01\x00\x05hello"))
	return map[string][]byte{"session": in, "starttls": tls}
}

func TestSeedCorpus(t *testing.T) { prototest.SeedCorpus(t, "FuzzIMAP", fuzzSeeds()) }

// FuzzIMAP replays pieces and gaps and checks the bounds and the
// hand-over's consumed count.
func FuzzIMAP(f *testing.F) {
	for _, in := range fuzzSeeds() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t})
		prototest.Replay(a, in, 1, 0, func(n int) {
			if _, used, ok := a.Upgrade(); ok && (used < 0 || used > n) {
				t.Fatalf("consumed %d of %d", used, n)
			}
			for _, s := range a.sides {
				if s.Len() > MaxLine || s.lit > MaxLiteral {
					t.Fatal("bounds")
				}
			}
		})
		a.End(2)
		_ = a.Service()
	})
}
