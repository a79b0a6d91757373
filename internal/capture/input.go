package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// ErrNotCapture is wrapped by the *Error reported for an input whose magic
// is neither pcap, pcapng nor gzip around one of them.
var ErrNotCapture = errors.New("not a capture file")

const (
	// readBufSize is the size of the buffered reader over the
	// (decompressed) stream; it must hold a whole pcap record
	// (16 + MaxFrameLen bytes) so records can be handed out without copying.
	readBufSize = 1 << 20
	// rawBufSize buffers the on-disk bytes; gzip needs an io.ByteReader.
	rawBufSize = 64 << 10
	// maxBlockLen bounds a pcapng block's total length.
	maxBlockLen = 16 << 20
	// maxInterfaces bounds the interfaces one pcapng section may describe.
	maxInterfaces = 1 << 16
)

// Magic numbers as the first four bytes read little-endian.
const (
	magicPcapMicro     = 0xa1b2c3d4
	magicPcapMicroSwap = 0xd4c3b2a1
	magicPcapNano      = 0xa1b23c4d
	magicPcapNanoSwap  = 0x4d3cb2a1
	magicPcapng        = 0x0a0d0d0a
)

const (
	fmtPcap uint8 = iota + 1
	fmtPcapng
)

// bufSet is the per-input reading machinery, pooled because the read buffer
// is large and directory probes open many files.
type bufSet struct {
	raw *bufio.Reader // on-disk bytes
	br  *bufio.Reader // decompressed bytes
	gz  gzip.Reader
}

var bufPool = sync.Pool{New: func() any {
	return &bufSet{
		raw: bufio.NewReaderSize(nil, rawBufSize),
		br:  bufio.NewReaderSize(nil, readBufSize),
	}
}}

// countingReader counts the on-disk bytes read and remembers the
// underlying reader's last real error, so that a failing disk is not
// mistaken for a file that is not a capture.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// iface is one pcapng interface: its link type, snap length and how to turn
// its timestamps into Unix nanoseconds.
type iface struct {
	link   decode.LinkType
	snap   uint32
	res    tsResol
	offset int64 // if_tsoffset, seconds
}

// input is one open capture file or stream.
type input struct {
	name    string
	size    int64    // on-disk size, -1 when unknown
	file    *os.File // closed by close; nil when the caller owns the reader
	cr      countingReader
	bs      *bufSet
	br      byteReader // bs.br, or &mr for a mapped file
	mr      mapReader  // a mapped file's windows (mapped.go)
	gzipped bool
	format  uint8
	off     int64 // decompressed offset of the next record

	// pcap
	started bool // global header read
	be      bool // big-endian file (pcap) or section (pcapng)
	nano    bool
	link    decode.LinkType
	limit   uint32
	// win is the buffered bytes from br's read position on, of which
	// win[:pos] are records handed out but not yet discarded: a record
	// whole in win[pos:] needs no call to br.
	win []byte
	pos int
	one [1]Frame // nextInWindow's batch of one (windowFrames)
	// ahead: bytes of a mapped file's window prefetched ahead of pos
	// (0: none, read files); fetched: win[:fetched] were asked for.
	ahead, fetched int
	// oddTo: odd records of a mapped file that end up to this offset need
	// no check (oddUnchecked).
	oddTo int64

	// pcapng
	ifaces []iface
	lastTS int64

	// A frame (or error) read ahead while probing a stream input, which
	// cannot be reopened; replayed by the next call to next.
	pending bool
	pendErr error
	pend    Frame
	pendBuf []byte
}

