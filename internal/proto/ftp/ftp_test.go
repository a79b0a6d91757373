package ftp

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

type step struct {
	dir  proto.Direction
	data string
}

var ci = prototest.TCPConn("10.0.0.1", 40000, "192.0.2.9", 21)

func run(t testing.TB, steps []step, split int) []string {
	ftp, _ := runAll(t, steps, split)
	return ftp
}

// runAll returns the ftp.log records and the login outcomes (AuthLog).
func runAll(t testing.TB, steps []step, split int) (ftp, auth []string) {
	s := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, s)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, []byte(st.data), split)
	}
	a.End(1e12)
	for _, r := range s.Recs {
		log, line, _ := strings.Cut(r, " ")
		switch log {
		case "ftp":
			ftp = append(ftp, line)
		case AuthLog:
			auth = append(auth, line)
		default:
			t.Fatalf("record of log %q", log)
		}
	}
	return ftp, auth
}

// TestLoginOutcomes: every reply to PASS is a login outcome for the
// detectors, refused or accepted.
func TestLoginOutcomes(t *testing.T) {
	_, auth := runAll(t, []step{
		{proto.FromResp, "220 ready\r\n"},
		{proto.FromOrig, "USER root\r\nPASS 1234\r\n"},
		{proto.FromResp, "331 Password required\r\n530 Login incorrect.\r\n"},
		{proto.FromOrig, "USER root\r\nPASS xc3511\r\n"},
		{proto.FromResp, "331 Password required\r\n230 Login successful.\r\n"},
	}, 0)
	if len(auth) != 2 || !strings.Contains(auth[0], `"user":"root","password":"1234","success":false`) ||
		!strings.Contains(auth[1], `"user":"root","password":"xc3511","success":true`) {
		t.Errorf("login outcomes %q", auth)
	}
}

// TestLoginOutcomeOnUser: vsftpd lets anonymous in at USER (230, no
// PASS asked) and refuses a denied user there (530): both are outcomes.
// Before, a job fetching a file anonymously every 25 seconds gave no
// outcome, and its short connections made a brute force (the lab's
// benign run).
func TestLoginOutcomeOnUser(t *testing.T) {
	_, auth := runAll(t, []step{
		{proto.FromResp, "220 ready\r\n"},
		{proto.FromOrig, "USER root\r\n"},
		{proto.FromResp, "530 Permission denied.\r\n"},
		{proto.FromOrig, "USER anonymous\r\n"},
		{proto.FromResp, "230 Login successful.\r\n"},
		{proto.FromOrig, "RETR /pub/fw.bin\r\n"},
		{proto.FromResp, "150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n"},
	}, 0)
	if len(auth) != 2 || !strings.Contains(auth[0], `"user":"root","password":"","success":false`) ||
		!strings.Contains(auth[1], `"user":"anonymous","password":"","success":true`) {
		t.Errorf("login outcomes %q", auth)
	}
}

// TestLoginFactKeepsPassword: the outcome carries the password typed,
// which ftp.log hides (Zeek's default), even when a command sent before
// the reply to PASS made the pending record hide it.
func TestLoginFactKeepsPassword(t *testing.T) {
	ftp, auth := runAll(t, []step{
		{proto.FromResp, "220 ready\r\n"},
		{proto.FromOrig, "USER admin\r\n"},
		{proto.FromResp, "331 Password required\r\n"},
		{proto.FromOrig, "PASS S3cure-Passphrase!\r\nSYST\r\n"},
		{proto.FromResp, "230 Login successful.\r\n215 UNIX Type: L8\r\n"},
		{proto.FromOrig, "PASV\r\n"},
		{proto.FromResp, "227 Entering Passive Mode (192,0,2,9,4,1)\r\n"},
	}, 0)
	if len(auth) != 1 || !strings.Contains(auth[0], `"user":"admin","password":"S3cure-Passphrase!","success":true`) {
		t.Errorf("login outcomes %q", auth)
	}
	if len(ftp) != 1 || !strings.Contains(ftp[0], `"password":"<hidden>"`) {
		t.Errorf("ftp.log %q", ftp)
	}
}

