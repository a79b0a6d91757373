package krb

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// tlv encodes one DER element: identifier octet id, then content.
func tlv(id byte, content ...[]byte) []byte {
	c := slices.Concat(content...)
	n := len(c)
	out := []byte{id}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, c...)
}

func ctx(n int, content ...[]byte) []byte { return tlv(0xa0|byte(n), content...) }
func seq(content ...[]byte) []byte        { return tlv(0x30, content...) }
func integ(v byte) []byte                 { return tlv(0x02, []byte{v}) }
func gstr(s string) []byte                { return tlv(0x1b, []byte(s)) }
func gtime(s string) []byte               { return tlv(0x18, []byte(s)) }

func principalOf(parts ...string) []byte {
	var names [][]byte
	for _, p := range parts {
		names = append(names, gstr(p))
	}
	return seq(ctx(0, integ(1)), ctx(1, seq(names...)))
}

// request is an AS-REQ (kind 10) or TGS-REQ (12) of cname (none if "")
// for sname in realm, forwardable and renewable asked for.
func request(kind byte, cname, realm string, sname ...string) []byte {
	body := [][]byte{ctx(0, tlv(0x03, []byte{0, 0x40, 0x80, 0, 0}))}
	if cname != "" {
		body = append(body, ctx(1, principalOf(cname)))
	}
	body = append(body, ctx(2, gstr(realm)), ctx(3, principalOf(sname...)),
		ctx(5, gtime("20370913024805Z")), ctx(7, integ(42)), ctx(8, seq(integ(18))))
	return tlv(0x60|kind, seq(ctx(1, integ(5)), ctx(2, integ(kind)), ctx(4, seq(body...))))
}

// reply is an AS-REP (11) or TGS-REP (13) with a ticket for sname
// encrypted with etype.
func reply(kind byte, cname, realm string, etype byte, sname ...string) []byte {
	ticket := tlv(0x61, seq(ctx(0, integ(5)), ctx(1, gstr(realm)), ctx(2, principalOf(sname...)),
		ctx(3, seq(ctx(0, integ(etype)), ctx(2, tlv(0x04, []byte("secret")))))))
	return tlv(0x60|kind, seq(ctx(0, integ(5)), ctx(1, integ(kind)), ctx(3, gstr(realm)), ctx(4, principalOf(cname)),
		ctx(5, ticket), ctx(6, seq(ctx(0, integ(etype)), ctx(2, tlv(0x04, []byte("x")))))))
}

// krbErr is a KRB-ERROR with code, for cname (none if "") and sname, with
// e-text text (none if "").
func krbErr(code byte, cname, text string, sname ...string) []byte {
	f := [][]byte{ctx(0, integ(5)), ctx(1, integ(30)), ctx(4, gtime("20250101000000Z")), ctx(5, integ(0)), ctx(6, integ(code))}
	if cname != "" {
		f = append(f, ctx(7, gstr("CORP.EXAMPLE")), ctx(8, principalOf(cname)))
	}
	f = append(f, ctx(9, gstr("CORP.EXAMPLE")), ctx(10, principalOf(sname...)))
	if text != "" {
		f = append(f, ctx(11, gstr(text)))
	}
	return tlv(0x7e, seq(f...))
}

func udpConn() *proto.ConnInfo {
	ci := prototest.TCPConn("10.0.0.5", 50000, "10.0.0.2", 88)
	ci.Transport = 17
	return ci
}

// run feeds datagrams (UDP) or a stream (TCP, each message framed) and
// returns the records as "LOG k=v …" after id.resp_p.
func run(t *testing.T, ci *proto.ConnInfo, split int, msgs ...[]byte) []string {
	t.Helper()
	sink := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, sink)
	for i, m := range msgs {
		dir := proto.Direction(i % 2)
		if m[0] == 0x6a || m[0] == 0x6c {
			dir = proto.FromOrig
		} else {
			dir = proto.FromResp
		}
		if ci.Transport == 6 {
			n := len(m)
			m = append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, m...)
			prototest.Feed(a, dir, int64(i+1)*1e9, m, split)
		} else {
			a.Data(dir, int64(i+1)*1e9, m)
		}
	}
	a.End(1e12)
	var out []string
	for _, r := range sink.Recs {
		log, line, _ := strings.Cut(r, " ")
		var fields []string
		dec := json.NewDecoder(strings.NewReader(line))
		dec.Token()
		after := false
		for dec.More() {
			k, _ := dec.Token()
			var v any
			dec.Decode(&v)
			if after {
				b, _ := json.Marshal(v)
				fields = append(fields, k.(string)+"="+strings.Trim(string(b), `"`))
			}
			after = after || k == "id.resp_p" || k == "ts" && log == "kerberos" && false
		}
		out = append(out, log+" "+strings.Join(fields, " "))
	}
	return out
}

