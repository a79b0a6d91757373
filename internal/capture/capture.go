// Package capture reads packet captures into timestamped frames.
//
// A Source yields Frames one at a time; Frame.Data points into the source's
// own buffer and stays valid only until the next call to Next (or
// NextBatch, see BatchSource). Sources read pcap (all four magic variants,
// micro- and nanosecond) and pcapng files, gzip-compressed or not, from a
// path, a directory of captures (processed in the order of their first
// packet's time) or standard input ("-").
//
// Hostile files are normal input: a record whose length is implausible, a
// block that runs past the end of the file or a header that does not parse
// gives an *Error naming the file and the byte offset, and frames read before
// it stay delivered. Memory per source is bounded by MaxFrameLen.
// (Precisely: a 1 MiB read buffer (or two mapped 16 MiB windows of the
// file, see OpenWith), a frame buffer of at most MaxFrameLen,
// pcapng blocks of at most 16 MiB streamed rather than held, at most 65536
// pcapng interfaces per section.) Error.Offset is the (decompressed) offset
// of the record or block at fault, 0 for a bad file header or magic.
//
// pcap records may be up to max(snaplen, 262144) bytes, never above
// MaxFrameLen; an original length below the captured one is raised to it.
// pcapng timestamps honour if_tsresol (powers of 10 and of 2) and
// if_tsoffset and are converted exactly, saturating outside the int64
// nanosecond range; a simple packet block, which has no timestamp, gets that
// of the file's previous packet (0 if none).
//
// The readers are hand-written on the standard library rather than built on
// gopacket/pcapgo: that gives exact byte offsets in errors, memory bounded
// on hostile headers and zero-copy reuse of one read buffer per source.
//
// Open takes files, directories and "-". A directory contributes every
// regular file below it (recursively, following symlinks to files) whose
// magic says it is a capture; the others are passed over and listed by
// Skipped. Inputs are chained into one Source in the order of the timestamp
// of their first packet, ties broken by name; inputs without a readable first
// packet go last. After Next returns an *Error, the input it names is
// abandoned and the following call to Next continues with the next input, so
// a caller may log the error and carry on; io.EOF comes after the last one.
//
// Frame.Data normally points straight into the source's 1 MiB read buffer
// (a pcapng block too large for it is copied into a per-source buffer of at
// most MaxFrameLen); its capacity equals its length. Next does not allocate.
// The sources Open returns are BatchSources: NextBatch hands out the
// records lying whole in the read buffer at once.
//
// OpenWith with Options.Map maps regular, uncompressed files instead of
// reading them, in sliding windows of 16 MiB (at most two mapped at once):
// Frame.Data then points into the mapping, with the same lifetime, and the
// kernel no longer copies the capture. A file truncated while it is mapped
// faults on access: the caller reads with runtime/debug.SetPanicOnFault and
// hands the panic to Fault, which makes it an *Error (ErrShrank). A file
// that cannot be mapped is read. Options.Auto leaves it to a trial per
// large file (trial.go), which times both ways on the file's first bytes;
// OptionsFromEnv reads the user's choice (VIGIL_MMAP), Auto by default.
//
// Writer writes nanosecond pcap files, e.g. to synthesise test captures.
//
// A Source is not safe for concurrent use.
package capture

import (
	"errors"
	"fmt"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// MaxFrameLen bounds one frame's captured length; a larger record is an error.
const MaxFrameLen = 256 * 1024

// Frame is one captured packet.
type Frame struct {
	TS       int64 // Unix nanoseconds
	Data     []byte
	OrigLen  int // length on the wire
	LinkType decode.LinkType
	// SkipChecksum says the frame's transport checksums are not to be
	// validated: a live capture's kernel reports them verified by the NIC
	// or not yet computed (sent by this host with checksum offload). File
	// readers leave it false.
	SkipChecksum bool
}

// ErrIdle is returned by Next of a live source that has no frame to hand
// out now: not an end, a chance for the caller to do periodic work before
// calling Next again. Next then sets the frame's TS to a time before which
// the source has nothing more to hand out, or to 0 when it cannot tell.
var ErrIdle = errors.New("capture: no frame yet")

// LiveStats are a live source's kernel counters since it was opened.
type LiveStats struct {
	Packets uint64 // packets that reached the source's socket, Drops included (tp_packets)
	Drops   uint64 // packets the kernel dropped because the ring was full (tp_drops)
	Freezes uint64 // times the ring was found full (tp_freeze_q_cnt)
}

// StatsSource is a Source with kernel counters (live capture).
type StatsSource interface {
	LiveStats() LiveStats
}

// Source yields frames. Next returns io.EOF at the clean end of input.
type Source interface {
	Next(f *Frame) error
	// Name is the file name (or "-" for stdin) of the frame last returned.
	Name() string
	// Offset is the byte offset in the (decompressed) current file where
	// the next record starts; used for progress and error messages.
	Offset() int64
	// Progress reports input bytes consumed so far and the total to read
	// (on-disk sizes, so compressed files count compressed bytes; total is
	// 0 when unknown, e.g. stdin).
	Progress() (done, total int64)
	Close() error
}

// BatchSource is a Source that can hand out several frames per call,
// sparing its caller a call per frame.
type BatchSource interface {
	Source
	// NextBatch sets fs[:n] to the next n frames, 1 <= n <= len(fs), and
	// returns n and nil; or it returns 0 and what Next would have
	// returned. Their data stay valid until the next call to Next or
	// NextBatch. fs must not be empty.
	NextBatch(fs []Frame) (int, error)
}

// Error is a read error with the file and offset it happened at.
type Error struct {
	File   string
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("capture: %s at offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
