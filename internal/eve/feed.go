package eve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Counts is what Feed read.
type Counts struct {
	Events, Alerts int
}

// Feed reads every event of r: alert events become Vigil alerts handed to
// alerts; flow, dns, http and tls events become conn, dns, http and ssl
// records handed to records (a tls event with its server certificate
// also an x509 record); the other events (stats excepted), and the
// alert events as Suricata wrote them, become "eve" records with ts and
// uid put first. When alerts is nil, alert events are only kept as "eve"
// records. Malformed lines are skipped and counted by r.
func Feed(ctx context.Context, r *Reader, records func(log string, line []byte), alerts func(alert.Alert)) (Counts, error) {
	it := r.Items(alerts != nil)
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return it.Counts, ctx.Err()
		}
		item, err := it.Next()
		if errors.Is(err, io.EOF) {
			return it.Counts, nil
		}
		if err != nil {
			return it.Counts, err
		}
		if item.IsAlert {
			alerts(item.Alert)
		} else {
			records(item.Log, item.Line)
		}
	}
}

// Item is one thing an event becomes: a record (Log and Line) or, when
// IsAlert, an alert.
type Item struct {
	Log     string
	Line    []byte // valid until the next call to Next
	IsAlert bool
	Alert   alert.Alert
}

// Items hands out what Feed would, one item at a time (an alert event
// makes two: the alert and its "eve" record; a tls event with its server
// certificate two: the ssl record and the certificate's x509 record).
type Items struct {
	r      *Reader
	alerts bool
	e      Event
	buf    []byte
	item   Item
	record bool // the current event's record is still to come
	cert   bool // the current tls event's x509 record is still to come
	// Counts is what was read so far.
	Counts Counts
}

// Items reads r's events as items; alerts says whether alert events
// become alerts too (else only "eve" records).
func (r *Reader) Items(alerts bool) *Items { return &Items{r: r, alerts: alerts} }

// Next returns the next item (valid until the next call); io.EOF at the
// end. Other errors are read errors.
func (it *Items) Next() (*Item, error) {
	for {
		if it.record {
			it.record = false
			if it.recordItem() {
				return &it.item, nil
			}
			continue
		}
		if it.cert {
			it.cert = false
			if line, ok := it.r.p.Cert(&it.e, it.buf[:0]); ok {
				it.buf = line
				it.item = Item{Log: "x509", Line: line}
				return &it.item, nil
			}
			continue
		}
		if err := it.r.Next(&it.e); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, err
			}
			return nil, fmt.Errorf("eve: line %d: %w", it.r.Line+1, err)
		}
		it.Counts.Events++
		it.record = true
		if it.alerts {
			if a, ok := it.r.p.Alert(&it.e); ok {
				it.Counts.Alerts++
				it.item = Item{IsAlert: true, Alert: a}
				return &it.item, nil
			}
		}
	}
}

// recordItem makes the current event's record, if it has one.
func (it *Items) recordItem() bool {
	e := &it.e
	if e.Type != "alert" {
		if log, line, ok := it.r.p.Record(e, it.buf[:0]); ok {
			it.buf = line
			it.item = Item{Log: log, Line: line}
			it.cert = log == "ssl"
			return true
		}
	}
	if e.Type == "stats" {
		return false
	}
	it.buf = rawEVE(it.buf[:0], e)
	it.item = Item{Log: "eve", Line: it.buf}
	return true
}

// rawEVE is an EVE line with ts and uid put first, so a store files it
// under its time and connection.
func rawEVE(dst []byte, e *Event) []byte {
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
