package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/eve"
	"github.com/vigil-nsm/vigil/internal/incident"
	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/store"
)

// alertAdder is a consumer that takes alerts raised elsewhere: the
// detection engine (detect.Engine.Add) aggregates them, writes them to
// alerts.log and correlates them into incidents with its own.
type alertAdder interface {
	Add(a alert.Alert)
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
	p := r.Parser()
	var e eve.Event
	var buf []byte
	send := func(log string, line []byte) {
		for _, c := range cons {
			c.Record(log, line)
		}
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("serve: read %s line %d: %w", path, r.Line+1, err)
		}
		rs.events++
		if a, ok := p.Alert(&e); ok {
			rs.alerts++
			if engine != nil {
				engine.Add(a)
			} else {
				a.Fill()
				if ep := own[a.Key()]; ep != nil {
					ep.Merge(a)
				} else {
					a.Count = 1
					own[a.Key()] = &a
				}
			}
		} else if log, line, ok := p.Record(&e, buf[:0]); ok {
			buf = line
			send(log, line)
			continue
		}
		if e.Type != "stats" {
			buf = rawEVE(buf[:0], &e)
			send("eve", buf)
		}
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

// rawEVE is an EVE line with ts and uid put first, so the store files it
// under its time and connection.
func rawEVE(dst []byte, e *eve.Event) []byte {
	dst = append(dst, `{"ts":`...)
	dst = record.AppendTime(dst, int64(math.Round(e.TS*1e6))*1000)
	if uid := e.UID(); uid != "" {
		dst = record.AppendStringField(dst, "uid", uid)
	}
	rest := e.Line[1:]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	if len(rest) > 0 && rest[0] != '}' {
		dst = append(dst, ',')
	}
	return append(dst, rest...)
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
