package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func smallConfig(seed int64) Config {
	c := DefaultConfig()
	c.Seed = seed
	c.Packets = 60000
	c.Flows = 6000
	return c
}

func render(t testing.TB, cfg Config) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Write(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func TestDeterministic(t *testing.T) {
	cfg := smallConfig(42)
	cfg.Packets, cfg.Flows = 30000, 3000
	a, sa := render(t, cfg)
	b, sb := render(t, cfg)
	ha, hb := sha256.Sum256(a), sha256.Sum256(b)
	if ha != hb || sa != sb {
		t.Fatalf("same seed, different output: %x %v vs %x %v", ha[:8], sa, hb[:8], sb)
	}
	cfg.Seed = 43
	c, _ := render(t, cfg)
	if sha256.Sum256(c) == ha {
		t.Fatal("different seeds gave identical output")
	}
	t.Logf("seed 42: %d packets, sha256 %s", sa.Packets, hex.EncodeToString(ha[:8]))
}

func TestConfig(t *testing.T) {
	for _, c := range []Config{
		{IPv6Share: math.NaN()},
		{IPv6Share: 1.5},
		{Packets: -1},
		{Duration: -time.Second},
	} {
		if _, err := Write(io.Discard, c); err == nil {
			t.Errorf("%+v: want an error", c)
		}
	}
	// Zero values take the defaults (but IPv6Share is used as given).
	c := Config{Seed: 3, Packets: 5000}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	if c.Flows != 500 || c.Duration != 10*time.Minute || !c.Start.Equal(DefaultConfig().Start) {
		t.Errorf("defaults not applied: %+v", c)
	}
	// Too many flows for the packets are lowered.
	c = Config{Packets: 100, Flows: 1000}
	_ = c.normalize()
	if c.Flows != 12 {
		t.Errorf("flows = %d, want 12", c.Flows)
	}
}

// ---------------------------------------------------------------------------
// A small test-only parser of what Write produces.

type tally struct {
	t *testing.T

	packets, bytes        int
	v4, v6, vlan          int
	vxlan, sixin4         int
	frags, reassembled    int
	syn, synack, fin, rst int
	rejRST                int
	http, tls, ssh        int
	dnsQ, dnsR, dnsAnswer int
	ntp, oneway           int
	echoReq, echoRep      int
	echo6Req, echo6Rep    int
	ns, na                int
	pureAck               int
	badSeq, badAck        int
	v6Flows, flows        int

	names map[string]bool
	conns map[string]*conn
	frag  map[string][]byte
}

type conn struct {
	next    [2]uint32
	known   [2]bool
	synAck  bool
	rst     bool
	dataDir [2]bool
}

func newTally(t *testing.T) *tally {
	return &tally{t: t, names: map[string]bool{}, conns: map[string]*conn{}, frag: map[string][]byte{}}
}

func csum(b []byte, s uint64) uint16 { return fold(sum(s, b)) }

func (ty *tally) parsePcap(data []byte) {
	t := ty.t
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b23c4d {
		t.Fatalf("not a little-endian nanosecond pcap")
	}
	if lt := binary.LittleEndian.Uint32(data[20:]); lt != 1 {
		t.Fatalf("link type %d", lt)
	}
	var last int64
	p := data[24:]
	for len(p) > 0 {
		if len(p) < 16 {
			t.Fatal("truncated record header")
		}
		ts := int64(binary.LittleEndian.Uint32(p))*1e9 + int64(binary.LittleEndian.Uint32(p[4:]))
		cl, ol := int(binary.LittleEndian.Uint32(p[8:])), int(binary.LittleEndian.Uint32(p[12:]))
		if cl != ol || cl > SnapLen || len(p) < 16+cl {
			t.Fatalf("bad record lengths %d/%d", cl, ol)
		}
		if ts < last {
			t.Fatalf("packet %d: time goes back %d -> %d", ty.packets, last, ts)
		}
		last = ts
		ty.packets++
		ty.bytes += cl
		ty.eth(p[16:16+cl], false)
		p = p[16+cl:]
	}
}

func (ty *tally) eth(f []byte, inner bool) {
	if len(f) < 14 {
		ty.t.Fatalf("short frame")
	}
	et := binary.BigEndian.Uint16(f[12:])
	f = f[14:]
	if et == ethVLAN {
		ty.vlan++
		et = binary.BigEndian.Uint16(f[2:])
		f = f[4:]
	}
	switch et {
	case ethIPv4:
		ty.ipv4(f, inner)
	case ethIPv6:
		ty.ipv6(f, inner)
	default:
		ty.t.Fatalf("ethertype %#x", et)
	}
}

func (ty *tally) ipv4(b []byte, inner bool) {
	t := ty.t
	if b[0] != 0x45 {
		t.Fatalf("IPv4 version/IHL %#x", b[0])
	}
	if csum(b[:20], 0) != 0 {
		t.Fatalf("bad IPv4 header checksum")
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total != len(b) {
		t.Fatalf("IPv4 total length %d, have %d", total, len(b))
	}
	if !inner {
		ty.v4++
	}
	ff := binary.BigEndian.Uint16(b[6:])
	src, dst := b[12:16], b[16:20]
	payload := b[20:]
	if ff&0x3fff != 0 {
		ty.frags++
		key := string(src) + string(dst) + string(b[4:6])
		off := int(ff&0x1fff) * 8
		d := ty.frag[key]
		if len(d) != off {
			t.Fatalf("fragment out of order: have %d, offset %d", len(d), off)
		}
		d = append(d, payload...)
		if ff&0x2000 != 0 {
			ty.frag[key] = d
			return
		}
		delete(ty.frag, key)
		ty.reassembled++
		payload = d
	}
	ty.l4(b[9], src, dst, payload, false)
}

func (ty *tally) ipv6(b []byte, inner bool) {
	if b[0]>>4 != 6 {
		ty.t.Fatalf("IPv6 version %d", b[0]>>4)
	}
	if int(binary.BigEndian.Uint16(b[4:]))+40 != len(b) {
		ty.t.Fatalf("IPv6 payload length mismatch")
	}
	if !inner {
		ty.v6++
	}
	ty.l4(b[6], b[8:24], b[24:40], b[40:], true)
}

func pseudoSum(src, dst []byte, proto uint8, n int) uint64 {
	return sum(sum(0, src), dst) + uint64(proto) + uint64(n)
}

func (ty *tally) l4(proto uint8, src, dst, b []byte, v6 bool) {
	t := ty.t
	switch proto {
	case protoTCP:
		if csum(b, pseudoSum(src, dst, proto, len(b))) != 0 {
			t.Fatalf("bad TCP checksum")
		}
		ty.tcp(src, dst, b, v6)
	case protoUDP:
		if c := binary.BigEndian.Uint16(b[6:]); c != 0 || v6 {
			if csum(b, pseudoSum(src, dst, proto, len(b))) != 0 {
				t.Fatalf("bad UDP checksum")
			}
		}
		if int(binary.BigEndian.Uint16(b[4:])) != len(b) {
			t.Fatalf("UDP length mismatch")
		}
		ty.udp(src, dst, b, v6)
	case protoICMP:
		if csum(b, 0) != 0 {
			t.Fatalf("bad ICMP checksum")
		}
		switch b[0] {
		case 8:
			ty.echoReq++
		case 0:
			ty.echoRep++
		}
	case protoICMPv6:
		if csum(b, pseudoSum(src, dst, proto, len(b))) != 0 {
			t.Fatalf("bad ICMPv6 checksum")
		}
		switch b[0] {
		case 128:
			ty.echo6Req++
		case 129:
			ty.echo6Rep++
		case 135:
			ty.ns++
			if dst[0] != 0xff || !bytes.Equal(dst[13:], b[8+13:8+16]) {
				t.Fatalf("NS not sent to the solicited-node group")
			}
		case 136:
			ty.na++
		}
	case protoIPv6:
		ty.sixin4++
		ty.ipv6(b, true)
	default:
		t.Fatalf("protocol %d", proto)
	}
}

func (ty *tally) tcp(src, dst, b []byte, v6 bool) {
	sp, dp := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	seq, ack := binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
	hl := int(b[12]>>4) * 4
	fl := b[13]
	data := b[hl:]
	ka, kb := string(src)+string(b[:2]), string(dst)+string(b[2:4])
	key, dir := ka+kb, 0
	if ka > kb {
		key, dir = kb+ka, 1
	}
	c := ty.conns[key]
	if fl&tcpSyn != 0 && fl&tcpAck == 0 {
		ty.syn++
		if c == nil {
			c = &conn{}
			ty.conns[key] = c
			ty.flows++
			if v6 {
				ty.v6Flows++
			}
		} else if c.known[dir] && seq+1 == c.next[dir] {
			return // SYN retransmission
		}
		c.next[dir], c.known[dir] = seq+1, true
		return
	}
	if c == nil {
		ty.t.Fatalf("TCP segment %d->%d without a SYN", sp, dp)
	}
	switch {
	case fl&(tcpSyn|tcpAck) == tcpSyn|tcpAck:
		ty.synack++
		c.synAck = true
		c.next[dir], c.known[dir] = seq+1, true
		return
	case fl&tcpRst != 0:
		ty.rst++
		if !c.synAck {
			ty.rejRST++
		}
		c.rst = true
		return
	}
	if c.known[dir] && seq != c.next[dir] {
		ty.badSeq++
	}
	if fl&tcpAck != 0 && c.known[1-dir] && int32(ack-c.next[1-dir]) > 0 {
		ty.badAck++
	}
	c.next[dir] = seq + uint32(len(data))
	if fl&tcpFin != 0 {
		ty.fin++
		c.next[dir]++
	}
	if len(data) == 0 {
		if fl == tcpAck {
			ty.pureAck++
		}
		return
	}
	if !c.dataDir[dir] {
		c.dataDir[dir] = true
		port := min(sp, dp)
		switch {
		case port == 80 || port == 8080:
			if !bytes.HasPrefix(data, []byte("GET ")) && !bytes.HasPrefix(data, []byte("POST ")) && !bytes.HasPrefix(data, []byte("HTTP/1.1 ")) {
				ty.t.Fatalf("HTTP stream starts with %q", data[:min(16, len(data))])
			}
			ty.http++
		case port == 443 || port == 8443 || port == 993:
			if data[0] != 0x16 || data[1] != 3 {
				ty.t.Fatalf("TLS stream starts with % x", data[:5])
			}
			ty.tls++
		case port == 22:
			if !bytes.HasPrefix(data, []byte("SSH-2.0-")) {
				ty.t.Fatalf("SSH stream starts with %q", data[:min(16, len(data))])
			}
			ty.ssh++
		}
	}
}

func (ty *tally) udp(src, dst, b []byte, v6 bool) {
	sp, dp := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	p := b[8:]
	switch {
	case dp == 4789:
		if p[0] != 0x08 {
			ty.t.Fatalf("VXLAN flags %#x", p[0])
		}
		ty.vxlan++
		ty.eth(p[8:], true)
	case dp == 53 || sp == 53:
		ty.dns(p, sp == 53)
	case dp == 123 || sp == 123:
		if len(p) != 48 {
			ty.t.Fatalf("NTP length %d", len(p))
		}
		ty.ntp++
	case dp == 514 || dp == 8125:
		ty.oneway++
	case dp == 500:
		if p[17] != 0x20 {
			ty.t.Fatalf("IKE version %#x", p[17])
		}
		if int(binary.BigEndian.Uint32(p[24:])) != len(p) {
			ty.t.Fatalf("IKE length mismatch")
		}
	}
}

// dns checks the wire format: header counts, the question name, and that
// every answer record parses to the end of the message.
func (ty *tally) dns(p []byte, resp bool) {
	t := ty.t
	qr := p[2]&0x80 != 0
	if qr != resp {
		t.Fatalf("DNS QR bit %v from port 53 %v", qr, resp)
	}
	qd, an, ns, ar := binary.BigEndian.Uint16(p[4:]), binary.BigEndian.Uint16(p[6:]), binary.BigEndian.Uint16(p[8:]), binary.BigEndian.Uint16(p[10:])
	if qd != 1 {
		t.Fatalf("DNS qdcount %d", qd)
	}
	name, off := dnsReadName(t, p, 12)
	ty.names[name] = true
	off += 4
	for i := 0; i < int(an)+int(ns)+int(ar); i++ {
		_, off = dnsReadName(t, p, off)
		rdl := int(binary.BigEndian.Uint16(p[off+8:]))
		off += 10 + rdl
	}
	if off != len(p) {
		t.Fatalf("DNS message has %d bytes, records end at %d", len(p), off)
	}
	if resp {
		ty.dnsR++
		ty.dnsAnswer += int(an)
	} else {
		ty.dnsQ++
	}
}

func dnsReadName(t *testing.T, p []byte, off int) (string, int) {
	var labels []string
	end := -1
	for hops := 0; hops < 16; hops++ {
		l := int(p[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return strings.Join(labels, "."), end
		case l&0xc0 == 0xc0:
			if end < 0 {
				end = off + 2
			}
			off = int(binary.BigEndian.Uint16(p[off:]) & 0x3fff)
		default:
			labels = append(labels, string(p[off+1:off+1+l]))
			off += 1 + l
			hops--
		}
	}
	t.Fatal("DNS name pointer loop")
	return "", 0
}

func TestMixAndChecksums(t *testing.T) {
	cfg := smallConfig(7)
	data, st := render(t, cfg)
	ty := newTally(t)
	ty.parsePcap(data)
	t.Logf("packets %d v4 %d v6 %d vlan %d vxlan %d 6in4 %d frags %d/%d syn %d synack %d fin %d rst %d rej %d "+
		"http %d tls %d ssh %d dns %d/%d/%d names %d ntp %d oneway %d echo %d/%d echo6 %d/%d ns %d na %d acks %d",
		ty.packets, ty.v4, ty.v6, ty.vlan, ty.vxlan, ty.sixin4, ty.frags, ty.reassembled, ty.syn, ty.synack, ty.fin,
		ty.rst, ty.rejRST, ty.http, ty.tls, ty.ssh, ty.dnsQ, ty.dnsR, ty.dnsAnswer, len(ty.names), ty.ntp, ty.oneway,
		ty.echoReq, ty.echoRep, ty.echo6Req, ty.echo6Rep, ty.ns, ty.na, ty.pureAck)

	if st.Packets != ty.packets || st.Bytes != ty.bytes || st.Flows != cfg.Flows {
		t.Errorf("stats %+v, parsed %d packets %d bytes", st, ty.packets, ty.bytes)
	}
	if d := math.Abs(float64(st.Packets-cfg.Packets)) / float64(cfg.Packets); d > 0.1 {
		t.Errorf("%d packets for a target of %d", st.Packets, cfg.Packets)
	}
	if ty.badSeq != 0 || ty.badAck != 0 {
		t.Errorf("%d segments with unexpected sequence numbers, %d acknowledging unseen data", ty.badSeq, ty.badAck)
	}
	if len(ty.frag) != 0 {
		t.Errorf("%d datagrams left incomplete", len(ty.frag))
	}
	share := float64(ty.v6) / float64(ty.packets)
	if share < 0.15 || share > 0.45 {
		t.Errorf("IPv6 share of packets %.2f, configured %.2f of flows", share, cfg.IPv6Share)
	}
	if share := float64(ty.v6Flows) / float64(ty.flows); share < 0.15 || share > 0.45 {
		t.Errorf("IPv6 share of TCP connections %.2f, configured %.2f of flows", share, cfg.IPv6Share)
	}
	atLeast := func(name string, got, want int) {
		t.Helper()
		if got < want {
			t.Errorf("%s: %d, want at least %d", name, got, want)
		}
	}
	f := cfg.Flows
	atLeast("SYN", ty.syn, f/4)
	atLeast("SYN/ACK", ty.synack, f/5)
	atLeast("FIN", ty.fin, f/5)
	atLeast("RST", ty.rst, f/50)
	atLeast("REJ (RST to a SYN)", ty.rejRST, f/100)
	atLeast("S0 (SYN-only) connections", ty.syn-ty.synack-ty.rejRST, f/50)
	atLeast("HTTP streams", ty.http, f/20)
	atLeast("TLS streams", ty.tls, f/5)
	atLeast("SSH streams", ty.ssh, f/100)
	atLeast("pure ACKs", ty.pureAck, f)
	atLeast("DNS queries", ty.dnsQ, f/5)
	atLeast("DNS responses", ty.dnsR, f/5)
	atLeast("DNS answers", ty.dnsAnswer, f/5)
	atLeast("distinct DNS names", len(ty.names), 100)
	atLeast("NTP", ty.ntp, f/50)
	atLeast("one-way UDP", ty.oneway, f/50)
	atLeast("ICMP echo requests", ty.echoReq, f/50)
	atLeast("ICMP echo replies", ty.echoRep, f/50)
	atLeast("ICMPv6 echo requests", ty.echo6Req, f/100)
	atLeast("ICMPv6 echo replies", ty.echo6Rep, f/100)
	atLeast("neighbour solicitations", ty.ns, f/500)
	atLeast("neighbour advertisements", ty.na, f/500)
	atLeast("VLAN-tagged frames", ty.vlan, ty.packets/50)
	atLeast("VXLAN frames", ty.vxlan, 20)
	atLeast("6in4 frames", ty.sixin4, 20)
	atLeast("IPv4 fragments", ty.frags, 20)
	atLeast("reassembled datagrams", ty.reassembled, 10)
}

func TestNoIPv6(t *testing.T) {
	cfg := smallConfig(9)
	cfg.IPv6Share = 0
	data, _ := render(t, cfg)
	ty := newTally(t)
	ty.parsePcap(data)
	if ty.v6 != 0 {
		t.Errorf("%d IPv6 frames with IPv6Share 0", ty.v6)
	}
	if ty.sixin4 == 0 {
		t.Error("6in4 tunnels should still carry IPv6 inside IPv4")
	}
}

func TestTimeSpan(t *testing.T) {
	cfg := smallConfig(11)
	cfg.Start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cfg.Duration = time.Minute
	data, _ := render(t, cfg)
	first := int64(binary.LittleEndian.Uint32(data[24:]))*1e9 + int64(binary.LittleEndian.Uint32(data[28:]))
	if first < cfg.Start.UnixNano() || first > cfg.Start.Add(time.Second).UnixNano() {
		t.Errorf("first packet at %v", time.Unix(0, first).UTC())
	}
	var last int64
	for p := data[24:]; len(p) > 0; {
		last = int64(binary.LittleEndian.Uint32(p))*1e9 + int64(binary.LittleEndian.Uint32(p[4:]))
		p = p[16+int(binary.LittleEndian.Uint32(p[8:])):]
	}
	if end := cfg.Start.Add(cfg.Duration + 10*time.Second); time.Unix(0, last).After(end) {
		t.Errorf("last packet at %v, capture should end near %v", time.Unix(0, last).UTC(), end)
	}
}

func TestSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	start := time.Now()
	st, err := Write(io.Discard, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("%d packets, %d bytes in %v (%.0f packets/s, %.0f MB/s)", st.Packets, st.Bytes, el,
		float64(st.Packets)/el.Seconds(), float64(st.Bytes)/el.Seconds()/1e6)
	// A 2-3 million packet capture must take well under a minute; allow a
	// loaded, shared machine plenty of slack.
	if el > 10*time.Second {
		t.Errorf("too slow: %v for %d packets", el, st.Packets)
	}
}

func BenchmarkWrite(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Packets, cfg.Flows = 100000, 10000
	b.ReportAllocs()
	var n int
	for i := 0; i < b.N; i++ {
		st, err := Write(io.Discard, cfg)
		if err != nil {
			b.Fatal(err)
		}
		n = st.Packets
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// TestPacketTarget checks that the packet count lands near the target over
// a range of packets-per-flow ratios.
func TestPacketTarget(t *testing.T) {
	for _, c := range []struct{ packets, flows int }{
		{20000, 20000}, {20000, 2500}, {50000, 5000}, {50000, 500}, {3000, 0},
	} {
		cfg := DefaultConfig()
		cfg.Packets, cfg.Flows = c.packets, c.flows
		st, err := Write(io.Discard, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(float64(st.Packets-c.packets)) / float64(c.packets); d > 0.1 {
			t.Errorf("packets %d flows %d: got %d packets (%d flows)", c.packets, c.flows, st.Packets, st.Flows)
		}
	}
}
