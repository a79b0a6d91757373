package http

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// txn is one request/response pair (Zeek's HTTP::Info). Byte fields are
// reused across transactions to keep allocation per transaction low.
type txn struct {
	idx   int
	ts    int64
	depth int

	method, host, uri, referrer, version, userAgent, origin []byte
	statusMsg, infoMsg, username, password                  []byte
	server                                                  []byte // the reply's Server header (not a Zeek field)
	secret                                                  []byte // the Basic password, for AuthLog only
	location                                                []byte // the reply's Location, for form logins
	hasMethod, hasHost, hasURI, hasReferrer, hasVersion     bool
	hasUA, hasOrigin, hasStatus, hasInfo, hasUser, hasPass  bool
	formUser, formPassword                                  []byte // a login form's, for AuthLog only
	hasServer, hasSecret, hasLocation, hasForm, formJSON    bool

	reqLen, respLen   uint64
	status, infoCode  int
	proxied           []string
	origMime          []string
	respMime          []string
	origFiles         []string
	respFiles         []string
	headerTruncations int
}

// reset empties t for another transaction, keeping the storage of its
// slices. Fields are set one by one: slices only lose their length, so
// nothing is copied and no pointer is written (idx, ts and depth are set
// by getOrNew).
func (t *txn) reset() {
	t.method = t.method[:0]
	t.host = t.host[:0]
	t.uri = t.uri[:0]
	t.referrer = t.referrer[:0]
	t.version = t.version[:0]
	t.userAgent = t.userAgent[:0]
	t.origin = t.origin[:0]
	t.statusMsg = t.statusMsg[:0]
	t.infoMsg = t.infoMsg[:0]
	t.username = t.username[:0]
	t.password = t.password[:0]
	t.server = t.server[:0]
	t.secret = t.secret[:0]
	t.location = t.location[:0]
	t.formUser, t.formPassword = t.formUser[:0], t.formPassword[:0]
	t.hasMethod, t.hasHost, t.hasURI, t.hasReferrer, t.hasVersion = false, false, false, false, false
	t.hasUA, t.hasOrigin, t.hasStatus, t.hasInfo, t.hasUser, t.hasPass = false, false, false, false, false, false
	t.hasServer, t.hasSecret, t.hasLocation, t.hasForm, t.formJSON = false, false, false, false, false
	t.reqLen, t.respLen = 0, 0
	t.status, t.infoCode = 0, 0
	t.proxied = t.proxied[:0]
	t.origMime = t.origMime[:0]
	t.respMime = t.respMime[:0]
	t.origFiles = t.origFiles[:0]
	t.respFiles = t.respFiles[:0]
	t.headerTruncations = 0
}

func (a *Analyzer) release(t *txn) {
	if len(a.free) < 4 {
		a.free = append(a.free, t)
	}
}

func (a *Analyzer) lookup(idx int) *txn {
	for _, t := range a.pend {
		if t.idx == idx {
			return t
		}
	}
	return nil
}

// getOrNew is Zeek's set_state: the pending transaction idx, created (with
// the next trans_depth) when missing.
func (a *Analyzer) getOrNew(idx int) *txn {
	if t := a.lookup(idx); t != nil {
		return t
	}
	var t *txn
	if n := len(a.free); n > 0 {
		t = a.free[n-1]
		a.free = a.free[:n-1]
		t.reset()
	} else {
		t = &txn{}
	}
	t.idx = idx
	t.ts = a.now
	a.transDepth++
	t.depth = a.transDepth
	// Keep pend ordered by idx.
	i := len(a.pend)
	a.pend = append(a.pend, t)
	for i > 0 && a.pend[i-1].idx > idx {
		a.pend[i] = a.pend[i-1]
		i--
	}
	a.pend[i] = t
	return t
}

func (a *Analyzer) remove(t *txn) {
	for i, p := range a.pend {
		if p == t {
			copy(a.pend[i:], a.pend[i+1:])
			a.pend = a.pend[:len(a.pend)-1]
			a.release(t)
			return
		}
	}
}

// hasCurrent reports whether the transaction dir's messages belong to is
// the newest pending one, as it usually is (current then makes none).
func (a *Analyzer) hasCurrent(dir proto.Direction) bool {
	idx := a.curResp
	if dir == proto.FromOrig {
		idx = a.curReq
	}
	n := len(a.pend)
	return n > 0 && a.pend[n-1].idx == idx
}

// current is the transaction dir's messages belong to.
func (a *Analyzer) current(dir proto.Direction) *txn {
	idx := a.curResp
	if dir == proto.FromOrig {
		idx = a.curReq
	}
	// Usually it is the newest pending one (pend is ordered by idx).
	if n := len(a.pend); n > 0 && a.pend[n-1].idx == idx {
		return a.pend[n-1]
	}
	return a.getOrNew(idx)
}

