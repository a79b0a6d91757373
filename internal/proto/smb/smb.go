// Package smb follows the logins of SMB connections (SMB1, SMB2 and SMB3
// over TCP 445, or NetBIOS on 139) and writes Zeek's ntlm.log: one record
// per login with the user, workstation and domain names the client gave,
// the server's names from its NTLM challenge, and whether the server
// accepted it. The brute-force detector counts SMB password guesses from
// it.
//
// Only session setups are parsed: SMB1's SESSION_SETUP_ANDX and SMB2's
// SESSION_SETUP, whose security blob holds NTLMSSP messages, raw or inside
// SPNEGO (found by their signature, of the type the direction carries).
// Of other messages only the header's first bytes are kept (file reads
// and writes are skipped, not copied); a session setup compounded after
// another command or sent compressed (SMB 3.1.1) is not read, and
// encrypted SMB3 (transform headers) has nothing to read.
//
// Logins are followed per session: by the session id the server gives
// (SMB2 SessionId, SMB1 UID), answers matched to requests by message id
// (MessageId, MID), so that several logins in flight on one connection
// (SMB2 allows it) stay apart; an interim STATUS_PENDING is no verdict.
// A refusal (STATUS_LOGON_FAILURE and the like) whose login the analyzer
// does not follow (its request unseen, compressed, or pushed out by more
// than maxAttempts logins in flight) is a record too, without names.
// Session setups of another mechanism (Kerberos) are followed but not
// written; their refusals are, without names, once it is clear no
// fallback took their place: an accepted NTLM login of a named user (not
// anonymous, not guest) that follows takes one off (the fallback of a
// client whose ticket was refused); the rest are written when that NTLM
// login ends, when another non-NTLM session setup begins, or at the
// connection's end. A client that falls back on a new connection leaves
// one refused login behind.
// A stream out of step (a capture that began inside a message: a header
// of no NetBIOS type, or a session message without an SMB header) is
// searched for the next message start, as Zeek waits for one.
// NetBIOS messages of other types than session messages are skipped by
// their length, as servers do; the client's SMB1 messages (and, until
// SMB2 is seen, its messages of other types) have 17-bit lengths (RFC
// 1002), the others 24.
//
// Where it differs from Zeek:
//   - every login attempt of a connection is a record; Zeek writes only a
//     connection's first (a guessing tool that retries on one connection
//     shows every try);
//   - "guest": true (not a Zeek field) marks a login the server accepted
//     as a guest or anonymous session (SMB2 SessionFlags, SMB1 Action):
//     a server mapping bad passwords to its guest account answers every
//     wrong guess so;
//   - success comes from the session setup's final status (0 accepted,
//     anything but STATUS_MORE_PROCESSING_REQUIRED refused); Zeek takes it
//     from SPNEGO's negState, which a refused login's reply often lacks,
//     leaving success unset;
//   - SMB1 logins without extended security (the LM/NTLM responses in the
//     request itself, as old clients and hydra send them) are records too,
//     with the account and primary domain as username and domainname;
//     Zeek writes none for them.
//
// conn.log's service is "smb" once a message with an SMB header is seen
// (Zeek also lists its GSSAPI and NTLM analyzers there).
//
// Bounds, per connection: of a session setup at most MaxKeep bytes are
// kept (a longer one is parsed from its first MaxKeep bytes), of another
// message its first 16; names at most MaxName bytes; at most maxAttempts
// logins in progress (past it, one not yet answered with an AUTHENTICATE
// is dropped first); framing lost to a gap stops the analyzer.
package smb

import (
	"bytes"
	"encoding/binary"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/proto/krb"
	"github.com/vigil-nsm/vigil/internal/proto/wire"
	"github.com/vigil-nsm/vigil/internal/record"
)

const (
	// MaxKeep is how many bytes of one message are kept for parsing.
	MaxKeep = 16 << 10
	// MaxName bounds each name written (longer ones are cut).
	MaxName = 256
)

// NT status codes of session setup replies.
const (
	statusSuccess            = 0x00000000
	statusMoreProcessing     = 0xC0000016
	statusPending            = 0x00000103
	smb1SessionSetup         = 0x73
	smb2SessionSetup         = 0x0001
	smb1HeaderLen            = 32
	smb2HeaderLen            = 64
	smb1FlagReply            = 0x80
	smb1Flags2ExtendedSecure = 0x0800
	smb1Flags2Unicode        = 0x8000
	smb2FlagResponse         = 0x00000001
)

