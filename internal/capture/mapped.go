package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"
)

// Mapped reading (OpenWith with Options.Map): a regular, uncompressed
// capture file is not read with read(2) into the 1 MiB buffer but mapped
// read-only, mapWindow bytes at a time, and frames point into the mapping:
// the kernel's copy of every byte is gone. The windows slide: when the
// next record or block is not whole in the current window, a new one is
// mapped from the mapAlign boundary below it (windows overlap by less than
// that and a record). A reader keeps the two newest windows of all its
// inputs mapped (mapSet) and unmaps the older ones before it maps another:
// the frames of the batch before a slide lie in the window before, and
// stay valid past the next call to Next, although the contract does not
// promise it; Close unmaps everything. So RSS holds at most two windows of
// the file (file-backed pages, reclaimable page cache). Bytes are
// prefetched 64 KiB ahead of the records handed out (prefetchAhead): they
// were not just copied, and each record header would be a cache miss.
//
// A file that grows while it is read is read on, as read(2) would: its
// size is taken again whenever the reader gets to the end of a window. A
// file truncated while it is mapped makes the kernel raise SIGBUS on the
// first access to a page past its new end, and the rest of the page
// holding the new end reads as zeros: up to 255 empty records of time 0,
// or a record whose end is zeros. So the reader hands out a window's bytes
// only checkAhead at a time, each time the file's size (fstat) says they
// are still in it (mapReader.lim): a cut ahead of the reader is met at
// the record it cuts, with an *Error wrapping ErrShrank, after the
// records before it, as read(2) would meet it. A cut between that check
// and the reading of the bytes (microseconds, within checkAhead bytes)
// still faults, and so the goroutine that reads the source and touches
// frame data must run with runtime/debug.SetPanicOnFault(true), which
// turns the signal into a panic whose value has the fault address; Fault
// turns that into the same error and abandons the input, so reading goes
// on with the next one. A cut past the windows mapped so far is met as
// read(2) meets it (a truncated record, or the end).

// mapEnv says how capture files are read (OptionsFromEnv): unset or
// empty, each large file is tried both ways and read or mapped by the
// trial (trial.go); "0" reads every file; anything else maps every file
// that can be mapped. Neither way wins everywhere: a mapped file's bytes
// are first touched by the parser, one record header after another, and
// where the page cache holds the file in small folios (a capture just
// written, as tcpdump leaves it) every header is a TLB and cache miss
// that prefetching does not hide; read(2) copies them with the kernel's
// streaming copy. On the 2-core AMD EPYC VM of session 24 the whole
// analysis of the benchmark capture took 1.85 s of CPU mapped against
// 1.03 s read for a file just written, and 1.08 against 1.01 s for one
// read back from storage (huge folios); on session 19's Intel Xeon VM,
// where the kernel's copy was dearer, mapping a file read back from
// storage saved 9–11%, on session 27's 9%.
const mapEnv = "VIGIL_MMAP"

// mapWindow is how many bytes of a file are mapped at once (more when a
// record needs it). A variable so that tests slide windows often. Windows
// of 16 to 256 MiB measured alike in CPU; two of 16 MiB hold RSS within
// 32 MiB of the file's pages.
var mapWindow = 16 << 20

var pageSize = os.Getpagesize()

// minMapSize: smaller files are read, not mapped. Mapping a file costs a
// mmap, its page tables and a munmap (which interrupts the other cores
// running the process to flush their TLBs), more than reading a file
// that a few read(2) calls bring in, some of it already read for its
// magic: a directory of 10,000 captures of 19 KiB was analysed in 1.05 to
// 1.39 s mapped, 0.77 to 1.07 s read (2 workers); of 256 KiB, alike.
var minMapSize = int64(256 << 10)

// mapFile maps a window (mmapFile); tests make it fail.
var mapFile = mmapFile

// checkAhead is how many bytes of a window the reader hands out after
// each check that the file still holds them (more): 256 KiB, a fstat for
// every 256 KiB read (4,096 per GiB, ~2 ms), and the bytes a truncation
// racing the check can still turn to zeros.
var checkAhead = 256 << 10

