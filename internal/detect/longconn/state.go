package longconn

import (
	"fmt"
	"io"
	"math"

	"github.com/vigil-nsm/vigil/internal/detect/persist"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// stateVersion is the version of the state SaveState writes; raise it
// when its layout changes (a state of another version is not loaded).
const stateVersion = 1

// maxStateBytes bounds the state read; the count in it is checked against
// MaxPairs.
const maxStateBytes = 1 << 30

// SaveState implements detect.Persistent: each pair's pieces in its
// window (their covered time, bytes, uids, whether it was reported). The
// uids of connections reported while open are not saved: a connection
// open across a restart is picked up again as a new one, under a new uid.
func (d *Detector) SaveState(w io.Writer) error {
	var e persist.Enc
	e.U8(stateVersion)
	e.F64(d.swept)
	e.Int(len(d.pairs))
	for k, t := range d.pairs {
		e.Addr(k.src)
		e.Addr(k.dst)
		e.F64(t.start)
		e.F64(t.end)
		e.F64(t.covered)
		e.Int(t.pieces)
		e.F64(t.longest)
		e.U64(t.out)
		e.U64(t.in)
		e.U16(t.port)
		e.U8(uint8(t.proto))
		e.UIDs(&t.uids)
		e.Bool(t.reported)
	}
	_, err := e.WriteTo(w)
	return err
}

// LoadState implements detect.Persistent: it gives a detector that has
// seen no record the pairs SaveState wrote, at most MaxPairs. On error
// the detector is left as it was. Pairs whose window ended are dropped at
// the next hourly sweep, as without the restart.
func (d *Detector) LoadState(r io.Reader) error {
	b, err := persist.ReadAll(r, maxStateBytes)
	if err != nil {
		return fmt.Errorf("longconn: %w", err)
	}
	dec := persist.NewDec(b)
	dec.Version(stateVersion)
	swept := dec.Time()
	pairs := map[key]*total{}
	n := dec.Count(d.cfg.MaxPairs, 64) // a pair takes at least 70 bytes
	for range n {
		k := key{dec.ValidAddr(), dec.ValidAddr()}
		t := &total{start: dec.Time(), end: dec.Time(), covered: dec.Time(), pieces: dec.Int(math.MaxInt32), longest: dec.Time(),
			out: dec.U64(), in: dec.U64(), port: dec.U16()}
		if t.proto = rec.Proto(dec.U8()); t.proto > rec.ProtoICMP {
			dec.Fail("transport %d", t.proto)
		}
		dec.UIDs(&t.uids)
		t.reported = dec.Bool()
		if dec.Err() != nil {
			break
		}
		if _, dup := pairs[k]; dup {
			dec.Fail("pair %v → %v listed twice", k.src, k.dst)
			break
		}
		pairs[k] = t
	}
	if err := dec.End(); err != nil {
		return fmt.Errorf("longconn: %w", err)
	}
	d.swept, d.pairs = swept, pairs
	return nil
}

// StateSummary says what the state holds, for the engine's notices.
func (d *Detector) StateSummary() string {
	return fmt.Sprintf("%d pairs", len(d.pairs))
}