func init() {
	proto.Register(&proto.Factory{
		Partial:    true, // Zeek analyses it on connections picked up mid-stream (its smb3 test)
		Name:       "smb",
		Transports: []uint8{6},
		Ports:      []uint16{445, 139},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect is Sure when the first bytes are a NetBIOS session message
// holding an SMB header (SMB1, SMB2, SMB3 transform or compression), Likely
// for a NetBIOS session request to port 139, Maybe on ports 445 and 139
// unless the bytes are TLS, No otherwise.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 6 || len(first) == 0 {
		return proto.No
	}
	if len(first) >= 8 && first[0] == 0 && isSMBHeader(first[4:]) {
		return proto.Sure
	}
	port := respPort == 445 || respPort == 139
	switch {
	case first[0] == 0x81 && respPort == 139:
		return proto.Likely
	case port && !(len(first) >= 2 && first[0] == 0x16 && first[1] == 3): // not TLS (mid-stream file data may look like anything)
		return proto.Maybe
	}
	return proto.No
}

// isSMBHeader reports whether b starts with an SMB protocol id: 0xFF
// (SMB1), 0xFE (SMB2/3), 0xFD (SMB3 transform) or 0xFC (compression),
// then "SMB".
func isSMBHeader(b []byte) bool {
	return len(b) >= 4 && b[0] >= 0xFC && b[1] == 'S' && b[2] == 'M' && b[3] == 'B'
}

// side is one direction's NetBIOS framing.
type side struct {
	hdr    [4]byte
	nh     int
	need   int    // bytes of the current message still to come
	msg    []byte // the current message's first bytes (≤ MaxKeep)
	sized  bool   // the message's length was settled from its first bytes
	client bool   // the originator's side
	lost   bool   // out of step: looking for the next message start
	scan   []byte // while lost, the last bytes searched (≤ 7 between calls)
}

// nbLength is a NetBIOS message's length from its header: 24 bits (SMB2's
// direct TCP), but for a client's messages of other types than session
// messages before SMB2 is seen, 17 (RFC 1002: SMB1 servers read every
// type so and drop keepalives; the flag bits must not hide what follows).
func (s *side) nbLength(smb2 bool) int {
	if s.client && s.hdr[0] != 0 && !smb2 {
		return int(s.hdr[1]&1)<<16 | int(s.hdr[2])<<8 | int(s.hdr[3])
	}
	return int(s.hdr[1])<<16 | int(s.hdr[2])<<8 | int(s.hdr[3])
}

// peekLen is how much of a message is kept before deciding whether to
// keep more: enough for the command of an SMB1 or SMB2 header.
const peekLen = 16

// loseStep is called when the framing is out of step (a capture that
// began inside a message, say): the bytes read of the would-be message
// and the rest go back to a search for the next message start.
func (s *side) loseStep(data []byte) []byte {
	s.lost = true
	s.scan = append(append(append(s.scan[:0], s.hdr[:s.nh]...), s.msg...), data...)
	s.nh, s.msg, s.need = 0, s.msg[:0], 0
	if len(s.scan) > 0 {
		s.scan = s.scan[1:] // not where it began
	}
	return s.resync(nil)
}

// resync looks in the bytes kept (scan) and data for the next message
// start: a session message header (type 0) followed by an SMB protocol
// id. It returns the bytes from there, or nil (keeping the last few bytes
// for the next call) when there is none yet.
func (s *side) resync(data []byte) []byte {
	buf := append(s.scan, data...)
	for i := 0; i+8 <= len(buf); i++ {
		if buf[i] == 0 && isSMBHeader(buf[i+4:]) {
			s.lost, s.scan = false, s.scan[:0]
			return append([]byte(nil), buf[i:]...)
		}
	}
	keep := min(len(buf), 7)
	s.scan = append(s.scan[:0], buf[len(buf)-keep:]...)
	return nil
}

// settleLength reads the length of a client's message as SMB1 servers
// do, once its first bytes are in: 17 bits (RFC 1002's length and its
// extension bit; the other flag bits ignored) for a session message
// holding SMB1, where SMB2 and SMB3 take 24. (Servers may answer SMB1
// reads of over 128 KiB with 24 bits: the server's side keeps them. A
// client's SMB1 write of over 128 KiB, which only a server configured
// for it reads with 24 bits, is mis-framed: the rest of that client's
// stream is lost, its refusals still read on the server's side. The
// client's messages of other types are read with 17 bits from their
// header, see nbLength.)
func (s *side) settleLength() {
	if s.sized || len(s.msg) < 5 {
		return
	}
	s.sized = true
	if !s.client || s.hdr[0] != 0 || s.msg[0] != 0xFF || !isSMBHeader(s.msg) {
		return
	}
	n := int(s.hdr[1]&1)<<16 | int(s.hdr[2])<<8 | int(s.hdr[3])
	if n < len(s.msg) { // the flag bits hid a message shorter than its header's bytes
		s.msg, s.need = s.msg[:n], 0
		return
	}
	s.need = n - len(s.msg)
}

// room is how many more bytes of the current message are kept past its
// first peekLen: up to MaxKeep of a session setup, none of another.
func (s *side) room() int {
	if isSessionSetup(s.msg) {
		return MaxKeep - len(s.msg)
	}
	return 0
}

// isSessionSetup reports whether a message's header (at least peekLen
// bytes of it) is an SMB1 or SMB2 session setup.
func isSessionSetup(m []byte) bool {
	if len(m) < peekLen || !isSMBHeader(m) {
		return false
	}
	switch m[0] {
	case 0xFF:
		return m[4] == smb1SessionSetup
	case 0xFE:
		return binary.LittleEndian.Uint16(m[12:]) == smb2SessionSetup
	}
	return false
}

// maxAttempts bounds the logins in progress on one connection (SMB2
// lets a client run several at once); see begin for what goes past it.
const maxAttempts = 16

// attempt is a login in progress on the connection.
type attempt struct {
	ts       int64
	kerberos bool   // a login with another mechanism than NTLM (Kerberos): never written
	sid      uint64 // the session's id once the server gave one (SMB2 SessionId, SMB1 UID)
	mid      uint64 // the message id of its request awaiting an answer
	seq      int    // the order of that request among the connection's
	waiting  bool
	chal     challengeInfo
	auth     authInfo
	hasAuth  bool
}

// Analyzer follows one connection's SMB session setups.
type Analyzer struct {
	proto.Framed

	sides   [2]side
	atts    []attempt // in the order they began
	written int       // records written
	reqs    int       // session setup requests seen
	// krbRefused counts refused logins of another mechanism (Kerberos)
	// not yet followed by an accepted NTLM login (see End).
	krbRefused int
	sawSMB2    bool // an SMB2 or SMB3 message was seen
	line       []byte

	// The connection's Kerberos AP exchange, for kerberos.log (Zeek's
	// GSSAPI analyzer under SMB): the first AP-REQ of a session setup,
	// written at the server's AP-REP or at the end.
	ap      krb.AP
	apTS    int64
	apState uint8 // apNone, apPending, apWritten
}

// Kerberos AP exchange states.
const (
	apNone uint8 = iota
	apPending
	apWritten
)

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{Framed: proto.Framed{CI: ci, Out: out, Name: "smb"}}
}

