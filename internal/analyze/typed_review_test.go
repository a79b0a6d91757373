package analyze

import (
	"encoding/binary"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// tcp6Frame is an Ethernet frame of one IPv6 TCP segment from src:sport
// to dst:dport.
func tcp6Frame(src, dst [16]byte, sport, dport uint16, seq, ack uint32, flags byte, payload string) []byte {
	tcp := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	tcp = append(tcp, payload...)
	ip := make([]byte, 40, 40+len(tcp))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
	ip[6] = decode.ProtoTCP
	ip[7] = 64
	copy(ip[8:], src[:])
	copy(ip[24:], dst[:])
	// The TCP checksum over the pseudo-header.
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	sum += uint32(len(tcp)) + decode.ProtoTCP
	add(tcp)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(tcp[16:], ^uint16(sum))
	return ethFrame(decode.EtherTypeIPv6, append(ip, tcp...))
}

// httpSession6 is one HTTP exchange over IPv6 between a and b.
func httpSession6(a, b [16]byte) [][]byte {
	const req = "GET /x HTTP/1.1\r\nHost: h\"q\\.example\r\nUser-Agent: ua\x01\xff\r\nAuthorization: Basic dSJcAf86cA==\r\n\r\n"
	const resp = "HTTP/1.1 401 Unauthorized\r\nServer: s\"v\r\nContent-Length: 0\r\n\r\n"
	const (
		syn = decode.TCPSyn
		ack = decode.TCPAck
		psh = 0x08
		fin = decode.TCPFin
	)
	return [][]byte{
		tcp6Frame(a, b, 40000, 80, 1000, 0, syn, ""),
		tcp6Frame(b, a, 80, 40000, 5000, 1001, syn|ack, ""),
		tcp6Frame(a, b, 40000, 80, 1001, 5001, ack, ""),
		tcp6Frame(a, b, 40000, 80, 1001, 5001, ack|psh, req),
		tcp6Frame(b, a, 80, 40000, 5001, 1001+uint32(len(req)), ack|psh, resp),
		tcp6Frame(a, b, 40000, 80, 1001+uint32(len(req)), 5001+uint32(len(resp)), ack|fin, ""),
		tcp6Frame(b, a, 80, 40000, 5001+uint32(len(resp)), 1002+uint32(len(req)), ack|fin, ""),
		tcp6Frame(a, b, 40000, 80, 1002+uint32(len(req)), 5002+uint32(len(resp)), ack, ""),
	}
}

// TestTypedRecordsMatchTheirLinesMapped: a connection between
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d in an IPv6 header) is
// logged with the addresses unmapped (10.0.0.1), which is what rec.Conn
// and Rec.Addr read back; the typed conn and http fields must say the
// same, not the mapped addresses the flow table holds.
func TestTypedRecordsMatchTheirLinesMapped(t *testing.T) {
	a := [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}
	b := [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 2}
	path := writeFrames(t, httpSession6(a, b)...)
	for _, workers := range []int{1, 2} {
		chk := &typedChecker{t: t, name: "mapped"}
		cfg := DefaultConfig()
		cfg.Workers = workers
		cfg.Consumers = []Consumer{chk}
		runTo(t, cfg, path)
		if chk.conns != 1 || chk.https != 1 {
			t.Fatalf("%d conn and %d http records checked, want 1 and 1", chk.conns, chk.https)
		}
	}
}
