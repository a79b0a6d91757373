package bacnet

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Bounds on one value's text: longer octet strings, character strings
// and bit strings are written as their length ("<octets len=N>",
// "<string len=N>", "<bits len=N>"), as ICSNPP does.
const (
	maxOctets     = 1024 // bytes of an octet string (or other data) written in hex
	maxStringData = 4096 // bytes of a character string's text
	maxBitData    = 512  // bytes of a bit string's bits
)

// appendValue appends the text of one primitive tag's value as ICSNPP
// formats it (ASHRAE 135 clause 20.2): nothing for null; true or false;
// unsigned, signed and enumerated integers in decimal; reals and doubles
// with six decimals (C's %f: "inf", "nan"); octet strings in lowercase
// hex; character strings as text (UTF-8 up to a NUL; ISO 8859-1, UCS-2
// and UCS-4 converted to UTF-8; the DBCS and JIS sets, which need code
// tables, give nothing, as ICSNPP gives for every set but UTF-8); bit
// strings as one T or F per bit (the unused bits of the last byte left
// out); dates M/D/YYYY and times H:M:S.hh with their fields as sent (255:
// unspecified); object identifiers "type: instance". A context tag's
// type depends on where it is: up to 8 bytes are written as an unsigned
// integer, longer ones in hex.
func appendValue(dst []byte, t tag) []byte {
	d := t.data
	if t.context {
		if len(d) <= 8 {
			if len(d) == 0 {
				return dst
			}
			return strconv.AppendUint(dst, beUint(d), 10)
		}
		return appendHex(dst, d)
	}
	switch t.num {
	case 0: // null
		return dst
	case 1: // boolean: the value is the length field
		if t.lvt == 1 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case 2, 9: // unsigned, enumerated
		if len(d) > 8 {
			return appendHex(dst, d)
		}
		return strconv.AppendUint(dst, beUint(d), 10)
	case 3: // signed
		if len(d) > 8 {
			return appendHex(dst, d)
		}
		return strconv.AppendInt(dst, beInt(d), 10)
	case 4: // real
		if len(d) != 4 {
			return dst
		}
		return appendFloat(dst, float64(math.Float32frombits(binary.BigEndian.Uint32(d))))
	case 5: // double
		if len(d) != 8 {
			return dst
		}
		return appendFloat(dst, math.Float64frombits(binary.BigEndian.Uint64(d)))
	case 6: // octet string
		return appendHex(dst, d)
	case 7:
		return appendCharacterString(dst, d)
	case 8:
		return appendBits(dst, d)
	case 10: // date: year-1900, month, day, weekday
		if len(d) != 4 {
			return dst
		}
		dst = strconv.AppendUint(dst, uint64(d[1]), 10)
		dst = append(dst, '/')
		dst = strconv.AppendUint(dst, uint64(d[2]), 10)
		dst = append(dst, '/')
		return strconv.AppendUint(dst, 1900+uint64(d[0]), 10)
	case 11: // time: hour, minute, second, hundredths
		if len(d) != 4 {
			return dst
		}
		for i, sep := range [...]byte{':', ':', '.', 0} {
			dst = strconv.AppendUint(dst, uint64(d[i]), 10)
			if sep != 0 {
				dst = append(dst, sep)
			}
		}
		return dst
	case 12: // object identifier
		typ, inst, ok := t.objectID()
		if !ok {
			return dst
		}
		dst = append(dst, objectTypeName(typ)...)
		dst = append(dst, ": "...)
		return strconv.AppendUint(dst, uint64(inst), 10)
	}
	return appendHex(dst, d) // reserved application tags 13-15
}

// beUint reads up to 8 bytes as a big-endian unsigned integer.
func beUint(d []byte) uint64 {
	var v uint64
	for _, c := range d {
		v = v<<8 | uint64(c)
	}
	return v
}

// beInt reads up to 8 bytes as a big-endian two's complement integer.
func beInt(d []byte) int64 {
	if len(d) == 0 {
		return 0
	}
	shift := 64 - 8*uint(len(d))
	return int64(beUint(d)<<shift) >> shift
}

// appendFloat writes f as C's printf("%f") does.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}

const hexDigits = "0123456789abcdef"

func appendHex(dst, d []byte) []byte {
	if len(d) > maxOctets {
		return appendLen(dst, "<octets len=", len(d))
	}
	for _, c := range d {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

func appendLen(dst []byte, what string, n int) []byte {
	dst = append(dst, what...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '>')
}

// Character sets of a CharacterString (its first byte).
const (
	charsetUTF8   = 0
	charsetUCS4   = 3
	charsetUCS2   = 4
	charsetLatin1 = 5
)

// appendCharacterString appends a CharacterString's text, up to its
// first NUL.
func appendCharacterString(dst, d []byte) []byte {
	if len(d) == 0 {
		return dst
	}
	set, s := d[0], d[1:]
	if len(s) > maxStringData {
		return appendLen(dst, "<string len=", len(s))
	}
	switch set {
	case charsetUTF8:
		if i := bytes.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return append(dst, s...)
	case charsetLatin1:
		for _, c := range s {
			if c == 0 {
				break
			}
			dst = utf8.AppendRune(dst, rune(c))
		}
	case charsetUCS2:
		for i := 0; i+1 < len(s); i += 2 {
			u := binary.BigEndian.Uint16(s[i:])
			if u == 0 {
				break
			}
			r := rune(u)
			if utf16.IsSurrogate(r) && i+3 < len(s) {
				if r2 := utf16.DecodeRune(r, rune(binary.BigEndian.Uint16(s[i+2:]))); r2 != utf8.RuneError {
					r = r2
					i += 2
				}
			}
			dst = utf8.AppendRune(dst, r) // a lone surrogate becomes U+FFFD
		}
	case charsetUCS4:
		for i := 0; i+3 < len(s); i += 4 {
			u := binary.BigEndian.Uint32(s[i:])
			if u == 0 {
				break
			}
			if u > utf8.MaxRune {
				u = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, rune(u))
		}
	}
	return dst
}

// appendBits appends a BitString's bits (its first byte counts the unused
// bits at the end of the last).
func appendBits(dst, d []byte) []byte {
	if len(d) > maxBitData {
		return appendLen(dst, "<bits len=", len(d))
	}
	if len(d) <= 1 {
		return dst
	}
	n := 8 * (len(d) - 1)
	if unused := int(d[0]); unused <= 7 {
		n -= unused
	}
	for i := 0; i < n; i++ {
		if d[1+i/8]>>(7-i%8)&1 == 1 {
			dst = append(dst, 'T')
		} else {
			dst = append(dst, 'F')
		}
	}
	return dst
}
