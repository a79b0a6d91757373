package netflow

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	protoproducer "github.com/netsampler/goflow2/v2/producer/proto"
)

// Bounds on what one exporter can make the collector keep. goflow2 keys
// its templates by exporter address and port and its sampling rates by
// exporter address; within an exporter, by observation domain (32 bits)
// and template ID (16 bits), without limit, and its maps of exporters
// never shrink: the collector admits at most maxSources exporter
// addresses and ports (Listener.admit) and bounds each one's state.
const (
	// maxSources bounds the exporters (address and port) whose datagrams
	// are decoded; datagrams from others are counted and dropped, so that
	// spoofed sources cannot grow the decoder's state.
	maxSources = 4096
	// maxTemplateFields bounds the fields of an exporter's templates,
	// all together (each field about 12 bytes: some 1 MiB).
	maxTemplateFields = 1 << 16
	// maxDomains bounds the observation domains per exporter whose
	// sampling rate or system init time is kept.
	maxDomains = 1024
	// maxAllFields bounds the template fields of all exporters together
	// (some 25 MiB).
	maxAllFields = 1 << 21
	// maxRecordFields bounds the fields of one template: goflow2 makes a
	// value per field for every record of a data set, so a template of
	// many fields and tiny records multiplies a datagram's bytes (real
	// templates have tens of fields, NSEL's and IPFIX mediators' a few
	// hundred).
	maxRecordFields = 1024
)

// limits are the bounds a listener keeps to (tests use small ones).
type limits struct {
	sources   int // maxSources
	fields    int // maxTemplateFields
	allFields int // maxAllFields
	domains   int // maxDomains
}

var defaultLimits = limits{sources: maxSources, fields: maxTemplateFields, allFields: maxAllFields, domains: maxDomains}

// Errors of AddTemplate: errTemplateBudget refuses a template past
// maxTemplateFields; errTemplateShape one that would make its data sets
// cost far more to decode than their bytes (more than maxRecordFields
// fields, or a zero-length field beside others: a record of one byte
// would make a value for each of thousands of fields).
var (
	errTemplateBudget = errors.New("netflow: the exporter's templates hold too many fields")
	errTemplateShape  = errors.New("netflow: template refused: more fields than its records have bytes to fill, or over 1024 fields")
)

// templates is goflow2's template store for one exporter, bounded to
// maxTemplateFields fields (a template counts its fields and one). A
// template whose records have no bytes (no fields or only zero-length
// ones; an IPFIX template withdrawal is one) removes the template
// instead: goflow2 would decode its data sets forever.
type templates struct {
	netflow.NetFlowTemplateSystem
	mu     sync.Mutex
	fields int
	max    int
	// all counts the fields of every exporter's store, at most allMax.
	all    *atomic.Int64
	allMax int
}

// newTemplates makes an exporter's template store holding up to limit
// fields, and all exporters' stores together up to allLimit, counted in
// all.
func newTemplates(limit, allLimit int, all *atomic.Int64) *templates {
	return &templates{NetFlowTemplateSystem: netflow.CreateTemplateSystem(), max: limit, all: all, allMax: allLimit}
}

// reset empties the store (its exporter is forgotten).
func (t *templates) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.NetFlowTemplateSystem = netflow.CreateTemplateSystem()
	t.all.Add(-int64(t.fields))
	t.fields = 0
}

// AddTemplate stores a template unless the exporter's budget is spent.
func (t *templates) AddTemplate(version uint16, domain uint32, id uint16, tmpl any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, empty, zero := templateShape(tmpl)
	if empty {
		t.remove(version, domain, id)
		return nil
	}
	if zero || n-1 > maxRecordFields {
		t.remove(version, domain, id) // its older version would be misread
		return errTemplateShape
	}
	var old int
	if prev, err := t.NetFlowTemplateSystem.GetTemplate(version, domain, id); err == nil {
		old, _, _ = templateShape(prev)
	}
	if t.fields-old+n > t.max || int(t.all.Load())-old+n > t.allMax {
		return errTemplateBudget
	}
	if err := t.NetFlowTemplateSystem.AddTemplate(version, domain, id, tmpl); err != nil {
		return err
	}
	t.fields += n - old
	t.all.Add(int64(n - old))
	return nil
}

// RemoveTemplate forgets a template.
func (t *templates) RemoveTemplate(version uint16, domain uint32, id uint16) (any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.remove(version, domain, id)
}

func (t *templates) remove(version uint16, domain uint32, id uint16) (any, error) {
	prev, err := t.NetFlowTemplateSystem.RemoveTemplate(version, domain, id)
	if err == nil {
		n, _, _ := templateShape(prev)
		t.fields -= n
		t.all.Add(-int64(n))
	}
	return prev, err
}

// templateShape returns what a template costs (its fields and one),
// whether its records take no bytes (no field has a length; a
// variable-length one, 65535, takes at least its length byte), and
// whether some field, not all, has length zero.
func templateShape(tmpl any) (cost int, empty, zero bool) {
	lists, _ := templateFields(tmpl)
	cost, empty = 1, true
	for _, fs := range lists {
		cost += len(fs)
		for _, f := range fs {
			empty = empty && f.Length == 0
			zero = zero || f.Length == 0
		}
	}
	return cost, empty, zero && !empty
}

// templateFields returns the field lists of one of goflow2's template
// records (options templates have two: scopes and options); ok is false
// for any other type.
func templateFields(tmpl any) (lists [][]netflow.Field, ok bool) {
	switch r := tmpl.(type) {
	case netflow.TemplateRecord:
		return [][]netflow.Field{r.Fields}, true
	case netflow.NFv9OptionsTemplateRecord:
		return [][]netflow.Field{r.Scopes, r.Options}, true
	case netflow.IPFIXOptionsTemplateRecord:
		return [][]netflow.Field{r.Scopes, r.Options}, true
	}
	return nil, false
}

// domainTable holds a value per exporter and observation domain, at most
// max domains per exporter (values for further domains are not kept).
type domainTable struct {
	max int
	m   map[string]map[uint32]uint64
}

func newDomainTable(limit int) *domainTable {
	return &domainTable{max: limit, m: map[string]map[uint32]uint64{}}
}

func (t *domainTable) set(exporter string, domain uint32, v uint64) {
	m := t.m[exporter]
	if m == nil {
		m = map[uint32]uint64{}
		t.m[exporter] = m
	}
	if _, ok := m[domain]; ok || len(m) < t.max {
		m[domain] = v
	}
}

func (t *domainTable) get(exporter string, domain uint32) (uint64, bool) {
	v, ok := t.m[exporter][domain]
	return v, ok
}

// sampling is goflow2's sampling-rate store for one exporter, bounded to
// max entries.
type sampling struct {
	mu    sync.Mutex
	max   int
	rates map[samplingKey]uint32
}

type samplingKey struct {
	version uint16
	domain  uint32
}

// newSampling makes an exporter's sampling-rate store holding up to limit
// entries.
func newSampling(limit int) protoproducer.SamplingRateSystem {
	return &sampling{max: limit, rates: map[samplingKey]uint32{}}
}

func (s *sampling) AddSamplingRate(version uint16, domain uint32, rate uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := samplingKey{version, domain}
	if _, ok := s.rates[k]; ok || len(s.rates) < s.max {
		s.rates[k] = rate
	}
}

func (s *sampling) GetSamplingRate(version uint16, domain uint32) (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.rates[samplingKey{version, domain}]; ok {
		return r, nil
	}
	return 0, errors.New("netflow: no sampling rate")
}
