package scan

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"net/netip"
	"slices"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/persist"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// stateVersion is the version of the state SaveState writes; raise it
// when its layout changes (a state of another version is not loaded).
const stateVersion = 1

// maxStateBytes bounds the state read; the counts in it are checked
// against MaxEntries and SlowCap.
const maxStateBytes = 1 << 30

// SaveState implements detect.Persistent: the slow tier's records (their
// probes, conversation tables, uids and reporting state), whose window is
// hours long. The fast tier's episodes (Window, Idle: minutes) and the
// table of recent conversations (an hour) are not saved.
func (d *Detector) SaveState(w io.Writer) error {
	d.promoteAll(func(alert.Alert) {}) // a lone probe's slow record is saved as one
	var e persist.Enc
	e.U8(stateVersion)
	e.Int(len(d.slow))
	for _, sl := range d.slow {
		e.Addr(sl.src)
		e.Episode(&sl.Episode)
		e.Int(len(sl.probes))
		for _, q := range sl.probes {
			e.Addr(q.dst)
			e.F64(q.ts)
			e.U16(q.port)
			e.U8(uint8(q.proto))
		}
		for _, t := range sl.hostTalk {
			e.Addr(t.key)
			e.U32(t.n)
		}
		for _, t := range sl.svcTalk {
			e.U16(t.key.port)
			e.U8(uint8(t.key.proto))
			e.U32(t.n)
		}
		e.UIDs(&sl.uids)
		e.Int(sl.added)
	}
	_, err := e.WriteTo(w)
	return err
}

// LoadState implements detect.Persistent: it gives a detector that has
// seen no record the slow records SaveState wrote, checked against
// MaxEntries and SlowCap (with the slow tier off they are read and left
// out). On error the detector is left as it was. Records idle for longer
// than SlowIdle end at the next flush, reported if they alerted, as
// without the restart.
func (d *Detector) LoadState(r io.Reader) error {
	b, err := persist.ReadAll(r, maxStateBytes)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	dec := persist.NewDec(b)
	dec.Version(stateVersion)
	slow := map[netip.Addr]*slowSource{}
	entries := 0
	// A record takes at least 110 bytes (address, episode, conversation
	// tables, counts), a probe 15.
	n := dec.Count(d.cfg.MaxEntries/slowEntries, 110)
	for range n {
		sl := &slowSource{src: dec.ValidAddr(), Episode: dec.Episode()}
		np := dec.Count(SlowCap, 15)
		sl.probes = make([]slowProbe, 0, max(np, 2))
		for range np {
			q := slowProbe{dst: dec.ValidAddr(), ts: dec.Time(), port: dec.U16(), proto: loadProto(dec)}
			sl.probes = append(sl.probes, q)
		}
		for i := range sl.hostTalk {
			sl.hostTalk[i] = tally[netip.Addr]{dec.Addr(), dec.U32()}
		}
		for i := range sl.svcTalk {
			sl.svcTalk[i] = tally[service]{service{dec.U16(), loadProto(dec)}, dec.U32()}
		}
		dec.UIDs(&sl.uids)
		sl.added = dec.Int(math.MaxInt32)
		if dec.Err() != nil {
			break
		}
		if _, dup := slow[sl.src]; dup {
			dec.Fail("slow record of %v listed twice", sl.src)
			break
		}
		if entries += sl.size(); entries > d.cfg.MaxEntries {
			dec.Fail("slow records of more than max_entries %d entries", d.cfg.MaxEntries)
			break
		}
		slow[sl.src] = sl
	}
	if err := dec.End(); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if d.cfg.SlowWindow == 0 {
		return nil // the slow tier is off here
	}
	// The records join the idle order idlest first.
	for _, sl := range slices.SortedFunc(maps.Values(slow), func(a, b *slowSource) int {
		return cmp.Or(cmp.Compare(a.Last, b.Last), a.src.Compare(b.src))
	}) {
		if old := d.slow[sl.src]; old != nil {
			d.entries -= old.size()
			d.slowIdle.remove(old)
		}
		d.slow[sl.src] = sl
		d.slowIdle.touch(sl)
		d.entries += sl.size()
		d.slowDue.Watch(d.slow, sl.src, sl)
	}
	return nil
}

// loadProto reads a transport (rec.Proto).
func loadProto(dec *persist.Dec) rec.Proto {
	p := rec.Proto(dec.U8())
	if p > rec.ProtoICMP {
		dec.Fail("transport %d", p)
		return rec.ProtoOther
	}
	return p
}

// Suspend implements detect.Suspender: the fast tier's episodes, which
// are not saved, end as the final flush would end them (reported if they
// alerted); the slow records are left to the run that loads the state.
func (d *Detector) Suspend(emit alert.Emit) {
	d.promoteAll(emit)
	d.flushFast(math.Inf(1), emit)
}

// StateSummary says what the state holds, for the engine's notices.
func (d *Detector) StateSummary() string {
	alerted := 0
	for _, sl := range d.slow {
		if sl.Alerted {
			alerted++
		}
	}
	return fmt.Sprintf("%d slow records (%d alerted)", len(d.slow), alerted)
}