// lineDone handles one complete line of dir.
func (a *Analyzer) lineDone(dir proto.Direction, line []byte) {
	s := &a.sides[dir]
	switch s.st {
	case stFirst:
		if dir == proto.FromOrig {
			a.requestLine(line)
		} else {
			a.replyLine(line)
		}
	case stHeaders:
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && s.hasHdr {
			// Obsolete line folding: continue the previous header.
			if room := MaxLine - len(s.hdr); room > 0 {
				if room > len(line) {
					room = len(line)
				}
				s.keepHdr()
				s.hdrBuf = append(s.hdrBuf, line[:room]...)
				s.hdr = s.hdrBuf
			}
			s.folded = true
			return
		}
		if s.hasHdr {
			s.hasHdr = false
			a.header(dir, s, s.hdr)
		}
		if len(line) == 0 {
			a.headersDone(dir)
			return
		}
		// The header waits for the next line, which may continue it. It
		// is not copied: the caller keeps it (keepHdr) before line's
		// memory is reused.
		s.hdr = line
		s.hasHdr = true
		s.folded = false
		s.hdrBorrowed = true
	case stChunkSize:
		if _, ok := zeekAtoi(line, 16); !ok {
			a.weird(weirdBadChunkSize, string(line))
		}
		n, ok := parseChunkSize(line)
		if !ok || n == 0 {
			s.st = stTrailers
			return
		}
		s.st = stChunkData
		s.remain = n
	case stChunkCRLF:
		s.st = stChunkSize
	case stTrailers:
		if len(line) == 0 {
			a.messageDone(dir, false)
		}
	}
}

func parseChunkSize(line []byte) (int64, bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	var n int64
	start := i
	for ; i < len(line); i++ {
		c := line[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			goto done
		}
		if n > (1<<62)>>4 {
			return 0, false // overflow
		}
		n = n<<4 | int64(v)
	}
done:
	if i == start {
		return 0, false
	}
	return n, true
}

func isTokenChar(c byte) bool { return tokenChars[c] }

// tokenChars marks the bytes of an RFC 7230 token: visible ASCII but the
// separators.
var tokenChars = func() (t [256]bool) {
	for c := 33; c < 127; c++ {
		t[c] = true
	}
	for _, c := range "()<>@,;:\\\"/[]?={}" {
		t[c] = false
	}
	return t
}()

func isWS(c byte) bool { return c == ' ' || c == '\t' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

func isURIChar(c byte) bool { return uriChars[c] }

// uriChars marks the bytes a request line's URI is made of: letters,
// digits, RFC 3986's delimiters, unreserved marks and '%'.
var uriChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range ":/?#[]@!$&'()*+,;=-_.~%" {
		t[c] = true
	}
	return t
}()

func hasPrefixFold(b []byte, p string) (match, exact bool) {
	if len(b) < len(p) {
		return false, false
	}
	exact = true
	for i := 0; i < len(p); i++ {
		c := b[i]
		if c != p[i] {
			exact = false
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			if c != p[i] {
				return false, false
			}
		}
	}
	return true, exact
}

// isVersionPrefix reports whether b starts with "HTTP/" in any case.
func isVersionPrefix(b []byte) bool {
	p, _ := hasPrefixFold(b, "HTTP/")
	return p
}

