package flow

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

// sink collects emitted records (copying them, as the contract requires).
type sink struct {
	conns  []record.Conn
	weirds []record.Weird
}

func (s *sink) Conn(c *record.Conn) {
	cp := *c
	cp.UID = strings.Clone(c.UID)
	cp.History = strings.Clone(c.History)
	cp.CommunityID = strings.Clone(c.CommunityID)
	cp.TunnelParents = nil
	for _, p := range c.TunnelParents {
		cp.TunnelParents = append(cp.TunnelParents, strings.Clone(p))
	}
	s.conns = append(s.conns, cp)
}

func (s *sink) Weird(w *record.Weird) {
	cp := *w
	cp.Addl = strings.Clone(w.Addl)
	s.weirds = append(s.weirds, cp)
}

// Flag shorthands.
const (
	S  = decode.TCPSyn
	A  = decode.TCPAck
	F  = decode.TCPFin
	R  = decode.TCPRst
	P  = decode.TCPPsh
	SA = S | A
	FA = F | A
	RA = R | A
	PA = P | A
)

type ep struct {
	addr netip.Addr
	port uint16
}

func mkep(s string) ep {
	ap := netip.MustParseAddrPort(s)
	return ep{ap.Addr(), ap.Port()}
}

func tcp(src, dst string, flags uint8, seq, ack uint32, n int) *decode.Datagram {
	s, d := mkep(src), mkep(dst)
	ver := uint8(4)
	hl := 20
	if s.addr.Is6() {
		ver, hl = 6, 40
	}
	return &decode.Datagram{Version: ver, Src: s.addr, Dst: d.addr, Proto: decode.ProtoTCP,
		SrcPort: s.port, DstPort: d.port, TCPFlags: flags, Seq: seq, Ack: ack, Window: 1000,
		IPLen: hl + 20 + n, HeaderLen: hl, L4Len: n, HasL4: true}
}

func udp(src, dst string, n int) *decode.Datagram {
	s, d := mkep(src), mkep(dst)
	return &decode.Datagram{Version: 4, Src: s.addr, Dst: d.addr, Proto: decode.ProtoUDP,
		SrcPort: s.port, DstPort: d.port, IPLen: 28 + n, HeaderLen: 20, L4Len: n, HasL4: true}
}

func icmp(src, dst string, typ, code uint8, n int) *decode.Datagram {
	return &decode.Datagram{Version: 4, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
		Proto: decode.ProtoICMP, ICMPType: typ, ICMPCode: code, IPLen: 28 + n, HeaderLen: 20, L4Len: n, HasL4: true}
}

const sec = int64(time.Second)
const base = int64(1_600_000_000) * sec

type step struct {
	at int64 // offset from base, ns
	d  *decode.Datagram
}

func newTable(t testing.TB, cfg Config) (*Table, *sink) {
	t.Helper()
	s := &sink{}
	tb, err := NewTable(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	return tb, s
}

func run(t testing.TB, steps []step) []record.Conn {
	t.Helper()
	tb, s := newTable(t, DefaultConfig())
	for _, st := range steps {
		tb.Update(&Input{TS: base + st.at, D: st.d})
	}
	tb.Flush()
	return s.conns
}

func ms(n int64) int64 { return n * int64(time.Millisecond) }

// makeKey returns the key k.set builds.
func makeKey(src, dst addr, sp, dp uint16, proto uint8, flags uint64) key {
	var k key
	k.set(src, dst, sp, dp, proto, flags)
	return k
}
