package mqtt

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
	ts   int64
	data []byte
}

func pkt(typ, flags byte, body ...[]byte) []byte {
	var b []byte
	for _, x := range body {
		b = append(b, x...)
	}
	out := []byte{typ<<4 | flags}
	n := len(b)
	for {
		c := byte(n % 128)
		n /= 128
		if n > 0 {
			c |= 0x80
		}
		out = append(out, c)
		if n == 0 {
			break
		}
	}
	return append(out, b...)
}

func s(v string) []byte { return append([]byte{byte(len(v) >> 8), byte(len(v))}, v...) }
func u16(v int) []byte  { return []byte{byte(v >> 8), byte(v)} }

var ci = &proto.ConnInfo{UID: "C1", OrigP: 40000, RespP: 1883}

func run(t testing.TB, steps []step, split int) []string {
	out := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, out)
	for _, st := range steps {
		prototest.Feed(a, st.dir, st.ts, st.data, split)
	}
	a.End(1e12)
	return out.Recs
}

func session(v5 bool) []step {
	ver := byte(4)
	name := "MQTT"
	connProps, pubProps := []byte{}, []byte{}
	if v5 {
		ver, connProps, pubProps = 5, []byte{3, 0x21, 0, 10}, []byte{0}
	}
	return []step{
		{0, 1e9, pkt(1, 0, s(name), []byte{ver, 0xc6}, u16(60), connProps, s("dev1"), props(v5), s("will/t"), s("bye"), s("user"), s("pw"))},
		{1, 2e9, pkt(2, 0, []byte{0, 0}, props(v5))},
		{0, 3e9, pkt(8, 2, u16(7), props(v5), s("a/#"), []byte{1}, s("b"), []byte{2})},
		{1, 4e9, pkt(9, 0, u16(7), props(v5), []byte{1, 2})},
		{0, 5e9, pkt(3, 1, s("a/x"), pubProps, []byte("hello"))},
		{0, 6e9, pkt(3, 2, s("a/y"), u16(9), pubProps, []byte(strings.Repeat("z", 300)))},
		{1, 6.1e9, pkt(4, 0, u16(9))},
		{1, 7e9, pkt(3, 4, s("a/z"), u16(10), pubProps, []byte("q2"))},
		{0, 7.1e9, pkt(5, 0, u16(10))},
		{1, 7.2e9, pkt(6, 2, u16(10))},
		{0, 7.3e9, pkt(7, 0, u16(10))},
		{0, 8e9, pkt(10, 2, u16(11), props(v5), s("a/#"))},
		{1, 8.1e9, pkt(11, 0, u16(11))},
		{0, 9e9, pkt(3, 2, s("lost"), u16(12), pubProps, []byte("x"))},
	}
}

func props(v5 bool) []byte {
	if v5 {
		return []byte{0}
	}
	return nil
}

