// Package peers remembers which hosts lately held conversations with which:
// a fixed table of directed pairs (originator → responder) and the
// starts of their first and latest conversations. The
// scan and flood detectors read it to tell solicited traffic from probes
// and floods: a ping to a server one fetched from is no sweep, and a
// stream a recorder asked a camera for is no flood.
//
// State: a fixed array of Slots entries (768 KiB, 24 bytes each; the scan
// and flood detectors each keep one). A pair lands in one slot and pushes
// out the pair that was there; a pair forgotten so only makes traffic
// between its hosts count as unsolicited again.
package peers

import (
	"encoding/binary"
	"math"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

const (
	bits = 15
	// Slots is the number of pairs the table holds at most.
	Slots = 1 << bits
	// Memory is the longest time (s) between the start of a conversation
	// and that of the traffic it explains that Talked accepts.
	Memory = 3600
)

// Table is the fixed table of directed pairs.
type Table [Slots]slot

type slot struct {
	key         uint64 // pairKey; 0: empty
	first, last float64
}

// New returns an empty table.
func New() *Table { return new(Table) }

// Conversation reports whether c exchanged data both ways over TCP or UDP:
// a TCP connection that carried payload, or UDP answered.
func Conversation(c *rec.Conn) bool {
	return (c.Proto == rec.ProtoTCP || c.Proto == rec.ProtoUDP) && !c.Probe() && c.OrigPkts > 0 && c.RespPkts > 0
}

// Note remembers c's originator → responder pair when c is a conversation.
func (t *Table) Note(c *rec.Conn) {
	if !Conversation(c) || !c.Orig.IsValid() || !c.Resp.IsValid() {
		return
	}
	k := pairKey(c.Orig, c.Resp)
	s := t.slot(k)
	if s.key != k {
		*s = slot{k, c.TS, c.TS}
		return
	}
	s.first, s.last = min(s.first, c.TS), max(s.last, c.TS)
}

// Talked reports whether from originated a conversation with to whose
// start, the first's or the latest's, lies within within seconds of ts
// (at most Memory): a later conversation does not hide an earlier one,
// and the time between two does not count as talking.
func (t *Table) Talked(from, to netip.Addr, ts, within float64) bool {
	k := pairKey(from, to)
	s := t.slot(k)
	w := min(within, Memory)
	return s.key == k && (math.Abs(ts-s.first) <= w || math.Abs(ts-s.last) <= w)
}

func (t *Table) slot(key uint64) *slot { return &t[key>>(64-bits)] }

// pairKey hashes the ordered pair (a, b) (never 0).
func pairKey(a, b netip.Addr) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range [2]netip.Addr{a, b} {
		v := x.As16()
		h = (h ^ binary.LittleEndian.Uint64(v[:8])) * 0xff51afd7ed558ccd
		h = (h ^ binary.LittleEndian.Uint64(v[8:])) * 0xc4ceb9fe1a85ec53
		h ^= h >> 33
	}
	return h | 1
}
