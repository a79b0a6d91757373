package analyze

import (
	"encoding/binary"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// symmetricHash returns the same value for both directions of a connection,
// so a connection's packets always reach the same worker. TCP and UDP hash
// addresses and ports; other protocols hash addresses only, as the flow
// table keys them (SCTP is an unknown_transport connection between two
// addresses, as in Zeek; ICMP pairs requests with replies of another type).
func symmetricHash(d *decode.Datagram) uint64 {
	a := addrHash(d.Src.As16())
	b := addrHash(d.Dst.As16())
	switch d.Proto {
	case decode.ProtoTCP, decode.ProtoUDP:
		a ^= uint64(d.SrcPort) * 0x9e3779b97f4a7c15
		b ^= uint64(d.DstPort) * 0x9e3779b97f4a7c15
	}
	// Addition and xor are symmetric; mix both so a==b does not cancel out.
	return mix64((a + b) ^ (a^b)<<1 ^ uint64(d.Proto))
}

func addrHash(a [16]byte) uint64 {
	hi := binary.LittleEndian.Uint64(a[:8])
	lo := binary.LittleEndian.Uint64(a[8:])
	return (hi*0x9e3779b97f4a7c15 ^ lo) * 0xbf58476d1ce4e5b9
}

// mix64 is the SplitMix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
