package store

import "math"

// rollups aggregates a batch's rows into the rollup tables' rows. Each
// map indexes its rows in a slice: one hash lookup per row and aggregate,
// no allocation per new key, and the maps keep their buckets from batch
// to batch.
type rollups struct {
	traffic map[trafficKey]int32
	talkers map[hostKey]int32
	edges   map[edgeKey]int32
	alerts  map[alertKey]int64

	trafficRows []Traffic
	talkerRows  []Talker
	edgeRows    []Edge
}

type trafficKey struct {
	bucket         int64
	proto, service string
	ipv            uint8
}

type hostKey struct {
	bucket int64
	host   string
}

type edgeKey struct {
	bucket   int64
	src, dst string
}

type alertKey struct {
	bucket int64
	class  string
	sev    int32
}

func newRollups() *rollups {
	return &rollups{traffic: map[trafficKey]int32{}, talkers: map[hostKey]int32{},
		edges: map[edgeKey]int32{}, alerts: map[alertKey]int64{}}
}

// slot returns the row of key k in rows, adding made() if k is new.
func slot[K comparable, R any](m map[K]int32, rows *[]R, k K, made func() R) *R {
	i, ok := m[k]
	if !ok {
		i = int32(len(*rows))
		m[k] = i
		*rows = append(*rows, made())
	}
	return &(*rows)[i]
}

// Minute and Hour are the rollup bucket sizes in seconds.
const (
	Minute = 60
	Hour   = 3600
)

// BucketOf returns the start of the bucket of size step that holds ts.
func BucketOf(ts float64, step int64) int64 {
	t := int64(ts)
	if ts < 0 {
		t--
	}
	return t - ((t%step)+step)%step
}

// batch adds the rollup rows of b's connections and alerts to b.
func (r *rollups) batch(b *Batch) {
	for i := range b.Conns {
		r.conn(&b.Conns[i])
	}
	for i := range b.Alerts {
		r.alert(&b.Alerts[i])
	}
	r.emit(b)
}

func (r *rollups) conn(c *Conn) {
	bytes, pkts := c.Bytes(), sum(c.OrigPkts, c.RespPkts)
	k := trafficKey{BucketOf(c.TS, Minute), c.Proto, c.Service, c.IPv}
	t := slot(r.traffic, &r.trafficRows, k, func() Traffic {
		return Traffic{Bucket: k.bucket, Proto: k.proto, Service: k.service, IPv: k.ipv}
	})
	t.Conns++
	t.Bytes = sum(t.Bytes, bytes)
	t.Pkts = sum(t.Pkts, pkts)
	h := BucketOf(c.TS, Hour)
	r.talker(h, c.OrigH, bytes)
	r.talker(h, c.RespH, bytes)
	e := slot(r.edges, &r.edgeRows, edgeKey{h, c.OrigH, c.RespH}, func() Edge {
		return Edge{Bucket: h, Src: c.OrigH, Dst: c.RespH}
	})
	e.Bytes = sum(e.Bytes, bytes)
	e.Conns++
}

func (r *rollups) talker(bucket int64, host string, bytes int64) {
	if host == "" {
		return
	}
	t := slot(r.talkers, &r.talkerRows, hostKey{bucket, host}, func() Talker { return Talker{Bucket: bucket, Host: host} })
	t.Bytes = sum(t.Bytes, bytes)
	t.Conns++
}

func (r *rollups) alert(a *Alert) {
	r.alerts[alertKey{BucketOf(a.TS, Minute), a.Class, a.Severity}]++
}

// emit appends the aggregates to b (minute rows, and hour rows made from
// them) and clears the maps.
func (r *rollups) emit(b *Batch) {
	hours := map[trafficKey]*Traffic{}
	for _, t := range r.trafficRows {
		hk := trafficKey{BucketOf(float64(t.Bucket), Hour), t.Proto, t.Service, t.IPv}
		h := hours[hk]
		if h == nil {
			h = &Traffic{Bucket: hk.bucket, Proto: t.Proto, Service: t.Service, IPv: t.IPv}
			hours[hk] = h
		}
		h.Conns += t.Conns
		h.Bytes = sum(h.Bytes, t.Bytes)
		h.Pkts = sum(h.Pkts, t.Pkts)
	}
	b.Traffic1m = append(b.Traffic1m, r.trafficRows...)
	for _, h := range hours {
		b.Traffic1h = append(b.Traffic1h, *h)
	}
	b.Talkers1h = append(b.Talkers1h, r.talkerRows...)
	b.Edges1h = append(b.Edges1h, r.edgeRows...)
	clear(r.traffic)
	clear(r.talkers)
	clear(r.edges)
	r.trafficRows, r.talkerRows, r.edgeRows = r.trafficRows[:0], r.talkerRows[:0], r.edgeRows[:0]
	ah := map[alertKey]int64{}
	for k, n := range r.alerts {
		b.Alerts1m = append(b.Alerts1m, AlertCount{Bucket: k.bucket, Class: k.class, Severity: k.sev, N: n})
		ah[alertKey{BucketOf(float64(k.bucket), Hour), k.class, k.sev}] += n
		delete(r.alerts, k)
	}
	for k, n := range ah {
		b.Alerts1h = append(b.Alerts1h, AlertCount{Bucket: k.bucket, Class: k.class, Severity: k.sev, N: n})
	}
}

// Sum is a+b for counts (not negative), at most math.MaxInt64, as the
// rollups add them: for sums made outside the store's SQL.
func Sum(a, b int64) int64 { return sum(a, b) }

// sum is a+b for counts (not negative), at most math.MaxInt64: hostile
// flow exports carry counts up to 64 bits.
func sum(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}
