package defrag

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/decode"
)

const sec = int64(time.Second)

// step is one fragment given to Add and what must come of it.
type step struct {
	p    *decode.Packet
	want []decode.AnomalyKind // anomalies Add must add, in order
	out  []byte               // the datagram Add must return, nil for none
}

func anomalies(p *decode.Packet) []decode.AnomalyKind {
	var ks []decode.AnomalyKind
	for i := 0; i < int(p.NumAnomalies); i++ {
		ks = append(ks, p.Anomalies[i].Kind)
	}
	return ks
}

func mustNew(t testing.TB, cfg Config) *Reassembler {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkDatagram verifies the length fields of a reassembled datagram.
func checkDatagram(t testing.TB, out []byte) {
	t.Helper()
	if len(out) == 0 {
		t.Fatal("empty datagram")
	}
	switch out[0] >> 4 {
	case 4:
		hl := int(out[0]&0x0f) * 4
		if hl < 20 || hl > len(out) {
			t.Fatalf("IPv4 header length %d of %d", hl, len(out))
		}
		if n := int(binary.BigEndian.Uint16(out[2:4])); n != len(out) {
			t.Fatalf("IPv4 total length %d, datagram %d", n, len(out))
		}
		if fo := binary.BigEndian.Uint16(out[6:8]); fo != 0 {
			t.Fatalf("IPv4 flags/offset %#x not cleared", fo)
		}
		if c := ipv4Checksum(out[:hl]); c != 0 {
			t.Fatalf("IPv4 checksum does not verify (%#x)", c)
		}
	case 6:
		if len(out) < 40 {
			t.Fatalf("IPv6 datagram of %d bytes", len(out))
		}
		if n := int(binary.BigEndian.Uint16(out[4:6])); n+40 != len(out) {
			t.Fatalf("IPv6 payload length %d, datagram %d", n, len(out))
		}
	default:
		t.Fatalf("version %d", out[0]>>4)
	}
}

func run(t *testing.T, r *Reassembler, steps []step) {
	t.Helper()
	for i, s := range steps {
		out := r.Add(s.p)
		if got := anomalies(s.p); !slices.Equal(got, s.want) {
			t.Errorf("step %d: anomalies %v, want %v", i, got, s.want)
		}
		switch {
		case s.out == nil && out != nil:
			t.Errorf("step %d: got a %d-byte datagram, want none", i, len(out))
		case s.out != nil && out == nil:
			t.Errorf("step %d: got no datagram", i)
		case s.out != nil:
			checkDatagram(t, out)
			if !bytes.Equal(out, s.out) {
				t.Errorf("step %d: datagram differs\n got %x\nwant %x", i, out, s.out)
			}
		}
		if st := r.Stats(); st.Bytes > r.cfg.MaxBytes || st.Bytes < 0 {
			t.Errorf("step %d: Bytes %d outside [0, %d]", i, st.Bytes, r.cfg.MaxBytes)
		}
	}
}

type (
	A = decode.AnomalyKind
)

const (
	overlap      = decode.AnomalyFragmentOverlap
	inconsistent = decode.AnomalyFragmentInconsistent
	tiny         = decode.AnomalyTinyFirstFragment
	oversized    = decode.AnomalyOversizedFragment
	mismatch     = decode.AnomalyFragmentSizeMismatch
	memcap       = decode.AnomalyFragmentMemoryCap
	timeout      = decode.AnomalyFragmentTimeout
	ndp          = decode.AnomalyNDPInFragment
)

func TestReassemble(t *testing.T) {
	p4 := tcpPayload(3000)     // 1480 + 1480 + 40
	p6 := pattern(2400, 9)     // 1232 + 1168
	udp6 := pattern(24, 1)     // UDP header + 16 bytes
	opts := []byte{1, 1, 1, 0} // IPv4 options: NOP NOP NOP EOL
	hbh := []byte{0, 0, 1, 4, 0, 0, 0, 0}
	changed := slices.Clone(p4[8:32])
	for i := range changed {
		changed[i] ^= 0xff
	}
	dstopts16 := make([]byte, 40) // dest options (16 bytes) then TCP
	dstopts16[0] = decode.ProtoTCP
	dstopts16[1] = 1
	dstopts16[2], dstopts16[3] = 1, 12 // PadN
	icmp := make([]byte, 32)
	icmp[0] = 135 // neighbor solicitation

	tests := []struct {
		name  string
		cfg   Config
		steps []step
		check func(t *testing.T, r *Reassembler)
	}{
		{name: "v4 in order", steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:1480])},
			{p: frag4(2, 7, 6, 1480, true, p4[1480:2960])},
			{p: frag4(3, 7, 6, 2960, false, p4[2960:]), out: whole4(7, 6, p4, nil)},
		}, check: func(t *testing.T, r *Reassembler) {
			st := r.Stats()
			if st.Fragments != 3 || st.Reassembled != 1 || st.Pending != 0 || st.Bytes != 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "v4 out of order", steps: []step{
			{p: frag4(1, 7, 6, 2960, false, p4[2960:])},
			{p: frag4(2, 7, 6, 0, true, p4[:1480])},
			{p: frag4(3, 7, 6, 1480, true, p4[1480:2960]), out: whole4(7, 6, p4, nil)},
		}},
		{name: "v4 header from offset-0 fragment", steps: []step{
			{p: frag4(1, 7, 6, 1480, false, p4[1480:])},
			{p: frag4From(src4, dst4, 2, 7, 6, 0, true, p4[:1480], opts), out: whole4(7, 6, p4, opts)},
		}},
		{name: "v4 duplicate", steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:1480])},
			{p: frag4(2, 7, 6, 0, true, p4[:1480])},
			{p: frag4(3, 7, 6, 2960, false, p4[2960:])},
			{p: frag4(4, 7, 6, 2960, false, p4[2960:])},
			{p: frag4(5, 7, 6, 1480, true, p4[1480:2960]), out: whole4(7, 6, p4, nil)},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Duplicates != 2 || st.Overlaps != 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "v4 overlap consistent", steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:16])},
			{p: frag4(2, 7, 6, 8, true, p4[8:32]), want: []A{overlap}},
			{p: frag4(3, 7, 6, 0, true, p4[:40]), want: []A{overlap}},
			{p: frag4(4, 7, 6, 40, false, p4[40:48]), out: whole4(7, 6, p4[:48], nil)},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Overlaps != 2 || st.Inconsistent != 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "v4 overlap inconsistent keeps first", steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:16])},
			{p: frag4(2, 7, 6, 32, false, p4[32:48])},
			{p: frag4(3, 7, 6, 8, true, changed), want: []A{overlap, inconsistent},
				// bytes 16..32 are new: they come from the changed copy.
				out: whole4(7, 6, slices.Concat(p4[:16], changed[8:], p4[32:48]), nil)},
		}},
		{name: "v4 same offset different bytes", steps: []step{
			{p: frag4(1, 7, 6, 8, true, p4[8:24])},
			{p: frag4(2, 7, 6, 8, true, changed[:16]), want: []A{overlap, inconsistent}},
			{p: frag4(3, 7, 6, 0, true, p4[:8])},
			{p: frag4(4, 7, 6, 24, false, p4[24:32]), out: whole4(7, 6, p4[:32], nil)},
		}},
		{name: "v4 keys differ by protocol", steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:8])},
			{p: frag4(2, 7, 17, 8, false, p4[8:16])},
			{p: frag4(3, 7, 6, 8, false, p4[8:16]), out: whole4(7, 6, p4[:16], nil)},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Pending != 1 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "v6 in order", steps: []step{
			{p: frag6(1, 0x11223344, 17, 0, true, p6[:1232], nil)},
			{p: frag6(2, 0x11223344, 17, 1232, false, p6[1232:], nil), out: whole6(17, p6, nil)},
		}},
		{name: "v6 out of order with hop-by-hop", steps: []step{
			{p: frag6(1, 5, 17, 1232, false, p6[1232:], hbh)},
			{p: frag6(2, 5, 17, 0, true, p6[:1232], hbh), out: whole6(17, p6, hbh)},
		}},
		{name: "v6 duplicate", steps: []step{
			{p: frag6(1, 5, 17, 0, true, p6[:1232], nil)},
			{p: frag6(2, 5, 17, 0, true, p6[:1232], nil)},
			{p: frag6(3, 5, 17, 1232, false, p6[1232:], nil), out: whole6(17, p6, nil)},
		}},
		{name: "v6 overlap discards", steps: []step{
			{p: frag6(1, 5, 17, 0, true, p6[:1232], nil)},
			{p: frag6(2, 5, 17, 1224, true, p6[1224:1240], nil), want: []A{overlap}},
			{p: frag6(3, 5, 17, 1232, false, p6[1232:], nil)},
			{p: frag6(4, 5, 17, 0, true, p6[:1232], nil)},
		}, check: func(t *testing.T, r *Reassembler) {
			st := r.Stats()
			if st.Discarded != 1 || st.Absorbed != 2 || st.Pending != 1 || st.Bytes != datagramOverhead {
				t.Errorf("stats %+v", st)
			}
			n := 0
			r.Expire(100*sec, func(Event) { n++ })
			if n != 0 || r.Stats().Pending != 0 || r.Stats().Bytes != 0 {
				t.Errorf("tombstone reported %d times, stats %+v", n, r.Stats())
			}
		}},
		{name: "v6 consistent overlap discards too", steps: []step{
			{p: frag6(1, 5, 17, 0, true, p6[:16], nil)},
			{p: frag6(2, 5, 17, 8, false, p6[8:24], nil), want: []A{overlap}},
		}},
		{name: "v6 tiny first fragment", steps: []step{
			{p: frag6(1, 5, decode.ProtoDstOpts, 0, true, dstopts16[:16], nil), want: []A{tiny}},
			{p: frag6(2, 5, decode.ProtoDstOpts, 16, false, dstopts16[16:], nil),
				out: whole6(decode.ProtoDstOpts, dstopts16, nil)},
		}},
		{name: "v6 first fragment cut inside an extension header", steps: []step{
			{p: frag6(1, 5, decode.ProtoDstOpts, 0, true, dstopts16[:8], nil), want: []A{tiny}},
			{p: frag6(2, 5, decode.ProtoDstOpts, 8, false, dstopts16[8:], nil),
				out: whole6(decode.ProtoDstOpts, dstopts16, nil)},
		}},
		{name: "v6 UDP header in first fragment is enough", steps: []step{
			{p: frag6(1, 5, decode.ProtoUDP, 0, true, udp6[:8], nil)},
			{p: frag6(2, 5, decode.ProtoUDP, 8, false, udp6[8:], nil), out: whole6(decode.ProtoUDP, udp6, nil)},
		}},
		{name: "v6 TCP header split", steps: []step{
			{p: frag6(1, 5, decode.ProtoTCP, 0, true, p4[:16], nil), want: []A{tiny}},
			{p: frag6(2, 5, decode.ProtoTCP, 16, false, p4[16:40], nil), out: whole6(decode.ProtoTCP, p4[:40], nil)},
		}},
		{name: "v6 NDP in fragment", steps: []step{
			{p: frag6(1, 5, decode.ProtoICMPv6, 16, false, icmp[16:], nil)},
			{p: frag6(2, 5, decode.ProtoICMPv6, 0, true, icmp[:16], nil), want: []A{ndp},
				out: whole6(decode.ProtoICMPv6, icmp, nil)},
		}},
		{name: "v4 oversized", steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:8])},
			{p: frag4(2, 7, 6, 65528, false, p4[:16]), want: []A{oversized}},
			{p: frag4(3, 7, 6, 8, true, p4[:8])},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Discarded != 1 || st.Absorbed != 1 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "v4 exactly 65535", steps: []step{
			{p: frag4(1, 7, 6, 65512, false, p4[:3])},
			{p: frag4(2, 7, 6, 0, true, pattern(65512, 0)), out: whole4(7, 6, slices.Concat(pattern(65512, 0), p4[:3]), nil)},
		}},
		{name: "v4 oversized by header options", steps: []step{
			{p: frag4(1, 7, 6, 65512, false, p4[:3])},
			{p: frag4From(src4, dst4, 2, 7, 6, 0, true, p4[:8], opts)},
			{p: frag4(3, 7, 6, 8, true, pattern(65504, 0)), want: []A{oversized}},
		}},
		{name: "v4 oversized fragment with options", steps: []step{
			{p: frag4From(src4, dst4, 2, 7, 6, 65504, false, p4[:7], opts)}, // 24 + 65511 = 65535
			{p: frag4From(src4, dst4, 2, 8, 6, 65504, false, p4[:16], opts), want: []A{oversized}},
		}},
		{name: "v6 oversized", steps: []step{
			{p: frag6(1, 5, 17, 65528, false, p6[:8], nil), want: []A{oversized}},
		}},
		{name: "v6 oversized by unfragmentable part", steps: []step{
			{p: frag6(1, 5, 17, 65528, false, p6[:7], nil)},
			{p: frag6(2, 5, 17, 0, true, p6[:8], hbh)},
			{p: frag6(3, 5, 17, 8, true, pattern(65520, 0), nil), want: []A{oversized}},
		}},
		{name: "v6 payload 65535", steps: []step{
			{p: frag6(1, 5, 17, 65528, false, p6[:7], nil)},
			{p: frag6(2, 5, 17, 0, true, pattern(65528, 0)[:32768], nil)},
			{p: frag6(3, 5, 17, 32768, true, pattern(65528, 0)[32768:], nil), out: whole6(17, slices.Concat(pattern(65528, 0), p6[:7]), nil)},
		}},
		{name: "second last fragment with another end", steps: []step{
			{p: frag4(1, 7, 6, 16, false, p4[16:24])},
			{p: frag4(2, 7, 6, 16, false, p4[16:32]), want: []A{overlap, mismatch}},
			{p: frag4(3, 7, 6, 0, true, p4[:16])},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Discarded != 1 || st.Absorbed != 1 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "data beyond the end", steps: []step{
			{p: frag4(1, 7, 6, 16, false, p4[16:24])},
			{p: frag4(2, 7, 6, 16, true, p4[16:40]), want: []A{overlap, mismatch}},
			{p: frag4(3, 7, 6, 0, true, p4[:16])},
		}},
		{name: "data beyond the end without overlap", steps: []step{
			{p: frag4(1, 7, 6, 16, false, p4[16:24])},
			{p: frag4(2, 7, 6, 24, true, p4[24:40]), want: []A{mismatch}},
		}},
		{name: "last fragment before data held", steps: []step{
			{p: frag4(1, 7, 6, 16, true, p4[16:40])},
			{p: frag4(2, 7, 6, 0, false, p4[:24]), want: []A{overlap, mismatch}},
		}},
		{name: "v6 last fragment inside data held", steps: []step{
			// ipv6-malformed-fragments-29: both an overlap and a bad end.
			{p: frag6(1, 5, 17, 0, true, p6[:408], nil)},
			{p: frag6(2, 5, 17, 8, false, p6[8:9], nil), want: []A{overlap, mismatch}},
			{p: frag6(3, 5, 17, 408, false, p6[408:416], nil)},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Discarded != 1 || st.Absorbed != 1 || st.Overlaps != 1 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "length not a multiple of 8", steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:12]), want: []A{mismatch}},
			{p: frag6(2, 5, 17, 0, true, p4[:12], nil), want: []A{mismatch}},
			{p: frag4(3, 7, 6, 0, true, nil), want: []A{mismatch}},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Malformed != 3 || st.Pending != 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "zero-length last fragment", steps: []step{
			{p: frag4(1, 7, 6, 16, false, nil)},
			{p: frag4(2, 7, 6, 16, false, nil)},
			{p: frag4(3, 7, 6, 0, true, p4[:16]), out: whole4(7, 6, p4[:16], nil)},
		}},
		{name: "max fragments", cfg: Config{MaxFragments: 3}, steps: []step{
			{p: frag4(1, 7, 6, 0, true, p4[:8])},
			{p: frag4(2, 7, 6, 8, true, p4[8:16])},
			{p: frag4(3, 7, 6, 8, true, p4[8:16])}, // duplicate: not counted
			{p: frag4(4, 7, 6, 16, true, p4[16:24])},
			{p: frag4(5, 7, 6, 24, false, p4[24:32]), want: []A{memcap}},
			{p: frag4(6, 7, 6, 24, false, p4[24:32])},
		}, check: func(t *testing.T, r *Reassembler) {
			if st := r.Stats(); st.Dropped != 1 || st.Absorbed != 1 {
				t.Errorf("stats %+v", st)
			}
		}},
		{name: "late fragment after timeout", cfg: Config{Timeout: 10 * time.Second}, steps: []step{
			{p: frag4(0, 7, 6, 0, true, p4[:8])},
			{p: frag4(10*sec, 7, 6, 8, false, p4[8:16]), want: []A{timeout}},
			{p: frag4(11*sec, 7, 6, 0, true, p4[:8]), out: whole4(7, 6, p4[:16], nil)},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustNew(t, tc.cfg)
			run(t, r, tc.steps)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestHeaderRewrite(t *testing.T) {
	r := mustNew(t, Config{})
	payload := tcpPayload(64)
	// Fragment headers that disagree: DF set on one, different TTLs.
	a := frag4(1, 99, 6, 0, true, payload[:32])
	a.IPRaw[6] |= 0x40 // DF
	a.IPRaw[10], a.IPRaw[11] = 0, 0
	binary.BigEndian.PutUint16(a.IPRaw[10:12], ipv4Checksum(a.IPRaw[:20]))
	b := frag4(2, 99, 6, 32, false, payload[32:])
	b.IPRaw[8] = 3
	if r.Add(a) != nil {
		t.Fatal("early datagram")
	}
	out := r.Add(b)
	checkDatagram(t, out)
	if out[8] != 64 || len(out) != 84 || binary.BigEndian.Uint16(out[4:6]) != 99 {
		t.Errorf("header not from the offset-0 fragment: %x", out[:20])
	}
	if !bytes.Equal(out[20:], payload) {
		t.Error("payload differs")
	}

	// IPv6: hop-by-hop, then fragment header naming a destination-options
	// header and UDP. The reassembled chain is hop-by-hop -> dst opts -> UDP.
	hbh := []byte{0, 0, 1, 4, 0, 0, 0, 0}
	data := make([]byte, 40)
	data[0] = decode.ProtoUDP // dst opts next header
	data[2], data[3] = 1, 4
	f1 := frag6(1, 1, decode.ProtoDstOpts, 0, true, data[:24], hbh)
	f2 := frag6(2, 1, decode.ProtoDstOpts, 24, false, data[24:], hbh)
	f2.IPRaw[7] = 1 // different hop limit: ignored
	if r.Add(f2) != nil {
		t.Fatal("early datagram")
	}
	out = r.Add(f1)
	checkDatagram(t, out)
	if len(out) != 40+8+40 {
		t.Fatalf("length %d", len(out))
	}
	if out[6] != decode.ProtoHopByHop || out[40] != decode.ProtoDstOpts || out[48] != decode.ProtoUDP {
		t.Errorf("chain %d -> %d -> %d", out[6], out[40], out[48])
	}
	if out[7] != 64 || !bytes.Equal(out[48:], data) {
		t.Error("content differs")
	}
	if proto, off, ok := walkChain(out[40:], out[6]); proto != decode.ProtoUDP || off != 16 || !ok {
		t.Errorf("walkChain = %d, %d, %v", proto, off, ok)
	}
}

func TestExpire(t *testing.T) {
	r := mustNew(t, Config{Timeout: 30 * time.Second})
	r.Add(frag4(1*sec, 7, 6, 0, true, pattern(8, 0)))
	r.Add(frag6(2*sec, 9, 17, 8, false, pattern(8, 0), nil))
	r.Add(frag4(3*sec, 8, 17, 8, false, pattern(8, 0)))
	var evs []Event
	report := func(e Event) { evs = append(evs, e) }
	r.Expire(31*sec-1, report)
	if len(evs) != 0 || r.Stats().Pending != 3 {
		t.Fatalf("early expiry: %v", evs)
	}
	r.Expire(32*sec, report)
	want := []Event{
		{TS: 31 * sec, Kind: timeout, Src: src4, Dst: dst4, ID: 7, Proto: 6},
		{TS: 32 * sec, Kind: timeout, Src: src6, Dst: dst6, ID: 9, Proto: 17},
	}
	if !slices.Equal(evs, want) {
		t.Fatalf("events %+v, want %+v", evs, want)
	}
	st := r.Stats()
	if st.Timeouts != 2 || st.Pending != 1 {
		t.Errorf("stats %+v", st)
	}
	r.Expire(1000*sec, nil)
	if st := r.Stats(); st.Timeouts != 3 || st.Pending != 0 || st.Bytes != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestMemoryCap(t *testing.T) {
	const maxBytes = 64 << 10
	r := mustNew(t, Config{MaxBytes: maxBytes})
	data := pattern(1480, 0)
	capped := 0
	for i := range 20000 {
		src := src4
		if i%2 == 1 {
			p := frag6From(src6, dst6, int64(i), uint32(i), 17, 0, true, data[:1232], nil)
			r.Add(p)
			if p.HasAnomaly(memcap) {
				capped++
			}
		} else {
			p := frag4From(src, dst4, int64(i), uint16(i), 6, 1480*(i%3), true, data, nil)
			r.Add(p)
			if p.HasAnomaly(memcap) {
				capped++
			}
		}
		if st := r.Stats(); st.Bytes > maxBytes {
			t.Fatalf("fragment %d: Bytes %d > %d", i, st.Bytes, maxBytes)
		}
	}
	st := r.Stats()
	if capped == 0 || st.Dropped == 0 || uint64(capped) > st.Dropped {
		t.Errorf("capped %d, stats %+v", capped, st)
	}
	if r.pool.bytes > r.pool.limit {
		t.Errorf("pool holds %d > %d", r.pool.bytes, r.pool.limit)
	}
	// A datagram still reassembles under pressure.
	p := tcpPayload(3000)
	r.Add(frag4(30000, 1, 6, 0, true, p[:1480]))
	r.Add(frag4(30001, 1, 6, 1480, true, p[1480:2960]))
	if out := r.Add(frag4(30002, 1, 6, 2960, false, p[2960:])); !bytes.Equal(out, whole4(1, 6, p, nil)) {
		t.Error("datagram lost under memory pressure")
	}
	r.Expire(1<<62, nil)
	if st := r.Stats(); st.Bytes != 0 || st.Pending != 0 {
		t.Errorf("after expiry: %+v", st)
	}

	// A single datagram larger than MaxBytes is dropped.
	r = mustNew(t, Config{MaxBytes: MinMaxBytes})
	r.Add(frag4(1, 2, 6, 0, true, data))
	r.Add(frag4(1, 2, 6, 1480, true, data))
	q := frag4(1, 2, 6, 2960, true, data)
	r.Add(q)
	if !q.HasAnomaly(memcap) || r.Stats().Bytes > MinMaxBytes {
		t.Errorf("anomalies %v, stats %+v", anomalies(q), r.Stats())
	}
}

func TestMaxDatagrams(t *testing.T) {
	r := mustNew(t, Config{MaxDatagrams: 4})
	for i := range 100 {
		p := frag4(int64(i), uint16(i), 6, 8, true, pattern(8, 0))
		r.Add(p)
		if i >= 4 && !p.HasAnomaly(memcap) {
			t.Fatalf("fragment %d: no memory-cap anomaly", i)
		}
		if st := r.Stats(); st.Pending > 4 {
			t.Fatalf("pending %d", st.Pending)
		}
	}
	if st := r.Stats(); st.Dropped != 96 {
		t.Errorf("stats %+v", st)
	}
	// The newest ones survive.
	if out := r.Add(frag4(200, 99, 6, 0, false, pattern(8, 0))); out != nil {
		t.Error("unexpected datagram")
	}
	if out := r.Add(frag4(201, 98, 6, 0, true, pattern(8, 0))); out != nil {
		t.Error("evicted datagram completed")
	}
}

func TestMalformed(t *testing.T) {
	r := mustNew(t, Config{})
	mut := []func(p *decode.Packet){
		func(p *decode.Packet) { p.Frag.UnfragLen = len(p.IPRaw) + 1 },
		func(p *decode.Packet) { p.Frag.UnfragLen = -1 },
		func(p *decode.Packet) { p.Frag.Offset = -8 },
		func(p *decode.Packet) { p.Frag.Offset = 3 },
		func(p *decode.Packet) { p.Frag.Offset = 1 << 40 },
		func(p *decode.Packet) { p.IP.Version = 5 },
		func(p *decode.Packet) { p.IPRaw = nil },
		func(p *decode.Packet) { p.IPRaw = p.IPRaw[:3] },
		func(p *decode.Packet) { p.IPRaw[0] = 0x46 },
		func(p *decode.Packet) { p.Frag.FragHdrOff = 2 },
		func(p *decode.Packet) { p.Frag.FragPrevNH = -1 },
		func(p *decode.Packet) { p.Frag.FragPrevNH = 1 << 20 },
		func(p *decode.Packet) { p.Frag.FragPrevNH = 7 },
		func(p *decode.Packet) { binary.BigEndian.PutUint16(p.IPRaw[2:4], 10) },
		func(p *decode.Packet) { binary.BigEndian.PutUint16(p.IPRaw[4:6], 2) },
	}
	for i, m := range mut {
		for _, p := range []*decode.Packet{
			frag4(1, 7, 6, 0, true, pattern(16, 0)),
			frag6(1, 7, 6, 0, true, pattern(16, 0), nil),
		} {
			m(p)
			if r.Add(p) != nil {
				t.Errorf("mutation %d: datagram returned", i)
			}
		}
	}
	if st := r.Stats(); st.Pending > 2 {
		t.Errorf("stats %+v", st)
	}
	// Truncated: the capture holds less than the header says.
	p := frag4(1, 7, 6, 0, true, pattern(16, 0))
	p.IPRaw = p.IPRaw[:30]
	r.Add(p)
	if !p.HasAnomaly(decode.AnomalyIncompleteFragment) {
		t.Errorf("anomalies %v", anomalies(p))
	}
	// Not a fragment: ignored.
	p = frag4(1, 7, 6, 0, true, pattern(16, 0))
	p.Frag.IsFragment = false
	if r.Add(p) != nil || p.NumAnomalies != 0 {
		t.Error("non-fragment handled")
	}
	// Padding after the datagram is ignored.
	r = mustNew(t, Config{})
	p = frag4(1, 7, 6, 0, false, pattern(16, 0))
	p.IPRaw = append(p.IPRaw, 0, 0, 0, 0)
	if out := r.Add(p); !bytes.Equal(out, whole4(7, 6, pattern(16, 0), nil)) {
		t.Errorf("got %x", out)
	}
}

func TestConfig(t *testing.T) {
	r, err := New(Config{})
	if err != nil || r.Config() != DefaultConfig() {
		t.Fatalf("zero config: %v %+v", err, r.Config())
	}
	for _, c := range []Config{
		{Timeout: -1},
		{MaxBytes: -1},
		{MaxBytes: MinMaxBytes - 1},
		{MaxDatagrams: -1},
		{MaxFragments: -1},
		{MaxFragments: MaxMaxFragments + 1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestNoAllocs checks the steady state reuses every buffer.
func TestNoAllocs(t *testing.T) {
	r := mustNew(t, Config{})
	v4 := []*decode.Packet{
		frag4(1, 7, 6, 0, true, tcpPayload(3000)[:1480]),
		frag4(2, 7, 6, 2960, false, tcpPayload(3000)[2960:]),
		frag4(3, 7, 6, 1480, true, tcpPayload(3000)[1480:2960]),
	}
	p6 := pattern(2400, 0)
	v6 := []*decode.Packet{
		frag6(1, 7, 17, 1232, false, p6[1232:], nil),
		frag6(2, 7, 17, 0, true, p6[:1232], nil),
	}
	all := append(v4, v6...)
	feed := func() {
		for _, p := range all {
			p.NumAnomalies = 0
			r.Add(p)
		}
	}
	feed()
	if n := testing.AllocsPerRun(100, feed); n != 0 {
		t.Errorf("%v allocations per round", n)
	}
	if st := r.Stats(); st.Reassembled != 204 || st.Pending != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWalkChain(t *testing.T) {
	ah := []byte{decode.ProtoUDP, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // AH, 12 bytes
	cases := []struct {
		b     []byte
		nh    uint8
		proto uint8
		off   int
		ok    bool
	}{
		{nil, decode.ProtoNoNext, decode.ProtoNoNext, 0, true},
		{nil, decode.ProtoUDP, decode.ProtoUDP, 0, false},
		{make([]byte, 8), decode.ProtoUDP, decode.ProtoUDP, 0, true},
		{make([]byte, 19), decode.ProtoTCP, decode.ProtoTCP, 0, false},
		{nil, 253, 253, 0, true},
		{slices.Concat(ah, make([]byte, 8)), decode.ProtoAH, decode.ProtoUDP, 12, true},
		{ah[:1], decode.ProtoAH, decode.ProtoAH, 0, false},
		{[]byte{decode.ProtoUDP, 0, 0, 0, 0, 0, 0}, decode.ProtoFragment, decode.ProtoFragment, 0, false},
		{make([]byte, 8*40), decode.ProtoHopByHop, decode.ProtoHopByHop, 8 * maxChain, false},
	}
	for i, c := range cases {
		proto, off, ok := walkChain(c.b, c.nh)
		if proto != c.proto || off != c.off || ok != c.ok {
			t.Errorf("case %d: %d %d %v, want %d %d %v", i, proto, off, ok, c.proto, c.off, c.ok)
		}
	}
}
