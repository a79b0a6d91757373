package enip

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

var (
	tcpConn = prototest.TCPConn("10.0.0.1", 40000, "10.0.0.2", Port)
	udpConn = func() *proto.ConnInfo {
		c := *prototest.TCPConn("10.0.0.1", 40001, "10.0.0.2", Port)
		c.Transport = 17
		return &c
	}()
)

// frame builds an encapsulation message.
func frame(cmd uint16, session, status uint32, ctx uint64, data ...byte) []byte {
	b := make([]byte, hdrLen, hdrLen+len(data))
	binary.LittleEndian.PutUint16(b, cmd)
	binary.LittleEndian.PutUint16(b[2:], uint16(len(data)))
	binary.LittleEndian.PutUint32(b[4:], session)
	binary.LittleEndian.PutUint32(b[8:], status)
	binary.BigEndian.PutUint64(b[12:], ctx)
	return append(b, data...)
}

func le16(v uint16) []byte { return []byte{byte(v), byte(v >> 8)} }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// item builds a CPF item.
func item(typ uint16, data ...byte) []byte { return cat(le16(typ), le16(uint16(len(data))), data) }

// rr builds SendRRData/SendUnitData data: interface handle 0, timeout, items.
func rr(items ...[]byte) []byte {
	return cat([]byte{0, 0, 0, 0, 5, 0}, le16(uint16(len(items))), cat(items...))
}

// identityItem is the Identity item of a 1756-ENBT/A (the values of
// suricata-verify's enip_test1.pcap).
func identityItem(name string) []byte {
	d := cat(le16(1), // encapsulation version
		[]byte{0, 2, 0xaf, 0x12, 10, 1, 1, 164, 0, 0, 0, 0, 0, 0, 0, 0}, // AF_INET, 44818, 10.1.1.164
		le16(1), le16(0x0c), le16(58), []byte{4, 3}, le16(0x30),
		[]byte{0x8e, 0x4d, 0x52, 0x00}, []byte{byte(len(name))}, []byte(name), []byte{3})
	return item(itemIdentity, d...)
}

type step struct {
	dir  proto.Direction
	data []byte
}

var session = []step{
	{0, frame(cmdRegisterSession, 0, 0, 1, 1, 0, 0, 0)},
	{1, frame(cmdRegisterSession, 0x11020100, 0, 1, 1, 0, 0, 0)},
	{0, frame(cmdListIdentity, 0, 0, 2)},
	{1, frame(cmdListIdentity, 0, 0, 2, cat(le16(1), identityItem("1756-ENBT/A"))...)},
	// Get_Attribute_Single Identity(1) instance 1 attribute 7, unconnected.
	{0, frame(cmdSendRRData, 0x11020100, 0, 3, rr(item(itemNull), item(itemUnconData, 0x0e, 3, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07))...)},
	{1, frame(cmdSendRRData, 0x11020100, 0, 3, rr(item(itemNull), item(itemUnconData, 0x8e, 0, 0, 0, 4, 'A', 'B', 'C', 'D'))...)},
	// Forward_Open to the Connection Manager (class 6 instance 1): named
	// in the request and, through its sender context, in the response.
	{0, frame(cmdSendRRData, 0x11020100, 0, 4, rr(item(itemNull), item(itemUnconData, 0x54, 2, 0x20, 0x06, 0x24, 0x01, 0xaa))...)},
	{1, frame(cmdSendRRData, 0x11020100, 0, 4, rr(item(itemNull), item(itemUnconData, 0xd4, 0, 0x01, 1, 0x00, 0x01))...)},
	// Connected Write_Tag "Program:Main.Count" (two symbol segments, the
	// second of odd length with its pad byte).
	{0, frame(cmdSendUnitData, 0x11020100, 0, 0, rr(item(itemConnAddr, 0x28, 0, 0xfe, 0x80),
		item(itemConnData, cat(le16(7), []byte{0x4d, 11, 0x91, 12}, []byte("Program:Main"), []byte{0x91, 5}, []byte("Count"), []byte{0, 0xc4, 0, 1, 0})...))...)},
	{1, frame(cmdSendUnitData, 0x11020100, 0, 0, rr(item(itemConnAddr, 0x01, 0, 0x10, 0x00),
		item(itemConnData, cat(le16(7), []byte{0xcd, 0, 0x04, 0})...))...)},
	// 16- and 32-bit logical segments behind a port segment.
	{0, frame(cmdSendRRData, 0x11020100, 0, 5, rr(item(itemNull), item(itemUnconData, 0x01, 6, 0x01, 0x00, 0x21, 0, 0x34, 0x12, 0x26, 0, 0x78, 0x56, 0x34, 0x12))...)},
	{1, frame(cmdSendRRData, 0x11020100, 0, 5, rr(item(itemNull), item(itemUnconData, 0x81, 0, 0x1f, 1, 0x05, 0x01))...)},
	{0, frame(cmdListServices, 0, 0, 6)},
	{1, frame(cmdListServices, 0, 0, 6, cat(le16(1), item(0x100, 1, 0, 0x20, 0x01, 'C', 'o', 'm', 'm', 'u', 'n', 'i', 'c', 'a', 't', 'i', 'o', 'n', 's', 0, 0))...)},
	{0, frame(cmdListInterfaces, 0, 0, 7)},
	{1, frame(cmdListInterfaces, 0, 0, 7, 0, 0)},
	{0, frame(cmdNOP, 0, 0, 0, 1, 2, 3)},
	{1, frame(cmdSendRRData, 0x11020100, 0x64, 8)},
	{0, frame(cmdUnregisterSession, 0x11020100, 0, 9)},
}

