// Package defrag reassembles fragmented IPv4 and IPv6 datagrams.
//
// The decoder stops at a fragment: it fills Packet.Frag, Packet.IP and
// Packet.IPRaw. The pipeline hands such packets to Reassembler.Add, which
// buffers them per datagram (keyed by IP version, source, destination,
// identification and, for IPv4, protocol) and, when a fragment completes its
// datagram, returns the whole datagram with a rewritten header for the
// decoder's DecodeIP. Expire drops datagrams that did not complete within
// Config.Timeout of their first fragment.
//
// # Semantics
//
//   - Overlap, IPv6: RFC 5722. The whole datagram is discarded and later
//     fragments of it are silently absorbed until its timeout, so they do not
//     start a new reassembly (AnomalyFragmentOverlap on the overlapping
//     fragment).
//   - Overlap, IPv4: the first-received bytes win (AnomalyFragmentOverlap);
//     when the overlapping bytes differ, AnomalyFragmentInconsistent is added
//     too, since end hosts disagree on which copy they keep (an evasion
//     technique; Linux >= 4.19 even drops such datagrams).
//   - An exact duplicate (same offset, same length, same bytes) is a
//     retransmission: ignored, no anomaly, not counted against MaxFragments.
//   - IPv6 tiny first fragment (RFC 7112): when the offset-0 fragment does not
//     hold the whole header chain up to and including the upper-layer header
//     (TCP 20 bytes, UDP/ICMPv6/ESP 8, SCTP 12, GRE 4), the fragment gets
//     AnomalyTinyFirstFragment. Unlike RFC 7112's advice to drop, Vigil
//     still reassembles the datagram, so the detector sees its content.
//   - NDP in fragments (RFC 6980): a reassembled IPv6 datagram whose upper
//     layer is ICMPv6 type 133-137 gets AnomalyNDPInFragment.
//   - A datagram longer than 65535 bytes (IPv4 total length, IPv6 payload
//     length) gets AnomalyOversizedFragment and is discarded.
//   - The last fragment (More=false) fixes the datagram's end. A second last
//     fragment with another end, or data beyond the end, gets
//     AnomalyFragmentSizeMismatch and the datagram is discarded (a fragment
//     that also overlaps data held gets AnomalyFragmentOverlap as well).
//   - A fragment that cannot be taken on its own — More set and a length that
//     is not a multiple of 8, zero length with More set, an offset that is not
//     a multiple of 8, FragInfo inconsistent with IPRaw — is dropped alone
//     with AnomalyFragmentSizeMismatch; a fragment cut by the snap length is
//     dropped alone with AnomalyIncompleteFragment (Zeek's
//     incompletely_captured_fragment). The datagram it belonged to stays
//     pending and will time out.
//   - A discarded datagram stays in the table as a tombstone, with no data,
//     until its timeout; it then leaves silently (it was reported already).
//   - Offset, More, ID and the header lengths come from Packet.Frag; the
//     fragment's length from IPRaw's own length field (IPv4 total length,
//     IPv6 payload length), so link-layer padding is ignored. Key addresses
//     come from Packet.IP.
//   - IPv4 first fragments too small to hold the transport header (RFC 1858)
//     are not flagged here; they are reassembled like any other.
//   - The reassembled IPv4 header is the offset-0 fragment's, with total
//     length set, flags and fragment offset cleared and the checksum
//     recomputed. The reassembled IPv6 datagram is the offset-0 fragment's
//     unfragmentable part without its fragment header, the preceding
//     next-header byte set to the fragment header's next header, and the
//     payload length fixed.
//
// # Memory
//
// Stats.Bytes is the memory charged to pending datagrams: the capacity of
// their pooled data buffers plus a fixed bookkeeping charge per datagram and
// per fragment, so Config.MaxBytes bounds the table as a whole. Reaching
// MaxBytes or MaxDatagrams evicts the oldest pending datagram
// (AnomalyFragmentMemoryCap on the packet that needed the room); a datagram
// that alone would exceed MaxBytes, or that gets more than MaxFragments
// fragments, is dropped the same way. Buffers come from size-class free
// lists; freed ones are kept for reuse up to a bound (MaxBytes/8, at least
// 64 KiB), so the steady state allocates nothing. Dropped and evicted
// datagrams are counted in Stats.Dropped.
//
// Add copies what it keeps, so p.IPRaw may point anywhere — including into
// the datagram an earlier Add returned (a reassembled tunnel packet whose
// inner packet is itself a fragment).
//
// Timeouts are measured on packet time (Packet.TS and Expire's now). Pending
// datagrams are kept in order of creation and Expire stops at the first one
// not yet due, so with capture timestamps that go backwards a datagram may
// expire a little late (the caps still bound memory). A fragment that
// arrives after its datagram's timeout, before Expire was called, first
// expires it (AnomalyFragmentTimeout on that packet) and starts anew.
//
// A Reassembler is not safe for concurrent use.
package defrag

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// Config bounds the reassembler. A zero field takes its default.
type Config struct {
	Timeout      time.Duration // per datagram since its first fragment (default 30s; Zeek/Linux use 30/60s)
	MaxBytes     int           // cap on bytes buffered across all pending datagrams (default 64 MiB)
	MaxDatagrams int           // cap on pending datagrams (default 65536)
	MaxFragments int           // cap on fragments per datagram (default 256)
}

