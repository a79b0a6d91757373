package store

import (
	"context"
	"sync"
	"testing"
)

// batches is an Appender that keeps what it is given.
type batches struct {
	mu  sync.Mutex
	all []Batch
}

func (b *batches) Append(_ context.Context, x *Batch) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := *x
	c.Incidents = append([]Incident(nil), x.Incidents...)
	c.Assets = append([]Asset(nil), x.Assets...)
	b.all = append(b.all, c)
	return nil
}

// TestWriterKeepsLast: an incident or host written twice before a flush
// (an incident that grew, a live run's inventory stored again) is one row,
// the later one.
func TestWriterKeepsLast(t *testing.T) {
	var got batches
	w := NewWriter(&got, DefaultWriterConfig())
	w.Record("incidents", []byte(`{"id":"I1","first":1,"last":2,"alerts":1,"narrative":"one"}`))
	w.Record("assets", []byte(`{"host":"aa:bb:cc:00:00:01","first_seen":1,"last_seen":2}`))
	w.Record("incidents", []byte(`{"id":"I2","first":1,"last":2,"alerts":1}`))
	w.Record("incidents", []byte(`{"id":"I1","first":1,"last":9,"alerts":3,"narrative":"three"}`))
	w.Record("assets", []byte(`{"host":"aa:bb:cc:00:00:01","first_seen":1,"last_seen":9}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var incs []Incident
	var assets []Asset
	for _, b := range got.all {
		incs = append(incs, b.Incidents...)
		assets = append(assets, b.Assets...)
	}
	if len(incs) != 2 || incs[0].ID != "I2" || incs[1].ID != "I1" || incs[1].Alerts != 3 {
		t.Errorf("incidents %+v", incs)
	}
	if len(assets) != 1 || assets[0].LastSeen != 9 {
		t.Errorf("assets %+v", assets)
	}
}

func TestLastBy(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""}, {"a", "a"}, {"ab", "ab"}, {"aa", "a"}, {"abab", "ab"}, {"abcba", "cba"}, {"aaab", "ab"},
	} {
		rows := []byte(c.in)
		got := string(lastBy(rows, func(b *byte) string { return string(*b) }))
		if got != c.want {
			t.Errorf("lastBy(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
