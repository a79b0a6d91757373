package flow

import (
	"testing"
	"unsafe"
)

// TestConnLayout holds conn to whole cache lines (chunks are page-aligned,
// so every conn then starts a line) and the fields each packet reads to
// the first lines: the leading fields, app and both endpoints' counters.
func TestConnLayout(t *testing.T) {
	var c conn
	if n := unsafe.Sizeof(c); n%64 != 0 {
		t.Errorf("conn is %d bytes, not a whole number of 64-byte lines: adjust its padding", n)
	}
	if off := unsafe.Offsetof(c.app); off >= unsafe.Offsetof(c.ep) {
		t.Errorf("app at %d, after the endpoints (%d)", off, unsafe.Offsetof(c.ep))
	}
	if hot := unsafe.Offsetof(c.ep) + unsafe.Sizeof(c.ep[0]) + unsafe.Offsetof(c.ep[0].rstCnt); hot > 7*64 {
		t.Errorf("the fields a packet reads end at %d, past seven lines", hot)
	}
}
