package flow

import "github.com/vigil-nsm/vigil/internal/decode"

// badChecksum reports whether the datagram's transport checksum is wrong
// as Zeek counts it (decode.DatagramChecksumBad: a zero UDP checksum is
// bad over IPv6). It answers false when it cannot tell: no IPRaw, or a
// datagram not captured whole (Zeek skips validation when caplen < len).
func badChecksum(in *Input, d *decode.Datagram) bool { return decode.DatagramChecksumBad(d, in.IPRaw) }

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
	return !checked && !t.cfg.IgnoreChecksums && decode.DatagramChecksumBad(d, raw)
}

// badChecksum is BadChecksum for the datagram d being accounted.
func (t *Table) badChecksum(in *Input, d *decode.Datagram) bool {
	if t.cfg.IgnoreChecksums {
		return false
	}
	if in.ChecksumChecked {
		return in.ChecksumBad
	}
	return decode.DatagramChecksumBad(d, in.IPRaw)
}
