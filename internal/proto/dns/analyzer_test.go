package dns

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/capture"
	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

func testConn(transport uint8) *proto.ConnInfo {
	return &proto.ConnInfo{UID: "CabC", TS: 1e9, OrigH: netip.MustParseAddr("10.0.0.1"), OrigP: 40000,
		RespH: netip.MustParseAddr("10.0.0.53"), RespP: 53, Transport: transport}
}

func query(id uint16, name string) []byte {
	return newMsg(id, 0x0100, 1, 0, 0, 0).question(name, TypeA, 1).b
}

func response(id uint16, name string, addr byte) []byte {
	return newMsg(id, 0x8580, 1, 1, 0, 0).question(name, TypeA, 1).rr(TypeA, 60, []byte{192, 0, 2, addr}).b
}

func TestAnalyzerPairing(t *testing.T) {
	s := &collect{}
	a := New(testConn(17), s)
	a.Data(proto.FromOrig, 1e9, query(1, "a.example"))
	a.Data(proto.FromOrig, 1e9+1e6, query(2, "b.example"))
	a.Data(proto.FromResp, 1e9+3e6, response(2, "b.example", 2))
	a.Data(proto.FromResp, 1e9+5e6, response(1, "a.example", 1))
	a.Data(proto.FromResp, 1e9+6e6, response(9, "c.example", 3)) // unmatched reply
	a.Data(proto.FromOrig, 1e9+7e6, query(3, "d.example"))       // unanswered
	if a.Service() != "dns" {
		t.Errorf("service %q", a.Service())
	}
	a.End(2e9)
	want := []string{
		`{"ts":1.001,"uid":"CabC","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","trans_id":2,"rtt":0.002,"query":"b.example","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":true,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["192.0.2.2"],"TTLs":[60.0],"rejected":false,"opcode":0,"opcode_name":"query"}`,
		`{"ts":1.0,"uid":"CabC","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","trans_id":1,"rtt":0.005,"query":"a.example","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":true,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["192.0.2.1"],"TTLs":[60.0],"rejected":false,"opcode":0,"opcode_name":"query"}`,
		`{"ts":1.007,"uid":"CabC","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","trans_id":3,"query":"d.example","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","AA":false,"TC":false,"RD":true,"RA":false,"Z":0,"rejected":false,"opcode":0,"opcode_name":"query"}`,
		`{"ts":1.006,"uid":"CabC","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","trans_id":9,"query":"c.example","rcode":0,"rcode_name":"NOERROR","AA":true,"TC":false,"RD":false,"RA":true,"Z":0,"answers":["192.0.2.3"],"TTLs":[60.0],"rejected":false,"opcode":0,"opcode_name":"query"}`,
	}
	if len(s.lines) != len(want) {
		for _, l := range s.lines {
			t.Log(string(l))
		}
		t.Fatalf("%d records, want %d", len(s.lines), len(want))
	}
	for i, w := range want {
		if string(s.lines[i]) != w {
			t.Errorf("record %d:\n got %s\nwant %s", i, s.lines[i], w)
		}
	}
}

func TestAnalyzerRejectedAndFlip(t *testing.T) {
	s := &collect{}
	a := New(testConn(17), s)
	// The originator's first message is a response: roles flip.
	refused := newMsg(4, 0x8105, 1, 0, 0, 0).question("x.example", TypeA, 1).b
	a.Data(proto.FromOrig, 1e9, refused)
	a.End(2e9)
	m := s.maps(t)
	if len(m) != 1 || m[0]["rejected"] != true || m[0]["id.orig_h"] != "10.0.0.53" || m[0]["rcode_name"] != "REFUSED" {
		t.Errorf("got %v", m)
	}
}

func TestAnalyzerMulticast(t *testing.T) {
	s := &collect{}
	ci := testConn(17)
	ci.RespH, ci.RespP, ci.OrigP = netip.MustParseAddr("224.0.0.251"), 5353, 5353
	a := New(ci, s)
	a.Data(proto.FromOrig, 1e9, query(0, "a.local"))
	a.Data(proto.FromOrig, 1e9, response(0, "a.local", 1))
	if len(s.lines) != 2 {
		t.Fatalf("records %d (each mDNS message is its own record)", len(s.lines))
	}
	a.End(2e9)
	if len(s.lines) != 2 {
		t.Errorf("records %d after End", len(s.lines))
	}
}

func frame(b []byte) []byte { return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...) }

