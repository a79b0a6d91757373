package quic

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Versions with a name of their own.
const (
	VersionNegotiation uint32 = 0x00000000
	Version1           uint32 = 0x00000001
	Version2           uint32 = 0x6b3343cf // RFC 9369
	VersionDraft29     uint32 = 0xff00001d
)

// Long-header packet types, normalized to QUIC v1's numbering (RFC 9000
// §17.2); RFC 9369 permutes them on the wire.
const (
	TypeInitial   = 0
	TypeZeroRTT   = 1
	TypeHandshake = 2
	TypeRetry     = 3
)

// ErrTruncated reports a packet whose fields run past the datagram.
var ErrTruncated = errors.New("quic: truncated packet")

// Known reports whether Zeek's QUIC analyzer handles version v: 1, 2,
// drafts 22 to 34 and Facebook's mvfst versions.
func Known(v uint32) bool {
	switch {
	case v == Version1, v == Version2:
		return true
	case v >= 0xff000016 && v <= 0xff000022:
		return true
	}
	switch v {
	case 0xfaceb001, 0xfaceb002, 0xfaceb00e, 0xfaceb011, 0xfaceb012, 0xfaceb013:
		return true
	}
	return false
}

// VersionName is Zeek's name of a version (QUIC::version_strings): "1",
// "quicv2", "draft-29", "mvfst (faceb002)", else "unknown-<hex>".
func VersionName(v uint32) string {
	switch {
	case v == Version1:
		return "1"
	case v == Version2:
		return "quicv2"
	case v == 0xff00001f:
		return "draft-30" // sic: Zeek's table names 0xff00001f draft-30 too
	case v >= 0xff000016 && v <= 0xff000022:
		return "draft-" + strconv.Itoa(int(v&0xff))
	}
	switch v {
	case 0xfaceb001, 0xfaceb002, 0xfaceb00e, 0xfaceb011, 0xfaceb012, 0xfaceb013:
		return "mvfst (" + strconv.FormatUint(uint64(v), 16) + ")"
	}
	return "unknown-" + strconv.FormatUint(uint64(v), 16)
}

// Varint decodes a QUIC variable-length integer (RFC 9000 §16) at the start
// of b and returns its value and length (n 0 when b is too short).
func Varint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n
}

// LongHeader is a parsed long-header packet (RFC 9000 §17.2). Slices point
// into the datagram.
type LongHeader struct {
	First   byte // first byte, still header-protected
	Version uint32
	DCID    []byte
	SCID    []byte
	// Type is the packet type in v1 numbering (TypeInitial …); meaningful
	// only for Known versions.
	Type  int
	Token []byte // Initial only
	// Length is the Length field (packet number plus payload); 0 for Retry.
	Length uint64
	// PNOffset is where the packet number starts (Initial, 0-RTT,
	// Handshake).
	PNOffset int
	// Size is the bytes of the datagram this packet occupies (Retry and
	// packets of unknown versions take the rest of the datagram).
	Size int
	// RetryToken and RetryTag split a Retry packet's remainder.
	RetryToken, RetryTag []byte
}

// ParseLongHeader parses the long-header packet at the start of b up to
// its connection IDs and, for a Known version, the rest of its header and
// its extent. An unknown version parses only the invariant part (RFC 8999)
// and takes the rest of the datagram.
func ParseLongHeader(b []byte) (h LongHeader, err error) {
	if len(b) < 6 || b[0]&0x80 == 0 {
		return h, ErrTruncated
	}
	h.First = b[0]
	h.Version = binary.BigEndian.Uint32(b[1:5])
	off := 5
	dl := int(b[off])
	off++
	if off+dl+1 > len(b) {
		return h, ErrTruncated
	}
	h.DCID = b[off : off+dl]
	off += dl
	sl := int(b[off])
	off++
	if off+sl > len(b) {
		return h, ErrTruncated
	}
	h.SCID = b[off : off+sl]
	off += sl
	if !Known(h.Version) {
		h.Size = len(b)
		return h, nil
	}
	t := int(b[0]>>4) & 3
	if h.Version == Version2 {
		t = (t + 3) & 3 // v2: Retry 0, Initial 1, 0-RTT 2, Handshake 3
	}
	h.Type = t
	if t == TypeRetry {
		rest := b[off:]
		if len(rest) < 16 {
			return h, ErrTruncated
		}
		h.RetryToken = rest[:len(rest)-16]
		h.RetryTag = rest[len(rest)-16:]
		h.Size = len(b)
		return h, nil
	}
	if t == TypeInitial {
		tl, n := Varint(b[off:])
		if n == 0 {
			return h, ErrTruncated
		}
		off += n
		if tl > uint64(len(b)-off) {
			return h, ErrTruncated
		}
		h.Token = b[off : off+int(tl)]
		off += int(tl)
	}
	l, n := Varint(b[off:])
	if n == 0 {
		return h, ErrTruncated
	}
	off += n
	if t == TypeInitial && l < 20 {
		return h, ErrTruncated // Zeek: 4 packet-number bytes + 16 sample bytes
	}
	if l > uint64(len(b)-off) {
		return h, ErrTruncated
	}
	h.Length = l
	h.PNOffset = off
	h.Size = off + int(l)
	return h, nil
}
