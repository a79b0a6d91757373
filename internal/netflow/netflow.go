// Package netflow receives NetFlow v5/v9, IPFIX and sFlow on UDP and turns
// each flow into a conn-like row (store.Conn): addresses, ports,
// protocol, bytes and packets (scaled by the sampling rate), start and
// duration. Decoding is goflow2's (github.com/netsampler/goflow2/v2:
// templates per exporter, the protobuf producer's field mapping); this
// package owns the socket, the queue and the conversion, bounds what
// goflow2 keeps per exporter (state.go) and refuses the datagrams it
// mishandles (screen.go).
//
// One goroutine reads the socket (its receive buffer enlarged, 32 MiB by
// default) into a bounded queue; one goroutine decodes. A full queue holds
// the reader back, so that bursts wait in the kernel's buffer; what
// overflows it the kernel drops and counts (Stats.KernelDrops).
package netflow

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/bits"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"
	"github.com/netsampler/goflow2/v2/producer"
	protoproducer "github.com/netsampler/goflow2/v2/producer/proto"
	"github.com/netsampler/goflow2/v2/utils"

	"github.com/vigil-nsm/vigil/internal/store"
)

// Config configures a listener.
type Config struct {
	Addr       string // UDP address, e.g. ":2055"
	ReadBuffer int    // socket receive buffer in bytes
	Queue      int    // datagrams queued between reader and decoder
}

// DefaultConfig listens on :2055 with a 32 MiB receive buffer.
func DefaultConfig() Config {
	return Config{Addr: ":2055", ReadBuffer: 32 << 20, Queue: 8192}
}

// Stats counts what the listener did.
type Stats struct {
	Datagrams uint64 `json:"datagrams"`
	Flows     uint64 `json:"flows"`
	Errors    uint64 `json:"decode_errors"`
	Drops     uint64 `json:"queue_drops"` // none since the reader waits for the queue; kept for old clients
	// NoAddress counts the flow records left out for want of a source and
	// destination of one IP version (MAC-only or hostile records).
	NoAddress uint64 `json:"flows_without_addresses"`
	// KernelDrops counts the datagrams the kernel dropped because the
	// receive buffer was full (Linux).
	KernelDrops uint64 `json:"kernel_drops"`
	// ReadBuffer is the receive buffer as the kernel reports it (Linux
	// reports twice what was asked: half of it is its own bookkeeping).
	ReadBuffer int `json:"read_buffer"`
	Exporters  int `json:"exporters"`
	// Refused counts datagrams from exporters past the limit on how many
	// the collector decodes (4096 addresses and ports).
	Refused uint64 `json:"refused_datagrams"`
}

// Sink receives the flows of one exporter (the exporter's address).
type Sink func(exporter string, c store.Conn)

// Listener receives flow exports. Use Listen, then Run.
type Listener struct {
	cfg   Config
	conn  *net.UDPConn
	sink  Sink
	queue chan *utils.Message
	pipe  *utils.AutoFlowPipe
	conv  *convert

	datagrams, flows, errs, drops atomic.Uint64
	kernelDrops, noAddr           atomic.Uint64
	exporters                     map[string]bool
	nexp                          atomic.Int64
	refused                       atomic.Uint64
	// sources are the exporters (address and port) admitted, with when
	// each was last heard, at most lim.sources; tmpls their template
	// stores, by goflow2's key (the address and port as a string). Only
	// the decoding goroutine uses them (admit).
	sources   map[netip.AddrPort]time.Time
	tmpls     map[string]*templates
	fields    *atomic.Int64 // the fields of all the template stores (budget lim.allFields)
	swept     time.Time     // when idle sources were last looked for
	forgotten int           // sources forgotten since the pipe was made
	lim       limits
	rbuf      int
}

