package capture

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

func TestPcapng(t *testing.T) {
	d1, d2, d3, d4, d5 := pkt(60, 1), pkt(1514, 2), pkt(7, 3), pkt(100, 4), pkt(33, 5)
	for _, be := range []bool{false, true} {
		n := &ng{}
		n.shb(be).
			block(0x0bad, []byte("custom block")).                               // custom: skipped
			idb(decode.LinkEthernet, 0).                                         // 0: default microseconds
			idb(decode.LinkRaw, 65535, tsresol(9), opt{2, []byte("eth0 name")}). // 1: ns
			idb(decode.LinkLinuxSLL, 0, tsresol(0x80|20), n.tsoffset(1000)).     // 2: 2^-20 s, +1000 s
			idb(decode.LinkIPv6, 50, tsresol(3))                                 // 3: ms, snap 50
		n.block(4, []byte{0, 0, 0, 0}). // NRB
						epb(0, 1_700_000_000_123456, d1, 60, opt{1, []byte("comment")}).
						epb(1, 1_700_000_000_123456789, d2, 1514).
						block(5, make([]byte, 20)). // ISB
						epb(2, 3<<20|1<<19, d3, 3). // 3.5 s + 1000 s
						opb(3, 1234, d4, 200).      // 1.234 s, orig > captured
						spb(60, d1).                // interface 0, time of the last packet
						block(10, make([]byte, 8)). // DSB
						epb(1, 5, d5, 10)           // orig < captured: OrigLen 33
		got, err := readBytes(t, n.buf)
		if err != io.EOF {
			t.Fatalf("be=%v: %v", be, err)
		}
		want := []frame{
			{TS: 1_700_000_000_123_456_000, Data: string(d1), OrigLen: 60, Link: decode.LinkEthernet},
			{TS: 1_700_000_000_123_456_789, Data: string(d2), OrigLen: 1514, Link: decode.LinkRaw},
			{TS: 1003_500_000_000, Data: string(d3), OrigLen: 7, Link: decode.LinkLinuxSLL},
			{TS: 1_234_000_000, Data: string(d4), OrigLen: 200, Link: decode.LinkIPv6},
			{TS: 1_234_000_000, Data: string(d1), OrigLen: 60, Link: decode.LinkEthernet},
			{TS: 5, Data: string(d5), OrigLen: 33, Link: decode.LinkRaw},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("be=%v:\n got %+v\nwant %+v", be, got, want)
		}
		// The gzip-compressed file reads the same, to the same offset.
		src, err := OpenReader("z", bytes.NewReader(gz(t, n.buf)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readAll(t, src); err != io.EOF || !reflect.DeepEqual(got, want) || src.Offset() != int64(len(n.buf)) {
			t.Fatalf("be=%v gzip: %v, Offset %d of %d", be, err, src.Offset(), len(n.buf))
		}
	}
}

func TestPcapngSections(t *testing.T) {
	// A second section in the other byte order forgets the interfaces of
	// the first.
	n := &ng{}
	n.shb(false).idb(decode.LinkEthernet, 0).idb(decode.LinkRaw, 0).epb(1, 1, pkt(10, 1), 10)
	n.shb(true).idb(decode.LinkLinuxSLL2, 0, tsresol(9)).epb(0, 2, pkt(11, 2), 11)
	second := len(n.buf)
	n.epb(1, 3, pkt(12, 3), 12)
	got, err := readBytes(t, n.buf)
	if len(got) != 2 || got[0].Link != decode.LinkRaw || got[1].Link != decode.LinkLinuxSLL2 || got[1].TS != 2 {
		t.Fatalf("got %+v", got)
	}
	if e := asError(t, err); e.Offset != int64(second) {
		t.Fatalf("offset %d, want %d", e.Offset, second)
	}
	contains(t, err, "interface 1; 1 interfaces defined")
}

func TestPcapngSPBSnap(t *testing.T) {
	n := &ng{}
	n.shb(false).idb(decode.LinkEthernet, 20).spb(100, pkt(20, 1)).
		idb(decode.LinkEthernet, 0).spb(100, pkt(8, 2)) // orig beyond the block: cut to the body
	got, err := readBytes(t, n.buf)
	if err != io.EOF || len(got) != 2 {
		t.Fatalf("got %d frames, %v", len(got), err)
	}
	// An SPB always belongs to interface 0 (snap length 20 here).
	if got[0].Data != string(pkt(20, 1)) || got[0].OrigLen != 100 || got[1].Data != string(pkt(8, 2)) {
		t.Fatalf("got %+v", got)
	}
}

// TestPcapngLargeBlocks covers blocks larger than the read buffer, which
// are streamed rather than peeked whole.
func TestPcapngLargeBlocks(t *testing.T) {
	bigOpt := make([]opt, 40) // 40 * 65532 bytes of comments: > 2 MiB
	for i := range bigOpt {
		bigOpt[i] = opt{1, make([]byte, 65532)}
	}
	d := pkt(MaxFrameLen, 7)
	n := &ng{}
	n.shb(true).idb(decode.LinkEthernet, 0, append(bigOpt[:20:20], tsresol(9))...).
		epb(0, 42, d, MaxFrameLen, bigOpt...).
		block(0x40000bad, make([]byte, 3<<20)).
		epb(0, 43, d[:5], 5)
	got, err := readBytes(t, n.buf)
	if err != io.EOF || len(got) != 2 {
		t.Fatalf("got %d frames, %v", len(got), err)
	}
	if got[0].TS != 42 || got[0].Data != string(d) || got[1].TS != 43 || got[1].Data != string(d[:5]) {
		t.Fatal("large-block frames differ")
	}
	// The same streamed EPB cut short, and with a wrong trailing length.
	cut := n.buf[:len(n.buf)/3]
	if _, err := readBytes(t, cut); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut large block: %v", err)
	}
}

func TestPcapngErrors(t *testing.T) {
	base := func() *ng { return (&ng{}).shb(false).idb(decode.LinkEthernet, 0) }
	at := len(base().buf) // offset of the block after the IDB
	le := func(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	withTrailer := func(n *ng, tl uint32) *ng { n.buf = append(n.buf[:len(n.buf)-4], le(tl)...); return n }
	tests := []struct {
		name   string
		in     *ng
		off    int
		frames int
		msg    string
		eof    bool
	}{
		{"length not multiple of 4", base().raw(le(6)...).raw(le(22)...).raw(make([]byte, 16)...), at, 0, "not a multiple of 4", false},
		{"length below 12", base().raw(le(0x99)...).raw(le(8)...).raw(make([]byte, 8)...), at, 0, "below the minimum 12", false},
		{"EPB below 32", base().raw(le(6)...).raw(le(16)...).raw(make([]byte, 12)...), at, 0, "below the minimum 32", false},
		{"length over 16 MiB", base().raw(le(6)...).raw(le(maxBlockLen + 4)...).raw(make([]byte, 8)...), at, 0, "exceeds limit 16777216", false},
		{"trailer differs", withTrailer(base().epb(0, 1, pkt(10, 1), 10), 36), at, 0, "trailing length 36 differs from leading length 44", false},
		{"unknown interface", base().epb(3, 1, pkt(10, 1), 10), at, 0, "interface 3; 1 interfaces defined", false},
		{"captured beyond body", func() *ng {
			n := base().epb(0, 1, pkt(8, 1), 8)
			n.buf[at+20] = 9 // captured length 9 in a 40-byte block
			return n
		}(), at, 0, "captured length 9 exceeds the 8-byte block body", false},
		{"EPB over MaxFrameLen", base().epb(0, 1, make([]byte, MaxFrameLen+1), 10), at, 0, "captured length 262145 exceeds limit 262144", false},
		{"SPB over MaxFrameLen", base().spb(MaxFrameLen+4, make([]byte, MaxFrameLen+4)), at, 0, "captured length 262148 exceeds limit 262144", false},
		{"OPB unknown interface", base().opb(1, 1, pkt(4, 1), 4), at, 0, "interface 1; 1 interfaces defined", false},
		{"truncated block", func() *ng { n := base().epb(0, 1, pkt(10, 1), 10); n.buf = n.buf[:len(n.buf)-5]; return n }(), at, 0, "truncated block", true},
		{"truncated block header", base().epb(0, 1, pkt(4, 1), 4).raw(6, 0, 0), at + 36, 1, "truncated block header", true},
		{"bad byte-order magic", base().raw(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4).raw(make([]byte, 16)...), at, 0, "bad byte-order magic 0x01020304", false},
		{"version 2", func() *ng { n := base(); n.buf[12] = 2; return n }(), 0, 0, "unsupported pcapng version 2.0", false},
		{"SPB before IDB", (&ng{}).shb(true).spb(4, pkt(4, 1)), 28, 0, "simple packet block before any interface", false},
		{"option overruns IDB", func() *ng {
			n := (&ng{}).shb(false).idb(decode.LinkEthernet, 0, tsresol(9))
			n.buf[28+16+2] = 200 // option length 200 in a 32-byte block
			return n
		}(), 28, 0, "200-byte field at block offset 20 overruns its 32-byte length", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBytes(t, tc.in.buf)
			if len(got) != tc.frames {
				t.Fatalf("got %d frames, want %d (err %v)", len(got), tc.frames, err)
			}
			e := asError(t, err)
			if e.Offset != int64(tc.off) {
				t.Fatalf("error %v: offset %d, want %d", err, e.Offset, tc.off)
			}
			contains(t, err, tc.msg)
			if errors.Is(err, io.ErrUnexpectedEOF) != tc.eof {
				t.Fatalf("error %v: ErrUnexpectedEOF wrapped = %v", err, !tc.eof)
			}
		})
	}
}

func TestPcapngTooManyInterfaces(t *testing.T) {
	n := (&ng{}).shb(false)
	for range maxInterfaces + 1 {
		n.idb(decode.LinkEthernet, 0)
	}
	_, err := readBytes(t, n.buf)
	contains(t, err, "more than 65536 interfaces")
	if e := asError(t, err); e.Offset != int64(28+20*maxInterfaces) {
		t.Fatalf("offset %d", e.Offset)
	}
}

// refNanos is nanos computed with big integers: floor(t*1e9/unit) +
// offset*1e9, clamped to int64.
func refNanos(r tsResol, t uint64, offset int64) int64 {
	base := big.NewInt(10)
	if r.bin {
		base = big.NewInt(2)
	}
	unit := new(big.Int).Exp(base, big.NewInt(int64(r.exp)), nil)
	v := new(big.Int).Mul(new(big.Int).SetUint64(t), big.NewInt(1e9))
	v.Quo(v, unit)
	v.Add(v, new(big.Int).Mul(big.NewInt(offset), big.NewInt(1e9)))
	if v.Cmp(big.NewInt(math.MaxInt64)) > 0 {
		return math.MaxInt64
	}
	if v.Cmp(big.NewInt(math.MinInt64)) < 0 {
		return math.MinInt64
	}
	return v.Int64()
}

func TestTSResol(t *testing.T) {
	// Known values.
	for _, tc := range []struct {
		r      tsResol
		t      uint64
		offset int64
		want   int64
	}{
		{tsResol{exp: 6}, 1_700_000_000_123456, 0, 1_700_000_000_123_456_000},
		{tsResol{exp: 9}, 1_700_000_000_123456789, -1_700_000_000, 123_456_789},
		{tsResol{exp: 0}, 5, 0, 5e9},
		{tsResol{exp: 12}, 1_000_000_000_001_999, 0, 1_000_000_000_001},
		{tsResol{bin: true, exp: 1}, 3, 0, 1_500_000_000},
		{tsResol{bin: true, exp: 0}, 7, 0, 7e9},
		{tsResol{exp: 0}, math.MaxUint64, 0, math.MaxInt64},
		{tsResol{exp: 0}, math.MaxUint64, math.MinInt64, math.MaxInt64},
		{tsResol{exp: 0}, 1 << 62, math.MinInt64, math.MinInt64},
		{tsResol{exp: 0}, 0, math.MinInt64, math.MinInt64},
		{tsResol{exp: 0}, 0, math.MaxInt64, math.MaxInt64},
		{tsResol{exp: 9}, math.MaxInt64, 0, math.MaxInt64},
		{tsResol{exp: 9}, math.MaxInt64 + 1, 0, math.MaxInt64},
		{tsResol{exp: 127}, math.MaxUint64, 0, 0},
		{tsResol{bin: true, exp: 127}, math.MaxUint64, 1, 1e9},
	} {
		if got := tc.r.nanos(tc.t, tc.offset); got != tc.want {
			t.Errorf("%+v.nanos(%d, %d) = %d, want %d", tc.r, tc.t, tc.offset, got, tc.want)
		}
	}
	// Every resolution against big-integer arithmetic.
	rng := rand.New(rand.NewPCG(1, 2))
	ts := []uint64{0, 1, math.MaxUint32, math.MaxUint64, math.MaxInt64, 1 << 63}
	offs := []int64{0, 1, -1, 1e9, -1e10, math.MaxInt64, math.MinInt64, 9223372036, -9223372036}
	for exp := range 128 {
		for _, bin := range []bool{false, true} {
			r := tsResol{bin: bin, exp: uint8(exp)}
			for i := range 40 {
				t0 := rng.Uint64() >> (rng.UintN(64))
				if i < len(ts) {
					t0 = ts[i]
				}
				off := offs[i%len(offs)]
				if i >= len(offs) && i%2 == 0 {
					off = rng.Int64N(1<<40) - 1<<39
				}
				if got, want := r.nanos(t0, off), refNanos(r, t0, off); got != want {
					t.Fatalf("%+v.nanos(%d, %d) = %d, want %d", r, t0, off, got, want)
				}
			}
		}
	}
}

func TestPcapngZeroAlloc(t *testing.T) {
	n := (&ng{}).shb(false).idb(decode.LinkEthernet, 0, tsresol(9))
	head := n.buf
	n.buf = nil
	n.epb(0, 1, pkt(1000, 1), 1000).spb(60, pkt(60, 2)).block(5, make([]byte, 20))
	src, err := OpenReader("loop", &loopReader{head: head, body: n.buf})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	if a := testing.AllocsPerRun(10000, func() {
		if err := src.Next(&f); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Fatalf("Next: %v allocs per frame", a)
	}
	if !strings.HasPrefix(src.Name(), "loop") {
		t.Fatal(src.Name())
	}
}
