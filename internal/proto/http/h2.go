package http

import (
	"encoding/base64"
	"strings"

	"golang.org/x/net/http2/hpack"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// HTTP/2 in clear text (h2c, RFC 9113), found two ways:
//   - prior knowledge: the originator's stream starts with the connection
//     preface (h2Preface);
//   - upgrade: an HTTP/1.1 request with "Upgrade: h2c" answered by
//     "101 Switching Protocols"; the request is stream 1, its response comes
//     as HTTP/2 frames right after the 101.
//
// Each stream gives one http.log record (version "2", status_msg empty)
// once both sides ended it (END_STREAM or RST_STREAM), or at End. Bounds,
// per connection:
//   - a frame's payload is buffered whole only when a Data call splits it;
//     frames longer than the peer's SETTINGS_MAX_FRAME_SIZE (16 KiB by
//     default, at most H2MaxFrame) stop parsing that side;
//   - one HPACK decoder per side, its dynamic table at most 4096 bytes or
//     what the receiver announced (SETTINGS_HEADER_TABLE_SIZE), capped at
//     H2MaxHeaderList; header fields past H2MaxHeaderList bytes of a block
//     are decoded (to keep the table in step) but not looked at, and a
//     longer single name or value is an HPACK error;
//   - at most H2MaxStreams streams are tracked: a new one beyond that logs
//     the oldest as it stands.
//
// Malformed framing (a frame on the wrong stream, a CONTINUATION out of
// place, bad padding) stops parsing that side; an HPACK error stops HTTP/2
// parsing of the connection. Gaps stop parsing the side they hit.
const (
	h2Preface       = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	h2DefaultFrame  = 16 << 10
	H2MaxFrame      = 64 << 10
	H2MaxHeaderList = 64 << 10
	H2MaxStreams    = 100
	h2TableSize     = 4096
)

// Frame types and flags (RFC 9113 section 6).
const (
	h2Data         = 0
	h2Headers      = 1
	h2RSTStream    = 3
	h2Settings     = 4
	h2PushPromise  = 5
	h2Continuation = 9

	h2FlagEndStream  = 0x1
	h2FlagAck        = 0x1
	h2FlagEndHeaders = 0x4
	h2FlagPadded     = 0x8
	h2FlagPriority   = 0x20
)

// h2state is the HTTP/2 part of an Analyzer (zero value: no HTTP/2 yet,
// a prior-knowledge preface still possible).
type h2state struct {
	no      bool // the originator cannot start with the preface now
	pre     int  // preface bytes the originator sent so far (HTTP/1 side)
	offered bool // the last request offered "Upgrade: h2c"
	acked   bool // the last response's Upgrade was h2c
	// From the upgrade request's HTTP2-Settings: what the client accepts.
	clientFrame, clientTable uint32
	c                        *h2conn
}

// h2conn is the HTTP/2 state of a connection.
type h2conn struct {
	on      [2]bool
	sides   [2]h2side
	streams []*h2stream // in creation order
	// Highest stream ids seen opened by the client (odd) and by push
	// (even): frames for lower ids not tracked belong to closed streams.
	lastID [2]uint32
}

// h2side is the frame parser of one direction.
type h2side struct {
	dead     bool
	pre      int // preface bytes matched (the originator's side); 24 when done
	hdr      [9]byte
	nhdr     int
	need     int    // payload length of the current frame
	payload  []byte // the current frame's payload, when split
	maxFrame int    // longest payload this side may send
	dec      *hpack.Decoder
	// Header block in progress: cont is its stream (0: none), target the
	// stream its fields go to (nil: decoded and dropped), reqFields whether
	// they are request fields (push promises), endStream the HEADERS
	// frame's END_STREAM flag, list the header-list size so far.
	cont      uint32
	target    *h2stream
	reqFields bool
	trailer   bool
	endStream bool
	list      int
}

// h2stream is one stream: its transaction and per-side progress.
type h2stream struct {
	id           uint32
	t            *txn
	ended        [2]bool
	hdrs         [2]bool // a final (non-1xx) header block came from that side
	hasAuthority bool
	body         [2]h2body
}

// h2body is the body of one side of a stream.
type h2body struct {
	n         uint64
	sniff     []byte
	sniffDone bool
	noSniff   bool
	enc       int
	z         *inflater
	filename  string
}

// detectH2 says Sure for the whole connection preface and Likely for a
// first piece of it.
func detectH2(dir proto.Direction, first []byte) proto.Confidence {
	if dir != proto.FromOrig || len(first) < 5 {
		return proto.No
	}
	n := min(len(first), len(h2Preface))
	if string(first[:n]) != h2Preface[:n] {
		return proto.No
	}
	if n == len(h2Preface) {
		return proto.Sure
	}
	return proto.Likely
}

// h2Route hands dir's bytes to the HTTP/2 parser when that side speaks it,
// matches the originator's bytes against the preface where one may come,
// and passes the rest to the HTTP/1 parser.
func (a *Analyzer) h2Route(dir proto.Direction, data []byte) {
	h := &a.h2
	s := &a.sides[dir]
	if h.c != nil && h.c.on[dir] {
		if s.skipLF && len(data) > 0 {
			// The LF of the HTTP/1 message's last CRLF.
			s.skipLF = false
			if data[0] == '\n' {
				data = data[1:]
			}
		}
		h.c.data(a, dir, data)
		return
	}
	if dir == proto.FromResp {
		// A server's SETTINGS before the client's preface (prior
		// knowledge, the server speaking first).
		if h.c == nil && !h.no && h.pre == 0 && a.sides[0].offset == 0 && s.offset == 0 && a.numRequests == 0 &&
			len(data) >= 9 && data[3] == h2Settings && data[5]|data[6]|data[7]|data[8] == 0 {
			a.h2Start(false)
			h.c.on[proto.FromResp] = true
			h.c.data(a, dir, data)
			return
		}
		a.data1(dir, data)
		return
	}
	if h.no || s.st != stFirst || len(s.line) != 0 {
		a.data1(dir, data)
		return
	}
	if s.skipLF && len(data) > 0 && data[0] == '\n' {
		s.skipLF = false
		data = data[1:]
	}
	n := min(len(data), len(h2Preface)-h.pre)
	if string(data[:n]) != h2Preface[h.pre:h.pre+n] {
		replay := h2Preface[:h.pre]
		h.pre, h.no = 0, true
		if len(replay) > 0 {
			a.data1(dir, []byte(replay))
		}
		a.data1(dir, data)
		return
	}
	h.pre += n
	if h.pre < len(h2Preface) {
		return
	}
	h.no = true
	a.h2Start(false)
	c := h.c
	c.on[proto.FromOrig] = true
	c.sides[proto.FromOrig].pre = len(h2Preface)
	if a.numRequests == 0 {
		c.on[proto.FromResp] = true
	}
	c.data(a, dir, data[n:])
}

// h2Start makes the connection's HTTP/2 state (once).
func (a *Analyzer) h2Start(upgrade bool) {
	a.Confirm("http")
	if a.h2.c != nil {
		return
	}
	c := &h2conn{}
	for d := range c.sides {
		sd := &c.sides[d]
		sd.maxFrame = h2DefaultFrame
		dir := proto.Direction(d)
		sd.dec = hpack.NewDecoder(h2TableSize, func(f hpack.HeaderField) { a.h2Field(dir, f) })
		sd.dec.SetMaxStringLength(H2MaxHeaderList)
	}
	c.sides[proto.FromResp].pre = len(h2Preface) // the server sends none
	if upgrade {
		if v := a.h2.clientFrame; v != 0 {
			c.sides[proto.FromResp].maxFrame = clampFrame(v)
		}
		if v := a.h2.clientTable; v != 0 {
			c.sides[proto.FromResp].dec.SetAllowedMaxDynamicTableSize(min(v, H2MaxHeaderList))
		}
	}
	a.h2.c = c
}

// h2ReqHeader looks at an HTTP/1 request header for an h2c upgrade offer.
func (a *Analyzer) h2ReqHeader(kind hdrKind, v []byte) {
	switch kind {
	case hdrUpgrade:
		a.h2.offered = false
		for _, tok := range strings.Split(string(v), ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "h2c") {
				a.h2.offered = true
			}
		}
		if a.h2.offered {
			// The preface may follow this request.
			a.h2.no, a.h2.pre = false, 0
		}
	case hdrHTTP2Settings:
		enc := strings.TrimRight(strings.TrimSpace(string(v)), "=")
		b, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil || len(b)%6 != 0 {
			return
		}
		for i := 0; i+6 <= len(b); i += 6 {
			id := uint16(b[i])<<8 | uint16(b[i+1])
			val := uint32(b[i+2])<<24 | uint32(b[i+3])<<16 | uint32(b[i+4])<<8 | uint32(b[i+5])
			switch id {
			case 1:
				a.h2.clientTable = val
			case 5:
				a.h2.clientFrame = val
			}
		}
	}
}

