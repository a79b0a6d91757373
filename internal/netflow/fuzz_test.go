package netflow

import (
	"encoding/binary"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/utils"

	"github.com/vigil-nsm/vigil/internal/store"
)

// fuzzExporters are the sources a fuzz input's datagrams come from: two
// ports of one address (goflow2 keeps templates per address and port),
// the same address v4-mapped, and an IPv6 one.
var fuzzExporters = []netip.AddrPort{
	netip.MustParseAddrPort("192.0.2.1:2055"),
	netip.MustParseAddrPort("192.0.2.1:9995"),
	netip.MustParseAddrPort("[::ffff:192.0.2.1]:2055"),
	netip.MustParseAddrPort("[2001:db8::1]:4739"),
}

// fuzzLimits are small, so that the fuzzer reaches them (the fourth
// exporter is refused).
var fuzzLimits = limits{sources: 3, fields: 64, allFields: 128, domains: 4}

// frame joins datagrams into a fuzz input: each is a byte choosing its
// exporter (fuzzExporters, modulo), its length (2 bytes, big-endian) and
// the datagram.
func frame(exporter byte, datagrams ...[]byte) []byte {
	var b []byte
	for _, d := range datagrams {
		b = append(binary.BigEndian.AppendUint16(append(b, exporter), uint16(len(d))), d...)
	}
	return b
}

// unframe splits a fuzz input into datagrams (the last may be short).
func unframe(b []byte) []*utils.Message {
	var ms []*utils.Message
	received := time.Unix(1767225620, 0)
	for len(b) >= 3 {
		src := fuzzExporters[int(b[0])%len(fuzzExporters)]
		n := min(int(binary.BigEndian.Uint16(b[1:])), len(b)-3)
		ms = append(ms, &utils.Message{Src: src, Payload: b[3 : 3+n], Received: received})
		b = b[3+n:]
	}
	return ms
}

// sentFlow is a flow as the sink got it.
type sentFlow struct {
	exporter string
	conn     store.Conn
}

// decodeAll decodes the datagrams with a fresh listener (fuzzLimits) and
// returns it and the flows.
func decodeAll(t *testing.T, ms []*utils.Message) (*Listener, []sentFlow) {
	t.Helper()
	var got []sentFlow
	l, err := newListener(Config{}, func(exporter string, c store.Conn) {
		got = append(got, sentFlow{exporter, c})
	}, fuzzLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		l.decode(m)
	}
	return l, got
}

// FuzzDatagram feeds the input as one or more datagrams (see frame) from
// a few exporters through the listener's per-datagram path (goflow2's
// pipe, convert.Produce: fixTimes, fixSampling, toConn), so that the
// templates and options of one datagram apply to the next. It checks
// that every flow is sane (checkConn) and comes from a sender's address,
// that decoding is deterministic (a second listener gets the same
// flows), that the flow count adds up and is at most one per byte
// received (each record takes one at least), and that per-exporter state stays
// within the listener's limits: templates' fields, and the observation
// domains whose init times and sampling rates are kept.
func FuzzDatagram(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms := unframe(b)
		l, got := decodeAll(t, ms)
		senders, size := map[string]bool{}, 0
		for _, m := range ms {
			senders[m.Src.Addr().Unmap().String()] = true
			size += len(m.Payload)
		}
		if len(got) > size {
			t.Errorf("%d flows from %d bytes of datagrams", len(got), size)
		}
		for _, g := range got {
			if !senders[g.exporter] {
				t.Errorf("flow from exporter %q, which sent nothing", g.exporter)
			}
			checkConn(t, g.conn)
		}
		if n := l.Stats().Flows; n != uint64(len(got)) {
			t.Errorf("stats count %d flows, the sink got %d", n, len(got))
		}
		if _, again := decodeAll(t, ms); !slices.Equal(got, again) {
			t.Errorf("decoding again gave other flows:\n%v\n%v", got, again)
		}
		checkState(t, l, fuzzLimits)
	})
}

