package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// readEvents reads src to its end, going on after an *Error as a caller
// that logs it does, and describes every frame and error; offs maps the
// index of the last frame a call returned to Offset after that call. size
// 0 reads with Next, otherwise with NextBatch, size frames at most a call;
// a batch's frames are described only once the batch is complete, so they
// must all still be valid then.
func readEvents(t testing.TB, src Source, size int) (events []string, offs map[int]int64) {
	t.Helper()
	offs = map[int]int64{}
	var one Frame
	fs := make([]Frame, max(size, 1))
	for {
		var err error
		n := 1
		if size == 0 {
			err = src.Next(&one)
			fs[0] = one
		} else {
			n, err = src.(BatchSource).NextBatch(fs)
			if err == nil && (n < 1 || n > size) {
				t.Fatalf("NextBatch of %d frames returned %d", size, n)
			}
		}
		if err == io.EOF {
			return events, offs
		}
		if err != nil {
			events = append(events, fmt.Sprintf("error %v at %d in %s", err, src.Offset(), src.Name()))
			var e *Error
			if !errors.As(err, &e) {
				return events, offs
			}
			continue
		}
		for i := range fs[:n] {
			f := &fs[i]
			events = append(events, fmt.Sprintf("frame %d %q %d %d in %s", f.TS, f.Data, f.OrigLen, f.LinkType, src.Name()))
		}
		offs[len(events)-1] = src.Offset()
	}
}

// batchInputs writes captures in several formats, one larger than the
// read buffer, one broken, one truncated, into a directory.
func batchInputs(t *testing.T) string {
	dir := t.TempDir()
	var big []frame
	for i := range 3000 {
		big = append(big, frame{TS: int64(i) * 1e6, Data: string(pkt(i%1500, byte(i))), OrigLen: i % 1500})
	}
	big[7].Data, big[7].OrigLen = "", 0
	writeFile(t, dir, "a-big.pcap", writePcap(t, decode.LinkEthernet, big...))
	small := writePcap(t, decode.LinkEthernet, frame{TS: 5e9, Data: "a"}, frame{TS: 6e9, Data: "b"})
	writeFile(t, dir, "b-broken.pcap", append(bytes.Clone(small), 0, 0, 0))
	writeFile(t, dir, "c.pcap.gz", gz(t, writePcap(t, decode.LinkRaw, big[:500]...)))
	be := (&pcapFile{be: true, link: 113, snap: 96}).header().record(7, 999999, 13, 13, pkt(13, 2)).record(8, 0, 0, 99, nil).buf
	writeFile(t, dir, "d-be.pcap", be)
	writeFile(t, dir, "e-truncated.pcap", small[:len(small)-1])
	ng := (&ng{}).shb(false).idb(decode.LinkEthernet, 0).epb(0, 9e6, pkt(40, 3), 40).spb(42, pkt(42, 4)).buf
	writeFile(t, dir, "f.pcapng", ng)
	return dir
}

// TestNextBatchMatchesNext reads the same inputs with Next and with
// NextBatch of several sizes: the same frames, errors and offsets.
func TestNextBatchMatchesNext(t *testing.T) {
	dir := batchInputs(t)
	read := func(size int) ([]string, map[int]int64) {
		src, err := Open([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		return readEvents(t, src, size)
	}
	want, wantOffs := read(0)
	errs := 0
	for _, e := range want {
		if strings.HasPrefix(e, "error") {
			errs++
		}
	}
	if len(want) < 3500 || errs != 2 {
		t.Fatalf("%d events, %d errors; want more than 3500 and 2 (broken, truncated)", len(want), errs)
	}
	for _, size := range []int{1, 2, 3, 64, 5000} {
		got, offs := read(size)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("NextBatch(%d): %d events, Next: %d; first difference %s", size, len(got), len(want), firstDiff(got, want))
		}
		if size > 1 && len(offs) >= len(wantOffs) {
			t.Errorf("NextBatch(%d): %d calls returned frames, as many as Next's %d", size, len(offs), len(wantOffs))
		}
		for i, off := range offs {
			if off != wantOffs[i] {
				t.Errorf("NextBatch(%d): Offset %d after event %d, Next: %d", size, off, i, wantOffs[i])
			}
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: %q vs %q", i, a[i], b[i])
		}
	}
	return "in length"
}
