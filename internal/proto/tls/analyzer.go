// Package tls analyzes TLS (and SSLv2-compatible) handshakes over TCP, and
// DTLS 1.0/1.2 handshakes over UDP (dtls.go), and writes Zeek-compatible
// ssl.log and x509.log records, with the JA3, JA3S and JA4 fingerprints.
//
// The record layer of each side is parsed from the reassembled stream:
// records may be split across Data calls, and handshake messages across
// records. Parsing follows Zeek's model: each side is "clear" until it sends
// ChangeCipherSpec (once TLS 1.3 is negotiated, or a HelloRetryRequest
// seen, application data: a ChangeCipherSpec is then the compatibility
// record of RFC 8446 D.4 and the hellos that follow are parsed); a
// record from an encrypted side is ciphertext, and the first ciphertext
// record after both sides are encrypted establishes the session, at which
// point the record is written and the analyzer stops looking at the
// connection. A protocol violation also writes the record and stops.
//
// Bounds: a partial record (at most 5+18432 bytes) per side, a handshake
// reassembly buffer of 64 KiB per side (larger messages are skipped; a
// Certificate message is streamed) except for the client's hello, gathered
// whole up to 128 KiB (131396 bytes, OpenSSL's limit), at most
// maxCerts certificates per side, and 100 ssl_history letters.
//
// ClientHello parsing and the fingerprints are exported (ParseClientHello,
// JA3, JA4) so that a QUIC analyzer can reuse them on CRYPTO frames.
package tls

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

const (
	maxRecordLen    = 16384 + 2048 // TLSCiphertext bound
	maxHandshakeBuf = 64 << 10
	// maxClientHelloBuf is OpenSSL's CLIENT_HELLO_MAX_LENGTH: a client's
	// hello up to this size is gathered whole (a server accepts it, so a
	// padded hello must not escape SNI logging and fingerprinting).
	maxClientHelloBuf = 131396
	maxCerts          = 10
	maxHistory        = 100
	historyCap        = 32 // room for a usual handshake's letters
)

// Record content types.
const (
	ctChangeCipherSpec = 20
	ctAlert            = 21
	ctHandshake        = 22
	ctApplicationData  = 23
	ctHeartbeat        = 24
)

// Handshake message types.
const (
	hsClientHello       = 1
	hsServerHello       = 2
	hsCertificate       = 11
	hsServerKeyExchange = 12
	hsClientKeyExchange = 16
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "ssl",
		Transports: []uint8{6},
		Ports:      []uint16{443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5223, 8443},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect recognizes a TLS handshake record carrying a ClientHello (Sure), a
// ServerHello (Likely) or an SSLv2-compatible ClientHello (Likely).
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 || len(first) < 5 {
		return proto.No
	}
	if first[0] == ctHandshake && first[1] == 3 && first[2] <= 4 {
		n := int(first[3])<<8 | int(first[4])
		if n < 4 || n > maxRecordLen {
			return proto.No
		}
		if len(first) < 6 {
			return proto.Maybe
		}
		switch {
		case first[5] == hsClientHello && dir == proto.FromOrig:
			return proto.Sure
		case first[5] == hsServerHello && dir == proto.FromResp:
			return proto.Likely
		}
		return proto.No
	}
	if dir == proto.FromOrig && first[0]&0x80 != 0 && first[2] == 1 && len(first) >= 5 &&
		(first[3] == 0 && first[4] == 2 || first[3] == 3 && first[4] <= 3) {
		return proto.Likely
	}
	return proto.No
}

type side struct {
	buf       []byte      // partial record (header included)
	hs        []byte      // handshake reassembly
	hsSkip    int         // bytes of an oversized handshake message still to skip
	cs        *certStream // set while an oversized Certificate message streams by
	encrypted bool
	// skip counts the body bytes of an encrypted record still to pass
	// over: only its header (hdr) is kept, its body is never read.
	skip      int
	hdr       [5]byte
	fps       []string // SHA-256 fingerprints of the certificates, in order
	sha1s     []string // their SHA-1 fingerprints
	first     *Cert    // the first certificate, described
	certsSeen bool
	dtlsSide
}

