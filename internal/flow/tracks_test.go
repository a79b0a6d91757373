package flow

import (
	"encoding/binary"
	"testing"
)

func TestTracksUDP(t *testing.T) {
	tb, _ := newTable(t, DefaultConfig())
	d := udp("10.0.0.1:53859", "10.0.0.2:5072", 44)
	if tb.TracksUDP(d) {
		t.Fatal("empty table tracks a conn")
	}
	tb.Update(&Input{TS: base, D: d})
	for _, tc := range []struct {
		name string
		src  string
		dst  string
		want bool
	}{
		{"same direction", "10.0.0.1:53859", "10.0.0.2:5072", true},
		{"reply", "10.0.0.2:5072", "10.0.0.1:53859", true},
		{"other port", "10.0.0.1:53860", "10.0.0.2:5072", false},
		{"other host", "10.0.0.3:53859", "10.0.0.2:5072", false},
	} {
		if got := tb.TracksUDP(udp(tc.src, tc.dst, 0)); got != tc.want {
			t.Errorf("%s: TracksUDP = %v, want %v", tc.name, got, tc.want)
		}
	}
	if tb.TracksUDP(tcp("10.0.0.1:53859", "10.0.0.2:5072", S, 1, 0, 0)) {
		t.Error("a TCP datagram matched a UDP conn")
	}
	noL4 := udp("10.0.0.1:53859", "10.0.0.2:5072", 0)
	noL4.HasL4 = false
	if tb.TracksUDP(noL4) || tb.TracksUDP(nil) {
		t.Error("a datagram without a UDP header matched")
	}
	if n := testing.AllocsPerRun(100, func() { tb.TracksUDP(d) }); n != 0 {
		t.Errorf("TracksUDP allocates %v times", n)
	}
}

// rawUDP4 builds the IPv4/UDP datagram of d (payload zero) with the given
// UDP checksum field.
func rawUDP4(t *testing.T, d *Input, sum uint16) []byte {
	t.Helper()
	g := d.D
	raw := make([]byte, g.IPLen)
	raw[0] = 0x45
	binary.BigEndian.PutUint16(raw[2:], uint16(g.IPLen))
	raw[9] = 17
	s, dst := g.Src.As4(), g.Dst.As4()
	copy(raw[12:], s[:])
	copy(raw[16:], dst[:])
	binary.BigEndian.PutUint16(raw[20:], g.SrcPort)
	binary.BigEndian.PutUint16(raw[22:], g.DstPort)
	binary.BigEndian.PutUint16(raw[24:], uint16(8+g.L4Len))
	binary.BigEndian.PutUint16(raw[26:], sum)
	return raw
}

func TestTableBadChecksum(t *testing.T) {
	in := &Input{TS: base, D: udp("172.30.0.1:48036", "172.30.0.2:4789", 54)}
	tb, _ := newTable(t, DefaultConfig())
	if tb.BadChecksum(in) {
		t.Error("no IPRaw: reported bad")
	}
	in.IPRaw = rawUDP4(t, in, 0x588f)
	if !tb.BadChecksum(in) {
		t.Error("wrong outer checksum (as in vxlan-encapsulated-igmp-v2.pcap) not reported")
	}
	cfg := DefaultConfig()
	cfg.IgnoreChecksums = true
	if tb2, _ := newTable(t, cfg); tb2.BadChecksum(in) {
		t.Error("IgnoreChecksums: reported bad")
	}
	in.IPRaw = rawUDP4(t, in, 0)
	if tb.BadChecksum(in) {
		t.Error("zero (absent) IPv4 UDP checksum reported bad")
	}
	if tb.BadChecksum(&Input{}) {
		t.Error("no datagram: reported bad")
	}
}
