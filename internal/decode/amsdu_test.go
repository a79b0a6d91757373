package decode

import (
	"encoding/binary"
	"os"
	"slices"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// subframes decodes every packet of an A-MSDU frame: Decode, then
// DecodeNextSubframe until it reports none, each checked by its function.
func subframes(t *testing.T, data []byte, link LinkType, checks ...func(*testing.T, *Packet)) {
	t.Helper()
	d := NewDecoder(DefaultConfig())
	var p Packet
	d.Decode(data, link, 5, len(data)+10, &p)
	for i, check := range checks {
		if i > 0 && !d.DecodeNextSubframe(data, link, &p) {
			t.Fatalf("subframe %d: DecodeNextSubframe found none", i)
		}
		eq(t, "TS", p.TS, int64(5))
		eq(t, "WireLen", p.WireLen, len(data)+10)
		eq(t, "CapLen", p.CapLen, len(data))
		check(t, &p)
	}
	if d.DecodeNextSubframe(data, link, &p) {
		t.Fatalf("a subframe after the %d expected (NextSubframe was past them)", len(checks))
	}
	if p.NextSubframe != 0 {
		t.Errorf("NextSubframe = %d after the last subframe", p.NextSubframe)
	}
}

// TestAMSDUSubframes: each subframe of an 802.11 A-MSDU is a packet (Zeek
// analyses each), directly on the link or inside Aruba's GRE; subframes
// are padded to four bytes but the last; one that carries no packet gives
// only its anomalies, or nothing; the frame's own anomalies go with the
// first subframe only.
func TestAMSDUSubframes(t *testing.T) {
	tcp4, udp6 := sampleTCP4(), sampleUDP6()
	snap6 := []byte{0xaa, 0xaa, 3, 0, 0, 0, 0x86, 0xdd}
	snapARP := []byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x06}
	snapEAPOL := []byte{0xaa, 0xaa, 3, 0, 0, 0, 0x88, 0x8e}
	// pad aligns a subframe (header and body) to four bytes.
	pad := func(sub []byte) []byte { return cat(sub, make([]byte, (-len(sub))&3)) }
	eth4 := func(ip []byte) []byte { return cat(ethHdr(EtherTypeIPv4), ip) }
	gre := func(o v4, body ...[]byte) []byte {
		o.src, o.dst, o.proto = "1.1.1.1", "2.2.2.2", ProtoGRE
		return eth4(o.build(greHdr(0, 0x9000, cat(wlanQoS(0x80), cat(body...)))))
	}
	isARP := func(t *testing.T, p *Packet) {
		t.Helper()
		eq(t, "IsARP", p.IsARP, true)
		eq(t, "ARP.Op", p.ARP.Op, uint16(2))
	}
	inGRE := func(check func(*testing.T, *Packet)) func(*testing.T, *Packet) {
		return func(t *testing.T, p *Packet) {
			t.Helper()
			check(t, p)
			tunnelsAre(t, p, TunnelGRE)
			if p.NumTunnels > 0 {
				o := &p.Tunnels[0].Outer
				eq(t, "Outer.Src", o.Src, mustAddr("1.1.1.1"))
				eq(t, "Outer.Dst", o.Dst, mustAddr("2.2.2.2"))
				eq(t, "Outer.Proto", o.Proto, ProtoGRE)
			}
		}
	}
	clean := func(check func(*testing.T, *Packet)) func(*testing.T, *Packet) {
		return func(t *testing.T, p *Packet) {
			t.Helper()
			check(t, p)
			checkAnoms(t, p, nil)
			eq(t, "Truncated", p.Truncated, false)
		}
	}
	t.Run("802.11", func(t *testing.T) {
		data := cat(wlanQoS(0x80), pad(amsduSub(cat(snap4, tcp4))), pad(amsduSub(cat(snap6, udp6))), amsduSub(cat(snapARP, arpPkt(2))))
		subframes(t, data, LinkIEEE80211, clean(tcp4Inner), clean(udp6Inner), clean(isARP))
	})
	t.Run("802.11/one", func(t *testing.T) {
		subframes(t, cat(wlanQoS(0x80), amsduSub(cat(snap4, tcp4))), LinkIEEE80211, clean(tcp4Inner))
	})
	t.Run("802.11/trailer-too-short-for-a-subframe", func(t *testing.T) {
		// e.g. a frame check sequence after the last subframe
		data := cat(wlanQoS(0x80), pad(amsduSub(cat(snap4, tcp4))), make([]byte, 13))
		subframes(t, data, LinkIEEE80211, clean(tcp4Inner))
	})
	t.Run("802.11/not-ip", func(t *testing.T) {
		data := cat(wlanQoS(0x80), pad(amsduSub(cat(snap4, tcp4))), pad(amsduSub(cat(snapEAPOL, make([]byte, 20)))), amsduSub(cat(snap6, udp6)))
		subframes(t, data, LinkIEEE80211, clean(tcp4Inner), func(t *testing.T, p *Packet) {
			checkAnoms(t, p, []AnomalyKind{AnomalyUnknownEtherType}) // as the first subframe would
			eq(t, "IP.Version", p.IP.Version, uint8(0))
		}, clean(udp6Inner))
	})
	t.Run("802.11/nothing-passed-over", func(t *testing.T) {
		stp := []byte{0x42, 0x42, 0x03, 0, 0, 0, 0, 0}
		data := cat(wlanQoS(0x80), pad(amsduSub(cat(snap4, tcp4))), pad(amsduSub(stp)), amsduSub(cat(snap6, udp6)))
		subframes(t, data, LinkIEEE80211, clean(tcp4Inner), clean(udp6Inner))
	})
	t.Run("802.11/last-cut", func(t *testing.T) {
		last := amsduSub(cat(snap6, udp6))
		data := cat(wlanQoS(0x80), pad(amsduSub(cat(snap4, tcp4))), last[:len(last)-5])
		subframes(t, data, LinkIEEE80211, clean(tcp4Inner), func(t *testing.T, p *Packet) {
			checkAnoms(t, p, []AnomalyKind{AnomalyTruncatedLink})
			eq(t, "Truncated", p.Truncated, true)
			eq(t, "IP.Version", p.IP.Version, uint8(0))
		})
	})
	t.Run("aruba", func(t *testing.T) {
		data := gre(v4{}, pad(amsduSub(cat(snap4, tcp4))), amsduSub(cat(snap6, udp6)))
		subframes(t, data, LinkEthernet, clean(inGRE(tcp4Inner)), clean(inGRE(udp6Inner)))
	})
	t.Run("aruba/outer-anomaly-with-the-first-only", func(t *testing.T) {
		data := gre(v4{badSum: true}, pad(amsduSub(cat(snap4, tcp4))), pad(amsduSub(cat(snap6, udp6))), amsduSub(cat(snap4, tcp4)))
		first := func(t *testing.T, p *Packet) {
			inGRE(tcp4Inner)(t, p)
			checkAnoms(t, p, []AnomalyKind{AnomalyBadIPChecksum})
		}
		subframes(t, data, LinkEthernet, first, clean(inGRE(udp6Inner)), clean(inGRE(tcp4Inner)))
	})
	t.Run("aruba/not-ip-gives-its-anomaly", func(t *testing.T) {
		data := gre(v4{}, pad(amsduSub(cat(snap4, tcp4))), pad(amsduSub(cat(snapEAPOL, make([]byte, 20)))), amsduSub(cat(snap6, udp6)))
		subframes(t, data, LinkEthernet, clean(inGRE(tcp4Inner)), func(t *testing.T, p *Packet) {
			checkAnoms(t, p, []AnomalyKind{AnomalyInnerNotIP})
			eq(t, "IP.Version", p.IP.Version, uint8(0))
			eq(t, "NumTunnels", p.NumTunnels, uint8(0)) // not the outer datagram again
		}, clean(inGRE(udp6Inner)))
	})
}

