package mysql

import "bytes"

// reader reads a packet's payload as Zeek's grammar does: a field that
// does not fit sets bad, and every later read returns zero values, so that
// a message is used only when all of it parsed (a binpac exception in
// Zeek drops the whole message and its side effects).
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

// uint reads an n-byte little-endian integer.
func (r *reader) uint(n int) uint64 {
	v := r.take(n)
	var x uint64
	for i := len(v) - 1; i >= 0; i-- {
		x = x<<8 | uint64(v[i])
	}
	return x
}

// nul reads a NUL-terminated string (the NUL required) and returns it
// without the NUL.
func (r *reader) nul() []byte {
	if r.bad || bytes.IndexByte(r.b, 0) < 0 {
		r.bad = true
		return nil
	}
	return r.optNul()
}

// optNul reads Zeek's EmptyOrNUL_String: a NUL-terminated string when
// there is a NUL, else nothing.
func (r *reader) optNul() []byte {
	v, rest, ok := bytes.Cut(r.b, []byte{0})
	if r.bad || !ok {
		return nil
	}
	r.b = rest
	return v
}

// lenencAfter reads the rest of a length-encoded integer whose first byte
// is first (Zeek's LengthEncodedIntegerLookahead): 0xfb and 0xff are 0.
func (r *reader) lenencAfter(first byte) uint64 {
	switch first {
	case 0xfb, 0xff:
		return 0
	case 0xfc:
		return r.uint(2)
	case 0xfd:
		return r.uint(3)
	case 0xfe:
		return r.uint(8)
	}
	return uint64(first)
}

func (r *reader) lenenc() uint64 { return r.lenencAfter(r.u8()) }

// lenencString reads a length-encoded string.
func (r *reader) lenencString() []byte { return r.stringOf(r.lenenc()) }

func (r *reader) stringOf(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	return r.take(int(n))
}

// connAttrs reads Zeek's Handshake_Connection_Attributes: a one-byte
// length, then name/value pairs of length-encoded strings filling it.
func (r *reader) connAttrs() {
	block := reader{b: r.take(int(r.u8()))}
	for len(block.b) > 0 && !block.bad {
		block.lenencString()
		block.lenencString()
	}
	r.bad = r.bad || block.bad
}

// columnDefinition reads a ColumnDefinition41 whose first byte is first.
func (r *reader) columnDefinition(first byte) {
	r.stringOf(r.lenencAfter(first)) // catalog
	for range 5 {                    // schema, table, org_table, name, org_name
		r.lenencString()
	}
	r.lenenc() // length of the fixed fields
	r.take(12) // character set, column length, type, flags, decimals, filler
}

// queryAttributes reads past the query attributes that start a COM_QUERY
// when both sides announced CLIENT_QUERY_ATTRIBUTES.
func (r *reader) queryAttributes() {
	n := r.lenenc()
	r.lenenc() // parameter sets: always 1
	if n == 0 || r.bad {
		return
	}
	if n > uint64(len(r.b)) { // each attribute takes bytes
		r.bad = true
		return
	}
	nulls := r.take(int(n+7) / 8)
	if r.u8() != 1 { // the types are sent
		r.bad = true
		return
	}
	types := make([]byte, n)
	for i := range types {
		types[i] = r.u8()
		r.u8() // unsigned flag
		r.lenencString()
	}
	for i, t := range types {
		if r.bad {
			return
		}
		if nulls != nil && nulls[i/8]>>(i%8)&1 == 0 {
			r.binaryValue(t)
		}
	}
}

// binaryValue reads one value of the binary protocol of type t; a type
// Zeek's grammar does not list fails.
func (r *reader) binaryValue(t byte) {
	switch t {
	case 0x00: // DECIMAL, read by Zeek as a length-encoded integer
		r.lenenc()
	case 0x01:
		r.take(1)
	case 0x02, 0x0d: // SHORT, YEAR
		r.take(2)
	case 0x03, 0x04, 0x09: // LONG, FLOAT, INT24
		r.take(4)
	case 0x05, 0x08: // DOUBLE, LONGLONG
		r.take(8)
	case 0x06: // NULL
	case 0x07, 0x0a, 0x0c, 0x11: // TIMESTAMP, DATE, DATETIME, TIMESTAMP2
		switch n := r.u8(); n {
		case 0, 4, 7, 11:
			r.take(int(n))
		default:
			r.bad = true
		}
	case 0x0b: // TIME
		n := r.u8()
		if n != 0 && n != 8 && n != 12 {
			r.bad = true
			return
		}
		if n > 0 {
			if neg := r.u8(); neg > 1 {
				r.bad = true
			}
			r.take(int(n) - 1)
		}
	case 0x0f, 0x10, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff:
		r.lenencString()
	default:
		r.bad = true
	}
}
