package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// mapOn maps files however small for the test: it tests mapping.
func mapOn(t testing.TB) {
	old := minMapSize
	minMapSize = 0
	t.Cleanup(func() { minMapSize = old })
}

// withWindows makes mapped reading slide windows of win bytes at offsets
// aligned to align for the rest of the test (not parallel).
func withWindows(t testing.TB, win, align int) {
	oldW, oldA := mapWindow, mapAlign
	mapWindow, mapAlign = win, align
	t.Cleanup(func() { mapWindow, mapAlign = oldW, oldA })
}

// readOutcome is everything a Source said: frames, the offset after each
// frame (-1 where a batch handed out more), errors in order (io.EOF
// last). How many frames a batch holds depends on the window, so offsets
// are compared where both readings have one (sameOutcome).
type readOutcome struct {
	frames []frame
	offs   []int64
	errs   []string
}

// sameOutcome reports whether a and b read the same.
func sameOutcome(a, b readOutcome) bool {
	if !reflect.DeepEqual(a.frames, b.frames) || !reflect.DeepEqual(a.errs, b.errs) || len(a.offs) != len(b.offs) {
		return false
	}
	for i := range a.offs {
		if a.offs[i] >= 0 && b.offs[i] >= 0 && a.offs[i] != b.offs[i] {
			return false
		}
	}
	return true
}

// readPaths reads paths to io.EOF, mapped or not, mixing Next and
// NextBatch of varying sizes and going on after errors (the next input).
// mapped reports whether a window was mapped.
func readPaths(t testing.TB, paths []string, mapping bool) (out readOutcome, mapped bool) {
	t.Helper()
	return readPathsWith(t, paths, Options{Map: mapping})
}

// readPathsWith is readPaths with any options.
func readPathsWith(t testing.TB, paths []string, opt Options) (out readOutcome, mapped bool) {
	t.Helper()
	src, err := OpenWith(paths, opt)
	if err != nil {
		out.errs = append(out.errs, "open: "+err.Error())
		return out, false
	}
	defer src.Close()
	bs := src.(BatchSource)
	fs := make([]Frame, 7)
	for i := 0; ; i++ {
		if i > 10_000_000 {
			t.Fatal("no end")
		}
		var n int
		if i%3 == 0 {
			err = src.Next(&fs[0])
			if err == nil {
				n = 1
			}
		} else {
			n, err = bs.NextBatch(fs[:1+i%7])
		}
		if r := src.(*reader); r.maps != nil && r.maps.live[0].mem != nil {
			mapped = true
		}
		if err != nil {
			out.errs = append(out.errs, err.Error())
			if err == io.EOF {
				return out, mapped
			}
			continue
		}
		for j := range fs[:n] {
			f := &fs[j]
			if cap(f.Data) != len(f.Data) || len(f.Data) > MaxFrameLen || f.OrigLen < len(f.Data) {
				t.Fatalf("bad frame: len %d cap %d orig %d", len(f.Data), cap(f.Data), f.OrigLen)
			}
			out.frames = append(out.frames, copyFrame(f))
			out.offs = append(out.offs, -1)
		}
		if n > 0 {
			out.offs[len(out.offs)-1] = src.Offset()
		}
	}
}

// sameAsRead checks that reading paths mapped, with the default windows
// and with windows of a page or a few, gives what reading them gives.
// wantMapped says whether a window must have been mapped.
func sameAsRead(t *testing.T, paths []string, wantMapped bool) {
	t.Helper()
	want, _ := readPaths(t, paths, false)
	for _, w := range []struct{ win, align int }{{mapWindow, mapAlign}, {pageSize, pageSize}, {3 * pageSize, pageSize}, {300 << 10, 2 * pageSize}} {
		oldW, oldA := mapWindow, mapAlign
		mapWindow, mapAlign = w.win, w.align
		got, mapped := readPaths(t, paths, true)
		mapWindow, mapAlign = oldW, oldA
		if mapped != wantMapped {
			t.Errorf("window %d: mapped %v, want %v", w.win, mapped, wantMapped)
		}
		if !reflect.DeepEqual(got.errs, want.errs) {
			t.Fatalf("window %d: errors\n%q\nread:\n%q", w.win, got.errs, want.errs)
		}
		if len(got.frames) != len(want.frames) {
			t.Fatalf("window %d: %d frames, read %d", w.win, len(got.frames), len(want.frames))
		}
		if !sameOutcome(got, want) {
			t.Fatalf("window %d: frames or offsets differ", w.win)
		}
	}
}

