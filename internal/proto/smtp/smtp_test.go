package smtp

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = prototest.TCPConn("10.0.0.1", 40000, "192.0.2.25", 25)

type step struct {
	dir  proto.Direction
	data string
}

var session = []step{
	{proto.FromResp, "220 mx.example.com ESMTP ready\r\n"},
	{proto.FromOrig, "EHLO client.example.org\r\n"},
	{proto.FromResp, "250-mx.example.com\r\n250-CHUNKING\r\n250 OK\r\n"},
	{proto.FromOrig, "MAIL FROM:<alice@example.org> SIZE=100\r\n"},
	{proto.FromResp, "250 OK\r\n"},
	{proto.FromOrig, "RCPT TO:<bob@example.com>\r\nRCPT TO:<carol@example.com> ORCPT=rfc822;carol@example.com\r\n"},
	{proto.FromResp, "250 OK\r\n250 OK\r\n"},
	{proto.FromOrig, "DATA\r\n"},
	{proto.FromResp, "354 go ahead\r\n"},
	{proto.FromOrig, "Received: from a.example.org (a.example.org [203.0.113.9])\r\n\tby mx; Mon, 1 Jan 2024\r\n" +
		"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.com>, \"Carol, C\" <carol@example.com>\r\n" +
		"Subject: hello\r\n there\r\nX-Originating-IP: [198.51.100.7]\r\nX-Mailer: Tester 1.0\r\n" +
		"Message-ID: <1@example.org>\r\n\r\nbody line\r\n..dot\r\nFrom: not a header\r\n.\r\n"},
	{proto.FromResp, "250 queued\r\n"},
	{proto.FromOrig, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<dave@example.com>\r\nBDAT 22 LAST\r\nSubject: chunked\r\n\r\nhi\r\n"},
	{proto.FromResp, "250 OK\r\n250 OK\r\n250 chunk ok\r\n"},
	{proto.FromOrig, "QUIT\r\n"},
	{proto.FromResp, "221 bye\r\n"},
}

func run(t testing.TB, steps []step, split int) []string {
	s := &prototest.Sink{T: t}
	a := New(ci, s)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, []byte(st.data), split)
	}
	a.End(1e12)
	return s.Recs
}

func TestSession(t *testing.T) {
	recs := run(t, session, 0)
	if len(recs) != 2 {
		t.Fatalf("%d records:\n%s", len(recs), strings.Join(recs, "\n"))
	}
	for _, w := range []string{
		`"trans_depth":1,"helo":"client.example.org","mailfrom":"alice@example.org","rcptto":["bob@example.com","carol@example.com"]`,
		`"from":"Alice <alice@example.org>","to":["Bob <bob@example.com>","\"Carol, C\" <carol@example.com>"]`,
		`"msg_id":"<1@example.org>","subject":"hello there","x_originating_ip":"198.51.100.7"`,
		`"first_received":"from a.example.org (a.example.org [203.0.113.9])\tby mx; Mon, 1 Jan 2024","last_reply":"250 queued","path":["192.0.2.25","10.0.0.1","203.0.113.9"],"user_agent":"Tester 1.0","tls":false`,
		`"tls":false,"banner":"mx.example.com ESMTP ready"}`,
	} {
		if !strings.Contains(recs[0], w) {
			t.Errorf("missing %s in\n%s", w, recs[0])
		}
	}
	if w := `"trans_depth":2,"helo":"client.example.org","mailfrom":"alice@example.org","rcptto":["dave@example.com"],"subject":"chunked","last_reply":"250 chunk ok"`; !strings.Contains(recs[1], w) {
		t.Errorf("missing %s in\n%s", w, recs[1])
	}
}

func TestEverySplit(t *testing.T) {
	whole := strings.Join(run(t, session, 0), "\n")
	for n := 1; n < 120; n++ {
		if got := strings.Join(run(t, session, n), "\n"); got != whole {
			t.Fatalf("split %d:\n%s\nwant\n%s", n, got, whole)
		}
	}
}

func TestStartTLS(t *testing.T) {
	recs := run(t, []step{
		{proto.FromResp, "220 mx ESMTP\r\n"},
		{proto.FromOrig, "EHLO x\r\n"},
		{proto.FromResp, "250 OK\r\n"},
		{proto.FromOrig, "STARTTLS\r\n"},
		{proto.FromResp, "220 go ahead\r\n"},
		{proto.FromOrig, "\x16\x03\x01\x00\x05hello\r\nMAIL FROM:<x@y>\r\n"},
	}, 0)
	if len(recs) != 1 || !strings.Contains(recs[0], `"last_reply":"220 go ahead","path":["192.0.2.25","10.0.0.1"],"tls":true`) ||
		strings.Contains(recs[0], "mailfrom") {
		t.Fatalf("%v", recs)
	}
}

