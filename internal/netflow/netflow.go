// Package netflow receives NetFlow v5/v9, IPFIX and sFlow on UDP and turns
// each flow into a conn-like row (store.Conn): addresses, ports,
// protocol, bytes and packets (scaled by the sampling rate), start and
// duration. Decoding is goflow2's (github.com/netsampler/goflow2/v2:
// templates per exporter, the protobuf producer's field mapping); this
// package owns the socket, the queue and the conversion.
//
// One goroutine reads the socket (its receive buffer enlarged, 32 MiB by
// default, so bursts wait in the kernel rather than being dropped) into a
// bounded queue; one goroutine decodes. A full queue drops the datagram
// and counts it.
package netflow

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

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
	Datagrams  uint64 `json:"datagrams"`
	Flows      uint64 `json:"flows"`
	Errors     uint64 `json:"decode_errors"`
	Drops      uint64 `json:"queue_drops"`
	ReadBuffer int    `json:"read_buffer"`
	Exporters  int    `json:"exporters"`
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

	datagrams, flows, errs, drops atomic.Uint64
	exporters                     map[string]bool
	nexp                          atomic.Int64
	rbuf                          int
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
	l := &Listener{cfg: cfg, conn: conn, sink: sink, queue: make(chan *utils.Message, cfg.Queue),
		exporters: map[string]bool{}, rbuf: readBuffer(conn)}
	pcfg, err := (&protoproducer.ProducerConfig{}).Compile()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("netflow: producer: %w", err)
	}
	inner, err := protoproducer.CreateProtoProducer(pcfg, protoproducer.CreateSamplingSystem)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("netflow: producer: %w", err)
	}
	l.pipe = utils.NewFlowPipe(&utils.PipeConfig{Producer: &convert{inner: inner, l: l}})
	return l, nil
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// Stats returns the counters.
func (l *Listener) Stats() Stats {
	return Stats{Datagrams: l.datagrams.Load(), Flows: l.flows.Load(), Errors: l.errs.Load(),
		Drops: l.drops.Load(), ReadBuffer: l.rbuf, Exporters: int(l.nexp.Load())}
}

// Run reads and decodes until ctx ends; it closes the socket.
func (l *Listener) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range l.queue {
			if err := l.pipe.DecodeFlow(m); err != nil {
				l.errs.Add(1)
			}
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

func (l *Listener) read() error {
	for {
		buf := make([]byte, 9000)
		n, src, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("netflow: read: %w", err)
		}
		l.datagrams.Add(1)
		m := &utils.Message{Src: src, Payload: buf[:n], Received: time.Now()}
		select {
		case l.queue <- m:
		default:
			l.drops.Add(1)
		}
	}
}

// convert is a goflow2 producer that hands each flow to the sink.
type convert struct {
	inner producer.ProducerInterface
	l     *Listener
}

func (c *convert) Produce(msg any, args *producer.ProduceArgs) ([]producer.ProducerMessage, error) {
	set, err := c.inner.Produce(msg, args)
	exporter := args.Src.Addr().Unmap().String()
	if !c.l.exporters[exporter] {
		c.l.exporters[exporter] = true
		c.l.nexp.Add(1)
	}
	for _, m := range set {
		if fm, ok := m.(*protoproducer.ProtoProducerMessage); ok {
			if row, ok := toConn(fm); ok {
				c.l.flows.Add(1)
				c.l.sink(exporter, row)
			}
		}
	}
	return set, err
}

func (c *convert) Commit(set []producer.ProducerMessage) { c.inner.Commit(set) }
func (c *convert) Close()                                { c.inner.Close() }

// protoNames maps IP protocol numbers to conn.log's proto names.
var protoNames = map[uint32]string{6: "tcp", 17: "udp", 1: "icmp", 58: "icmp", 132: "sctp", 47: "gre", 50: "esp", 51: "ah"}

// toConn converts a decoded flow; it reports false for flows without
// addresses.
func toConn(m *protoproducer.ProtoProducerMessage) (store.Conn, bool) {
	src, ok1 := netip.AddrFromSlice(m.SrcAddr)
	dst, ok2 := netip.AddrFromSlice(m.DstAddr)
	if !ok1 || !ok2 {
		return store.Conn{}, false
	}
	src, dst = src.Unmap(), dst.Unmap()
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
		OrigBytes: int64(m.Bytes * scale), OrigIPBytes: int64(m.Bytes * scale), OrigPkts: int64(m.Packets * scale)}
	if m.Proto == 1 || m.Proto == 58 {
		c.OrigP, c.RespP = uint16(m.IcmpType), uint16(m.IcmpCode)
	}
	c.IPv = 4
	if src.Is6() {
		c.IPv = 6
	}
	c.UID = flowUID(&c, m.SamplerAddress)
	return c, true
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
