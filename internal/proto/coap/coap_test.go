package coap

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = &proto.ConnInfo{UID: "C1", OrigP: 40000, RespP: 5683, Transport: 17}

// msg builds a message; opts are (number, value) pairs in order.
func msg(typ, code byte, id int, token string, payload string, opts ...any) []byte {
	b := []byte{0x40 | typ<<4 | byte(len(token)), code, byte(id >> 8), byte(id)}
	b = append(b, token...)
	last := 0
	for i := 0; i < len(opts); i += 2 {
		num, val := opts[i].(int), opts[i+1].(string)
		d := num - last
		last = num
		var ext []byte
		dn := d
		if d >= 13 {
			dn, ext = 13, []byte{byte(d - 13)}
		}
		ln := len(val)
		var lext []byte
		if ln >= 13 {
			ln, lext = 13, []byte{byte(len(val) - 13)}
		}
		b = append(b, byte(dn<<4|ln))
		b = append(b, ext...)
		b = append(b, lext...)
		b = append(b, val...)
	}
	if payload != "" {
		b = append(b, 0xff)
		b = append(b, payload...)
	}
	return b
}

type step struct {
	dir  proto.Direction
	data []byte
}

var session = []step{
	{0, msg(0, 1, 0x100, "\x01\x02", "", 11, "sensors", 11, "temp", 15, "u=c")}, // CON GET
	{1, msg(2, 2<<5|5, 0x100, "\x01\x02", "21.5", 12, "\x00")},                  // piggybacked 2.05
	{0, msg(0, 2, 0x101, "\x07", "x", 11, "fw")},                                // CON POST
	{1, msg(2, 0, 0x101, "", "")},                                               // empty ACK
	{1, msg(0, 4<<5|4, 0x9000, "\x07", "")},                                     // separate 4.04
	{0, msg(2, 0, 0x9000, "", "")},                                              // ACK of it
	{0, msg(0, 0, 0x102, "", "")},                                               // ping
	{1, msg(3, 0, 0x102, "", "")},                                               // RST
	{1, msg(1, 2<<5|5, 0x9001, "\x99", "obs")},                                  // unmatched NON 2.05
	{0, msg(1, 1, 0x103, "\x05", "", 3, "example.com", 11, ".well-known", 11, "core")},
}

func run(t testing.TB, steps []step) []string {
	out := &prototest.Sink{T: t, Log: "coap"}
	a := New(ci, out)
	for i, st := range steps {
		a.Data(st.dir, int64(i+1)*1e9, st.data)
	}
	a.End(99e9)
	return out.Recs
}

func TestSession(t *testing.T) {
	h := `"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":5683`
	want := []string{
		`{"ts":1.0,` + h + `,"type":"CON","code":"GET","message_id":256,"token":"0102","uri_path":"/sensors/temp","uri_query":"u=c","content_format":"text/plain;charset=utf-8","response_type":"ACK","response_code":"2.05 Content","rtt":1.0}`,
		`{"ts":3.0,` + h + `,"type":"CON","code":"POST","message_id":257,"token":"07","uri_path":"/fw","response_type":"CON","response_code":"4.04 Not Found","rtt":2.0}`,
		`{"ts":7.0,` + h + `,"type":"CON","code":"0.00 Empty","message_id":258,"token":"","response_type":"RST","rtt":1.0}`,
		`{"ts":9.0,` + h + `,"type":"NON","code":"2.05 Content","message_id":36865,"token":"99"}`,
		`{"ts":10.0,` + h + `,"type":"NON","code":"GET","message_id":259,"token":"05","uri_host":"example.com","uri_path":"/.well-known/core"}`,
	}
	got := run(t, session)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMalformed(t *testing.T) {
	for i, in := range [][]byte{
		{}, {0x40, 1, 0}, // short
		{0x80, 1, 0, 0},          // version 2
		{0x49, 1, 0, 0},          // TKL 9
		{0x40, 1, 0, 0, 0xff},    // marker without payload
		{0x40, 1, 0, 0, 0xf1, 0}, // option delta 15
		{0x40, 1, 0, 0, 0x15},    // option longer than the message
		{0x40, 0x60, 0, 0},       // class 3
		{0x41, 0, 0, 0, 1},       // empty message with a token
	} {
		if got := run(t, []step{{0, in}}); len(got) != 0 {
			t.Errorf("case %d: %v", i, got)
		}
	}
}

func TestBounds(t *testing.T) {
	a := New(ci, &prototest.Sink{T: t, Log: "coap"})
	for i := 0; i < 3*MaxPending; i++ {
		a.Data(0, int64(i), msg(0, 1, i, "", "", 11, strings.Repeat("p", 200)))
		if len(a.pending) > MaxPending {
			t.Fatalf("%d pending", len(a.pending))
		}
	}
	var opts []any
	for i := 0; i < 10; i++ {
		opts = append(opts, 11, strings.Repeat("q", 200))
	}
	m, ok := Parse(msg(0, 1, 1, "", "", opts...))
	if !ok || len(m.Path) > MaxURI {
		t.Fatalf("path %d ok %v", len(m.Path), ok)
	}
}

func TestDetect(t *testing.T) {
	if Detect(0, session[0].data, 5683, 17) != proto.Likely {
		t.Fatal("CoAP on 5683")
	}
	if Detect(0, session[0].data, 9999, 17) != proto.Maybe {
		t.Fatal("CoAP GET elsewhere")
	}
	if Detect(0, []byte{0x12, 0x34, 0x01, 0x00, 0, 1}, 53, 17) != proto.No {
		t.Fatal("DNS taken")
	}
}

func seedInput() []byte {
	var in []byte
	for _, st := range session {
		in = prototest.AppendDatagram(in, st.dir, st.data)
	}
	return in
}

// TestSeedCorpus writes testdata/fuzz/FuzzCoAP when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzCoAP", map[string][]byte{"session": seedInput()})
}

// FuzzCoAP feeds datagrams: a control byte (bit 7: responder, low 7 bits:
// length) and the datagram.
func FuzzCoAP(f *testing.F) {
	f.Add(seedInput())
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t, Log: "coap"})
		prototest.ReplayDatagrams(a, in, func() {
			if len(a.pending) > MaxPending {
				t.Fatal("bound")
			}
		})
		a.End(0)
	})
}
