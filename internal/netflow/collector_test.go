package netflow

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/utils"

	"github.com/vigil-nsm/vigil/internal/store"
)

// ipfixRecords builds one IPFIX message: a template (addresses, ports,
// proto, octets, packets, flowStart/EndMilliseconds and the extra fields)
// and n data records.
func ipfixRecords(export uint32, n int, startMs, endMs uint64, extra [][2]uint16, extraVals []byte) []byte {
	be := binary.BigEndian
	fields := append([][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 8}, {152, 8}, {153, 8}}, extra...)
	tmpl := be.AppendUint16(be.AppendUint16(nil, 300), uint16(len(fields)))
	tmpl = append(tmpl, fieldSpecs(fields)...)
	var data []byte
	for i := 0; i < n; i++ {
		data = append(data, 10, 5, byte(i>>8), byte(i), 198, 51, 100, 7)
		data = be.AppendUint16(be.AppendUint16(data, 40000), 443)
		data = append(data, 6)
		data = be.AppendUint64(be.AppendUint64(data, 1000), 10)
		data = be.AppendUint64(be.AppendUint64(data, startMs), endMs)
		data = append(data, extraVals...)
	}
	msg := make([]byte, 16)
	be.PutUint16(msg[0:], 10)
	be.PutUint32(msg[4:], export)
	msg = append(msg, set(2, tmpl)...)
	msg = append(msg, set(300, data)...)
	be.PutUint16(msg[2:], uint16(len(msg)))
	return msg
}

// TestLargeDatagram: an IPFIX message may be up to 65,535 bytes (RFC
// 7011; loopback and jumbo links carry them): all its flows are read (a
// 9,000-byte buffer kept 198 of 300, silently).
func TestLargeDatagram(t *testing.T) {
	const export = 1767225600
	d := ipfixRecords(export, 300, (export-20)*1000, (export-10)*1000, nil, nil)
	if len(d) <= 9000 {
		t.Fatalf("datagram of %d bytes", len(d))
	}
	collect(t, 300, d)
}

// TestFutureFlowClamped: a flow cannot end after its export. One record
// dated 2100 (a wrong exporter clock, or a hostile datagram) would become
// the store's newest record, and every window the API counts back from it
// (the dashboard's default 24 h) would show that flow alone.
func TestFutureFlowClamped(t *testing.T) {
	const export = 1767225600
	const y2100 = 4102444800
	got := collect(t, 1, ipfixRecords(export, 1, y2100*1000, (y2100+1)*1000, nil, nil))
	if f := got[0]; f.TS+f.Duration > export+1 {
		t.Errorf("flow ends at %.0f, after its export at %d", f.TS+f.Duration, export)
	}
}

// TestRecordSamplingInterval: samplingInterval (IE 34) may be carried in
// the data records themselves (many routers, nProbe); the counts must be
// scaled by it as by the same field in an options record.
func TestRecordSamplingInterval(t *testing.T) {
	const export = 1767225600
	rate := binary.BigEndian.AppendUint32(nil, 100)
	got := collect(t, 1, ipfixRecords(export, 1, (export-20)*1000, (export-10)*1000, [][2]uint16{{34, 4}}, rate))
	if f := got[0]; f.OrigPkts != 1000 || f.OrigIPBytes != 100000 {
		t.Errorf("1-in-100 sampled flow stored as %d packets, %d bytes; want 1000, 100000", f.OrigPkts, f.OrigIPBytes)
	}
}

// TestV5ICMPTypeCode: NetFlow v5 (and v9 without ICMP_TYPE) carries the
// ICMP type and code in the destination port (type<<8 | code), where
// goflow2's IcmpType/IcmpCode are zero.
func TestV5ICMPTypeCode(t *testing.T) {
	got := collect(t, 1, v5([][7]uint32{{ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 0, 3<<8 | 3, 1, 1, 56}}))
	if f := got[0]; f.OrigP != 3 || f.RespP != 3 {
		t.Errorf("ICMP port unreachable stored as type %d code %d", f.OrigP, f.RespP)
	}
}

