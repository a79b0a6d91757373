package decode

import "testing"

// benchPackets are the frames BenchmarkDecode measures (one op = one frame).
var benchPackets = []struct {
	name string
	link LinkType
	data []byte
}{
	{"ipv4-tcp", LinkEthernet, sampleEthTCP4()},
	{"ipv6-udp-ext", LinkEthernet, cat(ethHdr(EtherTypeIPv6), sampleUDP6Ext())},
	{"vxlan", LinkEthernet, sampleVXLAN()},
	{"qinq-mpls-ipv4-tcp", LinkEthernet, cat(ethHdr(EtherTypeQinQ), tag(10, EtherTypeVLAN), tag(20, EtherTypeMPLS), mplsLabel(1, true), sampleTCP4())},
	{"gre-erspan2", LinkEthernet, cat(ethHdr(EtherTypeIPv4), v4{proto: ProtoGRE}.build(greHdr(0x1000, EtherTypeERSPAN2, u32(1), []byte{0x10, 0x64, 0, 0, 0, 0, 0, 1}, innerEth(EtherTypeIPv4), sampleTCP4())))},
}

func BenchmarkDecode(b *testing.B) {
	d := NewDecoder(DefaultConfig())
	for _, bp := range benchPackets {
		b.Run(bp.name, func(b *testing.B) {
			var p Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(bp.data)))
			for b.Loop() {
				d.Decode(bp.data, bp.link, 1, len(bp.data), &p)
			}
			if p.IP.Version == 0 {
				b.Fatal("not decoded")
			}
		})
	}
}

func BenchmarkTransportChecksum(b *testing.B) {
	d := NewDecoder(DefaultConfig())
	var p Packet
	d.Decode(sampleEthTCP4(), LinkEthernet, 0, 0, &p)
	b.ReportAllocs()
	for b.Loop() {
		if !TransportChecksumOK(&p) {
			b.Fatal("bad checksum")
		}
	}
}
