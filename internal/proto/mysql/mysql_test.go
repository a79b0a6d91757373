package mysql

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = prototest.TCPConn("10.0.0.1", 40000, "192.0.2.33", 3306)

// pkt frames payload as one MySQL packet with sequence number seq.
func pkt(seq byte, payload ...string) string {
	p := strings.Join(payload, "")
	n := len(p)
	return string([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}) + p
}

func le32(v uint32) string {
	return string([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

// greeting is a protocol-10 server greeting announcing caps (both halves).
func greeting(version string, caps uint32) string {
	return pkt(0, "\x0a", version, "\x00", le32(7), "abcdefgh", "\x00",
		string([]byte{byte(caps), byte(caps >> 8)}), "\xff", "\x02\x00",
		string([]byte{byte(caps >> 16), byte(caps >> 24)}), "\x15", strings.Repeat("\x00", 10),
		"ijklmnopqrst\x00", "caching_sha2_password\x00")
}

// login is a handshake response of user with caps.
func login(user string, caps uint32, extra string) string {
	return pkt(1, le32(caps), le32(1<<24), "\xff", strings.Repeat("\x00", 23),
		user, "\x00", "\x14", strings.Repeat("S", 20), extra)
}

const (
	capsBase uint32 = capPluginAuth | 0x8000 | 0x0200 // plugin auth, secure connection, protocol 4.1
	colDef          = "\x03def\x04shop\x01t\x01t\x011\x011\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x00\x00\x00\x00"
	eof             = "\xfe\x00\x00\x02\x00"
)

type step struct {
	dir  proto.Direction
	data string
}

// session: a caching_sha2_password login (fast path), a query answered by
// a result set with EOF packets, an unknown database, statistics, a
// DELETE affecting three rows, quit.
var session = []step{
	{proto.FromResp, greeting("8.0.36", capsBase)},
	{proto.FromOrig, login("alice", capsBase|capConnectWithDB, "shop\x00caching_sha2_password\x00")},
	{proto.FromResp, pkt(2, "\x01\x03") + pkt(3, "\x00\x00\x00\x02\x00\x00\x00")},
	{proto.FromOrig, pkt(0, "\x03select 1")},
	{proto.FromResp, pkt(1, "\x01") + pkt(2, colDef) + pkt(3, eof) + pkt(4, "\x011") + pkt(5, eof)},
	{proto.FromOrig, pkt(0, "\x02nowhere")},
	{proto.FromResp, pkt(1, "\xff\x19\x04#42000Unknown database 'nowhere'")},
	{proto.FromOrig, pkt(0, "\x09")},
	{proto.FromResp, pkt(1, "Uptime: 5  Threads: 1")},
	{proto.FromOrig, pkt(0, "\x03delete from t\x00")},
	{proto.FromResp, pkt(1, "\x00\x03\x00\x02\x00\x00\x00")},
	{proto.FromOrig, pkt(0, "\x01")},
}

var sessionWant = []string{
	`_mysql_server version=8.0.36 auth_plugin=caching_sha2_password`,
	`_mysql_auth user=alice success=true`,
	`mysql cmd=login arg=alice success=true rows=0`,
	`mysql cmd=query arg=select 1 success=true rows=0`,
	`mysql cmd=init_db arg=nowhere success=false response=Unknown database 'nowhere'`,
	`mysql cmd=statistics arg=`,
	`mysql cmd=query arg=delete from t success=true rows=3`,
	`mysql cmd=quit arg=`,
}

// run feeds steps in pieces of at most split bytes and returns the records
// as "LOG k=v …" (the fields after id.resp_p, in order).
func run(t *testing.T, steps []step, split int) (*Analyzer, []string) {
	t.Helper()
	sink := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, sink)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, []byte(st.data), split)
	}
	a.End(1e12)
	return a, brief(t, sink.Recs)
}