func TestEmails(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"FROM:<a@b.c>", "a@b.c"},
		{"TO:<a@b.c>, <d@e.f>", "a@b.c d@e.f"},
		{"FROM:<> SIZE=1", ""},
		{"TO:bob@x.org NOTIFY=NEVER", "bob@x.org"},
	} {
		if got := strings.Join(extractEmails(c.in), " "); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBounds(t *testing.T) {
	s := &prototest.Sink{T: t}
	a := New(ci, s)
	a.Data(proto.FromOrig, 1, []byte("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"))
	a.Data(proto.FromOrig, 1, []byte(strings.Repeat("X-H: v\r\n", 2*MaxHeaders)))
	a.Data(proto.FromOrig, 1, []byte("To: "+strings.Repeat("a@b,", 3*MaxAddrs)+"\r\n"))
	a.Data(proto.FromOrig, 1, []byte("Subject: x\r\n"+strings.Repeat(" y\r\n", MaxHeader)))
	a.Data(proto.FromOrig, 1, []byte(strings.Repeat("z", 4*MaxLine)))
	if len(a.hdr) > MaxHeader || a.sides[0].Len() > MaxLine || a.nHeaders > MaxHeaders {
		t.Fatal("bound broken")
	}
	a.Data(proto.FromOrig, 1, []byte(strings.Repeat("NOOP\r\n", 3*MaxPendingCmds)))
	if len(a.pending) > MaxPendingCmds {
		t.Fatal("pending bound")
	}
	a.End(2)
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{
		"BDAT\r\n", "BDAT -5 LAST\r\n", "BDAT 99999999999999999999999\r\n", "BDAT 5 LAST\r\nab",
		"DATA\r\n", "\x00\xff\r\n", "RCPT TO:\r\n", "MAIL FROM:<<<@@@>>>\r\n",
	} {
		s := &prototest.Sink{T: t}
		a := New(ci, s)
		a.Data(proto.FromOrig, 1, []byte("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"+in))
		a.Gap(proto.FromOrig, 7)
		a.Data(proto.FromResp, 1, []byte("99\r\n2\r\n250-x\r\n"))
		a.End(2)
	}
}

func TestDetect(t *testing.T) {
	if Detect(proto.FromResp, []byte("220 mx.example.com ESMTP Postfix\r\n"), 2525, 6) != proto.Likely {
		t.Error("banner")
	}
	if Detect(proto.FromOrig, []byte("ehlo me\r\n"), 2525, 6) != proto.Likely {
		t.Error("EHLO")
	}
	if Detect(proto.FromResp, []byte("220 FTP ready\r\n"), 2525, 6) != proto.No {
		t.Error("FTP banner")
	}
}

// FuzzSMTP feeds pieces: a control byte (bit 7 responder, bit 6 gap, low
// 6 bits length) then the piece.
func FuzzSMTP(f *testing.F) {
	var in []byte
	for _, s := range session {
		in = prototest.AppendPieces(in, s.dir, []byte(s.data))
	}
	f.Add(in)
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &prototest.Sink{T: t}
		a := New(ci, s)
		for len(in) > 0 {
			c := in[0]
			in = in[1:]
			dir := proto.Direction(c >> 7)
			n := int(c & 63)
			if c&64 != 0 && n > 60 {
				a.Gap(dir, n)
				continue
			}
			n = min(n, len(in))
			a.Data(dir, 1, in[:n])
			in = in[n:]
			if a.sides[0].Len() > MaxLine || a.sides[1].Len() > MaxLine || len(a.hdr) > MaxHeader ||
				len(a.pending) > MaxPendingCmds || a.bdat.Len() > MaxLine {
				t.Fatal("bound broken")
			}
		}
		a.End(2)
	})
}

// TestUpgradeSTARTTLS checks the hand-over to TLS: only after STARTTLS is
// answered by 220 (at the end of a multi-line reply), once, with the bytes
// after the reply line (its CRLF included) left to TLS.
func TestUpgradeSTARTTLS(t *testing.T) {
	a := New(ci, &prototest.Sink{})
	a.Data(proto.FromResp, 1, []byte("220 mx ESMTP\r\n"))
	a.Data(proto.FromOrig, 2, []byte("EHLO c\r\nSTARTTLS\r\n"))
	if _, _, ok := a.Upgrade(); ok {
		t.Fatal("hand-over before the reply")
	}
	a.Data(proto.FromResp, 3, []byte("250 ok\r\n220-go\r\n"))
	if _, _, ok := a.Upgrade(); ok {
		t.Fatal("hand-over on a 220 continuation line")
	}
	reply := "220 2.0.0 Ready to start TLS\r\n"
	a.Data(proto.FromResp, 4, []byte(reply+"\x16\x03\x01"))
	next, used, ok := a.Upgrade()
	if !ok || next != "ssl" || used != len(reply) {
		t.Fatalf("Upgrade() = %q, %d, %v; want ssl, %d, true", next, used, ok, len(reply))
	}
	if _, _, ok := a.Upgrade(); ok {
		t.Error("hand-over reported twice")
	}
	b := New(ci, &prototest.Sink{})
	b.Data(proto.FromOrig, 1, []byte("STARTTLS\r\n"))
	b.Data(proto.FromResp, 2, []byte("454 TLS not available\r\n"))
	if _, _, ok := b.Upgrade(); ok {
		t.Error("hand-over after a refused STARTTLS")
	}
}
