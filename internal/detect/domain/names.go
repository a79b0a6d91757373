package domain

import "github.com/vigil-nsm/vigil/internal/record/rec"

// maxNames bounds the names a Names remembers.
const maxNames = 100_000

// Names remembers what a detector derives from each DNS query name: a site
// asks for the same names again and again, so each is worked out once. At
// most maxNames are kept; past that all are forgotten at once.
type Names[V any] struct {
	derive func(query string) V
	known  map[string]V // by the query field as written
}

// NewNames returns a Names deriving with derive (given the query unescaped).
func NewNames[V any](derive func(query string) V) *Names[V] {
	return &Names[V]{derive: derive, known: map[string]V{}}
}

// Of returns what r's query name derives; false when r has no query.
func (n *Names[V]) Of(r *rec.Rec) (V, bool) {
	raw, ok := r.Raw("query")
	if !ok {
		var none V
		return none, false
	}
	if v, ok := n.known[string(raw)]; ok {
		return v, true
	}
	v := n.derive(r.Str("query"))
	if len(n.known) >= maxNames {
		clear(n.known)
	}
	n.known[string(raw)] = v
	return v, true
}