// prefetchDist is how far ahead of the records handed out a mapped pcap
// file's bytes are prefetched (input.prefetchAhead).
var prefetchDist = 64 << 10

// mapAlign aligns the windows' file offsets (a power of two, at least the
// page size): at 2 MiB the kernel maps the page cache's huge folios with
// huge pages (FilePmdMapped), few faults and few TLB misses.
var mapAlign = max(2<<20, pageSize)

// ErrShrank is wrapped by the *Error that Fault returns: a mapped capture
// file was truncated while it was read (or, when the file still holds the
// byte at fault, a page of it could not be read: an I/O error).
var ErrShrank = errors.New("capture file shrank while being read")

// shrankError says which file shrank and where reading stopped.
type shrankError struct {
	name string
	size int64 // the size now, -1 when unknown
	at   int64 // the file offset of the byte that was gone
}

func (e *shrankError) Error() string {
	if e.size > e.at {
		// The fault was on a byte that the file holds now: a disk that
		// failed to read the page (EIO raises SIGBUS too), or a file
		// truncated and written again since.
		return fmt.Sprintf("capture file %s could not be read at offset %d while mapped (%d bytes now: an I/O error, or the file was truncated and written again while being read; what follows is not read)", e.name, e.at, e.size)
	}
	size := "unknown size now"
	if e.size >= 0 {
		size = fmt.Sprintf("%d bytes now", e.size)
	}
	return fmt.Sprintf("capture file %s shrank while being read (%s; the byte at offset %d, mapped when the file was larger, is gone; what follows it is not read)", e.name, size, e.at)
}

func (e *shrankError) Is(target error) bool { return target == ErrShrank }

// Options say how OpenWith reads: Map maps, Auto lets a trial decide per
// file, neither reads.
type Options struct {
	// Map maps regular, uncompressed capture files into memory instead of
	// reading them (not standard input, pipes, gzip files or files below
	// 256 KiB). Frames then
	// point into the mapping. A file truncated while it is mapped faults
	// on access, so the caller must read the source and touch frame data
	// only in goroutines running with runtime/debug.SetPanicOnFault(true),
	// and hand what such a goroutine recovers to Fault. A file that cannot
	// be mapped is read.
	Map bool
	// Auto maps a file as Map does when a trial on its first 16 MiB
	// (tryBoth) finds its mapped bytes cheaper than its read ones: files
	// of trialMinSize or more, their first bytes in the page cache. Others
	// are read. The same caller duties as Map's apply.
	Auto bool
}

// OptionsFromEnv reads the environment variable VIGIL_MMAP (mapEnv): unset
// or empty, Auto; "0", reading; anything else, Map.
func OptionsFromEnv() Options {
	switch v := os.Getenv(mapEnv); v {
	case "":
		return Options{Auto: true}
	case "0":
		return Options{}
	default:
		return Options{Map: true}
	}
}

// mapping is one mapped window of a file.
type mapping struct {
	mem   []byte // as mmapFile returned it
	off   int64  // file offset of mem[0]
	owner *input
}

// mapSet is a reader's mapped windows: live[0] the newest, live[1] the
// one before (see the comment above).
type mapSet struct {
	live [2]mapping
}

// makeRoom unmaps the older window, before a new one is mapped: so no
// more than two are ever mapped.
func (s *mapSet) makeRoom() {
	if old := s.live[1].mem; old != nil {
		munmap(old)
	}
	s.live[1] = mapping{}
}

// add makes m the newest window; makeRoom came before.
func (s *mapSet) add(m mapping) {
	s.live[1], s.live[0] = s.live[0], m
}

// release unmaps every window.
func (s *mapSet) release() {
	for i := range s.live {
		if s.live[i].mem != nil {
			munmap(s.live[i].mem)
		}
		s.live[i] = mapping{}
	}
}

// find returns the window whose pages hold addr, nil if none.
func (s *mapSet) find(addr uintptr) *mapping {
	for i := range s.live {
		m := &s.live[i]
		if len(m.mem) == 0 {
			continue
		}
		start := uintptr(unsafe.Pointer(unsafe.SliceData(m.mem)))
		end := start + uintptr((len(m.mem)+pageSize-1)/pageSize*pageSize)
		if addr >= start && addr < end {
			return m
		}
	}
	return nil
}