// Listen opens the socket.
func Listen(cfg Config, sink Sink) (*Listener, error) {
	def := DefaultConfig()
	if cfg.ReadBuffer <= 0 {
		cfg.ReadBuffer = def.ReadBuffer
	}
	if cfg.Queue <= 0 {
		cfg.Queue = def.Queue
	}
	addr, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("netflow: address %q: %w", cfg.Addr, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("netflow: listen %s: %w", cfg.Addr, err)
	}
	if err := setReadBuffer(conn, cfg.ReadBuffer); err != nil {
		conn.Close()
		return nil, fmt.Errorf("netflow: receive buffer: %w", err)
	}
	l, err := newListener(cfg, sink, defaultLimits)
	if err != nil {
		conn.Close()
		return nil, err
	}
	l.conn, l.rbuf = conn, readBuffer(conn)
	return l, nil
}

// newListener makes a listener without a socket: its queue, and the
// decoder (goflow2's pipe with per-exporter state bounded by lim, and
// convert).
func newListener(cfg Config, sink Sink, lim limits) (*Listener, error) {
	l := &Listener{cfg: cfg, sink: sink, queue: make(chan *utils.Message, cfg.Queue), exporters: map[string]bool{},
		sources: map[netip.AddrPort]time.Time{}, tmpls: map[string]*templates{}, fields: new(atomic.Int64), lim: lim}
	if err := l.newPipe(); err != nil {
		return nil, err
	}
	return l, nil
}

// newPipe makes the decoder: goflow2's pipe and producer, and convert. The
// template stores of the sources admitted are kept (l.tmpls); sampling
// rates and init times are learnt again from the exporters' next options
// records. goflow2's maps of exporters never shrink: a new pipe, made
// once as many sources were forgotten as are admitted (admit), drops
// what it kept of the forgotten ones.
func (l *Listener) newPipe() error {
	pcfg, err := (&protoproducer.ProducerConfig{}).Compile()
	if err != nil {
		return fmt.Errorf("netflow: producer: %w", err)
	}
	inner, err := protoproducer.CreateProtoProducer(pcfg, func() protoproducer.SamplingRateSystem {
		return newSampling(l.lim.domains)
	})
	if err != nil {
		return fmt.Errorf("netflow: producer: %w", err)
	}
	l.conv = &convert{inner: inner, l: l, inits: newDomainTable(l.lim.domains), rates: newDomainTable(l.lim.domains)}
	l.pipe = utils.NewFlowPipe(&utils.PipeConfig{
		Producer:         l.conv,
		NetFlowTemplater: l.templater,
	})
	l.forgotten = 0
	admitted := make(map[string]bool, len(l.sources))
	for src := range l.sources {
		admitted[src.String()] = true
	}
	for key, t := range l.tmpls { // the stores of forgotten sources go with the old pipe
		if !admitted[key] {
			t.reset()
			delete(l.tmpls, key)
		}
	}
	return nil
}

// templater returns the template store of goflow2's exporter key.
func (l *Listener) templater(key string) netflow.NetFlowTemplateSystem {
	t := l.tmpls[key]
	if t == nil {
		t = newTemplates(l.lim.fields, l.lim.allFields, l.fields)
		l.tmpls[key] = t
	}
	return t
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// Stats returns the counters.
func (l *Listener) Stats() Stats {
	return Stats{Datagrams: l.datagrams.Load(), Flows: l.flows.Load(), Errors: l.errs.Load(),
		Drops: l.drops.Load(), KernelDrops: l.kernelDrops.Load(), NoAddress: l.noAddr.Load(), ReadBuffer: l.rbuf, Exporters: int(l.nexp.Load()), Refused: l.refused.Load()}
}

// Run reads and decodes until ctx ends; it closes the socket.
func (l *Listener) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range l.queue {
			l.decode(m)
		}
	}()
	go func() {
		<-ctx.Done()
		l.conn.Close()
	}()
	err := l.read()
	close(l.queue)
	<-done
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// decode decodes one datagram, handing its flows to the sink; only the
// decoding goroutine calls it.
func (l *Listener) decode(m *utils.Message) {
	if !l.admit(m.Src, m.Received) {
		l.refused.Add(1)
		return
	}
	if err := screen(m.Payload); err != nil {
		l.errs.Add(1)
		return
	}
	if err := l.pipe.DecodeFlow(m); err != nil {
		l.errs.Add(1)
	}
}

