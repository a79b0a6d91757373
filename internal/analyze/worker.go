package analyze

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/proto"
)

// expireEvery is how much capture time passes between flow-timer sweeps.
const expireEvery = int64(1e9)

// worker owns one flow table and the connections hashed to it.
type worker struct {
	table *flow.Table
	sink  *logSink
	app   *appLayer
	// withApp: the application layer is on (not --no-app); off, packets
	// skip it.
	withApp   bool
	stats     *hostStats
	in        chan *batch
	free      chan *batch
	lastSweep int64
	dedup     weirdDedup
	input     flow.Input
	panics    *atomic.Uint64
	// merge: a live run's readers' batches, merged by time (live.go);
	// nil offline.
	merge *liveMerge
	// ordered: the reader sweeps the flow timers and numbers the packets
	// (offline runs, order.go); otherwise the worker sweeps on its own.
	ordered bool
}

func newWorker(cfg flow.Config, w *writer, queue int, free chan *batch, panics *atomic.Uint64, shared *proto.Shared, midstream bool) (*worker, error) {
	wk := &worker{stats: newHostStats(), in: make(chan *batch, queue), free: free, panics: panics}
	wk.sink = newLogSink(w, wk.stats)
	wk.app = newAppLayer(wk.sink, shared, midstream)
	if shared == nil {
		wk.app.factories = nil // --no-app
	}
	wk.withApp = len(wk.app.factories) > 0
	t, err := flow.NewTable(cfg, workerEmitter{wk.sink, wk.app})
	if err != nil {
		return nil, fmt.Errorf("analyze: flow table: %w", err)
	}
	wk.table = t
	wk.dedup.init(1 << 14)
	// The reader validates transport checksums (setPacket says which
	// were bad); workers see no IP bytes and give no service hints.
	wk.input.ChecksumChecked = true
	return wk, nil
}

// run processes batches until the reader closes the queue, then ends every
// remaining connection.
func (wk *worker) run() {
	if wk.merge != nil {
		wk.runMerge()
		return
	}
	for b := range wk.in {
		wk.processBatch(b)
		wk.free <- b
	}
	wk.finish()
}

// processBatch handles every item of b and empties it for reuse.
func (wk *worker) processBatch(b *batch) {
	wk.process(b, 0)
	b.reset()
}

// finish ends every remaining connection and hands out the last records.
func (wk *worker) finish() {
	if !wk.ordered {
		wk.table.Flush()
		wk.sink.flush()
		return
	}
	wk.sink.at(endSeq, phaseSweep)
	wk.table.FlushByUID(wk.reportEnds(endSeq))
	wk.sink.progress(doneTag)
}

// sweep ends the connections whose timers have run out at ts, before the
// reader's frame seq, and reports the worker's progress (order.go).
func (wk *worker) sweep(ts int64, seq uint64) {
	wk.sink.at(seq, phaseSweep)
	wk.table.ExpireByUID(ts, wk.reportEnds(seq))
	wk.lastSweep = ts
	wk.sink.progress(recTag{seq: seq, phase: phaseWorker})
}

// reportEnds returns what the flow table calls with the UID of each
// connection that the sweep before frame seq (endSeq: the last flush)
// ends, in UID order: every flushReport of them the worker reports its
// progress up to the last, so that the writer passes their records on as
// they come instead of holding the whole sweep's (all of a flood's
// connections, at the end of a run or when their timers run out at once).
func (wk *worker) reportEnds(seq uint64) func(flow.UID) {
	n := 0
	return func(uid flow.UID) {
		if n++; n%flushReport == 0 {
			wk.sink.progress(endedUpTo(seq, uid))
		}
	}
}

// flushReport is how many connections a sweep ends between two reports
// of the worker's progress.
const flushReport = 1024

// endedUpTo is the progress of a producer whose sweep before frame seq has
// ended the connections up to uid: it makes no more records of the sweep's
// groups up to uid (it ends them in that order).
func endedUpTo(seq uint64, uid flow.UID) recTag {
	return recTag{seq: seq, phase: phaseSweep, group: uint64(uid), prod: math.MaxUint32, idx: math.MaxUint64}
}

// control does what an item that is not a packet asks.
func (wk *worker) control(it *item) {
	if it.ctl == ctlSweep {
		wk.sweep(it.ts, it.seq)
		return
	}
	wk.sink.progress(recTag{seq: it.seq, phase: phaseWorker})
}

// process handles b's items from start on. A panic in one item is counted
// and that item skipped: the last net, never the plan.
func (wk *worker) process(b *batch, start int) {
	i := start
	defer func() {
		if r := recover(); r != nil {
			wk.panics.Add(1)
			if i+1 < b.n {
				wk.process(b, i+1)
			}
		}
	}()
	for ; i < b.n; i++ {
		wk.handle(b, &b.items[i])
	}
}

