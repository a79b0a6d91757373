package dga

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

// maxStateBytes bounds the state read; the count in it is checked against
// MaxClients.
const maxStateBytes = 1 << 30

// maxName is the longest registered domain read: any that Str writes (a
// log may hold names longer than the wire's 253 bytes, and a state with
// one must not be refused whole); a name costs the state its own bytes.
const maxName = math.MaxUint16

// minSlow is the fewest bytes a client's slow count takes: an empty
// address, three times, the 128-byte distinct count, five empty names,
// where the next goes, whether it alerted.
const minSlow = 1 + 3*8 + 128 + 5*2 + 1 + 1

// SaveState implements detect.Persistent: each client's slow count (its
// times, distinct count, last five domains, whether it was reported),
// which runs over SlowWindow (a day), with the client's last lookup, which
// orders evictions. The clients' windows (minutes) are not saved: Suspend
// ends them.
func (d *Detector) SaveState(w io.Writer) error {
	var e persist.Enc
	e.U8(stateVersion)
	n := 0
	for _, cl := range d.clients {
		if cl.slow.seen.Set() > 0 {
			n++
		}
	}
	e.Int(n)
	for _, cl := range d.clients {
		if cl.slow.seen.Set() > 0 {
			saveClient(&e, cl)
		}
	}
	_, err := e.WriteTo(w)
	return err
}

// saveClient writes a client's address, last lookup and slow count.
func saveClient(e *persist.Enc, cl *client) {
	s := &cl.slow
	e.Addr(cl.addr)
	e.F64(cl.last)
	e.F64(s.first)
	e.F64(s.last)
	e.Distinct(&s.seen)
	for _, name := range s.recent {
		e.Str(name)
	}
	e.U8(uint8(s.next))
	e.Bool(s.alerted)
}

// LoadState implements detect.Persistent: it gives a detector that has
// seen no record the slow counts SaveState wrote, at most MaxClients, each
// client with no window open. On error the detector is left as it was.
// Counts past SlowWindow are dropped at the next flush, as without the
// restart.
func (d *Detector) LoadState(r io.Reader) error {
	b, err := persist.ReadAll(r, maxStateBytes)
	if err != nil {
		return fmt.Errorf("dga: %w", err)
	}
	dec := persist.NewDec(b)
	dec.Version(stateVersion)
	n := dec.Count(math.MaxInt32, minSlow)
	if n > d.cfg.MaxClients {
		dec.Fail("%d clients, more than max_clients %d", n, d.cfg.MaxClients)
		n = 0
	}
	clients := make(map[netip.Addr]*client, n)
	for range n {
		cl := &client{addr: dec.Addr(), last: dec.Time()}
		cl.slow = loadSlow(dec)
		if dec.Err() != nil {
			break
		}
		if _, dup := clients[cl.addr]; dup {
			dec.Fail("client %v listed twice", cl.addr)
			break
		}
		clients[cl.addr] = cl
	}
	if err := dec.End(); err != nil {
		return fmt.Errorf("dga: %w", err)
	}
	d.clients = clients
	return nil
}

// loadSlow reads a slow count, and refuses one that add could not have
// made: empty, with where the next domain goes out of range, or more
// domains kept than counted.
func loadSlow(dec *persist.Dec) slow {
	s := slow{first: dec.Time(), last: dec.Time(), seen: dec.Distinct()}
	kept := 0
	for i := range s.recent {
		if s.recent[i] = dec.Str(maxName); s.recent[i] != "" {
			kept++
		}
	}
	s.next, s.alerted = int(dec.U8()), dec.Bool()
	switch {
	case dec.Err() != nil:
	case s.seen.Set() == 0:
		dec.Fail("empty slow count")
	case s.next >= len(s.recent):
		dec.Fail("slow count's next domain at %d of %d", s.next, len(s.recent))
	case kept > s.seen.Set():
		dec.Fail("slow count of %d domains keeps %d", s.seen.Set(), kept)
	}
	return s
}

// Suspend implements detect.Suspender: the clients' windows, which are
// not saved, end as the final flush would end them (reported again if
// they alerted); the slow counts are left to the run that loads the
// state.
func (d *Detector) Suspend(emit alert.Emit) {
	for k, cl := range d.clients {
		if cl.domains != nil {
			d.endWindow(k, cl, cl.slow.seen.Set() > 0, emit)
		}
	}
}

// StateSummary says what the state holds, for the engine's notices (the
// clients with a slow count: those saved).
func (d *Detector) StateSummary() string {
	counts, alerted := 0, 0
	for _, cl := range d.clients {
		if cl.slow.seen.Set() > 0 {
			counts++
			if cl.slow.alerted {
				alerted++
			}
		}
	}
	return fmt.Sprintf("%d slow counts (%d alerted)", counts, alerted)
}