func TestAnalyzerTCPFraming(t *testing.T) {
	s := &collect{}
	a := New(testConn(6), s)
	q := append(frame(query(1, "a.example")), frame(query(2, "b.example"))...)
	r := append(frame(response(1, "a.example", 1)), frame(response(2, "b.example", 2))...)
	// One byte at a time for the queries, odd pieces for the responses.
	for i := range q {
		a.Data(proto.FromOrig, 1e9, q[i:i+1])
	}
	for len(r) > 0 {
		n := min(7, len(r))
		a.Data(proto.FromResp, 1e9+1e6, r[:n])
		r = r[n:]
	}
	// A partial message is flushed at End (as Zeek does at close).
	part := frame(query(3, "c.example"))
	a.Data(proto.FromOrig, 1e9+2e6, part[:len(part)-2])
	a.End(2e9)
	m := s.maps(t)
	if len(m) != 3 {
		t.Fatalf("records %d: %v", len(m), m)
	}
	for i, want := range []string{"a.example", "b.example"} {
		if m[i]["query"] != want || m[i]["proto"] != "tcp" {
			t.Errorf("record %d: %v", i, m[i])
		}
	}
	// The truncated question is dropped (Zeek's DNS_truncated_quest_too_short).
	if m[2]["trans_id"] != 3.0 || m[2]["query"] != nil {
		t.Errorf("partial: %v", m[2])
	}
	// A gap drops the partial message.
	s.lines = nil
	a = New(testConn(6), s)
	a.Data(proto.FromOrig, 1e9, part[:5])
	a.Gap(proto.FromOrig, 100)
	a.Data(proto.FromOrig, 1e9, frame(query(4, "d.example")))
	a.End(2e9)
	if m := s.maps(t); len(m) != 1 || m[0]["query"] != "d.example" {
		t.Errorf("after gap: %v", m)
	}
}

func TestAnalyzerBounds(t *testing.T) {
	s := &collect{}
	a := New(testConn(17), s)
	for i := 0; i < 1000; i++ {
		a.Data(proto.FromOrig, 1e9, query(uint16(i), "a.example"))
		if len(a.queries) > maxPending || len(a.replies) > maxPending {
			t.Fatalf("pending %d/%d", len(a.queries), len(a.replies))
		}
	}
	for i := 0; i < 1000; i++ {
		a.Data(proto.FromResp, 1e9, response(uint16(5000+i), "a.example", 1))
		if len(a.replies) > maxPending {
			t.Fatalf("pending replies %d", len(a.replies))
		}
	}
	a.End(2e9)
	if len(s.lines) != 2000 {
		t.Errorf("records %d, want 2000 (every message logged once)", len(s.lines))
	}
	// Same id over and over.
	s.lines = nil
	a = New(testConn(17), s)
	for i := 0; i < 500; i++ {
		a.Data(proto.FromOrig, 1e9, query(7, "a.example"))
	}
	if len(a.queries) > maxPendingPerID+1 {
		t.Errorf("pending %d", len(a.queries))
	}
	a.End(2e9)
	if len(s.lines) != 500 {
		t.Errorf("records %d", len(s.lines))
	}
}

