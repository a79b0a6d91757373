package flow

import "github.com/vigil-nsm/vigil/internal/decode"

// TCP endpoint states (Zeek's EndpointState).
const (
	tcpInactive uint8 = iota
	tcpSynSent
	tcpSynAckSent
	tcpPartial
	tcpEstablished
	tcpClosed
	tcpReset
)

const tooLargeSeqDelta = 1048576

// Zeek's maximum data above a hole without any ACK before the reassembler
// stops (tcp_max_above_hole_without_any_acks).
const maxAboveHoleWithoutAcks = 16384

// History masks (TCP_Endpoint::HistoryMasks); responder bits are <<16.
const (
	histSYN     = 0x1
	histFIN     = 0x2
	histRST     = 0x4
	histFINRST  = 0x8
	histData    = 0x10
	histACK     = 0x20
	histMulti   = 0x40
	partialOrig = 1
	partialResp = 2
)

func seqDelta(a, b uint32) int32 { return int32(a - b) }

func toFull(seq, wraps uint32) uint64 { return uint64(wraps)<<32 + uint64(seq) }

func (e *endpoint) toRel(seq, wraps uint32) uint64 { return toFull(seq, wraps) - uint64(e.startSeq) }

func (e *endpoint) updateLastSeq(s uint32) {
	if s < e.lastSeq {
		e.seqWraps++
	}
	e.lastSeq = s
}

func (e *endpoint) updateAckSeq(s uint32) {
	if s < e.ackSeq {
		e.ackWraps++
	}
	e.ackSeq = s
}

func (e *endpoint) noDataAcked() bool {
	ack := toFull(e.ackSeq, e.ackWraps)
	st := uint64(e.startSeq)
	return ack == st || ack == st+1
}

// size is TCP_Endpoint::Size: payload bytes from sequence numbers.
func (c *conn) tcpSize(e *endpoint) uint64 {
	p := c.peerOf(e)
	if e.prevState == tcpSynSent && e.state == tcpReset && p.state == tcpInactive && !e.noDataAcked() {
		return 0
	}
	last := toFull(e.lastSeq, e.seqWraps)
	ack := toFull(e.ackSeq, e.ackWraps)
	var size uint64
	if last > ack {
		size = last - uint64(e.startSeq)
	} else {
		size = ack - uint64(e.startSeq)
	}
	if size != 0 {
		size--
	}
	if e.finCnt > 0 && size != 0 {
		size--
	}
	return size
}

func (c *conn) peerOf(e *endpoint) *endpoint {
	if e == &c.ep[0] {
		return &c.ep[1]
	}
	return &c.ep[0]
}

// relativeSeq is cur relative to e's start, given the last value last
// seen in that sequence space and its wraps; the flag reports a value
// before the start (only when nothing has wrapped).
func relativeSeq(e *endpoint, cur, last, wraps uint32) (uint64, bool) {
	delta := seqDelta(cur, last)
	if delta < 0 && wraps != 0 && cur > last {
		wraps--
	} else if delta > 0 && cur < last {
		wraps++
	}
	if wraps == 0 {
		d := seqDelta(cur, e.startSeq)
		return uint64(int64(d)), d < 0
	}
	return uint64(wraps)<<32 + uint64(cur) - uint64(e.startSeq), false
}

func isHandshake(s uint8) bool { return s == tcpInactive || s == tcpSynSent || s == tcpSynAckSent }

// setState is TCP_Endpoint::SetState.
func (t *Table) setState(c *conn, e *endpoint, s uint8) {
	if s == e.state {
		return
	}
	if !isHandshake(s) && isHandshake(e.state) && isHandshake(c.peerOf(e).state) {
		c.inactivity = t.tcpInact
	}
	e.prevState = e.state
	e.state = s
}

