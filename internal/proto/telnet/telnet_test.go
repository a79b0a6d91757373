package telnet

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

type step struct {
	dir  proto.Direction
	data string
}

var ci = prototest.TCPConn("10.66.0.66", 40000, "10.66.0.30", 23)

// attempt is one _telnet_auth record, shortened.
type attempt struct {
	User     string
	Password string
	Success  bool
	TS       float64
}

func (a attempt) String() string {
	return fmt.Sprintf("%q/%q %v @%g", a.User, a.Password, a.Success, a.TS)
}

// run feeds steps (step i at time i+1 s) in pieces of at most split
// bytes and returns the attempts reported.
func run(t testing.TB, steps []step, split int) []attempt {
	t.Helper()
	s := &prototest.Sink{T: t, Log: AuthLog}
	a := New(ci, s)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, []byte(st.data), split)
	}
	a.End(int64(len(steps)+1) * 1e9)
	if a.Service() != "" {
		t.Errorf("service %q", a.Service())
	}
	var out []attempt
	for _, r := range s.Recs {
		var m map[string]any
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			t.Fatal(err)
		}
		if m["uid"] != "C1" || m["id.resp_p"] != 23.0 {
			t.Errorf("conn fields: %s", r)
		}
		u, _ := m["user"].(string)
		p, _ := m["password"].(string)
		ok, _ := m["success"].(bool)
		ts, _ := m["ts"].(float64)
		out = append(out, attempt{u, p, ok, ts})
	}
	return out
}

const (
	iac  = "\xff"
	neg  = iac + "\xfd\x01" + iac + "\xfd\x1f" + iac + "\xfb\x01" + iac + "\xfb\x03" // busybox telnetd's opening
	resp = iac + "\xfc\x01" + iac + "\xfb\x1f" + iac + "\xfd\x01" + iac + "\xfd\x03"
	naws = iac + "\xfa\x1f\x00\x50\x00\x18" + iac + "\xf0"
)

const busybox = "\r\n\r\n\r\nBusyBox v1.24.1 (2016-10-11 11:06:02 CST) built-in shell (ash)\r\nEnter 'help' for a list of built-in commands.\r\n\r\n# "

// typed is a line typed a character at a time with the server echoing
// each (echo false: a password, not echoed).
func typed(line, end string, echo bool) []step {
	var s []step
	for _, c := range line {
		s = append(s, step{proto.FromOrig, string(c)})
		if echo {
			s = append(s, step{proto.FromResp, string(c)})
		}
	}
	s = append(s, step{proto.FromOrig, end})
	if echo {
		s = append(s, step{proto.FromResp, "\r\n"})
	}
	return s
}