// h2RespUpgrade notes a response's Upgrade header value.
func (a *Analyzer) h2RespUpgrade(v []byte) {
	a.h2.acked = equalFold(firstToken(v), "h2c")
}

// h2Upgraded is called when a 101 switched the connection to another
// protocol: for h2c both sides now speak HTTP/2 and the upgrade request
// becomes stream 1.
func (a *Analyzer) h2Upgraded() {
	if !a.h2.acked || !a.h2.offered {
		return
	}
	a.h2.acked, a.h2.offered = false, false
	a.h2Start(true)
	c := a.h2.c
	c.on[proto.FromResp] = true
	if !c.on[proto.FromOrig] {
		c.on[proto.FromOrig] = true
		c.sides[proto.FromOrig].pre = a.h2.pre
		a.h2.no = true
	}
	st := a.h2NewStream(1)
	if st == nil {
		return
	}
	st.ended[proto.FromOrig] = true
	st.hdrs[proto.FromOrig] = true
	if u := a.lookup(a.curResp); u != nil {
		t := st.t
		t.ts = u.ts
		t.method, t.hasMethod = append(t.method[:0], u.method...), u.hasMethod
		t.host, t.hasHost = append(t.host[:0], u.host...), u.hasHost
		t.uri, t.hasURI = append(t.uri[:0], u.uri...), u.hasURI
		t.referrer, t.hasReferrer = append(t.referrer[:0], u.referrer...), u.hasReferrer
		t.userAgent, t.hasUA = append(t.userAgent[:0], u.userAgent...), u.hasUA
		t.origin, t.hasOrigin = append(t.origin[:0], u.origin...), u.hasOrigin
		t.username, t.hasUser = append(t.username[:0], u.username...), u.hasUser
		t.secret, t.hasSecret = append(t.secret[:0], u.secret...), u.hasSecret
		t.proxied = append(t.proxied[:0], u.proxied...)
		t.origMime = append(t.origMime[:0], u.origMime...)
		t.origFiles = append(t.origFiles[:0], u.origFiles...)
		t.reqLen = u.reqLen
	}
}