// Analyzer is the per-connection TLS analyzer.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink

	s       [2]side
	done    bool // stopped parsing (established, violation or End)
	logged  bool
	started bool
	ts      int64 // first SSL event
	curTS   int64

	recordVersion uint16 // record-layer version fixed by the first v3 record
	versionNum    uint16
	hasVersion    bool
	cipher        string
	curve         string
	serverName    string
	sessionID     []byte
	resumed       bool
	lastAlert     string
	nextProtocol  string
	established   bool
	history       []byte

	clientTicketEmptySession bool
	clientKeyExchangeSeen    bool
	clientPSKSeen            bool
	hrrSeen                  bool
	proto.Named              // conn.log service, once confirmed

	ja3, ja3s, ja4 string
	dtls           bool // DTLS over UDP (NewDTLS), kept across Reuse

	line []byte
	// hello and serverHello are where the hellos are parsed, their lists'
	// arrays reused from one handshake (and connection) to the next.
	hello       ClientHello
	serverHello ServerHello
	// memo keeps the fingerprints of the last client hello, across Reuse.
	memo jaMemo
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// maxReusedBuf bounds each record or handshake buffer an analyzer keeps
// when it is reused.
const maxReusedBuf = 4096

// Reuse implements proto.Reuser: the analyzer, ended, becomes what New
// returns for ci and out, keeping its record, handshake, history and line
// buffers, and its memo of the last client hello's fingerprints.
func (a *Analyzer) Reuse(ci *proto.ConnInfo, out proto.Sink) {
	var s [2]side
	for i := range s {
		s[i].buf = reuseBuf(a.s[i].buf)
		s[i].hs = reuseBuf(a.s[i].hs)
	}
	a.hello.forgetNames()
	a.serverHello.forgetNames()
	*a = Analyzer{ci: ci, out: out, s: s, history: proto.ReuseBuf(a.history, 2*maxHistory),
		line: record.ReuseLine(a.line), sessionID: a.sessionID[:0], hello: a.hello, serverHello: a.serverHello, memo: a.memo,
		dtls: a.dtls}
}

// Gap implements proto.Analyzer: a hole in a side's stream loses record
// synchronization, so parsing of the connection stops.
// Finished implements proto.Finisher: after the handshake (or a protocol
// violation) nothing more is parsed.
func (a *Analyzer) Finished() bool { return a.done }

func (a *Analyzer) Gap(dir proto.Direction, n int) {
	if n > 0 && !a.done {
		a.stop()
	}
}

// End implements proto.Analyzer.
func (a *Analyzer) End(ts int64) {
	a.done = true
	a.flush()
	a.dropBufs()
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if a.done || dir > 1 {
		return
	}
	a.curTS = ts
	if a.dtls {
		a.datagram(dir, data)
	} else {
		a.stream(dir, data)
	}
	if a.done {
		// Logged (done and flush go together): the gathering buffers
		// go now that nothing of this call reads them.
		a.dropBufs()
	}
}