// isReuse is TCPSessionAdapter::IsReuse: a new SYN on a closed (or
// inconsistent) connection starts a new one.
func (t *Table) isReuse(c *conn, d *decode.Datagram) bool {
	f := d.TCPFlags
	if f&decode.TCPSyn == 0 {
		return false
	}
	connOrig := c.orig()
	if f&decode.TCPAck != 0 {
		if c.orig().state != tcpInactive {
			return false
		}
		connOrig = c.resp()
	}
	if !(c.ep[0].didClose || c.ep[1].didClose) {
		if d.Seq == connOrig.startSeq {
			return false
		}
		if f&decode.TCPAck == 0 && connOrig.state == tcpSynAckSent && c.resp().state == tcpInactive && d.Seq == c.resp().startSeq {
			return false
		}
	}
	return true
}

// lowerIf is code as the side isOrig tells logs it: lower case for the
// responder.
func lowerIf(isOrig bool, code byte) byte {
	if !isOrig {
		return code + 'a' - 'A'
	}
	return code
}

// sideCheckHistory is checkHistory for the originator's mask and code if
// isOrig, else the responder's.
func (t *Table) sideCheckHistory(c *conn, isOrig bool, mask uint32, code byte) bool {
	if !isOrig {
		mask <<= 16
		code += 'a' - 'A'
	}
	return t.checkHistory(c, mask, code)
}

// ctlFlags are the TCP flags that make a segment a control segment: most
// segments have none, and tcpPacket tests them once for all.
const ctlFlags = decode.TCPSyn | decode.TCPFin | decode.TCPRst

// tcpPacket is TCPAnalyzer::DeliverPacket / TCPSessionAdapter::Process
// for a segment from the originator if isOrig. It returns the endpoint
// whose packet and byte counts the segment adds to (ConnSize counts after
// the state machine, with the role the packet had when it arrived: a flip
// inside swaps counters first, as Zeek's ConnSize analyzer does), and
// reports whether the state machine ran: only then may a timer other than
// inactivity have moved.
//
// Most segments carry no SYN, FIN or RST and come from an endpoint that
// has sent before: for them the state machine does not run, and
// tcpPacket does what tcpSegment would in a path of its own, which calls
// nothing in the common case (a call would make it keep every value it
// holds on the stack). FuzzTable checks the two agree.
func (t *Table) tcpPacket(c *conn, isOrig bool, d *decode.Datagram, ts int64) (role *endpoint, timersMoved bool) {
	e, p := c.sides(isOrig)
	f := d.TCPFlags
	if f&ctlFlags != 0 || e.state == tcpInactive {
		return t.tcpSegment(c, isOrig, d, ts)
	}
	n := max(d.L4Len, 0)
	base := d.Seq
	c.partialStatus(isOrig)
	relSeq, underflow := relativeSeq(e, base, e.lastSeq, e.seqWraps)
	ack := f&decode.TCPAck != 0
	t.plainHistory(c, isOrig, ack, n)
	if d.Window == 0 && p.state != tcpClosed && e.state != tcpReset {
		t.scaled(c, isOrig, 'W', &e.win0Cnt, &e.win0Thr)
	}
	if !c.ep[0].didClose || !c.ep[1].didClose {
		c.last = ts
	}
	var relAck uint64
	if ack {
		// ackSeen, written out so that it inlines.
		if p.state == tcpInactive {
			relAck = p.startFromAck(d.Ack)
		} else if r, under := relativeSeq(p, d.Ack, p.ackSeq, p.ackWraps); !under {
			relAck = r
			p.advanceAck(d.Ack)
		}
	}
	// update_last_seq: without SYN, FIN or RST only these cases remain.
	if onePast := base + uint32(n); e.state != tcpReset {
		if seqDelta(onePast, e.lastSeq) > 0 {
			e.updateLastSeq(onePast)
		} else if n > 0 {
			t.scaled(c, isOrig, 'T', &e.rxmtCnt, &e.rxmtThr)
		}
	}
	if relAck > 0 && !p.ackInOrder(relAck) {
		t.ackReceived(c, p, relAck)
	}
	c.markFirstSeen(isOrig)
	if n > 0 && !underflow && !e.inOrderData(relSeq, n) {
		t.dataSent(c, e, relSeq, n)
	}
	return e, false
}