func clampFrame(v uint32) int {
	return int(max(h2DefaultFrame, min(v, H2MaxFrame)))
}

// data parses dir's bytes as HTTP/2 frames.
func (c *h2conn) data(a *Analyzer, dir proto.Direction, p []byte) {
	sd := &c.sides[dir]
	for len(p) > 0 && !sd.dead && c.on[dir] {
		if sd.pre < len(h2Preface) {
			n := min(len(p), len(h2Preface)-sd.pre)
			if string(p[:n]) != h2Preface[sd.pre:sd.pre+n] {
				sd.dead = true
				return
			}
			sd.pre += n
			p = p[n:]
			continue
		}
		if sd.nhdr < 9 {
			n := copy(sd.hdr[sd.nhdr:], p)
			sd.nhdr += n
			p = p[n:]
			if sd.nhdr < 9 {
				return
			}
			sd.need = int(sd.hdr[0])<<16 | int(sd.hdr[1])<<8 | int(sd.hdr[2])
			if sd.need > sd.maxFrame {
				sd.dead = true
				return
			}
			sd.payload = sd.payload[:0]
			if sd.need > 0 {
				continue
			}
		}
		var frame []byte
		switch {
		case sd.need == 0:
		case len(sd.payload) == 0 && len(p) >= sd.need:
			frame, p = p[:sd.need], p[sd.need:]
		default:
			n := min(len(p), sd.need-len(sd.payload))
			sd.payload = append(sd.payload, p[:n]...)
			p = p[n:]
			if len(sd.payload) < sd.need {
				return
			}
			frame = sd.payload
		}
		sd.nhdr = 0
		a.h2Frame(dir, sd.hdr[3], sd.hdr[4], uint32(sd.hdr[5]&0x7f)<<24|uint32(sd.hdr[6])<<16|uint32(sd.hdr[7])<<8|uint32(sd.hdr[8]), frame)
	}
}

