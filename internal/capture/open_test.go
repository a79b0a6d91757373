package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// names reads src to the end and returns the Name of each frame's file
// (collapsed runs) and the frame count.
func names(t *testing.T, src Source) ([]string, int) {
	t.Helper()
	var out []string
	var f Frame
	n := 0
	for {
		err := src.Next(&f)
		if err == io.EOF {
			return out, n
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		n++
		if name := src.Name(); len(out) == 0 || out[len(out)-1] != name {
			out = append(out, name)
		}
	}
}

func TestGzip(t *testing.T) {
	plainPcap := writePcap(t, decode.LinkEthernet, frame{TS: 1, Data: string(pkt(100, 1))}, frame{TS: 2, Data: string(pkt(200, 2))})
	n := (&ng{}).shb(true).idb(decode.LinkRaw, 0).epb(0, 7, pkt(30, 3), 30)
	// Each capture with the length of its last record (the last block).
	for _, tc := range []struct {
		plain []byte
		last  int
	}{{plainPcap, 16 + 200}, {n.buf, 12 + 20 + 32}} {
		plain := tc.plain
		want, err := readBytes(t, plain)
		if err != io.EOF {
			t.Fatal(err)
		}
		z := gz(t, plain)
		src, err := OpenReader("z", bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, src)
		if err != io.EOF || !reflect.DeepEqual(got, want) {
			t.Fatalf("gzip: got %d frames, %v", len(got), err)
		}
		if src.Offset() != int64(len(plain)) {
			t.Fatalf("Offset %d, want decompressed size %d", src.Offset(), len(plain))
		}
		if done, total := src.Progress(); done != int64(len(z)) || total != 0 {
			t.Fatalf("Progress %d/%d, want %d/0", done, total, len(z))
		}
		// Cut short: an *Error wrapping io.ErrUnexpectedEOF.
		_, err = readBytes(t, z[:len(z)-10])
		if asError(t, err); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut gzip: %v", err)
		}
		// A record cut inside the compressed stream: the offset is the
		// decompressed offset of the record.
		_, err = readBytes(t, gz(t, plain[:len(plain)-3]))
		if e := asError(t, err); !errors.Is(err, io.ErrUnexpectedEOF) || e.Offset != int64(len(plain)-tc.last) {
			t.Fatalf("cut record in gzip: %v", err)
		}
		// Corrupt checksum.
		bad := bytes.Clone(z)
		bad[len(bad)-8] ^= 0xff
		_, err = readBytes(t, bad)
		if asError(t, err); !errors.Is(err, gzip.ErrChecksum) {
			t.Fatalf("bad checksum: %v", err)
		}
	}
}

