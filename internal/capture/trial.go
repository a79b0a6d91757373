package capture

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

// Choosing between reading and mapping (Options.Auto). Which of the two
// costs less depends on the host and on how the page cache holds the
// file, and neither wins everywhere: on the AMD EPYC VMs of sessions 24
// to 26, where a page fault cost 4 to 33 µs, the decode-only pass over
// the benchmark capture took 0.20 s read and 0.45 s mapped; on session
// 27's Intel Xeon VM (a fault 1.7 µs) 0.18 s read and 0.13 s mapped, the
// whole analysis 0.80 and 0.73 s. So a large file is tried both ways on
// its first bytes before it is read: trialSpan bytes read with pread(2)
// into a scratch buffer and trialSpan bytes mapped as a window is
// (mmapFile), each touched once per cache line, twice each in turns; the
// file is mapped when the faster mapped step took less than nine tenths
// of the faster read one. The trial takes a few milliseconds (four steps
// of 0.25–1.2 ms on the hosts measured, and the scratch buffer's faults);
// it only reads, and the bytes it reads are read again by the analysis.
// A source times one file, its first large one in the page cache; its
// later large files take that decision (ReadChoice.Reused).

// trialMinSize: files below it are read without a trial (a trial's few
// milliseconds are worth spending where the choice saves tens of them).
var trialMinSize = int64(64 << 20)

// trialSpan is what one timed step reads or maps: 4 MiB, about the page
// cache's unit of readahead on a file read back from storage, and many
// huge folios where the cache holds them so.
const trialSpan = 4 << 20

// trialScratch is the read steps' buffer, as large as the read buffer
// (readBufSize) so that the copy lands where reading's would.
const trialScratch = readBufSize

// minResident is the share of a file's first 4×trialSpan bytes that must
// be in the page cache for a trial: a cold file is read (read(2) overlaps
// the disk's reads with the analysis through readahead; a mapped window
// waits for all of its pages). Not all of them: on the VM of session 27
// the kernel dropped a few dozen pages of a cached 1.1 GiB capture now
// and then, the first ones read first, and a step that meets a page not
// cached times the disk as well, which favours reading.
const minResident = 0.99

// tryBoth runs the trial on f, size bytes long. It maps nothing when the
// file is small, when less than minResident of its first bytes are in the
// page cache, or when a step fails. With prior, the decision of a trial that
// ran on an earlier file of the same source, a file that passes those
// checks takes that decision without timing anything (Reused): the
// host's costs are the same, and a directory's captures usually sit alike
// in the cache; a trial costs milliseconds, a few percent of the analysis
// of a 64 MiB file where faults are dear.
func tryBoth(f *os.File, size int64, prior *ReadChoice) ReadChoice {
	if size < max(trialMinSize, 4*trialSpan) {
		return ReadChoice{Why: "small"}
	}
	switch cached, err := resident(f, 4*trialSpan); {
	case err != nil:
		return ReadChoice{Why: "cannot map"}
	case cached < minResident:
		return ReadChoice{Why: "not cached"}
	}
	if prior != nil {
		c := *prior
		c.File, c.Reused = "", true
		return c
	}
	scratch, err := anonBuffer(trialScratch)
	if err != nil {
		return ReadChoice{Why: "no scratch"}
	}
	defer munmap(scratch)
	var c ReadChoice
	steps := [4]struct {
		mapped bool
		off    int64
	}{{false, 0}, {true, trialSpan}, {true, 2 * trialSpan}, {false, 3 * trialSpan}}
	for i, s := range steps {
		var d time.Duration
		if s.mapped {
			d, err = timeMapped(f, s.off)
		} else {
			d, err = timeRead(f, s.off, scratch)
		}
		if err != nil {
			return ReadChoice{Why: "step failed"}
		}
		p := &c.Read
		if s.mapped {
			p = &c.Map
		}
		if i < 2 || d < *p {
			*p = d
		}
	}
	c.Mapped = mapCheaper(c.Read, c.Map)
	return c
}

// mapCheaper is the trial's rule: mapping must save a tenth, or the
// default, reading, stays (the steps are short, and noisy).
func mapCheaper(read, mapped time.Duration) bool { return mapped*10 < read*9 }

// ReadChoice is what the trial decided for one file (Options.Auto).
type ReadChoice struct {
	File   string
	Mapped bool
	// Read and Map are the faster timed step of each kind (trialSpan
	// bytes); both zero when no step ran.
	Read, Map time.Duration
	// Why says why no step ran ("small": no trial was due; "not cached",
	// "cannot map", "no scratch", "step failed"), else "".
	Why string
	// Reused: the decision (and figures) of the source's first trial,
	// taken for this file without timing it again.
	Reused bool
}

// tried reports whether a trial was due: the file was large enough.
func (c ReadChoice) tried() bool { return c.Read > 0 || c.Why != "" && c.Why != "small" }

// ReadChoices returns what the trials decided for the files of src read
// so far (those large enough to try), in order; nil for other sources.
func ReadChoices(src Source) []ReadChoice {
	if r, ok := src.(*reader); ok {
		return r.choices
	}
	return nil
}

// touchLines reads one byte of every 64, as a parser's first pass over
// the bytes brings each cache line in, and returns their sum (which the
// caller keeps alive, so that the loads are not optimised away).
func touchLines(b []byte) byte {
	var s byte
	for i := 0; i < len(b); i += 64 {
		s += b[i]
	}
	return s
}

// timeRead times reading trialSpan bytes of f from off into scratch, a
// buffer at a time, and touching them.
func timeRead(f *os.File, off int64, scratch []byte) (time.Duration, error) {
	start := time.Now()
	for k := int64(0); k < trialSpan; k += int64(len(scratch)) {
		n, err := f.ReadAt(scratch, off+k)
		if err != nil && n < len(scratch) {
			return 0, err
		}
		runtime.KeepAlive(touchLines(scratch[:n]))
	}
	return time.Since(start), nil
}

// timeMapped times mapping trialSpan bytes of f at off (a multiple of the
// page size) as a window is mapped, touching them, and unmapping them. A
// file cut short under the trial makes the touch fault: that is an error
// here, whatever the calling goroutine does with faults.
func timeMapped(f *os.File, off int64) (d time.Duration, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	start := time.Now()
	mem, err := mapFile(f, off, trialSpan)
	if err != nil {
		return 0, err
	}
	defer func() {
		if r := recover(); r != nil {
			munmap(mem)
			d, err = 0, fmt.Errorf("capture: the read-or-map trial faulted on %s (did it shrink?): %v", f.Name(), r)
		}
	}()
	runtime.KeepAlive(touchLines(mem))
	munmap(mem)
	return time.Since(start), nil
}
