package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// h2step is one delivery to the analyzer in the HTTP/2 tests.
type h2step struct {
	dir  proto.Direction
	data []byte
	gap  int
}

type h2Sink struct{ recs []map[string]any }

func (s *h2Sink) Record(log string, line []byte) {
	if log == "weird" {
		return // weird.go's, checked by TestWeirds
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		panic(fmt.Sprintf("bad JSON %q: %v", line, err))
	}
	s.recs = append(s.recs, m)
}

// h2run feeds steps; cut > 0 splits each step in pieces of cut bytes,
// cut < 0 in two at -cut.
func h2run(steps []h2step, cut int) []map[string]any {
	out := &h2Sink{}
	a := New(&proto.ConnInfo{UID: "CH2"}, out)
	ts := int64(1e9)
	for _, s := range steps {
		ts += 1000
		if s.gap > 0 {
			a.Gap(s.dir, s.gap)
			continue
		}
		d := s.data
		switch {
		case cut > 0:
			for len(d) > 0 {
				n := min(cut, len(d))
				a.Data(s.dir, ts, d[:n])
				d = d[n:]
			}
		case cut < 0:
			c := min(-cut, len(d))
			a.Data(s.dir, ts, d[:c])
			a.Data(s.dir, ts, d[c:])
		default:
			a.Data(s.dir, ts, d)
		}
	}
	a.End(ts + 1000)
	return out.recs
}

// h2conv builds one side's frames; each side has its own HPACK encoder.
type h2conv struct {
	enc [2]*hpack.Encoder
	buf [2]*bytes.Buffer
}

func newConv() *h2conv {
	c := &h2conv{}
	for i := range c.enc {
		c.buf[i] = &bytes.Buffer{}
		c.enc[i] = hpack.NewEncoder(c.buf[i])
	}
	return c
}

// block HPACK-encodes name/value pairs as dir.
func (c *h2conv) block(dir proto.Direction, kv ...string) []byte {
	c.buf[dir].Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		c.enc[dir].WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return append([]byte(nil), c.buf[dir].Bytes()...)
}

func frame(typ, flags byte, sid uint32, p []byte) []byte {
	n := len(p)
	b := []byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags, byte(sid >> 24), byte(sid >> 16), byte(sid >> 8), byte(sid)}
	return append(b, p...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var settings0 = frame(h2Settings, 0, 0, []byte{0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 0xff, 0xff})

const html = "<!DOCTYPE html><html><head><title>x</title></head><body>hello</body></html>"

func priorKnowledge() []h2step {
	c := newConv()
	req := c.block(0, ":method", "GET", ":scheme", "http", ":authority", "example.com:8080", ":path", "/a%20b?q=1",
		"user-agent", "nghttp2/1.0", "referer", "http://r/")
	resp := c.block(1, ":status", "200", "content-type", "text/html")
	return []h2step{
		{dir: 0, data: cat([]byte(h2Preface), settings0, frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 1, req))},
		{dir: 1, data: cat(settings0, frame(h2Settings, h2FlagAck, 0, nil), frame(h2Headers, h2FlagEndHeaders, 1, resp))},
		{dir: 1, data: cat(frame(h2Data, 0, 1, []byte(html[:20])), frame(0x8, 0, 0, []byte{0, 0, 1, 0}), frame(h2Data, h2FlagEndStream, 1, []byte(html[20:])))},
		{dir: 0, data: frame(7, 0, 0, []byte{0, 0, 0, 1, 0, 0, 0, 0})}, // GOAWAY
	}
}

func upgrade() []h2step {
	c := newConv()
	resp1 := c.block(1, ":status", "200", "content-type", "text/plain")
	req3 := c.block(0, ":method", "GET", ":scheme", "http", ":authority", "nghttp2.org", ":path", "/humans.txt")
	resp3 := c.block(1, ":status", "404")
	return []h2step{
		{dir: 0, data: []byte("GET /robots.txt HTTP/1.1\r\nHost: nghttp2.org\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
			"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nUser-Agent: curl/7\r\n\r\n")},
		{dir: 1, data: cat([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
			settings0, frame(h2Headers, h2FlagEndHeaders, 1, resp1), frame(h2Data, h2FlagEndStream, 1, []byte("User-agent: *\nDisallow: /\n")))},
		{dir: 0, data: cat([]byte(h2Preface), settings0, frame(h2Settings, h2FlagAck, 0, nil),
			frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 3, req3))},
		{dir: 1, data: frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 3, resp3)},
	}
}

