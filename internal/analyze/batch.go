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
	seq         uint64  // the reader's frame number (order.go)
	ctl         itemCtl // not a packet: a sweep or a progress mark (order.go)
	dg          decode.Datagram
	payOff      int32 // the transport payload, in the arena
	payLen      int32
	checksumBad bool // the reader validated the transport checksum
	numAnomaly  uint8
	meta        packetMeta
	anomalies   [decode.MaxAnomalies]decode.Anomaly
	droppedAnom uint16
}

// itemCtl says what an item that is not a packet asks of the worker.
type itemCtl uint8

const (
	ctlPacket itemCtl = iota // a packet
	ctlSweep                 // sweep the flow timers at ts, before frame seq
	ctlMark                  // report progress before frame seq, sweeping nothing
)

// packetMeta is what a worker needs of a packet besides its datagram:
// its link layer and tunnel parents.
type packetMeta struct {
	link    flow.Link
	parents flow.Parents
}

// set fills m from p and the reader's current tunnel parents.
func (m *packetMeta) set(p *decode.Packet, parents *flow.Parents) {
	setLink(&m.link, p)
	// Only the first N parents are ever read: copy those (most packets
	// have none).
	m.parents.N = parents.N
	copy(m.parents.UIDs[:parents.N], parents.UIDs[:parents.N])
}

// setLink fills l with p's link layer.
func setLink(l *flow.Link, p *decode.Packet) {
	// One field at a time: a tuple assignment would stage the arrays in
	// temporaries first.
	l.HasMAC = p.HasEth
	l.SrcMAC = p.SrcMAC
	l.DstMAC = p.DstMAC
	l.VLANs = p.VLANs
	l.NumVLANs = p.NumVLANs
}

// batch is a reusable group of items for one worker.
type batch struct {
	items []item
	n     int
	arena []byte
	// src is the reader that sent the batch and mark that reader's clock
	// when it did: every packet of src for this worker up to mark is in
	// this batch or an earlier one (live runs, liveMerge).
	src  int32
	mark int64
}

func newBatch(size int) *batch {
	return &batch{items: make([]item, size), arena: make([]byte, 0, size*256)}
}

func (b *batch) reset() {
	b.n = 0
	b.arena = b.arena[:0]
}

func (b *batch) full() bool { return b.n == len(b.items) }

// add copies the packet's innermost datagram into the batch, and its
// payload when the application layer needs it (withPayload).
func (b *batch) add(p *decode.Packet, seq uint64, parents *flow.Parents, checksumBad, withPayload bool) {
	// b.n counts the item last: a panic while it is copied (a mapped
	// capture that shrank) leaves no half-made item.
	it := &b.items[b.n]
	it.ts, it.seq, it.ctl = p.TS, seq, ctlPacket
	it.dg = p.IP
	it.checksumBad = checksumBad
	it.payOff, it.payLen = int32(len(b.arena)), 0
	if withPayload {
		b.arena = append(b.arena, p.Payload...)
		it.payLen = int32(len(p.Payload))
	}
	it.meta.set(p, parents)
	// Only the first numAnomaly anomalies are ever read: copy those.
	it.numAnomaly = p.NumAnomalies
	copy(it.anomalies[:p.NumAnomalies], p.Anomalies[:p.NumAnomalies])
	it.droppedAnom = p.DroppedAnomalies
	b.n++
}

// addSweep asks the worker to sweep its flow timers at ts, before frame
// seq (order.go).
func (b *batch) addSweep(ts int64, seq uint64) { b.addCtl(ctlSweep, ts, seq) }

// addMark asks the worker to report its progress before frame seq
// (reader.markProgress).
func (b *batch) addMark(seq uint64) { b.addCtl(ctlMark, 0, seq) }

func (b *batch) addCtl(ctl itemCtl, ts int64, seq uint64) {
	it := &b.items[b.n]
	b.n++
	it.ts, it.seq, it.ctl = ts, seq, ctl
	it.payOff, it.payLen, it.numAnomaly = int32(len(b.arena)), 0, 0
}

func (b *batch) payload(it *item) []byte {
	return b.arena[it.payOff : it.payOff+it.payLen : it.payOff+it.payLen]
}
