package http

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"sync/atomic"
)

// Content encodings Zeek decodes before counting and sniffing a body.
const (
	encNone = iota
	encGzip
	encDeflate
)

// inflater decodes one compressed body. The standard library's
// decompressors pull their input, so one runs in a goroutine reading from
// a pipe: Write returns once the decompressor has taken every byte, and the
// results (decoded length, first bytes) are read only after Close, so they
// do not depend on scheduling. Memory: one decompressor window (32 KiB) and
// a 4 KiB read buffer per compressed body in progress.
type inflater struct {
	pw    *io.PipeWriter
	done  chan struct{}
	n     uint64
	sniff []byte
	limit int
}

// MaxInflating bounds the bodies decoded at once, process-wide; MaxInflated
// bounds the bytes one body decodes to (a decompression bomb stops there and
// its length is reported as MaxInflated).
const (
	MaxInflating = 256
	MaxInflated  = 64 << 20
)

var inflating atomic.Int32

// newInflater starts a decoder, or returns nil when MaxInflating are busy.
func newInflater(enc int, sniffLen int) *inflater {
	if inflating.Add(1) > MaxInflating {
		inflating.Add(-1)
		return nil
	}
	pr, pw := io.Pipe()
	z := &inflater{pw: pw, done: make(chan struct{}), limit: sniffLen}
	go z.run(enc, pr)
	return z
}

func (z *inflater) run(enc int, pr *io.PipeReader) {
	defer close(z.done)
	defer inflating.Add(-1)
	br := bufio.NewReaderSize(pr, 4096)
	var r io.Reader
	var err error
	switch enc {
	case encGzip:
		var g *gzip.Reader
		g, err = gzip.NewReader(br)
		if err == nil {
			g.Multistream(false)
			r = g
		}
	default:
		// "deflate" is meant to be zlib, but many servers send raw
		// DEFLATE; like Zeek, accept both.
		h, perr := br.Peek(2)
		if perr == nil && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			r, err = zlib.NewReader(br)
		} else {
			r = flate.NewReader(br)
		}
	}
	if err == nil {
		var buf [8192]byte
		for {
			n, rerr := r.Read(buf[:])
			if n > 0 {
				z.n += uint64(n)
				if z.n >= MaxInflated {
					z.n = MaxInflated
					break
				}
				if room := z.limit - len(z.sniff); room > 0 {
					z.sniff = append(z.sniff, buf[:min(room, n)]...)
				}
			}
			if rerr != nil {
				break
			}
		}
	}
	// Stop taking input: further writes fail at once.
	pr.CloseWithError(io.ErrClosedPipe)
}

// Write hands compressed bytes to the decompressor.
func (z *inflater) Write(p []byte) {
	_, _ = z.pw.Write(p)
}

// Close ends the input and waits for the decompressor; it returns the
// decoded length and first bytes.
func (z *inflater) Close() (uint64, []byte) {
	z.pw.Close()
	<-z.done
	return z.n, z.sniff
}