// mappedCases are captures of every shape the readers know, good and bad.
func mappedCases(t testing.TB) map[string][]byte {
	cases := map[string][]byte{}
	var fr []frame
	for i := 0; i < 300; i++ {
		n := []int{60, 1514, 9000, 1, 0, 70000, 4000}[i%7]
		if i == 150 {
			n = MaxFrameLen
		}
		fr = append(fr, frame{TS: int64(i) * 1e6, Data: string(pkt(n, byte(i))), OrigLen: n + i%2})
	}
	pc := writePcap(t, decode.LinkEthernet, fr...)
	cases["pcap"] = pc
	cases["pcap-cut-record"] = pc[:len(pc)-100]
	cases["pcap-cut-header"] = pc[:len(pc)-len(fr[299].Data)-10]
	cases["pcap-header-only"] = pc[:24]
	cases["pcap-short-header"] = pc[:10]
	be := &pcapFile{be: true, nano: true, link: 1, snap: 65535}
	be.header()
	for i := 0; i < 50; i++ {
		d := pkt(100*i, byte(i))
		be.record(uint32(i), 999_999_999, uint32(len(d)), uint32(len(d)+5), d)
	}
	cases["pcap-be-nano"] = be.buf
	// The other byte order and resolution, a snap length of 0 (records
	// up to pcapMinLimit) and odd records: none captured, more captured
	// than on the wire, a run of zero records as a truncation's zeros
	// read (each odd record is checked when mapped).
	odd := &pcapFile{be: true, link: 1, snap: 0}
	odd.header()
	for i := 0; i < 40; i++ {
		d := pkt(i*97, byte(i))
		orig := uint32(len(d))
		switch i % 4 {
		case 1:
			orig = 0
		case 2:
			orig = orig / 2
		}
		odd.record(uint32(i), 999_999, uint32(len(d)), orig, d)
		odd.record(uint32(i), 5, 0, uint32(i), nil)
	}
	odd.record(50, 0, pcapMinLimit, pcapMinLimit, pkt(pcapMinLimit, 9))
	odd.buf = append(odd.buf, make([]byte, 300*pcapRecordLen)...)
	odd.record(60, 0, 10, 10, pkt(10, 1))
	cases["pcap-be-micro-odd"] = odd.buf
	le := &pcapFile{nano: true, link: 101, snap: MaxFrameLen + 5}
	le.header()
	le.buf = append(le.buf, make([]byte, 4000*pcapRecordLen)...) // zero records only
	le.record(1, 999_999_999, MaxFrameLen, MaxFrameLen+7, pkt(MaxFrameLen, 4))
	cases["pcap-le-nano-zeros"] = le.buf
	// Records of exactly a page, the first ending on a page boundary:
	// every record header starts a page (and a one-page window).
	al := &pcapFile{link: 1, snap: 65535}
	al.header()
	al.record(7, 1, uint32(pageSize-pcapHeaderLen-pcapRecordLen), 1500, pkt(pageSize-pcapHeaderLen-pcapRecordLen, 1))
	for i := 0; i < 40; i++ {
		n := pageSize - pcapRecordLen
		if i%10 == 9 {
			n = 3*pageSize - pcapRecordLen
		}
		al.record(8, uint32(i), uint32(n), uint32(n), pkt(n, byte(i)))
	}
	cases["pcap-page-aligned"] = al.buf
	cases["pcap-page-aligned-cut"] = al.buf[:len(al.buf)-pageSize]
	bad := &pcapFile{link: 1, snap: 65535}
	bad.header().record(1, 2, 60, 60, pkt(60, 1)).record(1, 3, MaxFrameLen+1, 60, pkt(100, 2))
	cases["pcap-bad-length"] = bad.buf

	big := make([]opt, 40) // > 2 MiB of comments: streamed blocks
	for i := range big {
		big[i] = opt{1, make([]byte, 65532)}
	}
	n := &ng{}
	n.shb(false).idb(decode.LinkEthernet, 0, tsresol(9))
	for i := 0; i < 100; i++ {
		n.epb(0, uint64(i), pkt(i*37, byte(i)), uint32(i*37))
	}
	n.spb(77, pkt(77, 3)).opb(0, 5, pkt(40, 4), 40)
	n.shb(true).idb(decode.LinkRaw, 128).epb(0, 1, pkt(200, 5), 300).
		epb(0, 42, pkt(MaxFrameLen, 7), MaxFrameLen, big...).
		block(0x40000bad, make([]byte, 3<<20)).
		epb(0, 43, pkt(5, 8), 5)
	cases["pcapng"] = n.buf
	// Several interfaces in one section, of other resolutions and
	// offsets, in either byte order.
	m := &ng{}
	for _, be := range []bool{true, false} {
		m.shb(be).idb(decode.LinkEthernet, 0, tsresol(9)).idb(decode.LinkRaw, 64, tsresol(0x80|20), m.tsoffset(-3600)).idb(decode.LinkType(113), 0)
		for i := 0; i < 60; i++ {
			m.epb(uint32(i%3), uint64(i)<<20, pkt(i*53%1600, byte(i)), uint32(i*53%1600+i%2))
		}
		m.spb(3000, pkt(3000, 2))
	}
	cases["pcapng-interfaces"] = m.buf
	cases["pcapng-cut"] = n.buf[:len(n.buf)-(3<<20)]
	cases["pcapng-cut-small"] = n.buf[:1000]
	cases["pcapng-garbage"] = append(append([]byte(nil), n.buf[:2000]...), make([]byte, 64)...)
	cases["gzip-pcap"] = gz(t, pc)
	return cases
}

