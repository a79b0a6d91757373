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
// records handed to records; the other events (stats excepted), and the
// alert events as Suricata wrote them, become "eve" records with ts and
// uid put first. When alerts is nil, alert events are only kept as "eve"
// records. Malformed lines are skipped and counted by r.
func Feed(ctx context.Context, r *Reader, records func(log string, line []byte), alerts func(alert.Alert)) (Counts, error) {
	var c Counts
	p := r.Parser()
	var e Event
	var buf []byte
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return c, ctx.Err()
		}
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("eve: line %d: %w", r.Line+1, err)
		}
		c.Events++
		if alerts != nil {
			if a, ok := p.Alert(&e); ok {
				c.Alerts++
				alerts(a)
			}
		}
		if e.Type != "alert" {
			if log, line, ok := p.Record(&e, buf[:0]); ok {
				buf = line
				records(log, line)
				continue
			}
		}
		if e.Type != "stats" {
			buf = rawEVE(buf[:0], &e)
			records("eve", buf)
		}
	}
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
