package rdp

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// S7comm (Siemens PLCs, ISO-TSAP port 102): TPKT + COTP connection
// request/confirm with TPDU-size and TSAP parameters, then S7 "setup
// communication" in a COTP data TPDU.
var (
	s7CR    = []byte{3, 0, 0, 0x16, 0x11, 0xe0, 0, 0, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2}
	s7CC    = []byte{3, 0, 0, 0x16, 0x11, 0xd0, 0, 1, 0, 2, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2}
	s7Setup = []byte{3, 0, 0, 0x19, 2, 0xf0, 0x80, 0x32, 1, 0, 0, 0, 0, 0, 8, 0, 0, 0xf0, 0, 0, 1, 0, 1, 1, 0xe0}
)

// TestS7CommIsNotRDP: Zeek enables RDP by port 3389 or by its DPD
// signature (a "Cookie: mstshash=" or "Duca…rdpdr" client request AND a
// server reply); an S7comm / ISO-TSAP connection on port 102 matches
// neither. Detect must not claim it (Sure/Likely take it at once; even a
// Maybe becomes the analyzer at connection end, internal/analyze's final
// detection), and the analyzer must not confirm RDP (conn.log's service)
// or write rdp.log for it.
func TestS7CommIsNotRDP(t *testing.T) {
	if got := Detect(proto.FromOrig, s7CR, 102, 6); got != proto.No {
		t.Errorf("Detect(S7comm COTP CR, port 102) = %v, want No", got)
	}
	ci102 := prototest.TCPConn("10.0.0.1", 50000, "10.0.0.2", 102)
	out := &prototest.Sink{T: t, Log: "rdp"}
	a := New(ci102, out)
	a.Data(proto.FromOrig, 1e9, s7CR)
	a.Data(proto.FromResp, 2e9, s7CC)
	a.Data(proto.FromOrig, 3e9, s7Setup)
	a.End(4e9)
	if a.Service() != "" || len(out.Recs) != 0 {
		t.Errorf("S7comm on port 102: service %q, rdp.log %q", a.Service(), out.Recs)
	}
}

// TestStandardSecurityProtocol: a client without RDP_NEG_REQ (old
// clients, many scanners) and a server answering without RDP_NEG_RSP,
// then standard RDP security (128-bit, High). Zeek's Server_Security_Data
// calls go_encrypted(0) when method and level are > 0, and its
// rdp_begin_encryption handler sets security_protocol to "RDP" (and
// result to "encrypted" if none yet): rdp.log says "RDP". The analyzer
// must write it too.
func TestStandardSecurityProtocol(t *testing.T) {
	cookie := []byte("Cookie: mstshash=bob\r\n")
	cr := tpkt(append([]byte{byte(6 + len(cookie)), 0xE0, 0, 0, 0, 0, 0}, cookie...))
	cc := tpkt([]byte{6, 0xD0, 0, 0, 0x12, 0x34, 0})
	sec := []byte{0x02, 0x0C, 20, 0}
	sec = binary.LittleEndian.AppendUint32(sec, 2) // 128bit
	sec = binary.LittleEndian.AppendUint32(sec, 3) // High
	sec = binary.LittleEndian.AppendUint32(sec, 0) // no server random
	sec = binary.LittleEndian.AppendUint32(sec, 0) // no certificate
	mcs := append([]byte{2, 0xF0, 0x80, 0x7f, 0x66, 0x00, 0x01, 0xc0, 0x00}, "McDn"...)
	mcs = append(append(mcs, byte(len(sec))), sec...)
	got, _, _ := run(t, []step{{0, cr}, {1, cc}, {1, tpkt(mcs)}}, 0)
	if len(got) != 1 || !strings.Contains(got[0], `"security_protocol":"RDP"`) {
		t.Fatalf("got %q, want security_protocol RDP as Zeek writes", got)
	}
}
