package analyze

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sync/atomic"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/defrag"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// maxNetWeirds bounds weird.log lines per anomaly kind that belong to no
// connection; the summary still counts every one.
const maxNetWeirds = 100

// maxReassemblyDepth bounds fragments nested inside reassembled datagrams.
const maxReassemblyDepth = 3

// reader is the goroutine that reads, decodes, reassembles and
// dispatches; offline there is one, a live run has one per capture ring.
// It also owns the table of tunnels' outer UDP connections (VXLAN, Geneve,
// Teredo, GTP-U), so inner connections learn their parents' uids without
// crossing workers (a ring's fanout hash keeps an outer connection in one
// reader).
type reader struct {
	src     capture.Source
	dec     *decode.Decoder
	defrag  *defrag.Reassembler
	tunnels *flow.Table
	sink    *logSink
	stats   *hostStats
	workers []*worker
	pending []*batch
	free    chan *batch

	pkt   decode.Packet
	frame capture.Frame // a live run's (runLive)
	// frames reads src (run), in batches where it can; kept here so that
	// a run resumed after a recovered panic (readUntilPanic) goes on with
	// the frame after the one that panicked.
	frames frameReader

	tunInput flow.Input
	tunLog   tunnelLog // tunnel.log (tunnels.go)
	// withPayload: the application layer is on, workers need payloads.
	withPayload bool
	// read errors of broken inputs, reported at the end (see run)
	errs     []error
	errCount int
	// inline: one worker, run in this goroutine (no hand-off between
	// cores: --workers 1 is a true one-core configuration).
	inline bool
	// solo is the inline worker, set when run starts (nil otherwise).
	solo    *worker
	parents flow.Parents
	// tracked: the current frame's tunnels were tracked (trackTunnels),
	// and parents holds their uids.
	tracked bool
	link    flow.Link // the current packet's, for the inline worker
	// ignoreChecksums: checksums are not validated (-C): a bad IPv4
	// header checksum is no weird and drops nothing (badIPHeader).
	ignoreChecksums bool
	// facts: emit packet facts (facts.go) for Config.Consumers.
	facts     bool
	factBuf   []byte
	syn       rec.SYN // the "_syn" fact in factBuf's fields
	lastSweep int64
	// ordered: frames are numbered (seq) and the reader sweeps every flow
	// table at once, so records can be ordered by event (order.go).
	ordered bool
	seq     uint64
	// sweepSeq is the frame at which an ordered run sweeps whatever the
	// clock says (sweepFrames after the last sweep). nextSweepSeq is
	// sweepSeq, or 0 when the writer holds too much (logSink.append): a
	// progress mark then comes before the next frame (checkpoint).
	sweepSeq     uint64
	nextSweepSeq atomic.Uint64
	// netWeirds counts weird.log lines per anomaly kind that belong to no
	// connection, shared by a live run's readers (capped at maxNetWeirds).
	netWeirds *[256]atomic.Uint32

	// Live runs (live.go): idx names this reader in the workers' clocks;
	// mark is its clock (every packet up to it has been handed over);
	// tickAt is the clock at the last tick.
	live   bool
	idx    int32
	mark   int64
	tickAt int64

	// counters read by the progress bar while running
	packets  atomic.Uint64
	progDone atomic.Int64
	progAll  atomic.Int64

	sum readerCounts
}

// readerCounts are the reader's totals for the summary.
type readerCounts struct {
	packets, bytes  uint64
	first, last     int64
	nonIP           uint64
	arp             uint64
	anomalies       [256]uint64 // by decode.AnomalyKind (kinds are few)
	tunnels         [16]uint64  // by decode.TunnelKind
	fragments       uint64
	reassembled     uint64
	truncatedFrames uint64
	badChecksums    uint64 // packets whose IPv4 header or transport checksum was wrong (not analysed)
}

// run reads src to its end (or ctx cancellation via stop) and dispatches.
// A broken input does not stop the others: the source moves on to the next
// input after a *capture.Error, and run reports every such error (up to
// maxInputErrors, then a count) when the last input is read.
func (r *reader) run(stop *atomic.Bool) error {
	if r.frames.src == nil {
		r.frames.init(r.src)
	}
	if r.inline {
		r.solo = r.workers[0]
		r.solo.setPacketRefs(&r.pkt.IP, &r.link, &r.parents)
	}
	for !stop.Load() {
		f := r.frames.next()
		if f == nil {
			err := r.frames.err
			var cerr *capture.Error
			switch {
			case errors.Is(err, io.EOF):
				return r.inputErrors()
			case errors.As(err, &cerr):
				r.noteInputError(err)
				continue
			}
			return errors.Join(r.inputErrors(), err)
		}
		r.handle(f, false)
		if r.pkt.NextSubframe != 0 {
			r.handleSubframes(f)
		}
		r.sum.packets++
		if r.sum.packets&1023 == 0 {
			r.publishProgress()
		}
	}
	return errors.New("analyze: interrupted")
}

