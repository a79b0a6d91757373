package http

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// sinkRecs keeps the http.log records, and the login facts (AuthLog)
// apart; order has both, each after its log's name and a space.
type sinkRecs struct{ lines, auth, weirds, ws, order []string }

func (s *sinkRecs) Record(log string, line []byte) {
	switch log {
	case "http":
		s.lines = append(s.lines, string(line))
	case AuthLog:
		s.auth = append(s.auth, string(line))
	case "weird":
		s.weirds = append(s.weirds, string(line))
		return
	case WebSocketLog:
		s.ws = append(s.ws, string(line))
		return
	default:
		panic("log " + log)
	}
	s.order = append(s.order, log+" "+string(line))
}

type step struct {
	dir  proto.Direction
	data string
	gap  int
}

// deliver hands d to a in a buffer of its own, then overwrites that
// buffer: what the analyzer kept of it must have been copied.
func deliver(a *Analyzer, dir proto.Direction, ts int64, d []byte) {
	buf := append([]byte(nil), d...)
	a.Data(dir, ts, buf)
	for i := range buf {
		buf[i] = '#'
	}
}

func run(steps []step, split int) []string {
	out := &sinkRecs{}
	a := New(&proto.ConnInfo{UID: "CTest"}, out)
	ts := int64(1e9)
	for _, s := range steps {
		ts += 1000
		if s.gap > 0 {
			a.Gap(s.dir, s.gap)
			continue
		}
		d := []byte(s.data)
		if split <= 0 {
			deliver(a, s.dir, ts, d)
			continue
		}
		for len(d) > 0 {
			n := min(split, len(d))
			deliver(a, s.dir, ts, d[:n])
			d = d[n:]
		}
	}
	a.End(ts + 1000)
	return out.lines
}

// runSplitAt feeds each step cut in two at cut.
func runSplitAt(steps []step, cut int) []string {
	out := &sinkRecs{}
	a := New(&proto.ConnInfo{UID: "CTest"}, out)
	ts := int64(1e9)
	for _, s := range steps {
		ts += 1000
		if s.gap > 0 {
			a.Gap(s.dir, s.gap)
			continue
		}
		d := []byte(s.data)
		c := min(cut, len(d))
		deliver(a, s.dir, ts, d[:c])
		deliver(a, s.dir, ts, d[c:])
	}
	a.End(ts + 1000)
	return out.lines
}

func field(t *testing.T, line, f string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("bad JSON %q: %v", line, err)
	}
	return m[f]
}

type want map[string]any

