package modbus

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = &proto.ConnInfo{UID: "C1", OrigP: 40000, RespP: 502}

func adu(tid int, unit, fc byte, data ...byte) []byte {
	n := len(data) + 2
	return append([]byte{byte(tid >> 8), byte(tid), 0, 0, byte(n >> 8), byte(n), unit, fc}, data...)
}

type step struct {
	dir  proto.Direction
	data []byte
}

var session = []step{
	{0, adu(1, 10, 3, 0, 100, 0, 4)},
	{1, adu(1, 10, 3, 8, 0, 1, 0, 2, 0, 3, 0, 4)},
	{0, append(adu(2, 10, 16, 0, 7, 0, 2, 4, 0, 1, 0, 2), adu(3, 10, 5, 0, 9, 0xff, 0)...)},
	{1, adu(2, 10, 0x90, 2)},
	{1, adu(3, 10, 0x9c, 1)},
	{0, adu(4, 1, 0x81, 0)}, // a request with the exception bit: not logged
}

func run(t testing.TB, steps []step, split int) []string {
	out := &prototest.Sink{T: t, Log: "modbus"}
	a := New(ci, out)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, st.data, split)
	}
	a.End(0)
	return out.Recs
}

func TestSession(t *testing.T) {
	h := `"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":502`
	want := []string{
		`{"ts":1.0,` + h + `,"tid":1,"unit":10,"func":"READ_HOLDING_REGISTERS","pdu_type":"REQ","address":100,"quantity":4}`,
		`{"ts":2.0,` + h + `,"tid":1,"unit":10,"func":"READ_HOLDING_REGISTERS","pdu_type":"RESP"}`,
		`{"ts":3.0,` + h + `,"tid":2,"unit":10,"func":"WRITE_MULTIPLE_REGISTERS","pdu_type":"REQ","address":7,"quantity":2}`,
		`{"ts":3.0,` + h + `,"tid":3,"unit":10,"func":"WRITE_SINGLE_COIL","pdu_type":"REQ","address":9,"quantity":1}`,
		`{"ts":4.0,` + h + `,"tid":2,"unit":10,"func":"WRITE_MULTIPLE_REGISTERS_EXCEPTION","pdu_type":"RESP","exception":"ILLEGAL_DATA_ADDRESS"}`,
		`{"ts":5.0,` + h + `,"tid":3,"unit":10,"func":"unknown-156","pdu_type":"RESP","exception":"ILLEGAL_FUNCTION"}`,
	}
	got := run(t, session, 0)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for split := 1; split < 20; split++ {
		if g := run(t, session, split); strings.Join(g, "\n") != strings.Join(want, "\n") {
			t.Fatalf("split %d:\n%s", split, strings.Join(g, "\n"))
		}
	}
}

func TestMalformed(t *testing.T) {
	// A protocol id other than 0 stops the analyzer (Zeek's violation).
	bad := []byte{0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1}
	if got := run(t, []step{{0, bad}, {0, adu(1, 1, 3, 0, 0, 0, 1)}}, 0); len(got) != 0 {
		t.Fatalf("%v", got)
	}
	// A length under 2 as well.
	if got := run(t, []step{{0, []byte{0, 1, 0, 0, 0, 1, 1}}, {0, adu(1, 1, 3, 0, 0, 0, 1)}}, 0); len(got) != 0 {
		t.Fatalf("%v", got)
	}
	// A short body: no address fields, but a record.
	if got := run(t, []step{{0, adu(1, 1, 3, 0)}}, 0); len(got) != 1 || strings.Contains(got[0], "address") {
		t.Fatalf("%v", got)
	}
	// A huge length is skipped without buffering.
	a := New(ci, &prototest.Sink{T: t, Log: "modbus"})
	a.Data(0, 1, []byte{0, 1, 0, 0, 0xff, 0xff, 1, 3})
	a.Data(0, 1, make([]byte, 0xffff-2))
	if a.sides[0].nh != 0 {
		t.Fatal("PDU not finished")
	}
	if a.Dead {
		t.Fatal("dead")
	}
}

func TestDetect(t *testing.T) {
	if Detect(0, adu(1, 1, 3, 0, 0, 0, 1), 5020, 6) != proto.Likely {
		t.Fatal("modbus not likely")
	}
	if Detect(0, []byte{0x16, 3, 1, 0, 0xa5, 1, 0, 0, 0xa1}, 502, 6) != proto.No {
		t.Fatal("TLS on 502 taken")
	}
	if Detect(0, []byte("GET / HTTP/1.1\r\n"), 80, 6) != proto.No {
		t.Fatal("HTTP taken")
	}
}

func seedInput() []byte {
	var in []byte
	for _, st := range session {
		in = prototest.AppendPieces(in, st.dir, st.data)
	}
	return in
}

// TestSeedCorpus writes testdata/fuzz/FuzzModbus when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzModbus", map[string][]byte{"session": seedInput()})
}

// FuzzModbus feeds pieces (see prototest.Replay).
func FuzzModbus(f *testing.F) {
	f.Add(seedInput())
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t, Log: "modbus"})
		prototest.Replay(a, in, 1, 1, nil)
		a.End(0)
	})
}

// TestDeviceIdentification: a Read Device Identification (43/14) answer
// names the device — vendor, product code, revision, and the regular
// objects — whatever the segmentation; a malformed list ends at the
// first object that overruns it.
func TestDeviceIdentification(t *testing.T) {
	obj := func(id byte, v string) []byte { return append([]byte{id, byte(len(v))}, v...) }
	answer := []byte{0x0E, 2, 0x82, 0, 0, 5}
	answer = append(answer, obj(0, "Schneider Electric")...)
	answer = append(answer, obj(1, "BMX P34 2020")...)
	answer = append(answer, obj(2, "v2.70")...)
	answer = append(answer, obj(5, "M340")...)
	answer = append(answer, obj(0x80, "private")...)
	steps := []step{
		{0, adu(7, 1, 0x2B, 0x0E, 2, 0)},
		{1, adu(7, 1, 0x2B, answer...)},
		{1, adu(8, 1, 0x2B, 0x0E, 1, 0x81, 0, 0, 2, 0, 3, 'A', 'B', 'C', 1, 200, 'x')},
	}
	h := `"uid":"C1","id.orig_h":"","id.orig_p":40000,"id.resp_h":"","id.resp_p":502,`
	want := []string{
		`{"ts":1.0,` + h + `"tid":7,"unit":1,"func":"ENCAP_INTERFACE_TRANSPORT","pdu_type":"REQ","mei_type":"READ_DEVICE_IDENTIFICATION","read_device_id":"REGULAR","object_id":0}`,
		`{"ts":2.0,` + h + `"tid":7,"unit":1,"func":"ENCAP_INTERFACE_TRANSPORT","pdu_type":"RESP","mei_type":"READ_DEVICE_IDENTIFICATION","read_device_id":"REGULAR","conformity_level":130,"vendor_name":"Schneider Electric","product_code":"BMX P34 2020","revision":"v2.70","model_name":"M340"}`,
		`{"ts":3.0,` + h + `"tid":8,"unit":1,"func":"ENCAP_INTERFACE_TRANSPORT","pdu_type":"RESP","mei_type":"READ_DEVICE_IDENTIFICATION","read_device_id":"BASIC","conformity_level":129,"vendor_name":"ABC"}`,
	}
	for split := 0; split < 12; split++ {
		if got := run(t, steps, split); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("split %d: got\n%s\nwant\n%s", split, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