// maxInputErrors bounds the read errors reported one by one.
const maxInputErrors = 20

func (r *reader) noteInputError(err error) {
	r.errCount++
	if len(r.errs) < maxInputErrors {
		r.errs = append(r.errs, err)
	}
}

// inputErrors returns the inputs' read errors, nil when there were none.
func (r *reader) inputErrors() error {
	if r.errCount > len(r.errs) {
		return errors.Join(append(r.errs, fmt.Errorf("analyze: %d more unreadable inputs", r.errCount-len(r.errs)))...)
	}
	return errors.Join(r.errs...)
}

func (r *reader) publishProgress() {
	r.packets.Store(r.sum.packets)
	done, all := r.src.Progress()
	r.progDone.Store(done)
	r.progAll.Store(all)
}

// handleSubframes handles the 802.11 A-MSDU subframes of f after the
// first, which handle(f, false) handled (Zeek analyses each subframe as a
// packet). The frame loops call it when r.pkt.NextSubframe says another
// follows, testing that themselves: a frame without costs no call.
func (r *reader) handleSubframes(f *capture.Frame) {
	for r.dec.DecodeNextSubframe(f.Data, f.LinkType, &r.pkt) {
		r.handle(f, true)
	}
}

// handle decodes frame f and handles its packet, or, when subframe is
// set, handles the A-MSDU subframe of f that r.pkt holds: the frame was
// counted with its first packet, which also counted its tunnels' outer
// connections.
func (r *reader) handle(f *capture.Frame, subframe bool) {
	p := &r.pkt
	if subframe {
		r.countAnomalies(p, 0) // the subframe's own
	} else {
		r.dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, p)
		if p.TS > r.sum.last && r.sum.first != 0 && !p.Truncated && p.NumAnomalies == 0 {
			// account for the usual packet: later than all before,
			// whole, nothing odd.
			r.sum.bytes += uint64(p.WireLen)
			r.sum.last = p.TS
		} else {
			r.account(p)
		}
		r.parents.N, r.tracked = 0, false // only the first N uids are read
	}
	if !r.ordered {
		if p.TS-r.lastSweep >= expireEvery {
			r.sweep(p.TS)
		}
	} else {
		r.seq++
		if p.TS-r.lastSweep >= expireEvery || r.seq >= r.nextSweepSeq.Load() {
			r.checkpoint(p.TS)
		}
		r.sink.at(r.seq, phaseReader)
	}
	if !subframe && p.NumAnomalies > 0 && r.badIPHeader(p) {
		return
	}
	// A reassembled tunnel packet may carry an inner fragment: reassemble
	// again, a bounded number of times.
	for depth := 0; p.Frag.IsFragment; depth++ {
		r.sum.fragments++
		seen := int(p.NumAnomalies)
		data := r.defrag.Add(p)
		if data == nil || depth == maxReassemblyDepth {
			r.countAnomalies(p, seen)
			r.netAnomalies(p)
			return
		}
		r.sum.reassembled++
		r.dec.DecodeIP(data, p)
		r.countAnomalies(p, seen)
	}
	// Outer tunnel connections count whatever the inner packet is, once a
	// frame: an A-MSDU's subframes share its tunnels.
	if p.NumTunnels > 0 {
		if !r.tracked {
			if !r.trackTunnels(p, f.SkipChecksum) {
				p.NextSubframe = 0 // the outer datagram is refused whole
				return
			}
			r.tracked = true
		}
	} else if p.IP.Proto == decode.ProtoUDP && r.tunnels.TracksUDP(&p.IP) {
		// A datagram of a tunnel's outer conn that carries no tunnelled
		// packet (e.g. an AYIYA heartbeat): it counts in that conn.
		in := &r.tunInput
		*in = flow.Input{TS: p.TS, D: &p.IP, Payload: p.Payload, IPRaw: p.IPRaw}
		in.ChecksumChecked = f.SkipChecksum // live, offloaded: good
		r.tunnels.Update(in)
		r.netAnomalies(p)
		return
	}
	if r.facts && mayHaveFacts(p) {
		r.emitFacts(p)
	}
	if p.IP.Version == 0 {
		if p.IsARP {
			r.sum.arp++
		} else if !subframe { // a subframe without a packet: its anomalies
			r.sum.nonIP++
		}
		r.netAnomalies(p)
		return
	}
	// The transport checksum is validated here, where the whole datagram
	// is at hand, so workers get only the payload (and only when the
	// application layer reads it).
	// A live frame may say not to (checksum offload): checked and good.
	bad := r.tunnels.DatagramBad(&p.IP, p.IPRaw, f.SkipChecksum)
	if bad {
		r.sum.badChecksums++
	}
	if w := r.solo; w != nil {
		// One worker in this goroutine: no batch, no copy (and no call
		// to dispatch); the capture buffer stays valid for the call. Its
		// input points at r.pkt.IP, r.link and r.parents (run,
		// setPacketRefs), and its payload stays nil without the
		// application layer.
		setLink(&r.link, p)
		w.sink.at(r.seq, phaseWorker)
		if r.withPayload {
			w.input.Payload = p.Payload
		}
		w.setPacketTime(p.TS, bad)
		w.handlePacket(p.Anomalies[:p.NumAnomalies])
		return
	}
	r.dispatch(p, bad)
}

