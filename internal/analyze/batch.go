package analyze

import (
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/flow"
)

// item is one packet handed from the reader to a worker: the innermost
// datagram, its payload (copied into the batch arena, since the capture
// buffer is reused) and what the worker needs to log about it.
type item struct {
	ts          int64
	dg          decode.Datagram
	rawOff      int32 // the IP datagram as captured, in the arena
	rawLen      int32
	payOff      int32 // the transport payload, in the arena
	payLen      int32
	vlan        [2]uint16
	numVLANs    uint8
	numAnomaly  uint8
	parents     flow.Parents
	anomalies   [decode.MaxAnomalies]decode.Anomaly
	droppedAnom uint16
}

// batch is a reusable group of items for one worker.
type batch struct {
	items []item
	n     int
	arena []byte
}

func newBatch(size int) *batch {
	return &batch{items: make([]item, size), arena: make([]byte, 0, size*256)}
}

func (b *batch) reset() {
	b.n = 0
	b.arena = b.arena[:0]
}

func (b *batch) full() bool { return b.n == len(b.items) }

// add copies the packet's innermost datagram and payload into the batch.
// The payload is normally the tail of the datagram, so one copy serves both.
func (b *batch) add(p *decode.Packet, parents *flow.Parents) {
	it := &b.items[b.n]
	b.n++
	it.ts = p.TS
	it.dg = p.IP
	it.rawOff = int32(len(b.arena))
	it.rawLen = int32(len(p.IPRaw))
	b.arena = append(b.arena, p.IPRaw...)
	if off, ok := subsliceOffset(p.IPRaw, p.Payload); ok {
		it.payOff = it.rawOff + int32(off)
	} else {
		it.payOff = int32(len(b.arena))
		b.arena = append(b.arena, p.Payload...)
	}
	it.payLen = int32(len(p.Payload))
	it.vlan = p.VLANs
	it.numVLANs = p.NumVLANs
	it.parents = *parents
	it.numAnomaly = p.NumAnomalies
	it.anomalies = p.Anomalies
	it.droppedAnom = p.DroppedAnomalies
}

// subsliceOffset returns where sub starts inside s when sub is a part of s
// (both sliced from one array up to its end, as decoded slices are).
func subsliceOffset(s, sub []byte) (int, bool) {
	if len(sub) == 0 {
		return 0, false
	}
	off := cap(s) - cap(sub)
	if off < 0 || off+len(sub) > len(s) || &s[off] != &sub[0] {
		return 0, false
	}
	return off, true
}

func (b *batch) raw(it *item) []byte {
	return b.arena[it.rawOff : it.rawOff+it.rawLen : it.rawOff+it.rawLen]
}

func (b *batch) payload(it *item) []byte {
	return b.arena[it.payOff : it.payOff+it.payLen : it.payOff+it.payLen]
}
