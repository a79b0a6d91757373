package analyze

import (
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/proto"
)

// byteCounter is a test analyzer: it counts each side's reassembled bytes
// and gaps and writes them as one "testbytes" record at End.
type byteCounter struct {
	ci    *proto.ConnInfo
	out   proto.Sink
	bytes [2]int
	gaps  [2]int
	seen  bool
}

func (b *byteCounter) Data(dir proto.Direction, ts int64, data []byte) {
	b.bytes[dir] += len(data)
	b.seen = true
}
func (b *byteCounter) Gap(dir proto.Direction, n int) { b.gaps[dir] += n }
func (b *byteCounter) End(ts int64) {
	b.out.Record("testbytes", fmt.Appendf(nil, `{"uid":%q,"orig":%d,"resp":%d,"gaps":%d}`,
		b.ci.UID, b.bytes[0], b.bytes[1], b.gaps[0]+b.gaps[1]))
}
func (b *byteCounter) Service() string {
	if b.seen {
		return "testbytes"
	}
	return ""
}

func init() {
	// Claims SSH connections (the synthetic capture has them, with a
	// banner as the first bytes) so no real analyzer competes.
	proto.Register(&proto.Factory{
		Name: "testbytes", Transports: []uint8{6},
		Detect: func(dir proto.Direction, first []byte, port uint16, _ uint8) proto.Confidence {
			if bytes.HasPrefix(first, []byte("SSH-")) {
				return proto.Sure + 1
			}
			return proto.No
		},
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &byteCounter{ci: ci, out: out} },
	})
}

// TestAppLayerSeesTheWholeStream checks the application layer end to end:
// detection by content, TCP reassembly per side, directions after role
// decisions, End at connection end, and the service in conn.log. The bytes
// an analyzer receives must equal conn.log's sequence-based byte counts.
func TestAppLayerSeesTheWholeStream(t *testing.T) {
	path, _ := writeSynth(t, 30000, 2000)
	cfg := DefaultConfig()
	cfg.Workers = 2
	sum, dir := runTo(t, cfg, path)
	recs := readLog(t, filepath.Join(dir, "testbytes.log"))
	if len(recs) == 0 {
		t.Fatalf("no testbytes records; summary records %v", sum.Records)
	}
	conns := map[string]map[string]any{}
	for _, c := range readLog(t, filepath.Join(dir, "conn.log")) {
		conns[c["uid"].(string)] = c
	}
	for _, r := range recs {
		c := conns[r["uid"].(string)]
		if c == nil {
			t.Fatalf("record for unknown uid %v", r["uid"])
		}
		if c["service"] != "testbytes" {
			t.Errorf("conn %v: service %v, want testbytes", r["uid"], c["service"])
		}
		num := func(m map[string]any, k string) string { return strconv.FormatFloat(toF(m[k]), 'f', 0, 64) }
		if num(r, "orig") != num(c, "orig_bytes") || num(r, "resp") != num(c, "resp_bytes") || toF(r["gaps"]) != 0 {
			t.Errorf("conn %v: analyzer saw orig %v resp %v gaps %v; conn.log says orig_bytes %v resp_bytes %v",
				r["uid"], r["orig"], r["resp"], r["gaps"], c["orig_bytes"], c["resp_bytes"])
		}
	}
	t.Logf("%d SSH connections checked", len(recs))
}

func toF(v any) float64 {
	f, _ := v.(float64)
	return f
}

// nopAnalyzer is a test analyzer that does nothing.
type nopAnalyzer struct{ name string }

func (nopAnalyzer) Data(proto.Direction, int64, []byte) {}
func (nopAnalyzer) Gap(proto.Direction, int)            {}
func (nopAnalyzer) End(int64)                           {}
func (n nopAnalyzer) Service() string                   { return n.name }

