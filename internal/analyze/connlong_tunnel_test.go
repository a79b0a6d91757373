package analyze

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// vxlanFrame is a raw IPv4 UDP datagram 10.0.0.1:5000 -> 10.0.0.2:4789
// carrying, in VXLAN, an Ethernet frame with udpFrame(3, 4) (10.0.0.3 ->
// 10.0.0.4).
func vxlanFrame() []byte {
	inner := udpFrame(3, 4)
	payload := make([]byte, 0, 8+14+len(inner))
	payload = append(payload, 0x08, 0, 0, 0, 0, 0, 42, 0) // VXLAN, VNI 42
	payload = append(payload, 2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3, 0x08, 0x00)
	payload = append(payload, inner...)
	b := make([]byte, 20+8, 20+8+len(payload))
	b = append(b, payload...)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8] = 64
	b[9] = decode.ProtoUDP
	copy(b[12:], []byte{10, 0, 0, 1})
	copy(b[16:], []byte{10, 0, 0, 2})
	setIPv4Checksum(b)
	binary.BigEndian.PutUint16(b[20:], 5000)
	binary.BigEndian.PutUint16(b[22:], decode.PortVXLAN)
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	return b
}

// TestLiveConnLongTunnel: a tunnel's outer connection (a VXLAN mirror, a
// Teredo or GTP-U tunnel, open for days) is a connection of conn.log as
// the connections inside it are, and is written to conn_long.log while
// open as they are; before, only the inner connections were.
func TestLiveConnLongTunnel(t *testing.T) {
	sec := int64(time.Second)
	start := time.Now().Add(-2 * time.Hour).UnixNano()
	var evs []scriptEvent
	for i := int64(0); i <= 15*60; i += 20 {
		evs = append(evs, scriptEvent{ts: start + i*sec, frame: vxlanFrame()})
		evs = idleTo(evs, start+i*sec, start+(i+19)*sec, sec)
	}
	during, _ := runScriptsLog(t, "conn_long.log", 2, &scriptSource{name: "ring#0", events: evs})
	outer, inner := 0, 0
	for _, r := range during {
		switch r["id.orig_h"] {
		case "10.0.0.1":
			outer++
			if r["service"] != "vxlan" || r["duration"] != float64(600) {
				t.Errorf("outer conn_long record %v", r)
			}
		case "10.0.0.3":
			inner++
			if r["tunnel_parents"] == nil {
				t.Errorf("inner conn_long record without its tunnel: %v", r)
			}
		}
	}
	if outer != 1 || inner != 1 {
		t.Fatalf("conn_long at 10 minutes: %d records of the outer VXLAN connection, %d of the inner one; want 1 and 1: %v", outer, inner, during)
	}
}
