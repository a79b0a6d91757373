package gopacketbench

import (
	"encoding/hex"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// ethIPv4TCP is Ethernet/IPv4/TCP (ACK|PSH, 12 bytes of payload), the same
// frame as decode's BenchmarkDecode/ipv4-tcp.
var ethIPv4TCP, _ = hex.DecodeString("66778899aabb00112233445508004500003400000000400666c20a0000010a0000029c400050000003e8000007d05018ffffb329000068656c6c6f2c20776f726c64")

func BenchmarkVigilDecode(b *testing.B) {
	d := decode.NewDecoder(decode.DefaultConfig())
	var p decode.Packet
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(ethIPv4TCP, decode.LinkEthernet, 0, len(ethIPv4TCP), &p)
	}
	if p.IP.DstPort != 80 || len(p.Payload) != 12 {
		b.Fatalf("decoded %+v", p.IP)
	}
}

// BenchmarkGopacketDecode uses gopacket's fastest API: a DecodingLayerParser
// over preallocated layers, no Packet objects.
func BenchmarkGopacketDecode(b *testing.B) {
	var (
		eth     layers.Ethernet
		dot1q   layers.Dot1Q
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		udp     layers.UDP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp, &payload)
	decoded := make([]gopacket.LayerType, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		if err := parser.DecodeLayers(ethIPv4TCP, &decoded); err != nil {
			b.Fatal(err)
		}
	}
	if tcp.DstPort != 80 || len(payload) != 12 {
		b.Fatalf("decoded %v %d", tcp.DstPort, len(payload))
	}
}
