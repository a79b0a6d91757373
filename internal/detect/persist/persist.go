// Package persist is the encoding of detector state that outlives a run
// (detect.Persistent): a detector writes the fields it keeps, one by one,
// with Enc, and reads them back with Dec. Nothing is written by
// reflection, so a change to a detector's structs changes its state file
// only where its SaveState is changed (and its state version raised).
//
// Numbers are little-endian and of fixed width; strings and byte strings
// carry their length. Dec is for hostile input: every read is checked
// against what is left, every count against a bound the caller gives and
// against the bytes that are left (an element takes at least some bytes),
// so a corrupt or truncated state allocates no more than its own size and
// never panics. The first error sticks: later reads return zero values,
// and Err reports it.
package persist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
)

// Enc appends encoded values to a buffer.
type Enc struct {
	b []byte
}

// NewEnc returns an encoder whose buffer has room for size bytes.
func NewEnc(size int) *Enc { return &Enc{b: make([]byte, 0, size)} }

// Bytes returns what was encoded.
func (e *Enc) Bytes() []byte { return e.b }

// WriteTo writes what was encoded to w.
func (e *Enc) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(e.b)
	return int64(n), err
}

func (e *Enc) U8(v uint8)   { e.b = append(e.b, v) }
func (e *Enc) U16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *Enc) U32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *Enc) U64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *Enc) I64(v int64)  { e.U64(uint64(v)) }

// F64 writes a float64 bit for bit (NaN and infinities included).
func (e *Enc) F64(v float64) { e.U64(math.Float64bits(v)) }

// Int writes a non-negative count or size (as 32 bits: every count a
// detector keeps is bounded far below that).
func (e *Enc) Int(v int) { e.U32(uint32(max(0, min(v, math.MaxUint32)))) }

func (e *Enc) Bool(v bool) {
	if v {
		e.U8(1)
	} else {
		e.U8(0)
	}
}

// Str writes a string of up to 65535 bytes (longer ones are cut: no state
// string is that long).
func (e *Enc) Str(s string) {
	if len(s) > math.MaxUint16 {
		s = s[:math.MaxUint16]
	}
	e.U16(uint16(len(s)))
	e.b = append(e.b, s...)
}

// Addr writes an address: its length (0 for the zero Addr, 4, 16, or 16
// and its zone) and bytes.
func (e *Enc) Addr(a netip.Addr) {
	b, _ := a.MarshalBinary()
	if len(b) > maxAddr {
		b = b[:16] // a zone longer than any interface name: left out
	}
	e.U8(uint8(len(b)))
	e.b = append(e.b, b...)
}

// maxAddr is the longest encoded address: 16 bytes and a zone of 16 (an
// interface name is at most 15 bytes on Linux).
const maxAddr = 32

// Dec reads values that Enc wrote from a buffer, checking each.
type Dec struct {
	b   []byte
	off int
	err error
}

// NewDec returns a decoder of b.
func NewDec(b []byte) *Dec { return &Dec{b: b} }

// ReadAll reads r whole, refusing more than limit bytes. A
// *bytes.Buffer (as the engine hands each detector its part of the state
// file) is not copied: its unread bytes are returned as they are, and it
// is drained; the caller must not keep them (Dec's strings are copies).
// Another reader with a Len (a *bytes.Reader) is read into a buffer of
// that size.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	if bb, ok := r.(*bytes.Buffer); ok {
		if int64(bb.Len()) > limit {
			return nil, fmt.Errorf("state longer than %d bytes", limit)
		}
		return bb.Next(bb.Len()), nil
	}
	var buf bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok && int64(l.Len()) <= limit {
		buf.Grow(l.Len() + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("state longer than %d bytes", limit)
	}
	return buf.Bytes(), nil
}

// Err returns the first error met, nil if none.
func (d *Dec) Err() error { return d.err }

// Fail records err (with the offset where it was found) unless an error
// was met before.
func (d *Dec) Fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("at byte %d: %s", d.off, fmt.Sprintf(format, args...))
	}
}

// Left returns the bytes not read yet.
func (d *Dec) Left() int { return len(d.b) - d.off }

// End checks that everything was read: trailing bytes are an error (a
// state of another layout).
func (d *Dec) End() error {
	if d.err == nil && d.Left() != 0 {
		d.Fail("%d bytes left over", d.Left())
	}
	return d.err
}

// ErrTruncated is what a read past the end reports (wrapped).
var ErrTruncated = errors.New("truncated")

func (d *Dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.Left() {
		d.err = fmt.Errorf("at byte %d: %w (%d bytes wanted, %d left)", d.off, ErrTruncated, n, d.Left())
		return nil
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b
}

// Raw returns the next n bytes as they are (a part of the buffer, not a
// copy).
func (d *Dec) Raw(n int) []byte { return d.take(n) }

func (d *Dec) U8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *Dec) U16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *Dec) U32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *Dec) U64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *Dec) I64() int64 { return int64(d.U64()) }

