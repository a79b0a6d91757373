package defrag

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// checkInternal verifies the reassembler's bookkeeping.
func (r *Reassembler) checkInternal() error {
	if r.bytes > r.cfg.MaxBytes || r.bytes < 0 {
		return fmt.Errorf("bytes %d outside [0, %d]", r.bytes, r.cfg.MaxBytes)
	}
	if len(r.table) > r.cfg.MaxDatagrams {
		return fmt.Errorf("%d datagrams > %d", len(r.table), r.cfg.MaxDatagrams)
	}
	if r.pool.bytes > r.pool.limit {
		return fmt.Errorf("pool holds %d > %d", r.pool.bytes, r.pool.limit)
	}
	n, sum := 0, 0
	var prev *datagram
	for d := r.head; d != nil; d = d.nextNode {
		if d.prev != prev {
			return fmt.Errorf("broken list")
		}
		prev = d
		n++
		sum += d.charged
		if r.table[d.k] != d {
			return fmt.Errorf("list entry not in table")
		}
		if d.nfrags > r.cfg.MaxFragments {
			return fmt.Errorf("%d fragments > %d", d.nfrags, r.cfg.MaxFragments)
		}
		cov, end := 0, 0
		for i, s := range d.segs {
			if len(s.data) == 0 || s.off < end && i > 0 {
				return fmt.Errorf("segments overlap or empty at %d", i)
			}
			end = s.off + len(s.data)
			cov += len(s.data)
		}
		if cov != d.covered {
			return fmt.Errorf("covered %d, segments hold %d", d.covered, cov)
		}
		if d.total >= 0 && end > d.total {
			return fmt.Errorf("data to %d beyond total %d", end, d.total)
		}
		if d.dead && (d.charged != datagramOverhead || len(d.segs) > 0) {
			return fmt.Errorf("tombstone holds data")
		}
	}
	if r.tail != prev {
		return fmt.Errorf("bad tail")
	}
	if n != len(r.table) || sum != r.bytes {
		return fmt.Errorf("list %d/%d bytes, table %d/%d", n, sum, len(r.table), r.bytes)
	}
	return nil
}

// fuzzByte is the content of byte i of datagram k.
func fuzzByte(k, i int) byte { return byte(i*7 + k*13 + i>>8) }

var fuzzNH = [...]uint8{
	decode.ProtoTCP, decode.ProtoUDP, decode.ProtoICMPv6, decode.ProtoDstOpts,
	decode.ProtoHopByHop, decode.ProtoNoNext, decode.ProtoAH, decode.ProtoFragment,
}

// maxFuzzOps bounds the operations one input runs, so inputs stay fast.
const maxFuzzOps = 64

// FuzzReassemble drives Add and Expire with fragment operations over a small
// key space. Each operation takes 5 bytes:
//
//	b0: bits 0-1 key, bit 2 IPv6, bit 3 More, bit 4 corrupt the bytes,
//	    bits 5-7 kind (0-5 fragment, 6 Expire, 7 mangled fragment)
//	b1, b2: offset in 8-byte units (small unless b1's top bit is set)
//	b3: length (units of 8, -3 when bit 6 is set, units of 256 with bit 7)
//	b4: IPv6 next header (bits 0-2), time step (bits 3-7)
func FuzzReassemble(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRun(t, in) })
}