// End implements proto.Analyzer: logins still waiting for their verdict
// are written without one (as Zeek's finalize hook does); of those that
// never got past the NTLM NEGOTIATE, only a first one of a connection
// with no record yet (Zeek's one record per connection).
//
// Refused logins of another mechanism than NTLM (Kerberos) that no NTLM
// login on the connection got in after, one for one, are written then as
// refused logins without names: a refused Kerberos leg before the client
// falls back to NTLM is no guess, but a guess disguised as another
// mechanism (an NTLM token pushed past MaxKeep, say) is one.
func (a *Analyzer) End(ts int64) {
	if a.apState == apPending {
		a.writeAP(false)
	}
	for i := range a.atts {
		if at := &a.atts[i]; !at.kerberos && (at.hasAuth || a.written == 0) {
			a.write(at, false, false, false)
		}
	}
	a.atts = a.atts[:0]
	a.flushRefused(ts)
}

// flushRefused writes the refused logins of another mechanism still
// waiting for an NTLM fallback: at the connection's end, when an NTLM
// login ends (the fallback came or did not), and when another non-NTLM
// session setup begins (so that a guesser cannot hold them back).
func (a *Analyzer) flushRefused(ts int64) {
	for ; a.krbRefused > 0; a.krbRefused-- {
		a.writeRefused(ts)
	}
}