// concurrent: three streams interleaved, answered out of order, one
// request with a body, a CONTINUATION, padding and priority.
func concurrent() []h2step {
	c := newConv()
	r1 := c.block(0, ":method", "GET", ":scheme", "http", ":authority", "h", ":path", "/1")
	r3 := c.block(0, ":method", "POST", ":scheme", "http", ":authority", "h", ":path", "/3",
		"content-type", "application/json", "x-long", strings.Repeat("v", 300))
	r5 := c.block(0, ":method", "GET", ":scheme", "http", "host", "hosthdr", ":path", "/5", "origin", "http://o")
	s5 := c.block(1, ":status", "204")
	s1 := c.block(1, ":status", "200")
	s3a := c.block(1, ":status", "100")
	s3 := c.block(1, ":status", "201", "content-disposition", `attachment; filename="f.json"`)
	tr := c.block(1, "grpc-status", "0", ":status", "500")
	padded := func(pad int, p []byte) []byte {
		return cat([]byte{byte(pad)}, p, make([]byte, pad))
	}
	prio := []byte{0x80, 0, 0, 1, 15}
	return []h2step{
		{dir: 0, data: cat([]byte(h2Preface), settings0,
			frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream|h2FlagPadded|h2FlagPriority, 1, padded(7, cat(prio, r1))),
			frame(h2Headers, 0, 3, r3[:10]), frame(h2Continuation, 0, 3, r3[10:200]), frame(h2Continuation, h2FlagEndHeaders, 3, r3[200:]),
			frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 5, r5),
			frame(h2Data, h2FlagPadded, 3, padded(3, []byte(`{"a":`))))},
		{dir: 1, data: cat(settings0, frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 5, s5),
			frame(h2Headers, h2FlagEndHeaders, 3, s3a), frame(h2Headers, h2FlagEndHeaders, 1, s1),
			frame(h2Data, 0, 1, []byte("%PDF-1.4 ")))},
		{dir: 0, data: frame(h2Data, h2FlagEndStream, 3, []byte(`1}`))},
		{dir: 1, data: cat(frame(h2Headers, h2FlagEndHeaders, 3, s3), frame(h2Data, 0, 3, []byte(`{"ok":true}`)),
			frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 3, tr), // trailers
			frame(h2Data, h2FlagEndStream|h2FlagPadded, 1, padded(0, []byte("rest"))))},
	}
}

func rst() []h2step {
	c := newConv()
	r1 := c.block(0, ":method", "GET", ":authority", "h", ":path", "/x")
	r3 := c.block(0, ":method", "GET", ":authority", "h", ":path", "/y")
	s3 := c.block(1, ":status", "200")
	return []h2step{
		{dir: 0, data: cat([]byte(h2Preface), frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 1, r1),
			frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 3, r3))},
		{dir: 1, data: cat(frame(h2RSTStream, 0, 1, []byte{0, 0, 0, 8}), frame(h2Headers, h2FlagEndHeaders, 3, s3),
			frame(h2Data, 0, 3, []byte("abc")), frame(h2Data, 0, 1, []byte("ignored")))},
		// stream 3 never ends: logged at End
	}
}

type h2want struct {
	method, host, uri, version string
	status                     float64 // 0: absent
	reqLen, respLen            float64
	respMime                   string
	depth                      float64
}

