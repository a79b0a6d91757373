package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// order is a byte order that appends.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// frame is a Frame with its data copied, for comparisons.
type frame struct {
	TS      int64
	Data    string
	OrigLen int
	Link    decode.LinkType
}

func copyFrame(f *Frame) frame {
	return frame{TS: f.TS, Data: string(f.Data), OrigLen: f.OrigLen, Link: f.LinkType}
}

// readAll reads src to its first error, returning the frames and the error
// (io.EOF at a clean end).
func readAll(t testing.TB, src Source) ([]frame, error) {
	t.Helper()
	var out []frame
	var f Frame
	for {
		err := src.Next(&f)
		if err != nil {
			return out, err
		}
		if len(f.Data) > MaxFrameLen || f.OrigLen < len(f.Data) {
			t.Fatalf("bad frame: %d bytes, orig %d", len(f.Data), f.OrigLen)
		}
		out = append(out, copyFrame(&f))
	}
}

// readBytes opens b with OpenReader and reads it all.
func readBytes(t testing.TB, b []byte) ([]frame, error) {
	t.Helper()
	src, err := OpenReader("test", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer src.Close()
	return readAll(t, src)
}

// asError checks that err is an *Error and returns it.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

// pkt makes n bytes of recognisable data.
func pkt(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// writePcap writes frames with the Writer.
func writePcap(t testing.TB, link decode.LinkType, frames ...frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, link, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WritePacket(f.TS, []byte(f.Data), f.OrigLen); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// pcapFile builds a classic pcap by hand: byte order, resolution, raw
// link-type field and snaplen, then records {sec, frac, incl, orig, data}.
type pcapFile struct {
	be   bool
	nano bool
	link uint32
	snap uint32
	buf  []byte
}

func (p *pcapFile) order() order {
	if p.be {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (p *pcapFile) header() *pcapFile {
	o := p.order()
	magic := uint32(0xa1b2c3d4)
	if p.nano {
		magic = 0xa1b23c4d
	}
	p.buf = o.AppendUint32(p.buf, magic)
	p.buf = o.AppendUint16(p.buf, 2)
	p.buf = o.AppendUint16(p.buf, 4)
	p.buf = o.AppendUint32(p.buf, 0)
	p.buf = o.AppendUint32(p.buf, 0)
	p.buf = o.AppendUint32(p.buf, p.snap)
	p.buf = o.AppendUint32(p.buf, p.link)
	return p
}

func (p *pcapFile) record(sec, frac, incl, orig uint32, data []byte) *pcapFile {
	o := p.order()
	p.buf = o.AppendUint32(p.buf, sec)
	p.buf = o.AppendUint32(p.buf, frac)
	p.buf = o.AppendUint32(p.buf, incl)
	p.buf = o.AppendUint32(p.buf, orig)
	p.buf = append(p.buf, data...)
	return p
}

// ng builds pcapng files block by block in one byte order (switchable by
// shb, which starts a new section).
type ng struct {
	be  bool
	buf []byte
}

func (n *ng) order() order {
	if n.be {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// block appends a block with the given body, padded to 4 bytes.
func (n *ng) block(typ uint32, body []byte) *ng {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	o := n.order()
	tl := uint32(12 + len(body))
	n.buf = o.AppendUint32(n.buf, typ)
	n.buf = o.AppendUint32(n.buf, tl)
	n.buf = append(n.buf, body...)
	n.buf = o.AppendUint32(n.buf, tl)
	return n
}

func (n *ng) shb(be bool) *ng {
	n.be = be
	o := n.order()
	var body []byte
	body = o.AppendUint32(body, 0x1a2b3c4d)
	body = o.AppendUint16(body, 1)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint64(body, ^uint64(0))
	return n.block(blockSHB, body)
}

// opt is a pcapng option.
type opt struct {
	code uint16
	val  []byte
}

func (n *ng) opts(body []byte, opts []opt) []byte {
	o := n.order()
	for _, op := range opts {
		body = o.AppendUint16(body, op.code)
		body = o.AppendUint16(body, uint16(len(op.val)))
		body = append(body, op.val...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0)
	}
	return body
}

func (n *ng) idb(link decode.LinkType, snap uint32, opts ...opt) *ng {
	o := n.order()
	var body []byte
	body = o.AppendUint16(body, uint16(link))
	body = o.AppendUint16(body, 0)
	body = o.AppendUint32(body, snap)
	return n.block(blockIDB, n.opts(body, opts))
}

func tsresol(v byte) opt { return opt{optTSResol, []byte{v}} }

func (n *ng) tsoffset(sec int64) opt {
	return opt{optTSOffset, n.order().AppendUint64(nil, uint64(sec))}
}

func (n *ng) epb(id uint32, ts uint64, data []byte, orig uint32, opts ...opt) *ng {
	o := n.order()
	var body []byte
	body = o.AppendUint32(body, id)
	body = o.AppendUint32(body, uint32(ts>>32))
	body = o.AppendUint32(body, uint32(ts))
	body = o.AppendUint32(body, uint32(len(data)))
	body = o.AppendUint32(body, orig)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return n.block(blockEPB, n.opts(body, opts))
}

func (n *ng) opb(id uint16, ts uint64, data []byte, orig uint32) *ng {
	o := n.order()
	var body []byte
	body = o.AppendUint16(body, id)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint32(body, uint32(ts>>32))
	body = o.AppendUint32(body, uint32(ts))
	body = o.AppendUint32(body, uint32(len(data)))
	body = o.AppendUint32(body, orig)
	body = append(body, data...)
	return n.block(blockOPB, body)
}

func (n *ng) spb(orig uint32, data []byte) *ng {
	body := n.order().AppendUint32(nil, orig)
	return n.block(blockSPB, append(body, data...))
}

// raw appends bytes as they are.
func (n *ng) raw(b ...byte) *ng {
	n.buf = append(n.buf, b...)
	return n
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loopReader serves head once, then body over and over: an endless
// capture for benchmarks and allocation checks.
type loopReader struct {
	head, body []byte
	pos        int
	inBody     bool
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		src := l.body
		if !l.inBody {
			src = l.head
		}
		c := copy(p[n:], src[l.pos:])
		n += c
		l.pos += c
		if l.pos == len(src) {
			l.pos, l.inBody = 0, true
		}
	}
	return n, nil
}

func contains(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v does not contain %q", err, want)
	}
}

var _ io.Reader = (*loopReader)(nil)
