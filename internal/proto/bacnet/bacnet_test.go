package bacnet

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var ci = &proto.ConnInfo{UID: "C1", OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 47808,
	RespH: netip.MustParseAddr("10.0.0.2"), RespP: 47808, Transport: 17}

func bvlc(fn byte, rest ...byte) []byte {
	n := 4 + len(rest)
	return append([]byte{0x81, fn, byte(n >> 8), byte(n)}, rest...)
}

type step struct {
	dir  proto.Direction
	data []byte
}

var session = []step{
	{0, bvlc(10, 1, 4, 0x00, 0x05, 7, 12, 0x0c, 0, 0, 0, 1, 0x19, 0x55)}, // read_property req, invoke 7
	{1, bvlc(10, 1, 0, 0x30, 7, 12, 0x0c)},                               // complex ack
	{1, bvlc(10, 1, 0, 0x38, 8, 1, 2, 12)},                               // later segment: not logged
	{0, bvlc(11, 1, 0x20, 0xff, 0xff, 0, 0xff, 0x10, 8)},                 // who-is, global broadcast
	{1, bvlc(10, 1, 0, 0x50, 9, 20, 0x91, 0, 0x91, 26)},                  // error password-failure
	{1, bvlc(10, 1, 0, 0x60, 10, 9)},                                     // reject
	{1, bvlc(10, 1, 0, 0x71, 11, 4)},                                     // abort
	{0, bvlc(4, 192, 168, 1, 9, 0xba, 0xc0, 1, 0, 0x10, 0)},              // forwarded i-am
	{1, bvlc(0, 0, 0x30)},                                                // BVLC result NAK
	{0, bvlc(10, 1, 0x80, 0)},                                            // network layer message
}

func TestSession(t *testing.T) {
	out := &prototest.Sink{T: t, Log: "bacnet"}
	a := New(ci, out)
	for i, st := range session {
		a.Data(st.dir, int64(i+1)*1e9, st.data)
	}
	h := `"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":47808,"id.resp_h":"10.0.0.2","id.resp_p":47808`
	o := `"is_orig":true,"source_h":"10.0.0.1","source_p":47808,"destination_h":"10.0.0.2","destination_p":47808`
	r := `"is_orig":false,"source_h":"10.0.0.2","source_p":47808,"destination_h":"10.0.0.1","destination_p":47808`
	want := []string{
		`{"ts":1.0,` + h + `,` + o + `,"bvlc_function":"Original_Unicast_NPDU","pdu_type":"CONFIRMED_REQUEST","pdu_service":"read_property","invoke_id":7}`,
		`{"ts":2.0,` + h + `,` + r + `,"bvlc_function":"Original_Unicast_NPDU","pdu_type":"COMPLEX_ACK","pdu_service":"read_property","invoke_id":7}`,
		`{"ts":4.0,` + h + `,` + o + `,"bvlc_function":"Original_Broadcast_NPDU","pdu_type":"UNCONFIRMED_REQUEST","pdu_service":"who_is"}`,
		`{"ts":5.0,` + h + `,` + r + `,"bvlc_function":"Original_Unicast_NPDU","pdu_type":"ERROR_PDU","pdu_service":"reinitialize_device","invoke_id":9,"result_code":"password-failure"}`,
		`{"ts":6.0,` + h + `,` + r + `,"bvlc_function":"Original_Unicast_NPDU","pdu_type":"REJECT_PDU","pdu_service":"reject","invoke_id":10,"result_code":"unrecognized-service"}`,
		`{"ts":7.0,` + h + `,` + r + `,"bvlc_function":"Original_Unicast_NPDU","pdu_type":"ABORT_PDU","pdu_service":"abort","invoke_id":11,"result_code":"segmentation-not-supported"}`,
		`{"ts":8.0,` + h + `,"is_orig":true,"source_h":"192.168.1.9","source_p":47808,"destination_h":"10.0.0.2","destination_p":47808,"bvlc_function":"Forwarded_NPDU","pdu_type":"UNCONFIRMED_REQUEST","pdu_service":"i_am"}`,
		`{"ts":9.0,` + h + `,` + r + `,"bvlc_function":"BVLC_Result","result_code":"Register-Foreign-Device_NAK"}`,
		`{"ts":10.0,` + h + `,` + o + `,"bvlc_function":"Original_Unicast_NPDU"}`,
	}
	if strings.Join(out.Recs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(out.Recs, "\n"), strings.Join(want, "\n"))
	}
}

func TestMalformed(t *testing.T) {
	for i, in := range [][]byte{{}, {0x81}, {0x82, 10, 0, 4}, {0x81, 10, 0, 2}} {
		if _, ok := Parse(in); ok {
			t.Errorf("case %d parsed", i)
		}
	}
	// Truncated NPDU/APDU headers parse without an APDU or with what is there.
	for _, in := range [][]byte{bvlc(10, 1, 0x20, 0xff), bvlc(10, 1), bvlc(10, 1, 0, 0x00), bvlc(10, 1, 0, 0x50, 1, 2, 0x95)} {
		Parse(in)
	}
	if h, _ := Parse(bvlc(10, 1, 0, 0x50, 1, 5, 0x91, 1, 0x95)); h.ResultCode != "" {
		t.Fatalf("%+v", h)
	}
}

func TestDetect(t *testing.T) {
	if Detect(0, session[0].data, 1, 17) != proto.Sure {
		t.Fatal("not sure")
	}
	if Detect(0, []byte("\x81\x0a\x00\x04"), 1, 17) != proto.Likely {
		t.Fatal("header not likely")
	}
	// The BVLC length must be the datagram's: a DNS query whose id happens
	// to read 0x81 0x05 is not BACnet.
	dnsQuery := []byte("\x81\x05\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01")
	if c := Detect(0, dnsQuery, 53, 17); c != proto.No {
		t.Fatalf("a DNS query detected as BACnet (%v)", c)
	}
	if Detect(0, []byte("\x81\x0a\x00\x40"), 1, 17) != proto.No {
		t.Fatal("a 4-byte datagram claiming 64 bytes detected")
	}
	if Detect(0, []byte("hello"), 47808, 17) != proto.Maybe || Detect(0, []byte("hello"), 1, 17) != proto.No {
		t.Fatal("port")
	}
}

func seedInput() []byte {
	var in []byte
	for _, st := range session {
		in = prototest.AppendDatagram(in, st.dir, st.data)
	}
	return in
}

// TestSeedCorpus writes testdata/fuzz/FuzzBACnet when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzBACnet", map[string][]byte{"session": seedInput()})
}

// FuzzBACnet feeds datagrams: a control byte (bit 7: responder, low 7
// bits: length) and the datagram.
func FuzzBACnet(f *testing.F) {
	f.Add(seedInput())
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(ci, &prototest.Sink{T: t, Log: "bacnet"})
		prototest.ReplayDatagrams(a, in, nil)
		a.End(0)
	})
}