// unpad strips a PADDED frame's pad length byte and padding.
func unpad(flags byte, p []byte) ([]byte, bool) {
	if flags&h2FlagPadded == 0 {
		return p, true
	}
	if len(p) < 1 || int(p[0]) > len(p)-1 {
		return nil, false
	}
	return p[1 : len(p)-int(p[0])], true
}

// h2Frame handles one whole frame from dir.
func (a *Analyzer) h2Frame(dir proto.Direction, typ, flags byte, sid uint32, p []byte) {
	c := a.h2.c
	sd := &c.sides[dir]
	if sd.cont != 0 && (typ != h2Continuation || sid != sd.cont) {
		sd.dead = true // a header block must go on with CONTINUATION
		return
	}
	switch typ {
	case h2Data:
		if sid == 0 {
			sd.dead = true
			return
		}
		body, ok := unpad(flags, p)
		if !ok {
			sd.dead = true
			return
		}
		st := c.find(sid)
		if st == nil {
			return
		}
		a.h2Body(st, dir, body)
		if flags&h2FlagEndStream != 0 {
			a.h2End(st, dir)
		}
	case h2Headers:
		if sid == 0 {
			sd.dead = true
			return
		}
		frag, ok := unpad(flags, p)
		if ok && flags&h2FlagPriority != 0 {
			if len(frag) < 5 {
				ok = false
			} else {
				frag = frag[5:]
			}
		}
		if !ok {
			sd.dead = true
			return
		}
		st := c.find(sid)
		if st == nil {
			st = a.h2NewStream(sid) // nil for a closed stream
		}
		sd.target, sd.reqFields = st, dir == proto.FromOrig
		sd.trailer = st != nil && st.hdrs[dir]
		sd.endStream = flags&h2FlagEndStream != 0
		a.h2Block(dir, sid, flags, frag)
	case h2Continuation:
		if sd.cont == 0 {
			sd.dead = true
			return
		}
		a.h2Block(dir, sid, flags, p)
	case h2PushPromise:
		frag, ok := unpad(flags, p)
		if !ok || len(frag) < 4 || dir != proto.FromResp || sid == 0 {
			sd.dead = true
			return
		}
		pid := uint32(frag[0]&0x7f)<<24 | uint32(frag[1])<<16 | uint32(frag[2])<<8 | uint32(frag[3])
		var st *h2stream
		if pid != 0 && c.find(pid) == nil {
			st = a.h2NewStream(pid)
		}
		if st != nil {
			st.ended[proto.FromOrig] = true
		}
		sd.target, sd.reqFields, sd.trailer, sd.endStream = st, true, false, false
		a.h2Block(dir, sid, flags, frag[4:])
	case h2RSTStream:
		if st := c.find(sid); st != nil {
			a.h2Finish(st)
		}
	case h2Settings:
		if flags&h2FlagAck != 0 || len(p)%6 != 0 {
			return
		}
		peer := &c.sides[dir^1]
		for i := 0; i+6 <= len(p); i += 6 {
			id := uint16(p[i])<<8 | uint16(p[i+1])
			v := uint32(p[i+2])<<24 | uint32(p[i+3])<<16 | uint32(p[i+4])<<8 | uint32(p[i+5])
			switch id {
			case 1: // SETTINGS_HEADER_TABLE_SIZE: what dir's decoder keeps
				peer.dec.SetAllowedMaxDynamicTableSize(max(h2TableSize, min(v, H2MaxHeaderList)))
			case 5: // SETTINGS_MAX_FRAME_SIZE: what dir accepts
				peer.maxFrame = clampFrame(v)
			}
		}
	}
	// PRIORITY, PING, GOAWAY, WINDOW_UPDATE and unknown types: nothing to log.
}

