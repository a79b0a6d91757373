package flow

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

const (
	cli = "10.0.0.1:40000"
	srv = "10.0.0.2:80"
)

// handshake returns S, SA, A with ISNs 1000 (client) and 5000 (server).
func handshake() []step {
	return []step{
		{0, tcp(cli, srv, S, 1000, 0, 0)},
		{ms(10), tcp(srv, cli, SA, 5000, 1001, 0)},
		{ms(20), tcp(cli, srv, A, 1001, 5001, 0)},
	}
}

type want struct {
	state, history       string
	origBytes, respBytes uint64
	origPkts, respPkts   uint64
	missed               uint64
	origP, respP         uint16
}

func check(t *testing.T, c record.Conn, w want) {
	t.Helper()
	if c.ConnState != w.state || c.History != w.history {
		t.Errorf("state/history = %s %q, want %s %q", c.ConnState, c.History, w.state, w.history)
	}
	if c.OrigBytes != w.origBytes || c.RespBytes != w.respBytes {
		t.Errorf("bytes = %d/%d, want %d/%d", c.OrigBytes, c.RespBytes, w.origBytes, w.respBytes)
	}
	if c.OrigPkts != w.origPkts || c.RespPkts != w.respPkts {
		t.Errorf("pkts = %d/%d, want %d/%d", c.OrigPkts, c.RespPkts, w.origPkts, w.respPkts)
	}
	if c.MissedBytes != w.missed {
		t.Errorf("missed = %d, want %d", c.MissedBytes, w.missed)
	}
	if w.origP != 0 && (c.OrigP != w.origP || c.RespP != w.respP) {
		t.Errorf("ports = %d->%d, want %d->%d", c.OrigP, c.RespP, w.origP, w.respP)
	}
}

func one(t *testing.T, conns []record.Conn) record.Conn {
	t.Helper()
	if len(conns) != 1 {
		for _, c := range conns {
			t.Logf("%+v", c)
		}
		t.Fatalf("got %d conns, want 1", len(conns))
	}
	return conns[0]
}

