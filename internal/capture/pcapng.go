package capture

import (
	"encoding/binary"
	"io"
	"math"
	"math/bits"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// pcapng block types.
const (
	blockIDB = 0x00000001
	blockOPB = 0x00000002 // obsolete packet block
	blockSPB = 0x00000003
	blockEPB = 0x00000006
	blockSHB = 0x0a0d0d0a
)

// pcapng option codes used here.
const (
	optEnd      = 0
	optTSResol  = 9
	optTSOffset = 14
)

// minBlockLen is the smallest total length of each block type understood.
func minBlockLen(typ uint32) uint32 {
	switch typ {
	case blockSHB:
		return 28
	case blockIDB:
		return 20
	case blockEPB, blockOPB:
		return 32
	case blockSPB:
		return 16
	}
	return 12
}

// block walks the body of one pcapng block. When the whole block fits in
// the read buffer it was peeked at once (whole), so every slice read from it
// stays valid until the block is finished; otherwise it is streamed and a
// slice stays valid only until the next read.
type block struct {
	in    *input
	start int64  // offset of the block in the file
	typ   uint32 // block type
	tl    uint32 // total length
	pos   uint32 // bytes of the block consumed, from its start
	whole []byte
}

// read returns the next n bytes of the block body.
func (b *block) read(n uint32) ([]byte, error) {
	if n > b.tl-4-b.pos {
		return nil, b.in.errAt(b.start, "block type %#x: %d-byte field at block offset %d overruns its %d-byte length", b.typ, n, b.pos, b.tl)
	}
	if b.whole != nil {
		p := b.whole[b.pos : b.pos+n]
		b.pos += n
		return p, nil
	}
	p, err := b.in.br.Peek(int(n))
	if len(p) < int(n) {
		return nil, b.in.short(b.start, "block", int(b.pos)+len(p), int(b.tl), err)
	}
	b.in.br.Discard(int(n))
	b.pos += n
	return p, nil
}

// finish consumes the rest of the block and checks its trailing length.
func (b *block) finish() error {
	in := b.in
	if b.whole != nil {
		in.br.Discard(int(b.tl))
	} else {
		rest := int(b.tl - 4 - b.pos)
		if n, err := in.br.Discard(rest); n < rest {
			return in.short(b.start, "block", int(b.pos)+n, int(b.tl), err)
		}
		b.pos += uint32(rest)
		t, err := in.br.Peek(4)
		if len(t) < 4 {
			return in.short(b.start, "block", int(b.pos)+len(t), int(b.tl), err)
		}
		if tl := u32(t, in.be); tl != b.tl {
			return in.errAt(b.start, "block type %#x: trailing length %d differs from leading length %d", b.typ, tl, b.tl)
		}
		in.br.Discard(4)
	}
	in.off += int64(b.tl)
	return nil
}

// nextPcapng reads blocks up to and including the next packet block.
func (in *input) nextPcapng(f *Frame, scratch *[]byte) error {
	for {
		if in.ahead != 0 {
			in.mr.prefetchAhead(in.ahead) // a mapped file (see input.prefetchAhead)
		}
		start := in.off
		h, err := in.br.Peek(12)
		if len(h) < 12 {
			if len(h) == 0 && err == io.EOF {
				return io.EOF
			}
			return in.short(start, "block header", len(h), 12, err)
		}
		typ := u32(h, in.be)
		if typ == blockSHB { // palindromic: same in both byte orders
			switch binary.BigEndian.Uint32(h[8:]) {
			case 0x1a2b3c4d:
				in.be = true
			case 0x4d3c2b1a:
				in.be = false
			default:
				return in.errAt(start, "section header: bad byte-order magic %#08x", binary.BigEndian.Uint32(h[8:]))
			}
			in.ifaces = in.ifaces[:0]
		}
		tl := u32(h[4:], in.be)
		switch {
		case tl%4 != 0:
			return in.errAt(start, "block type %#x: total length %d is not a multiple of 4", typ, tl)
		case tl < minBlockLen(typ):
			return in.errAt(start, "block type %#x: total length %d is below the minimum %d", typ, tl, minBlockLen(typ))
		case tl > maxBlockLen:
			return in.errAt(start, "block type %#x: total length %d exceeds limit %d", typ, tl, maxBlockLen)
		}
		b := block{in: in, start: start, typ: typ, tl: tl, pos: 8}
		if tl <= readBufSize {
			w, err := in.br.Peek(int(tl))
			if len(w) < int(tl) {
				return in.short(start, "block", len(w), int(tl), err)
			}
			if t := u32(w[tl-4:], in.be); t != tl {
				return in.errAt(start, "block type %#x: trailing length %d differs from leading length %d", typ, t, tl)
			}
			b.whole = w
		} else {
			in.br.Discard(8) // peeked above
		}
		switch typ {
		case blockEPB, blockOPB, blockSPB:
			return in.packet(&b, f, scratch)
		case blockSHB:
			p, err := b.read(8)
			if err != nil {
				return err
			}
			if major := u16(p[4:], in.be); major != 1 {
				return in.errAt(start, "section header: unsupported pcapng version %d.%d", major, u16(p[6:], in.be))
			}
		case blockIDB:
			if err := in.interfaceBlock(&b); err != nil {
				return err
			}
		}
		if err := b.finish(); err != nil {
			return err
		}
	}
}

// interfaceBlock parses an interface description block.
func (in *input) interfaceBlock(b *block) error {
	if len(in.ifaces) >= maxInterfaces {
		return in.errAt(b.start, "interface description: more than %d interfaces in one section", maxInterfaces)
	}
	p, err := b.read(8)
	if err != nil {
		return err
	}
	ifc := iface{
		link: decode.LinkType(u16(p, in.be)),
		snap: u32(p[4:], in.be),
		res:  tsResol{exp: 6},
	}
	for b.tl-4-b.pos >= 4 {
		o, err := b.read(4)
		if err != nil {
			return err
		}
		code, n := u16(o, in.be), uint32(u16(o[2:], in.be))
		if code == optEnd {
			break
		}
		v, err := b.read((n + 3) &^ 3)
		if err != nil {
			return err
		}
		switch {
		case code == optTSResol && n >= 1:
			ifc.res = tsResol{bin: v[0]&0x80 != 0, exp: v[0] & 0x7f}
		case code == optTSOffset && n >= 8:
			ifc.offset = int64(u64(v, in.be))
		}
	}
	in.ifaces = append(in.ifaces, ifc)
	return nil
}

// packet parses an EPB, OPB or SPB into f.
func (in *input) packet(b *block, f *Frame, scratch *[]byte) error {
	var (
		ifc       *iface
		capLen    uint32
		origLen   uint32
		ts        int64
		haveStamp bool
	)
	if b.typ == blockSPB {
		p, err := b.read(4)
		if err != nil {
			return err
		}
		if len(in.ifaces) == 0 {
			return in.errAt(b.start, "simple packet block before any interface description")
		}
		ifc = &in.ifaces[0]
		origLen = u32(p, in.be)
		capLen = origLen
		if ifc.snap != 0 {
			capLen = min(capLen, ifc.snap)
		}
		capLen = min(capLen, b.tl-16)
	} else {
		p, err := b.read(20)
		if err != nil {
			return err
		}
		var id uint32
		if b.typ == blockOPB {
			id = uint32(u16(p, in.be))
		} else {
			id = u32(p, in.be)
		}
		if id >= uint32(len(in.ifaces)) {
			return in.errAt(b.start, "packet block for interface %d; %d interfaces defined", id, len(in.ifaces))
		}
		ifc = &in.ifaces[id]
		t := uint64(u32(p[4:], in.be))<<32 | uint64(u32(p[8:], in.be))
		ts, haveStamp = ifc.res.nanos(t, ifc.offset), true
		capLen, origLen = u32(p[12:], in.be), u32(p[16:], in.be)
		if capLen > b.tl-32 {
			return in.errAt(b.start, "packet block: captured length %d exceeds the %d-byte block body", capLen, b.tl-32)
		}
	}
	if capLen > MaxFrameLen {
		return in.errAt(b.start, "packet block: captured length %d exceeds limit %d", capLen, MaxFrameLen)
	}
	d, err := b.read((capLen + 3) &^ 3)
	if err != nil {
		return err
	}
	d = d[:capLen:capLen]
	if b.whole == nil {
		// Streamed: the bytes are overwritten by the reads to come.
		*scratch = append((*scratch)[:0], d...)
		d = *scratch
	}
	if err := b.finish(); err != nil {
		return err
	}
	if !haveStamp {
		ts = in.lastTS // an SPB has no timestamp: keep the last one seen
	}
	in.lastTS = ts
	f.TS = ts
	f.Data = d
	f.OrigLen = max(int(origLen), int(capLen))
	f.LinkType = ifc.link
	return nil
}

// tsResol is an if_tsresol value: units of 10^-exp (or 2^-exp when bin)
// seconds.
type tsResol struct {
	bin bool
	exp uint8 // 0..127
}

var pow10 = [20]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// nanos converts t units to Unix nanoseconds plus offset seconds, exactly
// (rounding the sub-nanosecond part down) and saturating at the int64
// range. The 64-bit count is split into whole seconds and a fraction so no
// intermediate product overflows.
func (r tsResol) nanos(t uint64, offset int64) int64 {
	var sec, ns uint64
	e := uint(r.exp)
	switch {
	case !r.bin && e == 6: // the default: constant divisors are cheap
		sec, ns = t/1e6, t%1e6*1e3
	case !r.bin && e == 9:
		sec, ns = t/1e9, t%1e9
	case !r.bin && e <= 9:
		div := pow10[e]
		sec, ns = t/div, t%div*pow10[9-e]
	case !r.bin && e <= 19:
		div := pow10[e]
		sec, ns = t/div, t%div/pow10[e-9]
	case !r.bin:
		// 10^e > 2^64 > t: no whole seconds.
		if e-9 <= 19 {
			ns = t / pow10[e-9]
		}
	case e < 64:
		sec = t >> e
		frac := t & (1<<e - 1)
		hi, lo := bits.Mul64(frac, 1e9)
		if e == 0 {
			ns = 0
		} else {
			ns = lo>>e | hi<<(64-e)
		}
	default:
		hi, _ := bits.Mul64(t, 1e9)
		ns = hi >> (e - 64)
	}
	return satNanos(sec, ns, offset)
}

// satNanos returns (sec+offset)*1e9 + ns, saturated to the int64 range.
// ns is below 1e9.
func satNanos(sec, ns uint64, offset int64) int64 {
	const maxSec = math.MaxInt64 / 1_000_000_000 // 9223372036
	const minSec = math.MinInt64 / 1_000_000_000
	var s int64
	if offset >= 0 {
		if sec > maxSec || int64(sec) > maxSec-offset {
			return math.MaxInt64
		}
		s = int64(sec) + offset
	} else {
		abs := uint64(-(offset + 1)) + 1 // |offset|, even for MinInt64
		if sec >= abs {
			d := sec - abs
			if d > maxSec {
				return math.MaxInt64
			}
			s = int64(d)
		} else {
			d := abs - sec
			if d > -minSec {
				return math.MinInt64
			}
			s = -int64(d)
		}
	}
	if s < minSec {
		return math.MinInt64
	}
	if s == maxSec && ns > math.MaxInt64-maxSec*1e9 {
		return math.MaxInt64
	}
	return s*1e9 + int64(ns)
}