// F64 reads any float64 (NaN and infinities included).
func (d *Dec) F64() float64 { return math.Float64frombits(d.U64()) }

// Time reads a float64 that must be a finite number (a record time, a
// duration, a sum).
func (d *Dec) Time() float64 {
	v := d.F64()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.Fail("%v where a finite number belongs", v)
		return 0
	}
	return v
}

// Int reads a count or size of at most max.
func (d *Dec) Int(max int) int {
	v := d.U32()
	if int64(v) > int64(max) {
		d.Fail("%d, more than %d", v, max)
		return 0
	}
	return int(v)
}

// Count reads the number of elements of a list or map that follows: at
// most max, and no more than the bytes left allow when each element takes
// at least minBytes. Callers may allocate for the count it returns.
func (d *Dec) Count(max, minBytes int) int {
	n := d.Int(max)
	if minBytes > 0 && n > d.Left()/minBytes && d.err == nil {
		d.err = fmt.Errorf("at byte %d: %w (%d elements cannot fit in the %d bytes left)", d.off, ErrTruncated, n, d.Left())
		return 0
	}
	return n
}

func (d *Dec) Bool() bool {
	switch v := d.U8(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.Fail("%d is not a boolean", v)
		return false
	}
}

// Str reads a string of at most max bytes.
func (d *Dec) Str(max int) string {
	n := int(d.U16())
	if n > max {
		d.Fail("string of %d bytes, more than %d", n, max)
		return ""
	}
	return string(d.take(n))
}

// Addr reads an address (the zero Addr included).
func (d *Dec) Addr() netip.Addr {
	n := int(d.U8())
	if n > maxAddr {
		d.Fail("address of %d bytes", n)
		return netip.Addr{}
	}
	b := d.take(n)
	if d.err != nil {
		return netip.Addr{}
	}
	var a netip.Addr
	if err := a.UnmarshalBinary(b); err != nil {
		d.Fail("address: %v", err)
		return netip.Addr{}
	}
	return a
}

// ValidAddr reads an address that must be valid (not the zero Addr).
func (d *Dec) ValidAddr() netip.Addr {
	a := d.Addr()
	if d.err == nil && !a.IsValid() {
		d.Fail("missing address")
	}
	return a
}

// Version reads a state version and fails unless it is want: the state
// of another version of the detector is not read at all.
func (d *Dec) Version(want uint8) {
	if v := d.U8(); d.err == nil && v != want {
		d.Fail("state version %d, this Vigil reads version %d", v, want)
	}
}

// maxUID is the longest connection uid read: any that Str writes (Zeek's
// are 18 bytes, EVE flows' 14, but a log file may hold longer ones, and a
// state with one must not be refused whole). A uid costs the state its
// own bytes.
const maxUID = math.MaxUint16

// UIDs writes the uids kept, with their times.
func (e *Enc) UIDs(u *alert.UIDs) {
	e.Int(u.Len())
	u.Each(func(ts float64, uid string) {
		e.F64(ts)
		e.Str(uid)
	})
}

// UIDs reads what Enc.UIDs wrote into u (at most alert.MaxUIDs).
func (d *Dec) UIDs(u *alert.UIDs) {
	n := d.Count(alert.MaxUIDs, 10)
	for range n {
		ts, uid := d.Time(), d.Str(maxUID)
		if d.err != nil {
			return
		}
		u.Add(ts, []byte(uid))
	}
}

// Episode writes an episode's reporting state.
func (e *Enc) Episode(ep *alert.Episode) {
	s := ep.State()
	e.F64(s.Last)
	e.F64(s.LastEmit)
	e.Bool(s.Alerted)
	e.U64(s.Activity)
	e.U64(s.Reported)
	e.F64(s.RefreshUntil)
	e.F64(s.Checked)
}

// Episode reads what Enc.Episode wrote.
func (d *Dec) Episode() alert.Episode {
	var s alert.EpisodeState
	s.Last, s.LastEmit, s.Alerted = d.Time(), d.Time(), d.Bool()
	s.Activity, s.Reported = d.U64(), d.U64()
	s.RefreshUntil, s.Checked = d.Time(), d.Time()
	if s.Reported > s.Activity {
		d.Fail("episode reported at %d records of %d", s.Reported, s.Activity)
	}
	return alert.RestoreEpisode(s)
}

// Distinct writes a distinct count's bit map (its count follows from it).
func (e *Enc) Distinct(d *domain.Distinct) {
	for _, w := range d.Words() {
		e.U64(w)
	}
}

// Distinct reads what Enc.Distinct wrote.
func (d *Dec) Distinct() domain.Distinct {
	var words [domain.DistinctWords]uint64
	for i := range words {
		words[i] = d.U64()
	}
	return domain.DistinctOf(words)
}