// TestDetectPortRegistered checks attachment when content says nothing:
// like Zeek's port registration, the analyzer registered for the
// responder port gets the connection even when its Detect rules the
// bytes out (http/methods.pcap: a request line of non-token bytes on port
// 80, which Zeek's HTTP analyzer logs); content that another factory
// recognises still wins, and elsewhere the best guess stands.
func TestDetectPortRegistered(t *testing.T) {
	factory := func(name string, ports []uint16, detect func([]byte) proto.Confidence) *proto.Factory {
		return &proto.Factory{
			Name: name, Transports: []uint8{6}, Ports: ports,
			Detect: func(_ proto.Direction, first []byte, _ uint16, _ uint8) proto.Confidence { return detect(first) },
			New:    func(*proto.ConnInfo, proto.Sink) proto.Analyzer { return nopAnalyzer{name} },
		}
	}
	web := factory("web", []uint16{80}, func(b []byte) proto.Confidence {
		if bytes.HasPrefix(b, []byte("GET ")) {
			return proto.Sure
		}
		return proto.No // "cannot start a request"
	})
	chat := factory("chat", []uint16{6667}, func(b []byte) proto.Confidence {
		if bytes.HasPrefix(b, []byte("NICK ")) {
			return proto.Likely
		}
		return proto.No
	})
	guess := factory("guess", nil, func([]byte) proto.Confidence { return proto.Maybe })
	a := &appLayer{factories: []*proto.Factory{chat, guess, web}}
	for _, tc := range []struct {
		port    uint16
		payload string
		want    string
	}{
		{80, "GET / HTTP/1.1\r\n", "web"},
		{80, "\xc3\x83 / HTTP/1.\n", "web"}, // port registration, bytes ruled out
		{80, "NICK bob\r\n", "chat"},        // recognised content beats the port
		{6667, "\x00\x01", "chat"},
		{9999, "\x00\x01", "guess"},
		{9999, "GET / HTTP/1.1\r\n", "web"},
	} {
		ac := &appConn{info: proto.ConnInfo{RespP: tc.port, Transport: 6}}
		a.detect(ac, [2][]byte{[]byte(tc.payload), nil}, true)
		got := ""
		if ac.an != nil {
			got = ac.an.Service()
		}
		if got != tc.want {
			t.Errorf("port %d %q: analyzer %q, want %q", tc.port, tc.payload, got, tc.want)
		}
	}
}

// recSink keeps the records written.
type recSink struct{ lines []string }

func (s *recSink) Record(log string, line []byte) { s.lines = append(s.lines, log+" "+string(line)) }

// lineAnalyzer is a test analyzer: it writes each side's whole stream as
// one record at End.
type lineAnalyzer struct {
	out  proto.Sink
	data [2][]byte
	gaps int
}

func (l *lineAnalyzer) Data(dir proto.Direction, _ int64, b []byte) {
	l.data[dir] = append(l.data[dir], b...)
}
func (l *lineAnalyzer) Gap(_ proto.Direction, n int) { l.gaps += n }
func (l *lineAnalyzer) End(int64) {
	l.out.Record("line", fmt.Appendf(nil, "%q %q gaps=%d", l.data[0], l.data[1], l.gaps))
}
func (l *lineAnalyzer) Service() string { return "line" }

// TestDetectAcrossSegments checks detection on a TCP stream whose first
// segments say nothing yet (tcp-http-with-padding.pcap sends its request
// a byte at a time, to a port no analyzer is registered for): the
// connection stays undecided, detection runs again on what each side sent
// so far, and the analyzer chosen gets every byte from the first, both
// sides in order. A stream that never fits is given up after detectBytes,
// and one that ends undecided gets the best guess.
func TestDetectAcrossSegments(t *testing.T) {
	line := &proto.Factory{
		Name: "line", Transports: []uint8{6},
		Detect: func(_ proto.Direction, first []byte, _ uint16, _ uint8) proto.Confidence {
			if bytes.HasPrefix(first, []byte("HELLO ")) {
				return proto.Likely
			}
			return proto.No
		},
		New: func(_ *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &lineAnalyzer{out: out} },
	}
	cli := netip.MustParseAddr("10.0.0.1")
	srv := netip.MustParseAddr("10.0.0.2")
	type seg struct {
		orig bool
		data string
	}
	run := func(segs []seg, factories ...*proto.Factory) []string {
		sink := &recSink{}
		// Segments of no flow table: analysed as if picked up mid-stream.
		a := &appLayer{factories: factories, sink: sink, anyPartial: true, midstream: true}
		var h uint32
		seq := [2]uint32{1000, 5000}
		for i, s := range segs {
			d := &decode.Datagram{Proto: decode.ProtoTCP, Src: cli, Dst: srv, SrcPort: 40000, DstPort: 7777, TCPFlags: decode.TCPAck}
			side := 0
			if !s.orig {
				d.Src, d.Dst, d.SrcPort, d.DstPort = srv, cli, 7777, 40000
				side = 1
			}
			d.Seq = seq[side]
			seq[side] += uint32(len(s.data))
			in := &flow.Input{TS: int64(i), D: d, Payload: []byte(s.data), FromOrig: s.orig, App: &h}
			a.packet(flow.UID(1), in)
		}
		if h != 0 {
			a.EndConn(flow.UID(1), h, int64(len(segs)))
		}
		return sink.lines
	}
	got := run([]seg{{true, "H"}, {true, "E"}, {false, "?"}, {true, "LLO there\n"}, {false, "hi\n"}}, line)
	if want := `line "HELLO there\n" "?hi\n" gaps=0`; len(got) != 1 || got[0] != want {
		t.Errorf("byte-wise stream: records %q, want [%q]", got, want)
	}
	long := strings.Repeat("x", detectBytes)
	if got := run([]seg{{true, long}, {true, "HELLO "}}, line); len(got) != 0 {
		t.Errorf("stream that never fits in detectBytes: records %q, want none", got)
	}
	guess := &proto.Factory{
		Name: "guess", Transports: []uint8{6},
		Detect: func(proto.Direction, []byte, uint16, uint8) proto.Confidence { return proto.Maybe },
		New:    func(_ *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &lineAnalyzer{out: out} },
	}
	if got := run([]seg{{true, "ab"}, {false, "c"}}, line, guess); len(got) != 1 || got[0] != `line "ab" "c" gaps=0` {
		t.Errorf("undecided at the end: records %q, want the best guess with every byte", got)
	}
}