func TestDetect(t *testing.T) {
	q := query(1, "www.example.com")
	cases := []struct {
		b         []byte
		port      uint16
		transport uint8
		want      proto.Confidence
	}{
		{q, 9999, 17, proto.Likely},
		{q[:20], 53, 17, proto.Maybe},
		{frame(q), 53, 6, proto.Likely},
		{frame(q)[:1], 53, 6, proto.Maybe},
		{[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 53, 17, proto.Maybe},
		{[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 80, 17, proto.No},
		{response(0, "a.local", 1), 5353, 17, proto.Likely},
		{newMsg(0, 0x8400, 0, 1, 0, 0).name("a.local").u16(1).u16(0x8001).u32(120).u16(4).raw(1, 2, 3, 4).b, 5353, 17, proto.Likely},
	}
	for i, c := range cases {
		if got := Detect(proto.FromOrig, c.b, c.port, c.transport); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
	found := false
	for _, f := range proto.Factories() {
		if f.Name == "dns" {
			found = true
		}
	}
	if !found {
		t.Error("dns factory not registered")
	}
}

func TestNetBIOSName(t *testing.T) {
	// "FRED" padded with spaces, name type 0x00.
	enc := "egfcefeecacacacacacacacacacacaaa"
	got := decodeNetBIOSName([]byte(enc+".workgroup"), nil)
	if string(got) != "FRED" {
		t.Errorf("got %q", got)
	}
	if decodeNetBIOSName([]byte("www.example.com"), nil) != nil {
		t.Error("decoded a DNS name")
	}
}

// FuzzAnalyzer feeds arbitrary bytes as a TCP stream, split where the
// input says, then as UDP datagrams.
// newAnalyzer is New as a Factory's New.
func newAnalyzer(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) }

func FuzzAnalyzer(f *testing.F) {
	f.Add(append(frame(query(1, "a.example")), frame(response(1, "a.example", 1))...), uint8(3))
	f.Add(frame(newMsg(5, 0xa805, 1, 1, 0, 0).question("example.org", TypeSOA, 1).b), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		s := &collect{}
		a := New(testConn(6), s)
		step := int(split)%17 + 1
		for i := 0; i < len(data); i += step {
			dir := proto.Direction((i / step) & 1)
			a.Data(dir, 1e9, data[i:min(i+step, len(data))])
		}
		a.End(2e9)
		feedUDP := func(u proto.Analyzer) {
			for i := 0; i < len(data); i += 64 {
				u.Data(proto.Direction((i/64)&1), 1e9, data[i:min(i+64, len(data))])
			}
			u.End(2e9)
		}
		feedUDP(New(testConn(17), s))
		s.maps(t) // every line valid JSON
		// a, ended, serves a UDP connection as a new analyzer does.
		prototest.CheckReuse(t, a, testConn(17), newAnalyzer, feedUDP)
	})
}

// FuzzParse parses arbitrary messages with every option.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	if len(seeds) == 0 {
		f.Add(response(1, "a.example", 1))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range []*Parser{{}, {NetBIOS: true}, {AllSections: true}} {
			m := p.Parse(b)
			if m == nil {
				if len(b) >= HeaderLen {
					t.Fatal("nil message")
				}
				continue
			}
			for _, r := range m.Records {
				if len(r.Name) >= maxNameBuf || len(r.Text) > maxArena {
					t.Fatalf("unbounded: %d %d", len(r.Name), len(r.Text))
				}
			}
		}
		_ = Plausible(b, false)
		_ = Detect(proto.FromOrig, b, 53, 6)
	})
}

func BenchmarkParse(b *testing.B) {
	msg := newMsg(1, 0x8180, 1, 4, 0, 0).question("www.example.com", TypeA, 1).
		rr(TypeCNAME, 300, cat([]byte("\x03cdn"), []byte{0xc0, 16})).
		rr(TypeA, 60, []byte{192, 0, 2, 1}).rr(TypeA, 60, []byte{192, 0, 2, 2}).
		rr(TypeTXT, 60, []byte("\x0bv=spf1 -all")).b
	var p Parser
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if m := p.Parse(msg); len(m.Records) != 4 {
			b.Fatal(len(m.Records))
		}
	}
}

func BenchmarkAnalyzer(b *testing.B) {
	q, r := query(1, "www.example.com"), response(1, "www.example.com", 1)
	a := New(testConn(17), discard{})
	b.ReportAllocs()
	for b.Loop() {
		a.Data(proto.FromOrig, 1e9, q)
		a.Data(proto.FromResp, 1e9+1e6, r)
	}
}

type discard struct{}

func (discard) Record(string, []byte) {}

// TestWriteFuzzSeeds refreshes the FuzzParse seed corpus from the DNS
// payloads of the Zeek DNS traces (VIGIL_WRITE_SEEDS=1).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_SEEDS=1")
	}
	root := testcorpus.Require(t, "zeek", "testing", "btest", "Traces")
	var paths []string
	for _, g := range []string{"dns*.pcap", "dns/*.pcap", "dnssec/*.pcap"} {
		m, _ := filepath.Glob(filepath.Join(root, g))
		paths = append(paths, m...)
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	n := 0
	for _, path := range paths {
		src, err := capture.Open([]string{path})
		if err != nil {
			continue
		}
		dec := decode.NewDecoder(decode.DefaultConfig())
		var f capture.Frame
		var p decode.Packet
		for k := 0; k < 4 && src.Next(&f) == nil; {
			dec.Decode(f.Data, f.LinkType, f.TS, f.OrigLen, &p)
			if p.IP.Proto != 17 || len(p.Payload) < HeaderLen {
				continue
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", p.Payload)
			name := fmt.Sprintf("%s-%d", strings.TrimSuffix(filepath.Base(path), ".pcap"), k)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			k++
			n++
		}
		src.Close()
	}
	t.Logf("wrote %d seeds", n)
}

// collect is a Sink that keeps copies of the lines.
type collect struct{ lines [][]byte }

func (c *collect) Record(log string, line []byte) {
	if log != "dns" {
		panic("unexpected log " + log)
	}
	c.lines = append(c.lines, append([]byte(nil), line...))
}

func (c *collect) maps(t testing.TB) []map[string]any {
	t.Helper()
	out := make([]map[string]any, 0, len(c.lines))
	for _, l := range c.lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("invalid JSON %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}
