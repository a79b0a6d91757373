package dhcp

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var mac = []byte{0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29}

// v4 builds a DHCPv4 message; opts are code, length-less value pairs.
func v4(op byte, xid uint32, yiaddr [4]byte, typ byte, opts ...[]byte) []byte {
	b := make([]byte, headerLen)
	b[0], b[1], b[2] = op, 1, 6
	binary.BigEndian.PutUint32(b[4:], xid)
	copy(b[16:], yiaddr[:])
	copy(b[28:], mac)
	binary.BigEndian.PutUint32(b[236:], Cookie)
	b = append(b, 53, 1, typ)
	for _, o := range opts {
		b = append(b, o[0], byte(len(o)-1))
		b = append(b, o[1:]...)
	}
	return append(b, 255)
}

func opt(code byte, v ...byte) []byte { return append([]byte{code}, v...) }

func optS(code byte, s string) []byte { return append([]byte{code}, s...) }

func conn(uid, oh string, op uint16, rh string, rp uint16, sh *proto.Shared) *proto.ConnInfo {
	return &proto.ConnInfo{UID: uid, OrigH: netip.MustParseAddr(oh), OrigP: op, RespH: netip.MustParseAddr(rh), RespP: rp, Transport: 17, Shared: sh}
}

func TestExchangeAcrossConnections(t *testing.T) {
	sh := proto.NewShared()
	s := &prototest.MapSink{}
	client := New(conn("C1", "0.0.0.0", 68, "255.255.255.255", 67, sh), s)
	server := New(conn("C2", "10.0.0.1", 67, "255.255.255.255", 68, sh), s)
	const xid = 0xabcd
	client.Data(proto.FromOrig, 1e9, v4(1, xid, [4]byte{}, 1, optS(12, "laptop"), opt(55, 1, 3, 6, 15), optS(60, "MSFT 5.0"), opt(50, 10, 0, 0, 9)))
	server.Data(proto.FromOrig, 1.5e9, v4(2, xid, [4]byte{10, 0, 0, 9}, 2, opt(51, 0, 0, 0x0e, 0x10), optS(15, "example.com\x00")))
	client.Data(proto.FromOrig, 2e9, v4(1, xid, [4]byte{}, 3, opt(61, 1, 0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29), optS(81, "\x00\x00\x00laptop.example.com")))
	server.Data(proto.FromOrig, 2.25e9, v4(2, xid, [4]byte{10, 0, 0, 9}, 5, opt(82, 1, 2, 'c', 'i', 2, 1, 0x13)))
	client.End(100e9)
	if len(s.Recs) != 0 {
		t.Fatalf("written while the server's connection lives: %v", s.Recs)
	}
	server.End(100e9)
	if len(s.Recs) != 1 {
		t.Fatalf("%d records", len(s.Recs))
	}
	r := s.Recs[0]
	want := map[string]any{
		"ts": 1.0, "uids": []any{"C1", "C2"}, "client_addr": "10.0.0.9", "server_addr": "10.0.0.1",
		"mac": "90:b1:1c:99:49:29", "host_name": "laptop", "client_fqdn": "laptop.example.com",
		"domain": "example.com", "requested_addr": "10.0.0.9", "assigned_addr": "10.0.0.9",
		"lease_time": 3600.0, "msg_types": []any{"DISCOVER", "OFFER", "REQUEST", "ACK"}, "duration": 1.25,
		"client_software": "MSFT 5.0", "vendor_class": "MSFT 5.0", "requested_options": []any{1.0, 3.0, 6.0, 15.0},
		"circuit_id": "ci", "agent_remote_id": "\x13",
	}
	for k, v := range want {
		if !reflect.DeepEqual(r[k], v) {
			t.Errorf("%s = %#v, want %#v", k, r[k], v)
		}
	}
	runsMu.Lock()
	n := len(runs)
	runsMu.Unlock()
	if n != 0 {
		t.Errorf("%d aggregators left", n)
	}
}

func TestExpiryAndLimits(t *testing.T) {
	s := &prototest.MapSink{}
	a := New(conn("C1", "10.0.0.5", 68, "10.0.0.1", 67, nil), s)
	a.Data(proto.FromOrig, 0, v4(1, 7, [4]byte{}, 8))
	a.Data(proto.FromResp, 7e9, v4(2, 7, [4]byte{}, 5))  // before the first check (10 s): same record
	a.Data(proto.FromOrig, 40e9, v4(1, 7, [4]byte{}, 8)) // long after: a new record
	if len(s.Recs) != 1 || !reflect.DeepEqual(s.Recs[0]["msg_types"], []any{"INFORM", "ACK"}) || s.Recs[0]["client_addr"] != "10.0.0.5" {
		t.Fatalf("records %v", s.Recs)
	}
	for i := range 60 {
		a.Data(proto.FromOrig, 41e9+int64(i), v4(1, 8, [4]byte{}, 8))
	}
	if len(s.Recs) != 2 || len(s.Recs[1]["msg_types"].([]any)) != 50 {
		t.Fatalf("msg_types limit: %d records", len(s.Recs))
	}
	a.End(50e9)
	if len(s.Recs) != 4 {
		t.Fatalf("End: %d records", len(s.Recs))
	}
}