// mapReader reads an input from its mapped windows, with the part of
// bufio.Reader's methods the parsers use (byteReader).
type mapReader struct {
	in   *input
	set  *mapSet
	base int64  // file offset of buf[0]
	buf  []byte // the current window, up to the file's size when mapped
	r    int    // read position in buf
	// lim: buf[:lim] were in the file when its size was last taken
	// (more); only they are handed out. r <= lim <= len(buf).
	lim int
	// fetched: buf[:fetched] were prefetched (pcapng, prefetchAhead)
	fetched int
	st      fileStat // more's, kept so that taking the size allocates nothing
}

// prefetchAhead asks the CPU for the next ahead bytes of the window not
// asked for before: input.prefetchAhead for pcapng blocks.
func (m *mapReader) prefetchAhead(ahead int) {
	m.fetched = prefetchSpan(m.buf, m.r, m.fetched, ahead)
}

// byteReader is what the pcap and pcapng parsers read through: a
// *bufio.Reader, or a *mapReader for a mapped file.
type byteReader interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	Buffered() int
}

// errFellBack says that mapping a window failed and the input reads its
// file from now on (in.br is the bufio.Reader again).
var errFellBack = errors.New("capture: mapping failed, reading")

// tryMap makes the input read its file through mapped windows, when it can:
// a regular file of minMapSize bytes or more, not compressed, nothing read
// yet, and with auto, a file the trial finds cheaper mapped (tryBoth; prior
// is the source's first complete trial, or nil). Otherwise, or when the
// first window cannot be mapped, it reads as before. It returns what the
// trial decided (the zero ReadChoice without one).
func (in *input) tryMap(set *mapSet, auto bool, prior *ReadChoice) (trial ReadChoice) {
	if in.file == nil || in.gzipped || in.pending || in.off != 0 || in.started || in.br != in.bs.br {
		return
	}
	fi, err := in.file.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() < minMapSize {
		return
	}
	if auto {
		if trial = tryBoth(in.file, fi.Size(), prior); !trial.Mapped {
			return
		}
	}
	n := min(int64(mapWindow), fi.Size())
	set.makeRoom()
	mem, err := mapFile(in.file, 0, int(n))
	if err != nil {
		return
	}
	set.add(mapping{mem: mem, owner: in})
	in.mr = mapReader{in: in, set: set, buf: mem, lim: min(len(mem), checkAhead)}
	in.br = &in.mr
	in.ahead = prefetchDist
	return
}

func (m *mapReader) Buffered() int { return m.lim - m.r }

// Peek returns the next n bytes without consuming them, fewer and io.EOF
// at the end of the file. They stay valid until the second window mapped
// after this one.
func (m *mapReader) Peek(n int) ([]byte, error) {
	if n <= m.lim-m.r {
		return m.buf[m.r : m.r+n], nil
	}
	if err := m.more(n); err != nil {
		if err == errFellBack {
			return m.in.br.Peek(n)
		}
		return nil, err
	}
	if n > m.lim-m.r {
		return m.buf[m.r:m.lim], io.EOF
	}
	return m.buf[m.r : m.r+n], nil
}

// Discard skips the next n bytes, fewer and io.EOF at the end of the file.
// The bytes skipped are not read, and need no check.
func (m *mapReader) Discard(n int) (int, error) {
	done := 0
	for {
		avail := len(m.buf) - m.r
		if n <= avail {
			m.r += n
			m.lim = max(m.lim, m.r)
			return done + n, nil
		}
		m.r += avail
		m.lim = m.r
		done += avail
		n -= avail
		if err := m.more(1); err != nil {
			if err == errFellBack {
				k, err := m.in.br.Discard(n)
				return done + k, err
			}
			return done, err
		}
		if len(m.buf) == m.r {
			return done, io.EOF
		}
	}
}

