package dnp3

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = &proto.ConnInfo{UID: "C1", OrigP: 40000, RespP: 20000, Transport: 6}

func withCRC(b []byte) []byte {
	c := CRC(b)
	return append(b, byte(c), byte(c>>8))
}

// frame builds a link frame carrying user data (transport byte included).
func frame(ctrl byte, ud []byte) []byte {
	f := withCRC([]byte{0x05, 0x64, byte(5 + len(ud)), ctrl, 1, 0, 2, 0})
	for len(ud) > 0 {
		n := min(16, len(ud))
		f = append(f, withCRC(append([]byte(nil), ud[:n]...))...)
		ud = ud[n:]
	}
	return f
}

// app builds the frames of one application fragment split into pieces of
// at most per bytes.
func app(ctrl byte, fragment []byte, per int) []byte {
	var out []byte
	for seq := 0; len(fragment) > 0; seq++ {
		n := min(per, len(fragment))
		tp := byte(seq & 0x3f)
		if seq == 0 {
			tp |= 0x40
		}
		if n == len(fragment) {
			tp |= 0x80
		}
		out = append(out, frame(ctrl, append([]byte{tp}, fragment[:n]...))...)
		fragment = fragment[n:]
	}
	return out
}

type step struct {
	dir  proto.Direction
	data []byte
}

var session = []step{
	{0, app(0xc4, []byte{0xc0, 0x01, 0x3c, 0x02, 0x06}, 249)},                       // READ
	{1, app(0x44, append([]byte{0xc0, 0x81, 0x80, 0x00}, make([]byte, 60)...), 20)}, // RESPONSE over 4 frames
	{1, frame(0x0b, nil)},                               // link status only
	{1, app(0x44, []byte{0xe0, 0x82, 0x10, 0x00}, 249)}, // unsolicited
	{0, app(0xc4, []byte{0xc1, 0x0d}, 249)},             // COLD_RESTART, unanswered
}

func run(t testing.TB, steps []step, split int) []string {
	out := &prototest.Sink{T: t, Log: "dnp3"}
	a := New(ci, out)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, st.data, split)
	}
	a.End(9e9)
	return out.Recs
}

func TestSession(t *testing.T) {
	h := `"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":20000`
	want := []string{
		`{"ts":2.0,` + h + `,"fc_request":"READ","fc_reply":"RESPONSE","iin":32768}`,
		`{"ts":4.0,` + h + `,"fc_reply":"UNSOLICITED_RESPONSE","iin":4096}`,
		`{"ts":5.0,` + h + `,"fc_request":"COLD_RESTART"}`,
	}
	got := run(t, session, 0)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for split := 1; split < 40; split++ {
		if g := run(t, session, split); strings.Join(g, "\n") != strings.Join(want, "\n") {
			t.Fatalf("split %d:\n%s", split, strings.Join(g, "\n"))
		}
	}
}

func TestMalformed(t *testing.T) {
	good := app(0xc4, []byte{0xc0, 0x01}, 249)
	bad := append([]byte(nil), good...)
	bad[12] ^= 1 // user-data CRC broken
	if got := run(t, []step{{0, bad}, {0, good}}, 0); len(got) != 0 {
		t.Fatalf("bad CRC: %v", got)
	}
	if got := run(t, []step{{0, []byte("\x05\x65xxxxxxxxxxxx")}, {0, good}}, 0); len(got) != 0 {
		t.Fatalf("bad magic: %v", got)
	}
	// A fragment whose first chunk is missing is dropped, the next kept.
	mid := frame(0xc4, []byte{0x81, 0xc0, 0x02})
	if got := run(t, []step{{0, mid}, {0, good}}, 0); len(got) != 1 || !strings.Contains(got[0], "READ") {
		t.Fatalf("lost first chunk: %v", got)
	}
	// A length under 5 is a bad header.
	if got := run(t, []step{{0, withCRC([]byte{5, 0x64, 4, 0xc4, 1, 0, 2, 0})}}, 0); len(got) != 0 {
		t.Fatalf("%v", got)
	}
}

func TestDetect(t *testing.T) {
	if Detect(0, session[0].data, 1, 6) != proto.Sure {
		t.Fatal("not sure")
	}
	if Detect(0, []byte("\x05\x64\x00\x00\x00\x00\x00\x00\x00\x00"), 1, 6) != proto.No {
		t.Fatal("bad CRC detected")
	}
	if Detect(0, []byte("hello"), 20000, 17) != proto.Maybe {
		t.Fatal("port")
	}
}

func seedInput() []byte {
	var in []byte
	for _, st := range session {
		in = prototest.AppendPieces(in, st.dir, st.data)
	}
	return in
}

// TestSeedCorpus writes testdata/fuzz/FuzzDNP3 when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzDNP3", map[string][]byte{"session": seedInput()})
}

// FuzzDNP3 feeds pieces (see prototest.Replay).
func FuzzDNP3(f *testing.F) {
	f.Add(seedInput())
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t, Log: "dnp3"})
		prototest.Replay(a, in, 1, 1, nil)
		a.End(0)
	})
}