// tcpSegment is tcpPacket for any segment. Until the state machine runs
// (it may flip roles), e is the originator's endpoint exactly when isOrig.
func (t *Table) tcpSegment(c *conn, isOrig bool, d *decode.Datagram, ts int64) (role *endpoint, timersMoved bool) {
	f := d.TCPFlags
	ack := f&decode.TCPAck != 0
	e, p := c.sides(isOrig)
	n := d.L4Len
	if n < 0 {
		n = 0
	}
	base := d.Seq
	var relSeq uint64
	var underflow bool
	segLen := n
	if f&ctlFlags == 0 {
		// A segment without SYN, FIN or RST (most segments): each step
		// inlines, as a call would spill every value tcpPacket holds.
		t.plainSetup(c, e, isOrig, base)
		relSeq, underflow = relativeSeq(e, base, e.lastSeq, e.seqWraps)
		t.plainHistory(c, isOrig, ack, n)
	} else {
		segLen, relSeq, underflow = t.controlStart(c, e, isOrig, f, base, n)
	}
	onePast := base + uint32(segLen)
	fin, rst := f&decode.TCPFin != 0, f&decode.TCPRst != 0

	// update_window: only the zero-window history matters here.
	if d.Window == 0 && !rst && p.state != tcpClosed && e.state != tcpReset {
		t.scaled(c, isOrig, 'W', &e.win0Cnt, &e.win0Thr)
	}

	if !c.ep[0].didClose || !c.ep[1].didClose {
		c.last = ts
	}

	if fin {
		e.finCnt++
		e.finSeq = relSeq + uint64(segLen)
	}
	if rst {
		e.rstCnt++
	}

	var relAck uint64
	if ack {
		relAck = p.ackSeen(d.Ack, rst)
	}

	// update_last_seq
	deltaLast := seqDelta(onePast, e.lastSeq)
	switch {
	case f&(decode.TCPSyn|decode.TCPRst) != 0 && (deltaLast > tooLargeSeqDelta || deltaLast < -tooLargeSeqDelta):
	case fin && e.lastSeq == e.startSeq+1:
		e.updateLastSeq(onePast)
	case e.state == tcpReset:
	case deltaLast > 0:
		e.updateLastSeq(onePast)
	case deltaLast <= 0 && n > 0:
		t.scaled(c, isOrig, 'T', &e.rxmtCnt, &e.rxmtThr)
	}

	// Without SYN, FIN or RST only an inactive endpoint changes state.
	var doClose, genEvent bool
	if f&ctlFlags != 0 || e.state == tcpInactive {
		timersMoved = true
		doClose, genEvent = t.updateStateMachine(c, e, p, base, d.Ack, n, isOrig, f&decode.TCPSyn != 0, fin, rst, ack, ts)
	}

	if ack && relAck > 0 && !p.ackInOrder(relAck) {
		t.ackReceived(c, p, relAck)
	}

	c.markFirstSeen(isOrig)

	if n > 0 && !rst && !underflow {
		ds := relSeq
		if f&decode.TCPSyn != 0 {
			ds++
		}
		if !e.inOrderData(ds, n) {
			t.dataSent(c, e, ds, n)
		}
	}

	if doClose {
		t.connectionClosed(c, e, p, genEvent)
	}
	return c.side(isOrig), timersMoved
}

// ackSeen is the handling of an ACK for ack in p's sequence space
// (TCPSessionAdapter::Process): it returns ack relative to p's start (0
// when before it) and, unless rst, moves p's acknowledged mark forward.
func (p *endpoint) ackSeen(ack uint32, rst bool) (relAck uint64) {
	if p.state == tcpInactive {
		return p.startFromAck(ack)
	}
	r, under := relativeSeq(p, ack, p.ackSeq, p.ackWraps)
	if under {
		return 0
	}
	if !rst {
		p.advanceAck(ack)
	}
	return r
}

// startFromAck starts inactive p's sequence space just before ack, the
// first thing seen of it, and returns ack relative to that start: 1.
func (p *endpoint) startFromAck(ack uint32) (relAck uint64) {
	p.startSeq, p.ackSeq, p.lastSeq = ack-1, ack-1, ack-1
	return 1
}

// advanceAck moves p's acknowledged mark to ack when that is forward,
// unless it is a jump to 0 from far behind.
func (p *endpoint) advanceAck(ack uint32) {
	delta := seqDelta(ack, p.ackSeq)
	if !(ack == 0 && delta > tooLargeSeqDelta) && delta > 0 {
		p.updateAckSeq(ack)
	}
}

