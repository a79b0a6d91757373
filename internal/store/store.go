package store

import (
	"context"
	"time"
)

// Store is what the server needs from storage: batched appends, the runs
// that sources are ingested in, retention, and one query per page. A
// backend registers nothing; the caller picks one (duckdb.Open).
type Store interface {
	Appender
	Runs
	Reader
	// Retain deletes what is older than the policy allows, measured back
	// from the newest record (data time).
	Retain(ctx context.Context, p Retention) (Retained, error)
	Close() error
}

// Appender writes batches. A batch is committed when Append returns nil;
// committed rows survive a crash.
type Appender interface {
	Append(ctx context.Context, b *Batch) error
}

// Runs records ingest sources. Rows carry their run id. A file's run left
// "running" by a crash is removed whole (Recover) so the file can be
// ingested again without duplicates; a stream's run (live capture,
// NetFlow, the API), which cannot be read again, keeps what it committed.
type Runs interface {
	BeginRun(ctx context.Context, source, kind string) (int32, error)
	EndRun(ctx context.Context, id int32, r RunEnd) error
	// Recover ends the runs a crash left running: those of a Replayable
	// kind lose their rows and are marked "aborted" (their sources are
	// returned), the others keep their rows and are marked "interrupted".
	Recover(ctx context.Context) ([]string, error)
	ListRuns(ctx context.Context, limit int) ([]Run, error)
}

// Replayable reports whether runs of kind read a file that is ingested
// again after a crash (capture, logs, eve), rather than a stream.
func Replayable(kind string) bool { return kind == "capture" || kind == "logs" || kind == "eve" }

// Reader answers the API's queries.
type Reader interface {
	// Bounds returns the first and newest record time (0, 0 when empty).
	Bounds(ctx context.Context) (first, last float64, err error)
	Overview(ctx context.Context, r Range) (*Overview, error)
	Minutes(ctx context.Context, r Range) ([]MinuteStats, error)
	Alerts(ctx context.Context, f AlertFilter) (Page[Alert], error)
	Incidents(ctx context.Context, f IncidentFilter) (Page[Incident], error)
	Incident(ctx context.Context, id string) (*IncidentDetail, error)
	SetIncidentStatus(ctx context.Context, id, status, note string) error
	Assets(ctx context.Context, f AssetFilter) (Page[Asset], error)
	Host(ctx context.Context, addr string, r Range) (*HostDetail, error)
	Flows(ctx context.Context, f FlowFilter) (Page[Conn], error)
	Records(ctx context.Context, f RecordFilter) (Page[Record], error)
	Graph(ctx context.Context, r Range, limit int) (*Graph, error)
	Timeline(ctx context.Context, r Range, limit int) ([]TimelineItem, error)
	IPv6(ctx context.Context) (*IPv6View, error)
	Search(ctx context.Context, q string, limit int) (*SearchResult, error)
	SaveSituation(ctx context.Context, pts []SituationPoint) error
	Situation(ctx context.Context, r Range) ([]SituationPoint, error)
	Counts(ctx context.Context) (map[string]int64, error)
}

// Retention says how long each kind of row is kept.
type Retention struct {
	Raw    time.Duration // conn, dns, http, ssl, records
	Minute time.Duration // 1-minute rollups and the situation series
	Hour   time.Duration // 1-hour rollups, alerts, incidents, assets
}

// DefaultRetention keeps raw rows 7 days, minute rollups 30 days and hour
// rollups, alerts and incidents a year.
func DefaultRetention() Retention {
	return Retention{Raw: 7 * 24 * time.Hour, Minute: 30 * 24 * time.Hour, Hour: 365 * 24 * time.Hour}
}

// Retained counts the rows a Retain call deleted, by table.
type Retained map[string]int64

// Range is a time window in epoch seconds; zero ends are open.
type Range struct {
	From, To float64
}

// Contains reports whether ts is in the range.
func (r Range) Contains(ts float64) bool {
	return (r.From == 0 || ts >= r.From) && (r.To == 0 || ts <= r.To)
}

// Page is one page of a listing.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// Paging is the offset and limit of a listing (Limit 0 means 50, capped at
// 1000).
type Paging struct {
	Offset, Limit int
}

// Norm returns the paging with defaults and caps applied.
func (p Paging) Norm() Paging {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Limit > 1000 {
		p.Limit = 1000
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// Run is one ingest source.
type Run struct {
	ID       int32   `json:"id"`
	Source   string  `json:"source"`
	Kind     string  `json:"kind"` // capture, logs, netflow, api
	Status   string  `json:"status"`
	Started  float64 `json:"started"`
	Ended    float64 `json:"ended,omitempty"`
	Packets  int64   `json:"packets"`
	Records  int64   `json:"records"`
	Error    string  `json:"error,omitempty"`
	Duration float64 `json:"duration_s,omitempty"`
}

// RunEnd is how a run ended.
type RunEnd struct {
	Status  string // done, failed
	Packets int64
	Records int64
	Error   string
	// Source, when set, is where the run's input is now (a failed file,
	// moved to failed/ rather than done/).
	Source string
}