func checkRecs(t *testing.T, recs []map[string]any, want []h2want) {
	t.Helper()
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %v", len(recs), len(want), recs)
	}
	for i, w := range want {
		r := recs[i]
		get := func(k string) string { s, _ := r[k].(string); return s }
		st, _ := r["status_code"].(float64)
		mimes, _ := r["resp_mime_types"].([]any)
		mime := ""
		if len(mimes) > 0 {
			mime, _ = mimes[0].(string)
		}
		got := h2want{get("method"), get("host"), get("uri"), get("version"), st,
			r["request_body_len"].(float64), r["response_body_len"].(float64), mime, r["trans_depth"].(float64)}
		if got != w {
			t.Errorf("record %d: got %+v\nwant %+v\n(%v)", i, got, w, r)
		}
	}
}

func TestH2(t *testing.T) {
	cases := []struct {
		name  string
		steps func() []h2step
		want  []h2want
		check func(t *testing.T, recs []map[string]any)
	}{
		{"prior knowledge", priorKnowledge, []h2want{
			{"GET", "example.com:8080", "/a b?q=1", "2", 200, 0, float64(len(html)), "text/html", 1},
		}, func(t *testing.T, recs []map[string]any) {
			r := recs[0]
			if r["user_agent"] != "nghttp2/1.0" || r["referrer"] != "http://r/" || r["status_msg"] != "" || r["uid"] != "CH2" {
				t.Errorf("fields: %v", r)
			}
		}},
		{"upgrade", upgrade, []h2want{
			{"GET", "nghttp2.org", "/robots.txt", "2", 200, 0, 26, "text/plain", 2},
			{"GET", "nghttp2.org", "/humans.txt", "2", 404, 0, 0, "", 3},
			{"GET", "nghttp2.org", "/robots.txt", "1.1", 101, 0, 0, "", 1},
		}, func(t *testing.T, recs []map[string]any) {
			if recs[0]["user_agent"] != "curl/7" {
				t.Errorf("stream 1 lost the upgrade request's fields: %v", recs[0])
			}
		}},
		{"concurrent", concurrent, []h2want{
			{"GET", "hosthdr", "/5", "2", 204, 0, 0, "", 3},
			{"POST", "h", "/3", "2", 201, 7, 11, "text/json", 2},
			{"GET", "h", "/1", "2", 200, 0, 13, "application/pdf", 1},
		}, func(t *testing.T, recs []map[string]any) {
			if recs[1]["info_code"] != 100.0 || recs[0]["origin"] != "http://o" {
				t.Errorf("info_code/origin: %v", recs)
			}
			if f, _ := recs[1]["resp_filenames"].([]any); len(f) != 1 || f[0] != "f.json" {
				t.Errorf("resp_filenames: %v", recs[1])
			}
			if m, _ := recs[1]["orig_mime_types"].([]any); len(m) != 1 || m[0] != "text/json" {
				t.Errorf("orig_mime_types: %v", recs[1])
			}
		}},
		{"server speaks first", func() []h2step {
			return append([]h2step{{dir: 1, data: settings0}}, priorKnowledge()...)
		}, []h2want{
			{"GET", "example.com:8080", "/a b?q=1", "2", 200, 0, float64(len(html)), "text/html", 1},
		}, nil},
		{"rst", rst, []h2want{
			{"GET", "h", "/x", "2", 0, 0, 0, "", 1},
			{"GET", "h", "/y", "2", 200, 0, 3, "", 2},
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps := c.steps()
			recs := h2run(steps, 0)
			checkRecs(t, recs, c.want)
			if c.check != nil && len(recs) == len(c.want) {
				c.check(t, recs)
			}
			// Any split gives the same records.
			base := fmt.Sprint(recs)
			longest := 0
			for _, s := range steps {
				longest = max(longest, len(s.data))
			}
			for cut := 1; cut < longest; cut++ {
				if got := fmt.Sprint(h2run(steps, -cut)); got != base {
					t.Fatalf("split at %d: %s\nwant %s", cut, got, base)
				}
			}
			for _, n := range []int{1, 2, 3, 7, 9, 10, 64} {
				if got := fmt.Sprint(h2run(steps, n)); got != base {
					t.Fatalf("pieces of %d: %s\nwant %s", n, got, base)
				}
			}
		})
	}
}