func brief(t *testing.T, recs []string) []string {
	var out []string
	for _, r := range recs {
		log, line, _ := strings.Cut(r, " ")
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var fields []string
		dec.Token()
		after := false
		for dec.More() {
			k, _ := dec.Token()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if after {
				fields = append(fields, k.(string)+"="+strings.TrimSpace(jsonText(v)))
			}
			after = after || k == "id.resp_p"
		}
		out = append(out, log+" "+strings.Join(fields, " "))
	}
	return out
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSession(t *testing.T) {
	a, got := run(t, session, 0)
	if !slices.Equal(got, sessionWant) {
		t.Fatalf("records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(sessionWant, "\n"))
	}
	if a.Service() != "mysql" || a.serverVersion != "8.0.36" {
		t.Errorf("service %q version %q", a.Service(), a.serverVersion)
	}
}

// TestEverySplit feeds the session in pieces of every size up to 40
// bytes: packets split anywhere give the same records.
func TestEverySplit(t *testing.T) {
	for split := 1; split <= 40; split++ {
		if _, got := run(t, session, split); !slices.Equal(got, sessionWant) {
			t.Fatalf("split %d: records\n%s", split, strings.Join(got, "\n"))
		}
	}
}

// TestZeekSemantics checks the answers' cases Zeek's grammar tells apart.
func TestZeekSemantics(t *testing.T) {
	deprecate := capsBase | capDeprecateEOF
	attrs := capsBase | capQueryAttribute
	cases := []struct {
		name  string
		steps []step
		want  []string
	}{
		{"deprecate EOF: rows end in an OK packet", []step{
			{proto.FromResp, greeting("8.4.0", capsBase)},
			{proto.FromOrig, login("bob", deprecate, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\x00\x00\x00\x02\x00\x00\x00")},
			{proto.FromOrig, pkt(0, "\x03select 2")},
			{proto.FromResp, pkt(1, "\x01") + pkt(2, colDef) + pkt(3, "\x012") + pkt(4, "\xfe\x00\x00\x02\x00\x00\x00")},
		}, []string{"mysql cmd=login arg=bob success=true rows=0", "mysql cmd=query arg=select 2 success=true rows=0"}},
		{"query attributes are read past when both sides announce them", []step{
			{proto.FromResp, greeting("9.0.0", attrs)},
			{proto.FromOrig, login("eve", attrs, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\x00\x00\x00\x02\x00\x00\x00")},
			// Two attributes: a string "x"="y" and a NULL one (bit 1 of the NULL bitmap).
			{proto.FromOrig, pkt(0, "\x03\x02\x01\x02\x01\xfe\x00\x01x\x06\x00\x01z\x01ySELECT 1")},
			{proto.FromResp, pkt(1, "\x00\x00\x00\x02\x00\x00\x00")},
		}, []string{"mysql cmd=login arg=eve success=true rows=0", "mysql cmd=query arg=SELECT 1 success=true rows=0"}},
		{"query attributes are not read when only the client announces them", []step{
			{proto.FromResp, greeting("8.0.20", capsBase)},
			{proto.FromOrig, login("eve", attrs, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\x00\x00\x00\x02\x00\x00\x00")},
			{proto.FromOrig, pkt(0, "\x03SELECT 1")},
			{proto.FromResp, pkt(1, "\x00\x00\x00\x02\x00\x00\x00")},
		}, []string{"mysql cmd=login arg=eve success=true rows=0", "mysql cmd=query arg=SELECT 1 success=true rows=0"}},
		{"an authentication switch, then a refused login", []step{
			{proto.FromResp, greeting("8.0.36", capsBase)},
			{proto.FromOrig, login("root", capsBase, "caching_sha2_password\x00")},
			{proto.FromResp, pkt(2, "\xfemysql_native_password\x00abcdefghijklmnopqrst\x00")},
			{proto.FromOrig, pkt(3, strings.Repeat("P", 20))},
			{proto.FromResp, pkt(4, "\xff\x15\x04#28000Access denied for user 'root'")},
		}, []string{"mysql cmd=login arg=root success=false response=Access denied for user 'root'"}},
		{"change user: the new user is the argument", []step{
			{proto.FromResp, greeting("8.0.36", capsBase)},
			{proto.FromOrig, login("root", capsBase, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\x00\x00\x00\x02\x00\x00\x00")},
			{proto.FromOrig, pkt(0, "\x11carol\x00\x02pw\x00\x21\x00mysql_native_password\x00")},
			{proto.FromResp, pkt(1, "\xfemysql_native_password\x00abcdefghijklmnopqrst\x00")},
			{proto.FromOrig, pkt(2, strings.Repeat("P", 20))},
			{proto.FromResp, pkt(3, "\x00\x00\x00\x02\x00\x00\x00")},
			{proto.FromOrig, pkt(0, "\x0e")},
			{proto.FromResp, pkt(1, "\x00\x00\x00\x02\x00\x00\x00")},
		}, []string{"mysql cmd=login arg=root success=true rows=0", "mysql cmd=change_user arg=carol success=true rows=0",
			"mysql cmd=ping arg= success=true rows=0"}},
		{"a field list ends in an EOF packet", []step{
			{proto.FromResp, greeting("5.7.44", capsBase)},
			{proto.FromOrig, login("root", capsBase, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\x00\x00\x00\x02\x00\x00\x00")},
			{proto.FromOrig, pkt(0, "\x04t\x00")},
			{proto.FromResp, pkt(1, colDef) + pkt(2, eof)},
		}, []string{"mysql cmd=login arg=root success=true rows=0", "mysql cmd=field_list arg=t success=true rows=0"}},
		{"a protocol-9 server", []step{
			{proto.FromResp, pkt(0, "\x093.23.58\x00\x01\x00\x00\x00scramble\x00")},
			{proto.FromOrig, pkt(1, "\x00\x00\x00\x00\x01old\x00pw\x00")},
			{proto.FromResp, pkt(2, "\x00\x00\x00\x02\x00")},
		}, []string{"_mysql_server version=3.23.58", "mysql cmd=login arg=old success=true rows=0"}},
		{"an ERR packet too short to parse is not an answer", []step{
			{proto.FromResp, greeting("8.0.36", capsBase)},
			{proto.FromOrig, login("root", capsBase, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\xff\x15\x04#28")},
		}, []string{"mysql cmd=login arg=root"}},
		{"unknown commands are named as Zeek names them", []step{
			{proto.FromResp, greeting("8.0.36", capsBase)},
			{proto.FromOrig, login("root", capsBase, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\x00\x00\x00\x02\x00\x00\x00")},
			{proto.FromOrig, pkt(0, "\xc8junk")},
			{proto.FromOrig, pkt(0, "\x20")},
		}, []string{"mysql cmd=login arg=root success=true rows=0", "mysql cmd=unknown-200 arg=junk", "mysql cmd=unknown-32 arg="}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, got := run(t, c.steps, 0)
			got = slices.DeleteFunc(got, func(s string) bool {
				return strings.HasPrefix(s, AuthLog+" ") || strings.HasPrefix(s, ServerLog) && !strings.HasPrefix(c.want[0], ServerLog)
			})
			if !slices.Equal(got, c.want) {
				t.Fatalf("records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestTLSRequest checks the hand-over: a client asking for TLS ends the
// analysis after its request, which the application layer is told is
// consumed, and no login record is written.
func TestTLSRequest(t *testing.T) {
	sink := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, sink)
	a.Data(proto.FromResp, 1, []byte(greeting("8.0.36", capsBase|capSSL)))
	req := pkt(1, le32(capsBase|capSSL), le32(1<<24), "\xff", strings.Repeat("\x00", 23))
	hello := "\x16\x03\x01\x00\x05hello"
	a.Data(proto.FromOrig, 2, []byte(req+hello))
	next, used, ok := a.Upgrade()
	if !ok || next != "ssl" || used != len(req) || !a.Finished() || a.Service() != "mysql" {
		t.Fatalf("Upgrade() = %q, %d, %v; finished %v, service %q", next, used, ok, a.Finished(), a.Service())
	}
	a.End(3)
	if got := brief(t, sink.Recs); len(got) != 1 || !strings.HasPrefix(got[0], ServerLog) {
		t.Fatalf("records %q", got)
	}
}

// TestGapStops checks that, as Zeek's, the analyzer stops at a content
// gap and still writes the pending record.
func TestGapStops(t *testing.T) {
	_, got := run(t, session[:4], 0)
	sink := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, sink)
	for i, st := range session[:4] {
		a.Data(st.dir, int64(i+1)*1e9, []byte(st.data))
	}
	a.Gap(proto.FromResp, 10)
	for _, st := range session[4:] {
		a.Data(st.dir, 9e9, []byte(st.data))
	}
	a.End(1e12)
	if after := brief(t, sink.Recs); !a.Finished() || !slices.Equal(after, got) {
		t.Fatalf("after a gap\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(got, "\n"))
	}
}

func TestDetect(t *testing.T) {
	g := []byte(greeting("5.5.5-10.6.12-MariaDB", capsBase))
	cases := []struct {
		dir   proto.Direction
		first []byte
		port  uint16
		want  proto.Confidence
	}{
		{proto.FromResp, g, 13306, proto.Likely},
		{proto.FromResp, g[:12], 13306, proto.No}, // the version string not ended
		{proto.FromOrig, g, 13306, proto.No},
		{proto.FromResp, []byte("SSH-2.0-OpenSSH_9.6\r\n"), 3306, proto.Maybe},
		{proto.FromResp, []byte("\x05\x00\x00\x00\x0a8.0\x00"), 13306, proto.No},  // too short a greeting
		{proto.FromResp, []byte("+\x00\x00\x00\x0a8.0\x01\x02"), 13306, proto.No}, // control bytes in the version
		{proto.FromOrig, []byte("anything"), 1434, proto.Maybe},
	}
	for i, c := range cases {
		if got := Detect(c.dir, c.first, c.port, 6); got != c.want {
			t.Errorf("case %d: Detect = %v, want %v", i, got, c.want)
		}
	}
	if Detect(proto.FromResp, g, 3306, 17) != proto.No {
		t.Error("UDP detected")
	}
}

func fuzzSeeds() map[string][]byte {
	var in []byte
	for _, s := range session {
		in = prototest.AppendPieces(in, s.dir, []byte(s.data))
	}
	tls := prototest.AppendPieces(nil, proto.FromResp, []byte(greeting("8.0.36", capsBase|capSSL)))
	tls = prototest.AppendPieces(tls, proto.FromOrig, []byte(pkt(1, le32(capsBase|capSSL), le32(1<<24), "\xff", strings.Repeat("\x00", 23))+"\x16\x03\x01"))
	attrs := capsBase | capQueryAttribute
	qa := prototest.AppendPieces(nil, proto.FromResp, []byte(greeting("9.0.0", attrs)))
	qa = prototest.AppendPieces(qa, proto.FromOrig, []byte(login("eve", attrs, "x\x00")))
	qa = prototest.AppendPieces(qa, proto.FromResp, []byte(pkt(2, "\x00\x00\x00\x02\x00\x00\x00")))
	qa = prototest.AppendPieces(qa, proto.FromOrig, []byte(pkt(0, "\x03\x02\x01\x02\x01\xfe\x00\x01x\x06\x00\x01z\x01ySELECT 1")))
	return map[string][]byte{"session": in, "tls": tls, "query-attributes": qa}
}

func TestSeedCorpus(t *testing.T) { prototest.SeedCorpus(t, "FuzzMySQL", fuzzSeeds()) }

// FuzzMySQL replays pieces and gaps (see prototest.Replay) and checks the
// bounds and the hand-over's consumed count.
func FuzzMySQL(f *testing.F) {
	for _, in := range fuzzSeeds() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t})
		prototest.Replay(a, in, 1, 0, func(n int) {
			if _, used, ok := a.Upgrade(); ok && (used < 0 || used > n) {
				t.Fatalf("consumed %d of %d", used, n)
			}
			if len(a.sides[0].body) > MaxPacket || len(a.sides[1].body) > MaxPacket {
				t.Fatal("bounds")
			}
		})
		a.End(2)
		_ = a.Service()
	})
}

// TestAuthFact: each login's outcome is handed on, with an empty password
// when the client sent no authentication data, unless the data came after
// an authentication switch.
func TestAuthFact(t *testing.T) {
	ok := pkt(2, "\x00\x00\x00\x02\x00\x00\x00")
	emptyAuth := func(user string) string {
		return pkt(1, le32(capsBase), le32(1<<24), "\xff", strings.Repeat("\x00", 23), user, "\x00", "\x00", "mysql_native_password\x00")
	}
	cases := []struct {
		name  string
		steps []step
		want  string
	}{
		{"root without a password, let in", []step{{proto.FromResp, greeting("5.7.44", capsBase)},
			{proto.FromOrig, emptyAuth("root")}, {proto.FromResp, ok}}, "_mysql_auth user=root password= success=true"},
		{"a scrambled password, refused", []step{{proto.FromResp, greeting("5.7.44", capsBase)},
			{proto.FromOrig, login("root", capsBase, "mysql_native_password\x00")},
			{proto.FromResp, pkt(2, "\xff\x15\x04#28000Access denied")}}, "_mysql_auth user=root success=false"},
		{"no data first, the password after an authentication switch", []step{{proto.FromResp, greeting("8.0.36", capsBase)},
			{proto.FromOrig, emptyAuth("app")}, {proto.FromResp, pkt(2, "\xfemysql_native_password\x00abcdefghijklmnopqrst\x00")},
			{proto.FromOrig, pkt(3, strings.Repeat("P", 20))}, {proto.FromResp, pkt(4, "\x00\x00\x00\x02\x00\x00\x00")}},
			"_mysql_auth user=app success=true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, got := run(t, c.steps, 0)
			if !slices.Contains(got, c.want) {
				t.Fatalf("records %q, want %q among them", got, c.want)
			}
		})
	}
}