// badIPHeader reports whether p is dropped for its IPv4 header checksum,
// as Zeek drops it: the packet makes no connection, and weird.log has a
// flow weird (no uid, ports 0) bad_IP_checksum, once per source address a
// day. With checksums ignored (-C), as with Zeek's, the anomaly is
// removed and the packet analysed. A tunnelled packet is analysed either
// way (which header is bad is not told apart).
func (r *reader) badIPHeader(p *decode.Packet) bool {
	switch {
	case r.ignoreChecksums:
		p.DropAnomaly(decode.AnomalyBadIPChecksum)
		return false
	case p.NumTunnels > 0 || !p.HasAnomaly(decode.AnomalyBadIPChecksum):
		return false
	}
	r.sum.badChecksums++
	r.sink.perSourceWeird(p.TS, p.IP.Src, p.IP.Dst, "bad_IP_checksum", "IP")
	return true
}

// teredoBubbleWeird logs a Teredo bubble followed by bytes as Zeek does:
// a weird of the Teredo tunnel's UDP connection (uid, its id in in), once
// in ten minutes, instead of one of the bubble's addresses; the anomaly
// leaves p so that the worker does not log it again.
func (r *reader) teredoBubbleWeird(p *decode.Packet, uid flow.UID, in *flow.Input) {
	origH, respH, origP, respP, ok := in.ConnID()
	if !ok || !p.DropAnomaly(decode.AnomalyTeredoBubblePayload) {
		return
	}
	r.sink.connWeirdOnce(p.TS, uid, origH, respH, origP, respP, decode.AnomalyTeredoBubblePayload.String(), "TEREDO")
}

// account counts the frame and its anomalies for the summary.
// handle does it inline for the usual packet (see there).
func (r *reader) account(p *decode.Packet) {
	r.sum.bytes += uint64(p.WireLen)
	// first is 0 or a time seen, last the latest time seen (or 0), so
	// first <= last: a later packet, the usual case, only moves last
	// (and sets first when none is set yet).
	if p.TS > r.sum.last {
		r.sum.last = p.TS
		if r.sum.first == 0 {
			r.sum.first = p.TS
		}
	} else if r.sum.first == 0 || p.TS < r.sum.first {
		r.sum.first = p.TS
	}
	if p.Truncated {
		r.sum.truncatedFrames++
	}
	r.countAnomalies(p, 0)
}

// countAnomalies counts p's anomalies from index from on (reassembly adds
// some after the decoder's).
func (r *reader) countAnomalies(p *decode.Packet, from int) {
	for i := from; i < int(p.NumAnomalies); i++ {
		r.sum.anomalies[uint8(p.Anomalies[i].Kind)]++
	}
}

func (r *reader) sweep(now int64) {
	r.lastSweep = now
	r.defrag.Expire(now, func(ev defrag.Event) {
		r.sum.anomalies[uint8(ev.Kind)]++
		r.netWeird(ev.TS, ev.Src, ev.Dst, decode.Anomaly{Kind: ev.Kind, Detail: ev.ID})
	})
	r.tunnels.Expire(now)
}

