package analyze

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/capture"
)

// poisonSource hands out each frame in a buffer of its own that it
// overwrites at the next call to Next: a frame's bytes live exactly as
// long as the Source contract promises, no longer.
type poisonSource struct {
	capture.Source
	prev []byte
}

func (s *poisonSource) Next(f *capture.Frame) error {
	for i := range s.prev {
		s.prev[i] = 0xa5
	}
	err := s.Source.Next(f)
	if err == nil {
		s.prev = append(s.prev[:0:0], f.Data...)
		f.Data = s.prev
	}
	return err
}

// TestFramesNotKeptPastNext: the analysis keeps no reference to a frame's
// bytes past the next call to Next: with frames overwritten then, the
// logs are those of frames left alone, with one worker (the analysis in
// the reader's goroutine, reading payloads where the frame lies) or two.
// A mapped capture's frames lie in the mapping: a payload kept past them
// would be read from a window unmapped by then, or, at the end of the
// run (reader.finish, run after runReader has turned SetPanicOnFault off
// again), from a file truncated meanwhile, a SIGBUS that kills the
// process.
func TestFramesNotKeptPastNext(t *testing.T) {
	inputs, _ := filepath.Glob("../../testdata/lab/*.pcap")
	sample, _ := writeSynth(t, 30000, 500)
	inputs = append(inputs, sample)
	run := func(cfg Config, src capture.Source) string {
		cfg.OutDir = filepath.Join(t.TempDir(), "out")
		if err := cfg.normalize(); err != nil {
			t.Fatal(err)
		}
		p, err := newPipeline(cfg, src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		return cfg.OutDir
	}
	for _, workers := range []int{1, 2} {
		for _, in := range inputs {
			cfg := DefaultConfig()
			cfg.Workers = workers
			plain, err := capture.Open([]string{in})
			if err != nil {
				t.Fatal(err)
			}
			want := run(cfg, plain)
			plain.Close()
			poisoned, err := capture.Open([]string{in})
			if err != nil {
				t.Fatal(err)
			}
			got := run(cfg, &poisonSource{Source: poisoned})
			poisoned.Close()
			names, _ := filepath.Glob(filepath.Join(want, "*.log"))
			if len(names) < 2 {
				t.Fatalf("%s: %d logs", in, len(names))
			}
			for _, n := range names {
				if !bytes.Equal(mustRead(t, n), mustRead(t, filepath.Join(got, filepath.Base(n)))) {
					t.Errorf("workers=%d, %s: %s differs when frames are overwritten at the next Next", workers, filepath.Base(in), filepath.Base(n))
				}
			}
		}
	}
}