func TestExchanges(t *testing.T) {
	cases := []struct {
		name string
		msgs [][]byte
		want []string
	}{
		{"AS exchange", [][]byte{request(10, "alice", "CORP.EXAMPLE", "krbtgt", "CORP.EXAMPLE"),
			reply(11, "alice", "CORP.EXAMPLE", 18, "krbtgt", "CORP.EXAMPLE")},
			[]string{"kerberos request_type=AS client=alice/CORP.EXAMPLE service=krbtgt/CORP.EXAMPLE success=true till=2136422885 cipher=aes256-cts-hmac-sha1-96 forwardable=true renewable=true"}},
		{"TGS exchange: the client from the reply, RC4", [][]byte{request(12, "", "CORP.EXAMPLE", "MSSQLSvc", "db.corp.example:1433"),
			reply(13, "bob", "CORP.EXAMPLE", 23, "MSSQLSvc", "db.corp.example:1433")},
			[]string{"kerberos request_type=TGS client=bob/CORP.EXAMPLE service=MSSQLSvc/db.corp.example:1433 success=true till=2136422885 cipher=rc4-hmac forwardable=true renewable=true"}},
		{"NEEDED_PREAUTH drops the record: the retry makes it", [][]byte{request(10, "alice", "CORP.EXAMPLE", "krbtgt", "CORP.EXAMPLE"),
			krbErr(25, "", "NEEDED_PREAUTH", "krbtgt", "CORP.EXAMPLE"),
			request(10, "alice", "CORP.EXAMPLE", "krbtgt", "CORP.EXAMPLE"), reply(11, "alice", "CORP.EXAMPLE", 17, "krbtgt", "CORP.EXAMPLE")},
			[]string{"_krb_auth user=alice service=krbtgt/CORP.EXAMPLE error_code=25 error=KDC_ERR_PREAUTH_REQUIRED success=false",
				"kerberos request_type=AS client=alice/CORP.EXAMPLE service=krbtgt/CORP.EXAMPLE success=true till=2136422885 cipher=aes128-cts-hmac-sha1-96 forwardable=true renewable=true"}},
		{"a wrong password", [][]byte{request(10, "carol", "CORP.EXAMPLE", "krbtgt", "CORP.EXAMPLE"),
			krbErr(24, "carol", "", "krbtgt", "CORP.EXAMPLE")},
			[]string{"_krb_auth user=carol service=krbtgt/CORP.EXAMPLE error_code=24 error=KDC_ERR_PREAUTH_FAILED success=false",
				"kerberos request_type=AS client=carol/CORP.EXAMPLE service=krbtgt/CORP.EXAMPLE success=false error_msg=KDC_ERR_PREAUTH_FAILED till=2136422885 forwardable=true renewable=true"}},
		{"an error alone: its client, no request type; a code Zeek does not name", [][]byte{krbErr(99, "dave", "", "krbtgt", "CORP.EXAMPLE")},
			[]string{"_krb_auth user=dave service=krbtgt/CORP.EXAMPLE error_code=99 success=false",
				"kerberos client=dave/CORP.EXAMPLE service=krbtgt/CORP.EXAMPLE success=false"}},
		{"the record once written, later messages are not read", [][]byte{request(10, "erin", "R", "krbtgt", "R"), reply(11, "erin", "R", 18, "krbtgt", "R"),
			request(12, "", "R", "host", "x"), reply(13, "erin", "R", 23, "host", "x")},
			[]string{"kerberos request_type=AS client=erin/R service=krbtgt/R success=true till=2136422885 cipher=aes256-cts-hmac-sha1-96 forwardable=true renewable=true"}},
		{"a principal of four components is unknown", [][]byte{request(10, "f", "R", "a", "b", "c", "d"), reply(11, "f", "R", 1, "a", "b", "c", "d")},
			[]string{"kerberos request_type=AS client=f/R service=unknown success=true till=2136422885 cipher=des-cbc-crc forwardable=true renewable=true"}},
	}
	noAS := func(recs []string) []string {
		return slices.DeleteFunc(recs, func(r string) bool { return strings.HasPrefix(r, ASLog+" ") })
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := noAS(run(t, udpConn(), 0, c.msgs...)); !slices.Equal(got, c.want) {
				t.Fatalf("UDP records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			tcp := prototest.TCPConn("10.0.0.5", 50000, "10.0.0.2", 88)
			for _, split := range []int{0, 1, 3, 7} {
				if got := noAS(run(t, tcp, split, c.msgs...)); !slices.Equal(got, c.want) {
					t.Fatalf("TCP split %d: records\n%s\nwant\n%s", split, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
				}
			}
		})
	}
}

// TestService: Zeek's names of the analyzers, per transport.
func TestService(t *testing.T) {
	m := request(10, "alice", "R", "krbtgt", "R")
	u := New(udpConn(), nil)
	u.Data(proto.FromOrig, 1, m)
	tcp := New(prototest.TCPConn("10.0.0.5", 50000, "10.0.0.2", 88), nil)
	tcp.Data(proto.FromOrig, 1, append([]byte{0, 0, 0, byte(len(m))}, m...))
	if u.Service() != "krb" || tcp.Service() != "krb_tcp" {
		t.Fatalf("services %q %q", u.Service(), tcp.Service())
	}
}

func TestDetect(t *testing.T) {
	req := request(10, "alice", "R", "krbtgt", "R")
	framed := append([]byte{0, 0, 0, byte(len(req))}, req...)
	cases := []struct {
		first     []byte
		port      uint16
		transport uint8
		want      proto.Confidence
	}{
		{req, 8888, 17, proto.Sure},
		{framed, 8888, 6, proto.Sure},
		{req, 8888, 6, proto.No}, // no length in front
		{krbErr(24, "", "", "krbtgt", "R"), 5000, 17, proto.Sure},
		{[]byte("GET / HTTP/1.1\r\n\r\n"), 88, 6, proto.Maybe},
		{[]byte("GET / HTTP/1.1\r\n\r\n"), 80, 6, proto.No},
	}
	for i, c := range cases {
		if got := Detect(proto.FromOrig, c.first, c.port, c.transport); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}

func fuzzSeeds() map[string][]byte {
	var in []byte
	for i, m := range [][]byte{request(10, "alice", "R", "krbtgt", "R"), krbErr(25, "", "NEEDED_PREAUTH", "krbtgt", "R"),
		request(12, "", "R", "cifs", "srv"), reply(13, "alice", "R", 18, "cifs", "srv")} {
		n := len(m)
		in = prototest.AppendPieces(in, proto.Direction(i%2), append([]byte{0, 0, byte(n >> 8), byte(n)}, m...))
	}
	return map[string][]byte{"tcp": in}
}

func TestSeedCorpus(t *testing.T) { prototest.SeedCorpus(t, "FuzzKRB", fuzzSeeds()) }

// FuzzKRB replays pieces and gaps over TCP (see prototest.Replay), each
// piece also as a UDP datagram, and checks the bounds.
func FuzzKRB(f *testing.F) {
	for _, in := range fuzzSeeds() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(prototest.TCPConn("10.0.0.5", 50000, "10.0.0.2", 88), &prototest.Sink{T: t})
		prototest.Replay(a, in, 1, 0, func(int) {
			if len(a.sides[0].msg) > MaxMessage || len(a.sides[1].msg) > MaxMessage {
				t.Fatal("bounds")
			}
		})
		a.End(2)
		u := New(udpConn(), &prototest.Sink{T: t})
		u.Data(proto.FromOrig, 1, in)
		u.End(2)
	})
}

