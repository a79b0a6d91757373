package netflow

import (
	"errors"
	"math"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	protoproducer "github.com/netsampler/goflow2/v2/producer/proto"
	"github.com/netsampler/goflow2/v2/utils"

	"github.com/vigil-nsm/vigil/internal/store"
)

// fields is a template record of n four-byte fields.
func fields(id uint16, n int) netflow.TemplateRecord {
	r := netflow.TemplateRecord{TemplateId: id, FieldCount: uint16(n)}
	for i := range n {
		r.Fields = append(r.Fields, netflow.Field{Type: uint16(i + 1), Length: 4})
	}
	return r
}

// TestTemplateBudget: an exporter's templates stop at the budget; a
// template replacing one of the same key, or one added after a removal,
// still fits; a template of no bytes removes its key; one with a
// zero-length field beside others, or over 1024 fields, is refused.
func TestTemplateBudget(t *testing.T) {
	ts := newTemplates(10, 1<<20, new(atomic.Int64))
	steps := []struct {
		name string
		id   uint16
		tmpl any
		err  error
		used int
	}{
		{"first", 256, fields(256, 4), nil, 5},
		{"second", 257, fields(257, 4), nil, 10},
		{"over the budget", 258, fields(258, 1), errTemplateBudget, 10},
		{"replacing", 256, fields(256, 3), nil, 9},
		{"options template", 258, netflow.IPFIXOptionsTemplateRecord{Scopes: fields(0, 1).Fields}, errTemplateBudget, 9},
		{"withdrawal", 257, fields(257, 0), nil, 4},
		{"zero-length fields", 256, netflow.TemplateRecord{Fields: []netflow.Field{{Type: 8}}}, nil, 0},
		// Refused whatever the budget: a record's decoding costs a value
		// per field (the robustness review's allocation bomb).
		{"a zero-length field beside others", 259, netflow.TemplateRecord{Fields: []netflow.Field{{Type: 8, Length: 4}, {Type: 9}}}, errTemplateShape, 0},
		{"over 1024 fields", 259, fields(259, 1025), errTemplateShape, 0},
		{"after the removals", 258, fields(258, 9), nil, 10},
	}
	for _, s := range steps {
		err := ts.AddTemplate(10, 1, s.id, s.tmpl)
		if !errors.Is(err, s.err) || ts.fields != s.used {
			t.Errorf("%s: error %v, %d fields used; want %v, %d", s.name, err, ts.fields, s.err, s.used)
		}
	}
	if n := len(ts.GetTemplates()); n != 1 {
		t.Errorf("%d templates kept, want 1", n)
	}
}

// TestEmptyTemplateData: a data set for a template of no fields (an
// IPFIX template withdrawal) made goflow2 decode records of no bytes
// forever; it is now a set without a template.
func TestEmptyTemplateData(t *testing.T) {
	done := make(chan []sentFlow)
	go func() {
		_, got := decodeAll(t, unframe(frame(0, emptyTemplate(), ipfix())))
		done <- got
	}()
	select {
	case got := <-done:
		if len(got) != 1 {
			t.Errorf("%d flows, want the one of the second datagram", len(got))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("decoding a data set of an empty template does not end")
	}
}

// TestDomainBounds: init times and sampling rates are kept for at most
// the limit of observation domains per exporter; known ones still update.
func TestDomainBounds(t *testing.T) {
	tab := newDomainTable(2)
	for d := range uint32(5) {
		tab.set("192.0.2.1", d, uint64(d))
	}
	tab.set("192.0.2.1", 1, 7)
	tab.set("192.0.2.2", 9, 9)
	if v, ok := tab.get("192.0.2.1", 1); !ok || v != 7 || len(tab.m["192.0.2.1"]) != 2 {
		t.Errorf("table %v", tab.m)
	}
	if _, ok := tab.get("192.0.2.2", 9); !ok {
		t.Errorf("another exporter's domain refused: %v", tab.m)
	}
	s := newSampling(2)
	for d := range uint32(5) {
		s.AddSamplingRate(10, d, d+1)
	}
	s.AddSamplingRate(10, 0, 100)
	if r, err := s.GetSamplingRate(10, 0); err != nil || r != 100 || len(s.(*sampling).rates) != 2 {
		t.Errorf("rate %d %v, %d kept", r, err, len(s.(*sampling).rates))
	}
}

// TestToConnHostile: counts scaled past maxFlowCount stop there (so
// that the store's sums of many stay within int64); addresses of two IP
// versions are no flow.
func TestToConnHostile(t *testing.T) {
	m := &protoproducer.ProtoProducerMessage{}
	m.SrcAddr, m.DstAddr = []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	m.Bytes, m.Packets, m.SamplingRate = 1<<63, 1<<40, 1<<30
	c, ok := toConn(m)
	if !ok || c.OrigBytes != maxFlowCount || c.OrigPkts != maxFlowCount {
		t.Errorf("saturated counts: %+v", c)
	}
	m.DstAddr = make([]byte, 16)
	m.DstAddr[0] = 0x20
	if c, ok := toConn(m); ok {
		t.Errorf("IPv4 to IPv6 flow: %+v", c)
	}
}

// TestLatestNearOverflow: times near 2^64 ns (a hostile init time plus
// uptime, a hostile export time near 1970) are still taken back to the
// latest time not after the export, where one at or after 0 is; t itself
// where none is.
func TestLatestNearOverflow(t *testing.T) {
	const early = 1e15 - slack // an export 11.6 days after 1970
	cases := [][2]uint64{
		{math.MaxUint64, 0},
		{math.MaxUint64, 1767225600 * 1e9},
		{4294*wrapNs + early + slack - 1e13, early}, // ceil((t-export)/wrap) overflowed
		{1767225600*1e9 + wrapNs + slack, 1767225600 * 1e9},
	}
	for _, c := range cases {
		tt, export := c[0], c[1]
		got := latest(tt, export)
		lim := export + slack
		if tt%wrapNs > lim {
			if got != tt {
				t.Errorf("latest(%d, %d) = %d, want t: no time before the export", tt, export, got)
			}
			continue
		}
		if got > lim || got+wrapNs <= lim || (tt-got)%wrapNs != 0 {
			t.Errorf("latest(%d, %d) = %d: not the latest time not after the export", tt, export, got)
		}
	}
}

// TestSourcesBounded: datagrams from exporters past the limit are counted
// as refused and decoded no further; admitted exporters keep working.
func TestSourcesBounded(t *testing.T) {
	var flows int
	l, err := newListener(Config{}, func(string, store.Conn) { flows++ }, limits{sources: 2, fields: 64, allFields: 128, domains: 4})
	if err != nil {
		t.Fatal(err)
	}
	datagram := v5([][7]uint32{{0x0a000001, 0x0a000002, 1234, 80, 6, 10, 1000}})
	for i, src := range []string{"192.0.2.1:2055", "192.0.2.2:2055", "192.0.2.3:2055", "192.0.2.1:2055", "192.0.2.1:2056"} {
		l.decode(&utils.Message{Src: netip.MustParseAddrPort(src), Payload: datagram, Received: time.Unix(1767225620, 0)})
		t.Logf("datagram %d from %s: %d flows so far", i, src, flows)
	}
	st := l.Stats()
	if flows != 3 || st.Refused != 2 || st.Exporters != 2 || len(l.pipe.GetTemplatesForAllSources()) > 2 {
		t.Errorf("flows %d, refused %d, exporters %d; want 3, 2, 2", flows, st.Refused, st.Exporters)
	}
}
