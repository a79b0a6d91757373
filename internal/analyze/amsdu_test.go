package analyze

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// amsduCapture writes frames 802.11 A-MSDUs (amsduFrame), bare (link
// type 105) or, with inGRE, in Aruba's GRE over UDP (arubaOverUDP), whose
// outer datagram counts in a connection.
func amsduCapture(t *testing.T, frames, flows, payload int, inGRE bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "amsdu.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	link := decode.LinkIEEE80211
	if inGRE {
		link = decode.LinkEthernet
	}
	w, err := capture.NewWriter(bw, link, 65535)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := 0; i < frames; i++ {
		frame := amsduFrame(i, flows, payload)
		if inGRE {
			frame = arubaOverUDP(frame)
		}
		if err := w.WritePacket(ts+int64(i)*int64(time.Second), frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// amsduFrame is the i-th 802.11 QoS data frame of an A-MSDU holding one UDP
// datagram of each of flows flows (10.0.0.N:40000+N → 10.0.0.99:7777,
// payload bytes each) and, when i is even, a subframe of another protocol
// (STP's LLC) in the middle, which carries no packet.
func amsduFrame(i, flows, payload int) []byte {
	sub := func(b, body []byte) []byte {
		b = append(b, 2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa) // destination, source
		b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
		b = append(b, body...)
		return append(b, make([]byte, (-(14+len(body)))&3)...) // padding
	}
	// QoS data to the DS, A-MSDU present in the QoS control field.
	frame := append([]byte{0x88, 0x01, 0, 0}, make([]byte, 18)...)
	frame = append(frame, 0, 0, 0x80, 0)
	for n := 1; n <= flows; n++ {
		if n == 2 && i%2 == 0 {
			frame = sub(frame, []byte{0x42, 0x42, 0x03, 0, 0, 0, 0, 0})
		}
		dgram := ipv4UDP([4]byte{10, 0, 0, byte(n)}, [4]byte{10, 0, 0, 99}, uint16(40000+n), 7777, make([]byte, payload))
		frame = sub(frame, append([]byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00}, dgram...))
	}
	return frame
}

// arubaOverUDP wraps an 802.11 frame in Aruba's GRE (protocol 0x9000) in
// UDP to port 4754, in IPv4 and Ethernet.
func arubaOverUDP(wlan []byte) []byte {
	gre := append([]byte{0, 0, 0x90, 0x00}, wlan...)
	return ethFrame(0x0800, ipv4UDP([4]byte{1, 1, 1, 1}, [4]byte{2, 2, 2, 2}, 5000, decode.PortGREUDP, gre))
}

// TestAMSDUSubframesArePackets: every subframe of an A-MSDU counts in its
// own connection (Zeek analyses each as a packet), the logs the same
// whatever the number of workers; the summary counts frames, and a
// tunnel's outer connection counts each frame once.
func TestAMSDUSubframesArePackets(t *testing.T) {
	const frames, flows, payload = 40, 3, 30
	for _, inGRE := range []bool{false, true} {
		path := amsduCapture(t, frames, flows, payload, inGRE)
		sum, dir := runTo(t, DefaultConfig(), path)
		if sum.Packets != frames {
			t.Errorf("summary: %d packets, want the %d frames", sum.Packets, frames)
		}
		inner, outer := 0, 0
		for _, c := range readLog(t, filepath.Join(dir, "conn.log")) {
			switch c["id.resp_p"] {
			case float64(7777):
				inner++
				if c["orig_pkts"] != float64(frames) || c["orig_ip_bytes"] != float64(frames*(28+payload)) {
					t.Errorf("%v:%v: %v packets, %v bytes; want %d and %d", c["id.orig_h"], c["id.orig_p"], c["orig_pkts"], c["orig_ip_bytes"], frames, frames*(28+payload))
				}
				if inGRE && c["tunnel_parents"] == nil {
					t.Errorf("%v:%v: no tunnel_parents", c["id.orig_h"], c["id.orig_p"])
				}
			case float64(decode.PortGREUDP):
				outer++
				if c["orig_pkts"] != float64(frames) {
					t.Errorf("the tunnel's outer connection counts %v packets, want the %d frames", c["orig_pkts"], frames)
				}
			default:
				t.Errorf("unexpected connection %v", c)
			}
		}
		wantOuter := 0
		if inGRE {
			wantOuter = 1
		}
		if inner != flows || outer != wantOuter {
			t.Errorf("in GRE %v: %d inner and %d outer connections, want %d and %d", inGRE, inner, outer, flows, wantOuter)
		}
		sameLogsWhateverTheWorkers(t, path)
	}
}

// TestAMSDUZeekTrace: Zeek's Aruba trace, one GRE frame whose A-MSDU holds
// two TCP segments of one connection: 2 packets and 356 bytes, as Zeek's
// conn.log, and one tunnel (its GRE outer counted once).
func TestAMSDUZeekTrace(t *testing.T) {
	path := testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "tunnels", "gre-aruba-amsdu.pcap")
	_, dir := runTo(t, DefaultConfig(), path)
	conns := readLog(t, filepath.Join(dir, "conn.log"))
	if len(conns) != 1 {
		t.Fatalf("%d connections, want 1: %v", len(conns), conns)
	}
	c := conns[0]
	pkts := c["orig_pkts"].(float64) + c["resp_pkts"].(float64)
	bytes := c["orig_ip_bytes"].(float64) + c["resp_ip_bytes"].(float64)
	if pkts != 2 || bytes != 356 {
		t.Errorf("%v packets and %v bytes, want Zeek's 2 and 356", pkts, bytes)
	}
	if tunnels := readLog(t, filepath.Join(dir, "tunnel.log")); len(tunnels) != 1 {
		t.Errorf("tunnel.log: %d records, want 1", len(tunnels))
	}
}