func fuzzRun(t testing.TB, in []byte) {
	{
		r, err := New(Config{Timeout: 200, MaxBytes: 32 << 10, MaxDatagrams: 6, MaxFragments: 8})
		if err != nil {
			t.Fatal(err)
		}
		var corrupted [8]bool
		var ts int64
		if len(in) > 5*maxFuzzOps {
			in = in[:5*maxFuzzOps]
		}
		for len(in) >= 5 {
			op := in[:5]
			in = in[5:]
			kind := op[0] >> 5
			ts += int64(op[4] >> 3)
			if kind == 6 {
				ts += int64(op[1])
				r.Expire(ts, func(e Event) {
					if e.Kind != decode.AnomalyFragmentTimeout || e.TS > ts {
						t.Fatalf("bad event %+v at %d", e, ts)
					}
				})
				if err := r.checkInternal(); err != nil {
					t.Fatal(err)
				}
				continue
			}
			k := int(op[0] & 7) // key index incl. version bit
			v6 := op[0]&4 != 0
			more := op[0]&8 != 0
			off := int(op[2]) % 32
			if op[1]&0x80 != 0 {
				off = int(op[1]&0x1f)<<8 | int(op[2])
			}
			off *= 8
			n := int(op[3]&0x3f) * 8
			if op[3]&0x80 != 0 {
				n = int(op[3]&0x3f) * 256
			}
			if op[3]&0x40 != 0 && n >= 3 {
				n -= 3
			}
			n = min(n, 65000)
			data := make([]byte, n)
			for i := range data {
				data[i] = fuzzByte(k, off+i)
			}
			if op[0]&0x10 != 0 && n > 0 {
				data[int(op[1])%n] ^= 0x5a
				corrupted[k] = true
			}
			src := netip.AddrFrom4([4]byte{10, 0, 0, byte(k)})
			var p *decode.Packet
			nh := fuzzNH[op[4]&7]
			if v6 {
				src = netip.AddrFrom16([16]byte{0x20, 1, 15: byte(k)})
				var hbh []byte
				if k&1 != 0 { // keys 5 and 7 carry a hop-by-hop header
					hbh = make([]byte, 8)
				}
				p = frag6From(src, dst6, ts, uint32(k)<<20, nh, off, more, data, hbh)
			} else {
				p = frag4From(src, dst4, ts, uint16(k), decode.ProtoUDP, off, more, data, nil)
			}
			if kind == 7 {
				corrupted[k] = true
				mangle(p, op[1], op[4])
			}
			out := r.Add(p)
			if err := r.checkInternal(); err != nil {
				t.Fatal(err)
			}
			if out == nil {
				continue
			}
			checkDatagram(t, out)
			hl := 20
			if v6 {
				hl = 40 + 8*(k&1)
				if k&1 != 0 && out[6] != decode.ProtoHopByHop && !corrupted[k] {
					t.Fatalf("hop-by-hop header lost: %x", out[:hl])
				}
			}
			if !corrupted[k] {
				for i, b := range out[hl:] {
					if b != fuzzByte(k, i) {
						t.Fatalf("key %d: byte %d is %#x, want %#x", k, i, b, fuzzByte(k, i))
					}
				}
			}
			corrupted[k] = false
		}
	}
}

// mangle makes p's FragInfo or IPRaw inconsistent in one of several ways.
func mangle(p *decode.Packet, a, b byte) {
	switch b % 8 {
	case 0:
		p.Frag.UnfragLen += int(int8(a))
	case 1:
		p.Frag.Offset += int(int8(a))
	case 2:
		p.Frag.FragHdrOff += int(int8(a))
	case 3:
		p.Frag.FragPrevNH += int(int8(a))
	case 4:
		p.IPRaw = p.IPRaw[:int(a)%(len(p.IPRaw)+1)]
	case 5:
		if len(p.IPRaw) > 0 {
			p.IPRaw[int(a)%len(p.IPRaw)] ^= b
		}
	case 6:
		p.IP.Version ^= a & 15
	case 7:
		if len(p.IPRaw) >= 6 {
			binary.BigEndian.PutUint16(p.IPRaw[2+2*int(a&1):], uint16(a)<<8|uint16(b))
		}
	}
}

func BenchmarkReassemble(b *testing.B) {
	b.Run("ipv4-3frag", func(b *testing.B) {
		r := mustNew(b, Config{})
		payload := tcpPayload(3000)
		ps := []*decode.Packet{
			frag4(1, 7, 6, 0, true, payload[:1480]),
			frag4(2, 7, 6, 1480, true, payload[1480:2960]),
			frag4(3, 7, 6, 2960, false, payload[2960:]),
		}
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range ps {
				if out := r.Add(p); out != nil && len(out) != 3020 {
					b.Fatal("bad datagram")
				}
			}
		}
		if r.Stats().Reassembled == 0 {
			b.Fatal("nothing reassembled")
		}
	})
	b.Run("ipv6-2frag", func(b *testing.B) {
		r := mustNew(b, Config{})
		payload := pattern(2400, 0)
		ps := []*decode.Packet{
			frag6(1, 7, decode.ProtoUDP, 0, true, payload[:1232], nil),
			frag6(2, 7, decode.ProtoUDP, 1232, false, payload[1232:], nil),
		}
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range ps {
				if out := r.Add(p); out != nil && len(out) != 2440 {
					b.Fatal("bad datagram")
				}
			}
		}
		if r.Stats().Reassembled == 0 {
			b.Fatal("nothing reassembled")
		}
	})
}