// markFirstSeen is first_packet_seen (CheckPIA_FirstPacket) for a packet
// from the originator if isOrig.
func (c *conn) markFirstSeen(isOrig bool) {
	if isOrig {
		c.firstSeen |= partialOrig
	} else {
		c.firstSeen |= partialResp
	}
}

// partialStatus is SetPartialStatus for a segment without SYN, FIN or RST
// from the originator if isOrig.
func (c *conn) partialStatus(isOrig bool) {
	if isOrig {
		if c.firstSeen&partialOrig == 0 {
			c.isPartial = true
		}
	} else if c.firstSeen&partialResp == 0 && !c.isPartial {
		c.isPartial = true
	}
}

// plainSetup is SetPartialStatus and init_endpoint for a segment without
// SYN, FIN or RST from endpoint e (the originator's if isOrig) at sequence
// number base.
func (t *Table) plainSetup(c *conn, e *endpoint, isOrig bool, base uint32) {
	c.partialStatus(isOrig)

	// init_endpoint
	if e.state == tcpInactive {
		e.ackSeq, e.startSeq = base-1, base-1
		e.lastSeq = base
	}
}

// plainHistory is update_history for a segment without SYN, FIN or RST
// with n bytes of payload. Most segments repeat a letter already in the
// history: the mask alone tells, and the letter is only worked out for a
// new one.
func (t *Table) plainHistory(c *conn, isOrig, ack bool, n int) {
	mask := uint32(histACK)
	if n > 0 {
		mask = histData
	} else if !ack {
		return
	}
	if !isOrig {
		mask <<= 16
	}
	if c.histSeen&mask == 0 {
		c.histSeen |= mask
		t.addHistory(c, plainLetter(mask))
	}
}

// plainLetter is the history letter of mask: histACK or histData for the
// originator, or either <<16 for the responder.
func plainLetter(mask uint32) byte {
	switch mask {
	case histACK:
		return 'A'
	case histACK << 16:
		return 'a'
	case histData:
		return 'D'
	}
	return 'd'
}

// controlStart is the start of tcpPacket for a segment with SYN, FIN or
// RST (flags f) from endpoint e (the originator's if isOrig) at sequence
// number base with n bytes of payload: SetPartialStatus, init_endpoint
// and update_history. It returns the segment's length in sequence space,
// base relative to e's start, and whether it lies before it.
func (t *Table) controlStart(c *conn, e *endpoint, isOrig bool, f uint8, base uint32, n int) (segLen int, relSeq uint64, underflow bool) {
	syn, fin, rst, ack := f&decode.TCPSyn != 0, f&decode.TCPFin != 0, f&decode.TCPRst != 0, f&decode.TCPAck != 0

	// SetPartialStatus
	if isOrig {
		if c.firstSeen&partialOrig == 0 {
			c.isPartial = !syn || ack
		}
	} else if c.firstSeen&partialResp == 0 && !c.isPartial {
		c.isPartial = !syn
	}

	segLen = n
	if syn {
		segLen++
	}
	if fin {
		segLen++
	}
	if rst {
		segLen -= n
	}
	onePast := base + uint32(segLen)

	// init_endpoint
	switch e.state {
	case tcpInactive:
		last := onePast
		if syn {
			e.ackSeq, e.startSeq = base, base
		} else {
			e.ackSeq, e.startSeq = base-1, base-1
			last = base
		}
		e.lastSeq = last
	case tcpSynSent, tcpSynAckSent:
		if syn && base != e.startSeq {
			e.startSeq, e.ackSeq, e.lastSeq = base, base, onePast
		}
	case tcpEstablished, tcpPartial:
		if syn {
			e.startSeq, e.ackSeq, e.lastSeq = base, base, onePast
		}
	case tcpReset:
		if syn && e.prevState == tcpInactive {
			e.startSeq, e.ackSeq, e.lastSeq = base, base, onePast
		}
	}

	relSeq, underflow = relativeSeq(e, base, e.lastSeq, e.seqWraps)
	t.controlHistory(c, e, isOrig, f, relSeq, n)
	return segLen, relSeq, underflow
}

