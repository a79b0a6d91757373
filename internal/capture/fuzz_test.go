package capture

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// FuzzReader feeds arbitrary bytes to OpenReader and reads them to the end.
// Every failure must be an *Error, every frame within bounds, the offset
// must advance with every frame, and a capture that reads cleanly must
// survive a round trip through the Writer. The seed corpus is in
// testdata/fuzz/FuzzReader (written by TestWriteFuzzSeeds). NextBatch must
// read the same as Next (checkBatches).
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := OpenReader("fuzz", bytes.NewReader(data))
		if err != nil {
			if e := asError(t, err); e.File != "fuzz" || e.Offset != 0 {
				t.Fatalf("bad open error %+v", e)
			}
			return
		}
		defer src.Close()
		var fr Frame
		var frames []frame
		prev := int64(0)
		var last error
		for {
			err := src.Next(&fr)
			if err == io.EOF {
				break
			}
			if err != nil {
				e := asError(t, err)
				if e.Offset < prev || e.Offset != src.Offset() {
					t.Fatalf("error offset %d; previous record ended at %d, Offset() %d", e.Offset, prev, src.Offset())
				}
				last = err
				break
			}
			if len(fr.Data) > MaxFrameLen || fr.OrigLen < len(fr.Data) || cap(fr.Data) != len(fr.Data) {
				t.Fatalf("bad frame: len %d cap %d orig %d", len(fr.Data), cap(fr.Data), fr.OrigLen)
			}
			off := src.Offset()
			if off <= prev {
				t.Fatalf("Offset did not advance: %d after %d", off, prev)
			}
			prev = off
			if len(frames) < 1000 {
				frames = append(frames, copyFrame(&fr))
			}
		}
		if err := src.Next(&fr); err != io.EOF {
			t.Fatalf("Next after the end: %v", err)
		}
		checkBatches(t, data)
		if last != nil || len(frames) == 0 || len(frames) == 1000 {
			return
		}
		// Round trip through the Writer where the frames fit pcap.
		for _, g := range frames {
			if g.Link != frames[0].Link || g.TS < 0 || g.TS/1e9 > math.MaxUint32 || g.OrigLen > math.MaxUint32 {
				return
			}
		}
		back, err := readBytes(t, writePcap(t, frames[0].Link, frames...))
		if err != io.EOF || !reflect.DeepEqual(back, frames) {
			t.Fatalf("round trip through the Writer: %v", err)
		}
	})
}

// checkBatches reads data with Next and with NextBatch (a size that
// depends on data): the same frames, errors and offsets.
func checkBatches(t *testing.T, data []byte) {
	read := func(size int) ([]string, map[int]int64) {
		src, err := OpenReader("fuzz", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		return readEvents(t, src, size)
	}
	want, wantOffs := read(0)
	size := 1 + len(data)%7
	got, offs := read(size)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NextBatch(%d): %d events, Next: %d; first difference %s", size, len(got), len(want), firstDiff(got, want))
	}
	for i, off := range offs {
		if off != wantOffs[i] {
			t.Fatalf("NextBatch(%d): Offset %d after event %d, Next: %d", size, off, i, wantOffs[i])
		}
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzReader when
// VIGIL_WRITE_FUZZ_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_FUZZ_SEEDS=1 to rewrite the seed corpus")
	}
	d1, d2 := pkt(42, 1), pkt(13, 2)
	pcapLE := writePcap(t, decode.LinkEthernet, frame{TS: 1_700_000_000_123_456_789, Data: string(d1), OrigLen: 60}, frame{TS: 1_700_000_001e9, Data: string(d2)})
	pcapBE := (&pcapFile{be: true, link: 113 | 0x14000000, snap: 96}).header().record(1, 999999, 13, 13, d2).record(2, 0, 0, 99, nil).buf
	ngLE := (&ng{}).shb(false).idb(decode.LinkEthernet, 0).idb(decode.LinkRaw, 64, tsresol(0x80|10), opt{14, []byte{1, 0, 0, 0, 0, 0, 0, 0}}).
		block(4, []byte{1, 0, 4, 0, 1, 2, 3, 4, 'a', 0, 0, 0, 0, 0, 0, 0}).epb(1, 1<<40, d2, 20, opt{1, []byte("hi")}).spb(42, d1).opb(0, 77, d2, 13).block(5, make([]byte, 12)).buf
	ngBE := (&ng{}).shb(true).idb(decode.LinkLinuxSLL2, 0, tsresol(9)).epb(0, 12345, d1, 42)
	ngBE.shb(false).idb(decode.LinkIPv4, 0, tsresol(3)).epb(0, 1, d2, 13)
	seeds := map[string][]byte{
		"pcap-le-nano":        pcapLE,
		"pcap-be-micro":       pcapBE,
		"pcapng-le":           ngLE,
		"pcapng-two-sections": ngBE.buf,
		"gzip-pcap":           gz(t, pcapLE),
		"gzip-pcapng":         gz(t, ngLE),
		"pcap-truncated":      pcapLE[:len(pcapLE)-5],
		"pcapng-truncated":    ngLE[:len(ngLE)-7],
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