// requestLine parses a request line the way Zeek's HTTP_RequestLine does.
func (a *Analyzer) requestLine(line []byte) {
	s := &a.sides[proto.FromOrig]
	m := 0
	for m < len(line) && isTokenChar(line[m]) {
		m++
	}
	ok := m > 0
	rest := skipWS(line, m)
	if rest == m {
		ok = false
	}
	var uriEnd, verStart int
	var ver [2]byte
	http09 := false
	if ok {
		uriEnd = rest
		for uriEnd < len(line) && isURIChar(line[uriEnd]) {
			uriEnd++
		}
		if uriEnd >= len(line) && isVersionPrefix(line[rest:]) {
			uriEnd = rest // "GET HTTP/1.1": no URI
			a.weird(weirdMissingURI, "")
		}
		verStart = uriEnd
		for ; verStart < len(line); verStart++ {
			uriEnd = verStart
			verStart = skipWS(line, verStart)
			if isVersionPrefix(line[verStart:]) {
				break
			}
		}
		if verStart >= len(line) {
			http09 = true
		}
		if ver = versionOf(line, verStart, http09); http09 || verStart+8 <= len(line) {
			a.setVersion(&a.reqVersion, ver)
		}
		if http09 && (m < 3 || uriEnd <= rest) {
			ok = false
		}
	}
	if !ok {
		a.badRequestLine(line, m)
		if len(line) == 0 {
			if a.numRequests == 0 || a.keepAlive {
				a.weird(weirdEmptyRequest, "")
			}
			return
		}
		if !(a.numRequests == 0 || a.keepAlive) {
			return // crud_trailing_HTTP_request
		}
		s.st = stDead
		a.violation()
		return
	}
	a.numRequests++
	a.Confirm("http")
	if http09 && string(line[:m]) != "GET" {
		a.weird(weirdHTTP09Method, string(line[:m]))
	}
	if !knownMethod(line[:m]) {
		a.weird(weirdUnknownMethod, string(line[:m]))
	}
	if ver[0] > 1 || ver[0] == 1 && ver[1] > 0 {
		a.keepAlive = true
	}
	if !a.keepAlive && a.numRequests > 1 {
		a.weird(weirdMultipleRequests, "")
	}
	method := line[:m]
	isHead := string(method) == "HEAD"
	if len(a.unanswered) < maxQueue {
		a.unanswered = append(a.unanswered, isHead)
	}
	if foldPrefixOf(method, "CONNECT") {
		a.connectReq = true
	}

	// Zeek's http_request event.
	if a.curReq < a.curResp {
		a.weird(weirdResponseFirst, "")
		a.curReq = a.curResp
	}
	if MaxPending > 0 && len(a.pend) > MaxPending {
		a.weird(weirdPipelining, strconv.Itoa(len(a.pend))+" > "+strconv.Itoa(MaxPending))
		if a.curResp == 0 {
			a.curResp++
		}
		for a.curResp < a.curReq {
			if t := a.lookup(a.curResp); t != nil {
				a.write(t)
				a.remove(t)
			}
			a.curResp++
		}
	}
	a.curReq++
	t := a.getOrNew(a.curReq)
	t.method = append(t.method[:0], method...)
	t.hasMethod = true
	t.uri = unescapeURI(t.uri[:0], line[rest:uriEnd])
	if bytes.IndexByte(line[rest:uriEnd], '%') >= 0 {
		a.uriWeirds(line[rest:uriEnd])
	}
	t.hasURI = true

	a.startMessage(proto.FromOrig, bodyMaybe)
	a.reqOngoing = true
	if http09 {
		// The reply is the rest of the responder's stream.
		r := &a.sides[proto.FromResp]
		if r.st != stDead {
			if r.inMsg {
				a.weird(weird09ReplyFirst, "")
				a.replyMade(true)
			}
			r.st = stUntilClose
			r.http09Resp = true
			r.line = r.line[:0]
		}
	}
}

// foldPrefixOf reports whether b, upper-cased, is a non-empty prefix of
// the upper-case word w (as Zeek compares a method with "CONNECT").
func foldPrefixOf(b []byte, w string) bool {
	if len(b) == 0 || len(b) > len(w) {
		return false
	}
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// versionOf returns the request's version digits.
func versionOf(line []byte, verStart int, http09 bool) [2]byte {
	if http09 {
		return [2]byte{0, 9}
	}
	if verStart+8 <= len(line) {
		v := line[verStart+5:]
		if isDigit(v[0]) && v[1] == '.' && isDigit(v[2]) {
			return [2]byte{v[0] - '0', v[2] - '0'}
		}
	}
	return [2]byte{}
}

const hexd = "0123456789abcdef"

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unescapeURI decodes %XX (and IIS %uXXXX) escapes like Zeek's
// unescape_URI, keeping malformed escapes as they are.
func unescapeURI(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			// Copy the run up to the next escape at once.
			n := bytes.IndexByte(s[i:], '%')
			if n < 0 {
				return append(dst, s[i:]...)
			}
			dst = append(dst, s[i:i+n]...)
			i += n
		}
		i++
		switch {
		case i == len(s):
			return append(dst, '%')
		case i+1 == len(s):
			return append(dst, '%', s[i])
		case s[i] == '%':
			// Zeek drops the first of two '%' and rescans from the second.
			i--
		case isHex(s[i]) && isHex(s[i+1]):
			dst = append(dst, unhex(s[i])<<4|unhex(s[i+1]))
			i++
		case len(s)-i >= 5 && s[i] == 'u' && isHex(s[i+1]) && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]):
			if !(s[i+1] == '0' && s[i+2] == '0') {
				dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			}
			dst = append(dst, unhex(s[i+3])<<4|unhex(s[i+4]))
			i += 4
		default:
			dst = append(dst, '%', s[i])
		}
	}
	return dst
}

// replyLine parses a status line the way Zeek's HTTP_ReplyLine does.
func (a *Analyzer) replyLine(line []byte) {
	s := &a.sides[proto.FromResp]
	p, _ := hasPrefixFold(line, "HTTP/")
	if !p {
		if len(line) > 0 {
			s.st = stDead
			a.violation()
		}
		return
	}
	rest := line[5:]
	var ver [2]byte
	if len(rest) >= 3 && isDigit(rest[0]) && rest[1] == '.' && isDigit(rest[2]) {
		ver = [2]byte{rest[0] - '0', rest[2] - '0'}
	}
	a.setVersion(&a.respVersion, ver)
	i := 0
	for i < len(rest) && !isWS(rest[i]) {
		i++
	}
	if i >= len(rest) || skipWS(rest, i)+3 > len(rest) {
		s.st = stDead
		a.violation()
		return
	}
	i = skipWS(rest, i)
	code := 0
	if isDigit(rest[i]) && isDigit(rest[i+1]) && isDigit(rest[i+2]) {
		code = int(rest[i]-'0')*100 + int(rest[i+1]-'0')*10 + int(rest[i+2]-'0')
	}
	i += 3
	for i < len(rest) && !isWS(rest[i]) {
		i++
	}
	var reason []byte
	hasReason := false
	if i < len(rest) {
		i = skipWS(rest, i)
		reason = rest[i:]
		hasReason = true
	}
	a.Confirm("http")
	a.reply(ver, code, reason, hasReason)
}

