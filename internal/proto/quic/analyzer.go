// Package quic analyzes QUIC (v1, v2, drafts) over UDP and writes
// Zeek-compatible quic.log records, with the client's JA4 fingerprint.
//
// Each datagram is walked packet by packet as Zeek's QUIC analyzer does
// (coalesced long-header packets; a short-header packet, a Retry or a
// packet without the fixed bit takes the rest of the datagram). Initial
// packets are unprotected with the keys derived from the Destination
// Connection ID of the client's first Initial (RFC 9001 §5.2, RFC 9369 for
// v2); their CRYPTO frames are reassembled per direction until the first
// handshake message (the ClientHello or ServerHello) is complete, which is
// then parsed with the tls package for server_name, client_protocol and JA4.
// Handshake, 0-RTT, Retry, short-header packets and other versions are
// recognised and counted into the history, never decrypted.
//
// Following Zeek, a record is written when a Retry, a CONNECTION_CLOSE in an
// Initial or an unhandled version ends it (a new one may start after), and
// otherwise when the connection ends. A protocol violation (a malformed
// packet, an Initial that does not decrypt, an unexpected frame) stops the
// datagram and disables the analyzer while the connection has carried at
// most 10 KiB (Zeek's DPD::ignore_violations_after).
//
// Bounds: CRYPTO reassembly of at most maxCrypto bytes and maxSpans
// out-of-order pieces per direction, 100 history letters, a scratch buffer
// of one datagram.
package quic

import (
	"encoding/hex"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/tls"
	"github.com/vigil-nsm/vigil/internal/record"
)

const (
	// maxCrypto bounds one direction's CRYPTO reassembly buffer.
	maxCrypto = 64 << 10
	// maxHello is the largest handshake message accepted (RFC 8446:
	// 2^14+256, as Zeek's CryptoSinkUnit requires), plus its header.
	maxHello = 1<<14 + 256 + 4
	// maxSpans bounds the out-of-order pieces held per direction.
	maxSpans = 64
	// maxHistory is Zeek's QUIC::max_history_length.
	maxHistory = 100
	// maxDiscardedEvents is Zeek's QUIC::max_discarded_packet_events.
	maxDiscardedEvents = 100
	// ignoreViolationsAfter is Zeek's DPD::ignore_violations_after.
	ignoreViolationsAfter = 10 * 1024
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "quic",
		Transports: []uint8{17},
		Ports:      []uint16{443, 853, 784},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Sure for a long-header packet with the fixed bit and a version
// Zeek's analyzer handles, Maybe for other UDP to 443, 853 or 784 (Zeek's
// QUIC ports).
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 {
		return proto.No
	}
	if len(first) >= 7 && first[0]&0xc0 == 0xc0 {
		v := uint32(first[1])<<24 | uint32(first[2])<<16 | uint32(first[3])<<8 | uint32(first[4])
		if Known(v) && int(first[5]) <= 20 {
			return proto.Sure
		}
	}
	switch respPort {
	case 443, 853, 784:
		return proto.Maybe
	}
	return proto.No
}

// info is one quic.log record being built (Zeek's c$quic).
type info struct {
	ts       int64
	version  uint32
	dcid     []byte
	hasDCID  bool
	cscid    []byte
	hasCSCID bool
	sscid    []byte
	hasSSCID bool
	sni      string
	hasSNI   bool
	alpn     string
	hasALPN  bool
	ja4      string
	history  []byte
}

// side is one direction's CRYPTO reassembly (Zeek's CryptoSinkUnit).
type side struct {
	buf      []byte
	spans    [][2]int // received [start, end) pieces, sorted and merged
	msgLen   int      // the first handshake message's length with its header; 0 unknown
	finished bool     // the message was complete and handed on
	broken   bool     // gave up (bounds)
	keys     *Keys
}

