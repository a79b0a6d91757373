package tls

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"testing"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/proto"
)

// memSink keeps records as decoded JSON objects.
type memSink struct {
	logs map[string][]map[string]any
	raw  map[string][]string
}

func newMemSink() *memSink {
	return &memSink{logs: map[string][]map[string]any{}, raw: map[string][]string{}}
}

func (m *memSink) Record(log string, line []byte) {
	var v map[string]any
	if err := json.Unmarshal(line, &v); err != nil {
		panic(fmt.Sprintf("invalid JSON from %s: %v: %s", log, err, line))
	}
	m.logs[log] = append(m.logs[log], v)
	m.raw[log] = append(m.raw[log], string(line))
}

type connKey struct {
	a, b   netip.Addr
	pa, pb uint16
}

// stream is a test-only in-order assembler for one side of a connection.
type stream struct {
	init    bool
	next    uint32
	pending map[uint32][]byte
}

type tconn struct {
	ci      proto.ConnInfo
	an      *Analyzer
	origA   netip.Addr
	origP   uint16
	side    [2]stream
	decided bool
	skip    bool
	order   int
}

func seqLess(a, b uint32) bool { return int32(a-b) < 0 }

// deliver feeds in-order bytes of one side to the analyzer.
func (c *tconn) deliver(dir proto.Direction, ts int64, syn bool, seq uint32, payload []byte) {
	s := &c.side[dir]
	if syn {
		s.init, s.next = true, seq+1
		return
	}
	if len(payload) == 0 {
		return
	}
	if !s.init {
		s.init, s.next = true, seq
	}
	if seqLess(s.next, seq) {
		if s.pending == nil {
			s.pending = map[uint32][]byte{}
		}
		if len(s.pending) < 4096 {
			if old, ok := s.pending[seq]; !ok || len(old) < len(payload) {
				s.pending[seq] = append([]byte(nil), payload...)
			}
		}
		return
	}
	c.feed(dir, ts, seq, payload)
	for len(s.pending) > 0 {
		progressed := false
		for sq, p := range s.pending {
			if !seqLess(s.next, sq) {
				delete(s.pending, sq)
				c.feed(dir, ts, sq, p)
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
}

func (c *tconn) feed(dir proto.Direction, ts int64, seq uint32, p []byte) {
	s := &c.side[dir]
	off := s.next - seq
	if int64(off) >= int64(len(p)) {
		return // retransmission
	}
	p = p[off:]
	s.next += uint32(len(p))
	if !c.decided {
		if dir != proto.FromOrig {
			// responder spoke first: still try (server-first protocols
			// are not TLS; Detect decides on the first orig bytes).
		}
		c.decided = true
		conf := Detect(dir, p, c.ci.RespP, 6)
		if conf < proto.Likely {
			c.skip = true
		}
	}
	if !c.skip {
		c.an.Data(dir, ts, p)
	}
}

// runTrace runs the analyzer over every TCP connection of a capture.
func runTrace(t testing.TB, path string) *memSink {
	t.Helper()
	src, err := capture.Open([]string{path})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	sink := newMemSink()
	shared := proto.NewShared()
	dec := decode.NewDecoder(decode.DefaultConfig())
	conns := map[connKey]*tconn{}
	var order []*tconn
	var f capture.Frame
	var p decode.Packet
	var lastTS int64
	for {
		err := src.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break
		}
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		lastTS = f.TS
		ip := &p.IP
		if ip.Proto != decode.ProtoTCP || !ip.HasL4 || p.Frag.IsFragment {
			continue
		}
		k := connKey{ip.Src, ip.Dst, ip.SrcPort, ip.DstPort}
		if k.b.Less(k.a) || k.a == k.b && k.pb < k.pa {
			k = connKey{k.b, k.a, k.pb, k.pa}
		}
		c := conns[k]
		syn := ip.TCPFlags&decode.TCPSyn != 0
		if c == nil {
			c = &tconn{order: len(order)}
			origSrc := true
			if syn && ip.TCPFlags&decode.TCPAck != 0 {
				origSrc = false // SYN-ACK first: the destination originated
			} else if !syn && ip.DstPort > ip.SrcPort && ip.DstPort >= 1024 && ip.SrcPort < 1024 {
				origSrc = false
			}
			if origSrc {
				c.ci = proto.ConnInfo{UID: fmt.Sprintf("C%d", len(order)), TS: f.TS, OrigH: ip.Src, RespH: ip.Dst, OrigP: ip.SrcPort, RespP: ip.DstPort, Transport: 6, Shared: shared}
			} else {
				c.ci = proto.ConnInfo{UID: fmt.Sprintf("C%d", len(order)), TS: f.TS, OrigH: ip.Dst, RespH: ip.Src, OrigP: ip.DstPort, RespP: ip.SrcPort, Transport: 6, Shared: shared}
			}
			c.an = New(&c.ci, sink)
			conns[k] = c
			order = append(order, c)
		}
		dir := proto.FromOrig
		if ip.Src != c.ci.OrigH || ip.SrcPort != c.ci.OrigP {
			dir = proto.FromResp
		}
		c.deliver(dir, f.TS, syn, ip.Seq, p.Payload)
	}
	sort.Slice(order, func(i, j int) bool { return order[i].order < order[j].order })
	for _, c := range order {
		c.an.End(lastTS)
	}
	return sink
}

// key of an ssl record for matching with baselines.
func recKey(m map[string]any) string {
	return fmt.Sprintf("%v|%v|%v|%v", m["id.orig_h"], m["id.orig_p"], m["id.resp_h"], m["id.resp_p"])
}
