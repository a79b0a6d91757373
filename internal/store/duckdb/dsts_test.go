package duckdb

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/store"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

// TestAlertOnManyServers: an alert about many servers (a password spray,
// a horizontal scan) has no dst and names its servers in dsts. The store
// kept dst only, so a sprayed server's host page, the alerts filtered by
// it and the risk model (store.Alert) never saw the alert, and the
// attack graph drew no edge for it.
func TestAlertOnManyServers(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	_, w := runWriter(t, db, "test.pcap")
	g := storetest.New(1, 10)
	src, s1, s2 := g.Host(1), g.Host(2), g.Host(3)
	spray := strings.Replace(string(storetest.AlertJSON(g.T0+10, "bruteforce.ssh", 1, src, "")),
		`"class"`, `"dsts":["`+s1+`","`+s2+`"],"dst_count":2,"class"`, 1)
	w.Record("alerts", []byte(spray))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := db.Alerts(ctx, store.AlertFilter{Host: s2, Paging: store.Paging{Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || !slices.Equal(p.Items[0].Dsts, []string{s1, s2}) {
		t.Errorf("alerts of server %s: %+v", s2, p.Items)
	}
	h, err := db.Host(ctx, s1, store.Range{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Alerts) != 1 {
		t.Errorf("host page of %s: %d alerts, want the spray", s1, len(h.Alerts))
	}
	gr, err := db.Graph(ctx, store.Range{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	attack := map[string]bool{}
	for _, e := range gr.Edges {
		if e.Dst == "" {
			t.Errorf("graph edge to no host: %+v", e)
		}
		if e.Attack && e.Src == src {
			attack[e.Dst] = true
		}
	}
	if !attack[s1] || !attack[s2] {
		t.Errorf("attack edges from %s: %v, want to %s and %s", src, attack, s1, s2)
	}
}