func TestSession(t *testing.T) {
	for _, v5 := range []bool{false, true} {
		recs := run(t, session(v5), 0)
		want := []string{
			`_mqtt_auth {"ts":1.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"client_id":"dev1","user":"user","password":"pw","connect_status":"Connection Accepted","success":true}`,
			`mqtt_connect {"ts":1.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"proto_name":"MQTT","proto_version":"3.1.1","client_id":"dev1","connect_status":"Connection Accepted","will_topic":"will/t","will_payload":"bye","username_present":true,"password_present":true,"clean_session":true,"keep_alive":60}`,
			`mqtt_subscribe {"ts":3.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"action":"MQTT::SUBSCRIBE","topics":["a/#","b"],"qos_levels":[1,2],"granted_qos_level":1,"ack":true}`,
			`mqtt_publish {"ts":5.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":true,"retain":true,"qos":"at most once","status":"ok","topic":"a/x","payload":"hello","payload_len":5}`,
			`mqtt_publish {"ts":6.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":true,"retain":false,"qos":"at least once","status":"ok","topic":"a/y","payload":"` + strings.Repeat("z", 100) + `","payload_len":300}`,
			`mqtt_publish {"ts":7.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":false,"retain":false,"qos":"exactly once","status":"ok","topic":"a/z","payload":"q2","payload_len":2}`,
			`mqtt_subscribe {"ts":8.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"action":"MQTT::UNSUBSCRIBE","topics":["a/#"],"ack":true}`,
			`mqtt_publish {"ts":9.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":true,"retain":false,"qos":"at least once","status":"incomplete_qos","topic":"lost","payload":"x","payload_len":1}`,
		}
		if v5 {
			want[1] = strings.Replace(want[1], `"3.1.1"`, `"5.0"`, 1)
		}
		if strings.Join(recs, "\n") != strings.Join(want, "\n") {
			t.Fatalf("v5=%v:\n got %s\nwant %s", v5, strings.Join(recs, "\n"), strings.Join(want, "\n"))
		}
		// Any split of the stream gives the same records.
		for split := 1; split < 40; split++ {
			if got := run(t, session(v5), split); strings.Join(got, "\n") != strings.Join(recs, "\n") {
				t.Fatalf("split %d differs:\n%s", split, strings.Join(got, "\n"))
			}
		}
	}
}

// connect is a CONNECT of version ver (3: MQIsdp, 4: 3.1.1, 5) with
// client id dev1 and, where not nil, a user name and a password.
func connect(ver byte, user, password []byte) []byte {
	name, flags := "MQTT", byte(0x02)
	if ver == 3 {
		name = "MQIsdp"
	}
	var creds []byte
	if user != nil {
		flags |= 0x80
		creds = append(creds, s(string(user))...)
	}
	if password != nil {
		flags |= 0x40
		creds = append(creds, s(string(password))...)
	}
	return pkt(1, 0, s(name), []byte{ver, flags}, u16(30), props(ver == 5), s("dev1"), creds)
}

