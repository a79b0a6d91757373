package pop3

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = prototest.TCPConn("10.0.0.1", 40000, "192.0.2.110", 110)

type step struct {
	dir  proto.Direction
	data string
}

var session = []step{
	{proto.FromResp, "+OK POP3 server ready <1.2@example.com>\r\n"},
	{proto.FromOrig, "CAPA\r\n"},
	{proto.FromResp, "+OK Capability list follows\r\nUSER\r\nSTLS\r\n.\r\n"},
	{proto.FromOrig, "AUTH PLAIN\r\n"},
	{proto.FromResp, "+ \r\n"},
	{proto.FromOrig, "AGFsaWNlAHNlY3JldA==\r\n"},
	{proto.FromResp, "-ERR authentication failed\r\n"},
	{proto.FromOrig, "USER alice\r\nPASS secret\r\n"},
	{proto.FromResp, "+OK\r\n+OK maildrop has 2 messages\r\n"},
	{proto.FromOrig, "LIST\r\nLIST 1\r\nRETR 1\r\n"},
	{proto.FromResp, "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n+OK 1 120\r\n+OK message follows\r\nSubject: x\r\n\r\n+OK not a reply\r\n..\r\n.\r\n"},
	{proto.FromOrig, "QUIT\n"},
	{proto.FromResp, "+OK bye\n"},
}