func TestH2Detect(t *testing.T) {
	if c := Detect(proto.FromOrig, []byte(h2Preface+"\x00\x00"), 12345, 6); c != proto.Sure {
		t.Errorf("preface: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte("PRI * HTTP/2"), 12345, 6); c != proto.Likely {
		t.Errorf("part of the preface: %v", c)
	}
	if c := Detect(proto.FromOrig, []byte("PRI * HTTP/2.0\r\n\r\nXX"), 12345, 6); c == proto.Sure {
		t.Errorf("a wrong preface is Sure")
	}
	if c := Detect(proto.FromOrig, []byte("GET / HTTP/1.1\r\n"), 12345, 6); c != proto.Sure {
		t.Errorf("HTTP/1: %v", c)
	}
}

// TestH2Malformed: bad input never panics, stops parsing where it should
// and still logs what was seen.
func TestH2Malformed(t *testing.T) {
	c := newConv()
	req := c.block(0, ":method", "GET", ":authority", "h", ":path", "/m")
	pre := cat([]byte(h2Preface), frame(h2Headers, h2FlagEndHeaders|h2FlagEndStream, 1, req))
	cases := []struct {
		name  string
		steps []h2step
		n     int // records
		check func(a *Analyzer) bool
	}{
		{"frame too long", []h2step{{dir: 0, data: pre}, {dir: 1, data: cat([]byte{0, 0x40, 1, 0, 0, 0, 0, 0, 1}, make([]byte, 100))}}, 1,
			func(a *Analyzer) bool { return a.h2.c.sides[1].dead }},
		{"max frame size raised", []h2step{{dir: 0, data: cat(pre, frame(h2Settings, 0, 0, []byte{0, 5, 0, 0, 0x80, 0}))},
			{dir: 1, data: cat(frame(h2Headers, h2FlagEndHeaders, 1, newConv().block(1, ":status", "200")), frame(h2Data, 0, 1, make([]byte, 30000)))}}, 1,
			func(a *Analyzer) bool { return !a.h2.c.sides[1].dead }},
		{"bad hpack", []h2step{{dir: 0, data: pre}, {dir: 1, data: frame(h2Headers, h2FlagEndHeaders, 1, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
			{dir: 0, data: frame(h2Headers, h2FlagEndHeaders, 3, req)}}, 1,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead && a.h2.c.sides[1].dead }},
		{"hpack index out of range", []h2step{{dir: 0, data: cat([]byte(h2Preface), frame(h2Headers, h2FlagEndHeaders, 1, []byte{0xbf}))}}, 1,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead }},
		{"missing continuation", []h2step{{dir: 0, data: cat([]byte(h2Preface), frame(h2Headers, 0, 1, req[:2]), frame(h2Data, 0, 1, []byte("x")))}}, 1,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead }},
		{"bad padding", []h2step{{dir: 0, data: cat(pre, frame(h2Data, h2FlagPadded, 1, []byte{9, 1, 2}))}}, 1,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead }},
		{"priority too short", []h2step{{dir: 0, data: cat([]byte(h2Preface), frame(h2Headers, h2FlagPriority, 1, []byte{1, 2}))}}, 0,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead }},
		{"headers on stream 0", []h2step{{dir: 0, data: cat([]byte(h2Preface), frame(h2Headers, h2FlagEndHeaders, 0, req))}}, 0,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead }},
		{"gap", []h2step{{dir: 0, data: pre}, {dir: 1, gap: 100}, {dir: 1, data: frame(h2Headers, h2FlagEndHeaders, 1, newConv().block(1, ":status", "200"))}}, 1,
			func(a *Analyzer) bool { return a.h2.c.sides[1].dead }},
		{"not a preface", []h2step{{dir: 0, data: []byte("PRI * HTTP/1.1\r\nHost: x\r\n\r\n")}}, 1,
			func(a *Analyzer) bool { return a.h2.c == nil }},
		{"preface then garbage", []h2step{{dir: 0, data: cat([]byte(h2Preface), []byte("GET / HTTP/1.1\r\n\r\n"))}}, 0,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead }},
		{"huge header value", []h2step{{dir: 0, data: cat([]byte(h2Preface), frame(h2Headers, 0, 1, []byte{0x00, 0x01, 'a', 0x7f, 0xff, 0xff, 0x7f}))},
			{dir: 0, data: bytes.Repeat(frame(h2Continuation, 0, 1, make([]byte, 16000)), 20)}}, 1,
			func(a *Analyzer) bool { return a.h2.c.sides[0].dead }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := &h2Sink{}
			a := New(&proto.ConnInfo{UID: "CH2"}, out)
			for i, s := range c.steps {
				if s.gap > 0 {
					a.Gap(s.dir, s.gap)
				} else {
					a.Data(s.dir, int64(i), s.data)
				}
			}
			if !c.check(a) {
				t.Errorf("state check failed")
			}
			a.End(100)
			if len(out.recs) != c.n {
				t.Errorf("%d records, want %d: %v", len(out.recs), c.n, out.recs)
			}
		})
	}
}