func TestMalformed(t *testing.T) {
	good := v4(1, 1, [4]byte{}, 1)
	badCookie := append([]byte(nil), good...)
	badCookie[236] = 0
	truncOpt := append(good[:len(good)-1:len(good)-1], 12, 40, 'x')
	for name, b := range map[string][]byte{
		"short": good[:200], "bad cookie": badCookie, "option past end": truncOpt, "empty": nil,
	} {
		if _, ok := Parse(b); ok {
			t.Errorf("%s: parsed", name)
		}
		s := &prototest.MapSink{}
		a := New(conn("C", "0.0.0.0", 68, "255.255.255.255", 67, nil), s)
		a.Data(proto.FromOrig, 1, b)
		a.End(2)
		if len(s.Recs) != 0 || a.Service() != "" {
			t.Errorf("%s: %d records, service %q", name, len(s.Recs), a.Service())
		}
	}
	// No End option, no message type: still a (BOOTP) record.
	m, ok := Parse(good[:headerLen])
	if !ok || MessageTypeName(m.Type) != "unknown-message-type-0" {
		t.Errorf("bootp: %v %v", ok, m.Type)
	}
}

func TestFormatMAC(t *testing.T) {
	for in, want := range map[string]string{
		"\x01\x02\x03\x04\x05\x06":                 "01:02:03:04:05:06",
		"\x01\x02\x03\x04\x05\x06\x00\x00\x00\x00": "01:02:03:04:05:06",
		"\x01\x02\x03\x04\x05\x06\x07\x08":         "01:02:03:04:05:06:07:08",
		"\x01\x02\x03":                             "",
		"\x01\x02\x03\x04\x05\x06\x07":             "",
	} {
		if got := FormatMAC([]byte(in)); got != want {
			t.Errorf("%x: %q, want %q", in, got, want)
		}
	}
}

