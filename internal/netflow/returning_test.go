package netflow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/utils"

	"github.com/vigil-nsm/vigil/internal/store"
)

// TestReturningSourceTemplatesCounted: a source forgotten while the
// pipe is kept (fewer forgotten than may be admitted) and heard again goes
// on with goflow2's cached template store, which stays among l.tmpls
// until the pipe is made again: its fields are counted and uncounted with
// it, and the global budget does not leak (a review found it did, so that
// exporters restarting on a reused port could lock every new exporter's
// templates out).
func TestReturningSourceTemplatesCounted(t *testing.T) {
	l, err := newListener(Config{Queue: 16}, func(string, store.Conn) {}, limits{sources: 3, fields: 1 << 16, allFields: 1 << 20, domains: 16})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := ipfixRecords(1767225600, 1, 0, 0, nil, nil)
	a := netip.MustParseAddrPort("192.0.2.1:1000")
	send := func(src string, p []byte, at time.Time) {
		l.decode(&utils.Message{Src: netip.MustParseAddrPort(src), Payload: p, Received: at})
	}
	send("192.0.2.1:1000", tmpl, now.Add(-2*time.Hour)) // A, idle
	send("192.0.2.2:1000", v5(nil), now.Add(-2*time.Hour))
	send("192.0.2.3:1000", v5(nil), now)
	send("192.0.2.4:1000", v5(nil), now) // A and B forgotten, pipe kept (2 < 3)
	if _, ok := l.sources[a]; ok {
		t.Fatal("A not forgotten")
	}
	send("192.0.2.1:1000", tmpl, now) // A back with its templates
	if _, ok := l.tmpls[a.String()]; !ok {
		t.Errorf("A's template store (%d fields counted) is not among l.tmpls", l.fields.Load())
	}
	// An hour later everybody is idle: a new exporter forgets them all and
	// the pipe is made again; only the new one's (empty) template store is left.
	send("192.0.2.9:1000", v5(nil), now.Add(time.Hour))
	if _, ok := l.tmpls[a.String()]; len(l.sources) != 1 || ok {
		t.Fatalf("sources %v, %d template stores", l.sources, len(l.tmpls))
	}
	if n := l.fields.Load(); n != 0 {
		t.Errorf("%d template fields still counted with only an empty template store left (global budget leaks)", n)
	}
}