// TestH2StreamBound: streams past H2MaxStreams push the oldest out.
func TestH2StreamBound(t *testing.T) {
	c := newConv()
	b := []byte(h2Preface)
	for i := 0; i < 3*H2MaxStreams; i++ {
		b = append(b, frame(h2Headers, h2FlagEndHeaders, uint32(2*i+1), c.block(0, ":method", "GET", ":path", fmt.Sprint("/", i)))...)
	}
	out := &h2Sink{}
	a := New(&proto.ConnInfo{UID: "CH2"}, out)
	a.Data(0, 1, b)
	if n := len(a.h2.c.streams); n != H2MaxStreams {
		t.Errorf("%d streams tracked", n)
	}
	if len(out.recs) != 2*H2MaxStreams {
		t.Errorf("%d records before End", len(out.recs))
	}
	a.End(2)
	if len(out.recs) != 3*H2MaxStreams || out.recs[0]["uri"] != "/0" || out.recs[len(out.recs)-1]["uri"] != fmt.Sprint("/", 3*H2MaxStreams-1) {
		t.Errorf("%d records", len(out.recs))
	}
}

// h2FuzzPieces encodes steps in FuzzH2Frames's input format (see there),
// the originator's preface left out.
func h2FuzzPieces(steps []h2step) []byte {
	var in []byte
	for i, s := range steps {
		if s.gap > 0 {
			in = append(in, byte(s.dir)<<7|64|byte(min(s.gap, 63)))
			continue
		}
		d := s.data
		if i == 0 {
			d = bytes.TrimPrefix(d, []byte(h2Preface))
		}
		for len(d) > 0 {
			n := min(len(d), 63)
			in = append(in, byte(s.dir)<<7|byte(n))
			in = append(in, d[:n]...)
			d = d[n:]
		}
	}
	return in
}

// FuzzH2Frames fuzzes the HTTP/2 frame parser: the originator's preface
// is sent first, then the input as pieces, each a control byte (bit 7:
// responder, bit 6: a gap of the low bits' size instead of data, low 6
// bits: piece length) and the piece.
func FuzzH2Frames(f *testing.F) {
	for _, s := range [][]h2step{priorKnowledge(), concurrent(), rst()} {
		f.Add(h2FuzzPieces(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := New(&proto.ConnInfo{UID: "F"}, jsonCheck{t})
		a.Data(proto.FromOrig, 0, []byte(h2Preface))
		ts := replayPieces(a, in, 1, func() {
			if h := a.h2.c; h != nil {
				if len(h.streams) > H2MaxStreams {
					t.Fatalf("%d streams", len(h.streams))
				}
				for d := range h.sides {
					if len(h.sides[d].payload) > H2MaxFrame {
						t.Fatalf("frame buffer %d", len(h.sides[d].payload))
					}
				}
			}
		})
		a.End(ts + 1)
	})
}