func run(t testing.TB, conn *proto.ConnInfo, steps []step, split int) []string {
	out := &prototest.Sink{T: t, WithLog: true}
	a := New(conn, out)
	for i, st := range steps {
		prototest.Feed(a, st.dir, int64(i+1)*1e9, st.data, split)
	}
	a.End(0)
	return out.Recs
}

const hdr = `"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"10.0.0.2","id.resp_p":44818`

func enipRec(ts, orig, cmd, code string, n int, sess, status, ctx string) string {
	return `enip {"ts":` + ts + `,` + hdr + `,"is_orig":` + orig + `,"enip_command":"` + cmd + `","enip_command_code":"` + code +
		`","length":` + itoa(n) + `,"session_handle":"` + sess + `","enip_status":"` + status + `","sender_context":"` + ctx + `","options":0}`
}

func itoa(n int) string { return string(appendUint(nil, uint64(n))) }

var want = []string{
	enipRec("1.0", "true", "register_session", "0x0065", 4, "0x00000000", "success", "0x0000000000000001"),
	enipRec("2.0", "false", "register_session", "0x0065", 4, "0x11020100", "success", "0x0000000000000001"),
	enipRec("3.0", "true", "list_identity", "0x0063", 0, "0x00000000", "success", "0x0000000000000002"),
	enipRec("4.0", "false", "list_identity", "0x0063", 51, "0x00000000", "success", "0x0000000000000002"),
	`enip_list_identity {"ts":4.0,` + hdr + `,"is_orig":false,"proto":"tcp","encapsulation_version":1,"socket_address":"10.1.1.164","socket_port":44818,"vendor_id":1,"vendor_name":"Rockwell Automation/Allen-Bradley","device_type_id":12,"device_type":"Communications Adapter","product_code":58,"revision":"4.3","device_status":"0x0030","serial_number":"0x00524d8e","product_name":"1756-ENBT/A","device_state":3}`,
	enipRec("5.0", "true", "send_rr_data", "0x006f", 24, "0x11020100", "success", "0x0000000000000003"),
	`cip {"ts":5.0,` + hdr + `,"is_orig":true,"enip_command":"send_rr_data","direction":"request","cip_service_code":"0x0e","cip_service":"Get_Attribute_Single","class_id":"0x01","class_name":"Identity","instance_id":"0x01","attribute_id":"0x07"}`,
	enipRec("6.0", "false", "send_rr_data", "0x006f", 25, "0x11020100", "success", "0x0000000000000003"),
	`cip {"ts":6.0,` + hdr + `,"is_orig":false,"enip_command":"send_rr_data","direction":"response","cip_service_code":"0x0e","cip_service":"Get_Attribute_Single","cip_status_code":"0x00","cip_status":"Success"}`,
	enipRec("7.0", "true", "send_rr_data", "0x006f", 23, "0x11020100", "success", "0x0000000000000004"),
	`cip {"ts":7.0,` + hdr + `,"is_orig":true,"enip_command":"send_rr_data","direction":"request","cip_service_code":"0x54","cip_service":"Forward_Open","class_id":"0x06","class_name":"Connection Manager","instance_id":"0x01"}`,
	enipRec("8.0", "false", "send_rr_data", "0x006f", 22, "0x11020100", "success", "0x0000000000000004"),
	`cip {"ts":8.0,` + hdr + `,"is_orig":false,"enip_command":"send_rr_data","direction":"response","cip_service_code":"0x54","cip_service":"Forward_Open","cip_status_code":"0x01","cip_status":"Connection failure","cip_extended_status":"0x0100"}`,
	enipRec("9.0", "true", "send_unit_data", "0x0070", 50, "0x11020100", "success", "0x0000000000000000"),
	`cip {"ts":9.0,` + hdr + `,"is_orig":true,"enip_command":"send_unit_data","connection_id":"0x80fe0028","cip_sequence_count":7,"direction":"request","cip_service_code":"0x4d","cip_service":"Write_Tag","tag":"Program:Main.Count"}`,
	enipRec("10.0", "false", "send_unit_data", "0x0070", 26, "0x11020100", "success", "0x0000000000000000"),
	`cip {"ts":10.0,` + hdr + `,"is_orig":false,"enip_command":"send_unit_data","connection_id":"0x00100001","cip_sequence_count":7,"direction":"response","cip_service_code":"0x4d","cip_service":"Write_Tag","cip_status_code":"0x04","cip_status":"Path segment error"}`,
	enipRec("11.0", "true", "send_rr_data", "0x006f", 30, "0x11020100", "success", "0x0000000000000005"),
	`cip {"ts":11.0,` + hdr + `,"is_orig":true,"enip_command":"send_rr_data","direction":"request","cip_service_code":"0x01","cip_service":"Get_Attributes_All","class_id":"0x1234","instance_id":"0x12345678"}`,
	enipRec("12.0", "false", "send_rr_data", "0x006f", 22, "0x11020100", "success", "0x0000000000000005"),
	`cip {"ts":12.0,` + hdr + `,"is_orig":false,"enip_command":"send_rr_data","direction":"response","cip_service_code":"0x01","cip_service":"Get_Attributes_All","cip_status_code":"0x1f","cip_status":"Vendor specific error","cip_extended_status":"0x0105"}`,
	enipRec("13.0", "true", "list_services", "0x0004", 0, "0x00000000", "success", "0x0000000000000006"),
	enipRec("14.0", "false", "list_services", "0x0004", 26, "0x00000000", "success", "0x0000000000000006"),
	enipRec("15.0", "true", "list_interfaces", "0x0064", 0, "0x00000000", "success", "0x0000000000000007"),
	enipRec("16.0", "false", "list_interfaces", "0x0064", 2, "0x00000000", "success", "0x0000000000000007"),
	enipRec("17.0", "true", "nop", "0x0000", 3, "0x00000000", "success", "0x0000000000000000"),
	enipRec("18.0", "false", "send_rr_data", "0x006f", 0, "0x11020100", "invalid_session_handle", "0x0000000000000008"),
	enipRec("19.0", "true", "unregister_session", "0x0066", 0, "0x11020100", "success", "0x0000000000000009"),
}