// writeRefused writes a refused login at ts whose names are not known.
func (a *Analyzer) writeRefused(ts int64) {
	a.write(&attempt{ts: ts}, true, false, false)
}

// Data implements proto.Analyzer. Messages of every NetBIOS type are
// framed by their length (servers ignore the types they do not use);
// only session messages (type 0) are read.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if int(dir) > 1 {
		return
	}
	s := &a.sides[dir]
	for len(data) > 0 && !a.Dead {
		if s.lost {
			if data = s.resync(data); data == nil {
				return
			}
		}
		if s.nh < 4 {
			c := copy(s.hdr[s.nh:], data)
			s.nh += c
			data = data[c:]
			if s.nh < 4 {
				return
			}
			s.need = s.nbLength(a.sawSMB2)
			s.msg, s.sized, s.client = s.msg[:0], false, dir == proto.FromOrig
			if t := s.hdr[0]; t != 0 && (t < 0x81 || t > 0x85) { // no NetBIOS type: out of step
				data = s.loseStep(data)
				continue
			}
		}
		if len(s.msg) < peekLen { // the header's first bytes decide what is kept
			k := min(s.need, len(data), peekLen-len(s.msg))
			s.msg = append(s.msg, data[:k]...)
			s.need -= k
			data = data[k:]
			if s.hdr[0] == 0 && len(s.msg) >= 4 && !isSMBHeader(s.msg) {
				data = s.loseStep(data) // a session message holds SMB: out of step
				continue
			}
			s.settleLength()
		}
		take := min(s.need, len(data))
		if k := min(take, s.room()); k > 0 {
			s.msg = append(s.msg, data[:k]...)
		}
		s.need -= take
		data = data[take:]
		if s.need == 0 {
			if s.hdr[0] == 0 {
				a.message(dir, ts, s.msg)
			}
			s.nh = 0
		}
	}
}

// message handles one NetBIOS session message.
func (a *Analyzer) message(dir proto.Direction, ts int64, m []byte) {
	if !isSMBHeader(m) {
		return
	}
	a.Confirmed = true
	a.sawSMB2 = a.sawSMB2 || m[0] != 0xFF
	switch m[0] {
	case 0xFF:
		if len(m) >= 9 && m[4] != smb1SessionSetup && dir == proto.FromResp {
			// A session setup chained (AndX) after another command: the
			// reply's status is the chain's. Its login is not followed.
			if status := binary.LittleEndian.Uint32(m[5:]); refused(status) {
				a.response(ts, 0, noMID, status, false, nil)
				return
			}
		}
		a.smb1(dir, ts, m)
	case 0xFE:
		// Compounded requests and replies: each names where the next
		// starts (NextCommand, from its own start, 8-byte aligned).
		for n := 0; n < 64 && len(m) >= smb2HeaderLen; n++ {
			next := int(binary.LittleEndian.Uint32(m[20:]))
			cur := m
			if next > 0 && next < len(m) {
				cur = m[:next]
			}
			a.smb2(dir, ts, cur)
			if next <= 0 || next >= len(m) || next < smb2HeaderLen {
				return
			}
			m = m[next:]
			if !isSMBHeader(m) || m[0] != 0xFE {
				return
			}
		}
	}
}

// noMID is a message id no request has (SMB1's are 16 bits, SMB2's
// responses are matched below 2^63 in practice): a response known only
// by its status.
const noMID = 1 << 63