// sweepFrames bounds the frames between two sweeps of an ordered run
// (whatever the capture's clock says), and so the records the writer
// holds; maxHeld bounds their bytes (frames that make many records).
const sweepFrames = 1 << 16

// checkpoint sweeps every table before frame r.seq when the clock or the
// frame count says so; otherwise the writer asked for a progress mark.
func (r *reader) checkpoint(now int64) {
	if now-r.lastSweep >= expireEvery || r.seq >= r.sweepSeq {
		r.sweepAll(now)
	} else {
		r.markProgress()
	}
}

// markProgress has every producer report its progress before frame r.seq,
// sweeping nothing, so that the writer releases the records it holds
// before that frame. Unlike a sweep, whose frame decides which
// connections end first, a mark changes no record and no record's place:
// it may come at any frame (when the writer holds more than maxHeld,
// which depends on the workers' pace), and the output stays that of a run
// without it.
func (r *reader) markProgress() {
	r.nextSweepSeq.Store(r.sweepSeq)
	if r.inline {
		r.workers[0].sink.progress(recTag{seq: r.seq, phase: phaseWorker})
	} else {
		for i, w := range r.workers {
			b := r.pending[i]
			b.addMark(r.seq)
			b.src, b.mark = r.idx, r.sum.last
			w.in <- b
			r.pending[i] = <-r.free
		}
	}
	r.sink.progress(recTag{seq: r.seq, phase: phaseReader})
}

// sweepAll sweeps the reader's tables and, through their queues, every
// worker's, before frame r.seq; each reports its progress (order.go).
func (r *reader) sweepAll(now int64) {
	r.sweepSeq = r.seq + sweepFrames
	r.nextSweepSeq.Store(r.sweepSeq)
	r.sink.at(r.seq, phaseSweep)
	r.sweep(now)
	// The reader's progress goes to the writer before the workers sweep:
	// then the writer can pass on the records of a sweep that ends many
	// connections as the workers report them (worker.reportEnds).
	r.sink.reportNow(recTag{seq: r.seq, phase: phaseReader})
	if r.inline {
		r.workers[0].sweep(now, r.seq)
		return
	}
	for i, w := range r.workers {
		b := r.pending[i]
		b.addSweep(now, r.seq)
		b.src, b.mark = r.idx, now
		w.in <- b
		r.pending[i] = <-r.free
	}
}

// netAnomalies logs the anomalies of a packet that reaches no connection.
func (r *reader) netAnomalies(p *decode.Packet) {
	for i := 0; i < int(p.NumAnomalies); i++ {
		r.netWeird(p.TS, p.IP.Src, p.IP.Dst, p.Anomalies[i])
	}
}

func (r *reader) netWeird(ts int64, src, dst netip.Addr, a decode.Anomaly) {
	n := &r.netWeirds[uint8(a.Kind)]
	if n.Load() >= maxNetWeirds || n.Add(1) > maxNetWeirds {
		return
	}
	r.sink.netAnomaly(ts, src, dst, a)
}

// trackTunnels accounts each tunnel's outer connection and fills r.parents
// with the uids the inner connection names as tunnel_parents. It returns
// false when a UDP tunnel's outer checksum is bad: like Zeek, the outer
// conn counts it as corrupt ('C') and nothing inside is analysed.
// r.parents starts empty. skipChecksum is the frame's SkipChecksum.
func (r *reader) trackTunnels(p *decode.Packet, skipChecksum bool) bool {
	// A tunnel is discovered (tunnel.log) when it carries a connection,
	// as Zeek registers tunnels at an inner connection's start: one that
	// carries another tunnel's outer datagram does, the innermost one
	// when the packet is IP with a transport (not ARP, not a Teredo
	// bubble).
	discover := int(p.NumTunnels)
	if p.IP.Version == 0 || p.IP.Proto == decode.ProtoNoNext {
		discover--
	}
	for i := 0; i < int(p.NumTunnels); i++ {
		t := &p.Tunnels[i]
		r.sum.tunnels[t.Kind&15]++
		var uid flow.UID
		if t.Outer.Proto == decode.ProtoUDP && !ipLevel(t.Kind) {
			in := &r.tunInput
			*in = flow.Input{TS: p.TS, D: &t.Outer, IPRaw: t.OuterRaw, Parents: &r.parents, Service: tunnelService(t.Kind)}
			in.ChecksumChecked = skipChecksum // live, offloaded: good
			uid = r.tunnels.Update(in)
			if r.tunnels.BadChecksum(in) {
				return false
			}
			if in.App != nil && *in.App == 0 && i < discover {
				r.discoverTunnel(p.TS, t, uid, in)
			}
			if t.Kind == decode.TunnelTeredo && i == int(p.NumTunnels)-1 && p.NumAnomalies > 0 {
				r.teredoBubbleWeird(p, uid, in)
			}
		} else {
			if t.Outer.Proto == decode.ProtoUDP {
				// GRE over UDP (port 4754): the UDP datagram counts in
				// its connection, but the tunnel is GRE's, as Zeek
				// names it.
				in := &r.tunInput
				*in = flow.Input{TS: p.TS, D: &t.Outer, IPRaw: t.OuterRaw, Parents: &r.parents}
				in.ChecksumChecked = skipChecksum
				r.tunnels.Update(in)
				if r.tunnels.BadChecksum(in) {
					return false
				}
			}
			uid = ipTunnelUID(t)
			if r.tunLog.recent[uid&255] != uid && i < discover {
				r.discoverTunnel(p.TS, t, uid, nil)
			}
		}
		r.parents.UIDs[r.parents.N] = uid
		r.parents.N++
	}
	return true
}