// stream parses the bytes of one side of a TLS (not DTLS) connection.
func (a *Analyzer) stream(dir proto.Direction, data []byte) {
	s := &a.s[dir]
	isOrig := dir == proto.FromOrig
	for len(data) > 0 && !a.done {
		if s.skip > 0 {
			take := min(s.skip, len(data))
			s.skip -= take
			data = data[take:]
			if s.skip == 0 {
				a.record(dir, s.hdr[:])
			}
			continue
		}
		if len(s.buf) == 0 {
			// Fast path: whole records straight from data.
			n, need := recordSpan(data, isOrig)
			if n < 0 {
				a.stop()
				return
			}
			if need == 0 {
				a.record(dir, data[:n])
				data = data[n:]
				continue
			}
			if len(data) >= 5 {
				// The header is in hand.
				if s.encrypted {
					// The record counts, its bytes are not read.
					copy(s.hdr[:], data)
					s.skip = need
					return
				}
				if cap(s.buf) < n {
					// A record to gather: room for it at once.
					s.buf = gatherBuf(n)
				}
			}
		}
		// Buffer: first the header, then the rest of the record.
		if len(s.buf) < 5 {
			take := min(5-len(s.buf), len(data))
			s.buf = append(s.buf, data[:take]...)
			data = data[take:]
			if n, _ := recordSpan(s.buf, isOrig); n < 0 {
				a.stop()
				return
			}
			if len(s.buf) < 5 {
				return
			}
		}
		n, need := recordSpan(s.buf, isOrig)
		if n < 0 {
			a.stop()
			return
		}
		if need > 0 && s.encrypted && len(s.buf) == 5 {
			// Encrypted: the record counts, its bytes are not read.
			copy(s.hdr[:], s.buf)
			s.buf, s.skip = s.buf[:0], need
			continue
		}
		if need > 0 {
			take := min(need, len(data))
			s.buf = append(s.buf, data[:take]...)
			data = data[take:]
			if take < need {
				return
			}
		}
		a.record(dir, s.buf)
		if s.buf != nil {
			s.buf = s.buf[:0]
		}
	}
}

// recordSpan returns the total length of the record starting at b and how
// many bytes are still missing (0 when b holds it all); n is -1 when the
// header is not a TLS or SSLv2 record header, and 5 with need > 0 while the
// header itself is incomplete.
func recordSpan(b []byte, isOrig bool) (n, need int) {
	if len(b) < 5 {
		if len(b) >= 1 && b[0]&0x80 == 0 && (b[0] < 20 || b[0] > 30) {
			return -1, 0
		}
		return 5, 5 - len(b)
	}
	if b[0]&0x80 != 0 {
		// SSLv2 two-byte header; only the client hello is handled.
		if !isOrig || b[2] != 1 {
			return -1, 0
		}
		n = 2 + (int(b[0]&0x7f)<<8 | int(b[1]))
		if n < 5 {
			return -1, 0
		}
	} else {
		if b[0] < 20 || b[0] > 30 {
			return -1, 0
		}
		l := int(b[3])<<8 | int(b[4])
		if l > maxRecordLen {
			return -1, 0
		}
		n = 5 + l
	}
	if len(b) >= n {
		return n, 0
	}
	return n, n - len(b)
}

func (a *Analyzer) session() {
	if !a.started {
		a.started = true
		a.ts = a.curTS
	}
}

func (a *Analyzer) addHistory(isOrig bool, c byte) {
	if len(a.history) >= maxHistory {
		return
	}
	if isOrig {
		c -= 'a' - 'A'
	}
	if a.history == nil {
		a.history = make([]byte, 0, historyCap)
	}
	a.history = append(a.history, c)
}

// stop ends parsing after a protocol violation and writes the record.
func (a *Analyzer) stop() {
	a.done = true
	a.flush()
}

// negotiatedTLS13 mirrors Zeek: anything other than SSLv2 … TLS 1.2 counts
// as TLS 1.3 (drafts and experiments included), also before a ServerHello.
func (a *Analyzer) negotiatedTLS13() bool {
	switch a.versionNum {
	case 0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0xfeff, 0xfefd:
		return false
	}
	return true
}

func (a *Analyzer) record(dir proto.Direction, rec []byte) {
	if rec[0]&0x80 != 0 {
		// SSLv2 client hello: [len2][type=1][body].
		if a.recordVersion != 0 || len(rec) < 3 {
			a.stop()
			return
		}
		ch, err := parseV2ClientHello(rec[3:])
		if err != nil || !(ch.Version == 2 || ch.Version>>8 == 3 && ch.Version <= 0x0303) {
			a.stop()
			return
		}
		a.session()
		a.addHistory(true, 'c')
		a.clientHello(ch)
		return
	}
	ver := uint16(rec[1])<<8 | uint16(rec[2])
	if ver < 0x0300 || ver > 0x0303 {
		a.stop()
		return
	}
	if a.recordVersion == 0 {
		a.recordVersion = ver
	}
	a.content(dir, rec[0], rec[5:])
}

