package capture

import (
	"encoding/binary"
	"io"
	"math/bits"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/prefetch"
)

const (
	pcapHeaderLen = 24
	pcapRecordLen = 16
	// pcapMinLimit is the captured length a pcap record may always have,
	// whatever (possibly too small) snap length its header states.
	pcapMinLimit = 262144
)

// recordLimit is the largest captured length accepted in a pcap file whose
// header states snaplen: max(snaplen, 262144), never above MaxFrameLen.
func recordLimit(snaplen uint32) uint32 {
	lim := max(snaplen, pcapMinLimit)
	return min(lim, MaxFrameLen)
}

// readPcapHeader parses the 24-byte global header.
func (in *input) readPcapHeader() error {
	h, err := in.br.Peek(pcapHeaderLen)
	if len(h) < pcapHeaderLen {
		return in.short(0, "pcap file header", len(h), pcapHeaderLen, err)
	}
	switch binary.LittleEndian.Uint32(h) {
	case magicPcapMicro:
	case magicPcapMicroSwap:
		in.be = true
	case magicPcapNano:
		in.nano = true
	case magicPcapNanoSwap:
		in.be, in.nano = true, true
	}
	// The link-type field's upper 16 bits carry the FCS length and
	// reserved bits; only the low 16 bits name the link type.
	in.link = decode.LinkType(u32(h[20:], in.be) & 0xffff)
	in.limit = recordLimit(u32(h[16:], in.be))
	in.br.Discard(pcapHeaderLen)
	in.off = pcapHeaderLen
	in.started = true
	return nil
}

// nextPcap reads one pcap record. Its data is handed out straight from the
// read buffer: a whole record always fits in it. A record lying whole in
// in.win after in.pos is taken from there without calling the
// bufio.Reader (nextInWindow); the others go through nextPcapFill.
func (in *input) nextPcap(f *Frame) error {
	if in.nextInWindow(f) {
		return nil
	}
	return in.nextPcapFill(f)
}

// nextInWindow sets f from the next record and reports true when that
// record lies whole in in.win after in.pos and nothing is pending: the
// common case, which needs neither the bufio.Reader nor an error path. It
// reports false otherwise (in.win is empty for pcapng inputs), changing
// nothing. reader.Next tries it before anything else, and nextPcapFill
// calls it once it has made a window holding the record. It is
// windowFrames for one frame: one place parses records.
func (in *input) nextInWindow(f *Frame) bool {
	if in.windowFrames(in.one[:]) == 0 {
		return false
	}
	*f = in.one[0]
	return true
}

// windowFrames sets fs[:n] from the next n records that lie whole in
// in.win after in.pos and returns n, at most len(fs): 0 when a record is
// pending or the next one is not whole in the window. It reads the
// input's fields once a batch, not once a record (reader.NextBatch), and
// is the one place a pcap record is parsed.
func (in *input) windowFrames(fs []Frame) int {
	if in.pending {
		return 0
	}
	be, limit, link := in.be, in.limit, in.link
	fracNS := int64(1000) // the fraction is in microseconds
	if in.nano {
		fracNS = 1
	}
	rest := in.win[in.pos:]
	n := 0
	for ; n < len(fs) && len(rest) >= pcapRecordLen; n++ {
		sec, frac, incl, orig := recordHeader((*[pcapRecordLen]byte)(rest), be)
		size := pcapRecordLen + int(incl)
		if incl > limit || size > len(rest) {
			break
		}
		if incl-1 >= orig && in.oddUnchecked(len(in.win)-len(rest), size) {
			break // nextPcapFill checks it
		}
		f := &fs[n]
		f.TS = int64(sec)*1e9 + int64(frac)*fracNS
		f.Data = rest[pcapRecordLen:size:size]
		f.OrigLen = max(int(orig), int(incl))
		f.LinkType = link
		rest = rest[size:]
	}
	pos := len(in.win) - len(rest)
	in.off += int64(pos - in.pos)
	in.pos = pos // an integer: no write barrier
	if in.ahead != 0 {
		in.prefetchAhead()
	}
	return n
}

// oddUnchecked tells whether the record of size bytes at in.win[i:], an
// odd one (no bytes captured, or more than it had on the wire), is to be
// checked before it is handed out: in a mapped file, the zeros that the
// rest of the page holding the new end of a file truncated while it is
// read reads as look like that (see mapped.go). Read files need no check,
// and a record up to in.oddTo was checked.
func (in *input) oddUnchecked(i, size int) bool {
	return in.br == &in.mr && in.off+int64(i-in.pos+size) > in.oddTo
}

