// Package stream reassembles one side of a TCP connection into the in-order
// byte stream an application analyzer reads.
//
// Segments arrive as captured: in order, retransmitted, overlapping or out
// of order. A Side delivers each byte once, in sequence order; it holds
// out-of-order segments in a small bounded buffer until the hole before them
// fills. When the buffer is full, or the connection ends, the hole is given
// up: its length is reported as a gap (Zeek's missed bytes) and delivery
// goes on after it. A retransmission that carries different bytes than
// those already delivered is counted as an inconsistent overlap (an evasion
// sign). Memory per side is bounded by MaxBuffered.
package stream

// MaxBuffered bounds the out-of-order bytes one side holds.
const MaxBuffered = 64 << 10

// maxPending bounds the out-of-order segments one side holds.
const maxPending = 16

// Budget bounds the out-of-order bytes held by many sides together (one
// per worker): a side that would take it past Max gives up its oldest hole
// instead of holding more. Not safe for concurrent use.
type Budget struct {
	Max  int // bytes
	Used int
}

func (b *Budget) fits(n int) bool { return b == nil || b.Used+n <= b.Max }

func (b *Budget) add(n int) {
	if b != nil {
		b.Used += n
	}
}

// Receiver gets a side's stream.
type Receiver interface {
	// Deliver receives the next in-order bytes (valid during the call).
	Deliver(data []byte)
	// Gap reports n bytes that will never be delivered.
	Gap(n int)
}

// Stats counts what a Side saw.
type Stats struct {
	Delivered    uint64 // bytes delivered in order
	Gaps         uint64 // bytes given up
	Retransmit   uint64 // bytes seen again
	Inconsistent uint64 // retransmitted bytes that differed from the first copy
	Dropped      uint64 // out-of-order bytes dropped because the buffer was full
}

type pending struct {
	seq uint32
	off int // into buf
	n   int
}

// Side is one direction's reassembly state. The zero value is ready; it
// starts at the first segment (or SYN) it sees.
type Side struct {
	started bool
	next    uint32 // next sequence number to deliver
	// last holds the tail of what was delivered, to compare retransmissions.
	last    [64]byte
	lastLen int
	// pend are the held segments, their bytes in buf; buf is empty
	// whenever pend is (drain empties both together).
	pend []pending
	buf  []byte
	// Budget, when set, is shared with other sides (see Budget).
	Budget *Budget
	Stats  Stats
}

// seqLess reports a < b in 32-bit sequence space.
func seqLess(a, b uint32) bool { return int32(a-b) < 0 }

// Begin sets where the stream's data starts (the sequence number after the
// SYN), when the side has not started yet. Without it a side starts at the
// first segment it is given.
func (s *Side) Begin(next uint32) {
	if !s.started {
		s.started, s.next = true, next
	}
}

// Segment handles one segment: seq is its sequence number, syn whether it
// carries SYN (which takes one sequence number before the data).
func (s *Side) Segment(seq uint32, syn bool, data []byte, r Receiver) {
	if syn {
		seq++
		if !s.started {
			s.started, s.next = true, seq
		}
	}
	if len(data) == 0 {
		return
	}
	if !s.started {
		s.started, s.next = true, seq
	}
	// Trim what was already delivered.
	if seqLess(seq, s.next) {
		old := int(s.next - seq)
		if old >= len(data) {
			s.checkRetransmit(seq, data)
			return
		}
		s.checkRetransmit(seq, data[:old])
		data, seq = data[old:], s.next
	}
	if seq != s.next {
		s.hold(seq, data, r)
		return
	}
	s.deliver(data, r)
	s.drain(r)
}

// checkRetransmit compares retransmitted bytes with the delivered tail.
func (s *Side) checkRetransmit(seq uint32, data []byte) {
	s.Stats.Retransmit += uint64(len(data))
	// The delivered tail covers [next-lastLen, next).
	tailStart := s.next - uint32(s.lastLen)
	for i, b := range data {
		q := seq + uint32(i)
		if seqLess(q, tailStart) || !seqLess(q, s.next) {
			continue
		}
		if s.last[int(q-tailStart)] != b {
			s.Stats.Inconsistent++
		}
	}
}