// TestAPInGSSAPI: an AP-REQ inside SPNEGO's mechToken (as SMB's session
// setup carries it) gives the ticket's service, realm and cipher; the
// server's AP-REP is found in its answer; other blobs have neither.
func TestAPInGSSAPI(t *testing.T) {
	tkt := tlv(0x61, seq(ctx(0, integ(5)), ctx(1, gstr("CORP.EXAMPLE")), ctx(2, principalOf("cifs", "fs1.corp.example")),
		ctx(3, seq(ctx(0, integ(18)), ctx(2, tlv(0x04, []byte("secret")))))))
	apReq := tlv(0x6e, seq(ctx(0, integ(5)), ctx(1, integ(14)), ctx(2, tlv(0x03, []byte{0, 0x20, 0, 0, 0})), ctx(3, tkt),
		ctx(4, seq(ctx(0, integ(18)), ctx(2, tlv(0x04, []byte("auth")))))))
	gss := tlv(0x60, krb5OID, []byte{0x01, 0x00}, apReq)
	spnego := tlv(0x60, []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}, // SPNEGO's OID
		ctx(0, seq(ctx(0, seq(msKrb5OID, krb5OID)), ctx(2, tlv(0x04, gss)))))
	ap, ok := FindAPRequest(spnego)
	if !ok || ap != (AP{Service: "cifs/fs1.corp.example", Realm: "CORP.EXAMPLE", Cipher: "aes256-cts-hmac-sha1-96"}) {
		t.Fatalf("FindAPRequest = %+v, %v", ap, ok)
	}
	rep := tlv(0xa1, seq(ctx(0, tlv(0x0a, []byte{0})), ctx(2, tlv(0x04, tlv(0x60, msKrb5OID, []byte{0x02, 0x00}, tlv(0x6f, seq(ctx(0, integ(5)))))))))
	if !HasAPReply(rep) || HasAPReply(spnego) {
		t.Fatal("AP-REP not told apart")
	}
	if _, ok := FindAPRequest([]byte("NTLMSSP\x00\x01\x00\x00\x00")); ok {
		t.Fatal("an AP-REQ in an NTLM blob")
	}
	line := AppendAPRecord(nil, 1e9, udpConn(), ap, true)
	if !strings.Contains(string(line), `"request_type":"AP","client":"/CORP.EXAMPLE","service":"cifs/fs1.corp.example","success":true,"cipher":"aes256-cts-hmac-sha1-96"`) {
		t.Fatalf("record %s", line)
	}
}

