package flow

import (
	"encoding/binary"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// badChecksum reports whether the datagram's transport checksum is wrong.
// It answers false when it cannot tell: no IPRaw, or a datagram not
// captured whole (Zeek skips validation when caplen < len).
func badChecksum(in *Input, d *decode.Datagram) bool {
	raw := in.IPRaw
	if raw == nil || d.HeaderLen <= 0 || d.IPLen <= d.HeaderLen || len(raw) < d.IPLen {
		return false
	}
	seg := raw[d.HeaderLen:d.IPLen]
	v6 := d.Version == 6
	var sum uint32
	switch d.Proto {
	case decode.ProtoTCP:
		if len(seg) < 20 {
			return false
		}
		sum = pseudoSum(d, v6, uint32(len(seg)))
	case decode.ProtoUDP:
		if len(seg) < 8 {
			return false
		}
		ck := binary.BigEndian.Uint16(seg[6:8])
		if ck == 0 {
			// Optional for IPv4; for IPv6 only VXLAN may send zero.
			if !v6 || d.DstPort == 4789 {
				return false
			}
			return true
		}
		sum = pseudoSum(d, v6, uint32(len(seg)))
	case decode.ProtoICMP:
		if len(seg) < 8 {
			return false
		}
	case decode.ProtoICMPv6:
		if len(seg) < 8 {
			return false
		}
		sum = pseudoSum(d, true, uint32(len(seg)))
	default:
		return false
	}
	sum = onesSum(seg, sum)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum) != 0xffff
}

func pseudoSum(d *decode.Datagram, v6 bool, l4len uint32) uint32 {
	var sum uint32
	if v6 {
		s, t := d.Src.As16(), d.Dst.As16()
		sum = onesSum(s[:], sum)
		sum = onesSum(t[:], sum)
	} else {
		s, t := d.Src.As4(), d.Dst.As4()
		sum = onesSum(s[:], sum)
		sum = onesSum(t[:], sum)
	}
	sum += uint32(d.Proto)
	sum += l4len>>16 + l4len&0xffff
	return sum
}

func onesSum(b []byte, sum uint32) uint32 {
	n := len(b) &^ 1
	for i := 0; i < n; i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)&1 != 0 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 && sum > 0xffff0000 {
		sum = sum&0xffff + sum>>16
	}
	return sum
}