// reply is Zeek's http_reply handling plus the analyzer's bookkeeping.
func (a *Analyzer) reply(ver [2]byte, code int, reason []byte, hasReason bool) {
	a.replyCode = code
	if a.connectReq && code != 200 {
		a.connectReq = false
	}
	if a.connectReq && code == 200 {
		a.connectTunnel()
	}
	if cur := a.lookup(a.curResp); cur == nil || (cur.hasStatus && !(cur.status >= 100 && cur.status <= 199)) {
		a.curResp++
	}
	t := a.getOrNew(a.curResp)
	t.status = code
	t.hasStatus = true
	if hasReason {
		t.statusMsg = append(t.statusMsg[:0], reason...)
	} else {
		t.statusMsg = append(t.statusMsg[:0], "<empty>"...)
	}
	t.version = append(t.version[:0], '0'+ver[0], '.', '0'+ver[1])
	t.hasVersion = true
	if code >= 100 && code <= 199 {
		t.infoCode = code
		t.hasInfo = true
		t.infoMsg = append(t.infoMsg[:0], t.statusMsg...)
	}
	expect := bodyExpected
	if len(a.unanswered) > 0 && a.unanswered[0] {
		expect = bodyNotExpected
	}
	if code >= 100 && code < 200 || code == 204 || code == 304 {
		expect = bodyNotExpected
	}
	a.upgradeConn, a.upgradeProt = false, false
	a.startMessage(proto.FromResp, expect)
	a.respOngoing = true

}

func (a *Analyzer) startMessage(dir proto.Direction, expect int) {
	s := &a.sides[dir]
	s.st = stHeaders
	s.inMsg = true
	s.expect = expect
	s.hasHdr = false
	s.nHeaders = 0
	s.cl = -1
	s.chunked = false
	s.expect100, s.rangeLen = false, 0
	s.remain = 0
	s.bodyLen = 0
	s.sniff = s.sniff[:0]
	s.sniffDone = false
	s.noSniff = false
	s.rangeZero = false
	s.hasFile = false
	s.filename = s.filename[:0]
	if s.z != nil {
		s.z.Close()
		s.z = nil
	}
	s.enc = encNone
}

// equalFold reports whether b, lower-cased, is s (which is lower case).
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if lowerASCII[c] != s[i] {
			return false
		}
	}
	return true
}

// lowerASCII maps every byte to its ASCII lower case.
var lowerASCII = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c) + 'a' - 'A'
	}
	return t
}()

// firstToken is the value up to the first separator (MIME's value token).
func firstToken(v []byte) []byte {
	i := 0
	for i < len(v) && isTokenChar(v[i]) {
		i++
	}
	return v[:i]
}

var proxyHeaders = []string{"forwarded", "x-forwarded-for", "x-forwarded-from", "client-ip", "via", "xroxy-connection", "proxy-connection"}

// hdrKind names a header the analyzer reads (hdrOther: one it skips).
type hdrKind uint8

const (
	hdrOther hdrKind = iota
	hdrContentLength
	hdrTransferEncoding
	hdrContentRange
	hdrContentEncoding
	hdrContentDisposition // the last of the entity headers
	hdrConnection
	hdrUpgrade
	hdrHTTP2Settings
	hdrServer
	hdrReferer
	hdrHost
	hdrOrigin
	hdrUserAgent
	hdrAuthorization // Authorization or Proxy-Authorization
	hdrProxied       // one of proxyHeaders
	hdrLocation
	hdrExpect
	hdrWSKey // Sec-WebSocket-Key, -Accept, -Protocol, -Extensions (websocket.go)
	hdrWSAccept
	hdrWSProtocol
	hdrWSExtensions
)

// isEntity reports whether k is one of the headers of either side that
// delimit, decode or name the body (see entityHeader).
func (k hdrKind) isEntity() bool { return k >= hdrContentLength && k <= hdrContentDisposition }

// knownHeader is a header name, lower case, and its kind.
type knownHeader struct {
	name string
	kind hdrKind
}

