package dns

import (
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/defrag"
	"github.com/vigil-nsm/vigil/internal/proto"
)

// collect is a Sink that keeps copies of the lines.
type collect struct{ lines [][]byte }

func (c *collect) Record(log string, line []byte) {
	if log != "dns" {
		panic("unexpected log " + log)
	}
	c.lines = append(c.lines, append([]byte(nil), line...))
}

func (c *collect) maps(t testing.TB) []map[string]any {
	t.Helper()
	out := make([]map[string]any, 0, len(c.lines))
	for _, l := range c.lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("invalid JSON %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

type tkey struct {
	a, b  netip.AddrPort
	proto uint8
}

type tconn struct {
	ci       proto.ConnInfo
	an       *Analyzer
	orig     netip.AddrPort
	next     [2]uint32
	haveNext [2]bool
}

func isDNSPort(p uint16) bool { return p == 53 || p == 137 || p == 5353 || p == 5355 }

// runTrace (checksums: drop packets whose transport checksum is bad, as
// Zeek does without -C) feeds every UDP and TCP connection of the capture that touches
// a DNS port to an Analyzer (the way the pipeline will once integrated)
// and returns the records.
func runTrace(t testing.TB, path string, checksums bool) []map[string]any {
	t.Helper()
	src, err := capture.Open([]string{path})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.DefaultConfig())
	re, err := defrag.New(defrag.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	sink := &collect{}
	conns := map[tkey]*tconn{}
	var order []*tconn
	var f capture.Frame
	var p decode.Packet
	var last int64
	for {
		if err := src.Next(&f); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Logf("%s: %v", path, err)
			break
		}
		dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
		for depth := 0; p.Frag.IsFragment && depth < 3; depth++ {
			data := re.Add(&p)
			if data == nil {
				break
			}
			dec.DecodeIP(data, &p)
		}
		if p.Frag.IsFragment || p.IP.Version == 0 || !p.IP.HasL4 {
			continue
		}
		last = p.TS
		ip := &p.IP
		if ip.Proto != 6 && ip.Proto != 17 {
			continue
		}
		// Zeek (without -C) ignores packets with a bad transport checksum.
		if checksums && len(p.IPRaw) >= ip.IPLen && ip.IPLen > ip.HeaderLen && !decode.DatagramChecksumOK(ip, p.IPRaw) {
			continue
		}
		if !isDNSPort(ip.SrcPort) && !isDNSPort(ip.DstPort) {
			continue
		}
		s := netip.AddrPortFrom(ip.Src, ip.SrcPort)
		d := netip.AddrPortFrom(ip.Dst, ip.DstPort)
		k := tkey{s, d, ip.Proto}
		if s.Addr().Less(d.Addr()) || s.Addr() == d.Addr() && s.Port() < d.Port() {
			k = tkey{d, s, ip.Proto}
		}
		c := conns[k]
		if c == nil {
			orig, resp := s, d
			if isDNSPort(s.Port()) && !isDNSPort(d.Port()) && !d.Addr().IsMulticast() {
				orig, resp = d, s
			}
			c = &tconn{orig: orig}
			c.ci = proto.ConnInfo{UID: "C1", TS: p.TS, OrigH: orig.Addr(), OrigP: orig.Port(),
				RespH: resp.Addr(), RespP: resp.Port(), Transport: ip.Proto}
			c.an = New(&c.ci, sink)
			conns[k] = c
			order = append(order, c)
		}
		dir := proto.FromOrig
		if s != c.orig {
			dir = proto.FromResp
		}
		pl := p.Payload
		if ip.Proto == 17 {
			c.an.Data(dir, p.TS, pl)
			continue
		}
		// TCP: deliver new bytes in sequence order (no reordering).
		seq := ip.Seq
		if ip.TCPFlags&0x02 != 0 {
			seq++
		}
		if len(pl) == 0 {
			if ip.TCPFlags&0x02 != 0 {
				c.next[dir], c.haveNext[dir] = seq, true
			}
			continue
		}
		if c.haveNext[dir] {
			diff := int32(c.next[dir] - seq)
			if diff > 0 {
				if int(diff) >= len(pl) {
					continue
				}
				pl = pl[diff:]
				seq += uint32(diff)
			} else if diff < 0 {
				c.an.Gap(dir, int(-diff))
			}
		}
		c.an.Data(dir, p.TS, pl)
		c.next[dir], c.haveNext[dir] = seq+uint32(len(pl)), true
	}
	for _, c := range order {
		c.an.End(last)
	}
	return sink.maps(t)
}
