package enip

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// TestItemsPerMessageBounded: one encapsulation message logs at most
// maxItems CPF items' records. A ListIdentity reply of 1,680 Identity
// items (one 65 kB datagram) made 1,680 enip_list_identity records (800 kB),
// and a SendRRData of 10,000 one-byte data items (50 kB) 10,000 cip
// records (2.4 MB; over TCP 100, from its first 512 bytes). A real
// message has one Identity item, or an address item and a data item and
// up to two sockaddr items.
func TestItemsPerMessageBounded(t *testing.T) {
	var ids, cips [][]byte
	for range 2700 {
		ids = append(ids, identityItem("x"))
	}
	for range 10000 {
		cips = append(cips, item(itemUnconData, 0x01))
	}
	idData := cat(le16(uint16(len(ids))), cat(ids...))
	rrData := rr(cips...)
	for _, tc := range []struct {
		name string
		ci   *proto.ConnInfo
		msg  []byte
	}{
		{"udp list_identity", udpConn, frame(cmdListIdentity, 0, 0, 0, idData[:min(len(idData), 65500)]...)},
		{"udp send_rr_data", udpConn, frame(cmdSendRRData, 0, 0, 0, rrData...)},
		{"tcp send_rr_data", tcpConn, frame(cmdSendRRData, 0, 0, 0, rrData...)},
	} {
		s := &prototest.Sink{T: t, WithLog: true}
		a := New(tc.ci, s)
		a.Data(proto.FromResp, 1, tc.msg)
		out := 0
		for _, r := range s.Recs {
			out += len(r)
		}
		t.Logf("%s: %d input bytes, %d records, %d output bytes", tc.name, len(tc.msg), len(s.Recs), out)
		if len(s.Recs) > 1+maxItems {
			t.Errorf("%s: one message of %d bytes made %d records", tc.name, len(tc.msg), len(s.Recs))
		}
	}
}