// Defaults and limits of Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 64 << 20
	DefaultMaxDatagrams = 65536
	DefaultMaxFragments = 256

	// MinMaxBytes is the smallest MaxBytes New accepts.
	MinMaxBytes = 4096
	// MaxMaxFragments bounds MaxFragments (8192 distinct 8-byte offsets).
	MaxMaxFragments = 8192
)

// Bookkeeping charged to Stats.Bytes besides buffer capacity.
const (
	datagramOverhead = 256 // the datagram record and its map entry
	fragmentOverhead = 64  // a fragment's record and the segments it adds
)

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{
		Timeout:      DefaultTimeout,
		MaxBytes:     DefaultMaxBytes,
		MaxDatagrams: DefaultMaxDatagrams,
		MaxFragments: DefaultMaxFragments,
	}
}

// Event is a datagram dropped outside Add (by Expire).
type Event struct {
	// TS is when the datagram timed out: its first fragment's time plus
	// Config.Timeout (so it does not depend on how often Expire runs).
	TS       int64
	Kind     decode.AnomalyKind
	Src, Dst netip.Addr
	ID       uint32
	// Proto is the IPv4 protocol, or for IPv6 the next header named by the
	// offset-0 fragment (by the first fragment received when that one is
	// missing).
	Proto uint8
}

// Stats are the reassembler's counters.
type Stats struct {
	Fragments    uint64 // fragments given to Add
	Reassembled  uint64 // datagrams completed and returned
	Timeouts     uint64 // incomplete datagrams expired
	Overlaps     uint64 // fragments overlapping data already held (exact duplicates excluded)
	Inconsistent uint64 // IPv4 overlaps whose bytes differ
	Duplicates   uint64 // exact duplicates ignored
	Dropped      uint64 // datagrams evicted or dropped for MaxBytes, MaxDatagrams or MaxFragments
	Discarded    uint64 // datagrams discarded as invalid (IPv6 overlap, oversized, size mismatch)
	Malformed    uint64 // fragments rejected on their own (inconsistent, bad length, truncated)
	Absorbed     uint64 // fragments of discarded datagrams ignored until their timeout
	Bytes        int    // memory charged to pending datagrams now (see package doc)
	Pending      int    // datagrams held now, discarded ones awaiting timeout included
}

type key struct {
	src, dst [16]byte
	id       uint32
	version  uint8
	proto    uint8 // IPv4 only
}

// seg is a run of datagram bytes held, [off, off+len(data)).
type seg struct {
	off  int
	data []byte
}

// span is a fragment's byte range (a record for duplicate detection, or a
// new piece while inserting).
type span struct {
	off, end int
	at       int // for pieces: index in segs before which it goes
}

