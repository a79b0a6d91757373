package prefetch

import "testing"

// TestLinesAnySlice: Lines takes any slice, empty, nil, short, unaligned or
// spanning pages, reads nothing and changes nothing.
func TestLinesAnySlice(t *testing.T) {
	buf := make([]byte, 3*4096+17)
	for i := range buf {
		buf[i] = byte(i)
	}
	for _, b := range [][]byte{nil, {}, buf[:1], buf[1:64], buf[63:65], buf[5:], buf[:4096], buf} {
		Lines(b)
	}
	for i := range buf {
		if buf[i] != byte(i) {
			t.Fatalf("byte %d changed", i)
		}
	}
}
