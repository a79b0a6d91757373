// Package wire reads the fields of binary protocol messages: a
// bounds-checked big-endian cursor that never reads past its bytes, and
// UTF-16 names.
package wire

import "unicode/utf16"

// Reader walks B. A read past the end sets Bad and empties B (a one-byte
// read only sets Bad), so a parser reads on and checks Bad once.
type Reader struct {
	B   []byte
	Bad bool
}

// U8 reads one byte.
func (r *Reader) U8() uint8 {
	if len(r.B) < 1 {
		r.Bad = true
		return 0
	}
	v := r.B[0]
	r.B = r.B[1:]
	return v
}

// U16 reads a big-endian 16-bit number.
func (r *Reader) U16() uint16 {
	if len(r.B) < 2 {
		r.fail()
		return 0
	}
	v := uint16(r.B[0])<<8 | uint16(r.B[1])
	r.B = r.B[2:]
	return v
}

// U24 reads a big-endian 24-bit number.
func (r *Reader) U24() int {
	if len(r.B) < 3 {
		r.fail()
		return 0
	}
	v := int(r.B[0])<<16 | int(r.B[1])<<8 | int(r.B[2])
	r.B = r.B[3:]
	return v
}

// Bytes reads n bytes (capacity n: appending to them cannot overwrite what
// follows).
func (r *Reader) Bytes(n int) []byte {
	if n < 0 || len(r.B) < n {
		r.fail()
		return nil
	}
	v := r.B[:n:n]
	r.B = r.B[n:]
	return v
}

// Vec8 reads bytes preceded by their 8-bit length.
func (r *Reader) Vec8() []byte { return r.Bytes(int(r.U8())) }

// Vec16 reads bytes preceded by their 16-bit length.
func (r *Reader) Vec16() []byte { return r.Bytes(int(r.U16())) }

func (r *Reader) fail() {
	r.Bad = true
	r.B = nil
}

// UTF16LE decodes little-endian UTF-16 up to its first NUL character (an
// odd last byte is dropped), as Windows protocols write names (NTLM, RDP).
func UTF16LE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}