// upAnalyzer is a test analyzer that hands the connection over (as SMTP
// does after STARTTLS) once the responder sends "GO\n": it keeps what it
// parsed, reports the bytes of that Data call it consumed, and then
// parses nothing more (Finished, like SMTP and FTP).
type upAnalyzer struct {
	out          proto.Sink
	next         string
	data         [2][]byte
	fired, asked bool
	used         int
}

func (u *upAnalyzer) Data(dir proto.Direction, _ int64, b []byte) {
	if u.fired {
		return
	}
	if i := bytes.Index(b, []byte("GO\n")); dir == proto.FromResp && i >= 0 {
		u.fired, u.used = true, i+3
		b = b[:i+3]
	}
	u.data[dir] = append(u.data[dir], b...)
}
func (u *upAnalyzer) Gap(proto.Direction, int) {}
func (u *upAnalyzer) End(int64) {
	u.out.Record("up", fmt.Appendf(nil, "%q %q", u.data[0], u.data[1]))
}
func (u *upAnalyzer) Service() string { return "up" }
func (u *upAnalyzer) Finished() bool  { return u.fired }
func (u *upAnalyzer) Upgrade() (string, int, bool) {
	if !u.fired || u.asked {
		return "", 0, false
	}
	u.asked = true
	return u.next, u.used, true
}

// TestUpgradeHandsOver checks proto.Upgrader: after the hand-over the
// named analyzer gets the rest of the Data call that asked for it and
// every later byte of both sides (stream reassembly goes on although the
// first analyzer says it is finished), the first still writes its record
// at End, and the service lists both in the order they took over (Zeek's
// "smtp,ssl"). A hand-over asked during the replay of an undecided
// connection's bytes works the same; one to an unregistered analyzer does
// not happen.
func TestUpgradeHandsOver(t *testing.T) {
	up := &proto.Factory{
		Name: "up", Transports: []uint8{6},
		Detect: func(_ proto.Direction, first []byte, _ uint16, _ uint8) proto.Confidence {
			if bytes.HasPrefix(first, []byte("CMD ")) {
				return proto.Likely
			}
			return proto.No
		},
		New: func(_ *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &upAnalyzer{out: out, next: "line"} },
	}
	line := &proto.Factory{
		Name: "line", Transports: []uint8{6},
		Detect: func(proto.Direction, []byte, uint16, uint8) proto.Confidence { return proto.No },
		New:    func(_ *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &lineAnalyzer{out: out} },
	}
	check := func(name string, segs []seg, wantSvc string, want []string, factories ...*proto.Factory) {
		t.Helper()
		checkSegments(t, name, segs, wantSvc, want, factories...)
	}
	check("decided", []seg{{true, "CMD UP\n"}, {false, "GO\nAB"}, {true, "xy"}, {false, "CD"}}, "up,line",
		[]string{`up "CMD UP\n" "GO\n"`, `line "xy" "ABCD" gaps=0`}, up, line)
	check("during replay", []seg{{true, "C"}, {false, "GO\nAB"}, {true, "MD UP\n"}, {false, "CD"}}, "up,line",
		[]string{`up "C" "GO\n"`, `line "MD UP\n" "ABCD" gaps=0`}, up, line)
	check("nothing left", []seg{{true, "CMD UP\n"}, {false, "GO\n"}, {true, "xy"}}, "up,line",
		[]string{`up "CMD UP\n" "GO\n"`, `line "xy" "" gaps=0`}, up, line)
	check("unregistered", []seg{{true, "CMD UP\n"}, {false, "GO\nAB"}, {true, "xy"}}, "up",
		[]string{`up "CMD UP\n" "GO\n"`}, up)
}