// newInput detects the format of rd. file, when not nil, is closed by
// close (and on error).
func newInput(name string, rd io.Reader, size int64, file *os.File) (*input, error) {
	in := &input{name: name, size: size, file: file}
	in.cr.r = rd
	in.bs = bufPool.Get().(*bufSet)
	in.bs.raw.Reset(&in.cr)
	m, _ := in.bs.raw.Peek(2)
	if in.cr.err != nil {
		err := in.cr.err
		in.close()
		return nil, &Error{File: name, Err: err}
	}
	if len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		if err := in.bs.gz.Reset(in.bs.raw); err != nil {
			if in.cr.err != nil {
				err = in.cr.err
			} else {
				err = fmt.Errorf("%w: gzip magic but bad gzip header: %v", ErrNotCapture, err)
			}
			in.close()
			return nil, &Error{File: name, Err: err}
		}
		in.gzipped = true
		in.bs.br.Reset(&in.bs.gz)
	} else {
		in.bs.br.Reset(in.bs.raw)
	}
	in.br = in.bs.br
	m, err := in.br.Peek(4)
	if len(m) == 4 {
		switch binary.LittleEndian.Uint32(m) {
		case magicPcapMicro, magicPcapMicroSwap, magicPcapNano, magicPcapNanoSwap:
			in.format = fmtPcap
			return in, nil
		case magicPcapng:
			in.format = fmtPcapng
			return in, nil
		}
	}
	if in.cr.err != nil {
		err = in.cr.err
	} else {
		err = fmt.Errorf("%w: %s", ErrNotCapture, describeMagic(m, in.gzipped, err))
	}
	in.close()
	return nil, &Error{File: name, Err: err}
}

// describeMagic says what the first bytes of a non-capture were.
func describeMagic(m []byte, gzipped bool, err error) string {
	var s string
	switch {
	case len(m) == 0:
		s = "no data"
	case len(m) < 4:
		s = fmt.Sprintf("only %d bytes (%#x)", len(m), m)
	default:
		s = fmt.Sprintf("magic %#08x", binary.BigEndian.Uint32(m))
		printable := true
		for _, c := range m {
			if c < 0x20 || c > 0x7e {
				printable = false
			}
		}
		if printable {
			s += fmt.Sprintf(" (%q)", m)
		}
	}
	if gzipped {
		s = "gzip stream holding " + s
		if err != nil && err != io.EOF {
			s += fmt.Sprintf(" (%v)", err)
		}
	}
	return s
}

// next reads the next frame of this input.
func (in *input) next(f *Frame, scratch *[]byte) error {
	if in.pending {
		in.pending = false
		if in.pendErr != nil {
			return in.pendErr
		}
		*f = in.pend
		return nil
	}
	if in.format == fmtPcap {
		return in.nextPcap(f)
	}
	return in.nextPcapng(f, scratch)
}

// stash keeps the outcome of a probing call to next so that the following
// call replays it. The frame's data is copied: the shared buffers it points
// into are reused by other probes.
func (in *input) stash(f *Frame, err error) {
	in.pending = true
	in.pendErr = err
	if err == nil {
		in.pendBuf = append(in.pendBuf[:0], f.Data...)
		in.pend = *f
		in.pend.Data = in.pendBuf[:len(in.pendBuf):len(in.pendBuf)]
	}
}

// consumed is the number of on-disk bytes read so far.
func (in *input) consumed() int64 {
	if in.gzipped {
		return in.cr.n
	}
	return in.off
}

// close releases the buffers and closes the file. Frame data handed out
// before is invalid afterwards.
func (in *input) close() error {
	var err error
	if in.file != nil {
		err = in.file.Close()
		in.file = nil
	}
	if in.bs != nil {
		in.win, in.pos, in.fetched = nil, 0, 0
		in.mr = mapReader{} // its windows stay mapped in the reader's mapSet
		in.bs.br.Reset(nil)
		in.bs.raw.Reset(nil)
		bufPool.Put(in.bs)
		in.bs = nil
		in.br = nil
	}
	return err
}

// errAt makes an *Error at offset off.
func (in *input) errAt(off int64, format string, args ...any) error {
	return &Error{File: in.name, Offset: off, Err: fmt.Errorf(format, args...)}
}

// short reports that fewer bytes than needed for what (starting at off)
// could be read: a truncated file (io.ErrUnexpectedEOF), or the read error
// that stopped it (e.g. corrupt gzip data).
func (in *input) short(off int64, what string, have, want int, err error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return in.errAt(off, "truncated %s (%d of %d bytes): %w", what, have, want, io.ErrUnexpectedEOF)
	}
	return in.errAt(off, "reading %s: %w", what, err)
}

func u16(b []byte, be bool) uint16 {
	if be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func u32(b []byte, be bool) uint32 {
	if be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func u64(b []byte, be bool) uint64 {
	if be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}
