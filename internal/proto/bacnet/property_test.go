package bacnet

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// confirmed is a confirmed request (invoke id 7) of service svc.
func confirmed(svc byte, params ...byte) []byte {
	return bvlc(10, append([]byte{1, 4, 0x00, 0x05, 7, svc}, params...)...)
}

// complexAck is the complex ack (invoke id 7) of service svc.
func complexAck(svc byte, params ...byte) []byte {
	return bvlc(10, append([]byte{1, 0, 0x30, 7, svc}, params...)...)
}

// oid is a context tag n holding the object identifier typ:inst.
func oid(n, typ byte, inst uint32) []byte {
	v := uint32(typ)<<22 | inst
	return []byte{n<<4 | 0x0c, byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// appOID is an application-tagged object identifier typ:inst.
func appOID(typ byte, inst uint32) []byte {
	b := oid(0, typ, inst)
	b[0] = 0xc4
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// propertyRecords feeds the datagrams to one analyzer (the requests from
// the originator, the rest from the responder) and returns the
// bacnet_property records with the fields after destination_p.
func propertyRecords(t *testing.T, datagrams ...[]byte) []string {
	t.Helper()
	out := &prototest.Sink{T: t, WithLog: true}
	a := New(ci, out)
	for i, d := range datagrams {
		dir := proto.FromResp
		if h, _ := Parse(d); h.PDUType == 0 {
			dir = proto.FromOrig
		}
		a.Data(dir, int64(i+1)*1e9, d)
	}
	a.End(0)
	var got []string
	for _, r := range out.Recs {
		if l, ok := strings.CutPrefix(r, "bacnet_property "); ok {
			_, rest, _ := strings.Cut(l, `"destination_p":47808,`)
			got = append(got, strings.TrimSuffix(rest, "}"))
		}
	}
	return got
}

func checkRecords(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPropertyServices: the records of each property service, as ICSNPP
// writes them (and WritePropertyMultiple, which it does not log).
func TestPropertyServices(t *testing.T) {
	ai5 := oid(0, 0, 5) // analog-input 5
	const head = `"invoke_id":7,"pdu_service":`
	got := propertyRecords(t,
		// ReadProperty analog-input 5 present-value, and its answer 33.40131
		confirmed(12, cat(ai5, []byte{0x19, 85})...),
		complexAck(12, cat(ai5, []byte{0x19, 85, 0x3e, 0x44, 0x42, 0x05, 0x9a, 0xf1, 0x3f})...),
		// units (enumerated 62) at array index 3: named
		complexAck(12, cat(ai5, []byte{0x19, 117, 0x29, 3, 0x3e, 0x91, 62, 0x3f})...),
		// device 254's object-list: one record per identifier
		complexAck(12, cat(oid(0, 8, 254), []byte{0x19, 76, 0x3e}, appOID(3, 0), appOID(4, 10001), []byte{0x3f})...),
		// ReadPropertyMultiple: object-name, and priority-array[3]
		confirmed(14, cat(ai5, []byte{0x1e, 0x09, 77, 0x09, 87, 0x19, 3, 0x1f})...),
		// its answer: the name, and an error (unknown-property)
		complexAck(14, cat(ai5, []byte{0x1e, 0x29, 77, 0x4e, 0x75, 0x04, 0x00, 'A', 'I', '5', 0x4f,
			0x29, 87, 0x39, 3, 0x5e, 0x91, 2, 0x91, 32, 0x5f, 0x1f})...),
		// WriteProperty of 80.0 at priority 8
		confirmed(15, cat(oid(0, 1, 0), []byte{0x19, 85, 0x3e, 0x44, 0x42, 0xa0, 0x00, 0x00, 0x3f, 0x49, 8})...),
		// WritePropertyMultiple: binary-output 1 present-value active, out-of-service true
		confirmed(16, cat(oid(0, 4, 1), []byte{0x1e, 0x09, 85, 0x2e, 0x91, 1, 0x2f, 0x39, 16, 0x09, 81, 0x2e, 0x11, 0x2f, 0x1f})...),
		// ReadRange of trend-log 2's log-buffer, and its answer of 10 items
		confirmed(26, cat(oid(0, 20, 2), []byte{0x19, 131, 0x3e, 0x21, 1, 0x31, 10, 0x3f})...),
		complexAck(26, cat(oid(0, 20, 2), []byte{0x19, 131, 0x3a, 0x05, 0xe0, 0x49, 10, 0x5e, 0x5f})...),
		// an Error answering a WriteProperty: write-access-denied
		bvlc(10, 1, 0, 0x50, 7, 15, 0x91, 2, 0x91, 40),
		// not property services: SubscribeCOV, and a simple ack
		confirmed(5, 0x09, 1, 0x1c, 0, 0, 0, 5),
		bvlc(10, 1, 0, 0x20, 7, 15),
	)
	const ai = `"object_type":"analog-input","instance_number":5,`
	checkRecords(t, got, []string{
		head + `"read-property-request",` + ai + `"property":"present-value"`,
		head + `"read-property-ack",` + ai + `"property":"present-value","value":"33.401310"`,
		head + `"read-property-ack",` + ai + `"property":"units","array_index":3,"value":"degrees-celsius"`,
		head + `"read-property-ack","object_type":"device","instance_number":254,"property":"object-list","value":"binary-input: 0"`,
		head + `"read-property-ack","object_type":"device","instance_number":254,"property":"object-list","value":"binary-output: 10001"`,
		head + `"read-property-multiple-request",` + ai + `"property":"object-name"`,
		head + `"read-property-multiple-request",` + ai + `"property":"priority-array","array_index":3`,
		head + `"read-property-multiple-ack",` + ai + `"property":"object-name","value":"AI5"`,
		head + `"read-property-multiple-ack",` + ai + `"property":"priority-array","array_index":3,"value":"PropertyError"`,
		head + `"write-property","object_type":"analog-output","instance_number":0,"property":"present-value","value":"80.000000","priority":8`,
		head + `"write-property-multiple","object_type":"binary-output","instance_number":1,"property":"present-value","value":"1","priority":16`,
		head + `"write-property-multiple","object_type":"binary-output","instance_number":1,"property":"out-of-service","value":"true"`,
		head + `"read-range-request","object_type":"trend-log","instance_number":2,"property":"log-buffer"`,
		head + `"read-range-ack","object_type":"trend-log","instance_number":2,"property":"log-buffer","value":"item_count: 10"`,
		head + `"ERROR: write_property","object_type":"write-access-denied"`,
	})
}

// TestPropertyValues: how each application tag's value is written.
func TestPropertyValues(t *testing.T) {
	f32 := func(f float32) []byte {
		v := math.Float32bits(f)
		return []byte{0x44, byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	}
	f64 := func(f float64) []byte {
		v := math.Float64bits(f)
		b := []byte{0x55, 8}
		for i := 56; i >= 0; i -= 8 {
			b = append(b, byte(v>>i))
		}
		return b
	}
	for _, tc := range []struct {
		name string
		tag  []byte
		want string // "" for no value
	}{
		{"null", []byte{0x00}, ""},
		{"false", []byte{0x10}, "false"},
		{"true", []byte{0x11}, "true"},
		{"unsigned", []byte{0x22, 0x01, 0x2c}, "300"},
		{"unsigned 5 bytes", []byte{0x25, 5, 1, 0, 0, 0, 0}, "4294967296"},
		{"signed", []byte{0x31, 0xfe}, "-2"},
		{"signed 3 bytes", []byte{0x33, 0xff, 0x00, 0x00}, "-65536"},
		{"signed 4 bytes", []byte{0x34, 0x00, 0x01, 0x00, 0x00}, "65536"},
		{"real", f32(-1.5), "-1.500000"},
		{"real rounding", f32(1493.1343), "1493.134277"},
		{"real inf", f32(float32(math.Inf(1))), "inf"},
		{"real nan", f32(float32(math.NaN())), "nan"},
		{"real short", []byte{0x43, 1, 2, 3}, ""},
		{"double", f64(1e-7), "0.000000"},
		{"double big", f64(123456789.25), "123456789.250000"},
		{"octets", []byte{0x63, 0x00, 0xab, 0xff}, "00abff"},
		{"utf-8", []byte{0x75, 0x05, 0x00, 'c', 0xc3, 0xa9, 0x00}, "cé"},
		{"utf-8 stops at NUL", []byte{0x74, 0x00, 'a', 0x00, 'b'}, "a"},
		{"iso 8859-1", []byte{0x73, 0x05, 'c', 0xe9}, "cé"},
		{"ucs-2", []byte{0x75, 0x05, 0x04, 0x00, 'c', 0x00, 0xe9}, "cé"},
		{"ucs-2 surrogate pair", []byte{0x75, 0x05, 0x04, 0xd8, 0x3d, 0xde, 0x00}, "😀"},
		{"ucs-4", []byte{0x75, 0x05, 0x03, 0x00, 0x01, 0xf6, 0x00}, "😀"},
		{"dbcs", []byte{0x75, 0x05, 0x01, 0x03, 0xa4, 0x89, 0xb7}, ""},
		{"bits", []byte{0x82, 0x04, 0xa0}, "TFTF"},
		{"bits two bytes", []byte{0x83, 0x07, 0xff, 0x80}, "TTTTTTTTT"},
		{"bits empty", []byte{0x81, 0x00}, ""},
		{"enumerated", []byte{0x91, 0x03}, "3"},
		{"date", []byte{0xa4, 124, 2, 29, 4}, "2/29/2024"},
		{"date unspecified", []byte{0xa4, 255, 255, 255, 255}, "255/255/2155"},
		{"time", []byte{0xb4, 13, 5, 9, 50}, "13:5:9.50"},
		{"object identifier", []byte{0xc4, 0x02, 0x00, 0x00, 0xfe}, "device: 254"},
		{"unknown object type", []byte{0xc4, 0xff, 0xc0, 0x00, 0x01}, "Unknown Object Type-0x3ff: 1"},
		{"reserved tag", []byte{0xd2, 0x01, 0x02}, "0102"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, rest, ok := nextTag(tc.tag)
			if !ok || len(rest) != 0 {
				t.Fatalf("tag %x does not parse alone", tc.tag)
			}
			if got := string(appendValue(nil, tg)); got != tc.want {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
	long := append([]byte{0x65, 0xfe, 0x04, 0x01}, make([]byte, 1025)...)
	long[1], long[2], long[3] = 0xfe, 0x04, 0x01 // extended length 1025
	if tg, _, ok := nextTag(long); !ok || string(appendValue(nil, tg)) != "<octets len=1025>" {
		t.Fatalf("long octet string: %v %q", ok, appendValue(nil, tg))
	}
}

// TestPropertyConstructed: a constructed value (a weekly schedule's
// BACnetTimeValues, with context tags) gives one record per primitive
// value; an empty list one record without a value; named enumerations
// only for ICSNPP's properties.
func TestPropertyConstructed(t *testing.T) {
	sched := oid(0, 17, 1)
	got := propertyRecords(t,
		complexAck(12, cat(sched, []byte{0x19, 123, 0x29, 1, 0x3e,
			0x0e, 0xb4, 8, 0, 0, 0, 0x91, 1, 0xb4, 17, 30, 0, 0, 0x91, 0, 0x0f,
			0x3f})...),
		complexAck(12, cat(oid(0, 8, 9), []byte{0x19, 152, 0x3e, 0x3f})...),
		complexAck(12, cat(oid(0, 8, 9), []byte{0x19, 112, 0x3e, 0x91, 9, 0x3f})...),
		complexAck(12, cat(oid(0, 8, 9), []byte{0x19, 111, 0x3e, 0x82, 0x04, 0x40, 0x3f})...),
		complexAck(12, cat(oid(0, 8, 9), []byte{0x19, 30, 0x3e, 0x0a, 0x01, 0x2c, 0x3f})...),
	)
	const s = `"invoke_id":7,"pdu_service":"read-property-ack","object_type":"schedule","instance_number":1,"property":"weekly-schedule","array_index":1,"value":`
	const d = `"invoke_id":7,"pdu_service":"read-property-ack","object_type":"device","instance_number":9,`
	checkRecords(t, got, []string{
		s + `"8:0:0.0"`, s + `"1"`, s + `"17:30:0.0"`, s + `"0"`,
		d + `"property":"active-cov-subscriptions"`,
		d + `"property":"system-status","value":"Vendor Specific (9)"`,
		d + `"property":"status-flags","value":"FTFF"`,
		d + `"property":"device-address-binding","value":"300"`,
	})
}

// TestPropertySegmented: a segmented answer is logged once, at its last
// segment, whole; a segment sent again is skipped; a missed segment, a
// segment of another message or an over-long message drops it.
func TestPropertySegmented(t *testing.T) {
	// device 254's object-list: 60 identifiers in 3 segments
	var ids []byte
	for i := range 60 {
		ids = append(ids, appOID(4, uint32(10000+i))...)
	}
	params := cat(oid(0, 8, 254), []byte{0x19, 76, 0x3e}, ids, []byte{0x3f})
	seg := func(seq byte, more bool, part []byte) []byte {
		flags := byte(0x38)
		if more {
			flags |= 0x04
		}
		return bvlc(10, append([]byte{1, 0, flags, 94, seq, 3, 12}, part...)...)
	}
	p0, p1, p2 := params[:100], params[100:200], params[200:]
	count := func(datagrams ...[]byte) int {
		t.Helper()
		got := propertyRecords(t, datagrams...)
		for i, r := range got {
			if !strings.Contains(r, `"value":"binary-output: 100`) {
				t.Fatalf("record %d: %s", i, r)
			}
		}
		return len(got)
	}
	if n := count(seg(0, true, p0), seg(1, true, p1), seg(1, true, p1), seg(2, false, p2)); n != 60 {
		t.Fatalf("in order with a segment sent again: %d records", n)
	}
	if n := count(seg(0, true, p0), seg(2, false, p2)); n != 0 {
		t.Fatalf("a missed segment: %d records", n)
	}
	other := bvlc(10, 1, 0, 0x3c, 95, 1, 3, 12, 0x0c)
	if n := count(seg(0, true, p0), other, seg(1, true, p1), seg(2, false, p2)); n != 60 {
		t.Fatalf("another message's segment between: %d records", n)
	}
	// 300 segments of 1,000 bytes (the sequence number wraps): past
	// maxSegmentedBytes, so dropped.
	before := segmentedHeld.Load()
	out := &prototest.Sink{T: t}
	a := New(ci, out)
	a.Data(proto.FromResp, 1, seg(0, true, p0))
	filler := make([]byte, 1000)
	for i := 1; i < 300; i++ {
		a.Data(proto.FromResp, 1, seg(byte(i), true, filler))
		if h := segmentedHeld.Load() - before; h > maxSegmentedBytes {
			t.Fatalf("segment %d: %d bytes held", i, h)
		}
	}
	a.Data(proto.FromResp, 1, seg(300-256, false, p2))
	if h := segmentedHeld.Load() - before; h != 0 {
		t.Fatalf("%d bytes held after the message was dropped", h)
	}
	a.Data(proto.FromResp, 1, seg(0, true, p0))
	if segmentedHeld.Load() == before {
		t.Fatal("a new message holds nothing")
	}
	a.End(2)
	if h := segmentedHeld.Load() - before; h != 0 {
		t.Fatalf("%d bytes held after End", h)
	}
	for _, r := range out.Recs {
		if strings.Contains(r, "object-list") {
			t.Fatalf("an over-long message logged: %s", r)
		}
	}
}

// TestPropertySequenceWraps: a message of more than 256 segments goes on
// past sequence number 255 to 0.
func TestPropertySequenceWraps(t *testing.T) {
	params := cat(oid(0, 8, 254), []byte{0x19, 76, 0x3e}, appOID(4, 10000), []byte{0x3f})
	var dgs [][]byte
	for i := range 300 {
		part, flags := []byte{}, byte(0x3c)
		switch i {
		case 0:
			part = params[:4]
		case 299:
			part, flags = params[4:], 0x38
		}
		dgs = append(dgs, bvlc(10, append([]byte{1, 0, flags, 94, byte(i), 3, 12}, part...)...))
	}
	checkRecords(t, propertyRecords(t, dgs...), []string{
		`"invoke_id":94,"pdu_service":"read-property-ack","object_type":"device","instance_number":254,"property":"object-list","value":"binary-output: 10000"`,
	})
}

// TestPropertyBounded: one hostile datagram of the largest BACnet/IP size
// gives at most minRecords + 1 per recordsPerByte bytes of parameters,
// whatever it holds: 1,460 nulls, a ReadPropertyMultiple of 700
// properties, values nested past maxDepth.
func TestPropertyBounded(t *testing.T) {
	const size = 1476
	nulls := cat(oid(0, 8, 1), []byte{0x19, 87, 0x3e}, make([]byte, size-12), []byte{0x3f})
	var refs []byte
	for len(refs) < size-10 {
		refs = append(refs, 0x09, 85)
	}
	rpm := cat(oid(0, 0, 1), []byte{0x1e}, refs, []byte{0x1f})
	deep := cat(oid(0, 8, 1), []byte{0x19, 87, 0x3e}, bytes.Repeat([]byte{0x0e}, 600), []byte{0x21, 1}, bytes.Repeat([]byte{0x0f}, 600), []byte{0x3f})
	for _, tc := range []struct {
		name   string
		msg    []byte
		params int
	}{
		{"nulls", complexAck(12, nulls...), len(nulls)},
		{"read property multiple", confirmed(14, rpm...), len(rpm)},
		{"deep", complexAck(12, deep...), len(deep)},
	} {
		out := &prototest.Sink{T: t, WithLog: true}
		a := New(ci, out)
		a.Data(proto.FromResp, 1, tc.msg)
		a.End(1)
		n, bytesOut := 0, 0
		for _, r := range out.Recs {
			if strings.HasPrefix(r, "bacnet_property ") {
				n++
				bytesOut += len(r)
			}
		}
		t.Logf("%s: %d bytes in, %d records, %d bytes out", tc.name, len(tc.msg), n, bytesOut)
		if limit := minRecords + tc.params/recordsPerByte; n > limit || n == 0 {
			t.Errorf("%s: %d records (limit %d)", tc.name, n, limit)
		}
	}
}

// TestSegmentedHeldBounded: many connections each putting a long message
// together hold at most maxSegmentedHeld bytes in all; what a connection
// held is given back at its end.
func TestSegmentedHeldBounded(t *testing.T) {
	before := segmentedHeld.Load()
	part := make([]byte, 1000)
	var as []*Analyzer
	for range 300 {
		a := New(ci, &prototest.Sink{T: t})
		as = append(as, a)
		for seq := range 60 {
			a.Data(proto.FromResp, 1, bvlc(10, append([]byte{1, 0, 0x3c, 94, byte(seq), 3, 12}, part...)...))
		}
		if h := segmentedHeld.Load() - before; h > maxSegmentedHeld {
			t.Fatalf("%d connections hold %d bytes", len(as), h)
		}
	}
	if h := segmentedHeld.Load() - before; h < maxSegmentedHeld-60*1000 {
		t.Fatalf("%d bytes held: the bound is not reached", h)
	}
	for _, a := range as {
		a.End(2)
	}
	if h := segmentedHeld.Load() - before; h != 0 {
		t.Fatalf("%d bytes held after every connection ended", h)
	}
}

// propertySession is a run of property service messages, each at most 127
// bytes (the fuzz input's datagrams), for the seed corpus.
func propertySession() []step {
	ai5 := oid(0, 0, 5)
	return []step{
		{0, confirmed(12, cat(ai5, []byte{0x19, 85})...)},
		{1, complexAck(12, cat(ai5, []byte{0x19, 85, 0x3e, 0x44, 0x42, 0x05, 0x9a, 0xf1, 0x3f})...)},
		{0, confirmed(14, cat(ai5, []byte{0x1e, 0x09, 77, 0x09, 87, 0x19, 3, 0x1f})...)},
		{1, complexAck(14, cat(ai5, []byte{0x1e, 0x29, 77, 0x4e, 0x75, 0x04, 0x00, 'A', 'I', '5', 0x4f,
			0x29, 87, 0x39, 3, 0x5e, 0x91, 2, 0x91, 32, 0x5f, 0x1f})...)},
		{0, confirmed(15, cat(oid(0, 1, 0), []byte{0x19, 85, 0x3e, 0x44, 0x42, 0xa0, 0x00, 0x00, 0x3f, 0x49, 8})...)},
		{0, confirmed(16, cat(oid(0, 4, 1), []byte{0x1e, 0x09, 85, 0x2e, 0x91, 1, 0x2f, 0x39, 16, 0x1f})...)},
		{0, confirmed(26, cat(oid(0, 20, 2), []byte{0x19, 131, 0x3e, 0x21, 1, 0x31, 10, 0x3f})...)},
		{1, complexAck(26, cat(oid(0, 20, 2), []byte{0x19, 131, 0x3a, 0x05, 0xe0, 0x49, 10, 0x5e, 0x5f})...)},
		{1, bvlc(10, 1, 0, 0x50, 7, 15, 0x91, 2, 0x91, 40)},
		{1, complexAck(12, cat(oid(0, 17, 1), []byte{0x19, 123, 0x29, 1, 0x3e, 0x0e, 0xb4, 8, 0, 0, 0, 0x91, 1, 0x0f,
			0x75, 0x05, 0x04, 0x00, 'c', 0x00, 0xe9, 0x82, 0x04, 0xa0, 0xa4, 124, 2, 29, 4, 0x3f})...)},
		{1, bvlc(10, 1, 0, 0x3c, 94, 0, 3, 12, 0x0c, 0x02, 0x00, 0x00, 0xfe, 0x19, 76, 0x3e, 0xc4, 0x01, 0x00)},
		{1, bvlc(10, 1, 0, 0x38, 94, 1, 3, 12, 0x27, 0x10, 0x3f)},
	}
}
