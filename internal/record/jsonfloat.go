package record

import (
	"math"
	"strconv"
)

// AppendJSONFloat appends a finite f as encoding/json writes a float64:
// the shortest decimal, in 'e' form below 1e-6 and from 1e21 up, its
// exponent unpadded (e-09 → e-9). NaN and infinities, which JSON cannot
// hold, are the caller's to rule out.
func AppendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