// admit reports whether datagrams from src, received at now, are
// decoded: those of at most lim.sources exporters (address and port).
// When that many are admitted, those not heard from for sourceIdle (an
// exporter restarted on another port, a spoofed source) are forgotten,
// once a second at most, to make room.
func (l *Listener) admit(src netip.AddrPort, now time.Time) bool {
	if _, ok := l.sources[src]; ok {
		l.sources[src] = now
		return true
	}
	if len(l.sources) >= l.lim.sources && now.Sub(l.swept) >= time.Second {
		l.swept = now
		l.forgetIdle(now)
	}
	if len(l.sources) >= l.lim.sources {
		return false
	}
	l.sources[src] = now
	return true
}

// sourceIdle is how long an admitted exporter may stay silent before it
// may be forgotten to make room for another (exporters send templates and
// flows every few seconds to minutes).
const sourceIdle = 15 * time.Minute

// forgetIdle forgets the sources idle for sourceIdle at now: their
// admission and template stores; the pipe is made again when as many were
// forgotten as may be admitted, and the exporters counted again.
func (l *Listener) forgetIdle(now time.Time) {
	for src, last := range l.sources {
		if now.Sub(last) < sourceIdle {
			continue
		}
		delete(l.sources, src)
		if t := l.tmpls[src.String()]; t != nil {
			// Emptied, but kept until the pipe is made again: goflow2's
			// pipe holds it too, and uses it if the source comes back.
			t.reset()
		}
		l.forgotten++
	}
	if l.forgotten >= l.lim.sources {
		if err := l.newPipe(); err != nil {
			return // the old pipe goes on
		}
		clear(l.exporters)
		for src := range l.sources {
			l.exporters[src.Addr().Unmap().String()] = true
		}
		l.nexp.Store(int64(len(l.exporters)))
	}
}

// maxDatagram is the largest UDP payload (an IPFIX message may take it
// all, RFC 7011; loopback and jumbo links carry such).
const maxDatagram = 65535

// read reads datagrams into the queue until the socket is closed. A full
// queue holds the reader back, so that a burst waits in the socket's
// receive buffer; what overflows that is dropped by the kernel, which
// counts it (Stats.KernelDrops).
func (l *Listener) read() error {
	buf, oob := make([]byte, maxDatagram), make([]byte, 64)
	counted := countKernelDrops(l.conn)
	for {
		n, oobn, _, src, err := l.conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("netflow: read: %w", err)
		}
		if counted {
			if d, ok := kernelDrops(oob[:oobn]); ok {
				l.kernelDrops.Store(uint64(d))
			}
		}
		l.datagrams.Add(1)
		l.queue <- &utils.Message{Src: src, Payload: append([]byte(nil), buf[:n]...), Received: time.Now()}
	}
}

// convert is a goflow2 producer that hands each flow to the sink. Only
// the decoding goroutine calls it.
type convert struct {
	inner producer.ProducerInterface
	l     *Listener
	// inits is each IPFIX observation domain's systemInitTimeMilliseconds
	// and rates its PSAMP sampling rate (from its options records).
	inits *domainTable
	rates *domainTable
}

func (c *convert) Produce(msg any, args *producer.ProduceArgs) ([]producer.ProducerMessage, error) {
	set, err := c.inner.Produce(msg, args)
	exporter := args.Src.Addr().Unmap().String()
	c.fixTimes(msg, exporter, set)
	clampFuture(set, exportNs(msg))
	c.fixSampling(msg, exporter, set)
	recordSampling(msg, set)
	if !c.l.exporters[exporter] {
		c.l.exporters[exporter] = true
		c.l.nexp.Add(1)
	}
	for _, m := range set {
		if fm, ok := m.(*protoproducer.ProtoProducerMessage); ok {
			if row, ok := toConn(fm); ok {
				c.l.flows.Add(1)
				c.l.sink(exporter, row)
			} else {
				c.l.noAddr.Add(1)
			}
		}
	}
	return set, err
}

// wrapNs is the period of the exporters' 32-bit millisecond uptime
// counters (about 49.7 days).
const wrapNs = uint64(1<<32) * 1e6