// Analyzer is one UDP connection's QUIC state.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	rec *info

	initialDCID []byte // the client DCID the Initial keys derive from; nil unset
	version     uint32 // version the keys were derived for
	client      side
	server      side
	cidLen      int // Zeek's context.client_cid_len

	totalDecrypted uint64
	totalDiscarded uint64
	shortTotal     [2]uint64
	shortNext      [2]uint64

	bytes        int // payload bytes seen, both directions
	disabled     bool
	confirmed    bool
	sslConfirmed bool

	scratch []byte
	line    []byte
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out, shortNext: [2]uint64{1, 1}}
}

// Service is "quic" once an Initial packet decrypted (Zeek confirms the
// analyzer then), "quic,ssl" once a hello in it parsed (Zeek's SSL
// analyzer, fed the CRYPTO data, confirms too).
func (a *Analyzer) Service() string {
	switch {
	case a.sslConfirmed:
		return "quic,ssl"
	case a.confirmed:
		return "quic"
	}
	return ""
}

// Gap does nothing: UDP has no stream gaps.
func (a *Analyzer) Gap(proto.Direction, int) {}

// End writes the pending record.
func (a *Analyzer) End(ts int64) {
	if a.rec != nil {
		a.log()
	}
}

// Data parses one datagram.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if a.disabled {
		return
	}
	a.bytes += len(data)
	if !a.datagram(dir, ts, data) {
		// A protocol violation: Zeek disables the analyzer unless the
		// connection is already past DPD::ignore_violations_after.
		if a.bytes <= ignoreViolationsAfter {
			a.disabled = true
			a.client = side{}
			a.server = side{}
			a.scratch = nil
		}
	}
}

// datagram walks the packets of one datagram; false on a violation.
func (a *Analyzer) datagram(dir proto.Direction, ts int64, b []byte) bool {
	orig := dir == proto.FromOrig
	for len(b) > 0 {
		if b[0]&0x40 == 0 {
			// Fixed bit clear: discarded, with the rest of the datagram.
			a.totalDiscarded++
			if a.totalDecrypted > 0 && a.totalDiscarded <= maxDiscardedEvents && a.rec != nil {
				a.history(orig, 'X')
			}
			return true
		}
		if b[0]&0x80 == 0 {
			return a.short(dir, b)
		}
		h, err := ParseLongHeader(b)
		if err != nil {
			return false
		}
		if !Known(h.Version) {
			if a.rec == nil {
				a.session(orig, ts, &h)
			}
			a.history(orig, 'U')
			a.log()
			return false
		}
		switch h.Type {
		case TypeRetry:
			if a.rec == nil {
				a.session(orig, ts, &h)
			}
			a.history(orig, 'R')
			a.log()
			// Reset the crypto state: the client's next Initial picks the
			// DCID the keys derive from.
			a.client, a.server = side{}, side{}
			a.initialDCID = nil
			return true
		case TypeHandshake:
			a.session(orig, ts, &h)
			a.history(orig, 'H')
		case TypeZeroRTT:
			a.session(orig, ts, &h)
			a.history(orig, 'Z')
		case TypeInitial:
			a.session(orig, ts, &h)
			a.history(orig, 'I')
			if !a.initial(orig, &h, b[:h.Size]) {
				return false
			}
		}
		b = b[h.Size:]
	}
	return true
}

// short handles a short-header packet (the rest of the datagram): Zeek's
// binary-logarithmic 'O' letters.
func (a *Analyzer) short(dir proto.Direction, b []byte) bool {
	if len(b) < 1+a.cidLen {
		return false
	}
	d := int(dir & 1)
	a.shortTotal[d]++
	if a.shortTotal[d] == a.shortNext[d] {
		a.shortNext[d] *= 2
		if a.rec != nil {
			a.history(dir == proto.FromOrig, 'O')
		}
	}
	return true
}

// session is Zeek's set_session: start a record and note connection IDs.
func (a *Analyzer) session(orig bool, ts int64, h *LongHeader) {
	r := a.rec
	if r == nil {
		r = &info{ts: ts, version: h.Version}
		a.rec = r
	}
	if orig && len(h.DCID) > 0 && !r.hasDCID {
		r.dcid = append(r.dcid[:0], h.DCID...)
		r.hasDCID = true
	}
	if orig {
		r.cscid = append(r.cscid[:0], h.SCID...)
		r.hasCSCID = true
	} else {
		r.sscid = append(r.sscid[:0], h.SCID...)
		r.hasSSCID = true
	}
}