// smb1 handles an SMB1 message: SESSION_SETUP_ANDX requests and replies.
// The session is the header's UID, the message its MID.
func (a *Analyzer) smb1(dir proto.Direction, ts int64, m []byte) {
	if len(m) < smb1HeaderLen+1 || m[4] != smb1SessionSetup {
		return
	}
	status := binary.LittleEndian.Uint32(m[5:])
	reply := m[9]&smb1FlagReply != 0
	flags2 := binary.LittleEndian.Uint16(m[10:])
	sid := uint64(binary.LittleEndian.Uint16(m[28:]))
	mid := uint64(binary.LittleEndian.Uint16(m[30:]))
	wc := int(m[smb1HeaderLen])
	words := m[smb1HeaderLen+1:]
	if reply != (dir == proto.FromResp) {
		return
	}
	if len(words) < 2*wc+2 {
		if reply && wc == 0 {
			a.response(ts, sid, mid, status, false, nil) // an error reply has no words
		}
		return
	}
	byteCount := int(binary.LittleEndian.Uint16(words[2*wc:]))
	dataOff := smb1HeaderLen + 1 + 2*wc + 2 // the data's offset in m
	data := words[2*wc+2:]
	data = data[:min(byteCount, len(data))]
	if reply {
		var blob []byte
		if wc == 4 { // extended security: the blob opens the data
			blob = data[:min(int(binary.LittleEndian.Uint16(words[6:])), len(data))]
		}
		guest := wc >= 3 && binary.LittleEndian.Uint16(words[4:])&0x0001 != 0 // Action: SMB_SETUP_GUEST
		a.response(ts, sid, mid, status, guest, blob)
		return
	}
	switch wc {
	case 12: // extended security: SecurityBlobLength, then the blob
		n := int(binary.LittleEndian.Uint16(words[14:]))
		a.request(ts, sid, mid, data[:min(n, len(data))])
	case 13: // NT LM 0.12 without extended security (whatever Flags2 says, as servers take it)
		oem := int(binary.LittleEndian.Uint16(words[14:]))
		uni := int(binary.LittleEndian.Uint16(words[16:]))
		a.basicLogin(ts, sid, mid, data, dataOff, oem+uni, flags2&smb1Flags2Unicode != 0)
	case 10: // LAN Manager: one password
		pw := int(binary.LittleEndian.Uint16(words[14:]))
		a.basicLogin(ts, sid, mid, data, dataOff, pw, false)
	}
}

// basicLogin begins a login from an SMB1 session setup without extended
// security: the account name and primary domain follow the passwords in
// the data (at dataOff in the message), NUL-terminated, in UTF-16LE
// aligned to the message's start when flags2 says Unicode.
func (a *Analyzer) basicLogin(ts int64, sid, mid uint64, data []byte, dataOff, skip int, unicode bool) {
	if skip > len(data) {
		return
	}
	rest := data[skip:]
	var user, domain string
	if unicode {
		if (dataOff+skip)%2 == 1 && len(rest) > 0 {
			rest = rest[1:]
		}
		user, rest = cutUTF16(rest)
		domain, _ = cutUTF16(rest)
	} else {
		user, rest = cutOEM(rest)
		domain, _ = cutOEM(rest)
	}
	at := a.begin(ts, sid)
	at.auth, at.hasAuth = authInfo{user: user, domain: domain}, true
	a.reqs++
	at.mid, at.seq, at.waiting = mid, a.reqs, true
}

// cutUTF16 returns the UTF-16LE string before the first NUL character and
// the bytes after it.
func cutUTF16(b []byte) (string, []byte) {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return wire.UTF16LE(b[:i]), b[i+2:]
		}
	}
	return wire.UTF16LE(b), nil
}

// cutOEM returns the string before the first NUL and the bytes after it.
func cutOEM(b []byte) (string, []byte) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:]
		}
	}
	return string(b), nil
}

// smb2 handles one SMB2 message: SESSION_SETUP requests and responses.
func (a *Analyzer) smb2(dir proto.Direction, ts int64, m []byte) {
	if len(m) < smb2HeaderLen+8 || binary.LittleEndian.Uint16(m[12:]) != smb2SessionSetup {
		return
	}
	status := binary.LittleEndian.Uint32(m[8:])
	response := binary.LittleEndian.Uint32(m[16:])&smb2FlagResponse != 0
	if response != (dir == proto.FromResp) {
		return
	}
	mid := binary.LittleEndian.Uint64(m[24:])
	sid := binary.LittleEndian.Uint64(m[40:])
	body := m[smb2HeaderLen:]
	var off, n int
	if response {
		off, n = int(binary.LittleEndian.Uint16(body[4:])), int(binary.LittleEndian.Uint16(body[6:]))
	} else {
		if len(body) < 16 {
			return
		}
		off, n = int(binary.LittleEndian.Uint16(body[12:])), int(binary.LittleEndian.Uint16(body[14:]))
	}
	var blob []byte
	if n > 0 && off >= smb2HeaderLen && off < len(m) {
		blob = m[off:min(off+n, len(m))]
	}
	if response {
		guest := binary.LittleEndian.Uint16(body[2:])&0x0003 != 0 // SessionFlags: IS_GUEST, IS_NULL
		a.response(ts, sid, mid, status, guest, blob)
	} else {
		a.request(ts, sid, mid, blob)
	}
}

