package domain

import (
	"hash/maphash"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Names remembers the DNS query names seen and what the detectors derive
// from each: a site asks for the same names again and again, so each is
// worked out once. One Names may serve several detectors (Slot), each
// handed the same record in turn: the name and the work they share
// (Query) are looked up and done once for all.
//
// The names are kept in a fixed direct-mapped table (knownSlots, 512
// KiB of pointers): a name's slot holds the last name that landed there,
// so memory stays bounded without ever being cleared at once, and a name
// new to the table costs a hash and a store, not a map's growth. A DNS
// flood of random names (water torture) is all such names; a site's
// resolver asks a few thousand names again and again, and keeps them.
// What is derived from a name depends on the name alone, so a name
// forgotten and seen again derives the same.
type Names struct {
	known *[knownSlots]*Query // by a hash of the query field as written
	seed  maphash.Seed
	last  *Query // the query looked up last
	slots int    // slots handed out (NewSlot)
}

// knownBits sizes Names' table: 65,536 names.
const knownBits = 16
const knownSlots = 1 << knownBits

// NewNames returns an empty Names.
func NewNames() *Names { return &Names{known: new([knownSlots]*Query), seed: maphash.MakeSeed()} }

// Query is one query name and what the DNS detectors all work out of it.
type Query struct {
	// Text is the query unescaped.
	Text string
	// Skip is set for a name no DNS detector judges: empty, a reverse
	// lookup, not a public name, or a service name.
	Skip bool

	raw     string        // the query field as written: its key in Names
	lower   string        // Text lower-cased, its trailing dot dropped (unset when Skip)
	suffix  string        // the public suffix of lower
	icann   bool          // the suffix is of the list's ICANN section
	derived [maxSlots]any // what each slot derived (nil: not yet)
}

// maxSlots is the number of detectors that may share one Names.
const maxSlots = 2

// Of returns r's query; false when r has none.
func (n *Names) Of(r *rec.Rec) (*Query, bool) {
	raw, ok := r.Raw("query")
	if !ok {
		return nil, false
	}
	if n.last != nil && n.last.raw == string(raw) {
		return n.last, true // the same record, handed to the next detector
	}
	slot := &n.known[maphash.Bytes(n.seed, raw)>>(64-knownBits)]
	q := *slot
	if q == nil || q.raw != string(raw) {
		q = newQuery(r.Str("query"))
		q.raw = string(raw)
		*slot = q
	}
	n.last = q
	return q, true
}

func newQuery(text string) *Query {
	q := &Query{Text: text}
	lower := strings.ToLower(strings.TrimSuffix(text, "."))
	if q.Skip = text == "" || reverseLower(lower) || !Public(text) || ServiceName(text); !q.Skip {
		q.lower = lower
		q.suffix, q.icann = publicsuffix.PublicSuffix(q.lower)
	}
	return q
}

// Registered is Registered(q.Text), for a query not skipped: the public
// suffix worked out once, for every detector.
func (q *Query) Registered() (reg, sub string) {
	if q.Skip {
		return Registered(q.Text)
	}
	return registeredOf(strings.TrimSuffix(q.Text, "."), q.suffix)
}

// RegisteredICANN is RegisteredICANN(Normalize(q.Text)), for a query not
// skipped. Normalize leaves a name without an ASCII capital as it is (its
// trailing dot dropped): q.lower is that name lower-cased, and its suffix
// is known.
func (q *Query) RegisteredICANN() (reg, sub string) {
	name := Normalize(q.Text)
	switch {
	case q.Skip:
		return RegisteredICANN(name)
	case name == strings.TrimSuffix(q.Text, "."): // no capital: q.lower is name lower-cased
		return registeredICANNOf(name, q.suffix, q.icann)
	}
	return registeredICANN(name, q.publicSuffix)
}

// publicSuffix is publicsuffix.PublicSuffix, answered from q for the name
// q worked it out for.
func (q *Query) publicSuffix(lower string) (string, bool) {
	if lower == q.lower && !q.Skip {
		return q.suffix, q.icann
	}
	return publicsuffix.PublicSuffix(lower)
}

// Slot is where one detector keeps what it derives from each query of a
// Names.
type Slot[V any] struct {
	shared *Names
	i      int
	derive func(*Query) V
}

// NewSlot returns a slot of n deriving with derive; it panics when n has
// maxSlots already.
func NewSlot[V any](n *Names, derive func(*Query) V) *Slot[V] {
	if n.slots == maxSlots {
		panic("domain: Names has no slot left")
	}
	n.slots++
	return &Slot[V]{shared: n, i: n.slots - 1, derive: derive}
}

// Of returns what r's query name derives; false when r has no query.
func (s *Slot[V]) Of(r *rec.Rec) (V, bool) {
	q, ok := s.shared.Of(r)
	if !ok {
		var none V
		return none, false
	}
	if v, ok := q.derived[s.i].(V); ok {
		return v, true
	}
	v := s.derive(q)
	q.derived[s.i] = v
	return v, true
}