func TestTCPStates(t *testing.T) {
	full := append(handshake(),
		step{ms(30), tcp(cli, srv, PA, 1001, 5001, 100)},
		step{ms(40), tcp(srv, cli, PA, 5001, 1101, 200)},
		step{ms(50), tcp(cli, srv, FA, 1101, 5201, 0)},
		step{ms(60), tcp(srv, cli, FA, 5201, 1102, 0)},
		step{ms(70), tcp(cli, srv, A, 1102, 5202, 0)},
	)
	cases := []struct {
		name  string
		steps []step
		want  want
	}{
		{"SF", full, want{state: "SF", history: "ShADdFf", origBytes: 100, respBytes: 200, origPkts: 5, respPkts: 3, origP: 40000, respP: 80}},
		{"S0", []step{{0, tcp(cli, srv, S, 1000, 0, 0)}}, want{state: "S0", history: "S", origPkts: 1}},
		{"REJ", []step{{0, tcp(cli, srv, S, 1000, 0, 0)}, {ms(1), tcp(srv, cli, RA, 0, 1001, 0)}},
			want{state: "REJ", history: "Sr", origPkts: 1, respPkts: 1}},
		{"S1", handshake(), want{state: "S1", history: "ShA", origPkts: 2, respPkts: 1}},
		{"RSTO", append(handshake(), step{ms(30), tcp(cli, srv, PA, 1001, 5001, 10)}, step{ms(40), tcp(cli, srv, RA, 1011, 5001, 0)}),
			want{state: "RSTO", history: "ShADR", origBytes: 10, origPkts: 4, respPkts: 1}},
		{"RSTR", append(handshake(), step{ms(30), tcp(srv, cli, R, 5001, 0, 0)}),
			want{state: "RSTR", history: "ShAr", origPkts: 2, respPkts: 2}},
		{"RSTOS0", []step{{0, tcp(cli, srv, S, 1000, 0, 0)}, {ms(1), tcp(cli, srv, R, 1001, 0, 0)}},
			want{state: "RSTOS0", history: "SR", origPkts: 2}},
		{"SH", []step{{0, tcp(cli, srv, S, 1000, 0, 0)}, {ms(1), tcp(cli, srv, F, 1001, 0, 0)}},
			want{state: "SH", history: "SF", origPkts: 2}},
		{"S2", append(handshake(), step{ms(30), tcp(cli, srv, FA, 1001, 5001, 0)}),
			want{state: "S2", history: "ShAF", origPkts: 3, respPkts: 1}},
		{"S3", append(handshake(), step{ms(30), tcp(srv, cli, FA, 5001, 1001, 0)}),
			want{state: "S3", history: "ShAf", origPkts: 2, respPkts: 2}},
		{"SHR", []step{{0, tcp("10.0.0.2:80", "10.0.0.1:40000", SA, 5000, 1001, 0)}, {ms(1), tcp("10.0.0.2:80", "10.0.0.1:40000", FA, 5001, 1001, 0)}},
			want{state: "SHR", history: "^hf", respPkts: 2, origP: 40000, respP: 80}},
		{"RSTRH", []step{{0, tcp("10.0.0.2:80", "10.0.0.1:40000", SA, 5000, 1001, 0)}, {ms(1), tcp("10.0.0.2:80", "10.0.0.1:40000", R, 5001, 0, 0)}},
			want{state: "RSTRH", history: "^hr", respPkts: 2}},
		{"OTH midstream", []step{{0, tcp(cli, srv, PA, 7000, 9000, 50)}, {ms(5), tcp(srv, cli, PA, 9000, 7050, 60)}},
			want{state: "OTH", history: "Dd", origBytes: 50, respBytes: 60, origPkts: 1, respPkts: 1}},
		{"flip midstream", []step{{0, tcp(srv, cli, PA, 9000, 7000, 60)}, {ms(5), tcp(cli, srv, PA, 7000, 9060, 50)}},
			want{state: "OTH", history: "^dD", origBytes: 50, respBytes: 60, origPkts: 1, respPkts: 1, origP: 40000, respP: 80}},
		{"SYN-ACK reversal", []step{{0, tcp("10.0.0.1:4000", "10.0.0.2:5000", SA, 5000, 1001, 0)}, {ms(1), tcp("10.0.0.2:5000", "10.0.0.1:4000", S, 1000, 0, 0)}},
			want{state: "S1", history: "Hs^", origPkts: 0, respPkts: 2, origP: 5000, respP: 4000}},
		{"retransmit", append(handshake(),
			step{ms(30), tcp(cli, srv, PA, 1001, 5001, 10)},
			step{ms(31), tcp(cli, srv, PA, 1001, 5001, 10)}),
			want{state: "S1", history: "ShADT", origBytes: 10, origPkts: 4, respPkts: 1}},
		{"gap", append(handshake(),
			step{ms(30), tcp(cli, srv, PA, 1001, 5001, 100)},
			step{ms(31), tcp(cli, srv, PA, 1201, 5001, 100)},
			step{ms(32), tcp(srv, cli, A, 5001, 1301, 0)}),
			want{state: "S1", history: "ShADaG", origBytes: 300, origPkts: 4, respPkts: 2, missed: 100}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, one(t, run(t, tc.steps)), tc.want)
		})
	}
}