// h2Block feeds a header block fragment to dir's HPACK decoder.
func (a *Analyzer) h2Block(dir proto.Direction, sid uint32, flags byte, frag []byte) {
	c := a.h2.c
	sd := &c.sides[dir]
	if sd.cont == 0 {
		sd.list = 0
		sd.dec.SetEmitEnabled(true)
	}
	sd.cont = sid
	if _, err := sd.dec.Write(frag); err != nil {
		a.h2Fail()
		return
	}
	if flags&h2FlagEndHeaders == 0 {
		return
	}
	sd.cont = 0
	if err := sd.dec.Close(); err != nil {
		a.h2Fail()
		return
	}
	st := sd.target
	sd.target = nil
	if st == nil {
		return
	}
	if !sd.reqFields || dir == proto.FromOrig {
		if dir == proto.FromOrig || !(st.t.hasInfo && !st.t.hasStatus) {
			st.hdrs[dir] = true
		}
	} else {
		st.hdrs[proto.FromOrig] = true // a push promise's request
	}
	if sd.endStream {
		a.h2End(st, dir)
	}
}

// h2Fail stops HTTP/2 parsing of the connection (an HPACK error: the
// header tables are out of step).
func (a *Analyzer) h2Fail() {
	c := a.h2.c
	for d := range c.sides {
		c.sides[d].dead = true
		c.sides[d].target = nil
		c.sides[d].cont = 0
	}
}

// h2Field handles one decoded header field of dir's block in progress.
func (a *Analyzer) h2Field(dir proto.Direction, f hpack.HeaderField) {
	sd := &a.h2.c.sides[dir]
	sd.list += len(f.Name) + len(f.Value) + 32
	if sd.list > H2MaxHeaderList {
		sd.dec.SetEmitEnabled(false)
		return
	}
	st := sd.target
	if st == nil || sd.trailer {
		return
	}
	t := st.t
	name, v := f.Name, f.Value
	if sd.reqFields {
		b := &st.body[proto.FromOrig]
		switch name {
		case ":method":
			t.method, t.hasMethod = append(t.method[:0], v...), true
		case ":authority":
			t.host, t.hasHost = append(t.host[:0], v...), true
			st.hasAuthority = true
		case "host":
			if !st.hasAuthority {
				t.host, t.hasHost = append(t.host[:0], v...), true
			}
		case ":path":
			t.uri, t.hasURI = unescapeURI(t.uri[:0], []byte(v)), true
		case "referer":
			t.referrer, t.hasReferrer = append(t.referrer[:0], v...), true
		case "user-agent":
			t.userAgent, t.hasUA = append(t.userAgent[:0], v...), true
		case "origin":
			t.origin, t.hasOrigin = append(t.origin[:0], v...), true
		case "authorization", "proxy-authorization":
			a.basicAuth(t, []byte(v))
		default:
			if !h2EntityHeader(b, name, v) {
				for _, p := range proxyHeaders {
					if name == p {
						e := strings.ToUpper(name) + " -> " + v
						for _, q := range t.proxied {
							if q == e {
								return
							}
						}
						if len(t.proxied) < maxListed {
							t.proxied = append(t.proxied, e)
						}
						return
					}
				}
			}
		}
		return
	}
	b := &st.body[proto.FromResp]
	if name == ":status" {
		code := 0
		if len(v) == 3 && isDigit(v[0]) && isDigit(v[1]) && isDigit(v[2]) {
			code = int(v[0]-'0')*100 + int(v[1]-'0')*10 + int(v[2]-'0')
		}
		if code >= 100 && code <= 199 {
			t.infoCode, t.hasInfo = code, true
			t.infoMsg = t.infoMsg[:0]
		} else {
			t.status, t.hasStatus = code, true
			t.statusMsg = t.statusMsg[:0]
			if code == 206 && !b.noSniff {
				b.noSniff = true // unless Content-Range says it starts at 0
			}
		}
		return
	}
	h2EntityHeader(b, name, v)
}

// h2EntityHeader handles the headers that shape a body's count and sniff.
func h2EntityHeader(b *h2body, name, v string) bool {
	switch name {
	case "content-encoding":
		switch tok := firstToken([]byte(v)); {
		case equalFold(tok, "gzip") || equalFold(tok, "x-gzip"):
			b.enc = encGzip
		case equalFold(tok, "deflate"):
			b.enc = encDeflate
		}
	case "content-range":
		r := v
		if len(r) >= 6 && strings.EqualFold(r[:6], "bytes ") {
			r = strings.TrimLeft(r[6:], " \t")
		}
		b.noSniff = len(r) == 0 || r[0] != '0' || len(r) > 1 && isDigit(r[1])
	case "content-disposition":
		if fn, ok := dispositionFilename([]byte(v)); ok {
			b.filename = string(fn)
		}
	default:
		return false
	}
	return true
}