func (a *Analyzer) history(orig bool, c byte) {
	r := a.rec
	if r == nil || len(r.history) >= maxHistory {
		return
	}
	if !orig {
		c |= 0x20 // lower case
	}
	r.history = append(r.history, c)
}

// initial decrypts an Initial packet when Zeek would (the direction's first
// handshake message is not complete yet; the server's only once the
// client's DCID is known) and parses its frames; false on a violation.
func (a *Analyzer) initial(orig bool, h *LongHeader, pkt []byte) bool {
	s := &a.server
	if orig {
		s = &a.client
	}
	if s.finished || (!orig && a.initialDCID == nil) {
		return true
	}
	if orig {
		a.cidLen = len(h.SCID)
		if a.initialDCID == nil {
			a.initialDCID = append([]byte(nil), h.DCID...)
			a.version = h.Version
		}
	} else {
		a.cidLen = len(h.DCID)
	}
	if s.keys == nil || a.version != h.Version {
		a.version = h.Version
		a.client.keys, a.server.keys = nil, nil
		s.keys = InitialKeys(h.Version, a.initialDCID, !orig)
	}
	_, plain, scratch, err := s.keys.Open(a.scratch, pkt, h.PNOffset)
	a.scratch = scratch
	if err != nil {
		return false
	}
	a.confirmed = true
	a.totalDecrypted++
	return a.frames(orig, s, plain)
}

// frames parses an Initial packet's frames as Zeek does: PADDING, PING,
// ACK, CRYPTO and CONNECTION_CLOSE; any other frame is a violation.
func (a *Analyzer) frames(orig bool, s *side, p []byte) bool {
	for len(p) > 0 {
		t := p[0]
		p = p[1:]
		switch t {
		case 0x00:
			for len(p) > 0 && p[0] == 0 {
				p = p[1:]
			}
		case 0x01:
		case 0x02, 0x03:
			var v [4]uint64
			for i := range v {
				x, n := Varint(p)
				if n == 0 {
					return false
				}
				v[i] = x
				p = p[n:]
			}
			for i := uint64(0); i < v[2]; i++ {
				for j := 0; j < 2; j++ {
					_, n := Varint(p)
					if n == 0 {
						return false
					}
					p = p[n:]
				}
			}
			if t == 0x03 {
				for j := 0; j < 3; j++ {
					_, n := Varint(p)
					if n == 0 {
						return false
					}
					p = p[n:]
				}
			}
		case 0x06:
			off, n := Varint(p)
			if n == 0 {
				return false
			}
			p = p[n:]
			l, n := Varint(p)
			if n == 0 || l > uint64(len(p)-n) {
				return false
			}
			p = p[n:]
			a.crypto(orig, s, off, p[:l])
			p = p[l:]
		case 0x1c:
			for j := 0; j < 2; j++ { // error code, frame type
				_, n := Varint(p)
				if n == 0 {
					return false
				}
				p = p[n:]
			}
			l, n := Varint(p)
			if n == 0 || l > uint64(len(p)-n) {
				return false
			}
			p = p[n+int(l):]
			if a.rec != nil {
				a.history(orig, 'C')
				a.log()
			}
		default:
			return false
		}
	}
	return true
}

