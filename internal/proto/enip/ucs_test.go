package enip

import (
	"strings"
	"testing"
)

// ucs builds an Unconnected_Send request to the Connection Manager
// carrying the request embedded, routed to port 1 slot 0.
func ucs(embedded []byte) []byte {
	m := cat([]byte{0x52, 2, 0x20, 0x06, 0x24, 0x01, 0x07, 0xe9}, le16(uint16(len(embedded))), embedded)
	if len(embedded)%2 == 1 {
		m = append(m, 0)
	}
	return cat(m, []byte{1, 0, 0x01, 0x00})
}

// TestUnconnectedSendResponse checks how the answer to an
// Unconnected_Send is named: a target's answer carries the embedded
// request's service (0xCE to a Read_Modify_Write_Tag, 0xD2 to a
// Read_Tag_Fragmented), and only the routing errors of Unconnected_Send
// itself (general status 0x02 or 0x04, or 0x01 with extended status
// 0x0204, 0x0311, 0x0312 or 0x0315; CIP Vol. 1, 3-5.6) are the
// Connection Manager's. tshark 4.0 agrees on each case (Info column of a
// capture of these messages: "Success: 'Motor1' - Service (0x4e)",
// "Partial transfer: 'Motor1' - Service (0x52)", "Connection failure:
// Unconnected Send" for 0x01/0x0204, "Path segment error: Unconnected
// Send", "Path destination unknown: 'Motor1' - Service (0x52)").
func TestUnconnectedSendResponse(t *testing.T) {
	tag := []byte{0x91, 6, 'M', 'o', 't', 'o', 'r', '1'}
	rmw := cat([]byte{0x4e, 4}, tag, le16(1), []byte{0xff, 0, 0, 0xff})
	rtf := cat([]byte{0x52, 4}, tag, le16(1), []byte{0, 0, 0, 0})
	gas := []byte{0x0e, 3, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07}
	for i, c := range []struct {
		embedded, resp []byte
		want           string // the response's cip_service ("" for none)
	}{
		{rmw, []byte{0xce, 0, 0, 0}, "Read_Modify_Write_Tag"},
		{rtf, []byte{0xd2, 0, 0, 0, 0xc4, 0, 1, 0, 0, 0}, "Read_Tag_Fragmented"},
		{rtf, []byte{0xd2, 0, 0x06, 0, 0xc4, 0, 1, 0, 0, 0}, "Read_Tag_Fragmented"},
		{rtf, []byte{0xd2, 0, 0x05, 0}, "Read_Tag_Fragmented"},
		{rtf, []byte{0xd2, 0, 0x01, 1, 0x00, 0x01}, "Read_Tag_Fragmented"}, // 0x0100: not a routing error
		{rtf, []byte{0xd2, 0, 0x01, 1, 0x04, 0x02, 0}, "Unconnected_Send"}, // 0x0204: timed out
		{rtf, []byte{0xd2, 0, 0x01, 1, 0x11, 0x03, 0}, "Unconnected_Send"}, // 0x0311: invalid port
		{rtf, []byte{0xd2, 0, 0x04, 0}, "Unconnected_Send"},
		{rtf, []byte{0xd2, 0, 0x02, 0}, "Unconnected_Send"},
		{gas, []byte{0x8e, 0, 0, 0, 4, 'A', 'B', 'C', 'D'}, "Get_Attribute_Single"},
		{gas, []byte{0xd2, 0, 0x01, 1, 0x04, 0x02, 0}, "Unconnected_Send"},
		{rmw, []byte{0xd2, 0, 0x01, 1, 0x04, 0x02, 0}, "Unconnected_Send"},
		{[]byte{0x4c}, []byte{0xcc, 0, 0, 0}, ""}, // embedded request cut short: object unknown
	} {
		ctx := uint64(100 + i)
		got := run(t, tcpConn, []step{
			{0, frame(cmdSendRRData, 1, 0, ctx, rr(item(itemNull), item(itemUnconData, ucs(c.embedded)...))...)},
			{1, frame(cmdSendRRData, 1, 0, ctx, rr(item(itemNull), item(itemUnconData, c.resp...))...)},
		}, 0)
		if len(got) != 4 || !strings.Contains(got[1], `"cip_service":"Unconnected_Send","class_id":"0x06"`) {
			t.Fatalf("case %d: %s", i, strings.Join(got, "\n"))
		}
		name := ""
		if j := strings.Index(got[3], `"cip_service":"`); j >= 0 {
			name = got[3][j+len(`"cip_service":"`):]
			name = name[:strings.IndexByte(name, '"')]
		}
		if name != c.want {
			t.Errorf("case %d: response named %q, want %q\n%s", i, name, c.want, got[3])
		}
	}
}
