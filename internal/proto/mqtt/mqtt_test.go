package mqtt

import (
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
			`mqtt_connect {"ts":1.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"proto_name":"MQTT","proto_version":"3.1.1","client_id":"dev1","connect_status":"Connection Accepted","will_topic":"will/t","will_payload":"bye","username_present":true,"password_present":true,"clean_session":true,"keep_alive":60}`,
			`mqtt_subscribe {"ts":3.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"action":"MQTT::SUBSCRIBE","topics":["a/#","b"],"qos_levels":[1,2],"granted_qos_level":1,"ack":true}`,
			`mqtt_publish {"ts":5.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":true,"retain":true,"qos":"at most once","status":"ok","topic":"a/x","payload":"hello","payload_len":5}`,
			`mqtt_publish {"ts":6.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":true,"retain":false,"qos":"at least once","status":"ok","topic":"a/y","payload":"` + strings.Repeat("z", 100) + `","payload_len":300}`,
			`mqtt_publish {"ts":7.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":false,"retain":false,"qos":"exactly once","status":"ok","topic":"a/z","payload":"q2","payload_len":2}`,
			`mqtt_subscribe {"ts":8.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"action":"MQTT::UNSUBSCRIBE","topics":["a/#"],"ack":true}`,
			`mqtt_publish {"ts":9.0,"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":1883,"from_client":true,"retain":false,"qos":"at least once","status":"incomplete_qos","topic":"lost","payload":"x","payload_len":1}`,
		}
		if v5 {
			want[0] = strings.Replace(want[0], `"3.1.1"`, `"5.0"`, 1)
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
