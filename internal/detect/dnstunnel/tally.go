package dnstunnel

import (
	"math/bits"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/domain"
)

// tally counts names over a long horizon in fixed space (about 330
// bytes): for the slow rule a parent domain's, for the spread rule a
// client's over all parent domains. It starts at a tunnel-like name and
// counts every name after it for its window (tallyOf).
type tally struct {
	first, last    float64
	all, like      domain.Distinct // distinct names; distinct tunnel-like names
	bytes          int             // of the tunnel-like names first seen
	parents        uint64          // bit map of the parent domains of tunnel-like names (by hash)
	client, server netip.Addr      // of the last tunnel-like name
	sample         [3]string       // the first tunnel-like names
	samples        int
	alerted        bool
}

// add counts a name and reports whether it was a tunnel-like name not
// met before.
func (t *tally) add(ts float64, n *name, client, server netip.Addr) bool {
	t.last = max(t.last, ts)
	t.all.Add(n.hash)
	if n.enc == NoData || !t.like.Add(n.hash) {
		return false
	}
	t.bytes += len(n.sub)
	t.parents |= 1 << (n.regHash >> 58)
	t.client, t.server = client, server
	if t.samples < len(t.sample) {
		t.sample[t.samples] = n.query
		t.samples++
	}
	return true
}

// share returns the estimated tunnel-like names and their share of all.
func (t *tally) share() (like int, share float64) {
	like = t.like.Count()
	return like, float64(like) / float64(max(t.all.Count(), 1))
}

// spread returns how many parent domains (of up to 64, by hash) the
// tunnel-like names were under.
func (t *tally) spread() int { return bits.OnesCount64(t.parents) }