func cat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var dialogues = []struct {
	name  string
	steps []step
	want  []attempt // TS in seconds
}{
	{"character mode with echo, BusyBox shell", cat(
		[]step{{proto.FromResp, neg}, {proto.FromOrig, resp + naws}, {proto.FromResp, "\r\nipcam login: "}},
		typed("root", "\r\x00", true),
		[]step{{proto.FromResp, "Password: "}},
		typed("xc3511", "\r\x00", false),
		[]step{{proto.FromResp, busybox}, {proto.FromOrig, "e"}},
	), []attempt{{"root", "xc3511", true, 22}}},
	{"line mode (LF only), as the lab's Mirai", []step{
		{proto.FromResp, neg}, {proto.FromOrig, resp},
		{proto.FromResp, "\r\nipcam login: "},
		{proto.FromOrig, "root\n"},
		{proto.FromResp, "r"}, {proto.FromResp, "o"}, {proto.FromResp, "o"}, {proto.FromResp, "t"}, {proto.FromResp, "\r\n"},
		{proto.FromResp, "Password: "},
		{proto.FromOrig, "xc3511\n"},
		{proto.FromResp, busybox},
	}, []attempt{{"root", "xc3511", true, 12}}},
	{"failure then success on one connection", []step{
		{proto.FromResp, "Debian GNU/Linux 12\r\nsrv login: "},
		{proto.FromOrig, "admin\r\n"},
		{proto.FromResp, "admin\r\nPassword: "},
		{proto.FromOrig, "letmein\r\n"},
		{proto.FromResp, "\r\n"},
		{proto.FromResp, "Login incorrect\r\nsrv login: "},
		{proto.FromOrig, "operator\r\n"},
		{proto.FromResp, "operator\r\nPassword: "},
		{proto.FromOrig, "S3cret!\r\n"},
		{proto.FromResp, "\r\nLast login: Mon Jan  6 09:12:44 from 10.66.0.21\r\n$ "},
		{proto.FromOrig, "id\r\n"},
	}, []attempt{{"admin", "letmein", false, 6}, {"operator", "S3cret!", true, 10}}},
	{"IAC noise inside the dialogue", []step{
		{proto.FromResp, neg + "\r\nlog" + iac + "\xf9in: "},
		{proto.FromOrig, "ro" + iac + "\xfb\x18" + "o" + naws + "t\r\n"},
		{proto.FromResp, "Pass" + iac + "\xf1" + "word: "},
		{proto.FromOrig, "p" + iac + iac + "ss" + iac + "\xf7" + "w\r\x00"}, // IAC IAC is 0xFF, IAC EC erases the second s
		{proto.FromResp, iac + "\xfb\x01\r\nLogin incorrect\r\n"},
	}, []attempt{{"root", "p\u00ffsw", false, 5}}}, // the byte 0xFF is written as \u00ff (record.AppendString)
	{"editing with backspace, DEL and ^U", []step{
		{proto.FromResp, "login: "},
		{proto.FromOrig, "guest\x15ro\x08\x08root\r\n"},
		{proto.FromResp, "Password: "},
		{proto.FromOrig, "admin1\x7f\r\n"},
		{proto.FromResp, "\r\nLogin incorrect\r\n\r\nlogin: "},
	}, []attempt{{"root", "admin", false, 5}}},
	{"typed ahead of the prompts", []step{
		{proto.FromOrig, "root\nxc3511\n"},
		{proto.FromResp, neg + "\r\nipcam login: root\r\nPassword: "},
		{proto.FromResp, busybox},
	}, []attempt{{"root", "xc3511", true, 3}}},
	{"password only (Cisco) and a '>' prompt", []step{
		{proto.FromResp, "\r\n\r\nUser Access Verification\r\n\r\nPassword: "},
		{proto.FromOrig, "cisco\r\n"},
		{proto.FromResp, "\r\n% Bad passwords\r\n\r\nPassword: "},
		{proto.FromOrig, "Cisco123\r\n"},
		{proto.FromResp, "\r\nrouter>"},
	}, []attempt{{"", "cisco", false, 3}, {"", "Cisco123", true, 5}}},
	{"Username prompt, invalid, then a coloured prompt", []step{
		{proto.FromResp, "Welcome to the ACME switch\r\nUsername: "},
		{proto.FromOrig, "admin\r\n"},
		{proto.FromResp, "admin\r\nPassword:"},
		{proto.FromOrig, "admin\r\n"},
		{proto.FromResp, "\r\n% Login invalid\r\n\r\nUsername: "},
		{proto.FromOrig, "manager\r\n"},
		{proto.FromResp, "manager\r\nPassword:"},
		{proto.FromOrig, "friend\r\n"},
		{proto.FromResp, "\r\n\x1b[1;32mmanager@sw1\x1b[0m:~# "},
	}, []attempt{{"admin", "admin", false, 5}, {"manager", "friend", true, 9}}},
	{"a new login prompt is a failure", []step{
		{proto.FromResp, "login: "},
		{proto.FromOrig, "root\r\n"},
		{proto.FromResp, "Password: "},
		{proto.FromOrig, "vizxv\r\n"},
		{proto.FromResp, "\r\nWelcome to IPCAM\r\nlogin: "},
	}, []attempt{{"root", "vizxv", false, 5}}},
	{"next try typed ahead of the refusal", []step{
		{proto.FromResp, "login: "},
		{proto.FromOrig, "root\r\n"},
		{proto.FromResp, "Password: "},
		{proto.FromOrig, "1234\r\n"},
		{proto.FromOrig, "admin\r\nadmin\r\n"},
		{proto.FromResp, "\r\nLogin incorrect\r\nlogin: "},
		{proto.FromResp, "admin\r\nPassword: "},
		{proto.FromResp, "\r\n$ "},
	}, []attempt{{"root", "1234", false, 6}, {"admin", "admin", true, 8}}},
	{"no answer to the password: unknown", []step{
		{proto.FromResp, "login: "},
		{proto.FromOrig, "root\r\n"},
		{proto.FromResp, "Password: "},
		{proto.FromOrig, "1234\r\n"},
	}, nil},
	{"quiet success decided by the client's next lines", []step{
		{proto.FromResp, "login: "},
		{proto.FromOrig, "pi\r\n"},
		{proto.FromResp, "Password: "},
		{proto.FromOrig, "raspberry\r\n"},
		{proto.FromResp, "\r\nmotd line\r\n"},
		{proto.FromOrig, "uname -a\r\n"},
		{proto.FromResp, "Linux pi 6.1\r\n"},
		{proto.FromOrig, "exit\r\n"},
	}, []attempt{{"pi", "raspberry", true, 7}}},
	{"no prompt at all", []step{
		{proto.FromResp, "SSH-2.0-OpenSSH_9.2\r\n"},
		{proto.FromOrig, "hello\r\nworld\r\n"},
	}, nil},
}