const sessionEvents = "C CAPA|S +OK CAPA|S .|C AUTH|S +|C sasl|S -ERR AUTH|C USER|C PASS|S +OK USER|S +OK PASS|" +
	"C LIST|C LIST|C RETR|S +OK LIST|S .|S +OK LIST|S +OK RETR|S .|C QUIT|S +OK QUIT"

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
	// The greeting pairs with no command: it is not an event of its own.
	want := "S +OK |" + sessionEvents
	if ev != want {
		t.Fatalf("events\n%s\nwant\n%s", ev, want)
	}
	if a.Service() != "pop3" || a.user != "alice" || a.commands != 8 {
		t.Errorf("service %q user %q commands %d", a.Service(), a.user, a.commands)
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

// TestConfirm: as in Zeek, only a "+OK" to USER, CAPA or STLS confirms.
func TestConfirm(t *testing.T) {
	for _, c := range []struct {
		steps []step
		want  string
	}{
		{[]step{{proto.FromResp, "+OK ready\r\n"}}, ""},
		{[]step{{proto.FromResp, "+OK ready\r\n"}, {proto.FromOrig, "LIST\r\n"}, {proto.FromResp, "GARBAGE\r\n"}}, ""},
		{[]step{{proto.FromOrig, "USER bob\r\n"}, {proto.FromResp, "-ERR no\r\n"}}, ""},
		{[]step{{proto.FromOrig, "USER bob\r\n"}, {proto.FromResp, "+OK\r\n"}}, "pop3"},
		{[]step{{proto.FromOrig, "capa\r\n"}, {proto.FromResp, "+ok\r\n.\r\n"}}, "pop3"},
	} {
		if a, _ := run(c.steps, 0); a.Service() != c.want {
			t.Errorf("%q: service %q, want %q", c.steps, a.Service(), c.want)
		}
	}
}

// TestUpgradeSTLS checks the hand-over to TLS: only after STLS is answered
// by "+OK", once, with the bytes after the reply line left to TLS.
func TestUpgradeSTLS(t *testing.T) {
	a := New(ci, &prototest.Sink{})
	a.Data(proto.FromResp, 1, []byte("+OK ready\r\n"))
	a.Data(proto.FromOrig, 2, []byte("STLS\r\n"))
	if _, _, ok := a.Upgrade(); ok {
		t.Fatal("hand-over before the reply")
	}
	reply := "+OK Begin TLS negotiation now\r\n"
	a.Data(proto.FromResp, 3, []byte(reply+"\x16\x03\x01"))
	next, used, ok := a.Upgrade()
	if !ok || next != "ssl" || used != len(reply) || !a.Finished() || a.Service() != "pop3" {
		t.Fatalf("Upgrade() = %q, %d, %v; want ssl, %d, true", next, used, ok, len(reply))
	}
	if _, _, ok := a.Upgrade(); ok {
		t.Error("hand-over reported twice")
	}
	b := New(ci, &prototest.Sink{})
	b.Data(proto.FromOrig, 1, []byte("STLS\r\n"))
	b.Data(proto.FromResp, 2, []byte("-ERR no TLS\r\n"))
	if _, _, ok := b.Upgrade(); ok {
		t.Error("hand-over after a refused STLS")
	}
	// Split reply: CR in one call, LF in the next.
	c := New(ci, &prototest.Sink{})
	c.Data(proto.FromOrig, 1, []byte("STLS\r\n"))
	c.Data(proto.FromResp, 2, []byte("+OK go\r"))
	if _, used, ok := c.Upgrade(); !ok || used != 7 {
		t.Fatalf("split reply: %d %v", used, ok)
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
		{proto.FromResp, "+OK Dovecot ready.\r\n", 9999, 6, proto.Likely},
		{proto.FromResp, "+OK\r\n", 6379, 6, proto.No}, // Redis
		{proto.FromOrig, "CAPA\r\n", 9999, 6, proto.Likely},
		{proto.FromOrig, "stls\r\n", 9999, 6, proto.Likely},
		{proto.FromOrig, "USER x\r\n", 21, 6, proto.No},
		{proto.FromOrig, "GET / HTTP/1.1\r\n", 110, 6, proto.Maybe},
		{proto.FromResp, "+OK hi\r\n", 110, 17, proto.No},
	} {
		if got := Detect(c.dir, []byte(c.in), c.port, c.trans); got != c.want {
			t.Errorf("Detect(%d, %q, %d) = %d, want %d", c.dir, c.in, c.port, got, c.want)
		}
	}
}

func TestBounds(t *testing.T) {
	a := New(ci, &prototest.Sink{})
	a.Data(proto.FromOrig, 1, []byte(strings.Repeat("NOOP\r\n", 3*MaxPendingCmds)))
	a.Data(proto.FromOrig, 1, []byte(strings.Repeat("x", 10*MaxLine)))
	if len(a.pending) > MaxPendingCmds || a.sides[0].Len() > MaxLine {
		t.Fatalf("pending %d line %d", len(a.pending), a.sides[0].Len())
	}
}

func fuzzSeeds() map[string][]byte {
	var in []byte
	for _, s := range session {
		in = prototest.AppendPieces(in, s.dir, []byte(s.data))
	}
	tls := prototest.AppendPieces(nil, proto.FromResp, []byte("+OK ready\r\n"))
	tls = prototest.AppendPieces(tls, proto.FromOrig, []byte("STLS\r\n"))
	tls = prototest.AppendPieces(tls, proto.FromResp, []byte("+OK go\r\n\x16\x03\x01\x00\x05hello"))
	return map[string][]byte{"session": in, "stls": tls}
}

func TestSeedCorpus(t *testing.T) { prototest.SeedCorpus(t, "FuzzPOP3", fuzzSeeds()) }

// FuzzPOP3 replays pieces and gaps (see prototest.Replay) and checks the
// bounds and the hand-over's consumed count.
func FuzzPOP3(f *testing.F) {
	for _, in := range fuzzSeeds() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t})
		prototest.Replay(a, in, 1, 0, func(n int) {
			if _, used, ok := a.Upgrade(); ok && (used < 0 || used > n) {
				t.Fatalf("consumed %d of %d", used, n)
			}
			if len(a.pending) > MaxPendingCmds || a.sides[0].Len() > MaxLine || a.sides[1].Len() > MaxLine {
				t.Fatal("bounds")
			}
		})
		a.End(2)
		_ = a.Service()
	})
}