type datagram struct {
	k        key
	src, dst netip.Addr
	id       uint32
	version  uint8
	proto    uint8
	first    int64 // TS of the first fragment
	dead     bool  // discarded; absorbs fragments until timeout
	charged  int   // bytes charged to Stats.Bytes
	total    int   // end of the datagram's data, -1 until the last fragment
	maxEnd   int   // largest end received
	covered  int   // bytes held (segments are disjoint)
	nfrags   int
	hdr      []byte // offset-0 fragment's header (IPv6: without the fragment header)
	prevNH   int    // IPv6: offset in hdr of the byte naming the fragment header
	firstNH  uint8  // IPv6: next header of the offset-0 fragment's fragment header
	segs     []seg  // sorted by off, disjoint
	recs     []span // fragments received (off, end)
	chunks   [][]byte
	prev     *datagram // creation order; head is the oldest
	nextNode *datagram
}

// Reassembler buffers fragments and returns completed datagrams.
type Reassembler struct {
	cfg     Config
	timeout int64
	table   map[key]*datagram
	head    *datagram
	tail    *datagram
	bytes   int
	pool    bufPool
	spare   []*datagram // free datagram records
	pieces  []span      // scratch
	out     []byte      // last reassembled datagram
	stats   Stats
	capHit  bool // AnomalyFragmentMemoryCap already added in this Add
}

const maxSpare = 1024

// New validates cfg (zero fields take their defaults) and returns a
// Reassembler.
func New(cfg Config) (*Reassembler, error) {
	def := DefaultConfig()
	if cfg.Timeout == 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = def.MaxBytes
	}
	if cfg.MaxDatagrams == 0 {
		cfg.MaxDatagrams = def.MaxDatagrams
	}
	if cfg.MaxFragments == 0 {
		cfg.MaxFragments = def.MaxFragments
	}
	var errs []error
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("defrag: Timeout %v is negative", cfg.Timeout))
	}
	if cfg.MaxBytes < MinMaxBytes {
		errs = append(errs, fmt.Errorf("defrag: MaxBytes %d is below %d", cfg.MaxBytes, MinMaxBytes))
	}
	if cfg.MaxDatagrams < 0 {
		errs = append(errs, fmt.Errorf("defrag: MaxDatagrams %d is negative", cfg.MaxDatagrams))
	}
	if cfg.MaxFragments < 0 || cfg.MaxFragments > MaxMaxFragments {
		errs = append(errs, fmt.Errorf("defrag: MaxFragments %d is outside 1..%d", cfg.MaxFragments, MaxMaxFragments))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r := &Reassembler{
		cfg:     cfg,
		timeout: int64(cfg.Timeout),
		table:   make(map[key]*datagram),
	}
	r.pool.limit = max(cfg.MaxBytes/8, 64<<10)
	return r, nil
}

// Config returns the configuration in effect (defaults filled in).
func (r *Reassembler) Config() Config { return r.cfg }

// Stats returns the counters.
func (r *Reassembler) Stats() Stats {
	s := r.stats
	s.Bytes = r.bytes
	s.Pending = len(r.table)
	return s
}

// Add takes a fragment (p.Frag.IsFragment is true). When p completes a
// datagram, Add returns the reassembled IP datagram (header rewritten: IPv4
// total length/flags/offset cleared and checksum recomputed; IPv6 payload
// length fixed and the fragment header removed with the preceding
// next-header byte updated), valid until the next call to Add; otherwise
// nil. Anomalies found are appended to p with p.AddAnomaly. p.TS drives
// timeouts.
func (r *Reassembler) Add(p *decode.Packet) []byte {
	if !p.Frag.IsFragment {
		return nil
	}
	r.stats.Fragments++
	r.capHit = false

	f, ok := r.parse(p)
	if !ok {
		return nil
	}

	d := r.table[f.k]
	if d != nil && p.TS-d.first >= r.timeout {
		if !d.dead {
			r.stats.Timeouts++
			p.AddAnomaly(decode.AnomalyFragmentTimeout, d.id)
		}
		r.remove(d)
		d = nil
	}
	if d == nil {
		d = r.create(p, &f)
		if d == nil {
			return nil
		}
	}
	if d.dead {
		r.stats.Absorbed++
		return nil
	}
	return r.insert(p, d, &f)
}