// TestMappedMatchesRead: a mapped file reads exactly as a read one (frames,
// offsets, errors), whatever the windows, alone and several in a row.
func TestMappedMatchesRead(t *testing.T) {
	mapOn(t)
	dir := t.TempDir()
	var all []string
	for name, b := range mappedCases(t) {
		p := writeFile(t, dir, name, b)
		all = append(all, p)
		t.Run(name, func(t *testing.T) {
			sameAsRead(t, []string{p}, name != "gzip-pcap")
		})
	}
	t.Run("all", func(t *testing.T) { sameAsRead(t, all, true) })
}

// FuzzMapped: any bytes read from a mapped file as from a read one.
func FuzzMapped(f *testing.F) {
	mapOn(f)
	for _, b := range mappedCases(f) {
		if len(b) < 1<<20 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := writeFile(t, t.TempDir(), "fuzz", data)
		want, _ := readPaths(t, []string{p}, false)
		for _, win := range []int{pageSize, 64 << 20} {
			oldW, oldA := mapWindow, mapAlign
			mapWindow, mapAlign = win, pageSize
			got, _ := readPaths(t, []string{p}, true)
			mapWindow, mapAlign = oldW, oldA
			if !sameOutcome(got, want) {
				t.Fatalf("window %d: mapped reading differs:\n%q\nread:\n%q", win, got.errs, want.errs)
			}
		}
	})
}

// TestCorpusMapped: every corpus capture reads mapped as it reads.
func TestCorpusMapped(t *testing.T) {
	mapOn(t)
	root := testcorpus.Require(t)
	files := testcorpus.Captures(t, root)
	for i, p := range files {
		want, _ := readPaths(t, []string{p}, false)
		got, _ := readPaths(t, []string{p}, true)
		if !sameOutcome(got, want) {
			t.Errorf("%s: mapped reading differs:\n%q\nread:\n%q", p, got.errs, want.errs)
		}
		if i%10 == 0 { // small windows on a tenth of them
			oldW, oldA := mapWindow, mapAlign
			mapWindow, mapAlign = pageSize, pageSize
			got, _ := readPaths(t, []string{p}, true)
			mapWindow, mapAlign = oldW, oldA
			if !sameOutcome(got, want) {
				t.Errorf("%s: mapped reading (one-page windows) differs", p)
			}
		}
	}
}