// fixTimes corrects the flow times goflow2 gets wrong or leaves out.
//
//   - NetFlow v9 gives times as the exporter's uptime (32-bit
//     milliseconds), and goflow2 subtracts them without modular
//     arithmetic: a flow that began before the counter wrapped (a router
//     up 49.7 days; softflowd replaying a capture older than its own
//     start) comes out 2^32 ms in the future. A flow cannot begin after
//     its export, so such times are taken back one period.
//   - IPFIX flowStartSysUpTime/flowEndSysUpTime (IEs 22, 21: what
//     softflowd and many routers send) are relative to the
//     systemInitTimeMilliseconds (IE 160) of the observation domain's
//     options records; goflow2 ignores them and dates the flow at export.
//     They are applied here; being 32-bit, they are known modulo the
//     wrap, and the latest time not after the export is taken.
//
// goflow2 makes one message per data record, in order; the records are
// matched to the messages by position.
func (c *convert) fixTimes(msg any, exporter string, set []producer.ProducerMessage) {
	switch p := msg.(type) {
	case *netflow.NFv9Packet:
		export := uint64(p.UnixSeconds) * 1e9
		for _, m := range set {
			if fm, ok := m.(*protoproducer.ProtoProducerMessage); ok {
				fm.TimeFlowStartNs = unwrap(fm.TimeFlowStartNs, export)
				fm.TimeFlowEndNs = unwrap(fm.TimeFlowEndNs, export)
			}
		}
	case *netflow.IPFIXPacket:
		for _, fs := range p.FlowSets {
			if od, ok := fs.(netflow.OptionsDataFlowSet); ok {
				for _, r := range od.Records {
					if v, ok := fieldUint(r.OptionsValues, 160); ok {
						c.inits.set(exporter, p.ObservationDomainId, v)
					}
				}
			}
		}
		init, ok := c.inits.get(exporter, p.ObservationDomainId)
		if !ok {
			return
		}
		export := uint64(p.ExportTime) * 1e9
		eachRecord(p.FlowSets, set, func(vals []netflow.DataField, fm *protoproducer.ProtoProducerMessage) {
			if hasAbsoluteTime(vals) {
				return
			}
			if v, ok := fieldUint(vals, 22); ok {
				fm.TimeFlowStartNs = latest((init+v)*1e6, export)
			}
			if v, ok := fieldUint(vals, 21); ok {
				fm.TimeFlowEndNs = latest((init+v)*1e6, export)
			}
		})
	}
}

// eachRecord calls f with each data record of a NetFlow v9 or IPFIX
// message's flow sets and the flow goflow2 made of it: goflow2 makes one
// message per data record, in order, so they are matched by position.
func eachRecord(sets []any, set []producer.ProducerMessage, f func([]netflow.DataField, *protoproducer.ProtoProducerMessage)) {
	i := 0
	for _, fs := range sets {
		ds, ok := fs.(netflow.DataFlowSet)
		if !ok {
			continue
		}
		for _, r := range ds.Records {
			if i >= len(set) {
				return
			}
			fm, ok := set[i].(*protoproducer.ProtoProducerMessage)
			i++
			if ok {
				f(r.Values, fm)
			}
		}
	}
}

// fixSampling corrects the sampling rate of IPFIX exporters that
// describe systematic count-based sampling the PSAMP way (RFC 5476):
// samplingPacketInterval (IE 305) packets selected, then
// samplingPacketSpace (IE 306) skipped — softflowd -s N sends 1 and N-1.
// goflow2 takes the interval alone as the rate (1: unsampled); the rate
// is (interval + space) / interval, computed as 1 + space/interval (the
// same, without overflow).
func (c *convert) fixSampling(msg any, exporter string, set []producer.ProducerMessage) {
	p, ok := msg.(*netflow.IPFIXPacket)
	if !ok {
		return
	}
	for _, fs := range p.FlowSets {
		od, ok := fs.(netflow.OptionsDataFlowSet)
		if !ok {
			continue
		}
		for _, r := range od.Records {
			interval, ok1 := fieldUint(r.OptionsValues, 305)
			space, ok2 := fieldUint(r.OptionsValues, 306)
			if ok1 && ok2 && interval > 0 {
				c.rates.set(exporter, p.ObservationDomainId, 1+space/interval)
			}
		}
	}
	rate, ok := c.rates.get(exporter, p.ObservationDomainId)
	if !ok {
		return
	}
	for _, m := range set {
		if fm, ok := m.(*protoproducer.ProtoProducerMessage); ok {
			fm.SamplingRate = rate
		}
	}
}