// TestAuthFact: every CONNECT with a user name or a password gives one
// AuthLog fact when its CONNACK comes, just before its mqtt_connect
// record, with the user and password as sent (binary bytes too; none
// where the CONNECT had none) and the CONNACK's outcome; the
// mqtt_connect record shows neither. A CONNECT without credentials, or
// one not answered, gives none.
func TestAuthFact(t *testing.T) {
	bin := []byte{'p', 0x00, 0xff, '"', 0x7f}
	for _, c := range []struct {
		name           string
		ver, rc        byte
		user, password []byte
		want           map[string]any // nil: no fact
	}{
		{"3.1.1 strong password", 4, 0, []byte("admin"), []byte("S3cure-Passphrase!"),
			map[string]any{"user": "admin", "password": "S3cure-Passphrase!", "connect_status": "Connection Accepted", "success": true}},
		{"3.1 default pair", 3, 0, []byte("admin"), []byte("admin"),
			map[string]any{"user": "admin", "password": "admin", "success": true}},
		{"3.1.1 refused", 4, 4, []byte("admin"), []byte("guess"),
			map[string]any{"user": "admin", "password": "guess", "connect_status": "Refused: bad user name or password", "success": false}},
		{"5 default pair", 5, 0, []byte("admin"), []byte("admin"),
			map[string]any{"user": "admin", "password": "admin", "success": true}},
		{"5 refused", 5, 0x86, []byte("admin"), []byte("x"),
			map[string]any{"connect_status": "Bad User Name or Password", "success": false}},
		{"5 password without user", 5, 0, nil, []byte("tok3n"),
			map[string]any{"user": nil, "password": "tok3n", "success": true}},
		{"3.1.1 password without user", 4, 5, nil, []byte("tok3n"), // a protocol error in 3.1.1
			map[string]any{"user": nil, "password": "tok3n", "success": false}},
		{"user without password", 4, 0, []byte("sensor"), nil,
			map[string]any{"user": "sensor", "password": nil, "success": true}},
		{"empty password", 4, 0, []byte("admin"), []byte{},
			map[string]any{"user": "admin", "password": "", "success": true}},
		{"binary password", 4, 0, []byte("admin"), bin,
			map[string]any{"user": "admin", "password": string([]rune{'p', 0, 0xff, '"', 0x7f}), "success": true}},
		{"anonymous", 4, 0, nil, nil, nil},
	} {
		var connack []byte
		if c.ver == 5 {
			connack = pkt(2, 0, []byte{0, c.rc}, props(true))
		} else {
			connack = pkt(2, 0, []byte{0, c.rc})
		}
		steps := []step{{0, 1e9, connect(c.ver, c.user, c.password)}, {1, 2e9, connack}}
		recs := run(t, steps, 0)
		if c.want == nil {
			if len(recs) != 1 || !strings.HasPrefix(recs[0], "mqtt_connect ") {
				t.Errorf("%s: %q", c.name, recs)
			}
			continue
		}
		if len(recs) != 2 || !strings.HasPrefix(recs[0], AuthLog+" ") || !strings.HasPrefix(recs[1], "mqtt_connect ") {
			t.Fatalf("%s: %q, want the fact just before mqtt_connect", c.name, recs)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(recs[0], AuthLog+" ")), &m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m["uid"] != "C1" || m["ts"] != 1.0 || m["client_id"] != "dev1" {
			t.Errorf("%s: %s", c.name, recs[0])
		}
		for k, v := range c.want {
			if got, ok := m[k]; v == nil && ok || v != nil && got != v {
				t.Errorf("%s: %s = %q, want %q (%s)", c.name, k, got, v, recs[0])
			}
		}
		if strings.Contains(recs[1], `"password":`) || c.password != nil && len(c.password) > 0 && strings.Contains(recs[1], string(c.password)) {
			t.Errorf("%s: mqtt_connect shows the password: %s", c.name, recs[1])
		}
		// Any split of the stream gives the same records.
		for split := 1; split < 20; split++ {
			if got := run(t, steps, split); strings.Join(got, "\n") != strings.Join(recs, "\n") {
				t.Fatalf("%s: split %d differs:\n%s", c.name, split, strings.Join(got, "\n"))
			}
		}
	}
	// No CONNACK: no fact, no record.
	if recs := run(t, []step{{0, 1e9, connect(4, []byte("admin"), []byte("admin"))}}, 0); len(recs) != 0 {
		t.Errorf("unanswered CONNECT: %q", recs)
	}
	// Credentials cut short: the mqtt_connect record as before, no fact.
	cut := pkt(1, 0, s("MQTT"), []byte{4, 0xc2}, u16(30), s("dev1"), s("admin"), []byte{0, 9, 'x'})
	if recs := run(t, []step{{0, 1e9, cut}, {1, 2e9, pkt(2, 0, []byte{0, 0})}}, 0); len(recs) != 1 || !strings.Contains(recs[0], `"username_present":true`) {
		t.Errorf("truncated credentials: %q", recs)
	}
}

// TestConnectAllocs: after the first, a session's CONNECT and CONNACK
// with credentials (the fact and the record) allocate nothing but the
// CONNECT's strings, as before the fact.
func TestConnectAllocs(t *testing.T) {
	a := New(ci, nil)
	c, ack := connect(4, []byte("admin"), []byte("S3cure-Passphrase!")), pkt(2, 0, []byte{0, 0})
	a.Data(0, 1, c)
	a.Data(1, 2, ack)
	anon := New(ci, nil)
	canon := connect(4, nil, nil)
	anon.Data(0, 1, canon)
	anon.Data(1, 2, ack)
	base := testing.AllocsPerRun(100, func() { anon.Data(0, 1, canon); anon.Data(1, 2, ack) })
	if n := testing.AllocsPerRun(100, func() { a.Data(0, 1, c); a.Data(1, 2, ack) }); n > base {
		t.Errorf("%v allocations per CONNECT with credentials, %v without", n, base)
	}
}

