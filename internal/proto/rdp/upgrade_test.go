package rdp

import (
	"bytes"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto/prototest"
)

// TestUpgradeInPieces asks Upgrade after every Data call, as
// internal/analyze does, and checks the bytes handed over.
func TestUpgradeInPieces(t *testing.T) {
	cc := connectConfirm(2, 2)
	tls := []byte{0x16, 3, 3, 0, 4, 0xaa, 0xbb, 0xcc, 0xdd}
	stream := append(append([]byte{}, cc...), tls...)
	for k := 1; k <= len(stream); k++ {
		a := New(ci, &prototest.Sink{T: t, Log: "rdp"})
		a.Data(0, 1, connectRequest("x", 3))
		var handed []byte
		up := false
		for off := 0; off < len(stream); off += k {
			p := stream[off:min(off+k, len(stream))]
			if up {
				handed = append(handed, p...)
				continue
			}
			a.Data(1, 2, p)
			if _, n, ok := a.Upgrade(); ok {
				up = true
				handed = append(handed, p[n:]...)
			}
		}
		if !up || !bytes.Equal(handed, tls) {
			t.Fatalf("pieces of %d: upgrade %v, handed % x", k, up, handed)
		}
	}
}