// crypto adds one CRYPTO frame's data at off to the direction's
// reassembly and hands the first handshake message on once complete.
func (a *Analyzer) crypto(orig bool, s *side, off uint64, d []byte) {
	if s.finished || s.broken || len(d) == 0 {
		return
	}
	if off >= maxCrypto {
		return
	}
	end := off + uint64(len(d))
	if end > maxCrypto {
		d = d[:maxCrypto-off]
		end = maxCrypto
	}
	start, stop := int(off), int(end)
	if len(s.buf) < stop {
		if cap(s.buf) >= stop {
			s.buf = s.buf[:stop]
		} else {
			nb := make([]byte, stop, max(stop, 2*cap(s.buf)))
			copy(nb, s.buf)
			s.buf = nb
		}
	}
	copy(s.buf[start:stop], d)
	if !s.addSpan(start, stop) {
		s.broken = true
		s.buf = nil
		return
	}
	contig := 0
	if len(s.spans) > 0 && s.spans[0][0] == 0 {
		contig = s.spans[0][1]
	}
	if s.msgLen == 0 && contig >= 4 {
		s.msgLen = 4 + (int(s.buf[1])<<16 | int(s.buf[2])<<8 | int(s.buf[3]))
		if s.msgLen > maxHello {
			s.broken = true
			s.buf = nil
			return
		}
	}
	if s.msgLen == 0 || contig < s.msgLen {
		return
	}
	s.finished = true
	a.hello(orig, s.buf[0], s.buf[4:s.msgLen])
	s.buf, s.spans = nil, nil
}

// addSpan merges [start, stop) into the sorted span list; false when the
// list would exceed maxSpans.
func (s *side) addSpan(start, stop int) bool {
	out := s.spans[:0:0]
	placed := false
	for _, sp := range s.spans {
		switch {
		case sp[1] < start:
			out = append(out, sp)
		case sp[0] > stop:
			if !placed {
				out = append(out, [2]int{start, stop})
				placed = true
			}
			out = append(out, sp)
		default:
			start, stop = min(start, sp[0]), max(stop, sp[1])
		}
	}
	if !placed {
		out = append(out, [2]int{start, stop})
	}
	s.spans = out
	return len(out) <= maxSpans
}

// hello handles the first handshake message of a direction as Zeek's SSL
// analyzer would report it.
func (a *Analyzer) hello(orig bool, typ byte, body []byte) {
	switch typ {
	case 1:
		ch, err := tls.ParseClientHello(body)
		if err != nil {
			return
		}
		a.sslConfirmed = true
		a.history(true, 'S')
		if r := a.rec; r != nil && orig {
			if sn := ch.ServerName(); sn != "" {
				r.sni, r.hasSNI = sn, true
			}
			if len(ch.ALPN) > 0 {
				r.alpn, r.hasALPN = ch.ALPN[0], true
			}
			r.ja4 = tls.JA4(ch, tls.JA4QUIC)
		}
	case 2:
		if _, err := tls.ParseServerHello(body); err != nil {
			return
		}
		a.sslConfirmed = true
		a.history(false, 'S')
	}
}

// log writes the pending record and forgets it.
func (a *Analyzer) log() {
	r := a.rec
	if r == nil {
		return
	}
	a.rec = nil
	a.line = a.appendJSON(a.line[:0], r)
	a.out.Record("quic", a.line)
}

func (a *Analyzer) appendJSON(dst []byte, r *info) []byte {
	ci := a.ci
	dst = proto.AppendConnHeader(dst, r.ts, ci)
	dst = append(dst, `,"version":`...)
	dst = record.AppendString(dst, VersionName(r.version))
	dst = appendHex(dst, `,"client_initial_dcid":"`, r.dcid, r.hasDCID)
	dst = appendHex(dst, `,"client_scid":"`, r.cscid, r.hasCSCID)
	dst = appendHex(dst, `,"server_scid":"`, r.sscid, r.hasSSCID)
	if r.hasSNI {
		dst = append(dst, `,"server_name":`...)
		dst = record.AppendString(dst, r.sni)
	}
	if r.hasALPN {
		dst = append(dst, `,"client_protocol":`...)
		dst = record.AppendString(dst, r.alpn)
	}
	dst = append(dst, `,"history":`...)
	dst = record.AppendString(dst, string(r.history))
	if r.ja4 != "" {
		dst = append(dst, `,"ja4":`...)
		dst = record.AppendString(dst, r.ja4)
	}
	return append(dst, '}')
}

func appendHex(dst []byte, key string, b []byte, ok bool) []byte {
	if !ok {
		return dst
	}
	dst = append(dst, key...)
	dst = hex.AppendEncode(dst, b)
	return append(dst, '"')
}
