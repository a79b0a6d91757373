package netflow

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/store"
)

// v5 builds a NetFlow v5 datagram with the given flows
// (src, dst, sport, dport, proto, packets, bytes).
func v5(flows [][7]uint32) []byte {
	b := make([]byte, 24+48*len(flows))
	be := binary.BigEndian
	be.PutUint16(b[0:], 5)
	be.PutUint16(b[2:], uint16(len(flows)))
	be.PutUint32(b[4:], 100000)     // uptime ms
	be.PutUint32(b[8:], 1767225600) // unix secs
	for i, f := range flows {
		r := b[24+48*i:]
		be.PutUint32(r[0:], f[0])
		be.PutUint32(r[4:], f[1])
		be.PutUint32(r[16:], f[5])
		be.PutUint32(r[20:], f[6])
		be.PutUint32(r[24:], 90000) // first
		be.PutUint32(r[28:], 95000) // last
		be.PutUint16(r[32:], uint16(f[2]))
		be.PutUint16(r[34:], uint16(f[3]))
		r[38] = byte(f[4])
	}
	return b
}

// ipfix builds an IPFIX message with a template and one data record.
func ipfix() []byte {
	be := binary.BigEndian
	fields := [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 8}, {152, 8}, {153, 8}}
	tmpl := []byte{0, 2, 0, 0, 1, 0, 0, byte(len(fields))}
	for _, f := range fields {
		tmpl = be.AppendUint16(be.AppendUint16(tmpl, f[0]), f[1])
	}
	be.PutUint16(tmpl[2:], uint16(len(tmpl)))
	data := []byte{1, 0, 0, 0}
	data = append(data, 192, 0, 2, 1, 198, 51, 100, 7)
	data = be.AppendUint16(be.AppendUint16(data, 51000), 443)
	data = append(data, 6)
	data = be.AppendUint64(be.AppendUint64(data, 120000), 90)
	data = be.AppendUint64(be.AppendUint64(data, 1767225600000), 1767225612000)
	be.PutUint16(data[2:], uint16(len(data)))
	msg := make([]byte, 16)
	be.PutUint16(msg[0:], 10)
	be.PutUint32(msg[4:], 1767225620)
	msg = append(append(msg, tmpl...), data...)
	be.PutUint16(msg[2:], uint16(len(msg)))
	return msg
}

func ip4(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

func TestV5AndIPFIX(t *testing.T) {
	got := collect(t, 3, v5([][7]uint32{
		{ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 40000, 22, 6, 10, 1500},
		{ip4(10, 0, 0, 3), ip4(8, 8, 8, 8), 53000, 53, 17, 1, 70},
	}), ipfix())
	var bytes, pkts int64
	for _, f := range got {
		bytes += f.OrigBytes
		pkts += f.OrigPkts
	}
	if bytes != 1500+70+120000 || pkts != 10+1+90 {
		t.Errorf("totals %d bytes %d packets", bytes, pkts)
	}
	f := got[2]
	if f.OrigH != "192.0.2.1" || f.RespP != 443 || f.Proto != "tcp" || f.TS != 1767225600 || f.Duration != 12 || f.UID == "" {
		t.Errorf("ipfix flow: %+v", f)
	}
	if got[0].Proto != "tcp" || got[1].Proto != "udp" || got[0].RespP != 22 {
		t.Errorf("v5 flows: %+v", got[:2])
	}
}

// set wraps records into an IPFIX/v9 set with its header.
func set(id uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

func fieldSpecs(fields [][2]uint16) []byte {
	var b []byte
	for _, f := range fields {
		b = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, f[0]), f[1])
	}
	return b
}

// ipfixUptime builds an IPFIX message as softflowd sends it: an options
// template and record (systemInitTimeMilliseconds, PSAMP interval and
// space) and a flow dated by flowStartSysUpTime/flowEndSysUpTime.
func ipfixUptime(export uint32, initMs uint64, startUp, endUp uint32, interval, space uint32) []byte {
	be := binary.BigEndian
	flow := [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}, {22, 4}, {21, 4}}
	tmpl := be.AppendUint16(be.AppendUint16(nil, 256), uint16(len(flow)))
	tmpl = append(tmpl, fieldSpecs(flow)...)
	opts := [][2]uint16{{143, 4}, {160, 8}, {305, 4}, {306, 4}}
	otmpl := be.AppendUint16(be.AppendUint16(be.AppendUint16(nil, 257), uint16(len(opts))), 1)
	otmpl = append(otmpl, fieldSpecs(opts)...)
	odata := be.AppendUint32(nil, 1234)
	odata = be.AppendUint32(be.AppendUint32(be.AppendUint64(odata, initMs), interval), space)
	data := append([]byte{192, 0, 2, 1, 198, 51, 100, 7}, 0xc7, 0x38, 0x01, 0xbb, 6)
	data = be.AppendUint32(be.AppendUint32(data, 2000), 10)
	data = be.AppendUint32(be.AppendUint32(data, startUp), endUp)
	msg := make([]byte, 16)
	be.PutUint16(msg[0:], 10)
	be.PutUint32(msg[4:], export)
	msg = append(msg, set(2, tmpl)...)
	msg = append(msg, set(3, otmpl)...)
	msg = append(msg, set(257, odata)...)
	msg = append(msg, set(256, data)...)
	be.PutUint16(msg[2:], uint16(len(msg)))
	return msg
}

