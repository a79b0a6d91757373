package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// benchFrames is a mix of frame sizes typical of a link: ACKs, MTU-sized
// segments and mid-sized packets.
var benchSizes = []int{60, 1514, 66, 590, 1514, 1514, 74, 342}

func benchRead(b *testing.B, head, body []byte) {
	src, err := OpenReader("bench", &loopReader{head: head, body: body})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	total := 0
	for _, n := range benchSizes {
		total += n
	}
	b.SetBytes(int64(total / len(benchSizes)))
	b.ReportAllocs()
	var f Frame
	b.ResetTimer()
	for range b.N {
		if err := src.Next(&f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkReadPcap reads an endless pcap: one op is one frame.
func BenchmarkReadPcap(b *testing.B) {
	var frames []frame
	for i, n := range benchSizes {
		frames = append(frames, frame{TS: int64(i) * 1000, Data: string(pkt(n, byte(i)))})
	}
	file := writePcap(b, decode.LinkEthernet, frames...)
	benchRead(b, file[:pcapHeaderLen], file[pcapHeaderLen:])
}

// BenchmarkReadPcapng reads an endless pcapng of EPBs: one op is one frame.
func BenchmarkReadPcapng(b *testing.B) {
	n := (&ng{}).shb(false).idb(decode.LinkEthernet, 0, tsresol(9))
	head := n.buf
	n.buf = nil
	for i, size := range benchSizes {
		n.epb(0, uint64(i)*1000, pkt(size, byte(i)), uint32(size))
	}
	benchRead(b, head, n.buf)
}

// BenchmarkReadPcapGzip reads an endless gzip-compressed pcap (one gzip
// member per round of frames): one op is one frame.
func BenchmarkReadPcapGzip(b *testing.B) {
	var frames []frame
	for r := range 64 {
		for i, n := range benchSizes {
			frames = append(frames, frame{TS: int64(r*len(benchSizes)+i) * 1000, Data: string(pkt(n, byte(i+r)))})
		}
	}
	file := writePcap(b, decode.LinkEthernet, frames...)
	benchRead(b, gz(b, file[:pcapHeaderLen]), gz(b, file[pcapHeaderLen:]))
}

// BenchmarkWritePacket writes one 1514-byte packet per op.
func BenchmarkWritePacket(b *testing.B) {
	w, err := NewWriter(discard{}, decode.LinkEthernet, 0)
	if err != nil {
		b.Fatal(err)
	}
	data := pkt(1514, 1)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := range b.N {
		if err := w.WritePacket(int64(i), data, len(data)); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkReadPcapFile reads a 100,000-frame pcap file from disk through
// Open: one op is the whole file.
func BenchmarkReadPcapFile(b *testing.B) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, decode.LinkEthernet, 0)
	if err != nil {
		b.Fatal(err)
	}
	const frames = 100_000
	for i := range frames {
		n := benchSizes[i%len(benchSizes)]
		if err := w.WritePacket(int64(i)*1000, pkt(n, byte(i)), n); err != nil {
			b.Fatal(err)
		}
	}
	p := filepath.Join(b.TempDir(), "bench.pcap")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	var f Frame
	for range b.N {
		src, err := Open([]string{p})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for src.Next(&f) == nil {
			n++
		}
		src.Close()
		if n != frames {
			b.Fatalf("%d frames", n)
		}
	}
	b.ReportMetric(float64(b.N)*frames/b.Elapsed().Seconds(), "frames/s")
}