// request follows a session setup request's security blob: an NTLM
// NEGOTIATE begins a login, an AUTHENTICATE answers the challenge of the
// login of its session (or, before the server named one, the oldest
// login challenged and not yet answered); a blob of another mechanism
// (Kerberos) is a login followed but never written, so that its refusal
// (an expired ticket, before the client falls back to NTLM) is no NTLM
// guess.
func (a *Analyzer) request(ts int64, sid, mid uint64, blob []byte) {
	if a.apState == apNone {
		if ap, ok := krb.FindAPRequest(blob); ok {
			a.ap, a.apTS, a.apState = ap, ts, apPending
		}
	}
	msg := findNTLM(blob, ntlmNegotiate, ntlmAuthenticate)
	var at *attempt
	switch ntlmType(msg) {
	case ntlmNegotiate:
		at = a.begin(ts, sid)
	case 0:
		if len(blob) == 0 || bytes.Contains(blob, ntlmSignature) {
			return
		}
		// Another mechanism (Kerberos): followed only so that its answer
		// is not taken for an NTLM login's.
		a.flushRefused(ts)
		at = a.find(func(at *attempt) bool { return at.kerberos && sid != 0 && at.sid == sid })
		if at == nil {
			at = a.begin(ts, sid)
			at.kerberos = true
		}
	case ntlmAuthenticate:
		at = a.find(func(at *attempt) bool { return !at.kerberos && sid != 0 && at.sid == sid && !at.hasAuth })
		if at == nil {
			at = a.find(func(at *attempt) bool {
				return !at.kerberos && !at.waiting && !at.hasAuth && (sid == 0 || at.sid == 0)
			})
		}
		if at == nil {
			at = a.begin(ts, sid)
		}
		at.auth, at.hasAuth = parseAuthenticate(msg), true
	default:
		return
	}
	a.reqs++
	at.mid, at.seq, at.waiting = mid, a.reqs, true
}

// response follows a session setup response: the challenge for the login
// whose request it answers, then the verdict. STATUS_PENDING (an interim
// answer) and STATUS_MORE_PROCESSING_REQUIRED are none; guest says the
// server let the client in as a guest or anonymously.
func (a *Analyzer) response(ts int64, sid, mid uint64, status uint32, guest bool, blob []byte) {
	if a.apState == apPending && krb.HasAPReply(blob) {
		a.writeAP(true)
	}
	at := a.oldestRequest(mid)
	msg := findNTLM(blob, ntlmChallenge)
	if at == nil {
		switch {
		case ntlmType(msg) == ntlmChallenge:
			at = a.begin(ts, sid) // a login whose request was not seen
		case refused(status):
			// A refusal whose login is not followed (its request unseen,
			// or pushed out by logins in flight past maxAttempts) is
			// still a refused login.
			a.writeRefused(ts)
			return
		default:
			return
		}
	}
	if ntlmType(msg) == ntlmChallenge {
		at.chal = parseChallenge(msg)
		at.kerberos = false // a SPNEGO offer without a token, answered with NTLM
	}
	if sid != 0 {
		at.sid = sid
	}
	switch status {
	case statusPending:
		return
	case statusMoreProcessing:
		at.waiting = false
		return
	}
	i := at.index(a.atts)
	switch {
	case !at.kerberos:
		a.write(at, true, status == statusSuccess, guest)
		if status == statusSuccess && !guest && at.auth.user != "" && a.krbRefused > 0 {
			a.krbRefused-- // the NTLM fallback after a refused Kerberos leg
		}
		a.flushRefused(ts) // no fallback is coming for the others
	case refused(status):
		a.krbRefused++
	}
	a.atts = append(a.atts[:i], a.atts[i+1:]...)
}