// TestMapNotForStreams: gzip files are read, not mapped; Open (without
// Options.Map) never maps.
func TestMapNotForStreams(t *testing.T) {
	mapOn(t)
	dir := t.TempDir()
	cases := mappedCases(t)
	p := writeFile(t, dir, "a.pcap", cases["pcap"])
	g := writeFile(t, dir, "a.pcap.gz", cases["gzip-pcap"])
	if _, mapped := readPaths(t, []string{g}, true); mapped {
		t.Error("gzip file mapped")
	}
	if _, mapped := readPaths(t, []string{p}, false); mapped {
		t.Error("mapped without Options.Map")
	}
	if _, mapped := readPaths(t, []string{p}, true); !mapped {
		t.Error("not mapped with Options.Map")
	}
}

// TestOptionsFromEnv: VIGIL_MMAP unset or empty lets the trial decide,
// "0" reads, anything else maps.
func TestOptionsFromEnv(t *testing.T) {
	for _, c := range []struct {
		val  string
		want Options
	}{{"", Options{Auto: true}}, {"0", Options{}}, {"1", Options{Map: true}}, {"yes", Options{Map: true}}} {
		t.Setenv(mapEnv, c.val)
		if got := OptionsFromEnv(); got != c.want {
			t.Errorf("%s=%q: %+v, want %+v", mapEnv, c.val, got, c.want)
		}
	}
	os.Unsetenv(mapEnv)
	if got := OptionsFromEnv(); got != (Options{Auto: true}) {
		t.Errorf("%s unset: %+v, want Auto", mapEnv, got)
	}
}

// TestMapNotSmallFiles: a file below minMapSize is read, not mapped (a
// directory of small captures was analysed a third slower mapped); one
// of that size is mapped.
func TestMapNotSmallFiles(t *testing.T) {
	dir := t.TempDir()
	var fr []frame
	for i := 0; len(fr) == 0 || len(writePcap(t, decode.LinkEthernet, fr...)) < 256<<10; i++ {
		fr = append(fr, frame{TS: int64(i), Data: string(pkt(1000, byte(i))), OrigLen: 1000})
	}
	big := writePcap(t, decode.LinkEthernet, fr...)
	small := writePcap(t, decode.LinkEthernet, fr[:20]...)
	if _, mapped := readPaths(t, []string{writeFile(t, dir, "small.pcap", small)}, true); mapped {
		t.Errorf("a file of %d bytes was mapped", len(small))
	}
	if _, mapped := readPaths(t, []string{writeFile(t, dir, "big.pcap", big)}, true); !mapped {
		t.Errorf("a file of %d bytes was not mapped", len(big))
	}
}

// TestMapFailureFallsBack: when a window cannot be mapped, the file is
// read from there on, first window or later.
func TestMapFailureFallsBack(t *testing.T) {
	mapOn(t)
	dir := t.TempDir()
	cases := mappedCases(t)
	old := mapFile
	t.Cleanup(func() { mapFile = old })
	for _, name := range []string{"pcap", "pcap-cut-record", "pcapng", "pcapng-cut"} {
		p := writeFile(t, dir, name, cases[name])
		want, _ := readPaths(t, []string{p}, false)
		for _, after := range []int{0, 1, 5} {
			calls := 0
			mapFile = func(f *os.File, off int64, n int) ([]byte, error) {
				calls++
				if calls > after {
					return nil, errors.New("no")
				}
				return old(f, off, n)
			}
			withWindows(t, 3*pageSize, pageSize)
			got, mapped := readPaths(t, []string{p}, true)
			if mapped != (after > 0) {
				t.Errorf("%s, failing after %d: mapped %v", name, after, mapped)
			}
			if !sameOutcome(got, want) {
				t.Errorf("%s, mapping failing after %d windows: reading differs:\n%q\nread:\n%q", name, after, got.errs, want.errs)
			}
		}
		mapFile = old
	}
}

