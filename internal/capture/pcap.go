package capture

import (
	"encoding/binary"
	"io"

	"github.com/vigil-nsm/vigil/internal/decode"
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
// nothing. reader.Next tries it before anything else.
func (in *input) nextInWindow(f *Frame) bool {
	rest := in.win[in.pos:]
	if len(rest) < pcapRecordLen || in.pending {
		return false
	}
	incl := u32(rest[8:12], in.be)
	n := pcapRecordLen + int(incl)
	if incl > in.limit || n > len(rest) {
		return false
	}
	in.fillPcap(f, rest[:n])
	in.pos += n // an integer: no write barrier per record
	return true
}

// fillPcap sets f from the record b (header and captured bytes) and counts
// it in in.off.
func (in *input) fillPcap(f *Frame, b []byte) {
	h := (*[pcapRecordLen]byte)(b) // one bounds check for the header
	sec := int64(u32(h[0:4], in.be))
	frac := int64(u32(h[4:8], in.be))
	if !in.nano {
		frac *= 1000
	}
	f.TS = sec*1e9 + frac
	f.Data = b[pcapRecordLen:len(b):len(b)]
	f.OrigLen = max(int(u32(h[12:16], in.be)), len(b)-pcapRecordLen)
	f.LinkType = in.link
	in.off += int64(len(b))
}

// nextPcapFill is nextPcap for a record not whole in in.win: it discards
// the bytes handed out so far, peeks at the buffered ones (filling the
// buffer if need be) and starts a new window with the record.
func (in *input) nextPcapFill(f *Frame) error {
	in.br.Discard(in.pos)
	in.win, in.pos = nil, 0
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
	in.fillPcap(f, b[:n])
	in.win, in.pos = b, n
	return nil
}