// more makes the next need bytes from the read position available (lim),
// checkAhead or more, if the file still holds them: it takes the file's
// size, and slides the window when they go past it. It changes nothing
// when the file ends before (the end of the file, or ErrShrank when a
// window was mapped past the new end). If mapping fails the input reads
// its file from the read position on (errFellBack).
func (m *mapReader) more(need int) error {
	in := m.in
	size, err := fileSize(in.file, &m.st)
	if err != nil {
		return err
	}
	want := m.r + max(need, checkAhead)
	if end := m.base + int64(len(m.buf)); size < end {
		// Truncated while mapped: what is past the new end reads as
		// zeros or faults; only what comes before it is handed out.
		have := int(max(size-m.base, int64(m.r)))
		if m.r+need > have {
			pos := m.base + int64(m.r)
			return &shrankError{name: in.name, size: size, at: max(size, pos)}
		}
		m.lim = min(have, want)
		return nil
	}
	if m.r+need <= len(m.buf) {
		m.lim = min(len(m.buf), want)
		return nil
	}
	return m.slide(need, size)
}

// slide maps a new window from the page holding the read position, of
// mapWindow bytes or enough for need more, up to the file's size (size, at
// least the end of the current window); it changes nothing when the file
// holds nothing past the current window.
func (m *mapReader) slide(need int, size int64) error {
	in := m.in
	pos := m.base + int64(m.r)
	if size == m.base+int64(len(m.buf)) {
		m.lim = len(m.buf)
		return nil
	}
	start := pos &^ int64(mapAlign-1)
	n := min(int64(max(mapWindow, need+mapAlign)), size-start)
	m.set.makeRoom()
	mem, err := mapFile(in.file, start, int(n))
	if err != nil {
		return m.fallback(pos)
	}
	m.set.add(mapping{mem: mem, off: start, owner: in})
	m.base, m.buf, m.r, m.fetched = start, mem, int(pos-start), 0
	m.lim = min(len(mem), m.r+max(need, checkAhead))
	return nil
}

// fallback makes the input read its file from pos on.
func (m *mapReader) fallback(pos int64) error {
	in := m.in
	if _, err := in.file.Seek(pos, io.SeekStart); err != nil {
		return err
	}
	in.bs.raw.Reset(&in.cr)
	in.bs.br.Reset(in.bs.raw)
	in.br = in.bs.br
	in.ahead = 0
	m.buf, m.r, m.lim, m.fetched = nil, 0, 0, 0
	return errFellBack
}

// Fault turns v, a value recovered from a panic in a goroutine that read
// src (or touched its frames) with runtime/debug.SetPanicOnFault(true),
// into the error to report when it is a fault on src's mapped file: an
// *Error wrapping ErrShrank, naming the file and the offset of the byte
// that was gone. The input that shrank is abandoned: the next call to Next
// goes on with the next input, and frames handed out before are invalid.
// Fault returns nil for any other value (a bug: let it be handled as one).
//
// A Source that wraps another may have a method Unwrap() Source, which
// Fault follows.
func Fault(src Source, v any) error {
	r, ok := src.(*reader)
	for !ok {
		u, isWrapper := src.(interface{ Unwrap() Source })
		if !isWrapper {
			return nil
		}
		src = u.Unwrap()
		r, ok = src.(*reader)
	}
	if r.maps == nil {
		return nil
	}
	fe, ok := v.(interface{ Addr() uintptr })
	if !ok {
		return nil
	}
	addr := fe.Addr()
	m := r.maps.find(addr)
	if m == nil {
		return nil
	}
	in := m.owner
	at := m.off + int64(addr-uintptr(unsafe.Pointer(unsafe.SliceData(m.mem))))
	// The size of the file mapped: its descriptor's while open (the name
	// may be another file's now, one renamed over it).
	size := int64(-1)
	if in.file != nil {
		if n, err := fileSize(in.file, &in.mr.st); err == nil {
			size = n
		}
	} else if fi, err := os.Stat(in.name); err == nil {
		size = fi.Size()
	}
	if in == r.cur {
		r.abandon()
	}
	return &Error{File: in.name, Offset: at, Err: &shrankError{name: in.name, size: size, at: at}}
}