// checkConn checks what toConn promises of a flow.
func checkConn(t *testing.T, c store.Conn) {
	t.Helper()
	src, err1 := netip.ParseAddr(c.OrigH)
	dst, err2 := netip.ParseAddr(c.RespH)
	switch {
	case err1 != nil || err2 != nil:
		t.Errorf("addresses %q %q: %v %v", c.OrigH, c.RespH, err1, err2)
	case src.Is4() != dst.Is4() || src.Is4In6() || dst.Is4In6() || src.Zone() != "" || dst.Zone() != "":
		t.Errorf("addresses %s %s: mixed, mapped or zoned", src, dst)
	case (c.IPv == 4) != src.Is4() || (c.IPv != 4 && c.IPv != 6):
		t.Errorf("ip_version %d for %s", c.IPv, src)
	}
	if math.IsNaN(c.TS) || math.IsInf(c.TS, 0) || c.TS < 0 {
		t.Errorf("ts %v", c.TS)
	}
	if math.IsNaN(c.Duration) || math.IsInf(c.Duration, 0) || c.Duration < 0 {
		t.Errorf("duration %v", c.Duration)
	}
	if c.OrigBytes < 0 || c.OrigIPBytes < 0 || c.OrigPkts < 0 || c.RespBytes != 0 || c.RespPkts != 0 || c.RespIPBytes != 0 {
		t.Errorf("counts %+v", c)
	}
	if c.Proto == "" || !strings.HasPrefix(c.UID, "F") || len(c.UID) < 2 {
		t.Errorf("proto %q uid %q", c.Proto, c.UID)
	}
}

// checkState checks that the listener's per-exporter state is within lim:
// each exporter's templates (counted here as fields and one per
// template) and the domains with an init time or sampling rate. No
// template stored may describe records of no bytes.
func checkState(t *testing.T, l *Listener, lim limits) {
	t.Helper()
	if n := len(l.pipe.GetTemplatesForAllSources()); n > lim.sources || len(l.sources) > lim.sources {
		t.Errorf("templates of %d sources, %d admitted; limit %d", n, len(l.sources), lim.sources)
	}
	for src, ts := range l.pipe.GetTemplatesForAllSources() {
		cost := 0
		for key, tmpl := range ts {
			lists, ok := templateFields(tmpl)
			if !ok {
				t.Errorf("%s: template %x is a %T", src, key, tmpl)
			}
			width := 0
			for _, fs := range lists {
				cost += len(fs)
				for _, f := range fs {
					width += int(f.Length)
				}
			}
			cost++
			if width == 0 {
				t.Errorf("%s: template %x has records of no bytes", src, key)
			}
		}
		if cost > lim.fields {
			t.Errorf("%s: templates hold %d fields, over %d", src, cost, lim.fields)
		}
	}
	for name, tab := range map[string]*domainTable{"init times": l.conv.inits, "sampling rates": l.conv.rates} {
		for exporter, m := range tab.m {
			if len(m) > lim.domains {
				t.Errorf("%s: %s of %d domains, over %d", exporter, name, len(m), lim.domains)
			}
		}
	}
}