// frag is a validated fragment.
type frag struct {
	k       key
	off     int
	end     int
	more    bool
	data    []byte // the fragmentable bytes
	hdrLen  int    // length of the header kept from an offset-0 fragment
	prevNH  int
	nh      uint8
	dgLimit int // largest end allowed by the 65535-byte limit
}

func (r *Reassembler) malformed(p *decode.Packet, detail int) (frag, bool) {
	r.stats.Malformed++
	p.AddAnomaly(decode.AnomalyFragmentSizeMismatch, clampDetail(detail))
	return frag{}, false
}

func clampDetail(v int) uint32 {
	if v < 0 {
		return 0
	}
	if v > 1<<31 {
		return 1 << 31
	}
	return uint32(v)
}

// parse checks p's FragInfo against IPRaw and extracts the fragment.
func (r *Reassembler) parse(p *decode.Packet) (frag, bool) {
	fi := &p.Frag
	raw := p.IPRaw
	var f frag
	f.off = fi.Offset
	f.more = fi.More
	f.nh = fi.NextHeader
	if len(raw) == 0 || raw[0]>>4 != p.IP.Version || fi.UnfragLen > len(raw) {
		return r.malformed(p, fi.UnfragLen)
	}
	if fi.Offset < 0 || fi.Offset%8 != 0 || fi.Offset > 0xffff*8 {
		return r.malformed(p, fi.Offset)
	}
	var ipLen int
	switch p.IP.Version {
	case 4:
		if fi.UnfragLen < 20 || fi.UnfragLen != int(raw[0]&0x0f)*4 {
			return r.malformed(p, fi.UnfragLen)
		}
		ipLen = int(binary.BigEndian.Uint16(raw[2:4]))
		if ipLen == 0 {
			// Not filled in by segmentation offload on the capturing host.
			ipLen = len(raw)
		}
		f.hdrLen = fi.UnfragLen
		f.dgLimit = 0xffff - fi.UnfragLen
		f.k.proto = fi.NextHeader
	case 6:
		if fi.UnfragLen < 48 || fi.FragHdrOff != fi.UnfragLen-8 ||
			(fi.FragPrevNH != 6 && (fi.FragPrevNH < 40 || fi.FragPrevNH >= fi.FragHdrOff)) ||
			raw[fi.FragPrevNH] != decode.ProtoFragment {
			return r.malformed(p, fi.UnfragLen)
		}
		ipLen = 40 + int(binary.BigEndian.Uint16(raw[4:6]))
		f.hdrLen = fi.FragHdrOff
		f.prevNH = fi.FragPrevNH
		// Payload length of the result: unfragmentable headers + data.
		f.dgLimit = 0xffff - (fi.FragHdrOff - 40)
	default:
		return r.malformed(p, int(p.IP.Version))
	}
	n := ipLen - fi.UnfragLen
	if n < 0 {
		return r.malformed(p, ipLen)
	}
	if f.more && (n == 0 || n%8 != 0) {
		return r.malformed(p, n)
	}
	if ipLen > len(raw) {
		r.stats.Malformed++
		if !p.HasAnomaly(decode.AnomalyIncompleteFragment) {
			p.AddAnomaly(decode.AnomalyIncompleteFragment, clampDetail(ipLen))
		}
		return frag{}, false
	}
	f.data = raw[fi.UnfragLen:ipLen]
	f.end = f.off + n
	a, b := p.IP.Src.As16(), p.IP.Dst.As16()
	f.k.src, f.k.dst = a, b
	f.k.id = fi.ID
	f.k.version = p.IP.Version
	return f, true
}