func TestNotCapture(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, msg string
	}{
		{"notes.txt", "Hello, world", `magic 0x48656c6c ("Hell")`},
		{"empty.pcap", "", "no data"},
		{"short.pcap", "\xd4\xc3", "only 2 bytes (0xd4c3)"},
		{"log.gz", string(gz(t, []byte("#separator \\x09"))), `gzip stream holding magic 0x23736570 ("#sep")`},
		{"badgz.pcap", "\x1f\x8b\x00\x00", "bad gzip header"},
		{"binary", "\x00\x01\x02\x03\x04", "magic 0x00010203"},
	} {
		p := writeFile(t, dir, tc.name, []byte(tc.content))
		_, err := Open([]string{p})
		if !errors.Is(err, ErrNotCapture) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if e := asError(t, err); e.File != p || e.Offset != 0 {
			t.Fatalf("%s: %+v", tc.name, e)
		}
		contains(t, err, tc.msg)
		_, err = OpenReader(tc.name, strings.NewReader(tc.content))
		contains(t, err, tc.msg)
	}
	// A directory of nothing but non-captures is an error too.
	_, err := Open([]string{dir})
	contains(t, err, "no capture files in "+dir)
	if _, err := Open([]string{filepath.Join(dir, "missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Open(nil); err == nil {
		t.Fatal("Open(nil) succeeded")
	}
}

func TestDirectory(t *testing.T) {
	dir := t.TempDir()
	one := func(ts int64) []byte {
		return writePcap(t, decode.LinkEthernet, frame{TS: ts, Data: "x"}, frame{TS: ts + 1, Data: "y"})
	}
	ngAt := func(ts uint64) []byte {
		return (&ng{}).shb(true).idb(decode.LinkEthernet, 0, tsresol(9)).block(4, make([]byte, 4)).epb(0, ts, []byte("z"), 1).buf
	}
	files := map[string][]byte{
		"b.pcap":               one(200e9),
		"a.pcapng":             ngAt(100e9),
		"sub/deeper/c.pcap.gz": gz(t, one(150e9)),
		"d.cap":                one(100e9),                         // same time as a.pcapng: name decides
		"empty-header.pcap":    writePcap(t, decode.LinkEthernet),  // no packet: last
		"broken.pcap":          append(one(50e9)[:24], 1, 2, 3, 4), // first record broken: last
		"README":               []byte("not a capture"),
		"sub/empty":            nil,
	}
	var total int64
	for name, b := range files {
		writeFile(t, dir, name, b)
		if name != "README" && name != "sub/empty" {
			total += int64(len(b))
		}
	}
	if err := os.Symlink(filepath.Join(dir, "b.pcap"), filepath.Join(dir, "sub", "link-to-b")); err != nil {
		t.Fatal(err)
	}
	total += int64(len(files["b.pcap"]))

	src, err := Open([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var skipped []string
	for _, e := range Skipped(src) {
		if !errors.Is(e, ErrNotCapture) {
			t.Errorf("skipped %s: %v", e.File, e.Err)
		}
		skipped = append(skipped, filepath.Base(e.File))
	}
	if !reflect.DeepEqual(skipped, []string{"README", "empty"}) {
		t.Fatalf("skipped %v", skipped)
	}
	var order []string
	var f Frame
	var errs []string
	for {
		err := src.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, filepath.Base(asError(t, err).File))
			continue
		}
		if rel, _ := filepath.Rel(dir, src.Name()); len(order) == 0 || order[len(order)-1] != rel {
			order = append(order, rel)
		}
	}
	want := []string{"a.pcapng", "d.cap", "sub/deeper/c.pcap.gz", "b.pcap", "sub/link-to-b"}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if !reflect.DeepEqual(errs, []string{"broken.pcap"}) {
		t.Fatalf("errors from %v", errs)
	}
	if done, tot := src.Progress(); done != total || tot != total {
		t.Fatalf("Progress %d/%d, want %d", done, tot, total)
	}
	if Skipped(nil) != nil {
		t.Fatal("Skipped(nil)")
	}
}

func TestMultipleArguments(t *testing.T) {
	dir := t.TempDir()
	p1 := writeFile(t, dir, "x/late.pcap", writePcap(t, decode.LinkEthernet, frame{TS: 30, Data: "a"}))
	p2 := writeFile(t, dir, "y/early.pcap", writePcap(t, decode.LinkEthernet, frame{TS: 10, Data: "b"}))
	p3 := writeFile(t, dir, "z/mid.pcap", writePcap(t, decode.LinkEthernet, frame{TS: 20, Data: "c"}))
	src, err := Open([]string{p1, filepath.Join(dir, "z"), p2})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got, n := names(t, src)
	if want := []string{p2, p3, p1}; !reflect.DeepEqual(got, want) || n != 3 {
		t.Fatalf("order %v (%d frames), want %v", got, n, want)
	}
	// A named non-capture among captures fails the whole Open.
	bad := writeFile(t, dir, "bad.txt", []byte("nope"))
	if _, err := Open([]string{p1, bad}); !errors.Is(err, ErrNotCapture) {
		t.Fatalf("Open with a named non-capture: %v", err)
	}
}

// TestErrorThenNext checks that after an *Error the Source moves on to the
// next input.
func TestErrorThenNext(t *testing.T) {
	dir := t.TempDir()
	good := writePcap(t, decode.LinkEthernet, frame{TS: 10, Data: "a"}, frame{TS: 11, Data: "b"})
	broken := append(bytes.Clone(good), 0, 0, 0) // 3 stray bytes after two records
	p1 := writeFile(t, dir, "1.pcap", broken)
	p2 := writeFile(t, dir, "2.pcap", writePcap(t, decode.LinkEthernet, frame{TS: 20, Data: "c"}))
	src, err := Open([]string{p2, p1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	var seq []string
	for {
		err := src.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			e := asError(t, err)
			if e.File != p1 || e.Offset != int64(len(good)) || src.Offset() != e.Offset || src.Name() != p1 {
				t.Fatalf("error %v; Name %s Offset %d", err, src.Name(), src.Offset())
			}
			seq = append(seq, "error")
			continue
		}
		seq = append(seq, string(f.Data))
	}
	if want := []string{"a", "b", "error", "c"}; !reflect.DeepEqual(seq, want) {
		t.Fatalf("got %v, want %v", seq, want)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Next(&f); err == nil || err == io.EOF {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestOffsetAndProgress(t *testing.T) {
	b := writePcap(t, decode.LinkEthernet, frame{TS: 1, Data: string(pkt(10, 1))}, frame{TS: 2, Data: string(pkt(20, 2))})
	p := writeFile(t, t.TempDir(), "f.pcap", b)
	src, err := Open([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Name() != p {
		t.Fatalf("Name before Next: %q", src.Name())
	}
	var f Frame
	wantOff := []int64{24 + 16 + 10, 24 + 16 + 10 + 16 + 20}
	for i, w := range wantOff {
		if err := src.Next(&f); err != nil {
			t.Fatal(err)
		}
		if src.Offset() != w {
			t.Fatalf("frame %d: Offset %d, want %d", i, src.Offset(), w)
		}
		if done, total := src.Progress(); done != w || total != int64(len(b)) {
			t.Fatalf("frame %d: Progress %d/%d", i, done, total)
		}
	}
	if err := src.Next(&f); err != io.EOF {
		t.Fatal(err)
	}
	if done, total := src.Progress(); done != total || src.Offset() != int64(len(b)) {
		t.Fatalf("at EOF: Progress %d/%d Offset %d", done, total, src.Offset())
	}
}

// withStdin runs fn with os.Stdin reading b through a pipe.
func withStdin(t *testing.T, b []byte, fn func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write(b)
		w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	defer func() {
		os.Stdin = old
		r.Close()
	}()
	fn()
}

func TestStdin(t *testing.T) {
	b := writePcap(t, decode.LinkEthernet, frame{TS: 5, Data: "s1"}, frame{TS: 50, Data: "s2"})
	want, _ := readBytes(t, b)

	// Via OpenReader, gzip-compressed.
	src, err := OpenReader("-", bytes.NewReader(gz(t, b)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, src); err != io.EOF || !reflect.DeepEqual(got, want) || src.Name() != "-" {
		t.Fatalf("OpenReader: %v %v", got, err)
	}

	// Via Open("-") alone.
	withStdin(t, b, func() {
		src, err := Open([]string{"-"})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if got, err := readAll(t, src); err != io.EOF || !reflect.DeepEqual(got, want) {
			t.Fatalf("Open(-): %v %v", got, err)
		}
		if _, total := src.Progress(); total != 0 {
			t.Fatalf("total %d for stdin", total)
		}
	})

	// Stdin among files: probed (its first frame kept) and ordered.
	dir := t.TempDir()
	p := writeFile(t, dir, "f.pcap", writePcap(t, decode.LinkEthernet, frame{TS: 1, Data: "f1"}))
	q := writeFile(t, dir, "g.pcap", writePcap(t, decode.LinkEthernet, frame{TS: 10, Data: "g1"}))
	withStdin(t, b, func() {
		src, err := Open([]string{q, "-", p})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		var seq []string
		var f Frame
		for {
			err := src.Next(&f)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			seq = append(seq, src.Name()+":"+string(f.Data))
		}
		if w := []string{p + ":f1", "-:s1", "-:s2", q + ":g1"}; !reflect.DeepEqual(seq, w) {
			t.Fatalf("got %v, want %v", seq, w)
		}
	})
	if _, err := Open([]string{"-", "-"}); err == nil {
		t.Fatal(`"-" twice accepted`)
	}
}