// v9Uptime builds a NetFlow v9 packet with a template and one flow whose
// FIRST/LAST_SWITCHED are given (uptime milliseconds).
func v9Uptime(unix, uptime, first, last uint32) []byte {
	be := binary.BigEndian
	flow := [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}, {22, 4}, {21, 4}}
	tmpl := be.AppendUint16(be.AppendUint16(nil, 256), uint16(len(flow)))
	tmpl = append(tmpl, fieldSpecs(flow)...)
	data := append([]byte{10, 0, 0, 1, 10, 0, 0, 2}, 0x9c, 0x40, 0, 22, 6)
	data = be.AppendUint32(be.AppendUint32(data, 3000), 20)
	data = be.AppendUint32(be.AppendUint32(data, first), last)
	msg := make([]byte, 20)
	be.PutUint16(msg[0:], 9)
	be.PutUint16(msg[2:], 2)
	be.PutUint32(msg[4:], uptime)
	be.PutUint32(msg[8:], unix)
	msg = append(msg, set(0, tmpl)...)
	return append(msg, set(256, data)...)
}

// collect sends datagrams to a fresh listener and returns the n flows
// decoded.
func collect(t *testing.T, n int, datagrams ...[]byte) []store.Conn {
	t.Helper()
	return collectWith(t, Config{Addr: "127.0.0.1:0"}, 0, n, datagrams...)
}

// collectWith is collect with the listener's config and a sink that
// takes slow for each flow.
func collectWith(t *testing.T, cfg Config, slow time.Duration, n int, datagrams ...[]byte) []store.Conn {
	t.Helper()
	var mu sync.Mutex
	var got []store.Conn
	l, err := Listen(cfg, func(_ string, c store.Conn) {
		time.Sleep(slow)
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Run(ctx) }()
	c, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range datagrams {
		c.Write(d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d flows, want %d (stats %+v)", len(got), n, l.Stats())
	}
	if st := l.Stats(); st.ReadBuffer < 1<<20 {
		t.Logf("receive buffer only %d bytes (net.core.rmem_max caps it)", st.ReadBuffer)
	}
	return got
}

// TestUptimeTimes: flow times relative to the exporter's uptime, across
// the 32-bit millisecond wrap (NetFlow v9), and relative to the IPFIX
// systemInitTimeMilliseconds of the options records; PSAMP sampling.
func TestUptimeTimes(t *testing.T) {
	const export = 1767225600
	// v9: the router's uptime wrapped 5 s ago; the flow began 10 s ago
	// (before the wrap) and ended 2 s ago.
	got := collect(t, 1, v9Uptime(export, 5000, 1<<32-5000, 3000))
	if f := got[0]; f.TS != export-10 || f.Duration != 8 || f.OrigPkts != 20 || f.OrigIPBytes != 3000 {
		t.Errorf("v9 flow across the uptime wrap: ts %.3f duration %.3f %+v", f.TS, f.Duration, f)
	}
	// v9 without a wrap.
	got = collect(t, 1, v9Uptime(export, 100000, 90000, 95000))
	if f := got[0]; f.TS != export-10 || f.Duration != 5 {
		t.Errorf("v9 flow: ts %.3f duration %.3f", f.TS, f.Duration)
	}
	// IPFIX: system init 1000 s before export, flow from uptime 400 s to
	// 420.5 s; 1-in-4 sampling as PSAMP interval 1, space 3.
	initMs := uint64(export-1000) * 1000
	got = collect(t, 1, ipfixUptime(export, initMs, 400000, 420500, 1, 3))
	if f := got[0]; f.TS != export-600 || f.Duration != 20.5 || f.OrigPkts != 40 || f.OrigIPBytes != 8000 {
		t.Errorf("ipfix uptime flow: ts %.3f duration %.3f %+v", f.TS, f.Duration, f)
	}
	// IPFIX whose init time lies after the flow (softflowd -r replaying
	// an older capture): the uptime is negative as a 32-bit count.
	initMs = uint64(export-5) * 1000
	got = collect(t, 1, ipfixUptime(export, initMs, 1<<32-60000, 1<<32-30000, 1, 0))
	if f := got[0]; f.TS != export-65 || f.Duration != 30 || f.OrigPkts != 10 {
		t.Errorf("ipfix flow before the exporter's start: ts %.3f duration %.3f %+v", f.TS, f.Duration, f)
	}
	// IPFIX from an exporter up 60 days: its 32-bit uptime has wrapped
	// once; the flow began an hour and ended a minute before the export.
	initMs = uint64(export-60*86400) * 1000
	up := func(ago uint64) uint32 { return uint32(60*86400*1000 - ago*1000) } // truncated to 32 bits
	got = collect(t, 1, ipfixUptime(export, initMs, up(3600), up(60), 1, 0))
	if f := got[0]; f.TS != export-3600 || f.Duration != 3540 {
		t.Errorf("ipfix flow after the uptime wrapped: ts %.3f duration %.3f", f.TS, f.Duration)
	}
}