// writeAP writes the connection's kerberos.log record of its AP exchange
// (once: Zeek's one record per connection).
func (a *Analyzer) writeAP(success bool) {
	a.apState = apWritten
	if a.Out != nil {
		a.Out.Record("kerberos", krb.AppendAPRecord(nil, a.apTS, a.CI, a.ap, success))
	}
}

// refused reports whether a session setup's status refuses the
// credentials (MS-ERREF): a wrong password or user, or an account that
// may not log in.
func refused(status uint32) bool {
	switch status {
	case 0xC000006D, // STATUS_LOGON_FAILURE
		0xC000006A, // STATUS_WRONG_PASSWORD
		0xC0000064, // STATUS_NO_SUCH_USER
		0xC000006E, // STATUS_ACCOUNT_RESTRICTION
		0xC000006F, // STATUS_INVALID_LOGON_HOURS
		0xC0000070, // STATUS_INVALID_WORKSTATION
		0xC0000071, // STATUS_PASSWORD_EXPIRED
		0xC0000072, // STATUS_ACCOUNT_DISABLED
		0xC0000193, // STATUS_ACCOUNT_EXPIRED
		0xC0000224, // STATUS_PASSWORD_MUST_CHANGE
		0xC0000234: // STATUS_ACCOUNT_LOCKED_OUT
		return true
	}
	return false
}

// oldestRequest returns the login whose request with message id mid was
// sent first of those awaiting an answer (a client may reuse an id:
// answers come in the order of the requests), nil if none.
func (a *Analyzer) oldestRequest(mid uint64) *attempt {
	var best *attempt
	for i := range a.atts {
		if at := &a.atts[i]; at.waiting && at.mid == mid && (best == nil || at.seq < best.seq) {
			best = at
		}
	}
	return best
}

// find returns the oldest login in progress that ok accepts, nil if none.
func (a *Analyzer) find(ok func(*attempt) bool) *attempt {
	for i := range a.atts {
		if ok(&a.atts[i]) {
			return &a.atts[i]
		}
	}
	return nil
}

// index returns at's position in atts.
func (at *attempt) index(atts []attempt) int {
	for i := range atts {
		if &atts[i] == at {
			return i
		}
	}
	return -1
}

// begin starts a login at ts in session sid (0: not yet named). When
// maxAttempts are in progress, the oldest that has no AUTHENTICATE yet
// goes (a flood of new sessions must not push out the guesses awaiting
// their verdict), else the oldest, written without a verdict.
func (a *Analyzer) begin(ts int64, sid uint64) *attempt {
	if len(a.atts) >= maxAttempts {
		i := 0
		for j := range a.atts {
			if !a.atts[j].hasAuth {
				i = j
				break
			}
		}
		if a.atts[i].hasAuth && !a.atts[i].kerberos {
			a.write(&a.atts[i], false, false, false)
		}
		a.atts = append(a.atts[:i], a.atts[i+1:]...)
	}
	a.atts = append(a.atts, attempt{ts: ts, sid: sid})
	return &a.atts[len(a.atts)-1]
}

// write logs a login: with success when its verdict is known, and guest
// when the server let it in as a guest or anonymously.
func (a *Analyzer) write(at *attempt, known, success, guest bool) {
	b := proto.AppendConnHeader(a.line[:0], at.ts, a.CI)
	b = appendName(b, "username", at.auth.user)
	b = appendName(b, "hostname", at.auth.workstation)
	b = appendName(b, "domainname", at.auth.domain)
	b = appendName(b, "server_nb_computer_name", at.chal.nbComputer)
	b = appendName(b, "server_dns_computer_name", at.chal.dnsComputer)
	b = appendName(b, "server_tree_name", at.chal.dnsTree)
	if known {
		b = record.AppendBoolField(b, "success", success)
		if success && guest {
			b = record.AppendBoolField(b, "guest", true)
		}
	}
	b = append(b, '}')
	a.line = b
	a.written++
	if a.Out != nil {
		a.Out.Record("ntlm", b)
	}
}

// appendName appends a name field unless it is empty, cut to MaxName
// bytes.
func appendName(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	if len(v) > MaxName {
		v = v[:MaxName]
	}
	return record.AppendStringField(b, key, v)
}