// exportNs is the export time of a NetFlow v5/v9 or IPFIX message (ns
// since the epoch), 0 for others (sFlow has none).
func exportNs(msg any) uint64 {
	switch p := msg.(type) {
	case *netflowlegacy.PacketNetFlowV5:
		return uint64(p.UnixSecs)*1e9 + uint64(p.UnixNSecs)
	case *netflow.NFv9Packet:
		return uint64(p.UnixSeconds) * 1e9
	case *netflow.IPFIXPacket:
		return uint64(p.ExportTime) * 1e9
	}
	return 0
}

// clampFuture brings the flows that end after their export (or, where
// earlier, their reception) back to it: a flow cannot end after it was
// exported, and one dated in the future (an exporter's wrong clock, a
// hostile datagram) would become the store's newest record, from which
// every window of the dashboard counts back.
func clampFuture(set []producer.ProducerMessage, export uint64) {
	for _, m := range set {
		fm, ok := m.(*protoproducer.ProtoProducerMessage)
		if !ok {
			continue
		}
		limit := fm.TimeReceivedNs
		if export > 0 && (limit == 0 || export < limit) {
			limit = export
		}
		if limit == 0 {
			continue
		}
		if fm.TimeFlowEndNs > limit+slack {
			fm.TimeFlowEndNs = limit
		}
		if fm.TimeFlowStartNs > fm.TimeFlowEndNs && fm.TimeFlowEndNs != 0 {
			fm.TimeFlowStartNs = fm.TimeFlowEndNs
		}
		if fm.TimeFlowStartNs > limit+slack {
			fm.TimeFlowStartNs = limit
		}
	}
}

// recordSampling applies a sampling rate carried in the data records
// themselves (samplingInterval, IE 34, or samplerRandomInterval, IE 50:
// many routers and nProbe send it so, where others use options records)
// to each record's flow.
func recordSampling(msg any, set []producer.ProducerMessage) {
	var sets []any
	switch p := msg.(type) {
	case *netflow.NFv9Packet:
		sets = p.FlowSets
	case *netflow.IPFIXPacket:
		sets = p.FlowSets
	default:
		return
	}
	eachRecord(sets, set, func(vals []netflow.DataField, fm *protoproducer.ProtoProducerMessage) {
		rate, ok := fieldUint(vals, 34)
		if !ok || rate == 0 {
			rate, ok = fieldUint(vals, 50)
		}
		if ok && rate > 1 {
			fm.SamplingRate = rate
		}
	})
}

// slack is how far a flow time may lie after the export time (export
// times are whole seconds).
const slack = 1e9

// unwrap takes a time that lies after the export time by about one
// uptime-counter period back by that period.
func unwrap(t, export uint64) uint64 {
	if t > export+slack && t-export <= wrapNs+slack {
		return t - wrapNs
	}
	return t
}

// latest returns the latest time t + k·wrap (k any integer) not after the
// export time: a time known modulo the uptime counter's period.
func latest(t, export uint64) uint64 {
	if t > export+slack {
		// The fewest periods that take t back to the export or before
		// (a ceiling division written so as not to overflow).
		k := (t-export-slack-1)/wrapNs + 1
		if k > t/wrapNs {
			return t
		}
		return t - k*wrapNs
	}
	return t + (export+slack-t)/wrapNs*wrapNs
}

// hasAbsoluteTime reports whether a record carries flow times that are
// not relative to the exporter's uptime (IEs 150–159).
func hasAbsoluteTime(vals []netflow.DataField) bool {
	for _, f := range vals {
		if !f.PenProvided && f.Type >= 150 && f.Type <= 159 {
			return true
		}
	}
	return false
}

