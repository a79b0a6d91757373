package store

// rollups aggregates a batch's rows into the rollup tables' rows.
type rollups struct {
	traffic map[trafficKey]*Traffic
	talkers map[hostKey]*Talker
	edges   map[edgeKey]*Edge
	alerts  map[alertKey]int64
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
	return &rollups{traffic: map[trafficKey]*Traffic{}, talkers: map[hostKey]*Talker{},
		edges: map[edgeKey]*Edge{}, alerts: map[alertKey]int64{}}
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

func (r *rollups) conn(c *Conn) {
	bytes, pkts := c.Bytes(), c.OrigPkts+c.RespPkts
	k := trafficKey{BucketOf(c.TS, Minute), c.Proto, c.Service, c.IPv}
	t := r.traffic[k]
	if t == nil {
		t = &Traffic{Bucket: k.bucket, Proto: k.proto, Service: k.service, IPv: k.ipv}
		r.traffic[k] = t
	}
	t.Conns++
	t.Bytes += bytes
	t.Pkts += pkts
	h := BucketOf(c.TS, Hour)
	r.talker(h, c.OrigH, bytes)
	r.talker(h, c.RespH, bytes)
	ek := edgeKey{h, c.OrigH, c.RespH}
	e := r.edges[ek]
	if e == nil {
		e = &Edge{Bucket: h, Src: c.OrigH, Dst: c.RespH}
		r.edges[ek] = e
	}
	e.Bytes += bytes
	e.Conns++
}

func (r *rollups) talker(bucket int64, host string, bytes int64) {
	if host == "" {
		return
	}
	k := hostKey{bucket, host}
	t := r.talkers[k]
	if t == nil {
		t = &Talker{Bucket: bucket, Host: host}
		r.talkers[k] = t
	}
	t.Bytes += bytes
	t.Conns++
}

func (r *rollups) alert(a *Alert) {
	r.alerts[alertKey{BucketOf(a.TS, Minute), a.Class, a.Severity}]++
}

// emit appends the aggregates to b (minute rows, and hour rows made from
// them) and clears the maps.
func (r *rollups) emit(b *Batch) {
	hours := map[trafficKey]*Traffic{}
	for k, t := range r.traffic {
		b.Traffic1m = append(b.Traffic1m, *t)
		hk := trafficKey{BucketOf(float64(k.bucket), Hour), k.proto, k.service, k.ipv}
		h := hours[hk]
		if h == nil {
			h = &Traffic{Bucket: hk.bucket, Proto: k.proto, Service: k.service, IPv: k.ipv}
			hours[hk] = h
		}
		h.Conns += t.Conns
		h.Bytes += t.Bytes
		h.Pkts += t.Pkts
		delete(r.traffic, k)
	}
	for _, h := range hours {
		b.Traffic1h = append(b.Traffic1h, *h)
	}
	for k, t := range r.talkers {
		b.Talkers1h = append(b.Talkers1h, *t)
		delete(r.talkers, k)
	}
	for k, e := range r.edges {
		b.Edges1h = append(b.Edges1h, *e)
		delete(r.edges, k)
	}
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
