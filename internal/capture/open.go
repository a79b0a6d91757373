package capture

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Open opens captures for reading as one Source. Each path is a capture
// file, a directory (every regular file below it that is a capture; other
// files are skipped, see Skipped) or "-" for standard input. Formats are
// recognised by their magic: pcap (micro- or nanosecond, either byte order),
// pcapng, and either of them gzip-compressed. A named file that is not a
// capture is an error (an *Error wrapping ErrNotCapture that says which
// magic was found), as is a directory without any capture.
//
// With more than one input, each is probed for its first packet's time and
// the inputs are read in that order (ties by name; inputs without a
// readable first packet last). Probing reads standard input's first packet,
// so Open blocks until it arrives; with a single input nothing but the magic
// is read. Other non-regular files (named pipes) are read once, like
// standard input. Open does not close os.Stdin.
func Open(paths []string) (Source, error) {
	return OpenWith(paths, Options{})
}

// OpenWith is Open with options: Options.Map maps regular, uncompressed
// files rather than reading them (see there for what it asks of the
// caller).
func OpenWith(paths []string, opt Options) (Source, error) {
	if len(paths) == 0 {
		return nil, errors.New("capture: no input given")
	}
	var cands []cand
	var skipped []*Error
	stdin := false
	for _, p := range paths {
		if p == "-" {
			if stdin {
				return nil, errors.New(`capture: standard input ("-") named more than once`)
			}
			stdin = true
			cands = append(cands, cand{name: "-", size: -1, explicit: true, stream: true})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
		switch {
		case st.IsDir():
			found, skip, err := walk(p)
			if err != nil {
				return nil, fmt.Errorf("capture: %w", err)
			}
			cands = append(cands, found...)
			skipped = append(skipped, skip...)
		case st.Mode().IsRegular():
			cands = append(cands, cand{name: p, size: st.Size(), explicit: true})
		default:
			cands = append(cands, cand{name: p, size: -1, explicit: true, stream: true})
		}
	}

	r := &reader{skipped: skipped}
	if opt.Map || opt.Auto {
		r.maps = new(mapSet)
		r.autoMap = !opt.Map
	}
	probe := len(cands) > 1
	var f Frame
	for _, c := range cands {
		in, err := c.open()
		if err != nil {
			var e *Error
			if c.explicit || !errors.As(err, &e) {
				r.Close()
				return nil, err
			}
			r.skipped = append(r.skipped, e)
			continue
		}
		s := &spec{name: c.name, size: c.size, ts: math.MaxInt64}
		if probe {
			err := in.next(&f, &r.scratch)
			if err == nil {
				s.ts = f.TS
			}
			if c.stream {
				in.stash(&f, err)
			}
		}
		if c.stream || !probe {
			s.in = in
		} else {
			in.close()
		}
		if c.size < 0 {
			r.unknownSize = true
		}
		r.total += c.size
		r.specs = append(r.specs, s)
	}
	if len(r.specs) == 0 {
		return nil, fmt.Errorf("capture: no capture files in %s (a directory is read for its pcap and pcapng files, and for its Zeek, JSON and EVE logs)", strings.Join(paths, ", "))
	}
	sort.SliceStable(r.specs, func(i, j int) bool {
		a, b := r.specs[i], r.specs[j]
		if a.ts != b.ts {
			return a.ts < b.ts
		}
		return a.name < b.name
	})
	if r.unknownSize {
		r.total = 0
	}
	r.name = r.specs[0].name
	return r, nil
}

// OpenReader reads one capture (pcap or pcapng, possibly gzip-compressed)
// from rd; name is used in errors and by Name. It reads the magic before
// returning and fails with an *Error wrapping ErrNotCapture if rd does not
// hold a capture. Closing the Source does not close rd. Progress reports a
// total of 0.
func OpenReader(name string, rd io.Reader) (Source, error) {
	in, err := newInput(name, rd, -1, nil)
	if err != nil {
		return nil, err
	}
	return &reader{specs: []*spec{{name: name, size: -1, in: in}}, name: name, unknownSize: true}, nil
}

// Skipped lists the files found in directories given to Open that were
// passed over, each as an *Error naming the file and saying why (mostly
// ErrNotCapture with the magic found; also files that could not be opened).
// It returns nil for a Source that Open did not make.
func Skipped(src Source) []*Error {
	if r, ok := src.(*reader); ok {
		return r.skipped
	}
	return nil
}

// cand is an input named by Open's arguments, not yet checked.
type cand struct {
	name     string
	size     int64 // -1 when unknown
	explicit bool  // named by the caller, not found in a directory
	stream   bool  // cannot be reopened: standard input or a pipe
}

func (c cand) open() (*input, error) {
	if c.name == "-" && c.stream {
		return newInput("-", os.Stdin, -1, nil)
	}
	return openFile(c.name, c.size)
}

func openFile(name string, size int64) (*input, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	return newInput(name, f, size, f)
}

// walk lists the regular files below dir (following symlinks to files, not
// to directories). Unreadable subdirectories are reported as skipped.
func walk(dir string) ([]cand, []*Error, error) {
	var found []cand
	var skipped []*Error
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			skipped = append(skipped, &Error{File: p, Err: err})
			return nil
		}
		t := d.Type()
		if t&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			if err != nil {
				skipped = append(skipped, &Error{File: p, Err: err})
				return nil
			}
			if st.Mode().IsRegular() {
				found = append(found, cand{name: p, size: st.Size()})
			}
			return nil
		}
		if !t.IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			skipped = append(skipped, &Error{File: p, Err: err})
			return nil
		}
		found = append(found, cand{name: p, size: info.Size()})
		return nil
	})
	return found, skipped, err
}

