package mysql

import (
	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// What the server's next packet in the command phase is read as (Zeek's
// Expected).
const (
	expectNothing uint8 = iota
	expectStatus
	expectColumnDefinition
	expectColumnDefinitionOrEOF
	expectColumnCount
	expectEOFThenResultset
	expectResultset
	expectRestOfPacket
)

// side assembles one direction's packets.
type side struct {
	hdr  [4]byte
	nhdr int    // header bytes held
	size int    // the payload's length, once the header is whole
	got  int    // payload bytes seen
	body []byte // the payload's first MaxPacket bytes
}

// Analyzer is the MySQL analyzer of one connection; it implements
// proto.Analyzer, proto.Finisher and proto.Upgrader.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink
	now int64

	sides [2]side

	// A client asking for TLS hands the connection over (proto.Upgrader).
	proto.TLSHandover
	proto.Named // conn.log service, once a handshake response parsed
	tls         bool
	dead        bool // a content gap: nothing more is parsed

	// Protocol state (Zeek's MySQL_Conn).
	version       byte
	prevSeq       byte
	commandPhase  bool
	authData      bool // the client's next connection-phase packet is auth data
	expect        uint8
	cols          uint32 // columns left to define
	deprecateEOF  bool
	serverAttrs   bool // the server announced CLIENT_QUERY_ATTRIBUTES
	clientAttrs   bool // so did the client
	clientCaps    uint32
	serverVersion string

	// Script state: the record waiting for its answer.
	cur    entry
	hasCur bool

	// The login in progress, for the "_mysql_auth" fact at its answer.
	login loginAttempt

	buf []byte
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out, expect: expectStatus}
}

// Finished implements proto.Finisher: after a TLS request, or a gap,
// nothing more is parsed.
func (a *Analyzer) Finished() bool { return a.tls || a.dead }

// Gap implements proto.Analyzer: as Zeek's, the analyzer stops at the
// first content gap.
func (a *Analyzer) Gap(_ proto.Direction, n int) {
	if n > 0 {
		a.dead = true
	}
}

// End implements proto.Analyzer: the pending record is written.
func (a *Analyzer) End(ts int64) {
	a.write()
}

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	dir &= 1
	a.now = ts
	a.Begin()
	total := len(data)
	s := &a.sides[dir]
	for len(data) > 0 && !a.tls && !a.dead {
		if s.nhdr < 4 {
			n := copy(s.hdr[s.nhdr:], data)
			s.nhdr += n
			data = data[n:]
			if s.nhdr < 4 {
				return
			}
			s.size = int(s.hdr[0]) | int(s.hdr[1])<<8 | int(s.hdr[2])<<16
			s.got = 0
			s.body = s.body[:0]
		}
		var payload []byte
		if s.got == 0 && len(data) >= s.size {
			payload = data[:min(s.size, MaxPacket)] // whole in this piece: no copy
			data = data[s.size:]
		} else {
			n := min(len(data), s.size-s.got)
			if keep := min(n, MaxPacket-len(s.body)); keep > 0 {
				s.body = append(s.body, data[:keep]...)
			}
			s.got += n
			data = data[n:]
			if s.got < s.size {
				return
			}
			payload = s.body
		}
		s.nhdr = 0
		if dir == proto.FromOrig {
			a.clientPacket(payload, s.size+4)
		} else {
			a.serverPacket(s.hdr[3], payload, s.size+4)
		}
		if a.tls {
			a.Start(total - len(data))
		}
	}
}

// serverPacket handles a packet from the server; plen is its length with
// the header, as Zeek's grammar sees it.
func (a *Analyzer) serverPacket(seq byte, p []byte, plen int) {
	initial := seq == 0 && a.prevSeq != 255
	a.prevSeq = seq
	switch {
	case !a.commandPhase && initial:
		a.greeting(p)
	case !a.commandPhase:
		a.connectionPhaseReply(p)
	default:
		a.commandResponse(p, plen)
	}
}

// greeting reads the server's initial handshake.
func (a *Analyzer) greeting(p []byte) {
	r := reader{b: p}
	switch v := r.u8(); v {
	case 10:
		version := r.nul()
		r.take(4 + 8 + 1) // connection id, auth data part 1, filler
		r.uint(2)         // capabilities, low half
		r.take(3)         // character set, status
		caps := uint32(r.uint(2)) << 16
		authLen := r.u8()
		if authLen != 0 && authLen < 21 {
			return
		}
		r.take(10)
		r.take(max(int(authLen)-8, 13))
		var plugin []byte
		if caps&capPluginAuth != 0 {
			plugin = r.nul()
		}
		if r.bad {
			return
		}
		a.version, a.serverAttrs = v, caps&capQueryAttribute != 0
		a.serverFact(version, plugin)
	case 9:
		version := r.nul()
		r.take(4)
		r.nul()
		if r.bad {
			return
		}
		a.version = v
		a.serverFact(version, nil)
	default:
		if a.errPacket(&r) {
			a.version = v
		}
	}
}

