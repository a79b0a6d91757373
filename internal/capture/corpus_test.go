package capture

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// corpusFileLimit bounds the time to read one corpus file.
const corpusFileLimit = 5 * time.Second

type corpusResult struct {
	frames   int
	bytes    int64
	err      error // nil at a clean EOF
	panicked any
}

// readCorpusFile reads one file to its end (or first error).
func readCorpusFile(p string) (res corpusResult) {
	defer func() {
		if v := recover(); v != nil {
			res.panicked = v
		}
	}()
	src, err := Open([]string{p})
	if err != nil {
		res.err = err
		return res
	}
	defer src.Close()
	var f Frame
	for {
		err := src.Next(&f)
		if err == io.EOF {
			return res
		}
		if err != nil {
			res.err = err
			return res
		}
		res.frames++
		res.bytes += int64(len(f.Data))
	}
}

// TestCorpus reads every capture of ../shared/corpus: no panic, each file
// within corpusFileLimit, every failure an *Error, and at least 95% of the
// captures read to a clean EOF.
func TestCorpus(t *testing.T) {
	root := testcorpus.Require(t)
	files := testcorpus.Captures(t, root)
	type tally struct{ files, clean, failed, notCapture, frames int }
	per := map[string]*tally{}
	var all tally
	var bytes int64
	var failures []string
	start := time.Now()
	for _, p := range files {
		rel, _ := filepath.Rel(root, p)
		set := strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]
		tl := per[set]
		if tl == nil {
			tl = &tally{}
			per[set] = tl
		}
		done := make(chan corpusResult, 1)
		go func() { done <- readCorpusFile(p) }()
		var res corpusResult
		select {
		case res = <-done:
		case <-time.After(corpusFileLimit):
			t.Fatalf("%s: not read within %v", rel, corpusFileLimit)
		}
		if res.panicked != nil {
			t.Fatalf("%s: panic: %v", rel, res.panicked)
		}
		if errors.Is(res.err, ErrNotCapture) {
			// testcorpus.Captures goes by extension: e.g. rita's Zeek *.log.gz.
			tl.notCapture++
			all.notCapture++
			continue
		}
		for _, t2 := range []*tally{tl, &all} {
			t2.files++
			t2.frames += res.frames
			if res.err == nil {
				t2.clean++
			} else {
				t2.failed++
			}
		}
		bytes += res.bytes
		if res.err != nil {
			var e *Error
			if !errors.As(res.err, &e) {
				t.Errorf("%s: error is not an *Error: %v", rel, res.err)
			}
			failures = append(failures, fmt.Sprintf("%s after %d frames: %v", rel, res.frames, res.err))
		}
	}
	el := time.Since(start)
	sets := make([]string, 0, len(per))
	for s := range per {
		sets = append(sets, s)
	}
	sort.Strings(sets)
	for _, s := range sets {
		tl := per[s]
		t.Logf("%-16s %5d captures: %5d clean EOF, %3d *Error, %7d frames (%d non-captures by magic)",
			s, tl.files, tl.clean, tl.failed, tl.frames, tl.notCapture)
	}
	t.Logf("total: %d captures, %d clean EOF, %d *Error, %d frames, %.1f MB of frame data, %d non-captures, in %v",
		all.files, all.clean, all.failed, all.frames, float64(bytes)/1e6, all.notCapture, el.Round(time.Millisecond))
	for i, f := range failures {
		if i == 40 && !testing.Verbose() {
			t.Logf("... %d more", len(failures)-i)
			break
		}
		t.Logf("failed: %s", f)
	}
	if all.files == 0 {
		t.Fatal("no captures in the corpus")
	}
	if all.clean*100 < all.files*95 {
		t.Errorf("only %d of %d captures (%.1f%%) read to a clean EOF; want at least 95%%",
			all.clean, all.files, 100*float64(all.clean)/float64(all.files))
	}
}

// TestCorpusDirectory opens one corpus set as a directory: every file is
// probed by magic, non-captures are skipped, and the captures are read in
// first-packet order to the end.
func TestCorpusDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	root := testcorpus.Require(t, "zeek")
	start := time.Now()
	src, err := Open([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	opened := time.Since(start)
	var f Frame
	frames, errs := 0, 0
	files := map[string]bool{}
	last := int64(-1 << 63)
	var prevName string
	outOfOrder := 0
	for {
		err := src.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			asError(t, err)
			errs++
			continue
		}
		frames++
		if name := src.Name(); name != prevName {
			files[name] = true
			prevName = name
		}
		if f.TS < last {
			outOfOrder++ // within files, not across: files overlap in time
		}
		last = f.TS
	}
	done, total := src.Progress()
	if done != total || total == 0 {
		t.Errorf("Progress %d/%d at EOF", done, total)
	}
	t.Logf("zeek as a directory: %d capture files, %d skipped, %d frames, %d errors; probe %v, total %v",
		len(files), len(Skipped(src)), frames, errs, opened.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if len(files) < 600 {
		t.Errorf("only %d capture files read", len(files))
	}
}