// spec is one input of a reader, in reading order.
type spec struct {
	name string
	size int64
	ts   int64  // first packet's time; MaxInt64 when unknown
	in   *input // already open (streams, single inputs); nil: open by name
}

var _ Source = (*reader)(nil)

// reader chains its inputs into one Source.
type reader struct {
	specs       []*spec
	idx         int
	cur         *input
	name        string
	lastOff     int64 // Offset once cur is closed
	done        int64 // on-disk bytes of the inputs finished
	total       int64
	unknownSize bool
	scratch     []byte
	skipped     []*Error
	closed      bool
	// maps holds the mapped windows (Options.Map); nil: files are read.
	maps *mapSet
	// autoMap: a trial decides for each file whether it is mapped
	// (Options.Auto); choices are its decisions (ReadChoices).
	autoMap bool
	choices []ReadChoice
}

var errClosed = errors.New("capture: source is closed")

// Next hands out the next frame. Most pcap records lie whole in the
// current input's buffered window and are handed out from there directly
// (input.nextInWindow); next does the rest.
func (r *reader) Next(f *Frame) error {
	if in := r.cur; in != nil && in.nextInWindow(f) {
		return nil
	}
	return r.next(f)
}

// NextBatch implements BatchSource: the records lying whole in the current
// input's window (at most len(fs)), else the one frame Next reads.
func (r *reader) NextBatch(fs []Frame) (int, error) {
	if in := r.cur; in != nil {
		if n := in.windowFrames(fs); n > 0 {
			return n, nil
		}
	}
	if err := r.next(&fs[0]); err != nil {
		return 0, err
	}
	return 1, nil
}

// next is Next for a frame not whole in the current input's window: the
// first of an input, one crossing the end of the buffered bytes, a pcapng
// block, an error or the end.
func (r *reader) next(f *Frame) error {
	if r.closed {
		return errClosed
	}
	for {
		if r.cur == nil {
			if r.idx >= len(r.specs) {
				return io.EOF
			}
			s := r.specs[r.idx]
			r.name, r.lastOff = s.name, 0
			in := s.in
			s.in = nil
			if in == nil {
				var err error
				if in, err = openFile(s.name, s.size); err != nil {
					r.idx++
					r.done += max(s.size, 0)
					return err
				}
			}
			if r.maps != nil {
				if t := in.tryMap(r.maps, r.autoMap, r.timedChoice()); t.tried() {
					t.File = s.name
					r.choices = append(r.choices, t)
				}
			}
			r.cur = in
		}
		err := r.cur.next(f, &r.scratch)
		if err == nil {
			return nil
		}
		r.abandon()
		if err != io.EOF {
			return err
		}
	}
}

// abandon closes the current input, finished or failed; the next call to
// next goes on with the following one.
func (r *reader) abandon() {
	in := r.cur
	r.lastOff = in.off
	if in.size >= 0 {
		r.done += in.size
	} else {
		r.done += in.consumed()
	}
	in.close()
	r.cur = nil
	r.idx++
}

// timedChoice is the source's first trial that timed both ways, nil
// before one has.
func (r *reader) timedChoice() *ReadChoice {
	for i := range r.choices {
		if c := &r.choices[i]; c.Read > 0 && !c.Reused {
			return c
		}
	}
	return nil
}

func (r *reader) Name() string { return r.name }

func (r *reader) Offset() int64 {
	if r.cur != nil {
		return r.cur.off
	}
	return r.lastOff
}

func (r *reader) Progress() (done, total int64) {
	done = r.done
	if r.cur != nil {
		done += r.cur.consumed()
	}
	return done, r.total
}

// Close closes the open inputs. Frame data handed out before is invalid
// afterwards.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.cur != nil {
		err = r.cur.close()
		r.cur = nil
	}
	for _, s := range r.specs {
		if s.in != nil {
			if e := s.in.close(); err == nil {
				err = e
			}
			s.in = nil
		}
	}
	if r.maps != nil {
		r.maps.release()
	}
	return err
}

// HoldsCaptures tells whether there is a capture (IsCapture) below dir,
// which Open would then read; a symbolic link naming dir is followed.
func HoldsCaptures(dir string) bool {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	found := false
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && IsCapture(p) { // links to files too, as Open follows them
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// IsCapture tells whether the file at path is a capture Open reads: a
// pcap or pcapng file, gzipped or not, told by its magic.
func IsCapture(path string) bool {
	in, err := openFile(path, -1)
	if err != nil {
		return false
	}
	in.close()
	return true
}