func (wk *worker) handle(b *batch, it *item) {
	if it.ctl != ctlPacket {
		wk.control(it)
		return
	}
	if !wk.ordered && it.ts-wk.lastSweep >= expireEvery {
		wk.table.Expire(it.ts)
		wk.lastSweep = it.ts
	}
	wk.sink.at(it.seq, phaseWorker)
	wk.setPacket(it.ts, &it.dg, b.payload(it), it.checksumBad, &it.meta.link, &it.meta.parents)
	wk.handlePacket(it.anomalies[:it.numAnomaly])
}

// setPacket readies the worker's flow input for one packet: its time, its
// innermost datagram dg, transport payload (read only until handlePacket
// returns), whether the reader found its checksum bad, its link layer and
// tunnel parents. The flow table reads link and parents during
// handlePacket (link only when the packet starts a connection). It is
// inlined: the caller's values go straight into the input.
func (wk *worker) setPacket(ts int64, dg *decode.Datagram, payload []byte, checksumBad bool,
	link *flow.Link, parents *flow.Parents) {
	wk.setPacketRefs(dg, link, parents)
	wk.input.Payload = payload
	wk.setPacketTime(ts, checksumBad)
}

// setPacketRefs is the half of setPacket that says where the packet's
// datagram, link layer and tunnel parents are. A reader whose worker runs
// inline sets them once: they are always its own.
func (wk *worker) setPacketRefs(dg *decode.Datagram, link *flow.Link, parents *flow.Parents) {
	in := &wk.input
	in.D, in.Link, in.Parents = dg, link, parents
}

// setPacketTime is the other half of setPacket, less the payload.
func (wk *worker) setPacketTime(ts int64, checksumBad bool) {
	in := &wk.input
	in.TS, in.ChecksumBad = ts, checksumBad
}

// handlePacket accounts the packet setPacket readied, with its anomalies.
// (An unordered worker sweeps its timers before, in handle.)
func (wk *worker) handlePacket(anomalies []decode.Anomaly) {
	in := &wk.input
	uid := wk.table.Update(in)
	dg := in.D
	wk.stats.addPacket(dg)
	if wk.withApp && in.Counted {
		wk.app.packet(uid, in)
	}
	if !in.Counted && uid != 0 && wk.dedup.first(uint64(uid), checksumKind) { // a bad checksum
		wk.sink.checksumWeird(in.TS, uid, in)
	}
	if dg.Proto == decode.ProtoICMPv6 && in.Counted {
		wk.ndWeird(in)
	}
	if len(anomalies) > 0 {
		wk.logAnomalies(in.TS, uid, dg, anomalies)
	}
}

// checksumKind keys a connection's checksum weird in the worker's
// once-per-connection memory of anomalies (no decoder anomaly has it).
const checksumKind = ^decode.AnomalyKind(0)

// ndOptionsAt is, by ICMPv6 type from 134 on (router advertisement,
// neighbour solicitation and advertisement, redirect), where the
// message's options start after its 8-byte header, and the weird Zeek's
// ICMP analyzer reports when the message ends before that.
var ndOptionsAt = [...]struct {
	at   int
	name string
}{
	{8, "icmp6_ra_bad_opt_offset"},
	{16, "icmp6_ns_bad_opt_offset"},
	{16, "icmp6_na_bad_opt_offset"},
	{32, "icmp6_redirect_bad_opt_offset"},
}

// ndWeird logs a neighbour-discovery message too short for its fixed
// fields (in, an ICMPv6 datagram Update accounted) as Zeek's ICMP
// analyzer does: a weird of no connection, "OFFSET (length N)".
func (wk *worker) ndWeird(in *flow.Input) {
	i := int(in.D.ICMPType) - 134
	if i < 0 || i >= len(ndOptionsAt) || in.D.L4Len >= ndOptionsAt[i].at {
		return
	}
	nd := &ndOptionsAt[i]
	wk.sink.netWeirdOnce(in.TS, nd.name, strconv.Itoa(nd.at)+" (length "+strconv.Itoa(in.D.L4Len)+")", "ICMP")
}

// logAnomalies logs a packet's anomalies once per connection and kind; a
// packet of no connection is keyed by its addresses and ports, which pick
// its worker whatever their number.
func (wk *worker) logAnomalies(ts int64, uid flow.UID, dg *decode.Datagram, anomalies []decode.Anomaly) {
	key, uidText := uint64(uid), ""
	if uid == 0 {
		key = symmetricHash(dg)
	}
	for _, a := range anomalies {
		if !wk.dedup.first(key, a.Kind) {
			continue
		}
		if uid != 0 && uidText == "" {
			uidText = uid.String()
		}
		if a.Kind == decode.AnomalySYNWithData {
			// Zeek's ACTION_LOG_PER_ORIG: once per originator a day.
			if orig, _, _, _, ok := wk.input.ConnID(); ok {
				wk.sink.anomalyOnce(ts, uidText, dg, a, "SYN_with_data "+orig.String(), perOrigWindow)
				continue
			}
		}
		wk.sink.anomaly(ts, uidText, dg, a) // no connection: no uid
	}
}

// workerEmitter is what a worker's flow table emits to: records go to the
// log sink, connection ends also to the application layer.
type workerEmitter struct {
	*logSink
	*appLayer
}