// create starts a datagram for f, making room for it.
func (r *Reassembler) create(p *decode.Packet, f *frag) *datagram {
	for len(r.table) >= r.cfg.MaxDatagrams && r.head != nil {
		r.evict(r.head, p)
	}
	for r.bytes+datagramOverhead > r.cfg.MaxBytes && r.head != nil {
		r.evict(r.head, p)
	}
	if len(r.table) >= r.cfg.MaxDatagrams || r.bytes+datagramOverhead > r.cfg.MaxBytes {
		// Only reachable with MaxDatagrams 0: nothing can be held.
		r.stats.Dropped++
		r.capAnomaly(p)
		return nil
	}
	var d *datagram
	if n := len(r.spare); n > 0 {
		d = r.spare[n-1]
		r.spare = r.spare[:n-1]
	} else {
		d = new(datagram)
	}
	d.k = f.k
	d.src, d.dst = p.IP.Src, p.IP.Dst
	d.id = f.k.id
	d.version = f.k.version
	d.proto = f.nh
	d.first = p.TS
	d.total = -1
	d.charged = datagramOverhead
	r.bytes += datagramOverhead
	r.table[f.k] = d
	// Append to the creation list.
	d.prev = r.tail
	d.nextNode = nil
	if r.tail != nil {
		r.tail.nextNode = d
	} else {
		r.head = d
	}
	r.tail = d
	return d
}

func (r *Reassembler) capAnomaly(p *decode.Packet) {
	if !r.capHit {
		r.capHit = true
		p.AddAnomaly(decode.AnomalyFragmentMemoryCap, 0)
	}
}

// evict removes d to make room, reporting it on p when it held data.
func (r *Reassembler) evict(d *datagram, p *decode.Packet) {
	if !d.dead {
		r.stats.Dropped++
		r.capAnomaly(p)
	}
	r.remove(d)
}

// release frees d's buffers and bookkeeping, keeping the datagram charge.
func (r *Reassembler) release(d *datagram) {
	for i, c := range d.chunks {
		r.pool.put(c)
		d.chunks[i] = nil
	}
	d.chunks = d.chunks[:0]
	if d.hdr != nil {
		r.pool.put(d.hdr)
		d.hdr = nil
	}
	clear(d.segs)
	d.segs = d.segs[:0]
	d.recs = d.recs[:0]
	r.bytes -= d.charged - datagramOverhead
	d.charged = datagramOverhead
	d.covered = 0
	d.nfrags = 0
}

// remove deletes d from the table and recycles it.
func (r *Reassembler) remove(d *datagram) {
	r.release(d)
	r.bytes -= d.charged
	delete(r.table, d.k)
	if d.prev != nil {
		d.prev.nextNode = d.nextNode
	} else {
		r.head = d.nextNode
	}
	if d.nextNode != nil {
		d.nextNode.prev = d.prev
	} else {
		r.tail = d.prev
	}
	segs, recs, chunks := d.segs, d.recs, d.chunks
	*d = datagram{}
	if len(r.spare) < maxSpare {
		// Keep the bookkeeping slices unless an attack inflated them.
		if cap(segs) <= 64 {
			d.segs = segs
		}
		if cap(recs) <= 64 {
			d.recs = recs
		}
		if cap(chunks) <= 64 {
			d.chunks = chunks
		}
		r.spare = append(r.spare, d)
	}
}

// discard turns d into a tombstone after an anomaly that invalidates it.
func (r *Reassembler) discard(d *datagram) {
	r.stats.Discarded++
	r.release(d)
	d.dead = true
}

// drop turns d into a tombstone because of a cap.
func (r *Reassembler) drop(d *datagram, p *decode.Packet) {
	r.stats.Dropped++
	r.capAnomaly(p)
	r.release(d)
	d.dead = true
}

// room makes need bytes available for d by evicting older datagrams; false
// when d alone would exceed MaxBytes.
func (r *Reassembler) room(d *datagram, need int, p *decode.Packet) bool {
	for r.bytes+need > r.cfg.MaxBytes {
		v := r.head
		if v == d {
			v = d.nextNode
		}
		if v == nil {
			return false
		}
		r.evict(v, p)
	}
	return true
}