// TestMappedGrowth: a file that grows while it is read (tcpdump still
// writing) is read on to its new end, mapped as read.
func TestMappedGrowth(t *testing.T) {
	mapOn(t)
	var fr []frame
	for i := 0; i < 2000; i++ {
		fr = append(fr, frame{TS: int64(i), Data: string(pkt(100+i%1400, byte(i))), OrigLen: 100 + i%1400, Link: decode.LinkEthernet})
	}
	all := writePcap(t, decode.LinkEthernet, fr...)
	half := writePcap(t, decode.LinkEthernet, fr[:1000]...)
	for _, w := range []struct{ win, align int }{{mapWindow, mapAlign}, {3 * pageSize, pageSize}} {
		for _, mapping := range []bool{false, true} {
			t.Run(fmt.Sprintf("map=%v/window=%d", mapping, w.win), func(t *testing.T) {
				withWindows(t, w.win, w.align)
				p := writeFile(t, t.TempDir(), "growing.pcap", half)
				src, err := OpenWith([]string{p}, Options{Map: mapping})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				var got []frame
				var f Frame
				for len(got) < 900 {
					if err := src.Next(&f); err != nil {
						t.Fatal(err)
					}
					got = append(got, copyFrame(&f))
				}
				af, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := af.Write(all[len(half):]); err != nil {
					t.Fatal(err)
				}
				af.Close()
				for {
					err := src.Next(&f)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, copyFrame(&f))
				}
				if len(got) != len(fr) {
					t.Fatalf("%d frames, want %d", len(got), len(fr))
				}
				for i := range got {
					if got[i] != fr[i] {
						t.Fatalf("frame %d differs", i)
					}
				}
			})
		}
	}
}

// guardedNext is Next with frame data touched, in a goroutine state as
// the pipeline's reader: SetPanicOnFault, and Fault on what it recovers.
func guardedNext(src Source, f *Frame) (sum byte, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			if err = Fault(src, v); err == nil {
				panic(v)
			}
		}
	}()
	if err = src.Next(f); err != nil {
		return 0, err
	}
	for _, b := range f.Data {
		sum += b
	}
	return sum, nil
}

// TestMappedShrink: a mapped file truncated while it is read gives an
// *Error wrapping ErrShrank (from the fault, or from the size when a
// window slides), not a crash, and reading goes on with the next input.
// A cut past the windows mapped so far is met as read(2) meets it: a
// truncated record or the end.
func TestMappedShrink(t *testing.T) {
	mapOn(t)
	var fr []frame
	for i := 0; i < 3000; i++ {
		fr = append(fr, frame{TS: int64(i), Data: string(pkt(60+i%1500, byte(i))), OrigLen: 60 + i%1500})
	}
	pc := writePcap(t, decode.LinkEthernet, fr...)
	second := writePcap(t, decode.LinkEthernet, fr[:10]...)
	for _, w := range []struct{ win, align int }{{mapWindow, mapAlign}, {16 * pageSize, pageSize}} {
		for _, cut := range []int64{0, int64(len(pc)) / 3, int64(len(pc))/3&^int64(pageSize-1) + 24, int64(len(pc)) - 5000} {
			t.Run(fmt.Sprintf("window=%d/cut=%d", w.win, cut), func(t *testing.T) {
				withWindows(t, w.win, w.align)
				small := w.win < len(pc) // the cut may lie past the windows mapped
				dir := t.TempDir()
				p := writeFile(t, dir, "a.pcap", pc)
				q := writeFile(t, dir, "b.pcap", second)
				src, err := OpenWith([]string{p, q}, Options{Map: true})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				var f Frame
				var shrank error
				n, fromB := 0, 0
				for {
					_, err := guardedNext(src, &f)
					if err == io.EOF {
						break
					}
					if err != nil {
						if shrank != nil || !(errors.Is(err, ErrShrank) || small && errors.Is(err, io.ErrUnexpectedEOF)) {
							t.Fatalf("error %v", err)
						}
						if e := asError(t, err); e.File != p {
							t.Fatalf("error names %s", e.File)
						}
						shrank = err
						continue
					}
					n++
					if src.Name() == q {
						fromB++
					}
					if n == 500 {
						if err := os.Truncate(p, cut); err != nil {
							t.Fatal(err)
						}
					}
				}
				if shrank == nil && !small {
					t.Fatal("no error for the file that shrank")
				}
				if fromB != 10 {
					t.Fatalf("%d frames of the next input, want 10", fromB)
				}
				t.Logf("%d frames, then %v", n-fromB, shrank)
			})
		}
	}
}