// TestExporterRestartsNotLockedOut: an exporter's source port changes
// each time it restarts (softflowd, pmacct, a VM). Once lim.sources are
// admitted, those silent for sourceIdle are forgotten to make room, so a
// new exporter is not refused for ever (a review found sources admitted
// for good); one heard lately is not forgotten.
func TestExporterRestartsNotLockedOut(t *testing.T) {
	var n atomic.Int64
	l, err := newListener(Config{Queue: 16}, func(string, store.Conn) { n.Add(1) }, limits{sources: 4, fields: 1 << 16, allFields: 1 << 20, domains: 16})
	if err != nil {
		t.Fatal(err)
	}
	empty := v5(nil)
	now := time.Now()
	for port := uint16(20000); port < 20004; port++ { // four restarts, long ago but the last
		at := now.Add(-time.Hour)
		if port == 20003 {
			at = now.Add(-time.Minute)
		}
		l.decode(&utils.Message{Src: netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), port), Payload: empty, Received: at})
	}
	flow := v5([][7]uint32{{ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1, 2, 6, 1, 40}})
	l.decode(&utils.Message{Src: netip.MustParseAddrPort("192.0.2.2:2055"), Payload: flow, Received: now})
	if n.Load() != 1 {
		t.Errorf("a new exporter's flow was refused (stats %+v)", l.Stats())
	}
	if _, ok := l.sources[netip.MustParseAddrPort("192.0.2.1:20003")]; !ok || len(l.sources) != 2 {
		t.Errorf("sources %v, want the one heard a minute ago and the new one", l.sources)
	}
}

// TestBurstWaitsInKernel: a burst the decoder cannot keep up with waits
// in the socket's receive buffer: a full queue holds the reader back
// instead of dropping datagrams with the kernel buffer nearly empty.
func TestBurstWaitsInKernel(t *testing.T) {
	d := v5([][7]uint32{{ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 1, 2, 6, 1, 40}})
	burst := make([][]byte, 2000) // 184 KB: far below the receive buffer
	for i := range burst {
		burst[i] = d
	}
	collectWith(t, Config{Addr: "127.0.0.1:0", Queue: 64}, 200*time.Microsecond, len(burst), burst...)
}

// TestForgottenSourcesLeaveNoState: a forgotten source's template store
// goes, and once as many were forgotten as may be admitted the decoder is
// made again (goflow2 keeps every exporter it saw), keeping the template
// stores of the sources still admitted.
func TestForgottenSourcesLeaveNoState(t *testing.T) {
	l, err := newListener(Config{Queue: 16}, func(string, store.Conn) {}, limits{sources: 2, fields: 1 << 16, allFields: 1 << 20, domains: 16})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old := []netip.AddrPort{netip.MustParseAddrPort("192.0.2.1:1000"), netip.MustParseAddrPort("192.0.2.1:1001")}
	for _, src := range old {
		l.decode(&utils.Message{Src: src, Payload: ipfixRecords(1767225600, 1, 0, 0, nil, nil), Received: now.Add(-time.Hour)})
	}
	if l.fields.Load() == 0 || len(l.tmpls) != 2 {
		t.Fatalf("%d template fields in %d stores after two exporters' templates", l.fields.Load(), len(l.tmpls))
	}
	pipe := l.pipe
	l.decode(&utils.Message{Src: netip.MustParseAddrPort("192.0.2.2:2055"), Payload: v5(nil), Received: now})
	if _, ok := l.tmpls["192.0.2.2:2055"]; !ok || len(l.tmpls) != 1 || l.fields.Load() != 0 {
		t.Errorf("%d template stores (%d fields), want the new source's alone", len(l.tmpls), l.fields.Load())
	}
	if l.pipe == pipe || l.forgotten != 0 {
		t.Errorf("decoder not made again after %d sources forgotten", len(old))
	}
	if st := l.Stats(); st.Exporters != 1 {
		t.Errorf("%d exporters counted, want the one admitted", st.Exporters)
	}
}

// TestFlowsWithoutAddressesCounted: a record without IP addresses (a
// MAC-only template, a hostile one) makes no flow, and is counted so.
func TestFlowsWithoutAddressesCounted(t *testing.T) {
	be := binary.BigEndian
	fields := [][2]uint16{{7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 8}}
	tmpl := be.AppendUint16(be.AppendUint16(nil, 300), uint16(len(fields)))
	tmpl = append(tmpl, fieldSpecs(fields)...)
	data := be.AppendUint16(be.AppendUint16(nil, 40000), 443)
	data = append(data, 6)
	data = be.AppendUint64(be.AppendUint64(data, 1000), 10)
	msg := make([]byte, 16)
	be.PutUint16(msg[0:], 10)
	be.PutUint32(msg[4:], 1767225600)
	msg = append(msg, set(2, tmpl)...)
	msg = append(msg, set(300, data)...)
	be.PutUint16(msg[2:], uint16(len(msg)))
	var n atomic.Int64
	l, err := newListener(Config{Queue: 16}, func(string, store.Conn) { n.Add(1) }, defaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	l.decode(&utils.Message{Src: netip.MustParseAddrPort("192.0.2.1:2055"), Payload: msg, Received: time.Now()})
	if st := l.Stats(); n.Load() != 0 || st.NoAddress != 1 {
		t.Errorf("%d flows, %d without addresses counted; want 0 and 1 (stats %+v)", n.Load(), st.NoAddress, st)
	}
}