func (s *Side) deliver(data []byte, r Receiver) {
	s.next += uint32(len(data))
	s.Stats.Delivered += uint64(len(data))
	if len(data) >= len(s.last) {
		s.last = [len(s.last)]byte(data[len(data)-len(s.last):])
		s.lastLen = len(s.last)
	} else {
		keep := min(s.lastLen, len(s.last)-len(data))
		copy(s.last[:], s.last[s.lastLen-keep:s.lastLen])
		copy(s.last[keep:], data)
		s.lastLen = keep + len(data)
	}
	r.Deliver(data)
}

// hold buffers an out-of-order segment; when there is no room, the oldest
// hole is given up first.
func (s *Side) hold(seq uint32, data []byte, r Receiver) {
	if len(data) > MaxBuffered {
		data = data[:MaxBuffered]
	}
	for len(s.pend) >= maxPending || len(s.buf)+len(data) > MaxBuffered || !s.Budget.fits(len(data)) {
		if len(s.pend) == 0 {
			s.Stats.Dropped += uint64(len(data))
			return
		}
		s.skipHole(r)
		s.drain(r)
		if !seqLess(s.next, seq) {
			// The skip moved past this segment's start: deliver its new part.
			s.Segment(seq, false, data, r)
			return
		}
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, 4096)
	}
	s.pend = append(s.pend, pending{seq: seq, off: len(s.buf), n: len(data)})
	s.buf = append(s.buf, data...)
	s.Budget.add(len(data))
}

// skipHole gives up the bytes before the earliest held segment.
func (s *Side) skipHole(r Receiver) {
	first := 0
	for i := range s.pend {
		if seqLess(s.pend[i].seq, s.pend[first].seq) {
			first = i
		}
	}
	if seqLess(s.next, s.pend[first].seq) {
		n := int(s.pend[first].seq - s.next)
		s.Stats.Gaps += uint64(n)
		s.next = s.pend[first].seq
		s.lastLen = 0
		r.Gap(n)
	}
}

// drain delivers held segments that now continue the stream.
func (s *Side) drain(r Receiver) {
	if len(s.pend) > 0 {
		s.drainHeld(r)
	}
}

// drainHeld is drain for a side that holds segments.
func (s *Side) drainHeld(r Receiver) {
	for progress := true; progress && len(s.pend) > 0; {
		progress = false
		for i := 0; i < len(s.pend); i++ {
			p := s.pend[i]
			end := p.seq + uint32(p.n)
			if seqLess(s.next, p.seq) {
				continue
			}
			s.pend = append(s.pend[:i], s.pend[i+1:]...)
			i--
			progress = true
			if seqLess(s.next, end) {
				skip := int(s.next - p.seq)
				s.deliver(s.buf[p.off+skip:p.off+p.n], r)
			}
		}
	}
	if len(s.pend) == 0 {
		s.Budget.add(-len(s.buf))
		s.buf = s.buf[:0]
	}
}

// Acked tells the side that its peer acknowledged everything before ack:
// held segments that ack covers will not see their holes filled any more
// (the bytes were lost before the capture point), so those holes are given
// up now, as Zeek does, rather than when the buffer fills or the stream ends.
func (s *Side) Acked(ack uint32, r Receiver) {
	if len(s.pend) > 0 {
		s.ackedHeld(ack, r)
	}
}

// ackedHeld is Acked for a side that holds segments.
func (s *Side) ackedHeld(ack uint32, r Receiver) {
	for len(s.pend) > 0 && s.started {
		first := s.pend[0].seq
		for _, p := range s.pend[1:] {
			if seqLess(p.seq, first) {
				first = p.seq
			}
		}
		if !seqLess(first, ack) {
			return
		}
		s.skipHole(r)
		s.drain(r)
	}
}

// Flush gives up every remaining hole and delivers what was held (at the
// end of the connection).
func (s *Side) Flush(r Receiver) {
	for len(s.pend) > 0 {
		s.skipHole(r)
		s.drain(r)
	}
}

// Reset clears s for reuse, keeping its buffer and budget.
func (s *Side) Reset() {
	s.Budget.add(-len(s.buf))
	buf, pend, budget := s.buf[:0], s.pend[:0], s.Budget
	*s = Side{buf: buf, pend: pend, Budget: budget}
}
