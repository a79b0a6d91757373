package http

import (
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"sort"
	"testing"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/proto"
)

// Test-only driver: reads a capture, groups TCP packets by connection,
// reassembles each side in sequence order and feeds an Analyzer, the way
// the flow stage will.

type collect struct{ recs []map[string]any }

func (c *collect) Record(log string, line []byte) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		panic("bad JSON from analyzer: " + err.Error() + ": " + string(line))
	}
	c.recs = append(c.recs, m)
}

type tcpSide struct {
	init  bool
	next  uint32
	stash map[uint32][]byte
	fin   bool
}

type tconn struct {
	key     [2]netip.AddrPort // orig, resp
	an      *Analyzer
	sides   [2]tcpSide
	lastTS  int64
	skip    bool
	started bool
	decided bool // whether the connection is known to be HTTP
}

func pairKey(a, b netip.AddrPort) [2]netip.AddrPort {
	if a.Addr().Less(b.Addr()) || a.Addr() == b.Addr() && a.Port() < b.Port() {
		return [2]netip.AddrPort{a, b}
	}
	return [2]netip.AddrPort{b, a}
}

func (c *tconn) deliver(d proto.Direction, ts int64, seq uint32, p []byte) {
	s := &c.sides[d]
	if !s.init {
		s.init = true
		s.next = seq
	}
	off := int32(seq - s.next)
	if off < 0 {
		if int(-off) >= len(p) {
			return // duplicate
		}
		p = p[-off:]
		off = 0
	}
	if off > 0 {
		if s.stash == nil {
			s.stash = map[uint32][]byte{}
		}
		if len(s.stash) < 4096 {
			if _, ok := s.stash[seq]; !ok {
				s.stash[seq] = append([]byte(nil), p...)
			}
		}
		return
	}
	c.an.Data(d, ts, p)
	s.next += uint32(len(p))
	for len(s.stash) > 0 {
		progressed := false
		for sq, q := range s.stash {
			o := int32(sq - s.next)
			if o > 0 {
				continue
			}
			delete(s.stash, sq)
			if int(-o) < len(q) {
				c.an.Data(d, ts, q[-o:])
				s.next += uint32(len(q) + int(o))
			}
			progressed = true
		}
		if !progressed {
			break
		}
	}
}

func (c *tconn) finish() {
	for d := proto.Direction(0); d < 2; d++ {
		s := &c.sides[d]
		for len(s.stash) > 0 {
			var seqs []uint32
			for sq := range s.stash {
				seqs = append(seqs, sq)
			}
			sort.Slice(seqs, func(i, j int) bool { return int32(seqs[i]-s.next) < int32(seqs[j]-s.next) })
			gap := int32(seqs[0] - s.next)
			if gap > 0 {
				c.an.Gap(d, int(gap))
				s.next = seqs[0]
			}
			q := s.stash[seqs[0]]
			delete(s.stash, seqs[0])
			c.deliver(d, c.lastTS, seqs[0], q)
		}
	}
	c.an.End(c.lastTS)
}

// runCapture feeds every HTTP-looking TCP connection of path to an
// Analyzer and returns the records.
func runCapture(t testing.TB, path string) []map[string]any {
	src, err := capture.Open([]string{path})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.DefaultConfig())
	out := &collect{}
	conns := map[[2]netip.AddrPort]*tconn{}
	var order []*tconn
	var f capture.Frame
	var p decode.Packet
	for {
		if err := src.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: %v", path, err)
			}
			break
		}
		p.Reset()
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		ip := &p.IP
		if ip.Version == 0 || ip.Proto != 6 || !ip.HasL4 || p.Frag.IsFragment {
			continue
		}
		src := netip.AddrPortFrom(ip.Src, ip.SrcPort)
		dst := netip.AddrPortFrom(ip.Dst, ip.DstPort)
		k := pairKey(src, dst)
		c := conns[k]
		const syn, ack, fin, rst = 0x02, 0x10, 0x01, 0x04
		if c != nil && c.started && ip.TCPFlags&syn != 0 && ip.TCPFlags&ack == 0 && src == c.key[0] {
			// A new SYN on an ended connection: port reuse.
			if c.sides[0].fin || c.sides[1].fin {
				c.finish()
				delete(conns, k)
				c = nil
			}
		}
		if c == nil {
			c = &tconn{}
			switch {
			case ip.TCPFlags&syn != 0 && ip.TCPFlags&ack == 0:
				c.key = [2]netip.AddrPort{src, dst}
			case ip.TCPFlags&syn != 0:
				c.key = [2]netip.AddrPort{dst, src}
			default:
				c.key = [2]netip.AddrPort{src, dst}
				c.skip = true // partial: Zeek's HTTP analyzer ignores it
			}
			ci := &proto.ConnInfo{UID: "C", TS: f.TS, OrigH: c.key[0].Addr(), OrigP: c.key[0].Port(),
				RespH: c.key[1].Addr(), RespP: c.key[1].Port(), Transport: 6}
			c.an = New(ci, out)
			conns[k] = c
			order = append(order, c)
		}
		c.lastTS = f.TS
		if c.skip {
			continue
		}
		d := proto.FromOrig
		if src != c.key[0] {
			d = proto.FromResp
		}
		s := &c.sides[d]
		seq := ip.Seq
		if ip.TCPFlags&syn != 0 {
			s.init = true
			s.next = seq + 1
			c.started = true
			seq++ // TCP Fast Open: data in the SYN follows its sequence number
		}
		pl := p.Payload
		if len(pl) > ip.L4Len {
			pl = pl[:ip.L4Len]
		}
		if len(pl) > 0 && !c.decided {
			// Zeek runs HTTP on its ports and where DPD finds HTTP.
			c.decided = Detect(d, pl, c.key[1].Port(), 6) >= proto.Likely
			for _, pt := range Ports {
				if pt == c.key[1].Port() {
					c.decided = true
				}
			}
			if !c.decided {
				c.skip = true
				continue
			}
		}
		if len(pl) > 0 {
			c.deliver(d, f.TS, seq, pl)
		}
		if ip.TCPFlags&(fin|rst) != 0 {
			s.fin = true
		}
	}
	for _, c := range order {
		if conns[c.key0()] == c {
			c.finish()
		}
	}
	return out.recs
}

func (c *tconn) key0() [2]netip.AddrPort { return pairKey(c.key[0], c.key[1]) }
