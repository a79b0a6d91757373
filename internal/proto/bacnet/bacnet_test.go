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
	out := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, out)
	for i, st := range session {
		a.Data(st.dir, int64(i+1)*1e9, st.data)
	}
	var got []string
	for _, r := range out.Recs {
		if l, ok := strings.CutPrefix(r, "bacnet "); ok {
			got = append(got, l)
		}
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
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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

func seedInput(steps []step) []byte {
	var in []byte
	for _, st := range steps {
		in = prototest.AppendDatagram(in, st.dir, st.data)
	}
	return in
}

// TestSeedCorpus writes testdata/fuzz/FuzzBACnet when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzBACnet", map[string][]byte{
		"session":  seedInput(session),
		"property": seedInput(propertySession()),
	})
}

// FuzzBACnet feeds datagrams: a control byte (bit 7: responder, low 7
// bits: length) and the datagram. The segmented messages being put
// together hold at most maxSegmentedBytes per direction, and nothing once
// the connection ends.
func FuzzBACnet(f *testing.F) {
	f.Add(seedInput(session))
	f.Add(seedInput(propertySession()))
	f.Fuzz(func(t *testing.T, in []byte) {
		before := segmentedHeld.Load()
		a := New(ci, &prototest.Sink{T: t})
		prototest.ReplayDatagrams(a, in, func() {
			if h := segmentedHeld.Load() - before; h > 2*maxSegmentedBytes {
				t.Fatalf("%d bytes held", h)
			}
		})
		a.End(0)
		if h := segmentedHeld.Load() - before; h != 0 {
			t.Fatalf("%d bytes held after End", h)
		}
	})
}

// TestDiscovery: Who-Is, I-Am, Who-Has and I-Have requests give
// bacnet_discovery records with ICSNPP's fields (the vendor by its
// number, vendor_id, and the I-Am's max_apdu beyond ICSNPP).
func TestDiscovery(t *testing.T) {
	npdu := func(svc byte, params ...byte) []byte {
		return bvlc(11, append([]byte{1, 0, 0x10, svc}, params...)...)
	}
	head := `"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":47808,"id.resp_h":"10.0.0.2","id.resp_p":47808,"is_orig":true,"source_h":"10.0.0.1","source_p":47808,"destination_h":"10.0.0.2","destination_p":47808,`
	tests := []struct {
		name string
		in   []byte
		want string // "" for no record
	}{
		{"who-is all", npdu(8), `"pdu_service":"who-is","range":"All"`},
		{"who-is range", npdu(8, 0x09, 100, 0x1a, 0x01, 0x2c), `"pdu_service":"who-is","range":"100-300"`},
		// device 721 (object type 8), max APDU 1476, segmented-both, vendor 260
		{"i-am", npdu(0, 0xc4, 0x02, 0x00, 0x02, 0xd1, 0x22, 0x05, 0xc4, 0x91, 0x00, 0x22, 0x01, 0x04),
			`"pdu_service":"i-am","object_type":"device","instance_number":721,"vendor_id":260,"max_apdu":1476`},
		{"who-has by name", npdu(7, 0x3d, 0x08, 0x00, 'S', 'Y', 'N', 'E', 'R', 'G', 'Y'),
			`"pdu_service":"who-has","range":"All","object_name":"SYNERGY"`},
		{"who-has by id", npdu(7, 0x2c, 0x05, 0xc0, 0x00, 0x05), `"pdu_service":"who-has","object_type":"accumulator","instance_number":5,"range":"All"`},
		{"i-have", npdu(1, 0xc4, 0x02, 0x00, 0x00, 0x3d, 0xc4, 0x02, 0x00, 0x00, 0x3d, 0x75, 0x08, 0x00, 'S', 'Y', 'N', 'E', 'R', 'G', 'Y'),
			`"pdu_service":"i-have","device_id_type":"device","device_id_number":61,"object_type":"device","instance_number":61,"object_name":"SYNERGY"`},
		{"i-am truncated", npdu(0, 0xc4, 0x02, 0x00), ""},
		{"who-is half a range", npdu(8, 0x09, 100), ""},
		{"length past the end", npdu(0, 0xc5, 0xff, 0xff, 0xff, 0xff, 0xff), ""},
		{"time sync", npdu(6, 0xa4, 0x7b, 1, 1, 1), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &prototest.Sink{T: t, WithLog: true}
			New(ci, out).Data(proto.FromOrig, 1e9, tc.in)
			var got string
			for _, r := range out.Recs {
				if l, ok := strings.CutPrefix(r, "bacnet_discovery "); ok {
					got = l
				}
			}
			want := ""
			if tc.want != "" {
				want = `{"ts":1.0,` + head + tc.want + `}`
			}
			if got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestDiscoveryCharacterSets: a name in a double-byte character set (code
// page 932 here) is logged empty, as ICSNPP does, not as raw bytes.
func TestDiscoveryCharacterSets(t *testing.T) {
	out := &prototest.Sink{T: t, WithLog: true}
	in := bvlc(11, 1, 0, 0x10, 1, 0xc4, 0x02, 0x00, 0x00, 0xfe, 0xc4, 0x05, 0xc0, 0x00, 0x04, 0x75, 0x09, 0x01, 0x03, 0xa4, 0x89, 0xb7, 0x93, 0x78, 0x82, 0x51)
	New(ci, out).Data(proto.FromOrig, 1e9, in)
	if len(out.Recs) != 2 || !strings.HasSuffix(out.Recs[1], `"object_type":"accumulator","instance_number":4,"object_name":""}`) {
		t.Fatalf("%q", out.Recs)
	}
}