func check(t *testing.T, label string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s: got\n%s\nwant\n%s", label, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSession feeds a session of every command in one piece per message,
// in pieces of every size from 1 to 40 bytes (messages split across
// segments), and with each side's messages merged into one segment.
func TestSession(t *testing.T) {
	check(t, "whole", run(t, tcpConn, session, 0), want)
	for split := 1; split <= 40; split++ {
		check(t, "split "+itoa(split), run(t, tcpConn, session, split), want)
	}
	// Several messages in one segment: each side's run merged.
	var merged []step
	for _, st := range session {
		if n := len(merged); n > 0 && merged[n-1].dir == st.dir {
			merged[n-1].data = append(merged[n-1].data, st.data...)
			continue
		}
		merged = append(merged, step{st.dir, append([]byte(nil), st.data...)})
	}
	got := run(t, tcpConn, merged, 0)
	if len(got) != len(want) {
		t.Fatalf("merged: %d records, want %d\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

// TestUDP reads one message per datagram (a ListIdentity over UDP), and
// a datagram cut short as far as it goes.
func TestUDP(t *testing.T) {
	resp := frame(cmdListIdentity, 0, 0, 2, cat(le16(1), identityItem("1756-ENBT/A"))...)
	got := run(t, udpConn, []step{{0, frame(cmdListIdentity, 0, 0, 2)}, {1, resp}, {1, resp[:60]}, {1, []byte("not enip at all, not at all")}}, 0)
	if len(got) != 5 || !strings.HasPrefix(got[3], `enip {"ts":3.0`) || !strings.Contains(got[4], `"product_code":58`) ||
		strings.Contains(got[4], "product_name") {
		t.Fatalf("%s", strings.Join(got, "\n"))
	}
	if !strings.Contains(got[2], `"product_name":"1756-ENBT/A","device_state":3`) {
		t.Fatalf("%s", got[2])
	}
	a := New(udpConn, nil)
	a.Data(1, 1, resp)
	if a.Service() != "enip" {
		t.Fatal("not confirmed")
	}
}

func TestMalformed(t *testing.T) {
	// An unknown command stops a TCP analyzer (framing is lost).
	bad := frame(0x1234, 0, 0, 0)
	if got := run(t, tcpConn, []step{{0, bad}, {0, frame(cmdNOP, 0, 0, 0)}}, 0); len(got) != 0 {
		t.Fatalf("%v", got)
	}
	// A header alone, then nothing: no record.
	if got := run(t, tcpConn, []step{{0, frame(cmdSendRRData, 0, 0, 0, make([]byte, 40)...)[:30]}}, 0); len(got) != 0 {
		t.Fatalf("%v", got)
	}
	// Truncated CPF items, CIP headers and paths log what is there.
	truncated := [][]byte{
		rr(item(itemUnconData)),
		rr(item(itemUnconData, 0x0e)),
		rr(item(itemUnconData, 0x0e, 40, 0x20)),
		rr(item(itemUnconData, 0x0e, 2, 0x21, 0)),
		rr(item(itemUnconData, 0x0e, 2, 0x11, 5)),
		rr(item(itemUnconData, 0x0e, 2, 0x91, 9, 'a')),
		rr(item(itemUnconData, 0x8e, 0)),
		rr(item(itemUnconData, 0x8e, 0, 0, 1)),
		rr(item(itemConnData, 1)),
		rr(item(itemConnAddr, 1, 2)),
		cat([]byte{0, 0, 0, 0, 0, 0, 9, 0}, le16(itemUnconData), le16(50), []byte{0x0e, 1}),
		{0, 0, 0, 0},
	}
	for i, d := range truncated {
		got := run(t, tcpConn, []step{{0, frame(cmdSendRRData, 0, 0, 0, d...)}}, 0)
		if len(got) < 1 || len(got) > 2 {
			t.Fatalf("case %d: %v", i, got)
		}
	}
	// Truncated Identity items.
	id := identityItem("1756-ENBT/A")
	for n := 4; n < len(id); n++ {
		it := append(le16(itemIdentity), le16(uint16(n-4))...)
		it = append(it, id[4:n]...)
		got := run(t, tcpConn, []step{{1, frame(cmdListIdentity, 0, 0, 0, cat(le16(1), it)...)}}, 0)
		if wantN := 1 + b2i(n-4 >= 20); len(got) != wantN {
			t.Fatalf("identity cut at %d: %v", n, got)
		}
	}
	// A huge message is skipped without buffering more than bodyKeep.
	a := New(tcpConn, &prototest.Sink{T: t, Log: "enip"})
	a.Data(0, 1, frame(cmdNOP, 0, 0, 0)[:2])
	a.Data(0, 1, []byte{0xff, 0xff})
	a.Data(0, 1, make([]byte, 20))
	a.Data(0, 1, make([]byte, 0xffff))
	if a.sides[0].nh != 0 || a.Dead || a.sides[0].nbody != bodyKeep {
		t.Fatalf("huge message: nh %d dead %v nbody %d", a.sides[0].nh, a.Dead, a.sides[0].nbody)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestParsePath(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{[]byte{0x20, 0x02, 0x24, 0x01}, "c2 i1"},
		{[]byte{0x21, 0, 0x6b, 0x00, 0x25, 0, 0x1a, 0xe0}, "c107 i57370"},
		{[]byte{0x01, 0x00, 0x20, 0x01, 0x24, 0x01, 0x30, 0x05}, "c1 i1 a5"}, // port 1, slot 0
		{[]byte{0x12, 0x04, '1', '.', '2', '.', 0x20, 0x01}, "c1"},           // extended link address
		{[]byte{0x13, 0x03, '1', '.', '2', 0x00, 0x20, 0x01}, "c1"},          // odd link address, padded
		{[]byte{0x34, 0x04, 1, 0, 0x0c, 0, 0x3a, 0, 4, 3, 0x20, 0x01}, "c1"}, // electronic key
		{[]byte{0x80, 0x01, 0xaa, 0xbb, 0x31, 0x00, 0x02, 0x01}, "a258"},     // simple data, 16-bit attribute
		{[]byte{0x20, 0x01, 0x20, 0x02, 0x24, 0x03}, "c1 i3"},                // first class wins
		{[]byte{0x20}, ""},       // cut short
		{[]byte{0x23, 0x01}, ""}, // reserved format
		{[]byte{0x60, 0x01}, ""}, // network segment: stop
		{[]byte{0x1f, 0x01}, ""}, // extended port cut short
		{[]byte{0x91, 0x03, 'a', 'b', 'c', 0, 0x20, 0x01}, "s1 c1"}, // symbol, padded
		{[]byte{0x91, 0x05, 'a'}, "s0"},                             // symbol cut short
		{[]byte{0x34, 0x05, 1}, ""},                                 // unknown key format
		{[]byte{0x26, 0, 1, 2, 3}, ""},                              // 32-bit cut short
		{[]byte{0x10}, ""},                                          // link size missing
		{[]byte{0x91, 0x01, 'a', 0, 0x91, 0x01, 'b', 0, 0x91, 1, 'c', 0, 0x91, 1, 'd', 0, 0x91, 1, 'e', 0}, "s4"}, // at most maxSyms
	} {
		e := parsePath(c.in)
		var parts []string
		if e.nsyms > 0 || strings.HasPrefix(c.want, "s") {
			parts = append(parts, "s"+itoa(e.nsyms))
		}
		if e.hasClass {
			parts = append(parts, "c"+itoa(int(e.class)))
		}
		if e.hasInstance {
			parts = append(parts, "i"+itoa(int(e.instance)))
		}
		if e.hasAttribute {
			parts = append(parts, "a"+itoa(int(e.attribute)))
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("% x: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDetect(t *testing.T) {
	for i, c := range []struct {
		first     []byte
		port      uint16
		transport uint8
		want      proto.Confidence
	}{
		{session[0].data, Port, 6, proto.Likely},
		{session[0].data, 8000, 6, proto.Likely},  // RegisterSession version 1
		{session[2].data, 8000, 17, proto.Likely}, // ListIdentity request
		{session[3].data, 50000, 17, proto.Likely},
		{session[4].data, 8000, 6, proto.Likely},  // SendRRData with a CPF address item
		{session[16].data, 8000, 6, proto.No},     // NOP: only on the port
		{session[16].data, Port, 6, proto.Likely}, // NOP on the port
		{append(append([]byte(nil), session[0].data...), session[2].data...), 8000, 6, proto.Likely},
		{append(append([]byte(nil), session[0].data...), 0x99, 0x99, 0, 0), Port, 6, proto.Maybe},
		{session[0].data[:10], Port, 6, proto.Maybe},
		{session[0].data[:10], 8000, 6, proto.No},
		{session[4].data[:30], Port, 17, proto.Maybe}, // a datagram shorter than its length
		{frame(cmdListIdentity, 0, 0, 0, 1), 8000, 6, proto.No},
		{frame(0x1234, 0, 0, 0), Port, 6, proto.No},
		{[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Port, 6, proto.No},
		{[]byte{0x16, 3, 1, 0, 0xa5, 1, 0, 0, 0xa1}, Port, 6, proto.No},
		{session[0].data, Port, 1, proto.No},
		{func() []byte { b := frame(cmdListIdentity, 0, 0, 0); b[20] = 1; return b }(), Port, 6, proto.No}, // options
		{frame(cmdSendRRData, 0, 0, 0, make([]byte, 600)...)[:512], Port, 6, proto.Likely},                 // cut by detection
		{frame(cmdSendRRData, 0, 0, 0, make([]byte, 600)...)[:512], Port, 17, proto.Likely},                // a large datagram
		{append(append([]byte(nil), session[0].data...), session[2].data...), Port, 17, proto.Maybe},       // two in a datagram: not told apart from one cut short
	} {
		if got := Detect(0, c.first, c.port, c.transport); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}

// discard is a Sink that drops records.
type discard struct{}

func (discard) Record(string, []byte) {}

// TestAllocs checks that a warmed-up analyzer parses a session, every
// record included, without allocating.
func TestAllocs(t *testing.T) {
	a := New(prototest.TCPConn("10.0.0.1", 40000, "10.0.0.2", Port), discard{})
	feed := func() {
		for _, st := range session {
			a.Data(st.dir, 1, st.data)
		}
	}
	feed()
	if n := testing.AllocsPerRun(20, feed); n != 0 {
		t.Fatalf("%v allocations per session", n)
	}
}

func BenchmarkSession(b *testing.B) {
	a := New(prototest.TCPConn("10.0.0.1", 40000, "10.0.0.2", Port), discard{})
	var n int
	for _, st := range session {
		n += len(st.data)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, st := range session {
			a.Data(st.dir, 1, st.data)
		}
	}
}

func seedInput() []byte {
	var in []byte
	for _, st := range session {
		in = prototest.AppendPieces(in, st.dir, st.data)
	}
	return in
}

// TestSeedCorpus writes testdata/fuzz/FuzzENIP when VIGIL_WRITE_SEEDS is
// set and otherwise checks it is there.
func TestSeedCorpus(t *testing.T) {
	prototest.SeedCorpus(t, "FuzzENIP", map[string][]byte{"session": seedInput()})
}

// FuzzENIP feeds pieces (see prototest.Replay) to a TCP analyzer, and the
// same input as datagrams (see prototest.ReplayDatagrams) to a UDP one.
func FuzzENIP(f *testing.F) {
	f.Add(seedInput())
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(tcpConn, &prototest.Sink{T: t})
		prototest.Replay(a, in, 1, 1, func(int) {
			if a.sides[0].nbody > bodyKeep || a.sides[1].nbody > bodyKeep {
				t.Fatal("kept more than bodyKeep")
			}
		})
		a.End(0)
		u := New(udpConn, &prototest.Sink{T: t})
		prototest.ReplayDatagrams(u, in, nil)
		u.End(0)
		Detect(0, in, Port, 6)
		Detect(1, in, 1, 17)
	})
}

// TestPortSegmentExtended checks a port segment with both an extended
// link address and an extended port identifier: its link address size
// comes right after the segment byte, before the 16-bit port (CIP Vol. 1,
// C-1.4.2), so the class, instance and attribute behind it are read from
// the right place. tshark 4.0 (-O cip on a capture of this path) reads
// "Port: 15, Link Address Size: 4, Port Extended: 0x0000, Class: Identity
// (0x01), Instance: 0x01, Attribute: 7".
func TestPortSegmentExtended(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
	}{
		// link size 4, extended port 0, link address 20 05 24 07 (bytes
		// that look like a class and an instance segment), then the path.
		{[]byte{0x1f, 0x04, 0x00, 0x00, 0x20, 0x05, 0x24, 0x07, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07}, "c1 i1 a7"},
		// odd link size 3 with its pad byte, extended port 0x0102.
		{[]byte{0x1f, 0x03, 0x02, 0x01, 0x20, 0x09, 0x24, 0x00, 0x20, 0x02, 0x24, 0x01}, "c2 i1"},
		// extended port without an extended link address: one link byte.
		{[]byte{0x0f, 0x12, 0x00, 0x05, 0x20, 0x01}, "c1"},
		{[]byte{0x1f, 0x04, 0x00}, ""}, // cut short
	} {
		e := parsePath(c.in)
		var parts []string
		if e.hasClass {
			parts = append(parts, "c"+itoa(int(e.class)))
		}
		if e.hasInstance {
			parts = append(parts, "i"+itoa(int(e.instance)))
		}
		if e.hasAttribute {
			parts = append(parts, "a"+itoa(int(e.attribute)))
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("% x: got %q, want %q", c.in, got, c.want)
		}
	}
}