// controlHistory is update_history for a segment with SYN, FIN or RST
// (flags f) from endpoint e, the originator's if isOrig, at relSeq with n
// bytes of payload.
func (t *Table) controlHistory(c *conn, e *endpoint, isOrig bool, f uint8, relSeq uint64, n int) {
	syn, fin, rst := f&decode.TCPSyn != 0, f&decode.TCPFin != 0, f&decode.TCPRst != 0
	bits := 0
	if syn {
		bits++
	}
	if fin {
		bits++
	}
	if rst {
		bits++
	}
	if bits > 1 {
		if fin && rst {
			t.sideCheckHistory(c, isOrig, histFINRST, 'I')
		} else {
			t.sideCheckHistory(c, isOrig, histMulti, 'Q')
		}
		return
	}
	if syn {
		code := byte('S')
		if f&decode.TCPAck != 0 {
			code = 'H'
		}
		if t.sideCheckHistory(c, isOrig, histSYN, code) && relSeq != e.histLastSYN {
			t.addHistory(c, lowerIf(isOrig, code))
		}
		e.histLastSYN = relSeq
	}
	if fin {
		if t.sideCheckHistory(c, isOrig, histFIN, 'F') && relSeq+uint64(n) != e.histLastFIN {
			t.addHistory(c, lowerIf(isOrig, 'F'))
		}
		e.histLastFIN = relSeq + uint64(n)
	}
	if rst {
		if t.sideCheckHistory(c, isOrig, histRST, 'R') && relSeq != e.histLastRST {
			t.addHistory(c, lowerIf(isOrig, 'R'))
		}
		e.histLastRST = relSeq
	}
}

func (t *Table) updateStateMachine(c *conn, e, p *endpoint, base, ackSeq uint32, n int, isOrig, syn, fin, rst, ack bool, ts int64) (doClose, genEvent bool) {
	switch e.state {
	case tcpInactive:
		if syn {
			if isOrig {
				if ack {
					t.setState(c, e, tcpSynAckSent)
				} else {
					t.setState(c, e, tcpSynSent)
				}
				if t.attemptDelay > 0 && c.attemptAt == 0 && !c.timersCanceled {
					c.attemptAt = ts + t.attemptDelay
				}
			} else {
				if !ack && p.state == tcpSynAckSent && base == e.startSeq {
					// SYN/SYN-ACK reversal: flip and establish.
					c.isPartial = false
					t.flipRoles(c)
					t.setState(c, p, tcpEstablished)
					c.firstSeen |= partialOrig
				}
				if p.state == tcpSynSent {
					t.setState(c, p, tcpEstablished)
				}
				t.setState(c, e, tcpEstablished)
			}
		}
		if fin {
			t.setState(c, e, tcpClosed)
			doClose, genEvent = true, true
		}
		if rst {
			t.setState(c, e, tcpReset)
			reject := false
			if isOrig {
				reject = p.state == tcpEstablished
			} else {
				reject = p.state == tcpSynSent || p.state == tcpSynAckSent
			}
			doClose = true
			genEvent = !reject
		}
		if e.state == tcpInactive {
			switch {
			case !isOrig && n == 0 && c.orig().state == tcpSynSent:
			case ack && p.state == tcpEstablished:
				t.setState(c, e, tcpEstablished)
				c.isPartial = false
				if isOrig {
					c.firstSeen |= partialOrig
				} else {
					c.firstSeen |= partialResp
				}
			default:
				t.setState(c, e, tcpPartial)
			}
		}
	case tcpSynSent, tcpSynAckSent:
		if fin {
			t.setState(c, e, tcpClosed)
			doClose, genEvent = true, true
		}
		if rst {
			t.setState(c, e, tcpReset)
			c.isActive = false
			doClose = true
		}
	case tcpEstablished, tcpPartial:
		if syn && e.state == tcpPartial && p.state == tcpInactive && !ack {
			t.setState(c, e, tcpSynSent)
		}
		if fin && !rst {
			t.setState(c, e, tcpClosed)
			if p.state == tcpReset && p.prevState == tcpClosed {
				t.setState(c, p, tcpClosed)
			}
			doClose, genEvent = true, true
		}
		if rst {
			t.setState(c, e, tcpReset)
			doClose = true
			if p.state != tcpReset || p.prevState != tcpEstablished {
				c.isActive = false
			}
		}
	case tcpClosed:
		if rst && p.state != tcpClosed {
			t.setState(c, e, tcpReset)
			if !e.didClose {
				doClose = true
			}
		}
	case tcpReset:
	}
	return doClose, genEvent
}