// TestASFact: an AS-REP whose request was seen is handed on with whether
// the request pre-authenticated the client (PA-ENC-TIMESTAMP) and the
// cipher of the part encrypted with the client's key.
func TestASFact(t *testing.T) {
	withPA := func(req []byte) []byte {
		// Insert padata [3] { PA-DATA { padata-type [1] 2, padata-value [2] } }
		// after msg-type [2] of the request's SEQUENCE.
		d := der{b: req}
		_, _, _, content := d.next()
		inner, _ := sequence(content)
		pa := ctx(3, seq(seq(ctx(1, integ(2)), ctx(2, tlv(0x04, []byte("ts"))))))
		i := len(ctx(1, integ(5))) + len(ctx(2, integ(10)))
		return tlv(req[0], seq(inner[:i], pa, inner[i:]))
	}
	req := request(10, "svc", "R", "krbtgt", "R")
	rep := reply(11, "svc", "R", 23, "krbtgt", "R")
	for _, c := range []struct {
		req  []byte
		want string
	}{
		{req, "_krb_as user=svc realm=R preauth=false cipher=rc4-hmac"},
		{withPA(req), "_krb_as user=svc realm=R preauth=true cipher=rc4-hmac"},
	} {
		got := run(t, udpConn(), 0, c.req, rep)
		if !slices.Contains(got, c.want) {
			t.Errorf("records %q, want %q among them", got, c.want)
		}
	}
	if got := run(t, udpConn(), 0, rep); slices.ContainsFunc(got, func(r string) bool { return strings.HasPrefix(r, ASLog+" ") }) {
		t.Errorf("an AS-REP without its request: %q", got)
	}
}