// checkOdd checks that the odd record of n bytes at in.off (oddUnchecked)
// is still in the mapped file, read before: its bytes were the file's
// then. The rest of its page needs no more checks (in.oddTo): a file's
// zeros past a new end are on one page.
func (in *input) checkOdd(n int) error {
	size, err := fileSize(in.file, &in.mr.st)
	if err != nil {
		return in.errAt(in.off, "reading record: %w", err)
	}
	end := in.off + int64(n)
	if size < end {
		return in.errAt(in.off, "reading record: %w", &shrankError{name: in.name, size: size, at: max(size, in.off)})
	}
	in.oddTo = min(size, (end+int64(pageSize)-1)&^int64(pageSize-1))
	return nil
}

// prefetchAhead asks the CPU for the bytes of in.win from in.pos up to
// in.ahead further, those not asked for before (up to in.fetched): a
// mapped file's bytes come from the page cache, not from a copy just made,
// and each record header would be a cache miss that the next header's
// read waits for.
func (in *input) prefetchAhead() {
	in.fetched = prefetchSpan(in.win, in.pos, in.fetched, in.ahead)
}

// prefetchSpan asks the CPU for buf[pos:pos+ahead] less what was asked for
// before (buf[:fetched]), once that is at least a page or reaches the end
// of buf, and returns how far buf is now asked for. The pcap reader and
// the mapped reader's pcapng blocks share it.
func prefetchSpan(buf []byte, pos, fetched, ahead int) int {
	from := max(fetched, pos)
	to := min(pos+ahead, len(buf))
	if to-from >= 4096 || (to == len(buf) && to > from) {
		prefetch.Lines(buf[from:to])
		return to
	}
	return fetched
}

// recordHeader returns the fields of a pcap record header: seconds,
// fraction (micro- or nanoseconds), captured and original lengths. It
// tests the byte order once for all four.
func recordHeader(h *[pcapRecordLen]byte, be bool) (sec, frac, incl, orig uint32) {
	sec = binary.LittleEndian.Uint32(h[0:4])
	frac = binary.LittleEndian.Uint32(h[4:8])
	incl = binary.LittleEndian.Uint32(h[8:12])
	orig = binary.LittleEndian.Uint32(h[12:16])
	if be {
		sec, frac = bits.ReverseBytes32(sec), bits.ReverseBytes32(frac)
		incl, orig = bits.ReverseBytes32(incl), bits.ReverseBytes32(orig)
	}
	return sec, frac, incl, orig
}

// nextPcapFill is nextPcap for a record not whole in in.win: it discards
// the bytes handed out so far, peeks at the buffered ones (filling the
// buffer if need be) and starts a new window with the record.
func (in *input) nextPcapFill(f *Frame) error {
	in.br.Discard(in.pos)
	in.win, in.pos, in.fetched = nil, 0, 0
	if !in.started {
		if err := in.readPcapHeader(); err != nil {
			return err
		}
	}
	// Most records lie whole in the buffered bytes: one Peek, no fill.
	h, err := in.br.Peek(in.br.Buffered())
	if len(h) < pcapRecordLen {
		if h, err = in.br.Peek(pcapRecordLen); len(h) < pcapRecordLen {
			if len(h) == 0 && err == io.EOF {
				return io.EOF
			}
			return in.short(in.off, "record header", len(h), pcapRecordLen, err)
		}
		h, _ = in.br.Peek(in.br.Buffered()) // all that the fill brought
	}
	incl := u32(h[8:], in.be)
	if incl > in.limit {
		return in.errAt(in.off, "record captured length %d exceeds limit %d", incl, in.limit)
	}
	n := pcapRecordLen + int(incl)
	b := h
	if len(b) < n {
		b, err = in.br.Peek(n) // may move the buffered bytes: h is stale now
		if len(b) < n {
			return in.short(in.off, "record", len(b), n, err)
		}
	}
	// The record lies whole in b now: a window that nextInWindow takes it
	// from (its checks hold: nothing is pending, incl is within limit).
	in.win = b
	if incl-1 >= u32(b[12:], in.be) && in.oddUnchecked(0, n) {
		if err := in.checkOdd(n); err != nil {
			return err
		}
	}
	if !in.nextInWindow(f) {
		return in.errAt(in.off, "record of %d bytes not in the read window", n)
	}
	return nil
}