func TestExpire(t *testing.T) {
	steps := []step{
		{0, 1e9, pkt(8, 2, u16(1), s("t"), []byte{0})},
		{0, 2e9, pkt(3, 2, s("p"), u16(2), []byte("x"))},
		{1, 20e9, pkt(13, 0)}, // a PINGRESP much later
	}
	recs := run(t, steps, 0)
	if all := strings.Join(recs, "\n"); len(recs) != 2 || !strings.Contains(all, `"ack":false`) || !strings.Contains(all, "incomplete_qos") {
		t.Fatalf("%v", recs)
	}
}

func TestMalformed(t *testing.T) {
	for i, in := range [][]byte{
		{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f}, // 5-byte remaining length
		pkt(3, 0, []byte{0, 9, 'a'}),         // topic longer than the packet
		pkt(1, 0, s("MQTT")),                 // truncated CONNECT
		pkt(9, 0, []byte{0}),                 // short SUBACK
		{},
	} {
		if recs := run(t, []step{{0, 1, in}}, 0); len(recs) != 0 {
			t.Errorf("case %d: %v", i, recs)
		}
	}
}

func TestBounds(t *testing.T) {
	var steps []step
	for i := 0; i < 3*MaxPending; i++ {
		steps = append(steps, step{0, int64(i), pkt(3, 2, s("t"), u16(i+1), []byte("x"))})
	}
	out := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, out)
	for _, st := range steps {
		a.Data(st.dir, st.ts, st.data)
		if len(a.pubs) > MaxPending {
			t.Fatalf("%d pending", len(a.pubs))
		}
	}
	big := pkt(3, 0, s("big"), []byte(strings.Repeat("p", 3*MaxBody)))
	a.Data(1, 1e9, big)
	if cap(a.sides[1].buf) > 2*MaxBody {
		t.Fatalf("buffer grew to %d", cap(a.sides[1].buf))
	}
	if r := out.Recs[len(out.Recs)-1]; !strings.Contains(r, fmt.Sprintf(`"payload_len":%d`, 3*MaxBody)) {
		t.Fatalf("%s", r)
	}
}

func TestDetect(t *testing.T) {
	c := pkt(1, 0, s("MQTT"), []byte{4, 2}, u16(60), s("x"))
	if Detect(0, c, 9999, 6) != proto.Sure {
		t.Fatal("CONNECT not sure")
	}
	if Detect(0, []byte("GET / HTTP/1.1\r\n"), 80, 6) != proto.No {
		t.Fatal("HTTP detected")
	}
	if Detect(0, []byte{0xc0, 0}, 1883, 6) != proto.Likely {
		t.Fatal("PINGREQ on 1883")
	}
}

// FuzzMQTT feeds pieces: a control byte (bit 7: responder, bit 6: a gap,
// low 6 bits: piece length) and the piece.
func FuzzMQTT(f *testing.F) {
	for _, v5 := range []bool{false, true} {
		f.Add(seedInput(v5))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t, WithLog: true})
		ts := prototest.Replay(a, in, 1e8, 1e8, func(int) {
			if len(a.pubs) > MaxPending || len(a.subs) > MaxPending || len(a.sides[0].buf) > MaxBody || len(a.sides[1].buf) > MaxBody {
				t.Fatal("bounds broken")
			}
		})
		a.End(ts)
	})
}

func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzMQTT", map[string][]byte{"session0": seedInput(false), "session1": seedInput(true)})
}

// seedInput is the session as fuzz input (see prototest.Replay).
func seedInput(v5 bool) []byte {
	var in []byte
	for _, st := range session(v5) {
		in = prototest.AppendPieces(in, st.dir, st.data)
	}
	return in
}