func TestDialogues(t *testing.T) {
	for _, d := range dialogues {
		t.Run(d.name, func(t *testing.T) {
			got := run(t, d.steps, 0)
			if fmt.Sprint(got) != fmt.Sprint(d.want) {
				t.Fatalf("got  %v\nwant %v", got, d.want)
			}
			for n := 1; n < 24; n++ {
				if g := run(t, d.steps, n); fmt.Sprint(g) != fmt.Sprint(d.want) {
					t.Fatalf("split %d: got %v\nwant %v", n, g, d.want)
				}
			}
		})
	}
}

// TestLastLoginSplit: "Last login:" at the end of one piece of output is
// not a login prompt.
func TestLastLoginSplit(t *testing.T) {
	got := run(t, []step{
		{proto.FromResp, "login: "}, {proto.FromOrig, "root\r\n"},
		{proto.FromResp, "Password: "}, {proto.FromOrig, "toor\r\n"},
		{proto.FromResp, "\r\nLast login:"}, {proto.FromResp, " Tue Feb 3 from 10.0.0.9\r\n[root@h ~]# "},
	}, 0)
	if len(got) != 1 || !got[0].Success {
		t.Fatalf("%v", got)
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
		{proto.FromResp, neg, 8023, 6, proto.Maybe},
		{proto.FromOrig, iac + "\xfa\x1f\x00", 9999, 6, proto.Maybe},
		{proto.FromResp, "\r\nlogin: ", 23, 6, proto.Maybe},
		{proto.FromResp, "\r\nlogin: ", 2323, 6, proto.Maybe},
		{proto.FromResp, "\r\nlogin: ", 8023, 6, proto.No},
		{proto.FromResp, iac + "\xf1", 8023, 6, proto.No},
		{proto.FromResp, neg, 23, 17, proto.No},
	} {
		if got := Detect(c.dir, []byte(c.in), c.port, c.trans); got != c.want {
			t.Errorf("Detect(%d, %q, %d, %d) = %d, want %d", c.dir, c.in, c.port, c.trans, got, c.want)
		}
	}
}