// connectionPhaseReply reads the server's answers during the login: OK,
// more authentication data, an authentication switch or an error.
func (a *Analyzer) connectionPhaseReply(p []byte) {
	r := reader{b: p}
	switch r.u8() {
	case 0x00:
		a.okPacket(&r)
	case 0xfe: // authentication switch: a plugin name, its data
		if r.nul(); !r.bad {
			a.authData, a.expect = true, expectStatus
		}
	case 0xff:
		a.errPacket(&r)
	}
}

// commandResponse reads the server's answer to a command, as the state
// expects it.
func (a *Analyzer) commandResponse(p []byte, plen int) {
	r := reader{b: p}
	switch a.expect {
	case expectColumnCount:
		switch b := r.u8(); b {
		case 0x00:
			a.okPacket(&r)
		case 0xff:
			a.errPacket(&r)
		default:
			if n := r.lenencAfter(b); !r.bad {
				a.cols, a.expect = uint32(n), expectColumnDefinition
			}
		}
	case expectColumnDefinition:
		if r.columnDefinition(r.u8()); !r.bad {
			a.cols--
			if a.cols == 0 {
				a.expect = expectEOFThenResultset
			}
		}
	case expectColumnDefinitionOrEOF:
		if m := r.u8(); m == 0xfe {
			a.eofOrOK(&r, plen)
		}
	case expectResultset:
		a.resultset(&r, plen)
	case expectStatus:
		switch r.u8() {
		case 0x00:
			a.okPacket(&r)
		case 0xfe:
			a.eofPacket(&r, false)
		case 0xff:
			a.errPacket(&r)
		}
	case expectEOFThenResultset:
		if a.deprecateEOF {
			a.resultset(&r, plen)
			return
		}
		if r.u8(); a.eofPacket(&r, true) {
			a.commandPhase, a.authData = true, false
			a.expect = expectResultset
		}
	}
}

// resultset reads a row, or the EOF or OK packet that ends the rows.
func (a *Analyzer) resultset(r *reader, plen int) {
	if len(r.b) == 0 {
		return
	}
	if r.u8() != 0xfe {
		a.expect = expectResultset // a row: its fields are not read
		return
	}
	if a.eofOrOK(r, plen) {
		a.expect = expectNothing
	}
}

// eofOrOK reads the packet that ends a result: an OK packet when the
// client asked for CLIENT_DEPRECATE_EOF or it is longer than an EOF
// packet, else an EOF packet.
func (a *Analyzer) eofOrOK(r *reader, plen int) bool {
	if a.deprecateEOF || plen > 13 {
		return a.okPacket(r)
	}
	return a.eofPacket(r, false)
}

func (a *Analyzer) okPacket(r *reader) bool {
	rows := r.lenenc()
	if r.bad {
		return false
	}
	a.loginDone(true)
	a.commandPhase, a.authData = true, false
	a.onOK(uint32(rows))
	return true
}

func (a *Analyzer) errPacket(r *reader) bool {
	r.take(2 + 6) // code, SQL state
	if r.bad {
		return false
	}
	a.loginDone(false)
	a.commandPhase, a.authData = true, false
	a.onError(r.b)
	return true
}

func (a *Analyzer) eofPacket(r *reader, intermediate bool) bool {
	if r.take(4); r.bad {
		return false
	}
	a.onEOF(intermediate)
	return true
}

// clientPacket handles a packet from the client.
func (a *Analyzer) clientPacket(p []byte, plen int) {
	switch {
	case a.commandPhase:
		a.command(p)
	case !a.authData:
		a.handshakeResponse(p)
	default: // authentication data (a scramble, a public key request …)
		a.login.password = a.login.password || len(p) > 0 && !(len(p) == 1 && p[0] == 0)
	}
}