// knownHeaders names the headers of each kind.
var knownHeaders = []knownHeader{
	{"content-length", hdrContentLength},
	{"transfer-encoding", hdrTransferEncoding},
	{"content-range", hdrContentRange},
	{"content-encoding", hdrContentEncoding},
	{"content-disposition", hdrContentDisposition},
	{"connection", hdrConnection},
	{"upgrade", hdrUpgrade},
	{"http2-settings", hdrHTTP2Settings},
	{"server", hdrServer},
	{"referer", hdrReferer},
	{"host", hdrHost},
	{"origin", hdrOrigin},
	{"user-agent", hdrUserAgent},
	{"authorization", hdrAuthorization},
	{"proxy-authorization", hdrAuthorization},
	{"forwarded", hdrProxied},
	{"x-forwarded-for", hdrProxied},
	{"x-forwarded-from", hdrProxied},
	{"client-ip", hdrProxied},
	{"via", hdrProxied},
	{"xroxy-connection", hdrProxied},
	{"proxy-connection", hdrProxied},
	{"location", hdrLocation},
	{"expect", hdrExpect},
	{"sec-websocket-key", hdrWSKey},
	{"sec-websocket-accept", hdrWSAccept},
	{"sec-websocket-protocol", hdrWSProtocol},
	{"sec-websocket-extensions", hdrWSExtensions},
}

// maxKnownHeader is the length of the longest name in knownHeaders.
const maxKnownHeader = len("sec-websocket-extensions")

// headerTable finds the few known headers (most often one) a name can be
// from the name's length and first byte.
type headerTable struct {
	headers []chainedHeader
	// index is, for a length and a first byte (in either case), the first
	// header of those: 1 + its index in headers, 0 for none.
	index [maxKnownHeader + 1][256]uint8
	// starts is, for a first byte with 0x20 set, the lineStart of every
	// header line that can hold a known header and begins with that byte
	// (0 in the slots left over: no lineStart is 0).
	starts [256][maxStarts]uint32
}

// maxStarts is the most lineStarts that begin with one byte (c: cont,
// conn, clie; v: via followed by ':', SP or HT).
const maxStarts = 3

// lineStartLen is the length of a lineStart, and no more than that of
// the shortest line that can hold a known header ("via:").
const lineStartLen = 4

// lineStart is the first four bytes of a header line as a little-endian
// word with 0x20 set in each byte. That lower-cases letters, so a line
// that begins with a name in any case has the name's lineStart; it also
// merges other bytes, which only lets lines through that are then
// matched in full.
func lineStart(line []byte) uint32 {
	return binary.LittleEndian.Uint32(line) | 0x20202020
}

// chainedHeader is a known header and the next one (1 + its index in
// headerTable.headers, 0 for none) of the same length and first byte.
type chainedHeader struct {
	knownHeader
	next uint8
	// lower is foldWords of the name; fold has 0x20 in each byte where
	// the name has a letter, so (foldWords(b) | fold) == lower tells
	// whether b (of the same length) is the name in any case.
	lower, fold [3]uint64
}

// matches reports whether w0, w1 and w2, the foldWords of a name as long
// as h's, are h's name ignoring ASCII case.
func (h *chainedHeader) matches(w0, w1, w2 uint64) bool {
	return w0|h.fold[0] == h.lower[0] && w1|h.fold[1] == h.lower[1] && w2|h.fold[2] == h.lower[2]
}

// foldWords packs b (at most 24 bytes) into up to three little-endian
// words that together hold every byte of it: the first eight bytes, the
// next eight when b has 16 or more, and the last eight (overlapping the
// others); shorter names use 4-byte words, or the bytes themselves.
// Names of one length put each byte in the same bits.
func foldWords(b []byte) (w0, w1, w2 uint64) {
	switch n := len(b); {
	case n >= 8:
		w0 = binary.LittleEndian.Uint64(b)
		if n >= 16 {
			w1 = binary.LittleEndian.Uint64(b[8:])
		}
		w2 = binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		w0 = uint64(binary.LittleEndian.Uint32(b))
		w2 = uint64(binary.LittleEndian.Uint32(b[n-4:]))
	default:
		for i, c := range b {
			w0 |= uint64(c) << (8 * i)
		}
	}
	return w0, w1, w2
}

// foldWordsArray is foldWords as an array.
func foldWordsArray(b []byte) [3]uint64 {
	w0, w1, w2 := foldWords(b)
	return [3]uint64{w0, w1, w2}
}

// knownHeaderTable is the headerTable of knownHeaders.
var knownHeaderTable = newHeaderTable(knownHeaders)

func newHeaderTable(known []knownHeader) (t headerTable) {
	for _, h := range known {
		first := &t.index[len(h.name)][h.name[0]]
		letters := []byte(h.name)
		for i, c := range letters {
			letters[i] = 0
			if c >= 'a' && c <= 'z' {
				letters[i] = 0x20
			}
		}
		t.headers = append(t.headers, chainedHeader{h, *first, foldWordsArray([]byte(h.name)), foldWordsArray(letters)})
		*first = uint8(len(t.headers))
		switch len(h.name) {
		case lineStartLen - 1:
			// The name is followed by the colon or whitespace.
			for _, c := range ": \t" {
				t.addStart(lineStart(append([]byte(h.name), byte(c))))
			}
		case 0, 1, 2:
			panic("http: a known header name shorter than three bytes")
		default:
			t.addStart(lineStart([]byte(h.name)))
		}
	}
	for n := range t.index {
		for c := 'a'; c <= 'z'; c++ {
			t.index[n][c-'a'+'A'] = t.index[n][c]
		}
	}
	return t
}