func TestBounds(t *testing.T) {
	s := &prototest.Sink{T: t}
	a := New(ci, s)
	a.Data(proto.FromResp, 1, []byte("login: "))
	a.Data(proto.FromOrig, 2, []byte(strings.Repeat("u", 10*MaxField)+"\r\n"))
	if len(a.user) > MaxField {
		t.Fatalf("user %d bytes", len(a.user))
	}
	a.Data(proto.FromResp, 3, []byte(strings.Repeat("x", 10*MaxLine)))
	if len(a.sline) > MaxLine {
		t.Fatalf("server line %d bytes", len(a.sline))
	}
	a.Data(proto.FromResp, 3, []byte("\r\nPassword: "))
	a.Data(proto.FromOrig, 4, []byte("p\r\n"))
	a.Data(proto.FromResp, 5, []byte(strings.Repeat("y", 10*MaxOutput)))
	if len(a.outBuf) > MaxOutput {
		t.Fatalf("output %d bytes", len(a.outBuf))
	}
	// Many attempts on one connection stop at MaxAttempts.
	b := New(ci, s)
	s.Recs = nil
	for i := 0; i < 3*MaxAttempts && !b.Finished(); i++ {
		b.Data(proto.FromResp, 1, []byte("login: "))
		b.Data(proto.FromOrig, 1, []byte("root\r\n"))
		b.Data(proto.FromResp, 1, []byte("Password: "))
		b.Data(proto.FromOrig, 1, []byte("x\r\n"))
		b.Data(proto.FromResp, 1, []byte("Login incorrect\r\n"))
	}
	if len(s.Recs) != MaxAttempts || !b.Finished() {
		t.Fatalf("%d attempts, finished %v", len(s.Recs), b.Finished())
	}
	// Typeahead is bounded.
	c := New(ci, s)
	c.Data(proto.FromOrig, 1, []byte(strings.Repeat("line\r\n", 100)))
	if len(c.typeahead) > MaxTypeahead {
		t.Fatalf("%d lines typed ahead", len(c.typeahead))
	}
	// A connection without a dialogue stops after MaxBytes.
	d := New(ci, s)
	for i := 0; i < 2*MaxBytes/1024 && !d.Finished(); i++ {
		d.Data(proto.FromResp, 1, []byte(strings.Repeat("z", 1024)))
	}
	if !d.Finished() {
		t.Fatal("not finished after MaxBytes")
	}
	// An unclosed subnegotiation is given up.
	e := New(ci, &prototest.Sink{T: t})
	e.Data(proto.FromResp, 1, []byte(iac+"\xfa\x18"+strings.Repeat("q", MaxSubneg)+"\r\nlogin: "))
	if e.state != stUser {
		t.Fatalf("state %d after an unclosed subnegotiation", e.state)
	}
}

// TestGap: a gap forgets the attempt in progress, and the dialogue
// resumes at the next prompt.
func TestGap(t *testing.T) {
	s := &prototest.Sink{T: t}
	a := New(ci, s)
	a.Data(proto.FromResp, 1, []byte("login: "))
	a.Data(proto.FromOrig, 2, []byte("root\r\n"))
	a.Data(proto.FromResp, 3, []byte("Password: "))
	a.Data(proto.FromOrig, 4, []byte("xc3511\r\n"))
	a.Gap(proto.FromResp, 100)
	a.Data(proto.FromResp, 5, []byte("# "))
	a.Data(proto.FromResp, 6, []byte("\r\nlogin: "))
	a.Data(proto.FromOrig, 7, []byte("admin\r\n"))
	a.Data(proto.FromResp, 8, []byte("Password: "))
	a.Data(proto.FromOrig, 9, []byte("admin\r\n"))
	a.Data(proto.FromResp, 10, []byte("Login incorrect\r\n"))
	a.End(11)
	if len(s.Recs) != 1 || !strings.Contains(s.Recs[0], `"user":"admin","password":"admin","success":false`) {
		t.Fatalf("%q", s.Recs)
	}
}

func fuzzSeeds() map[string][]byte {
	seeds := map[string][]byte{}
	for i, d := range dialogues[:8] {
		var in []byte
		for _, s := range d.steps {
			in = prototest.AppendPieces(in, s.dir, []byte(s.data))
		}
		seeds[fmt.Sprintf("dialogue%d", i)] = in
	}
	return seeds
}

func TestSeedCorpus(t *testing.T) { prototest.SeedCorpus(t, "FuzzTelnet", fuzzSeeds()) }

// FuzzTelnet replays pieces and gaps (prototest.Replay) and checks the
// bounds and that every record is valid JSON.
func FuzzTelnet(f *testing.F) {
	for _, in := range fuzzSeeds() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &prototest.Sink{T: t, Log: AuthLog}
		a := New(ci, s)
		prototest.Replay(a, in, 1, 1, func(int) {
			if len(a.line) > MaxField || len(a.user) > MaxField || len(a.password) > MaxField ||
				len(a.sline) > MaxLine || len(a.outBuf) > MaxOutput || len(a.typeahead) > MaxTypeahead ||
				a.attempts > MaxAttempts {
				t.Fatal("bound broken")
			}
		})
		a.End(1 << 40)
		_ = a.Service()
	})
}