// handshakeResponse reads the client's answer to the greeting.
func (a *Analyzer) handshakeResponse(p []byte) {
	r := reader{b: p}
	switch a.version {
	case 10:
		caps := uint32(r.uint(4))
		r.take(4 + 1 + 23) // max packet size, character set, filler
		if r.bad {
			return
		}
		if caps&capSSL != 0 {
			a.clientCapabilities(caps)
			a.Confirm("mysql")
			a.tls = true
			return
		}
		user := r.nul()
		auth := r.lenencString()
		if caps&capConnectWithDB != 0 {
			r.nul()
		}
		if caps&capPluginAuth != 0 {
			r.optNul()
		}
		if caps&capConnectAttrs != 0 {
			r.connAttrs()
		}
		if caps&capZstd != 0 {
			r.u8()
		}
		if r.bad {
			return
		}
		a.authData = caps&capPluginAuth != 0
		a.clientCapabilities(caps)
		a.Confirm("mysql")
		a.login = loginAttempt{user: string(user), password: len(auth) > 0, pending: true}
		a.onHandshake(string(user))
	case 9:
		caps := r.uint(2)
		r.take(3)
		user := r.nul()
		auth := r.nul()
		if caps&capConnectWithDB != 0 {
			r.nul()
		}
		if r.bad {
			return
		}
		a.Confirm("mysql")
		a.login = loginAttempt{user: string(user), password: len(auth) > 0, pending: true}
		a.onHandshake(string(user))
	}
}

func (a *Analyzer) clientCapabilities(caps uint32) {
	a.deprecateEOF = caps&capDeprecateEOF != 0
	a.clientAttrs = caps&capQueryAttribute != 0
	a.clientCaps = caps
}

// command reads a command of the command phase.
func (a *Analyzer) command(p []byte) {
	r := reader{b: p}
	c := r.u8()
	if c == comQuery && a.clientAttrs && a.serverAttrs {
		r.queryAttributes()
	}
	var user []byte
	if c == comChangeUser {
		start := r.b
		user = r.changeUser(a.clientCaps)
		if r.bad {
			return
		}
		r.b = start[:len(start)-len(r.b)] // Zeek logs the packet it parsed
	}
	if r.bad {
		return
	}
	a.expectAfter(c)
	a.onCommand(c, r.b)
	if c == comChangeUser {
		a.onChangeUser(string(user))
	}
	if c == comQuit {
		a.write()
	}
}

// changeUser reads COM_CHANGE_USER's fields and returns the user name.
func (r *reader) changeUser(caps uint32) []byte {
	user := r.nul()
	r.take(int(r.u8())) // auth data
	r.nul()             // database
	r.take(2)           // character set
	if caps&capPluginAuth != 0 {
		r.nul()
	}
	if caps&capConnectAttrs != 0 {
		r.connAttrs()
	}
	return user
}

// expectAfter sets what the server's answer to command c is read as.
func (a *Analyzer) expectAfter(c byte) {
	switch {
	case c == comQuery || c == comProcessInfo:
		a.expect = expectColumnCount
	case c == comFieldList:
		a.expect = expectColumnDefinitionOrEOF
	case c == comStatistics:
		a.expect = expectRestOfPacket
	case c == comChangeUser:
		a.commandPhase = false
	case c <= 0x10 || c == 0x1d || c == comResetConnection:
		a.expect = expectStatus
	default: // binlog, replication and prepared statements
		a.expect = expectNothing
	}
}

// serverFact writes the server's greeting as a "_mysql_server" fact.
func (a *Analyzer) serverFact(version, plugin []byte) {
	a.serverVersion = string(version)
	if a.out == nil {
		return
	}
	b := proto.AppendConnHeader(a.buf[:0], a.now, a.ci)
	b = appendBytesField(b, "version", version)
	if plugin != nil {
		b = appendBytesField(b, "auth_plugin", plugin)
	}
	b = append(b, '}')
	a.buf = b
	a.out.Record(ServerLog, b)
}

// loginAttempt is a handshake response waiting for the server's answer:
// its user, and whether the client sent authentication data (a scramble
// of a password; none, or a lone NUL, is an empty password).
type loginAttempt struct {
	user              string
	password, pending bool
}

// loginDone ends the login in progress, if any, with the server's answer,
// and hands it on as a "_mysql_auth" fact: the user, the password when it
// is known to be empty ("": MySQL's root without one), the outcome.
func (a *Analyzer) loginDone(success bool) {
	if !a.login.pending || a.commandPhase {
		return
	}
	a.login.pending = false
	if a.out == nil {
		return
	}
	b := proto.AppendConnHeader(nil, a.now, a.ci)
	b = record.AppendStringField(b, "user", a.login.user)
	if !a.login.password {
		b = record.AppendStringField(b, "password", "")
	}
	b = record.AppendBoolField(b, "success", success)
	a.out.Record(AuthLog, append(b, '}'))
}