// addStart adds w to the lineStarts of its first byte, once.
func (t *headerTable) addStart(w uint32) {
	starts := &t.starts[byte(w)]
	for i, v := range starts {
		if v == w {
			return
		}
		if v == 0 {
			starts[i] = w
			return
		}
	}
	panic("http: more than maxStarts known header line starts for one byte")
}

// mayBeKnown reports whether line can be a known header's line: a known
// name, in any case, then optional whitespace and a colon. When it
// reports false, line is some other header or no header at all.
func (t *headerTable) mayBeKnown(line []byte) bool {
	if len(line) < lineStartLen {
		return false
	}
	w := lineStart(line)
	starts := &t.starts[byte(w)]
	return w == starts[0] || w == starts[1] || w == starts[2]
}

// headerKind classifies a header name, ignoring ASCII case.
func headerKind(name []byte) hdrKind {
	if i := knownHeaderTable.first(name); i != 0 {
		return knownHeaderTable.match(name, i)
	}
	return hdrOther
}

// first is the first header (1 + its index in headers) name may be, from
// its length and first byte; 0 when it can be none. It is inlined: most
// unknown names need nothing else.
func (t *headerTable) first(name []byte) uint8 {
	if len(name) == 0 || len(name) > maxKnownHeader {
		return 0
	}
	return t.index[len(name)][name[0]]
}

// match is the kind of the known header name is, ignoring ASCII case, of
// those chained from the i-th (1-based) header; hdrOther if none.
func (t *headerTable) match(name []byte, i uint8) hdrKind {
	w0, w1, w2 := foldWords(name)
	for i != 0 {
		h := &t.headers[i-1]
		if h.matches(w0, w1, w2) {
			return h.kind
		}
		i = h.next
	}
	return hdrOther
}