// TestMappedZeroAlloc: reading a mapped file allocates nothing per frame.
func TestMappedZeroAlloc(t *testing.T) {
	mapOn(t)
	var fr []frame
	for i := 0; i < 30000; i++ {
		fr = append(fr, frame{TS: int64(i), Data: string(pkt(60+i%200, byte(i))), OrigLen: 60 + i%200})
	}
	p := writeFile(t, t.TempDir(), "a.pcap", writePcap(t, decode.LinkEthernet, fr...))
	src, err := OpenWith([]string{p}, Options{Map: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	if err := src.Next(&f); err != nil { // maps the window
		t.Fatal(err)
	}
	if r := src.(*reader); r.maps == nil || r.maps.live[0].mem == nil {
		t.Fatal("not mapped")
	}
	if n := testing.AllocsPerRun(10000, func() {
		if err := src.Next(&f); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Next: %v allocs per frame", n)
	}
	fs := make([]Frame, 64)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := src.(BatchSource).NextBatch(fs); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("NextBatch: %v allocs per batch", n)
	}
}

// TestMappedWindowsBounded: no more than two windows are mapped at once,
// and Close unmaps them.
func TestMappedWindowsBounded(t *testing.T) {
	mapOn(t)
	withWindows(t, 4*pageSize, pageSize)
	p := writeFile(t, t.TempDir(), "a.pcap", mappedCases(t)["pcap"])
	src, err := OpenWith([]string{p}, Options{Map: true})
	if err != nil {
		t.Fatal(err)
	}
	r := src.(*reader)
	var f Frame
	slides := 0
	var last []byte
	for {
		if err := src.Next(&f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if m := r.maps.live[0].mem; len(m) > 0 && (len(last) == 0 || &m[0] != &last[0]) {
			slides++
			last = m
		}
	}
	if slides < 10 {
		t.Fatalf("%d windows over %s", slides, filepath.Base(p))
	}
	src.Close()
	for _, m := range r.maps.live {
		if m.mem != nil {
			t.Fatal("window still mapped after Close")
		}
	}
}

// TestMappedShrinkNoZeros: the bytes of a mapped window past the new end
// of a file truncated while it is read are not handed out: not as the
// empty, zero-time records that the rest of the page holding the new end
// reads as (up to 255 of them, which the analysis logged as weird.log
// lines of 1970), nor, for a cut more than checkAhead ahead of the
// reader's last check, as the zeros ending a record cut in two. What comes
// out is the file's records before the cut, as read(2) gives them, then an
// error; wherever the cut falls: in the file header, in a record header,
// in a record's data, on a page boundary. (A cut closer than that can
// still end the record it cuts with zeros: the reader checked before the
// cut, and reads its bytes after.)
func TestMappedShrinkNoZeros(t *testing.T) {
	mapOn(t)
	var fr []frame
	for i := 0; i < 20000; i++ {
		fr = append(fr, frame{TS: int64(i+1) * 1000, Data: string(pkt(60+i%200, byte(i))), OrigLen: 60 + i%200, Link: decode.LinkEthernet})
	}
	pc := writePcap(t, decode.LinkEthernet, fr...)
	// ends[i]: the offset after record i.
	ends := make([]int64, len(fr))
	off := int64(pcapHeaderLen)
	for i := range fr {
		off += pcapRecordLen + int64(len(fr[i].Data))
		ends[i] = off
	}
	page := int64(pageSize)
	var cuts []int64
	for _, at := range []int64{ends[300], ends[9000], int64(len(pc)) / 3} { // near (within checkAhead) and far
		at &^= page - 1
		cuts = append(cuts, at, at+24, at+1000)
	}
	for _, i := range []int{400, 12000} {
		cuts = append(cuts, ends[i], ends[i]+3, ends[i]+8, ends[i]+13, ends[i]+20)
	}
	cuts = append(cuts, 0, 10, int64(len(pc))-3)
	for _, w := range []struct{ win, align int }{{mapWindow, mapAlign}, {16 * pageSize, pageSize}} {
		for _, cut := range cuts {
			t.Run(fmt.Sprintf("window=%d/cut=%d", w.win, cut), func(t *testing.T) {
				withWindows(t, w.win, w.align)
				p := writeFile(t, t.TempDir(), "a.pcap", pc)
				src, err := OpenWith([]string{p}, Options{Map: true})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				whole := 0 // records whole before the cut
				for whole < len(ends) && ends[whole] <= cut {
					whole++
				}
				var f Frame
				n := 0
				var readErr error
				for {
					_, err := guardedNext(src, &f)
					if err == io.EOF {
						break
					}
					if err != nil {
						if readErr != nil {
							t.Fatalf("second error %v after %v", err, readErr)
						}
						readErr = err
						continue
					}
					ok := n < len(fr) && copyFrame(&f) == fr[n]
					if !ok && n == whole && n > 100 && cut > ends[n-1] && cut < checkAheadSlack {
						// The record cut in its data, within the bytes
						// checked before the cut: its end reads as zeros.
						g, want := copyFrame(&f), fr[n]
						have := max(int(cut-ends[n-1]-pcapRecordLen), 0)
						ok = g.TS == want.TS && len(g.Data) == len(want.Data) && g.Data[:have] == want.Data[:have]
					}
					if !ok {
						t.Fatalf("frame %d: ts %d, %d bytes (%x…): not the file's record %d (cut at %d, %d records whole before it)",
							n, f.TS, len(f.Data), f.Data[:min(8, len(f.Data))], n, cut, whole)
					}
					n++
					if n == 100 {
						if err := os.Truncate(p, cut); err != nil {
							t.Fatal(err)
						}
					}
				}
				if n < 100 || n > max(whole+1, 100) || n > max(whole, 100) && cut >= checkAheadSlack {
					t.Fatalf("%d frames: the cut at %d leaves %d records whole", n, cut, whole)
				}
				atEnd := cut == pcapHeaderLen || slices.Contains(ends, cut) // the file looks whole
				if readErr == nil && !atEnd || readErr != nil && !errors.Is(readErr, ErrShrank) && !errors.Is(readErr, io.ErrUnexpectedEOF) {
					t.Fatalf("after %d frames: error %v", n, readErr)
				}
			})
		}
	}
}

// checkAheadSlack: a cut below it may lie in the bytes the reader
// checked before the 100th frame (TestMappedShrinkNoZeros).
var checkAheadSlack = int64(checkAhead) + 1<<16

// TestShrankErrorSays: the error of a fault on a mapped file says what
// happened: a file shorter than the byte at fault shrank; one that still
// holds it (a disk's I/O error faults as well, or a file truncated and
// written again) is not said to have shrunk.
func TestShrankErrorSays(t *testing.T) {
	shrank := (&shrankError{name: "a.pcap", size: 100, at: 4096}).Error()
	if !strings.Contains(shrank, "a.pcap shrank while being read (100 bytes now; the byte at offset 4096") {
		t.Errorf("shrank: %s", shrank)
	}
	eio := (&shrankError{name: "a.pcap", size: 1 << 20, at: 4096}).Error()
	if strings.Contains(eio, "shrank") || !strings.Contains(eio, "could not be read at offset 4096") || !strings.Contains(eio, "I/O error") {
		t.Errorf("a file that holds the byte: %s", eio)
	}
	if !errors.Is(&shrankError{size: 1 << 20, at: 4096}, ErrShrank) {
		t.Error("not ErrShrank")
	}
}