// find returns the tracked stream sid, or nil.
func (c *h2conn) find(sid uint32) *h2stream {
	for _, st := range c.streams {
		if st.id == sid {
			return st
		}
	}
	return nil
}

// h2NewStream starts tracking stream sid (nil for one closed already),
// logging the oldest stream when H2MaxStreams are tracked.
func (a *Analyzer) h2NewStream(sid uint32) *h2stream {
	c := a.h2.c
	k := sid&1 ^ 1 // 0: client-initiated (odd), 1: pushed (even)
	if sid <= c.lastID[k] {
		return nil
	}
	c.lastID[k] = sid
	if len(c.streams) >= H2MaxStreams {
		a.h2Finish(c.streams[0])
	}
	var t *txn
	if n := len(a.free); n > 0 {
		t = a.free[n-1]
		a.free = a.free[:n-1]
		t.reset()
	} else {
		t = &txn{}
	}
	t.ts = a.now
	a.transDepth++
	t.depth = a.transDepth
	t.version, t.hasVersion = append(t.version[:0], '2'), true
	st := &h2stream{id: sid, t: t}
	c.streams = append(c.streams, st)
	return st
}

// h2Body counts and sniffs body bytes of one side of a stream.
func (a *Analyzer) h2Body(st *h2stream, dir proto.Direction, p []byte) {
	b := &st.body[dir]
	if len(p) == 0 || st.ended[dir] {
		return
	}
	if b.enc != encNone && b.z == nil {
		if b.z = newInflater(b.enc, SniffLen); b.z == nil {
			b.enc = encNone
		}
	}
	if b.enc != encNone {
		b.z.Write(p)
		return
	}
	b.n += uint64(len(p))
	if !b.sniffDone && len(b.sniff) < SniffLen {
		b.sniff = append(b.sniff, p[:min(len(p), SniffLen-len(b.sniff))]...)
	}
}

// h2End marks dir's side of st ended; a stream ended by both is logged.
func (a *Analyzer) h2End(st *h2stream, dir proto.Direction) {
	st.ended[dir] = true
	if st.ended[0] && st.ended[1] {
		a.h2Finish(st)
	}
}

// h2Finish logs st and stops tracking it.
func (a *Analyzer) h2Finish(st *h2stream) {
	c := a.h2.c
	t := st.t
	for d := proto.Direction(0); d < 2; d++ {
		b := &st.body[d]
		if b.z != nil {
			n, sn := b.z.Close()
			b.z = nil
			b.n = n
			b.sniff = append(b.sniff[:0], sn...)
		}
		mime := ""
		if !b.noSniff && len(b.sniff) > 0 {
			mime = Sniff(b.sniff)
		}
		if d == proto.FromOrig {
			t.reqLen += b.n
			if b.filename != "" {
				t.origFiles = append(t.origFiles, b.filename)
			}
			if mime != "" {
				t.origMime = append(t.origMime, mime)
			}
		} else {
			t.respLen = b.n
			if b.filename != "" {
				t.respFiles = append(t.respFiles, b.filename)
			}
			if mime != "" {
				t.respMime = append(t.respMime, mime)
			}
		}
	}
	a.write(t)
	a.release(t)
	for i, s := range c.streams {
		if s == st {
			copy(c.streams[i:], c.streams[i+1:])
			c.streams[len(c.streams)-1] = nil
			c.streams = c.streams[:len(c.streams)-1]
			break
		}
	}
	for d := range c.sides {
		if c.sides[d].target == st {
			c.sides[d].target = nil
		}
	}
}

// h2Gap: a gap in an HTTP/2 side loses its framing and header table.
func (a *Analyzer) h2Gap(dir proto.Direction) bool {
	if c := a.h2.c; c != nil && c.on[dir] {
		c.sides[dir].dead = true
		return true
	}
	return false
}

// h2EndAll logs every stream still tracked (at End).
func (a *Analyzer) h2EndAll() {
	c := a.h2.c
	if c == nil {
		return
	}
	for len(c.streams) > 0 {
		a.h2Finish(c.streams[0])
	}
	c.on = [2]bool{}
}
