package decode

import (
	"encoding/binary"
	"net/netip"
	"sort"
)

// testReassembler is a deliberately simple, test-only IP reassembler: it
// joins fragments that tile the datagram exactly, using the FragInfo fields
// the way the defragmentation stage does, so that DecodeIP can be checked
// on real captures. Overlaps and anything unusual are dropped.
type testReassembler struct {
	bufs map[fragKey]*fragBuf
}

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	next     uint8
}

type fragBuf struct {
	unfrag     []byte // bytes before the fragmentable part (first fragment)
	frag       FragInfo
	parts      map[int][]byte
	total      int
	version    uint8
	haveFirst  bool
	haveLast   bool
	overlapped bool
}

// add records p's fragment and returns the reassembled datagram once
// complete.
func (r *testReassembler) add(p *Packet) []byte {
	f := p.Frag
	if !f.IsFragment || len(p.IPRaw) < p.IP.IPLen || f.UnfragLen > len(p.IPRaw) {
		return nil
	}
	if r.bufs == nil {
		r.bufs = map[fragKey]*fragBuf{}
	}
	k := fragKey{p.IP.Src, p.IP.Dst, f.ID, f.NextHeader}
	b := r.bufs[k]
	if b == nil {
		b = &fragBuf{parts: map[int][]byte{}, version: p.IP.Version}
		r.bufs[k] = b
	}
	data := p.IPRaw[f.UnfragLen:p.IP.IPLen]
	if _, dup := b.parts[f.Offset]; dup {
		b.overlapped = true
	}
	b.parts[f.Offset] = append([]byte(nil), data...)
	if f.Offset == 0 {
		b.unfrag = append([]byte(nil), p.IPRaw[:f.UnfragLen]...)
		b.frag = f
		b.haveFirst = true
	}
	if !f.More {
		b.total = f.Offset + len(data)
		b.haveLast = true
	}
	if !b.haveFirst || !b.haveLast || b.overlapped {
		return nil
	}
	offs := make([]int, 0, len(b.parts))
	for o := range b.parts {
		offs = append(offs, o)
	}
	sort.Ints(offs)
	end := 0
	for _, o := range offs {
		if o != end {
			return nil
		}
		end += len(b.parts[o])
	}
	if end != b.total {
		return nil
	}
	delete(r.bufs, k)
	var out []byte
	if b.version == 4 {
		out = append(out, b.unfrag...)
		binary.BigEndian.PutUint16(out[2:], uint16(len(out)+b.total))
		out[6], out[7] = 0, 0
		out[10], out[11] = 0, 0
		binary.BigEndian.PutUint16(out[10:], csum(out))
	} else {
		out = append(out, b.unfrag[:b.frag.FragHdrOff]...)
		out[b.frag.FragPrevNH] = b.frag.NextHeader
		binary.BigEndian.PutUint16(out[4:], uint16(len(out)-40+b.total))
	}
	for _, o := range offs {
		out = append(out, b.parts[o]...)
	}
	return out
}