// content handles the body of one record of type typ from dir (TLS or
// DTLS: the record layer's header is gone).
func (a *Analyzer) content(dir proto.Direction, typ byte, body []byte) {
	isOrig := dir == proto.FromOrig
	s := &a.s[dir]
	a.session()
	if !s.encrypted && typ == ctApplicationData && a.negotiatedTLS13() {
		s.encrypted = true
	}
	if s.encrypted {
		if a.s[0].encrypted && a.s[1].encrypted && !a.established {
			a.established = true
			a.done = true
			a.flush()
		}
		return
	}
	switch typ {
	case ctChangeCipherSpec:
		a.addHistory(isOrig, 'i')
		// In TLS 1.3 a ChangeCipherSpec is only the middlebox-compatibility
		// record (RFC 8446 D.4): after a HelloRetryRequest the second
		// ClientHello and the ServerHello follow in clear. Encryption then
		// starts with the first application data record, as above.
		s.encrypted = !(a.hasVersion && a.negotiatedTLS13())
		if isOrig && a.clientTicketEmptySession && !a.clientKeyExchangeSeen {
			a.resumed = true
		}
	case ctAlert:
		for len(body) >= 2 {
			a.addHistory(isOrig, 'l')
			a.lastAlert = AlertName(body[1])
			body = body[2:]
		}
	case ctHandshake:
		if a.dtls {
			a.dtlsHandshake(dir, body)
		} else {
			a.handshakeData(dir, body)
		}
	case ctHeartbeat:
		a.addHistory(isOrig, 'b')
	case ctApplicationData:
		// Plaintext application data before encryption: Zeek only weirds.
	default:
		a.stop()
	}
}

func (a *Analyzer) handshakeData(dir proto.Direction, b []byte) {
	s := &a.s[dir]
	if s.hsSkip > 0 {
		k := min(s.hsSkip, len(b))
		if s.cs != nil {
			a.certBytes(dir, s.cs, b[:k])
		}
		s.hsSkip -= k
		b = b[k:]
		if s.hsSkip == 0 {
			s.cs = nil
		}
	}
	if len(s.hs) == 0 {
		// Fast path: complete messages in this record.
		for len(b) >= 4 && !a.done {
			l := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
			if 4+l > len(b) {
				break
			}
			a.handshake(dir, b[0], b[4:4+l])
			b = b[4+l:]
		}
		if len(b) == 0 || a.done {
			return
		}
		if len(b) >= 4 {
			l := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
			if 4+l > handshakeLimit(dir, b[0]) {
				// Oversized message: note its type, skip its bytes.
				a.handshakeTooLarge(dir, b[0], l, b[4:])
				s.hsSkip = 4 + l - len(b)
				return
			}
			if cap(s.hs) < 4+l {
				// Room for the whole message at once.
				s.hs = gatherBuf(4 + l)
			}
		}
	}
	s.hs = append(s.hs, b...)
	for len(s.hs) >= 4 && !a.done {
		l := int(s.hs[1])<<16 | int(s.hs[2])<<8 | int(s.hs[3])
		if 4+l > handshakeLimit(dir, s.hs[0]) {
			a.handshakeTooLarge(dir, s.hs[0], l, s.hs[4:])
			s.hsSkip = 4 + l - len(s.hs)
			s.hs = s.hs[:0]
			return
		}
		if 4+l > len(s.hs) {
			return
		}
		a.handshake(dir, s.hs[0], s.hs[4:4+l])
		if a.done {
			// It stopped the analyzer: the handshake is logged and its
			// buffers given back (flush), s.hs among them.
			return
		}
		rest := copy(s.hs, s.hs[4+l:])
		s.hs = s.hs[:rest]
	}
}