var session = []step{
	{proto.FromResp, "220 FTP server ready.\r\n"},
	{proto.FromOrig, "USER anonymous\r\n"},
	{proto.FromResp, "331 Guest login ok\r\n"},
	{proto.FromOrig, "PASS me@example.com\r\n"},
	{proto.FromResp, "230-Welcome\r\n230-more text\r\n230 Guest login ok.\r\n"},
	{proto.FromOrig, "PWD\r\n"},
	{proto.FromResp, "257 \"/pub\" is current directory.\r\n"},
	{proto.FromOrig, "PASV\r\n"},
	{proto.FromResp, "227 Entering Passive Mode (192,0,2,9,4,1)\r\n"},
	{proto.FromOrig, "RETR ../etc/file.txt\r\n"},
	{proto.FromResp, "150 Opening BINARY mode data connection for file.txt (1234 bytes).\r\n226 Transfer complete.\r\n"},
	{proto.FromOrig, "EPRT |2|2001:db8::1|5282|\r\n"},
	{proto.FromResp, "200 EPRT command successful.\r\n"},
	{proto.FromOrig, "QUIT\r\n"},
	{proto.FromResp, "221 Goodbye.\r\n"},
}

func TestSession(t *testing.T) {
	recs := run(t, session, 0)
	want := []string{
		`"command":"PASV","reply_code":227,"reply_msg":"Entering Passive Mode (192,0,2,9,4,1)","data_channel.passive":true,"data_channel.orig_h":"10.0.0.1","data_channel.resp_h":"192.0.2.9","data_channel.resp_p":1025`,
		`"password":"me@example.com","command":"RETR","arg":"ftp://192.0.2.9/etc/file.txt","file_size":1234,"reply_code":226,"reply_msg":"Transfer complete."`,
		`"command":"EPRT","arg":"|2|2001:db8::1|5282|","reply_code":200,"reply_msg":"EPRT command successful.","data_channel.passive":false,"data_channel.orig_h":"192.0.2.9","data_channel.resp_h":"2001:db8::1","data_channel.resp_p":5282`,
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records:\n%s", len(recs), strings.Join(recs, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(recs[i], w) {
			t.Errorf("record %d:\n got %s\nwant …%s…", i, recs[i], w)
		}
		if !strings.HasSuffix(recs[i], `,"banner":"FTP server ready."}`) {
			t.Errorf("record %d without the server's greeting: %s", i, recs[i])
		}
	}
}

func TestEverySplit(t *testing.T) {
	whole := strings.Join(run(t, session, 0), "\n")
	for n := 1; n < 80; n++ {
		if got := strings.Join(run(t, session, n), "\n"); got != whole {
			t.Fatalf("split %d:\n%s\nwant\n%s", n, got, whole)
		}
	}
}