func check(t *testing.T, name string, recs []string, w []want) {
	t.Helper()
	if len(recs) != len(w) {
		t.Fatalf("%s: %d records, want %d:\n%s", name, len(recs), len(w), strings.Join(recs, "\n"))
	}
	for i, ww := range w {
		for k, v := range ww {
			got := field(t, recs[i], k)
			if b, _ := json.Marshal(got); string(b) != mustJSON(v) {
				t.Errorf("%s: record %d field %s = %s, want %s\n%s", name, i, k, b, mustJSON(v), recs[i])
			}
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const (
	req1  = "GET /a%20b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: ua/1\r\nReferer: http://r/\r\nAuthorization: Basic dXNlcjpwYXNz\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"
	resp1 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<html><body>hi</body"
)

var cases = []struct {
	name  string
	steps []step
	want  []want
}{
	{"simple", []step{{dir: 0, data: req1}, {dir: 1, data: resp1}}, []want{{
		"method": "GET", "host": "example.com:8080", "uri": "/a b?x=1", "referrer": "http://r/", "version": "1.1",
		"user_agent": "ua/1", "request_body_len": 0, "response_body_len": 20, "status_code": 200, "status_msg": "OK",
		"trans_depth": 1, "username": "user", "password": nil, "proxied": []string{"X-FORWARDED-FOR -> 1.2.3.4"},
		"resp_mime_types": []string{"text/html"}, "tags": []string{},
	}}},
	{"chunked", []step{
		{dir: 0, data: "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"},
		{dir: 1, data: "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	}, []want{{"request_body_len": 11, "response_body_len": 3, "status_code": 201, "orig_mime_types": []string{"text/plain"}}}},
	{"pipelining", []step{
		{dir: 0, data: "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"},
	}, []want{
		{"uri": "/1", "trans_depth": 1, "response_body_len": 2},
		{"uri": "/2", "trans_depth": 2, "response_body_len": 0, "method": "HEAD"},
		{"uri": "/3", "trans_depth": 3, "response_body_len": 0, "status_code": 304},
	}},
	{"missing response", []step{{dir: 0, data: "GET /x HTTP/1.1\r\nHost: h\r\n\r\nGET /y HTTP/1.1\r\n\r\n"}},
		[]want{{"uri": "/x", "status_code": nil, "version": nil}, {"uri": "/y", "trans_depth": 2}}},
	{"100 continue", []step{
		{dir: 0, data: "POST /p HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"},
		{dir: 1, data: "HTTP/1.1 100 Continue\r\n\r\n"},
		{dir: 0, data: "data"},
		{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
	}, []want{{"info_code": 100, "info_msg": "Continue", "status_code": 200, "request_body_len": 4}}},
	{"until close", []step{{dir: 0, data: "GET / HTTP/1.0\r\n\r\n"}, {dir: 1, data: "HTTP/1.0 200 OK\r\n\r\n%PDF-1.4 rest"}},
		[]want{{"response_body_len": 13, "resp_mime_types": []string{"application/pdf"}, "version": "1.0"}}},
	{"http09", []step{{dir: 0, data: "GET /old\r\n"}, {dir: 1, data: "<html>x</html>"}},
		// Zeek's quirk: the 0.9 request is still "in its headers" when the
		// reply ends, so its end opens a second, empty transaction.
		[]want{{"uri": "/old", "version": "0.9", "status_code": 0, "status_msg": "<empty>", "response_body_len": 14}, {"trans_depth": 2, "method": nil}}},
	{"malformed request", []step{{dir: 0, data: "\x16\x03\x01 garbage\r\n"}, {dir: 1, data: "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n"}},
		[]want{{"method": nil, "status_code": 400, "trans_depth": 1}}},
	{"gap in body", []step{{dir: 0, data: "GET / HTTP/1.1\r\n\r\n"}, {dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789"}, {dir: 1, gap: 10}, {dir: 1, data: "0123456789HTTP/1.1 204 No\r\n\r\n"}},
		[]want{{"response_body_len": 30}, {"status_code": 204, "trans_depth": 2, "method": nil}}},
	{"gap in headers", []step{{dir: 0, data: "GET / HTTP/1.1\r\n\r\n"}, {dir: 1, data: "HTTP/1.1 200 OK\r\nConte"}, {dir: 1, gap: 10}, {dir: 1, data: "xx\r\n\r\n"}},
		[]want{{"status_code": 200, "response_body_len": 0}}},
	{"connect", []step{{dir: 0, data: "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n\x16\x03\x01\x00"}, {dir: 1, data: "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03junk GET / HTTP/1.1\r\n\r\n"}},
		[]want{{"method": "CONNECT", "uri": "h:443", "status_code": 200, "response_body_len": 0}}},
	{"websocket", []step{{dir: 0, data: "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"}, {dir: 1, data: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"}, {dir: 0, data: "\x81\x85abcdGET / HTTP/1.1\r\n\r\n"}},
		[]want{{"status_code": 101, "info_code": 101}}},
	{"obs fold and lower case", []step{{dir: 0, data: "get / HTTP/1.1\r\nhost: a\r\nuser-agent: x\r\n  y\r\n\r\n"}},
		[]want{{"method": "get", "host": "a", "user_agent": "x  y"}}},
	{"line ends and spaced names", []step{{dir: 0, data: "GET / HTTP/1.1\nHost: a\rUser-Agent: u\r\nReferer \t: r\n\r\n"}},
		[]want{{"host": "a", "user_agent": "u", "referrer": "r"}}},
	{"fold after whole lines", []step{{dir: 0, data: "GET / HTTP/1.1\r\nHost: h\r\nAccept: x\r\nUser-Agent: a\r\n b\r\nReferer: r\r\n\r\n"}},
		[]want{{"host": "h", "user_agent": "a b", "referrer": "r"}}},
	{"fold across deliveries", []step{{dir: 0, data: "GET / HTTP/1.1\r\nUser-Agent: a\r\n"}, {dir: 0, data: " b\r\n\tc\r\nHost: h\r\n"}, {dir: 0, data: "Referer: r\r\n\r\n"}},
		[]want{{"user_agent": "a b\tc", "host": "h", "referrer": "r"}}},
	{"reply before the request's headers end", []step{
		{dir: 0, data: "GET /1 HTTP/1.1\r\nHost: a\r\n"},
		{dir: 1, data: "HTTP/1.1 200 OK\r\nServer: s\r\nContent-Length: 0\r\n\r\n"},
		{dir: 0, data: "User-Agent: u\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n"},
		{dir: 1, data: "HTTP/1.1 404 No\r\nServer: t\r\n"},
		{dir: 0, data: "Referer: r\r\n\r\n"},
		{dir: 1, data: "Content-Length: 0\r\n\r\n"},
	}, []want{
		// A header line counts once the next line shows it is not folded:
		// "Host: a" only after the reply ended the first transaction, so
		// it opens a second one, as do the second reply's headers.
		{"uri": "/1", "host": nil, "server": "s", "trans_depth": 1},
		{"uri": nil, "host": "a", "user_agent": "u", "status_code": 404, "server": "t", "trans_depth": 2},
		{"uri": "/2", "host": "b", "referrer": "r", "server": nil, "status_code": nil, "trans_depth": 3},
	}},
	{"bad chunk size", []step{{dir: 0, data: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\nGET /next HTTP/1.1\r\n\r\n"}},
		[]want{{"uri": "/", "request_body_len": 0}, {"uri": "/next"}}},
	{"server header", []step{{dir: 0, data: "GET / HTTP/1.1\r\nHost: h\r\n\r\n"}, {dir: 1, data: "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n"}},
		[]want{{"host": "h", "status_code": 200, "server": "nginx/1.22.1"}}},
	{"filename", []step{{dir: 0, data: "GET /f HTTP/1.1\r\n\r\n"}, {dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"a b.exe\"\r\nContent-Length: 4\r\n\r\nMZ\x90\x00"}},
		[]want{{"resp_filenames": []string{"a b.exe"}, "resp_mime_types": []string{"application/x-dosexec"}}}},
}

func TestCases(t *testing.T) {
	for _, c := range cases {
		check(t, c.name, run(c.steps, 0), c.want)
	}
}

// TestSplits feeds every case cut at every byte boundary, and byte by
// byte, and expects the same records as in one piece.
func TestSplits(t *testing.T) {
	for _, c := range cases {
		whole := strings.Join(run(c.steps, 0), "\n")
		maxLen := 0
		for _, s := range c.steps {
			maxLen = max(maxLen, len(s.data))
		}
		for cut := 0; cut <= maxLen; cut++ {
			if got := strings.Join(runSplitAt(c.steps, cut), "\n"); got != whole {
				t.Fatalf("%s: cut at %d:\n%s\nwant\n%s", c.name, cut, got, whole)
			}
		}
		if got := strings.Join(run(c.steps, 1), "\n"); got != whole {
			t.Fatalf("%s: byte by byte:\n%s\nwant\n%s", c.name, got, whole)
		}
	}
}

func TestBounds(t *testing.T) {
	// A huge header line is truncated; the header count is bounded; an
	// endless chunk-size line does not grow memory.
	big := "GET /" + strings.Repeat("a", 100<<10) + " HTTP/1.1\r\n"
	for i := 0; i < 500; i++ {
		big += "X-H: 1\r\n"
	}
	big += "Host: late\r\n\r\n"
	out := &sinkRecs{}
	a := New(&proto.ConnInfo{}, out)
	a.Data(0, 1, []byte(big))
	if cap(a.sides[0].line) > 2*MaxLine {
		t.Errorf("line buffer grew to %d", cap(a.sides[0].line))
	}
	if a.TruncatedLines(0) != 1 {
		t.Errorf("truncated lines %d", a.TruncatedLines(0))
	}
	a.Data(0, 2, []byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))
	chunk := []byte(strings.Repeat("f", 4096))
	for i := 0; i < 1000; i++ {
		a.Data(0, 3, chunk)
	}
	if cap(a.sides[0].line) > 2*MaxLine {
		t.Errorf("line buffer grew to %d", cap(a.sides[0].line))
	}
	// Many unanswered requests stay bounded.
	for i := 0; i < 1000; i++ {
		a.Data(0, 4, []byte("\r\n\r\nGET / HTTP/1.1\r\n\r\n"))
	}
	if len(a.pend) > MaxPending+2 {
		t.Errorf("%d pending", len(a.pend))
	}
	a.End(5)
	for _, l := range out.lines {
		if h := field(t, l, "host"); h == "late" {
			t.Errorf("header beyond MaxHeaders was used")
		}
		if u, _ := field(t, l, "uri").(string); len(u) > MaxLine {
			t.Errorf("uri of %d bytes", len(u))
		}
	}
}

func TestGzip(t *testing.T) {
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte("hello hello hello\n"))
	zw.Close()
	gz := zb.String()
	steps := []step{{dir: 0, data: "GET / HTTP/1.1\r\n\r\n"}, {dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + itoa(len(gz)) + "\r\n\r\n" + gz}}
	check(t, "gzip", run(steps, 0), []want{{"response_body_len": 18, "resp_mime_types": []string{"text/plain"}}})
	check(t, "gzip split", run(steps, 3), []want{{"response_body_len": 18}})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		dir  proto.Direction
		data string
		port uint16
		want proto.Confidence
	}{
		{0, "GET /index.html HTTP/1.1\r\nHost: x\r\n", 12345, proto.Sure},
		{0, "POST /a b HTTP/1.0\r\n", 1, proto.Sure},
		{1, "HTTP/1.1 200 OK\r\n", 12345, proto.Likely},
		{0, "\x16\x03\x01\x02\x00", 443, proto.No},
		{0, "\x16\x03\x01\x02\x00", 80, proto.No},
		{0, "GE", 80, proto.Maybe},
		{1, "SSH-2.0-x\r\n", 8080, proto.No},
		{0, "EHLO x\r\n", 25, proto.No},
	} {
		if got := Detect(c.dir, []byte(c.data), c.port, 6); got != c.want {
			t.Errorf("Detect(%q, %d) = %v, want %v", c.data, c.port, got, c.want)
		}
	}
	found := false
	for _, f := range proto.Factories() {
		if f.Name == "http" {
			found = true
		}
	}
	if !found {
		t.Error("http factory not registered")
	}
}

// TestSniffJavaScript: the bodies Zeek's file-javascript signatures name
// application/javascript, and near misses they leave to the others.
func TestSniffJavaScript(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"document.write(\"<IFRAME SRC=x>\");", "application/javascript"},
		{"\r\n  document.writeln(1)", "application/javascript"},
		{"document.write (1)", "text/plain"}, // the signature allows one of ":blank" there, not a space
		{"(function()\n{\nvar a=1;", "application/javascript"},
		{"(function()\r\n{\r\nvar a=1;", "text/plain"}, // \r is not in the signature's class
		{"for (;;);{\"a\":1}", "application/javascript"},
		{"<script type=\"text/javascript\">var a;</script>", "application/javascript"},
		{"<SCRIPT LANGUAGE=JavaScript>x</SCRIPT>", "application/javascript"},
		{"<script>\nfunction f() {}", "application/javascript"},
		{"<script src=\"a.js\"></script>", "text/html"},
		{"<html><body>document.write(1)", "text/html"},
		{"var a = document.write(1);", "text/plain"},
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\">", "text/html"},
		{"<?xml version=\"1.0\"?><html xmlns=\"x\">", "text/html"},
		{"<?xml version=\"1.0\"?><rss>", "application/xml"},
	} {
		if got := Sniff([]byte(c.body)); got != c.want {
			t.Errorf("Sniff(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}

// TestHeaderKind checks the name classification: case-insensitive, exact
// length, every proxy header.
func TestHeaderKind(t *testing.T) {
	for _, c := range []struct {
		name string
		want hdrKind
	}{
		{"Content-Length", hdrContentLength}, {"content-length", hdrContentLength}, {"CONTENT-LENGTH", hdrContentLength},
		{"Transfer-Encoding", hdrTransferEncoding}, {"Content-Range", hdrContentRange},
		{"Content-Encoding", hdrContentEncoding}, {"Content-Disposition", hdrContentDisposition},
		{"Connection", hdrConnection}, {"Upgrade", hdrUpgrade}, {"HTTP2-Settings", hdrHTTP2Settings},
		{"Server", hdrServer}, {"Referer", hdrReferer}, {"Host", hdrHost}, {"Origin", hdrOrigin},
		{"User-Agent", hdrUserAgent}, {"Authorization", hdrAuthorization}, {"Proxy-Authorization", hdrAuthorization},
		{"Hostx", hdrOther}, {"Hos", hdrOther}, {"Accept", hdrOther}, {"", hdrOther},
		{"Content-Lengt\xc8", hdrOther}, {"Proxy-Authorization-X", hdrOther},
	} {
		if got := headerKind([]byte(c.name)); got != c.want {
			t.Errorf("headerKind(%q) = %d, want %d", c.name, got, c.want)
		}
	}
	for _, p := range proxyHeaders {
		if got := headerKind([]byte(strings.ToUpper(p))); got != hdrProxied {
			t.Errorf("headerKind(%q) = %d, want hdrProxied", p, got)
		}
	}
}

// TestSniffMagics checks that indexing the magics by first byte keeps
// their priority: each signature (followed by bytes that make the checks
// pass) gets the MIME type of the first magic that matches it in order.
func TestSniffMagics(t *testing.T) {
	linear := func(b []byte) string {
		for _, m := range magics {
			if len(b) >= m.off+len(m.sig) && string(b[m.off:m.off+len(m.sig)]) == m.sig && (m.check == nil || m.check(b)) {
				return m.mime
			}
		}
		return ""
	}
	for _, m := range magics {
		for _, tail := range []string{"", strings.Repeat("\x00", 16), "\x30sh\x00\x00WEBPxxxx" + strings.Repeat("\x01", 8)} {
			b := make([]byte, m.off, m.off+len(m.sig)+len(tail))
			b = append(append(b, m.sig...), tail...)
			if want := linear(b); want != "" && Sniff(b) != want {
				t.Errorf("Sniff(%q) = %q, want %q", b, Sniff(b), want)
			}
		}
	}
	if got := Sniff([]byte("\x00\x00\x01\x00ftyp\x00\x00")); got != "video/mp4" {
		t.Errorf("offset magic after a failed check: %q", got)
	}
}
