package live

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// buildBlock lays out a TPACKET_V3 block as the kernel does: descriptor,
// then each packet's header, sockaddr_ll, padding and frame.
func buildBlock(size int, frames [][]byte, status uint32, tci uint16) []byte {
	b := make([]byte, size)
	ne.PutUint32(b[offBlockStatus:], statusUser)
	ne.PutUint32(b[offNumPkts:], uint32(len(frames)))
	ne.PutUint32(b[offFirstPkt:], blockHdrLen)
	off := blockHdrLen
	for i, f := range frames {
		const mac = 82 // align16(68+16) − 14, as the kernel for Ethernet
		h := b[off:]
		total := (mac + len(f) + 15) &^ 15
		if i < len(frames)-1 {
			ne.PutUint32(h[offNext:], uint32(total))
		}
		ne.PutUint32(h[offSec:], 1700000000+uint32(i))
		ne.PutUint32(h[offNsec:], 123)
		ne.PutUint32(h[offSnap:], uint32(len(f)))
		ne.PutUint32(h[offLen:], uint32(len(f)))
		ne.PutUint32(h[offStatus:], status)
		ne.PutUint16(h[offMac:], mac)
		ne.PutUint32(h[offVlanTCI:], uint32(tci))
		copy(h[mac:], f)
		ne.PutUint32(b[offTSLastSec:], 1700000000+uint32(i))
		off += total
	}
	return b
}

func frame(n int, fill byte) []byte {
	f := bytes.Repeat([]byte{fill}, n)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	return f
}

func TestBlockIterWalksPackets(t *testing.T) {
	frames := [][]byte{frame(60, 1), frame(1514, 2), frame(14, 3)}
	b := buildBlock(8192, frames, statusCsumNotRdy, 0)
	var it blockIter
	if !it.reset(b) {
		t.Fatal("reset refused a sound block")
	}
	var p packet
	for i, want := range frames {
		if !it.next(&p) {
			t.Fatalf("packet %d missing", i)
		}
		if !bytes.Equal(p.data, want) || p.ts != int64(1700000000+i)*1e9+123 || p.origLen != len(want) || p.status != statusCsumNotRdy {
			t.Fatalf("packet %d: %d bytes, ts %d, len %d, status %x", i, len(p.data), p.ts, p.origLen, p.status)
		}
	}
	if it.next(&p) || it.bad != 0 {
		t.Errorf("past the end: bad %d", it.bad)
	}
	if lastTS(b) != int64(1700000002)*1e9 {
		t.Errorf("lastTS %d", lastTS(b))
	}
}

func TestBlockIterPutsVLANBack(t *testing.T) {
	f := frame(60, 7)
	b := buildBlock(4096, [][]byte{f}, statusVLAN, 100)
	it := blockIter{vlan: true}
	it.reset(b)
	var p packet
	if !it.next(&p) {
		t.Fatal("no packet")
	}
	want := append(append(append([]byte{}, f[:12]...), 0x81, 0x00, 0x00, 100), f[12:]...)
	if !bytes.Equal(p.data, want) || p.origLen != 64 {
		t.Errorf("got % x (len %d)", p.data[:20], p.origLen)
	}
}

// Corrupt descriptors and headers end the block; nothing is read outside it.
func TestBlockIterBoundsChecks(t *testing.T) {
	sound := buildBlock(4096, [][]byte{frame(100, 1), frame(100, 2)}, 0, 0)
	for name, mutate := range map[string]func(b []byte){
		"short descriptor":   nil,
		"first offset past":  func(b []byte) { ne.PutUint32(b[offFirstPkt:], 5000) },
		"first offset small": func(b []byte) { ne.PutUint32(b[offFirstPkt:], 4) },
		"huge count":         func(b []byte) { ne.PutUint32(b[offNumPkts:], 1<<31) },
		"snap past end":      func(b []byte) { ne.PutUint32(b[blockHdrLen+offSnap:], 1<<31) },
		"mac inside header":  func(b []byte) { ne.PutUint16(b[blockHdrLen+offMac:], 8) },
		"next past end":      func(b []byte) { ne.PutUint32(b[blockHdrLen+offNext:], 1<<30) },
		"next zero":          func(b []byte) { ne.PutUint32(b[blockHdrLen+offNext:], 0) },
	} {
		b := append([]byte(nil), sound...)
		if mutate == nil {
			b = b[:20]
		} else {
			mutate(b)
		}
		var it blockIter
		var p packet
		n := 0
		if it.reset(b) {
			for it.next(&p) {
				n++
				if n > 2 {
					t.Fatalf("%s: more packets than written", name)
				}
			}
		}
		if it.bad == 0 {
			t.Errorf("%s: not counted as corrupt (%d packets)", name, n)
		}
	}
}

func FuzzBlockIter(f *testing.F) {
	f.Add(buildBlock(1024, [][]byte{frame(60, 1), frame(100, 2)}, statusVLAN, 5))
	f.Add(buildBlock(512, [][]byte{frame(14, 1)}, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		it := blockIter{vlan: true}
		var p packet
		if !it.reset(b) {
			return
		}
		for n := 0; it.next(&p); n++ {
			if n > len(b)/pktHdrLen {
				t.Fatal("more packets than fit")
			}
			// The frame lies inside the block.
			if len(p.data) > 0 && (cap(p.data) != len(p.data)) {
				t.Fatal("frame capacity beyond its length")
			}
		}
		_ = lastTS(b)
	})
}