// handshakeLimit is the largest handshake message of type typ from dir that
// is gathered whole: maxClientHelloBuf for a client's hello, else
// maxHandshakeBuf.
func handshakeLimit(dir proto.Direction, typ byte) int {
	if typ == hsClientHello && dir == proto.FromOrig {
		return maxClientHelloBuf
	}
	return maxHandshakeBuf
}

// handshakeTooLarge handles a handshake message too large to buffer: a
// Certificate message is streamed (each certificate hashed in full, its
// first maxCertPrefix bytes described); others are skipped.
func (a *Analyzer) handshakeTooLarge(dir proto.Direction, typ byte, length int, part []byte) {
	if typ == hsCertificate {
		s := &a.s[dir]
		s.cs = a.newCertStream(dir)
		a.certBytes(dir, s.cs, part)
	}
	a.addHistory(dir == proto.FromOrig, historyLetter(typ, false))
}

func historyLetter(typ byte, hrr bool) byte {
	switch typ {
	case 0:
		return 'h'
	case 1:
		return 'c'
	case 2:
		if hrr {
			return 'j'
		}
		return 's'
	case 3:
		return 'v'
	case 4:
		return 't'
	case 5:
		return 'e'
	case 6:
		return 'j'
	case 8:
		return 'o'
	case 11:
		return 'x'
	case 12:
		return 'k'
	case 13:
		return 'r'
	case 14:
		return 'n'
	case 15:
		return 'y'
	case 16:
		return 'g'
	case 20:
		return 'f'
	case 21:
		return 'w'
	case 22:
		return 'u'
	case 23:
		return 'a'
	case 24:
		return 'p'
	case 254:
		return 'm'
	}
	return 'z'
}

func (a *Analyzer) handshake(dir proto.Direction, typ byte, body []byte) {
	isOrig := dir == proto.FromOrig
	switch typ {
	case hsClientHello:
		if !isOrig {
			break
		}
		if err := a.hello.parse(body); err != nil {
			a.addHistory(isOrig, 'c')
			a.stop()
			return
		}
		a.clientHello(&a.hello)
	case hsServerHello:
		if isOrig {
			break
		}
		if err := a.serverHello.parse(body); err != nil {
			a.addHistory(isOrig, 's')
			a.stop()
			return
		}
		a.onServerHello(&a.serverHello)
	case hsCertificate:
		a.certificate(dir, body)
	case hsServerKeyExchange:
		if !isOrig && strings.Contains(a.cipher, "ECDH") && len(body) >= 3 && body[0] == 3 {
			a.curve = GroupName(uint16(body[1])<<8 | uint16(body[2]))
		}
	case hsClientKeyExchange:
		if isOrig {
			a.clientKeyExchangeSeen = true
		}
	}
	a.addHistory(isOrig, historyLetter(typ, typ == hsServerHello && a.takeHRR()))
}

func (a *Analyzer) takeHRR() bool {
	h := a.hrrSeen
	a.hrrSeen = false
	return h
}