// TestAMSDUCorpus decodes the A-MSDU of Zeek's Aruba trace (one GRE frame,
// two subframes): both TCP segments, 281 and 75 bytes of IPv4, as Zeek's
// conn.log counts them (2 packets, 356 bytes).
func TestAMSDUCorpus(t *testing.T) {
	data, err := os.ReadFile(testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "tunnels", "gre-aruba-amsdu.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// One record after the pcap file header (24 bytes, little-endian):
	// its header (16 bytes, the captured length at 8), then the frame.
	if len(data) < 40 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 {
		t.Fatalf("not the little-endian pcap expected (%d bytes)", len(data))
	}
	frame := data[40:]
	if n := int(binary.LittleEndian.Uint32(data[32:])); n != len(frame) {
		t.Fatalf("record of %d bytes, %d after its header", n, len(frame))
	}
	d := NewDecoder(DefaultConfig())
	var p Packet
	d.Decode(frame, LinkEthernet, 1, len(frame), &p)
	var lens []int
	for ok := true; ok; ok = d.DecodeNextSubframe(frame, LinkEthernet, &p) {
		ipIs(t, &p, 4, "157.240.18.16", "149.159.130.184", ProtoTCP)
		tunnelsAre(t, &p, TunnelGRE)
		lens = append(lens, int(p.IP.IPLen))
	}
	if !slices.Equal(lens, []int{281, 75}) {
		t.Errorf("subframes' IP lengths = %v, want [281 75]", lens)
	}
}