func (r *Reassembler) insert(p *decode.Packet, d *datagram, f *frag) []byte {
	off, end := f.off, f.end
	if end > f.dgLimit {
		p.AddAnomaly(decode.AnomalyOversizedFragment, clampDetail(end))
		r.discard(d)
		return nil
	}
	// Find the parts of [off, end) not held yet and compare the rest.
	segs := d.segs
	lo, hi := 0, len(segs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if segs[m].off+len(segs[m].data) <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	pieces := r.pieces[:0]
	overlap, inconsistent := false, false
	cur := off
	i := lo
	for ; i < len(segs) && segs[i].off < end; i++ {
		s := &segs[i]
		sEnd := s.off + len(s.data)
		if s.off > cur {
			pieces = append(pieces, span{off: cur, end: s.off, at: i})
		}
		a, b := max(s.off, off), min(sEnd, end)
		if b > a {
			overlap = true
			if !bytes.Equal(s.data[a-s.off:b-s.off], f.data[a-off:b-off]) {
				inconsistent = true
			}
		}
		cur = max(cur, sEnd)
	}
	if cur < end {
		pieces = append(pieces, span{off: cur, end: end, at: i})
	}
	r.pieces = pieces

	if len(pieces) == 0 && !inconsistent {
		// Nothing new: an exact duplicate when a fragment with the same
		// range came before (a duplicate never conflicts with the end:
		// the first copy passed the checks below).
		for _, rec := range d.recs {
			if rec.off == off && rec.end == end {
				r.stats.Duplicates++
				return nil
			}
		}
	}
	// The last fragment fixes the end; nothing may lie beyond it.
	sizeBad := d.total >= 0 && end > d.total
	if !f.more {
		sizeBad = d.total >= 0 && d.total != end || d.maxEnd > end
	}
	if overlap {
		r.stats.Overlaps++
		p.AddAnomaly(decode.AnomalyFragmentOverlap, clampDetail(off))
		if inconsistent && d.version == 4 {
			r.stats.Inconsistent++
			p.AddAnomaly(decode.AnomalyFragmentInconsistent, clampDetail(off))
		}
	}
	if sizeBad {
		p.AddAnomaly(decode.AnomalyFragmentSizeMismatch, clampDetail(end))
		r.discard(d)
		return nil
	}
	if overlap && d.version == 6 {
		r.discard(d) // RFC 5722
		return nil
	}
	if d.nfrags >= r.cfg.MaxFragments {
		r.drop(d, p)
		return nil
	}

	newBytes := 0
	for _, pc := range pieces {
		newBytes += pc.end - pc.off
	}
	needHdr := off == 0 && d.hdr == nil
	charge := fragmentOverhead
	if newBytes > 0 {
		charge += chargeFor(newBytes)
	}
	if needHdr {
		charge += chargeFor(f.hdrLen)
	}
	if !r.room(d, charge, p) {
		r.drop(d, p)
		return nil
	}
	r.bytes += charge
	d.charged += charge

	if newBytes > 0 {
		chunk := r.pool.get(newBytes)
		d.chunks = append(d.chunks, chunk)
		// Merge the pieces into segs from the back.
		n0 := len(d.segs)
		for range pieces {
			d.segs = append(d.segs, seg{})
		}
		w, i := len(d.segs)-1, n0-1
		pos := newBytes
		for k := len(pieces) - 1; k >= 0; k-- {
			pc := pieces[k]
			for i >= pc.at {
				d.segs[w] = d.segs[i]
				w--
				i--
			}
			n := pc.end - pc.off
			pos -= n
			buf := chunk[pos : pos+n : pos+n]
			copy(buf, f.data[pc.off-off:pc.end-off])
			d.segs[w] = seg{off: pc.off, data: buf}
			w--
		}
		d.covered += newBytes
	}
	d.recs = append(d.recs, span{off: off, end: end})
	d.nfrags++
	d.maxEnd = max(d.maxEnd, end)
	if !f.more {
		d.total = end
	}
	if needHdr {
		d.hdr = r.pool.get(f.hdrLen)
		copy(d.hdr, p.IPRaw[:f.hdrLen])
		if d.version == 6 {
			d.prevNH = f.prevNH
			d.firstNH = f.nh
			d.proto = f.nh
			if _, _, ok := walkChain(f.data, f.nh); !ok {
				p.AddAnomaly(decode.AnomalyTinyFirstFragment, clampDetail(len(f.data)))
			}
		}
	}
	if d.total < 0 || d.covered != d.total || d.hdr == nil {
		return nil
	}
	return r.assemble(p, d)
}

// assemble writes d's datagram to r.out and removes d.
func (r *Reassembler) assemble(p *decode.Packet, d *datagram) []byte {
	hl := len(d.hdr)
	n := hl + d.total
	if d.version == 4 && n > 0xffff || d.version == 6 && n-40 > 0xffff {
		// The offset-0 header is longer than the fragment that set the
		// limit assumed.
		p.AddAnomaly(decode.AnomalyOversizedFragment, clampDetail(n))
		r.discard(d)
		return nil
	}
	if cap(r.out) < n {
		r.out = make([]byte, n, max(n, 2048))
	}
	out := r.out[:n]
	copy(out, d.hdr)
	for _, s := range d.segs {
		copy(out[hl+s.off:], s.data)
	}
	if d.version == 4 {
		binary.BigEndian.PutUint16(out[2:4], uint16(n))
		out[6], out[7] = 0, 0
		out[10], out[11] = 0, 0
		binary.BigEndian.PutUint16(out[10:12], ipv4Checksum(out[:hl]))
	} else {
		out[d.prevNH] = d.firstNH
		binary.BigEndian.PutUint16(out[4:6], uint16(n-40))
		if proto, at, _ := walkChain(out[hl:], d.firstNH); proto == decode.ProtoICMPv6 && hl+at < n {
			if t := out[hl+at]; t >= 133 && t <= 137 {
				p.AddAnomaly(decode.AnomalyNDPInFragment, uint32(t))
			}
		}
	}
	r.stats.Reassembled++
	r.remove(d)
	return out
}

func ipv4Checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// Expire drops datagrams whose timeout passed at now (Unix ns), reporting
// each incomplete one with AnomalyFragmentTimeout. report may be nil.
func (r *Reassembler) Expire(now int64, report func(Event)) {
	for d := r.head; d != nil && now-d.first >= r.timeout; d = r.head {
		if !d.dead {
			r.stats.Timeouts++
			if report != nil {
				report(Event{
					TS:   d.first + r.timeout,
					Kind: decode.AnomalyFragmentTimeout,
					Src:  d.src, Dst: d.dst,
					ID:    d.id,
					Proto: d.proto,
				})
			}
		}
		r.remove(d)
	}
}

// Shift moves the time of every datagram held by by (ns): a live run
// whose clock stepped back (by < 0) keeps the fragments it holds for their
// timeout on the new clock, rather than until the clock has caught up.
func (r *Reassembler) Shift(by int64) {
	for d := r.head; d != nil; d = d.nextNode {
		d.first += by
	}
}

// maxChain bounds the extension headers walkChain follows.
const maxChain = 32

// walkChain follows an IPv6 header chain in b that starts with next header
// nh. It returns the upper-layer protocol, its offset in b, and whether b
// holds the chain through the upper-layer header's minimum length.
func walkChain(b []byte, nh uint8) (proto uint8, off int, complete bool) {
	for range maxChain {
		var n int
		switch nh {
		case decode.ProtoHopByHop, decode.ProtoRouting, decode.ProtoDstOpts,
			decode.ProtoMobility, 139, 140: // HIP, Shim6
			if off+2 > len(b) {
				return nh, off, false
			}
			n = (int(b[off+1]) + 1) * 8
		case decode.ProtoAH:
			if off+2 > len(b) {
				return nh, off, false
			}
			n = (int(b[off+1]) + 2) * 4
		case decode.ProtoFragment:
			n = 8
		case decode.ProtoNoNext:
			return nh, off, true
		default:
			return nh, off, off+minUpper(nh) <= len(b)
		}
		if off+n > len(b) {
			return nh, off, false
		}
		nh = b[off]
		off += n
	}
	return nh, off, false
}

// minUpper is the upper-layer header length RFC 7112 wants in the first
// fragment (0 for protocols Vigil does not decode).
func minUpper(proto uint8) int {
	switch proto {
	case decode.ProtoTCP:
		return 20
	case decode.ProtoUDP, decode.ProtoICMPv6, decode.ProtoICMP, decode.ProtoESP:
		return 8
	case decode.ProtoSCTP:
		return 12
	case decode.ProtoGRE:
		return 4
	case decode.ProtoIPv6:
		return 40
	case decode.ProtoIPIP:
		return 20
	}
	return 0
}
