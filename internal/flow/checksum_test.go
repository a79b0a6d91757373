package flow

import (
	"encoding/binary"
	"testing"
)

// rawTCP builds an IPv4/TCP datagram for d with a correct TCP checksum.
func rawTCP(src, dst string, flags uint8, seq uint32) ([]byte, *Input) {
	d := tcp(src, dst, flags, seq, 0, 4)
	raw := make([]byte, d.IPLen)
	raw[0] = 0x45
	binary.BigEndian.PutUint16(raw[2:], uint16(d.IPLen))
	raw[9] = 6
	s, t := d.Src.As4(), d.Dst.As4()
	copy(raw[12:], s[:])
	copy(raw[16:], t[:])
	seg := raw[20:]
	binary.BigEndian.PutUint16(seg[0:], d.SrcPort)
	binary.BigEndian.PutUint16(seg[2:], d.DstPort)
	binary.BigEndian.PutUint32(seg[4:], seq)
	seg[12] = 5 << 4
	seg[13] = flags
	copy(seg[20:], "abcd")
	// One's-complement sum of the pseudo-header (addresses, protocol,
	// length) and the segment, written out longhand as the test's oracle.
	sum := uint32(6 + len(seg))
	for _, b := range [][]byte{raw[12:20], seg} {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(seg[16:], ^uint16(sum))
	return raw, &Input{TS: base, D: d, IPRaw: raw}
}

func TestChecksumValidation(t *testing.T) {
	raw, in := rawTCP(cli, srv, S, 1000)
	if badChecksum(in, in.D) {
		t.Fatal("good checksum reported bad")
	}
	raw[30] ^= 0xff
	if !badChecksum(in, in.D) {
		t.Fatal("bad checksum not detected")
	}
	tb, s := newTable(t, DefaultConfig())
	tb.Update(in)
	tb.Flush()
	c := one(t, s.conns)
	if c.History != "C" || c.OrigPkts != 0 || c.ConnState != "OTH" {
		t.Errorf("bad-checksum SYN: %+v", c)
	}
	cfg := DefaultConfig()
	cfg.IgnoreChecksums = true
	tb, s = newTable(t, cfg)
	tb.Update(in)
	tb.Flush()
	// A SYN carrying data gets Zeek's "T" too (update_last_seq sees no advance).
	if c := one(t, s.conns); c.History != "ST" || c.OrigPkts != 1 {
		t.Errorf("ignored checksum: %+v", c)
	}
}