// header handles one (unfolded) header line of dir's current message; s
// is dir's side.
func (a *Analyzer) header(dir proto.Direction, s *side, h []byte) {
	if s.nHeaders >= MaxHeaders {
		return
	}
	s.nHeaders++
	if s.folded {
		a.foldedHeader(h)
	}
	// A request's first header makes its transaction (reqHeader), whatever
	// its name; any other line matters only if its name is a known one.
	makesTxn := dir == proto.FromOrig && !a.hasCurrent(dir)
	if !makesTxn && !knownHeaderTable.mayBeKnown(h) {
		return // no known header: found without looking for the colon
	}
	colon := bytes.IndexByte(h, ':')
	if colon <= 0 {
		return
	}
	name := h[:colon]
	for len(name) > 0 && isWS(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	kind := hdrOther
	if i := knownHeaderTable.first(name); i != 0 {
		kind = knownHeaderTable.match(name, i)
	}
	if kind == hdrOther && !makesTxn {
		return // nothing to do (reqHeader would only get the transaction)
	}
	v := h[skipWS(h, colon+1):]
	if kind.isEntity() || kind == hdrExpect {
		a.entityWeirds(dir, s, kind, v)
		s.entityHeader(kind, v)
	}
	if dir == proto.FromOrig {
		a.reqHeader(kind, name, v)
	} else if kind != hdrOther {
		a.respHeader(kind, v)
	}
}

// entityHeader handles the headers of either side that delimit, decode
// or name the body.
func (s *side) entityHeader(kind hdrKind, v []byte) {
	switch kind {
	case hdrContentLength:
		tok := v
		for len(tok) > 0 && isWS(tok[len(tok)-1]) {
			tok = tok[:len(tok)-1]
		}
		n, ok := parseDecimal(tok)
		if ok {
			s.cl = n
		}
	case hdrTransferEncoding:
		if equalFold(firstToken(v), "chunked") {
			s.chunked = true
		}
	case hdrContentRange:
		// A range that does not start at 0 is not the file's beginning:
		// Zeek does not sniff it.
		r := v
		if len(r) >= 6 && equalFold(r[:6], "bytes ") {
			r = r[skipWS(r, 6):]
		}
		if len(r) == 0 || r[0] != '0' || len(r) > 1 && isDigit(r[1]) {
			s.noSniff = true
		} else {
			s.rangeZero = true
		}
	case hdrContentEncoding:
		switch tok := firstToken(v); {
		case equalFold(tok, "gzip") || equalFold(tok, "x-gzip"):
			s.enc = encGzip
		case equalFold(tok, "deflate"):
			s.enc = encDeflate
		}
	case hdrContentDisposition:
		if fn, ok := dispositionFilename(v); ok {
			s.filename = append(s.filename[:0], fn...)
			s.hasFile = true
		}
	}
}

// respHeader handles the reply headers the analyzer reads.
func (a *Analyzer) respHeader(kind hdrKind, v []byte) {
	switch kind {
	case hdrConnection:
		if equalFold(firstToken(v), "upgrade") {
			a.upgradeConn = true
		}
	case hdrUpgrade:
		a.upgradeProt = len(firstToken(v)) > 0
		a.upgradeWS = equalFold(firstToken(v), "websocket")
		a.h2RespUpgrade(v)
	case hdrWSKey, hdrWSAccept, hdrWSProtocol, hdrWSExtensions:
		a.wsHeader(proto.FromResp, kind, v)
	case hdrServer:
		t := a.current(proto.FromResp)
		t.server = append(t.server[:0], v...)
		t.hasServer = true
	case hdrLocation:
		t := a.current(proto.FromResp)
		t.location = append(t.location[:0], v[:min(len(v), MaxLine)]...)
		t.hasLocation = true
	}
}

// reqHeader handles the request headers the analyzer reads. Every header
// gets the current transaction (as in Zeek, one is made again when the
// reply already ended it).
func (a *Analyzer) reqHeader(kind hdrKind, name, v []byte) {
	if kind == hdrConnection && equalFold(firstToken(v), "keep-alive") {
		a.keepAlive = true
	}
	if kind == hdrUpgrade || kind == hdrHTTP2Settings {
		a.h2ReqHeader(kind, v)
	}
	t := a.current(proto.FromOrig)
	switch kind {
	case hdrWSKey, hdrWSAccept, hdrWSProtocol, hdrWSExtensions:
		a.wsHeader(proto.FromOrig, kind, v)
	case hdrReferer:
		t.referrer = append(t.referrer[:0], v...)
		t.hasReferrer = true
	case hdrHost:
		t.host = append(t.host[:0], v...)
		t.hasHost = true
	case hdrOrigin:
		t.origin = append(t.origin[:0], v...)
		t.hasOrigin = true
	case hdrUserAgent:
		t.userAgent = append(t.userAgent[:0], v...)
		t.hasUA = true
	case hdrAuthorization:
		a.basicAuth(t, v)
	case hdrProxied:
		if len(t.proxied) < maxListed {
			var b []byte
			b = append(b, upper2(name)...)
			b = append(b, " -> "...)
			b = append(b, v...)
			str := string(b)
			for _, q := range t.proxied {
				if q == str {
					return
				}
			}
			t.proxied = append(t.proxied, str)
		}
	}
}

func upper2(b []byte) []byte {
	u := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		u[i] = c
	}
	return u
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		if n > (1<<62)/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// basicAuth records the user of a Basic Authorization header; like Zeek's
// default (HTTP::default_capture_password = F) http.log has no password,
// which is kept for the AuthLog fact only (secret).
func (a *Analyzer) basicAuth(t *txn, v []byte) {
	if len(v) < 6 || !equalFold(v[:5], "basic") || v[5] != ' ' {
		return
	}
	enc := v[skipWS(v, 5):]
	var dec [768]byte
	if base64.StdEncoding.DecodedLen(len(enc)) > len(dec) {
		return
	}
	n, err := base64.StdEncoding.Decode(dec[:], enc)
	if err != nil {
		// Zeek's decode_base64 is lenient; try without padding.
		n, err = base64.RawStdEncoding.Decode(dec[:], bytes.TrimRight(enc, "="))
		if err != nil {
			n = 0
		}
	}
	up := dec[:n]
	if i := bytes.IndexByte(up, ':'); i >= 0 {
		t.username = append(t.username[:0], up[:i]...)
		t.secret, t.hasSecret = append(t.secret[:0], up[i+1:]...), true
	} else {
		t.username = append(append(append(t.username[:0], "<problem-decoding> ("...), v...), ')')
	}
	t.hasUser = true
}

// dispositionFilename extracts filename= from a Content-Disposition value.
func dispositionFilename(v []byte) ([]byte, bool) {
	for i := 0; i+9 <= len(v); i++ {
		if !equalFold(v[i:i+8], "filename") {
			continue
		}
		j := skipWS(v, i+8)
		if j < len(v) && v[j] == '*' {
			continue
		}
		if j >= len(v) || v[j] != '=' {
			continue
		}
		j = skipWS(v, j+1)
		if j < len(v) && v[j] == '"' {
			k := bytes.IndexByte(v[j+1:], '"')
			if k < 0 {
				return v[j+1:], true
			}
			return v[j+1 : j+1+k], true
		}
		k := j
		for k < len(v) && v[k] != ';' && !isWS(v[k]) {
			k++
		}
		return v[j:k], true
	}
	return nil, false
}

// headersDone decides how dir's body is delimited (Zeek's
// HTTP_Entity::SubmitAllHeaders).
func (a *Analyzer) headersDone(dir proto.Direction) {
	s := &a.sides[dir]
	if dir == proto.FromResp && a.replyCode == 206 && !s.rangeZero {
		s.noSniff = true
	}
	if dir == proto.FromResp && a.connectReq && a.replyCode == 200 {
		// CONNECT established: the rest is tunnelled, not HTTP. The reply
		// stays open until the connection ends, as in Zeek; the protocol
		// inside is detected again (Upgrade).
		a.sides[0].st, a.sides[1].st = stDead, stDead
		if a.tunnel == tunnelNone {
			a.tunnel = tunnelOpened
		}
		return
	}
	switch {
	case s.expect == bodyNotExpected:
		a.messageDone(dir, false)
		return
	case s.chunked:
		s.st = stChunkSize
	case s.cl > 0:
		s.st = stBody
		s.remain = s.cl
	case s.cl == 0:
		a.messageDone(dir, false)
	case s.expect == bodyExpected:
		s.st = stUntilClose
	default:
		a.messageDone(dir, false)
	}
}

// messageDone ends dir's current message (Zeek's RequestMade/ReplyMade
// after a normal end).
func (a *Analyzer) messageDone(dir proto.Direction, interrupted bool) {
	if dir == proto.FromOrig {
		a.requestMade(interrupted)
	} else {
		a.replyMade(interrupted)
	}
}

func (a *Analyzer) requestMade(interrupted bool) {
	s := &a.sides[proto.FromOrig]
	if !a.reqOngoing {
		return
	}
	a.reqOngoing = false
	if s.inMsg {
		if s.hasHdr {
			s.hasHdr = false
			a.header(proto.FromOrig, s, s.hdr)
		}
		a.finishSniff(proto.FromOrig)
		t := a.current(proto.FromOrig)
		t.reqLen = s.bodyLen
		if len(s.sniff) > 0 && string(t.method) == "POST" {
			l := formLogin{user: t.formUser, password: t.formPassword, name: a.formName, cut: s.bodyLen > uint64(len(s.sniff))}
			parseFormLogin(&l, s.sniff)
			t.formUser, t.formPassword, t.formJSON, t.hasForm = l.user, l.password, l.json, l.ok
			a.formName = l.name
		}
		s.inMsg = false
	}
	if s.st != stDead {
		if interrupted {
			s.st = stDead
		} else {
			s.st = stFirst
		}
	}
}

func (a *Analyzer) replyMade(interrupted bool) {
	s := &a.sides[proto.FromResp]
	if !a.respOngoing {
		return
	}
	a.respOngoing = false
	if s.inMsg {
		if s.hasHdr {
			s.hasHdr = false
			a.header(proto.FromResp, s, s.hdr)
		}
		a.finishSniff(proto.FromResp)
		t := a.current(proto.FromResp)
		t.respLen = s.bodyLen
		s.inMsg = false
		if !(t.hasStatus && t.status >= 100 && t.status <= 199) {
			a.write(t)
			a.remove(t)
		}
	}
	code := a.replyCode
	if (code < 100 || code >= 200) && len(a.unanswered) > 0 {
		copy(a.unanswered, a.unanswered[1:])
		a.unanswered = a.unanswered[:len(a.unanswered)-1]
	}
	upgraded := code == 101 && len(a.unanswered) == 1 && a.upgradeConn && a.upgradeProt
	websocket := upgraded && a.upgradeWS
	a.replyCode = 0
	a.upgradeConn, a.upgradeProt, a.upgradeWS = false, false, false
	if upgraded {
		a.sides[0].st, a.sides[1].st = stDead, stDead
		if websocket {
			var t *txn // the upgrading request, when it is still pending (no new one made)
			if a.hasCurrent(proto.FromResp) {
				t = a.current(proto.FromResp)
			}
			a.websocketEstablished(t)
		}
		a.h2Upgraded()
		return
	}
	if s.st != stDead {
		if interrupted {
			s.st = stDead
		} else {
			s.st = stFirst
		}
	}
}

// violation is Zeek's analyzer violation: once the analyzer is confirmed
// (a request line parsed), within the first
// ViolationWindow bytes of both sides DPD removes the analyzer (no more
// HTTP on the connection); later ones only stop the side, as the
// analyzer's own state does.
func (a *Analyzer) violation() {
	if a.numRequests == 0 {
		return // not confirmed yet: DPD leaves it running
	}
	if a.sides[0].offset > ViolationWindow || a.sides[1].offset > ViolationWindow {
		return
	}
	a.sides[0].st, a.sides[1].st = stDead, stDead
	a.replyMade(true)
	a.requestMade(true)
}

// UnescapeURI decodes a URI's %XX (and IIS %uXXXX) escapes the way the
// analyzer does for http.log's uri (Zeek's unescape_URI).
func UnescapeURI(s string) string { return string(unescapeURI(nil, []byte(s))) }
