package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/eve"
	"github.com/vigil-nsm/vigil/internal/incident"
	"github.com/vigil-nsm/vigil/internal/store"
)

// alertAdder is a consumer that takes alerts raised elsewhere: the
// detection engine (detect.Engine.Add) aggregates them, writes them to
// alerts.log and correlates them into incidents with its own.
type alertAdder interface {
	Add(a alert.Alert) bool // detect.Engine.Add: false when its allowlist drops it
}

// readEVE ingests a Suricata EVE file (internal/eve) instead of an
// analysis run: alert events become Vigil alerts, handed to the
// detection engine among the consumers or, without one, aggregated,
// correlated into incidents and stored directly; flow, dns, http and tls
// events become conn, dns, http and ssl records for every consumer (the
// store writer, the detectors, the inventory); the other events, and the
// alert events as Suricata wrote them, are kept as "eve" records (stats
// events are dropped). Malformed lines are counted and skipped; rs.note
// reports them.
func (s *Server) readEVE(ctx context.Context, path string, w *store.Writer, cons []analyze.Consumer, rs *runSummary) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer f.Close()
	r, err := eve.NewReader(f)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var engine alertAdder
	for _, c := range cons {
		if a, ok := c.(alertAdder); ok {
			engine = a
		}
	}
	own := map[string]*alert.Alert{} // without an engine: episodes by key
	add := func(a alert.Alert) {
		if engine != nil {
			engine.Add(a)
			return
		}
		a.Fill()
		if ep := own[a.Key()]; ep != nil {
			ep.Merge(a)
		} else {
			a.Count = 1
			own[a.Key()] = &a
		}
	}
	send := func(log string, line []byte) {
		for _, c := range cons {
			c.Record(log, line)
		}
	}
	n, err := eve.Feed(ctx, r, send, add)
	rs.events, rs.alerts = n.Events, n.Alerts
	if err != nil {
		return fmt.Errorf("serve: read %s: %w", path, err)
	}
	if len(own) > 0 {
		storeAlerts(w, own)
	}
	s.logf("ingest %s: %d EVE events, %d alerts", path, rs.events, rs.alerts)
	if r.Malformed > 0 {
		rs.note = fmt.Sprintf("EVE: %d malformed lines skipped (first at %s)", r.Malformed, r.FirstError)
		s.logf("ingest %s: %s", path, rs.note)
	}
	return nil
}

// storeAlerts writes alerts aggregated without the detection engine, and
// their incidents, to the store.
func storeAlerts(w *store.Writer, own map[string]*alert.Alert) {
	list := make([]alert.Alert, 0, len(own))
	for _, a := range own {
		list = append(list, *a)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].TS != list[j].TS {
			return list[i].TS < list[j].TS
		}
		return list[i].Key() < list[j].Key()
	})
	for i := range list {
		w.Record("alerts", list[i].JSON())
	}
	for _, inc := range incident.Build(list, incident.DefaultConfig()) {
		if b, err := json.Marshal(inc); err == nil {
			w.Record("incidents", b)
		}
	}
}