func TestUDPAndICMP(t *testing.T) {
	// DNS reply seen first: flipped so the server is the responder.
	c := one(t, run(t, []step{{0, udp("10.0.0.53:53", "10.0.0.1:33333", 100)}}))
	check(t, c, want{state: "SHR", history: "^d", respPkts: 1, origP: 33333, respP: 53})
	if c.HasDuration || c.HasOrigBytes {
		t.Errorf("zero-duration conn should omit duration and bytes: %+v", c)
	}
	c = one(t, run(t, []step{{0, udp("10.0.0.1:33333", "10.0.0.53:53", 40)}, {ms(3), udp("10.0.0.53:53", "10.0.0.1:33333", 100)}}))
	check(t, c, want{state: "SF", history: "Dd", origBytes: 40, respBytes: 100, origPkts: 1, respPkts: 1})
	// Echo request and reply form one conn.
	c = one(t, run(t, []step{{0, icmp("10.0.0.1", "10.0.0.2", 8, 0, 56)}, {ms(1), icmp("10.0.0.2", "10.0.0.1", 0, 0, 56)}}))
	check(t, c, want{state: "OTH", history: "", origBytes: 56, respBytes: 56, origPkts: 1, respPkts: 1, origP: 8, respP: 0})
	if c.Proto != "icmp" {
		t.Errorf("proto %q", c.Proto)
	}
	// One-way messages keep type/code.
	c = one(t, run(t, []step{{0, icmp("10.0.0.1", "10.0.0.2", 3, 3, 28)}}))
	if c.OrigP != 3 || c.RespP != 3 {
		t.Errorf("unreachable ports %d/%d", c.OrigP, c.RespP)
	}
}

func TestReuseAndTimers(t *testing.T) {
	steps := []step{
		{0, tcp(cli, srv, S, 1000, 0, 0)},
		{ms(1), tcp(srv, cli, SA, 5000, 1001, 0)},
		{ms(2), tcp(cli, srv, RA, 1001, 5001, 0)},
		{ms(100), tcp(cli, srv, S, 77777, 0, 0)},
	}
	conns := run(t, steps)
	if len(conns) != 2 {
		t.Fatalf("reuse: got %d conns", len(conns))
	}
	if conns[0].ConnState != "RSTO" || conns[1].ConnState != "S0" || conns[0].UID == conns[1].UID {
		t.Errorf("reuse: %s %s %s %s", conns[0].ConnState, conns[1].ConnState, conns[0].UID, conns[1].UID)
	}

	tb, s := newTable(t, DefaultConfig())
	tb.Update(&Input{TS: base, D: udp("10.0.0.1:1111", "10.0.0.2:2222", 1)})
	tb.Update(&Input{TS: base, D: tcp(cli, srv, S, 1, 0, 0)})
	tb.Expire(base + 4*sec)
	if len(s.conns) != 0 {
		t.Fatalf("expired too early")
	}
	tb.Expire(base + 6*sec)
	if len(s.conns) != 1 || s.conns[0].ConnState != "S0" {
		t.Fatalf("attempt timer: %+v", s.conns)
	}
	tb.Expire(base + 61*sec)
	if len(s.conns) != 2 || s.conns[1].Proto != "udp" {
		t.Fatalf("udp inactivity: %+v", s.conns)
	}
	if st := tb.Stats(); st.Active != 0 || st.Expired != 2 {
		t.Fatalf("stats %+v", st)
	}
	// A UDP packet after the inactivity timeout starts a new conn.
	conns = run(t, []step{{0, udp("10.0.0.1:1111", "10.0.0.2:2222", 1)}, {120 * sec, udp("10.0.0.1:1111", "10.0.0.2:2222", 1)}})
	if len(conns) != 2 {
		t.Fatalf("udp reuse after timeout: %d conns", len(conns))
	}
}

func TestCommunityID(t *testing.T) {
	c := one(t, run(t, []step{{0, tcp("141.142.228.5:59856", "192.150.187.43:80", S, 1, 0, 0)}}))
	if c.CommunityID != "1:yvyB8h+3dnggTZW0UEITWCst97w=" {
		t.Errorf("community id %s", c.CommunityID)
	}
}

func TestTunnelParents(t *testing.T) {
	tb, s := newTable(t, DefaultConfig())
	in := Input{TS: base, D: udp("10.0.0.1:1", "10.0.0.2:2", 1), Parents: &Parents{N: 1}}
	in.Parents.UIDs[0] = 42
	tb.Update(&in)
	in.Parents.UIDs[0] = 43
	tb.Update(&in)
	tb.Flush()
	c := one(t, s.conns)
	if len(c.TunnelParents) != 2 || c.TunnelParents[0] != UID(42).String() {
		t.Errorf("parents %v", c.TunnelParents)
	}
}