// v6 builds a DHCPv6 message.
func v6(typ byte, xid uint32, opts ...[]byte) []byte {
	b := []byte{typ, byte(xid >> 16), byte(xid >> 8), byte(xid)}
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

func opt6(code uint16, v ...byte) []byte {
	return append([]byte{byte(code >> 8), byte(code), byte(len(v) >> 8), byte(len(v))}, v...)
}

func TestDHCPv6(t *testing.T) {
	duid := []byte{0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d, 0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29}
	iaaddr := opt6(5, append(netip.MustParseAddr("2001:db8::9").AsSlice(), 0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20)...)
	iana := opt6(3, append([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, iaaddr...)...)
	sh := proto.NewShared()
	s := &prototest.MapSink{}
	cl := New(conn("C1", "fe80::1", 546, "ff02::1:2", 547, sh), s)
	sv := New(conn("C2", "fe80::2", 547, "fe80::1", 546, sh), s)
	solicit := v6(1, 0x1234, opt6(1, duid...), opt6(6, 0, 23, 0, 24), opt6(39, 0, 6, 'l', 'a', 'p', 't', 'o', 'p', 3, 'l', 'a', 'n', 0),
		opt6(16, 0, 0, 1, 0x37, 0, 8, 'M', 'S', 'F', 'T', ' ', '5', '.', '0'))
	if Detect(proto.FromOrig, solicit, 547, 17) != proto.Likely {
		t.Error("detect")
	}
	cl.Data(proto.FromOrig, 1e9, solicit)
	sv.Data(proto.FromOrig, 1.1e9, v6(7, 0x1234, opt6(1, duid...), iana))
	// A relayed copy of the same reply.
	relay := append([]byte{13, 0}, make([]byte, 32)...)
	relay = append(relay, opt6(9, v6(7, 0x1234, iana)...)...)
	sv.Data(proto.FromOrig, 1.2e9, relay)
	cl.End(10e9)
	sv.End(10e9)
	if len(s.Recs) != 1 {
		t.Fatalf("%d records", len(s.Recs))
	}
	r := s.Recs[0]
	want := map[string]any{
		"client_addr": "fe80::1", "server_addr": "fe80::2", "mac": "90:b1:1c:99:49:29",
		"host_name": "laptop", "client_fqdn": "laptop.lan", "assigned_addr": "2001:db8::9", "lease_time": 7200.0,
		"msg_types": []any{"SOLICIT", "REPLY", "REPLY"}, "requested_options": []any{23.0, 24.0},
		"vendor_class": "MSFT 5.0", "dhcp_version": 6.0, "client_duid": "000100012a2b2c2d90b11c994929",
	}
	for k, v := range want {
		if !reflect.DeepEqual(r[k], v) {
			t.Errorf("%s = %#v, want %#v", k, r[k], v)
		}
	}
	for name, b := range map[string][]byte{
		"option past end": v6(1, 1, opt6(1, 1, 2)[:5]), "short": {1, 0}, "relay without message": append([]byte{12, 0}, make([]byte, 32)...),
	} {
		if _, ok := ParseV6(b); ok {
			t.Errorf("%s: parsed", name)
		}
	}
}

// TestDHCPv6PrefixDelegation: a server delegating a prefix to a router
// (IA_PD, as over pppoe.pcap in Zeek's traces) logs it as
// delegated_prefix.
func TestDHCPv6PrefixDelegation(t *testing.T) {
	iaprefix := opt6(26, append([]byte{0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20, 56}, netip.MustParseAddr("fc00:0:2:100::").AsSlice()...)...)
	iapd := opt6(25, append([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, iaprefix...)...)
	sh := proto.NewShared()
	s := &prototest.MapSink{}
	cl := New(conn("C1", "fe80::ce05:eff:fe88:0", 546, "ff02::1:2", 547, sh), s)
	sv := New(conn("C2", "fe80::c801:eff:fe88:8", 547, "fe80::ce05:eff:fe88:0", 546, sh), s)
	cl.Data(proto.FromOrig, 1e9, v6(1, 0x42, opt6(1, 0, 3, 0, 1, 0xcc, 5, 0x0e, 0x88, 0, 0), opt6(6, 0, 25)))
	sv.Data(proto.FromOrig, 1.05e9, v6(2, 0x42, iapd))
	cl.End(10e9)
	sv.End(10e9)
	if len(s.Recs) != 1 {
		t.Fatalf("%d records", len(s.Recs))
	}
	r := s.Recs[0]
	if r["delegated_prefix"] != "fc00:0:2:100::/56" || r["assigned_addr"] != nil {
		t.Errorf("record %v", r)
	}
	if m, ok := ParseV6(v6(2, 1, opt6(25, append(make([]byte, 12), opt6(26, make([]byte, 8)...)...)...))); !ok || m.Prefix.IsValid() {
		t.Errorf("a short IAPREFIX: %v %v", m.Prefix, ok)
	}
	// Each IA's option counts only in its own IA.
	iaaddr := opt6(5, append(netip.MustParseAddr("2001:db8::9").AsSlice(), make([]byte, 8)...)...)
	m, ok := ParseV6(v6(2, 1, opt6(3, append(make([]byte, 12), iaprefix...)...), opt6(25, append(make([]byte, 12), iaaddr...)...)))
	if !ok || m.Prefix.IsValid() || m.Addr.IsValid() {
		t.Errorf("an IAPREFIX in an IA_NA, an IAADDR in an IA_PD: prefix %v addr %v", m.Prefix, m.Addr)
	}
}

func FuzzAnalyzer(f *testing.F) {
	f.Add(v4(1, 1, [4]byte{}, 1, optS(12, "h"), opt(55, 1, 3), opt(82, 1, 1, 'x')), true)
	f.Add(v6(1, 1, opt6(1, 0, 3, 0, 1, 1, 2, 3, 4, 5, 6), opt6(39, 0, 1, 'a', 0)), false)
	f.Add(v6(7, 2, opt6(25, append(make([]byte, 12), opt6(26, append(make([]byte, 8), append([]byte{48}, make([]byte, 16)...)...)...)...)...)), false)
	f.Fuzz(func(t *testing.T, b []byte, shared bool) {
		var sh *proto.Shared
		if shared {
			sh = proto.NewShared()
		}
		s := &prototest.MapSink{}
		a := New(conn("C1", "0.0.0.0", 546, "255.255.255.255", 547, sh), s)
		c := New(conn("C2", "10.0.0.1", 547, "10.0.0.2", 546, sh), s)
		a.Data(proto.FromOrig, 1, b)
		c.Data(proto.FromResp, 2, b)
		a.Data(proto.FromOrig, 40e9, b)
		a.End(50e9)
		c.End(50e9)
		Detect(proto.FromOrig, b, 67, 17)
		if shared {
			runsMu.Lock()
			_, left := runs[sh]
			runsMu.Unlock()
			if left {
				t.Fatal("aggregator left behind")
			}
		}
	})
}
