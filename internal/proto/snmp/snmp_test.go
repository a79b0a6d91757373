package snmp

import (
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var testConn = proto.ConnInfo{
	UID: "Csnmp", OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 40000,
	RespH: netip.MustParseAddr("10.0.0.2"), RespP: 161, Transport: 17,
}

// tlv encodes one BER element (short or long form length).
func tlv(tag byte, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	out := []byte{tag}
	if len(body) < 128 {
		out = append(out, byte(len(body)))
	} else {
		out = append(out, 0x82, byte(len(body)>>8), byte(len(body)))
	}
	return append(out, body...)
}

func integer(v byte) []byte { return tlv(tagInteger, []byte{v}) }

func varbind(oid []byte, val []byte) []byte { return tlv(tagSequence, tlv(tagOID, oid), val) }

func v2msg(community string, pduTag byte, binds ...[]byte) []byte {
	return tlv(tagSequence, integer(1), tlv(tagOctetString, []byte(community)),
		tlv(pduTag, integer(7), integer(0), integer(0), tlv(tagSequence, binds...)))
}

func TestAnalyzer(t *testing.T) {
	null := tlv(tagNull)
	descr := tlv(tagOctetString, []byte("Linux box 6.1"))
	ticks := tlv(tagTimeTicks, []byte{0x01, 0x00}) // 256 hundredths
	s := &prototest.MapSink{}
	a := New(&testConn, s)
	a.Data(proto.FromOrig, 10e9, v2msg("public", pduGet, varbind(oidSysDescr, null), varbind(oidSysUpTime, null)))
	a.Data(proto.FromResp, 11e9, v2msg("other", pduResponse, varbind(oidSysDescr, descr), varbind(oidSysUpTime, ticks)))
	a.Data(proto.FromOrig, 12e9, v2msg("public", pduGetBulk, varbind(oidSysDescr, null)))
	a.Data(proto.FromOrig, 12e9, v2msg("public", pduSet, varbind(oidSysDescr, descr)))
	a.Data(proto.FromOrig, 13e9, []byte{0x30, 0x03, 0x02, 0x01}) // malformed: ignored
	if a.Service() != "snmp" {
		t.Errorf("service %q", a.Service())
	}
	a.End(20e9)
	if len(s.Recs) != 1 {
		t.Fatalf("%d records", len(s.Recs))
	}
	r := s.Recs[0]
	want := map[string]any{
		"ts": 10.0, "duration": 2.0, "version": "2c", "community": "public",
		"get_requests": 2.0, "get_bulk_requests": 1.0, "get_responses": 2.0, "set_requests": 1.0,
		"display_string": "Linux box 6.1", "up_since": 8.44,
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %v, want %v", k, r[k], v)
		}
	}
}

func TestParse(t *testing.T) {
	usm := tlv(tagSequence, tlv(tagOctetString, []byte{0x80, 0, 0x1f}), integer(1), integer(2),
		tlv(tagOctetString, []byte("alice")), tlv(tagOctetString), tlv(tagOctetString))
	v3 := func(flags byte, data []byte) []byte {
		return tlv(tagSequence, integer(3),
			tlv(tagSequence, integer(1), tlv(tagInteger, []byte{0x40, 0}), tlv(tagOctetString, []byte{flags}), integer(3)),
			tlv(tagOctetString, usm), data)
	}
	scoped := tlv(tagSequence, tlv(tagOctetString), tlv(tagOctetString), tlv(pduGetNext, integer(1), integer(0), integer(0),
		tlv(tagSequence, varbind(oidSysDescr, tlv(tagNull)))))
	long := v2msg("public", pduGet, varbind(oidSysDescr, make([]byte, 0)))
	cases := []struct {
		name string
		b    []byte
		ok   bool
		user string
		pdu  byte
		n    int
	}{
		{"v3 clear", v3(0x04, scoped), true, "alice", pduGetNext, 1},
		{"v3 encrypted", v3(0x07, tlv(tagOctetString, []byte{1, 2, 3})), true, "", 0, 0},
		{"v1 trap", tlv(tagSequence, integer(0), tlv(tagOctetString, []byte("c")), tlv(pduTrap,
			tlv(tagOID, []byte{0x2b, 6}), tlv(tagIPAddress, []byte{1, 2, 3, 4}), integer(6), integer(1), tlv(tagTimeTicks, []byte{5}),
			tlv(tagSequence))), true, "c", pduTrap, 0},
		{"unknown version", tlv(tagSequence, integer(2), tlv(tagOctetString)), false, "", 0, 0},
		{"length past end", []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02}, false, "", 0, 0},
		{"indefinite length", []byte{0x30, 0x80, 0x02, 0x01, 0x00, 0, 0}, false, "", 0, 0},
		{"high tag", []byte{0x1f, 0x81, 0x01, 0x00}, false, "", 0, 0},
		{"varbind without value", long, false, "", 0, 0},
		{"empty", nil, false, "", 0, 0},
		{"truncated", v2msg("public", pduGet, varbind(oidSysDescr, tlv(tagNull)))[:20], false, "", 0, 0},
	}
	for _, c := range cases {
		m, ok := Parse(c.b)
		if ok != c.ok || ok && (string(m.Community) != c.user || m.PDU != c.pdu || m.Bindings != c.n) {
			t.Errorf("%s: ok %v community %q pdu %x bindings %d", c.name, ok, m.Community, m.PDU, m.Bindings)
		}
	}
}

func TestDetect(t *testing.T) {
	m := v2msg("public", pduGet, varbind(oidSysDescr, tlv(tagNull)))
	if c := Detect(proto.FromOrig, m, 5555, 17); c != proto.Likely {
		t.Errorf("content: %v", c)
	}
	if c := Detect(proto.FromOrig, m[:14], 5555, 17); c != proto.Likely {
		t.Errorf("cut short: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte("hello"), 161, 17); c != proto.Maybe {
		t.Errorf("port: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte("hello"), 5555, 17); c != proto.No {
		t.Errorf("nothing: %v", c)
	}
}

func FuzzAnalyzer(f *testing.F) {
	f.Add(v2msg("public", pduResponse, varbind(oidSysDescr, tlv(tagOctetString, []byte("x")))))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &prototest.MapSink{}
		a := New(&testConn, s)
		a.Data(proto.FromOrig, 1, b)
		a.Data(proto.FromResp, 2, b)
		a.End(3)
		Detect(proto.FromOrig, b, 161, 17)
	})
}
