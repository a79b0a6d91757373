package analyze

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
)

// shrinkingSource truncates the capture file at path to size once the
// frames handed out from it reach after: a capture cut short while it is
// analysed (a rotation gone wrong, a hasty clean-up). It has Unwrap, so
// that capture.Fault finds the source it wraps.
type shrinkingSource struct {
	capture.BatchSource
	path  string
	size  int64
	after int
	n     int
}

func (s *shrinkingSource) Unwrap() capture.Source { return s.BatchSource }

func (s *shrinkingSource) Next(f *capture.Frame) error {
	err := s.BatchSource.Next(f)
	if err == nil {
		s.count(1)
	}
	return err
}

func (s *shrinkingSource) NextBatch(fs []capture.Frame) (int, error) {
	n, err := s.BatchSource.NextBatch(fs)
	s.count(n)
	return n, err
}

func (s *shrinkingSource) count(n int) {
	if s.Name() != s.path {
		return
	}
	before := s.n
	s.n += n
	if before < s.after && s.n >= s.after {
		if err := os.Truncate(s.path, s.size); err != nil {
			panic(err)
		}
	}
}

// TestMappedCaptureShrinks: a mapped capture truncated in the middle of
// the analysis ends with an error that says so, not a crash and not an
// internal error; the next input is analysed whole, with one worker (all
// in the reader's goroutine) or several.
func TestMappedCaptureShrinks(t *testing.T) {
	t.Setenv("VIGIL_MMAP", "1")
	orig, _ := writeSynth(t, 20000, 400)
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := writeSynth(t, 3000, 50)
	secondPkts := countFrames(t, second)
	for _, workers := range []int{1, 3} {
		for _, cut := range []int64{0, int64(len(data)) / 2, int64(len(data)) - 3000} {
			t.Run(fmt.Sprintf("workers=%d/cut=%d", workers, cut), func(t *testing.T) {
				dir := t.TempDir()
				a := filepath.Join(dir, "a.pcap")
				b := filepath.Join(dir, "b.pcap")
				if err := os.WriteFile(a, data, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(b, mustRead(t, second), 0o644); err != nil {
					t.Fatal(err)
				}
				cfg := DefaultConfig()
				cfg.Workers = workers
				cfg.OutDir = filepath.Join(dir, "out")
				if err := cfg.normalize(); err != nil {
					t.Fatal(err)
				}
				src, err := capture.OpenWith([]string{a, b}, capture.Options{Map: true})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				ss := &shrinkingSource{BatchSource: src.(capture.BatchSource), path: a, size: cut, after: 5000}
				p, err := newPipeline(cfg, ss)
				if err != nil {
					t.Fatal(err)
				}
				sum, err := p.run(context.Background(), nil)
				if !errors.Is(err, capture.ErrShrank) || !strings.Contains(err.Error(), "capture file "+a+" shrank while being read") {
					t.Fatalf("error %v", err)
				}
				if sum.InternalErrs != 0 {
					t.Fatalf("%d internal errors", sum.InternalErrs)
				}
				if sum.Packets < 5000-64+secondPkts || sum.Packets > 20000+secondPkts { // the batch that faulted is lost
					t.Fatalf("%d packets: want the %d of %s after those of %s before it shrank", sum.Packets, secondPkts, b, a)
				}
				t.Logf("%d packets; %v", sum.Packets, err)
			})
		}
	}
}

// TestMappedShrinkNoZeroRecords: a capture truncated ahead of the
// reader, in the middle of a page of the window mapped, gives the records
// before the cut and the error, never records of the zeros past the new
// end: these were up to 255 empty frames of time 0, which weird.log logged
// as truncated_link_header at 1970-01-01 and which made the summary's
// span start at 0.
func TestMappedShrinkNoZeroRecords(t *testing.T) {
	t.Setenv("VIGIL_MMAP", "1")
	orig, _ := writeSynth(t, 20000, 400)
	data := mustRead(t, orig)
	src0, err := capture.Open([]string{orig})
	if err != nil {
		t.Fatal(err)
	}
	var f capture.Frame
	if err := src0.Next(&f); err != nil {
		t.Fatal(err)
	}
	first := f.TS
	src0.Close()
	for _, workers := range []int{1, 3} {
		for _, cut := range []int64{int64(len(data))/2 + 1000, int64(len(data))/2&^4095 + 3000} {
			t.Run(fmt.Sprintf("workers=%d/cut=%d", workers, cut), func(t *testing.T) {
				dir := t.TempDir()
				a := filepath.Join(dir, "a.pcap")
				if err := os.WriteFile(a, data, 0o644); err != nil {
					t.Fatal(err)
				}
				cfg := DefaultConfig()
				cfg.Workers = workers
				cfg.OutDir = filepath.Join(dir, "out")
				if err := cfg.normalize(); err != nil {
					t.Fatal(err)
				}
				src, err := capture.OpenWith([]string{a}, capture.Options{Map: true})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				ss := &shrinkingSource{BatchSource: src.(capture.BatchSource), path: a, size: cut, after: 5000}
				p, err := newPipeline(cfg, ss)
				if err != nil {
					t.Fatal(err)
				}
				sum, err := p.run(context.Background(), nil)
				if !errors.Is(err, capture.ErrShrank) {
					t.Fatalf("error %v", err)
				}
				if got := sum.First.UnixNano(); got != first {
					t.Errorf("summary's first packet at %v, the capture's is at %v", sum.First, time.Unix(0, first).UTC())
				}
				for _, r := range readLog(t, filepath.Join(cfg.OutDir, "weird.log")) {
					if ts, _ := r["ts"].(float64); ts < float64(first)/1e9 {
						t.Fatalf("weird.log: %v, before the capture's first packet", r)
					}
				}
			})
		}
	}
}

func mustRead(t testing.TB, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countFrames(t testing.TB, p string) uint64 {
	src, err := capture.Open([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f capture.Frame
	n := uint64(0)
	for src.Next(&f) == nil {
		n++
	}
	return n
}

// TestMappedOutputsMatch: the lab captures analysed from mapped files
// give the logs that reading them gives, byte for byte.
func TestMappedOutputsMatch(t *testing.T) {
	t.Setenv("VIGIL_MMAP", "1")
	labs, _ := filepath.Glob("../../testdata/lab/*.pcap")
	if len(labs) == 0 {
		t.Skip("no lab captures")
	}
	for _, workers := range []int{1, 2} {
		cfg := DefaultConfig()
		cfg.Workers = workers
		_, mapped := runTo(t, cfg, labs...)
		t.Setenv("VIGIL_MMAP", "0")
		_, read := runTo(t, cfg, labs...)
		t.Setenv("VIGIL_MMAP", "1")
		names, _ := filepath.Glob(filepath.Join(read, "*.log"))
		if len(names) < 5 {
			t.Fatalf("only %d logs", len(names))
		}
		for _, n := range names {
			want := mustRead(t, n)
			got, err := os.ReadFile(filepath.Join(mapped, filepath.Base(n)))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("workers=%d: %s differs when the captures are mapped (%v)", workers, filepath.Base(n), err)
			}
		}
	}
}

// TestBatchItemsHoldNoFrameBytes: what the reader hands a worker holds no
// reference that could point into a capture buffer or mapping (the
// payload is copied into the batch arena), so workers never touch mapped
// capture bytes and need no SetPanicOnFault: only the reader does.
func TestBatchItemsHoldNoFrameBytes(t *testing.T) {
	addr := reflect.TypeFor[netip.Addr]()
	var walk func(tp reflect.Type, path string)
	walk = func(tp reflect.Type, path string) {
		if tp == addr {
			return
		}
		switch tp.Kind() {
		case reflect.Struct:
			for i := 0; i < tp.NumField(); i++ {
				walk(tp.Field(i).Type, path+"."+tp.Field(i).Name)
			}
		case reflect.Array:
			walk(tp.Elem(), path+"[]")
		case reflect.Slice, reflect.Pointer, reflect.UnsafePointer, reflect.Map, reflect.Interface, reflect.String, reflect.Chan, reflect.Func:
			t.Errorf("%s is a %s: it may point into a capture's bytes", path, tp.Kind())
		}
	}
	walk(reflect.TypeFor[item](), "item")
}
