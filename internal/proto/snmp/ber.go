package snmp

// A small BER reader for SNMP: definite lengths only (SNMP forbids the
// indefinite form), single-byte tags, lengths of at most 4 bytes and never
// past the data. It does not recurse: callers walk SNMP's fixed structure,
// so the nesting depth is bounded by construction.

// BER tags SNMP uses.
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagIPAddress   = 0x40
	tagCounter32   = 0x41
	tagGauge32     = 0x42
	tagTimeTicks   = 0x43
	tagOpaque      = 0x44
	tagCounter64   = 0x46
)

// readTLV splits the first element off b: its tag, its contents and what
// follows it. ok is false when b does not start with a well-formed
// element.
func readTLV(b []byte) (tag byte, val, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, false // multi-byte tag: not SNMP
	}
	l := int(b[1])
	o := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 4 || len(b) < 2+n {
			return 0, nil, nil, false
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		o += n
		if l < 0 {
			return 0, nil, nil, false
		}
	}
	if l > len(b)-o {
		return 0, nil, nil, false
	}
	return tag, b[o : o+l], b[o+l:], true
}

// expect reads an element with tag want.
func expect(b []byte, want byte) (val, rest []byte, ok bool) {
	tag, val, rest, ok := readTLV(b)
	if !ok || tag != want {
		return nil, nil, false
	}
	return val, rest, true
}

// readInt reads an INTEGER of at most 8 bytes.
func readInt(b []byte) (v int64, rest []byte, ok bool) {
	val, rest, ok := expect(b, tagInteger)
	if !ok || len(val) == 0 || len(val) > 8 {
		return 0, nil, false
	}
	return intValue(val), rest, true
}

// intValue decodes a two's complement big-endian integer (≤ 8 bytes).
func intValue(val []byte) int64 {
	var v int64
	if len(val) > 0 && val[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range val {
		v = v<<8 | int64(c)
	}
	return v
}

// uintValue decodes an unsigned integer (Counter32, Gauge32, TimeTicks,
// Counter64: at most 9 bytes with a leading zero).
func uintValue(val []byte) (uint64, bool) {
	for len(val) > 1 && val[0] == 0 {
		val = val[1:]
	}
	if len(val) == 0 || len(val) > 8 {
		return 0, false
	}
	var v uint64
	for _, c := range val {
		v = v<<8 | uint64(c)
	}
	return v, true
}