// fuzzSeeds are the datagrams of the package's tests, softflowd's exports
// of a lab capture (testdata/softflowd-*.bin, framed), an sFlow sample,
// and template edge cases.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	const export = 1767225600
	v9 := v9Uptime(export, 5000, 1<<32-5000, 3000)
	seeds := [][]byte{
		frame(0, v5([][7]uint32{
			{ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 40000, 22, 6, 10, 1500},
			{ip4(10, 0, 0, 3), ip4(8, 8, 8, 8), 53000, 53, 17, 1, 70},
		})),
		frame(0, ipfix()),
		frame(3, ipfixUptime(export, uint64(export-1000)*1000, 400000, 420500, 1, 3)),
		frame(0, v9),
		// The template in one datagram, the data in the next; then the
		// data from another port, which has no template.
		append(frame(0, v9[:64], append(v9[:20:20], v9[64:]...)), frame(1, append(v9[:20:20], v9[64:]...))...),
		frame(2, sflowSample()),
		frame(0, emptyTemplate(), emptyTemplate()),
		frame(0, v5Short()),
		frame(2, sflowExpanded(1<<30)),
	}
	for _, name := range []string{"softflowd-v9.bin", "softflowd-ipfix.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// emptyTemplate is an IPFIX message with a template of no fields (a
// template withdrawal) and a data set for it.
func emptyTemplate() []byte {
	msg := make([]byte, 16)
	binary.BigEndian.PutUint16(msg[0:], 10)
	binary.BigEndian.PutUint32(msg[4:], 1767225620)
	msg = append(msg, set(2, []byte{1, 0, 0, 0})...)
	msg = append(msg, set(256, []byte{1, 2, 3, 4})...)
	binary.BigEndian.PutUint16(msg[2:], uint16(len(msg)))
	return msg
}

// v5Short is a NetFlow v5 header announcing 65535 records and carrying
// none.
func v5Short() []byte {
	b := v5(nil)
	binary.BigEndian.PutUint16(b[2:], 65535)
	return b
}

// sflowExpanded is an sFlow v5 datagram with one expanded flow sample
// announcing the given number of records and carrying one.
func sflowExpanded(records uint32) []byte {
	be := binary.BigEndian
	flow := sflowSample()
	rec := flow[28+8+32:] // past the header, the sample's header and its fields
	var sample []byte
	for _, v := range []uint32{1, 0, 3, 512, 5120, 0, 0, 1, 0, 2, records} {
		sample = be.AppendUint32(sample, v)
	}
	sample = append(sample, rec...)
	d := append([]byte(nil), flow[:28]...)
	d = be.AppendUint32(be.AppendUint32(d, 3), uint32(len(sample)))
	return append(d, sample...)
}

// sflowSample is an sFlow v5 datagram with one flow sample (1 in 512)
// holding a raw Ethernet/IPv4/UDP header.
func sflowSample() []byte {
	be := binary.BigEndian
	frameHdr := []byte{
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, // Ethernet
		0x45, 0, 0, 60, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4
		0x9c, 0x40, 0, 53, 0, 40, 0, 0, // UDP
		0, 0, // padding to 4 bytes
	}
	raw := be.AppendUint32(nil, 1)                      // header protocol: Ethernet
	raw = be.AppendUint32(raw, 74)                      // frame length
	raw = be.AppendUint32(raw, 4)                       // stripped
	raw = be.AppendUint32(raw, uint32(len(frameHdr)-2)) // header length
	raw = append(raw, frameHdr...)
	rec := be.AppendUint32(be.AppendUint32(nil, 1), uint32(len(raw))) // raw packet header record
	rec = append(rec, raw...)
	sample := be.AppendUint32(nil, 1)     // sequence
	sample = be.AppendUint32(sample, 3)   // source id
	sample = be.AppendUint32(sample, 512) // sampling rate
	sample = be.AppendUint32(sample, 5120)
	sample = be.AppendUint32(sample, 0) // drops
	sample = be.AppendUint32(sample, 1) // input
	sample = be.AppendUint32(sample, 2) // output
	sample = be.AppendUint32(sample, 1) // records
	sample = append(sample, rec...)
	d := be.AppendUint32(nil, 5)   // version
	d = be.AppendUint32(d, 1)      // agent address: IPv4
	d = append(d, 192, 0, 2, 9)    // agent
	d = be.AppendUint32(d, 0)      // sub-agent
	d = be.AppendUint32(d, 1)      // sequence
	d = be.AppendUint32(d, 100000) // uptime
	d = be.AppendUint32(d, 1)      // samples
	d = be.AppendUint32(d, 1)      // flow sample
	d = be.AppendUint32(d, uint32(len(sample)))
	return append(d, sample...)
}

// TestFuzzSeeds: the seeds decode to the flows their tests expect (the
// sFlow sample scaled by its rate; softflowd's first datagrams).
func TestFuzzSeeds(t *testing.T) {
	seeds := fuzzSeeds(t)
	_, got := decodeAll(t, unframe(seeds[5]))
	if len(got) != 1 || got[0].conn.OrigH != "10.0.0.1" || got[0].conn.RespP != 53 || got[0].conn.OrigPkts != 512 {
		t.Errorf("sflow: %+v", got)
	}
	for _, i := range []int{4, len(seeds) - 2, len(seeds) - 1} { // split v9, softflowd's
		l, got := decodeAll(t, unframe(seeds[i]))
		if len(got) == 0 || l.Stats().Errors > 1 {
			t.Errorf("seed %d: %d flows, stats %+v", i, len(got), l.Stats())
		}
	}
}