// connectionClosed is TCPSessionAdapter::ConnectionClosed.
func (t *Table) connectionClosed(c *conn, e, p *endpoint, genEvent bool) {
	if e.didClose {
		return
	}
	e.didClose = true
	complete := e.state == tcpReset || p.didClose || p.state == tcpInactive
	if complete {
		if (e.prevState != tcpInactive || p.state != tcpInactive) && genEvent {
			c.isActive = false
		}
		// CancelTimers (the analyzer's; the connection's inactivity
		// timer stays), then the delete timer.
		c.timersCanceled = true
		c.attemptAt, c.expireAt = 0, 0
		c.deleteAt = minNZ(c.deleteAt, c.last+t.closeDelay)
		if c.deleteAt == 0 {
			c.deleteAt = c.last
		}
		return
	}
	if e.prevState != tcpInactive && !c.timersCanceled && t.sessionTimer > 0 {
		c.expireAt = minNZ(c.expireAt, c.last+t.sessionTimer)
	}
}

// attemptTimer is TCPSessionAdapter::AttemptTimer; true removes c.
func (t *Table) attemptTimer(c *conn) bool {
	if !c.isActive {
		return false
	}
	o := c.orig()
	if (o.state == tcpSynSent || o.state == tcpSynAckSent) && c.resp().state == tcpInactive {
		c.isActive = false
		return true
	}
	return false
}

// expireTimer is TCPSessionAdapter::ExpireTimer (and the generic
// inactivity check for other kinds); true removes c.
func (t *Table) expireTimer(c *conn, now int64) bool {
	if c.kind == kindUDP {
		// DNS_Analyzer::ExpireTimer
		if now-c.last >= t.dnsTimeout-int64(1e9) {
			return true
		}
		c.expireAt = now + t.dnsTimeout
		return false
	}
	if c.kind != kindTCP || !c.isActive {
		return false
	}
	o, r := c.orig(), c.resp()
	if c.last+t.linger < now {
		if o.didClose || r.didClose {
			if (o.didClose && r.didClose) || o.state == tcpReset || r.state == tcpReset ||
				o.state == tcpInactive || r.state == tcpInactive {
				return true
			}
		}
		if r.state == tcpInactive && o.state == tcpInactive {
			return true
		}
	}
	if t.sessionTimer > 0 {
		c.expireAt = now + t.sessionTimer
	}
	return false
}

// ---- content gaps (an approximation of Zeek's TCP_Reassembler) ----

func clean(e *endpoint) bool {
	return e.state == tcpEstablished || (e.state == tcpClosed && e.prevState == tcpEstablished)
}

func (e *endpoint) deliver() {
	for e.nblocks > 0 && e.blocks[0].lo <= e.lastReassem {
		if e.blocks[0].hi > e.lastReassem {
			e.lastReassem = e.blocks[0].hi
		}
		copy(e.blocks[:], e.blocks[1:e.nblocks])
		e.nblocks--
	}
}