func (a *Analyzer) clientHello(ch *ClientHello) {
	a.Confirm(a.service())
	if ch.SessionTicketLen > 0 {
		a.clientTicketEmptySession = true
	}
	if ch.HasPSK {
		a.clientPSKSeen = true
	}
	if len(ch.ServerNames) > 0 {
		a.serverName = ch.ServerNames[0]
	}
	if len(ch.SessionID) > 0 && !(len(ch.SessionID) == 32 && allZero(ch.SessionID)) {
		// A copy: a later hello of the connection is parsed over ch.
		a.sessionID = append(a.sessionID[:0], ch.SessionID...)
		a.clientTicketEmptySession = false
	}
	if a.ja4 == "" {
		// The first hello's fingerprints: after a HelloRetryRequest the
		// second hello is shaped by the server's request (FoxIO's Rust
		// tool, the conformance reference, logs the first one too).
		a.ja3, a.ja4 = a.memo.fingerprints(ch, a.transport())
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (a *Analyzer) onServerHello(sh *ServerHello) {
	a.Confirm(a.service())
	if sh.SelectedVersion != 0 {
		a.versionNum, a.hasVersion = sh.SelectedVersion, true
	}
	if sh.HasKeyShare {
		a.curve = GroupName(sh.KeyShareGroup)
	}
	if len(sh.ALPN) > 0 {
		a.nextProtocol = sh.ALPN[0]
	}
	if sh.HasPSK && a.clientPSKSeen {
		a.resumed = true
	}
	if !a.hasVersion {
		a.versionNum, a.hasVersion = sh.Version, true
	}
	a.cipher = CipherName(sh.CipherSuite)
	if sh.IsHelloRetryRequest() {
		a.hrrSeen = true
	}
	v := a.versionNum
	if len(a.sessionID) > 0 && string(a.sessionID) == string(sh.SessionID) && int(v)/0xFF != 0x7F && v != 0x0304 {
		a.resumed = true
	}
	a.ja3s = ja3sHash(sh)
}

func (a *Analyzer) certificate(dir proto.Direction, body []byte) {
	a.certBytes(dir, a.newCertStream(dir), body)
}

// maxCertPrefix bounds the bytes of one certificate kept for describing it.
const maxCertPrefix = 32 << 10

// certStream consumes a Certificate message body piece by piece: the 3-byte
// list length, then (3-byte length, DER) per certificate.
type certStream struct {
	hdr      [3]byte
	hdrN     int
	list     bool
	inCert   bool
	certLeft int
	h, h1    hash.Hash // SHA-256 and SHA-1 of the certificate
	prefix   []byte
}

func (a *Analyzer) newCertStream(dir proto.Direction) *certStream {
	a.s[0].certsSeen, a.s[1].certsSeen = true, true
	return &certStream{h: sha256.New(), h1: sha1.New()}
}

func (a *Analyzer) certBytes(dir proto.Direction, cs *certStream, b []byte) {
	s := &a.s[dir]
	for len(b) > 0 {
		if !cs.inCert {
			k := copy(cs.hdr[cs.hdrN:], b)
			cs.hdrN += k
			b = b[k:]
			if cs.hdrN < 3 {
				return
			}
			cs.hdrN = 0
			n := int(cs.hdr[0])<<16 | int(cs.hdr[1])<<8 | int(cs.hdr[2])
			if !cs.list {
				cs.list = true
				continue
			}
			if n == 0 {
				continue
			}
			cs.inCert, cs.certLeft = true, n
			cs.h.Reset()
			cs.h1.Reset()
			cs.prefix = cs.prefix[:0]
			continue
		}
		k := min(cs.certLeft, len(b))
		cs.h.Write(b[:k])
		cs.h1.Write(b[:k])
		if room := maxCertPrefix - len(cs.prefix); room > 0 {
			cs.prefix = append(cs.prefix, b[:min(k, room)]...)
		}
		cs.certLeft -= k
		b = b[k:]
		if cs.certLeft == 0 {
			cs.inCert = false
			if len(s.fps) >= maxCerts {
				continue
			}
			var sum [sha256.Size]byte
			fp, fp1 := hex.EncodeToString(cs.h.Sum(sum[:0])), hex.EncodeToString(cs.h1.Sum(sum[:0]))
			c, _ := parseCertPrefix(cs.prefix, fp, fp1)
			s.fps, s.sha1s = append(s.fps, fp), append(s.sha1s, fp1)
			host := len(s.fps) == 1
			if host {
				s.first = c
			}
			a.x509(c, host, dir == proto.FromOrig)
		}
	}
}

func (a *Analyzer) flush() {
	if a.logged || !a.started {
		return
	}
	a.logged = true
	ci := a.ci
	b := record.Line(a.line)
	b = append(b, `{"ts":`...)
	b = record.AppendTime(b, a.ts)
	b = strField(b, "uid", ci.UID)
	b = append(b, `,"id.orig_h":"`...)
	b = ci.OrigH.Unmap().AppendTo(b)
	b = append(b, `","id.orig_p":`...)
	b = appendUint(b, uint64(ci.OrigP))
	b = append(b, `,"id.resp_h":"`...)
	b = ci.RespH.Unmap().AppendTo(b)
	b = append(b, `","id.resp_p":`...)
	b = appendUint(b, uint64(ci.RespP))
	if a.hasVersion {
		b = strField(b, "version", VersionName(a.versionNum))
	}
	b = optField(b, "cipher", a.cipher)
	b = optField(b, "curve", a.curve)
	b = optField(b, "server_name", a.serverName)
	b = boolField(b, "resumed", a.resumed)
	b = optField(b, "last_alert", a.lastAlert)
	b = optField(b, "next_protocol", a.nextProtocol)
	b = boolField(b, "established", a.established)
	b = append(b, `,"ssl_history":`...)
	b = record.AppendBytesString(b, a.history)
	if a.s[1].certsSeen {
		b = appendList(b, "cert_chain_fps", a.s[1].fps)
		b = appendList(b, "cert_chain_fps_sha1", a.s[1].sha1s)
		b = appendList(b, "client_cert_chain_fps", a.s[0].fps)
	}
	if a.serverName != "" && a.s[1].first != nil && a.s[1].first.parsedFields {
		b = boolField(b, "sni_matches_cert", a.s[1].first.MatchesHostname(a.serverName))
	}
	b = optField(b, "ja3", a.ja3)
	b = optField(b, "ja3s", a.ja3s)
	b = optField(b, "ja4", a.ja4)
	if ci.Proxied {
		b = boolField(b, "proxied", true)
	}
	b = append(b, '}')
	a.line = b
	a.out.Record("ssl", b)
}

// dropBufs gives back the sides' gathering buffers once the handshake is
// logged: a long connection does not keep them. It is called when the
// call that logged it (Data, End) returns, not at the log (flush), since
// the parse that stopped may still be reading a message in one.
func (a *Analyzer) dropBufs() {
	for i := range a.s {
		releaseBuf(a.s[i].buf)
		releaseBuf(a.s[i].hs)
		a.s[i].buf, a.s[i].hs = nil, nil
	}
}

// bigBuf is a buffer for a record or handshake message gathered across
// segments: room for the largest record (2^14 bytes, a ciphertext's 2,048
// more, and its header). A certificate seldom fits in one segment, so
// nearly every connection gathers one (5,028 of them, 20 MB, on the
// benchmark capture); the buffers are lent by bigBufs and given back when
// the handshake is logged, rather than made for each connection.
type bigBuf [1<<14 + 2048 + 5]byte

var bigBufs = sync.Pool{New: func() any { return new(bigBuf) }}

// gatherBuf returns an empty buffer with room for n bytes: a bigBuf for n
// up to its size, else a new one.
func gatherBuf(n int) []byte {
	if n > len(bigBuf{}) {
		return make([]byte, 0, n)
	}
	return bigBufs.Get().(*bigBuf)[:0]
}

// releaseBuf gives b back to bigBufs when it is a bigBuf's; b must not be
// used after.
func releaseBuf(b []byte) {
	if cap(b) == len(bigBuf{}) {
		bigBufs.Put((*bigBuf)(b[:len(bigBuf{})]))
	}
}

// reuseBuf is a side's buffer b for the analyzer's next connection: b
// emptied when it is small (proto.ReuseBuf), else given back or dropped.
func reuseBuf(b []byte) []byte {
	if cap(b) > maxReusedBuf {
		releaseBuf(b)
		return nil
	}
	return b[:0]
}

// appendList appends a JSON array field, also when empty.
func appendList(b []byte, k string, l []string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, `":[`...)
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = record.AppendString(b, s)
	}
	return append(b, ']')
}

func strField(b []byte, k, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return record.AppendString(b, v)
}

func optField(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return strField(b, k, v)
}

func boolField(b []byte, k string, v bool) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
