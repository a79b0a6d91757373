package wire

import (
	"bytes"
	"testing"
)

func TestReader(t *testing.T) {
	r := Reader{B: []byte{1, 0, 2, 0, 0, 3, 2, 'a', 'b', 0, 1, 'c', 9}}
	if r.U8() != 1 || r.U16() != 2 || r.U24() != 3 || !bytes.Equal(r.Vec8(), []byte("ab")) ||
		!bytes.Equal(r.Vec16(), []byte("c")) || r.Bad || len(r.B) != 1 {
		t.Fatalf("reads went wrong: %+v", r)
	}
	if r.U16() != 0 || !r.Bad || r.B != nil {
		t.Fatalf("short read: %+v", r)
	}
	short := Reader{B: []byte{5, 'x'}}
	if got := short.Vec8(); got != nil || !short.Bad {
		t.Fatalf("vector longer than the bytes: %q %+v", got, short)
	}
	one := Reader{}
	if one.U8() != 0 || !one.Bad {
		t.Fatal("empty U8")
	}
	if b := (&Reader{B: []byte("abcd")}).Bytes(2); cap(b) != 2 {
		t.Fatalf("Bytes capacity %d", cap(b))
	}
}

// FuzzReader: no sequence of reads panics or reads past the bytes.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, []byte{0, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, data, ops []byte) {
		r := Reader{B: data}
		for _, op := range ops {
			before := len(r.B)
			switch op % 6 {
			case 0:
				r.U8()
			case 1:
				r.U16()
			case 2:
				r.U24()
			case 3:
				r.Bytes(int(op) - 100)
			case 4:
				r.Vec8()
			case 5:
				r.Vec16()
			}
			if len(r.B) > before {
				t.Fatal("the cursor went back")
			}
		}
	})
}