// ipLevel reports whether k is an IP-level tunnel (IP-in-IP, GRE), one
// named by its outer addresses, whatever carries it.
func ipLevel(k decode.TunnelKind) bool {
	return k == decode.TunnelIP || k == decode.TunnelGRE || k == decode.TunnelERSPAN
}

// ipTunnelUID names an IP-level tunnel (IP-in-IP, GRE): the pair of outer
// addresses, in either direction, and the kind.
func ipTunnelUID(t *decode.Tunnel) flow.UID {
	a, b := addrHash(t.Outer.Src.As16()), addrHash(t.Outer.Dst.As16())
	return flow.UID(mix64((a + b) ^ uint64(t.Kind)<<56))
}

func tunnelService(k decode.TunnelKind) string {
	switch k {
	case decode.TunnelVXLAN:
		return "vxlan"
	case decode.TunnelGeneve:
		return "geneve"
	case decode.TunnelTeredo:
		return "teredo"
	case decode.TunnelGTPU:
		return "gtpv1"
	case decode.TunnelAYIYA:
		return "ayiya"
	}
	return ""
}

// dispatch appends the packet to its worker's batch, sending full batches
// (handle runs a solo worker itself). bad says whether handle found its
// transport checksum wrong.
func (r *reader) dispatch(p *decode.Packet, bad bool) {
	w := 0
	if len(r.workers) > 1 && !crossConnection(&p.IP) {
		w = int(symmetricHash(&p.IP) % uint64(len(r.workers)))
	}
	b := r.pending[w]
	b.add(p, r.seq, &r.parents, bad, r.withPayload)
	if b.full() {
		b.src, b.mark = r.idx, p.TS
		r.workers[w].in <- b
		r.pending[w] = <-r.free
	}
}

// finish sends partial batches (the pipeline closes the worker queues
// once every reader has finished).
func (r *reader) finish() {
	if r.inline {
		// The reader's own connections first, as with several workers,
		// where it finishes while they still work: its progress is then
		// done, and the writer can pass on the worker's last records as
		// its flush makes them (worker.finish).
		r.finishTunnels()
		r.workers[0].finish()
		r.pending[0] = nil
		return
	}
	for i, b := range r.pending {
		switch {
		case r.live:
			// The last batch says this reader sends nothing more.
			b.src, b.mark = r.idx, math.MaxInt64
			r.workers[i].in <- b
		case b.n > 0:
			r.workers[i].in <- b
		default:
			r.free <- b
		}
		r.pending[i] = nil
	}
	r.finishTunnels()
}

// finishTunnels ends the tunnels' outer connections and hands out the
// reader's last records.
func (r *reader) finishTunnels() {
	if !r.ordered {
		r.tunnels.Flush()
		r.sink.flush()
		return
	}
	r.sink.at(endSeq, phaseSweep)
	r.tunnels.Flush()
	r.sink.progress(doneTag)
}

// crossConnection reports whether d belongs to a protocol whose records
// aggregate several connections (a DHCP exchange spans client and server
// ports and broadcast addresses). Such packets all go to the first worker,
// so those records do not depend on the number of workers.
func crossConnection(d *decode.Datagram) bool {
	if d.Proto != decode.ProtoUDP {
		return false
	}
	switch d.SrcPort {
	case 67, 68, 546, 547:
		return true
	}
	switch d.DstPort {
	case 67, 68, 546, 547:
		return true
	}
	return false
}