func TestHiddenPassword(t *testing.T) {
	saved := LoggedCommands
	defer func() { LoggedCommands = saved }()
	LoggedCommands = map[string]bool{"PASS": true}
	recs := run(t, []step{
		{proto.FromResp, "220 ready\r\n"},
		{proto.FromOrig, "USER alice\r\n"},
		{proto.FromResp, "331 Password required\r\n"},
		{proto.FromOrig, "PASS secret\r\n"},
		{proto.FromResp, "530 Login incorrect.\r\n"},
	}, 0)
	if len(recs) != 1 || !strings.Contains(recs[0], `"password":"<hidden>","command":"PASS","arg":"<hidden>"`) {
		t.Fatalf("%v", recs)
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{
		"\x00\x01\x02\r\n", "99 bad\r\n", "abc\r\n", "230_nospace\r\n", strings.Repeat("x", 3*MaxLine) + "\r\n",
		"227 Entering Passive Mode (999,1,1,1,1,1)\r\n", "229 (|||99999|)\r\n",
	} {
		s := &prototest.Sink{T: t}
		a := New(ci, s)
		a.Data(proto.FromOrig, 1, []byte("PASV\r\nEPSV\r\nPORT 1,2,3\r\nEPRT |9|x|y|\r\n"))
		a.Data(proto.FromResp, 2, []byte(in))
		a.Gap(proto.FromResp, 10)
		a.End(3)
		for _, r := range s.Recs {
			if strings.Contains(r, "data_channel") {
				t.Errorf("%q: data channel from a malformed reply: %s", in, r)
			}
		}
	}
}

func TestBounds(t *testing.T) {
	s := &prototest.Sink{T: t}
	a := New(ci, s)
	a.Data(proto.FromOrig, 1, []byte(strings.Repeat("NOOP\r\n", 1000)))
	if len(a.pending) > MaxPending {
		t.Fatalf("%d pending", len(a.pending))
	}
	a.Data(proto.FromOrig, 1, []byte("USER "+strings.Repeat("u", 1000)+"\r\n"))
	if len(a.user) > MaxUser {
		t.Fatalf("user %d bytes", len(a.user))
	}
	a.Data(proto.FromOrig, 1, []byte(strings.Repeat("y", 5*MaxLine)))
	if a.sides[0].Len() > MaxLine {
		t.Fatal("line bound")
	}
}

func TestCompressPath(t *testing.T) {
	for _, c := range [][3]string{
		{".", "robots.txt", "./robots.txt"},
		{"/", "robots.txt", "/robots.txt"},
		{"/pub/a", "../b", "/pub/b"},
		{"/pub", "/x//y/./z", "/x/y/z"},
		{"/", "..", ""},
	} {
		if got := buildPathCompressed(c[0], c[1]); got != c[2] {
			t.Errorf("%q + %q = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestDetect(t *testing.T) {
	if Detect(proto.FromResp, []byte("220 ProFTPD Server ready\r\n"), 2121, 6) != proto.Likely {
		t.Error("FTP banner")
	}
	if Detect(proto.FromResp, []byte("220 mail ESMTP Postfix ftp\r\n"), 25, 6) != proto.No {
		t.Error("SMTP banner")
	}
	if Detect(proto.FromOrig, []byte("USER bob\r\n"), 9999, 6) != proto.Likely {
		t.Error("USER")
	}
}

// FuzzFTP feeds pieces: a control byte (bit 7 responder, bit 6 gap, low 6
// bits length) then the piece.
func FuzzFTP(f *testing.F) {
	var in []byte
	for _, s := range session {
		in = append(in, byte(s.dir)<<7|byte(min(len(s.data), 63)))
		in = append(in, s.data[:min(len(s.data), 63)]...)
	}
	f.Add(in)
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &prototest.Sink{T: t}
		a := New(ci, s)
		prototest.Replay(a, in, 1, 0, func(int) {
			if len(a.pending) > MaxPending || a.sides[0].Len() > MaxLine || a.sides[1].Len() > MaxLine {
				t.Fatal("bound broken")
			}
		})
		a.End(2)
	})
}

// TestUpgradeAuthTLS checks the hand-over to TLS: after AUTH TLS answered
// by 234, once, with the bytes after the reply line left to TLS; not after
// AUTH SSL (Zeek's FTP analyzer checks for "TLS" only).
func TestUpgradeAuthTLS(t *testing.T) {
	a := New(ci, &prototest.Sink{})
	a.Data(proto.FromResp, 1, []byte("220 (vsFTPd 3.0.5)\r\n"))
	a.Data(proto.FromOrig, 2, []byte("AUTH TLS\r\n"))
	if _, _, ok := a.Upgrade(); ok {
		t.Fatal("hand-over before the reply")
	}
	reply := "234 Proceed with negotiation.\r\n"
	a.Data(proto.FromResp, 3, []byte(reply+"\x16\x03\x03"))
	next, used, ok := a.Upgrade()
	if !ok || next != "ssl" || used != len(reply) {
		t.Fatalf("Upgrade() = %q, %d, %v; want ssl, %d, true", next, used, ok, len(reply))
	}
	if _, _, ok := a.Upgrade(); ok {
		t.Error("hand-over reported twice")
	}
	b := New(ci, &prototest.Sink{})
	b.Data(proto.FromOrig, 1, []byte("AUTH SSL\r\n"))
	b.Data(proto.FromResp, 2, []byte("234 go\r\n"))
	if _, _, ok := b.Upgrade(); ok {
		t.Error("hand-over after AUTH SSL")
	}
}