func TestAddService(t *testing.T) {
	for _, tc := range [][3]string{
		{"", "ssl", "ssl"}, {"smtp", "", "smtp"}, {"smtp", "ssl", "smtp,ssl"},
		{"smtp,ssl", "ssl", "smtp,ssl"}, {"smtp,ssl", "smtp", "smtp,ssl"}, {"ftp,ssl", "ss", "ftp,ssl,ss"},
	} {
		if got := addService(tc[0], tc[1]); got != tc[2] {
			t.Errorf("addService(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

// TestUpgradeRedetects checks proto.Upgrader's next "" (HTTP after a
// CONNECT answered by 200): the connection goes back to undecided after
// the consumed bytes, the protocol inside is detected by content (not by
// the port registration, which would pick the first analyzer again), the
// first analyzer still writes its record at End, and the service lists
// both in order ("http,ssl"). Asked during the replay of an undecided
// connection's bytes, the bytes not yet replayed are kept for detection.
func TestUpgradeRedetects(t *testing.T) {
	upOn := func(ports ...uint16) *proto.Factory {
		return &proto.Factory{
			Name: "up", Transports: []uint8{6}, Ports: ports,
			Detect: func(_ proto.Direction, first []byte, _ uint16, _ uint8) proto.Confidence {
				if bytes.HasPrefix(first, []byte("CMD ")) {
					return proto.Likely
				}
				return proto.No
			},
			New: func(_ *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &upAnalyzer{out: out} },
		}
	}
	line := &proto.Factory{
		Name: "line", Transports: []uint8{6},
		Detect: func(_ proto.Direction, first []byte, _ uint16, _ uint8) proto.Confidence {
			if bytes.HasPrefix(first, []byte("HELLO ")) {
				return proto.Likely
			}
			return proto.No
		},
		New: func(_ *proto.ConnInfo, out proto.Sink) proto.Analyzer { return &lineAnalyzer{out: out} },
	}
	check := func(name string, segs []seg, wantSvc string, want []string, factories ...*proto.Factory) {
		t.Helper()
		checkSegments(t, name, segs, wantSvc, want, factories...)
	}
	// The inner protocol's first bytes come in pieces: still undecided
	// after "HEL", decided once "HELLO " is there.
	check("decided", []seg{{true, "CMD UP\n"}, {false, "GO\nHEL"}, {true, "x"}, {false, "LO there\n"}}, "up,line",
		[]string{`up "CMD UP\n" "GO\n"`, `line "x" "HELLO there\n" gaps=0`}, upOn(7777), line)
	check("no port fallback", []seg{{true, "CMD UP\n"}, {false, "GO\nzz"}, {true, "yy"}}, "up",
		[]string{`up "CMD UP\n" "GO\n"`}, upOn(7777), line)
	check("during replay", []seg{{true, "C"}, {false, "GO\nHEL"}, {true, "MD UP\n"}, {false, "LO x\n"}}, "up,line",
		[]string{`up "C" "GO\n"`, `line "MD UP\n" "HELLO x\n" gaps=0`}, upOn(), line)
	check("nothing inside", []seg{{true, "CMD UP\n"}, {false, "GO\n"}}, "up",
		[]string{`up "CMD UP\n" "GO\n"`}, upOn(7777), line)
}

// seg is one TCP payload of a test connection, from the originator or not.
type seg struct {
	orig bool
	data string
}

// runSegments feeds segs, in order and in sequence on each side, to an
// application layer with factories, ends the connection, and returns the
// records written and conn.log's service.
func runSegments(segs []seg, factories ...*proto.Factory) (recs []string, svc string) {
	cli := netip.MustParseAddr("10.0.0.1")
	srv := netip.MustParseAddr("10.0.0.2")
	sink := &recSink{}
	// Segments of no flow table: analysed as if picked up mid-stream.
	a := &appLayer{factories: factories, sink: sink, anyPartial: true, midstream: true}
	var h uint32
	seq := [2]uint32{1000, 5000}
	for i, s := range segs {
		d := &decode.Datagram{Proto: decode.ProtoTCP, Src: cli, Dst: srv, SrcPort: 40000, DstPort: 7777, TCPFlags: decode.TCPAck}
		side := 0
		if !s.orig {
			d.Src, d.Dst, d.SrcPort, d.DstPort = srv, cli, 7777, 40000
			side = 1
		}
		d.Seq = seq[side]
		seq[side] += uint32(len(s.data))
		in := &flow.Input{TS: int64(i), D: d, Payload: []byte(s.data), FromOrig: s.orig, App: &h}
		a.packet(flow.UID(1), in)
	}
	if h != 0 {
		svc = a.EndConn(flow.UID(1), h, int64(len(segs)))
	}
	return sink.lines, svc
}

// checkSegments runs segs (runSegments) and compares the records and the
// service with the expected ones.
func checkSegments(t *testing.T, name string, segs []seg, wantSvc string, want []string, factories ...*proto.Factory) {
	t.Helper()
	got, svc := runSegments(segs, factories...)
	if svc != wantSvc || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: service %q records %q; want %q %q", name, svc, got, wantSvc, want)
	}
}
