package flow

import (
	"encoding/binary"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// badChecksum reports whether the datagram's transport checksum is wrong.
// It answers false when it cannot tell: no IPRaw, or a datagram not
// captured whole (Zeek skips validation when caplen < len).
func badChecksum(in *Input, d *decode.Datagram) bool { return badDatagram(d, in.IPRaw) }

// badDatagram is badChecksum for the datagram d whose bytes are raw.
func badDatagram(d *decode.Datagram, raw []byte) bool {
	if raw == nil || d.HeaderLen <= 0 || d.IPLen <= d.HeaderLen || len(raw) < d.IPLen {
		return false
	}
	if d.Proto == decode.ProtoUDP && d.Version == 6 && d.DstPort != 4789 {
		// A zero UDP checksum is only allowed over IPv4 (and for VXLAN);
		// Zeek counts it as bad over IPv6.
		if seg := raw[d.HeaderLen:d.IPLen]; len(seg) >= 8 && binary.BigEndian.Uint16(seg[6:8]) == 0 {
			return true
		}
	}
	return !decode.DatagramChecksumOK(d, raw)
}

// BadChecksum reports whether in's datagram (in.D, bytes in.IPRaw) has a
// transport checksum the table would count as bad: false when the table
// ignores checksums or cannot tell. Zeek does not look inside a UDP tunnel
// whose outer checksum is bad; the reader asks this before decapsulating.
func (t *Table) BadChecksum(in *Input) bool {
	if in.ChecksumChecked {
		return !t.cfg.IgnoreChecksums && in.ChecksumBad
	}
	return in.D != nil && t.DatagramBad(in.D, in.IPRaw, false)
}

// DatagramBad is BadChecksum for the datagram d, its bytes raw, not yet
// checked (checked: the capture vouches for it, e.g. checksum offload).
func (t *Table) DatagramBad(d *decode.Datagram, raw []byte, checked bool) bool {
	return !checked && !t.cfg.IgnoreChecksums && badDatagram(d, raw)
}

// badChecksum is BadChecksum for the datagram d being accounted.
func (t *Table) badChecksum(in *Input, d *decode.Datagram) bool {
	if t.cfg.IgnoreChecksums {
		return false
	}
	if in.ChecksumChecked {
		return in.ChecksumBad
	}
	return badChecksum(in, d)
}