func (e *endpoint) insertBlock(lo, hi uint64) {
	if hi <= e.lastReassem {
		return
	}
	if lo < e.lastReassem {
		lo = e.lastReassem
	}
	// merge with overlapping or adjacent blocks; keep sorted
	i := 0
	for i < int(e.nblocks) && e.blocks[i].hi < lo {
		i++
	}
	j := i
	for j < int(e.nblocks) && e.blocks[j].lo <= hi {
		if e.blocks[j].lo < lo {
			lo = e.blocks[j].lo
		}
		if e.blocks[j].hi > hi {
			hi = e.blocks[j].hi
		}
		j++
	}
	if j > i {
		// replace blocks[i:j] by one
		e.blocks[i] = seqRange{lo, hi}
		copy(e.blocks[i+1:], e.blocks[j:e.nblocks])
		e.nblocks -= uint8(j - i - 1)
		return
	}
	if int(e.nblocks) == maxBlocks {
		// Out of room: widen the nearest block (an approximation).
		if i == maxBlocks {
			i--
		}
		if lo < e.blocks[i].lo {
			e.blocks[i].lo = lo
		}
		if hi > e.blocks[i].hi {
			e.blocks[i].hi = hi
		}
		return
	}
	copy(e.blocks[i+1:e.nblocks+1], e.blocks[i:e.nblocks])
	e.blocks[i] = seqRange{lo, hi}
	e.nblocks++
}

func (t *Table) dataSent(c *conn, e *endpoint, seq uint64, n int) {
	if e.skip {
		return
	}
	ack := e.toRel(e.ackSeq, e.ackWraps)
	upper := seq + uint64(n)
	if seq < ack {
		if upper <= ack {
			return
		}
		seq = ack
	}
	if upper <= e.trimSeq {
		return
	}
	if seq < e.trimSeq {
		seq = e.trimSeq
	}
	if e.nblocks == 0 && seq <= e.lastReassem {
		// In order with nothing pending (most segments): what
		// insertBlock and deliver would do.
		e.lastReassem = max(e.lastReassem, upper)
		return
	}
	e.insertBlock(seq, upper)
	e.deliver()
	if e.nblocks > 0 && e.noDataAcked() && e.blocks[e.nblocks-1].hi-e.lastReassem > maxAboveHoleWithoutAcks {
		e.skip = true
		e.nblocks = 0
	}
}

// inOrderData is dataSent for n bytes at seq that follow what was
// delivered, with nothing pending, not yet acknowledged (most segments):
// it reports false, changing nothing, for any other.
func (e *endpoint) inOrderData(seq uint64, n int) bool {
	if e.skip || e.nblocks != 0 || seq > e.lastReassem || seq < e.trimSeq || seq < e.toRel(e.ackSeq, e.ackWraps) {
		return false
	}
	e.lastReassem = max(e.lastReassem, seq+uint64(n))
	return true
}

// ackInOrder is ackReceived for an ACK of data already delivered before
// any FIN (most ACKs): it trims, and reports false, changing nothing, for
// any other ACK.
func (e *endpoint) ackInOrder(seq uint64) bool {
	if e.finCnt != 0 || seq > e.lastReassem {
		return false
	}
	e.trimSeq = max(e.trimSeq, seq)
	return true
}

// ackReceived is TCP_Reassembler::AckReceived for e's data.
func (t *Table) ackReceived(c *conn, e *endpoint, seq uint64) {
	if e.finCnt > 0 && seq >= e.finSeq {
		seq = e.finSeq - 1
	}
	if seq <= e.trimSeq {
		return
	}
	if seq > e.lastReassem {
		t.undelivered(c, e, seq)
	}
	e.trimSeq = seq
}

func (t *Table) undelivered(c *conn, e *endpoint, upTo uint64) {
	if upTo <= 2 && c.isPartial {
		return
	}
	if !e.skip {
		for e.nblocks > 0 && e.blocks[0].lo < upTo {
			if lo := e.blocks[0].lo; lo > e.lastReassem {
				t.gap(c, e, lo-e.lastReassem)
				e.lastReassem = lo
			}
			e.deliver()
		}
		if upTo > e.lastReassem {
			t.gap(c, e, upTo-e.lastReassem)
		}
	}
	if upTo > e.lastReassem {
		e.lastReassem = upTo
	}
	for e.nblocks > 0 && e.blocks[0].hi <= e.lastReassem {
		copy(e.blocks[:], e.blocks[1:e.nblocks])
		e.nblocks--
	}
}

func (t *Table) gap(c *conn, e *endpoint, n uint64) {
	if clean(e) && clean(c.peerOf(e)) {
		t.scaled(c, c.isOrigEp(e), 'G', &e.gapCnt, &e.gapThr)
		c.missed += n
	}
}
