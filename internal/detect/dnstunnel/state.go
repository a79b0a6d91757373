package dnstunnel

import (
	"fmt"
	"io"
	"math"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/persist"
)

// stateVersion is the version of the state SaveState writes; raise it
// when its layout changes (a state of another version is not loaded).
const stateVersion = 1

// maxStateBytes bounds the state read; the counts in it are checked
// against MaxDomains.
const maxStateBytes = 1 << 30

// maxName is the longest name read (a parent domain, a sample name): any
// that Str writes. A query name is at most 253 bytes on the wire, but a
// log may hold longer ones, and a state with one must not be refused
// whole; a name costs the state its own bytes.
const maxName = math.MaxUint16

// minTally is the fewest bytes a tally takes (tallyOf): two times, two
// distinct counts of 128 bytes, its counts, two empty addresses.
const minTally = 16 + 2*128 + 4 + 8 + 2 + 4 + 1

// SaveState implements detect.Persistent: the slow rule's tallies, one
// per parent domain over SlowWindow (a day), and, since they are the same
// tallies, the spread rule's, one per client over Window. The parent
// domains' windows (an hour, with their sets of subdomains) are not
// saved: Suspend ends them.
func (d *Detector) SaveState(w io.Writer) error {
	var e persist.Enc
	e.U8(stateVersion)
	e.Int(len(d.slow))
	for reg, t := range d.slow {
		e.Str(reg)
		saveTally(&e, t)
	}
	e.Int(len(d.spread))
	for client, c := range d.spread {
		e.Addr(client)
		t := c.t
		if t == nil {
			t = c.tally(client)
		}
		saveTally(&e, t)
	}
	_, err := e.WriteTo(w)
	return err
}

// saveTally writes a tally: its times, distinct counts, the figures and
// samples its alert reports, whether it alerted.
func saveTally(e *persist.Enc, t *tally) {
	e.F64(t.first)
	e.F64(t.last)
	e.Distinct(&t.all)
	e.Distinct(&t.like)
	e.Int(t.bytes)
	e.U64(t.parents)
	e.Addr(t.client)
	e.Addr(t.server)
	e.Int(t.samples)
	for _, s := range t.sample[:t.samples] {
		e.Str(s)
	}
	e.Bool(t.alerted)
}

// LoadState implements detect.Persistent: it gives a detector that has
// seen no record the tallies SaveState wrote, at most MaxDomains of each
// rule. On error the detector is left as it was. Tallies past their
// window are dropped at the next flush, as without the restart.
func (d *Detector) LoadState(r io.Reader) error {
	b, err := persist.ReadAll(r, maxStateBytes)
	if err != nil {
		return fmt.Errorf("dnstunnel: %w", err)
	}
	dec := persist.NewDec(b)
	dec.Version(stateVersion)
	slow := loadTallies(dec, "slow", d.cfg.MaxDomains, func() string { return dec.Str(maxName) })
	spread := loadTallies(dec, "client", d.cfg.MaxDomains, dec.Addr)
	if err := dec.End(); err != nil {
		return fmt.Errorf("dnstunnel: %w", err)
	}
	d.slow = slow
	d.spread = make(map[netip.Addr]clientTally, len(spread))
	for client, t := range spread {
		d.spread[client] = clientTally{t: t}
	}
	return nil
}

// loadTallies reads a map of tallies (what: which rule's) of at most
// limit, each under a key that key reads.
func loadTallies[K comparable](dec *persist.Dec, what string, limit int, key func() K) map[K]*tally {
	n := dec.Count(math.MaxInt32, minTally)
	if n > limit {
		dec.Fail("%d %s tallies, more than max_domains %d", n, what, limit)
		return nil
	}
	m := make(map[K]*tally, n)
	for range n {
		k := key()
		t := loadTally(dec)
		if dec.Err() != nil {
			break
		}
		if _, dup := m[k]; dup {
			dec.Fail("%s tally of %v listed twice", what, k)
			break
		}
		m[k] = t
	}
	return m
}

// loadTally reads what saveTally wrote, and refuses a tally that add
// could not have made: none of its tunnel-like names (it starts at one)
// among all its names, or more samples than tunnel-like names.
func loadTally(dec *persist.Dec) *tally {
	t := &tally{first: dec.Time(), last: dec.Time(), all: dec.Distinct(), like: dec.Distinct(),
		bytes: dec.Int(math.MaxInt32), parents: dec.U64(), client: dec.Addr(), server: dec.Addr()}
	t.samples = dec.Int(len(t.sample))
	for i := range t.samples {
		t.sample[i] = dec.Str(maxName)
	}
	t.alerted = dec.Bool()
	switch {
	case dec.Err() != nil:
	case t.like.Set() == 0 || !t.like.Within(&t.all):
		dec.Fail("tally of %d tunnel-like names not among its %d names", t.like.Set(), t.all.Set())
	case t.samples > t.like.Set():
		dec.Fail("tally of %d samples of %d tunnel-like names", t.samples, t.like.Set())
	}
	return t
}

// Suspend implements detect.Suspender: the parent domains' windows, which
// are not saved, end as the final flush would end them (reported again if
// they alerted); the tallies are left to the run that loads the state.
func (d *Detector) Suspend(emit alert.Emit) {
	d.flushDomains(math.Inf(1), emit)
}

// StateSummary says what the state holds, for the engine's notices.
func (d *Detector) StateSummary() string {
	alerted := 0
	for _, t := range d.slow {
		if t.alerted {
			alerted++
		}
	}
	return fmt.Sprintf("%d slow tallies (%d alerted), %d client tallies", len(d.slow), alerted, len(d.spread))
}