func TestUIDDeterministic(t *testing.T) {
	a := run(t, []step{{0, tcp(cli, srv, S, 1, 0, 0)}})
	b := run(t, []step{{0, tcp(cli, srv, S, 1, 0, 0)}})
	if a[0].UID != b[0].UID || len(a[0].UID) < 2 || len(a[0].UID) > 18 || a[0].UID[0] != 'C' {
		t.Errorf("uids %s %s", a[0].UID, b[0].UID)
	}
}

func synFlood(n int, r *rand.Rand, i int) *decode.Datagram {
	var a [4]byte
	v := r.Uint32()
	a[0], a[1], a[2], a[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return &decode.Datagram{Version: 4, Src: netip.AddrFrom4(a), Dst: netip.MustParseAddr("10.9.9.9"),
		Proto: decode.ProtoTCP, SrcPort: uint16(r.Uint32()), DstPort: 80, TCPFlags: S, Seq: r.Uint32(),
		IPLen: 40, HeaderLen: 20, HasL4: true}
}

func TestTableCap(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFlows = 1000
	tb, s := newTable(t, cfg)
	r := rand.New(rand.NewPCG(1, 2))
	const n = 10 * 1000
	for i := 0; i < n; i++ {
		ts := base + int64(i)*1000 // 1 µs apart: no timer fires
		tb.Update(&Input{TS: ts, D: synFlood(n, r, i)})
		if a := tb.Stats().Active; a > uint64(cfg.MaxFlows) {
			t.Fatalf("active %d > cap", a)
		}
	}
	st := tb.Stats()
	if st.Evicted != n-uint64(cfg.MaxFlows) || st.MaxActive != uint64(cfg.MaxFlows) {
		t.Fatalf("stats %+v", st)
	}
	if len(s.weirds) == 0 || len(s.weirds) > 2 || s.weirds[0].Name != "flow_table_full_eviction" {
		t.Fatalf("weirds %+v", s.weirds)
	}
	if len(tb.chunks) != 1 {
		t.Fatalf("slab grew past the cap: %d chunks", len(tb.chunks))
	}
	tb.Flush()
	if uint64(len(s.conns)) != n || tb.Stats().Active != 0 {
		t.Fatalf("emitted %d", len(s.conns))
	}
	for _, c := range s.conns {
		if c.ConnState != "S0" || !strings.HasPrefix(c.History, "S") {
			t.Fatalf("conn %+v", c)
		}
	}
}

func TestIndexDeleteKeepsLookups(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFlows = 64
	tb, _ := newTable(t, cfg)
	r := rand.New(rand.NewPCG(3, 4))
	var ds []*decode.Datagram
	for i := 0; i < 64; i++ {
		ds = append(ds, synFlood(0, r, i))
	}
	uids := map[int]UID{}
	for i, d := range ds {
		uids[i] = tb.Update(&Input{TS: base, D: d})
	}
	// remove every other conn through an RST, then check the rest are found
	for i := 0; i < 64; i += 2 {
		d := *ds[i]
		d.TCPFlags = R
		d.Seq++
		tb.Update(&Input{TS: base, D: &d})
		tb.Expire(base + 10*sec)
	}
	for i := 1; i < 64; i += 2 {
		k := ds[i]
		kk := makeKey(addrOf(k.Src), addrOf(k.Dst), k.SrcPort, k.DstPort, decode.ProtoTCP, 0)
		if ci, c := tb.lookup(&kk, hashKey(&kk, tb.seed)); ci == nilIdx || c.uid != uids[i] {
			t.Fatalf("conn %d lost after deletions", i)
		}
	}
}

func TestAddrOfLayout(t *testing.T) {
	if !netipLayoutOK {
		t.Fatal("netip.Addr no longer starts with its address words: addrOf takes the slow path")
	}
	for _, s := range []string{"10.0.0.1", "255.255.255.255", "fe80::1", "2001:db8::1", "::ffff:1.2.3.4"} {
		a := netip.MustParseAddr(s)
		if addrOf(a) != addrOfBytes(a) {
			t.Errorf("%s: addrOf %x, bytes %x", s, addrOf(a), addrOfBytes(a))
		}
	}
}

// TestInactivityWhileFiledEarly checks that a connection left filed in the
// timer wheel under an earlier deadline (filedInTime) still expires exactly
// at its last packet plus the inactivity timeout: not at the old deadline,
// and also when a packet with an earlier timestamp brings the timer back.
func TestInactivityWhileFiledEarly(t *testing.T) {
	const src, dst = "10.0.0.1:5000", "10.0.0.2:6000"
	type pkt struct{ at, ts int64 } // when it arrives, its timestamp (s)
	for _, tc := range []struct {
		name string
		pkts []pkt
	}{
		{"steady", []pkt{{0, 0}, {10, 10}, {20, 20}, {30, 30}, {40, 40}, {50, 50}, {60, 60}, {70, 70}, {80, 80}}},
		{"gap", []pkt{{0, 0}, {59, 59}, {118, 118}, {177, 177}}},
		{"backwards", []pkt{{0, 0}, {50, 50}, {90, 90}, {90, 40}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, s := newTable(t, DefaultConfig())
			last, sent := int64(0), 0
			for now := int64(0); now < 400; now++ {
				for sent < len(tc.pkts) && tc.pkts[sent].at == now {
					last = tc.pkts[sent].ts
					tb.Update(&Input{TS: base + last*sec, D: udp(src, dst, 1)})
					sent++
				}
				tb.Expire(base + now*sec)
				wantGone := sent == len(tc.pkts) && now >= last+60
				if gone := len(s.conns) == 1; gone != wantGone {
					t.Fatalf("at %ds (last packet %ds): emitted %v, want %v", now, last, gone, wantGone)
				}
			}
			if n := len(s.conns); n != 1 {
				t.Fatalf("%d conns", n)
			}
		})
	}
}

// TestTCPStart checks what Input.TCPStart reports, on demand, of the
// connection Update accounted a datagram to.
func TestTCPStart(t *testing.T) {
	tb, _ := newTable(t, DefaultConfig())
	in := Input{TS: base, D: tcp("10.0.0.1:1000", "10.0.0.2:80", S, 100, 0, 0)}
	tb.Update(&in)
	if got, want := in.TCPStart(), (TCPStart{Seen: true, OrigDataSeq: 101, OrigSeqKnown: true, RespDataSeq: 1}); got != want {
		t.Errorf("after SYN: %+v, want %+v", got, want)
	}
	in.D = tcp("10.0.0.2:80", "10.0.0.1:1000", SA, 500, 101, 0)
	tb.Update(&in)
	if got, want := in.TCPStart(), (TCPStart{Seen: true, OrigDataSeq: 101, OrigSeqKnown: true, RespDataSeq: 501, RespSeqKnown: true}); got != want {
		t.Errorf("after SYN-ACK: %+v, want %+v", got, want)
	}
	// Picked up mid-stream: data starts at the first segment's sequence
	// number, the responder's where the originator's ACK says.
	in.D = tcp("10.0.0.3:2000", "10.0.0.2:80", PA, 7000, 9000, 10)
	tb.Update(&in)
	if got, want := in.TCPStart(), (TCPStart{OrigDataSeq: 7000, OrigSeqKnown: true, RespDataSeq: 9000}); got != want {
		t.Errorf("mid-stream: %+v, want %+v", got, want)
	}
	in.D = udp("10.0.0.1:53", "10.0.0.2:53", 10)
	tb.Update(&in)
	if got := in.TCPStart(); got != (TCPStart{}) {
		t.Errorf("UDP: %+v, want zero", got)
	}
}

// TestLastConnForgotten checks that the table's memory of the previous
// datagram's connection goes when that connection ends: the next datagram
// with its key starts a new connection rather than landing in a freed one.
func TestLastConnForgotten(t *testing.T) {
	tb, s := newTable(t, DefaultConfig())
	d := udp("10.0.0.1:4000", "10.0.0.2:53", 10)
	first := tb.Update(&Input{TS: base, D: d})
	if tb.Update(&Input{TS: base + sec, D: d}) != first {
		t.Fatal("second datagram went to another conn")
	}
	tb.Flush()
	second := tb.Update(&Input{TS: base + 2*sec, D: d})
	tb.Flush()
	if second == 0 || second == first || len(s.conns) != 2 || s.conns[0].OrigPkts != 2 || s.conns[1].OrigPkts != 1 {
		t.Fatalf("uids %v %v, conns %+v", first, second, s.conns)
	}
	if st := tb.Stats(); st.Created != 2 || st.Active != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A live run's clock steps back two hours (NTP): StepBack moves the open
// connections back with it, so they end after their own inactivity on
// the new clock, with their whole duration, and a forward jump (a sensor
// resuming from suspend) ends every idle connection once.
func TestStepBackMovesConnections(t *testing.T) {
	tb, s := newTable(t, DefaultConfig())
	for i := int64(0); i < 30; i++ {
		tb.Update(&Input{TS: base + i*sec, D: udp("10.0.0.1:5000", "10.0.0.2:9999", 20)})
		tb.Expire(base + i*sec)
	}
	now := base + 30*sec - 2*3600*sec
	tb.StepBack(now)
	tb.Update(&Input{TS: now, D: udp("10.0.0.1:5000", "10.0.0.2:9999", 20)})
	tb.Update(&Input{TS: now + sec, D: udp("10.0.0.3:5000", "10.0.0.4:9999", 20)})
	for i := int64(1); i <= 62; i++ {
		tb.Expire(now + i*sec)
	}
	if len(s.conns) != 2 {
		t.Fatalf("%d connections ended a minute after the step, want 2", len(s.conns))
	}
	// The step is measured from the newest time seen (base+29 s): the
	// second between it and the step's first packet is not counted.
	if c := s.conns[0]; !c.HasDuration || c.Duration != 29*sec || c.OrigPkts != 31 {
		t.Errorf("connection open across the step: duration %v (set %v), %d packets; want 29 s, 31", c.Duration, c.HasDuration, c.OrigPkts)
	}
	for i := 0; i < 100; i++ {
		tb.Update(&Input{TS: now + 70*sec, D: udp("10.0.1.1:5000", netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 2, byte(i)}), 53).String(), 20)})
	}
	tb.Expire(now + 8*3600*sec)
	if len(s.conns) != 102 || tb.Stats().Active != 0 {
		t.Errorf("after an 8 h jump: %d connections ended, %d active; want 102, 0", len(s.conns), tb.Stats().Active)
	}
}

