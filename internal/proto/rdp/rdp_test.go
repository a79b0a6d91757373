package rdp

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = prototest.TCPConn("10.0.0.1", 50000, "10.0.0.2", 3389)

// tpkt wraps an X.224 PDU.
func tpkt(pdu []byte) []byte {
	n := len(pdu) + 4
	return append([]byte{3, 0, byte(n >> 8), byte(n)}, pdu...)
}

// connectRequest is an X.224 CR with a cookie (none when "") and an
// RDP_NEG_REQ for protocols.
func connectRequest(cookie string, protocols uint32) []byte {
	v := []byte{}
	if cookie != "" {
		v = append(v, "Cookie: mstshash="+cookie+"\r\n"...)
	}
	v = append(v, 1, 0, 8, 0)
	v = binary.LittleEndian.AppendUint32(v, protocols)
	pdu := append([]byte{byte(6 + len(v)), 0xE0, 0, 0, 0, 0, 0}, v...)
	return tpkt(pdu)
}

// connectConfirm is an X.224 CC with a negotiation response (typ 2) or
// failure (typ 3).
func connectConfirm(typ byte, code uint32) []byte {
	v := binary.LittleEndian.AppendUint32([]byte{typ, 0, 8, 0}, code)
	return tpkt(append([]byte{14, 0xD0, 0, 0, 0x12, 0x34, 0}, v...))
}

var clientHello = []byte{0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0}

func run(t testing.TB, steps []step, split int) ([]string, *Analyzer, int) {
	out := &prototest.Sink{T: t, Log: "rdp"}
	a := New(ci, out)
	consumed := -1
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, st.data, split)
		if next, n, ok := a.Upgrade(); ok {
			if next != "ssl" {
				t.Fatalf("upgrade to %q", next)
			}
			consumed = n
		}
	}
	a.End(100e9)
	return out.Recs, a, consumed
}

type step struct {
	dir  proto.Direction
	data []byte
}

const hdr = `"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":50000,"id.resp_h":"10.0.0.2","id.resp_p":3389`

func TestNegotiation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		steps   []step
		want    string
		upgrade bool
	}{
		{"credssp then TLS", []step{{0, connectRequest("administr", 3)}, {1, connectConfirm(2, 2)}, {0, clientHello}},
			`{"ts":1.0,` + hdr + `,"cookie":"administr","result":"encrypted","security_protocol":"HYBRID","cert_count":0}`, true},
		{"no cookie, HYBRID_EX", []step{{0, connectRequest("", 11)}, {1, connectConfirm(2, 8)}},
			`{"ts":1.0,` + hdr + `,"cookie":"","result":"encrypted","security_protocol":"HYBRID_EX","cert_count":0}`, true},
		{"refused", []step{{0, connectRequest("bob", 1)}, {1, connectConfirm(3, 2)}},
			`{"ts":1.0,` + hdr + `,"cookie":"bob","result":"SSL_NOT_ALLOWED_BY_SERVER","cert_count":0}`, false},
		{"unknown codes", []step{{0, connectRequest("eve", 1)}, {1, connectConfirm(3, 99)}},
			`{"ts":1.0,` + hdr + `,"cookie":"eve","result":"unknown-99","cert_count":0}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for split := 0; split < 30; split++ {
				got, a, consumed := run(t, tc.steps, split)
				if len(got) != 1 || got[0] != tc.want || a.Service() != "rdp" {
					t.Fatalf("split %d: service %q, got %q\nwant %s", split, a.Service(), got, tc.want)
				}
				if tc.upgrade != (consumed >= 0) {
					t.Fatalf("split %d: upgrade %v (consumed %d), want %v", split, consumed >= 0, consumed, tc.upgrade)
				}
			}
		})
	}
}

// TestUpgradeConsumed: TLS starts right after the negotiation response,
// even when the same Data call holds more.
func TestUpgradeConsumed(t *testing.T) {
	a := New(ci, &prototest.Sink{T: t, Log: "rdp"})
	a.Data(0, 1, connectRequest("x", 1))
	cc := connectConfirm(2, 1)
	a.Data(1, 2, append(append([]byte{}, cc...), 0x16, 3, 3))
	next, n, ok := a.Upgrade()
	if !ok || next != "ssl" || n != len(cc) {
		t.Fatalf("Upgrade() = %q, %d, %v; want ssl, %d, true", next, n, ok, len(cc))
	}
	if _, _, again := a.Upgrade(); again {
		t.Fatal("asked to upgrade twice")
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"not TPKT", []step{{0, []byte("GET / HTTP/1.1\r\n\r\n")}, {0, connectRequest("x", 1)}}},
		{"length under the header", []step{{0, []byte{3, 0, 0, 2}}, {0, connectRequest("x", 1)}}},
		{"length indicator past the PDU", []step{{0, tpkt([]byte{200, 0xE0, 0, 0})}}},
		{"MCS blocks with lying lengths", []step{{0, tpkt(append([]byte{2, 0xF0, 0x80}, append([]byte("....Duca\x00"), 1, 0xC0, 0xff, 0xff)...))}}},
		{"server security with a huge random", []step{{1, tpkt(append([]byte{2, 0xF0, 0x80}, append([]byte("\x00...McDn\x00"),
			0x02, 0x0C, 24, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 4, 0, 0, 0, 1, 0, 0, 0)...))}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, _ := run(t, tc.steps, 0)
			for _, r := range got {
				if strings.Contains(r, `"cookie":"x"`) {
					t.Fatalf("record after a framing error: %s", r)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		first []byte
		port  uint16
		want  proto.Confidence
	}{
		{connectRequest("admin", 3), 13389, proto.Sure},
		{[]byte{3, 0, 0, 8, 2, 0xF0, 0x80, 0}, 3389, proto.Maybe},
		{[]byte("GET / HTTP/1.1\r\n"), 3389, proto.No},
		{[]byte{0x16, 3, 1, 0, 0xa5, 1}, 3389, proto.No},
		{[]byte{3, 0, 0, 8, 2, 0xF0, 0x80, 0}, 102, proto.No},
	} {
		if got := Detect(0, tc.first, tc.port, 6); got != tc.want {
			t.Errorf("Detect(% x, %d) = %v, want %v", tc.first[:min(8, len(tc.first))], tc.port, got, tc.want)
		}
	}
}

var seedSteps = []step{{0, connectRequest("administr", 3)}, {1, connectConfirm(2, 2)}, {0, clientHello}}

func seedInput(steps []step) []byte {
	var in []byte
	for _, st := range steps {
		in = prototest.AppendPieces(in, st.dir, st.data)
	}
	return in
}

// TestSeedCorpus writes testdata/fuzz/FuzzRDP when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzRDP", map[string][]byte{"negotiation": seedInput(seedSteps)})
}

// FuzzRDP feeds pieces (see prototest.Replay): records are JSON (the sink
// checks), kept bytes stay within MaxKeep and channels within MaxChannels.
func FuzzRDP(f *testing.F) {
	f.Add(seedInput(seedSteps))
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t, Log: "rdp"})
		prototest.Replay(a, in, 1, 1, func(int) {
			for i := range a.sides {
				if len(a.sides[i].msg) > MaxKeep {
					t.Fatalf("kept %d bytes", len(a.sides[i].msg))
				}
			}
			if len(a.info.channels) > MaxChannels {
				t.Fatalf("%d channels", len(a.info.channels))
			}
			a.Upgrade()
		})
		a.End(0)
	})
}