// fieldUint returns the unsigned value of the IANA field typ.
func fieldUint(vals []netflow.DataField, typ uint16) (uint64, bool) {
	for _, f := range vals {
		if f.PenProvided || f.Type != typ {
			continue
		}
		b, ok := f.Value.([]byte)
		if !ok || len(b) == 0 || len(b) > 8 {
			return 0, false
		}
		var v uint64
		for _, x := range b {
			v = v<<8 | uint64(x)
		}
		return v, true
	}
	return 0, false
}

func (c *convert) Commit(set []producer.ProducerMessage) { c.inner.Commit(set) }
func (c *convert) Close()                                { c.inner.Close() }

// protoNames maps IP protocol numbers to conn.log's proto names.
var protoNames = map[uint32]string{6: "tcp", 17: "udp", 1: "icmp", 58: "icmp", 132: "sctp", 47: "gre", 50: "esp", 51: "ah"}

// toConn converts a decoded flow; it reports false for flows without
// addresses, or whose addresses are not of one IP version (a hostile
// template can carry an IPv4 source and an IPv6 destination). A flow that
// ends before it starts gets duration 0; counts scaled by the sampling
// rate stop at maxFlowCount.
func toConn(m *protoproducer.ProtoProducerMessage) (store.Conn, bool) {
	src, ok1 := netip.AddrFromSlice(m.SrcAddr)
	dst, ok2 := netip.AddrFromSlice(m.DstAddr)
	if !ok1 || !ok2 {
		return store.Conn{}, false
	}
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() {
		return store.Conn{}, false
	}
	scale := max(m.SamplingRate, 1)
	start, end := float64(m.TimeFlowStartNs)/1e9, float64(m.TimeFlowEndNs)/1e9
	if start == 0 {
		start = float64(m.TimeReceivedNs) / 1e9
	}
	proto, ok := protoNames[m.Proto]
	if !ok {
		proto = "unknown_transport"
	}
	c := store.Conn{TS: start, Duration: max(end-start, 0), OrigH: src.String(), RespH: dst.String(),
		OrigP: uint16(m.SrcPort), RespP: uint16(m.DstPort), Proto: proto,
		OrigBytes: scaled(m.Bytes, scale), OrigIPBytes: scaled(m.Bytes, scale), OrigPkts: scaled(m.Packets, scale)}
	if m.Proto == 1 || m.Proto == 58 {
		c.OrigP, c.RespP = uint16(m.IcmpType), uint16(m.IcmpCode)
		if m.IcmpType == 0 && m.IcmpCode == 0 && m.DstPort != 0 {
			// NetFlow v5 (and v9 without ICMP_TYPE) carries the type and
			// code in the destination port: type<<8 | code.
			c.OrigP, c.RespP = uint16(m.DstPort>>8), uint16(m.DstPort&0xff)
		}
	}
	c.IPv = 4
	if src.Is6() {
		c.IPv = 6
	}
	c.UID = flowUID(&c, m.SamplerAddress)
	return c, true
}

// maxFlowCount bounds a flow's bytes and packets once scaled by its
// sampling rate (2^44: 17.6 TB in one record, far past any real flow), so
// that the store's sums of a hostile exporter's counts (up to 64 bits,
// rates too) stay within 64 bits over millions of records.
const maxFlowCount = 1 << 44

// scaled is n·rate, at most maxFlowCount.
func scaled(n, rate uint64) int64 {
	hi, lo := bits.Mul64(n, rate)
	if hi != 0 || lo > maxFlowCount {
		return maxFlowCount
	}
	return int64(lo)
}

// flowUID is a deterministic id for a flow record ("F" and a hash of its
// key, start and exporter).
func flowUID(c *store.Conn, exporter []byte) string {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(c.TS*1e6))
	h.Write(b[:])
	h.Write([]byte(c.OrigH + "|" + c.RespH + "|" + c.Proto))
	binary.LittleEndian.PutUint32(b[:], uint32(c.OrigP)<<16|uint32(c.RespP))
	h.Write(b[:4])
	h.Write(exporter)
	return "F" + strconv.FormatUint(h.Sum64(), 36)
}