// TestFlushByUIDEndsInUIDOrder: FlushByUID ends every connection, as Flush
// does, in the order of their UIDs whatever order they were active in,
// and reports each one's UID once its conn record is out, not before.
func TestFlushByUIDEndsInUIDOrder(t *testing.T) {
	tb, s := newTable(t, DefaultConfig())
	var uids []UID
	for i := range 300 {
		src := fmt.Sprintf("10.0.%d.%d:%d", i/200, i%200+1, 40000+i)
		d := tcp(src, "192.0.2.1:80", S, 1, 0, 0)
		if i%3 == 0 {
			d = udp(src, "192.0.2.53:53", 40)
		}
		uids = append(uids, tb.Update(&Input{TS: base + int64(i)*sec/10, D: d}))
	}
	var ended []UID
	tb.FlushByUID(func(u UID) {
		ended = append(ended, u)
		if n := len(s.conns); n != len(ended) || s.conns[n-1].UID != u.String() {
			t.Fatalf("ended(%s) with %d records out, the last %q", u, n, s.conns[n-1].UID)
		}
	})
	want := slices.Clone(uids)
	slices.Sort(want)
	if !slices.Equal(ended, want) {
		t.Fatalf("ended %d connections in the order %v, want the %d UIDs sorted", len(ended), ended[:min(5, len(ended))], len(want))
	}
	if st := tb.Stats(); st.Active != 0 || st.Emitted != uint64(len(uids)) {
		t.Errorf("after the flush: %d active, %d emitted; want 0 and %d", st.Active, st.Emitted, len(uids))
	}
}
