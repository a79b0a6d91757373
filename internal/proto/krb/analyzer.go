package krb

import (
	"slices"
	"strings"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// info is the connection's kerberos.log record in the making (Zeek's
// KRB::Info).
type info struct {
	ts                                             int64
	requestType, client, service, errorMsg, cipher string
	hasClient, hasService, hasErrorMsg, hasCipher  bool
	success, hasSuccess                            bool
	from, till                                     int64
	hasFrom, hasTill                               bool
	forwardable, renewable, hasOptions, logged     bool
}

// side assembles one direction's TCP messages.
type side struct {
	hdr  [4]byte
	nhdr int
	size int    // the message's length, once the header is whole
	got  int    // its bytes seen
	msg  []byte // its bytes, when it is not longer than MaxMessage
}

// Analyzer is the Kerberos analyzer of one connection; it implements
// proto.Analyzer.
type Analyzer struct {
	ci  *proto.ConnInfo
	out proto.Sink
	now int64

	sides [2]side
	proto.Named
	dead bool // a TCP gap: the framing is lost

	cur    info
	hasCur bool

	// The latest AS-REQ: whether one was seen, and whether it
	// pre-authenticated its client (for the "_krb_as" facts).
	asReq, asPreauth bool

	buf []byte
}

// New returns an analyzer for one connection.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Gap implements proto.Analyzer: TCP framing is lost.
func (a *Analyzer) Gap(_ proto.Direction, n int) {
	if n > 0 {
		a.dead = true
	}
}

// End implements proto.Analyzer: the record is written if it was not
// (Zeek's finalize_krb).
func (a *Analyzer) End(ts int64) { a.write() }

// Data implements proto.Analyzer.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	a.now = ts
	if a.ci != nil && a.ci.Transport == 17 {
		a.message(data)
		return
	}
	s := &a.sides[dir&1]
	for len(data) > 0 && !a.dead {
		if s.nhdr < 4 {
			n := copy(s.hdr[s.nhdr:], data)
			s.nhdr += n
			data = data[n:]
			if s.nhdr < 4 {
				return
			}
			s.size = int(s.hdr[0]&0x7f)<<24 | int(s.hdr[1])<<16 | int(s.hdr[2])<<8 | int(s.hdr[3])
			s.got, s.msg = 0, s.msg[:0]
		}
		n := min(len(data), s.size-s.got)
		if s.size <= MaxMessage {
			s.msg = append(s.msg, data[:n]...)
		}
		s.got += n
		data = data[n:]
		if s.got == s.size {
			s.nhdr = 0
			if s.size <= MaxMessage {
				a.message(s.msg)
			}
		}
	}
}

// message handles one message, as the events of Zeek's script.
func (a *Analyzer) message(b []byte) {
	m, ok := parse(b)
	if !ok {
		return
	}
	if a.ci != nil && a.ci.Transport == 6 {
		a.Confirm("krb_tcp") // Zeek's KRB_TCP analyzer
	} else {
		a.Confirm("krb")
	}
	switch m.kind {
	case krbError:
		a.fact(&m)
	case asReq:
		a.asReq, a.asPreauth = true, m.preauth
	case asRep:
		if a.asReq {
			a.asFact(&m)
		}
	}
	if a.session() {
		return // the connection's record was written: later messages are not read
	}
	r := &a.cur
	switch m.kind {
	case asReq, tgsReq:
		r.requestType = "TGS"
		if m.kind == asReq {
			r.requestType = "AS"
			r.client, r.hasClient = m.cname+"/"+m.realm, true
		}
		if m.hasSname {
			r.service, r.hasService = m.sname, true
		}
		r.from, r.hasFrom = m.from, m.hasFrom
		r.till, r.hasTill = m.till, m.hasTill
		if m.hasOptions {
			r.forwardable, r.renewable, r.hasOptions = m.forwardable, m.renewable, true
		}
	case asRep, tgsRep:
		if !r.hasClient && (m.hasCname || m.hasCrealm) {
			r.client, r.hasClient = m.cname+"/"+m.crealm, true
		}
		r.service, r.hasService = m.ticketSname, true
		r.cipher, r.hasCipher = cipherName(m.ticketEtype), true
		r.success, r.hasSuccess = true, true
		a.write()
	case krbError:
		if m.hasErrorText && slices.Contains(IgnoredErrors, m.errorText) {
			a.hasCur = false // Zeek deletes the record
			return
		}
		if !r.hasClient && (m.hasCname || m.hasCrealm) {
			name := ""
			if m.hasCname {
				name = m.cname + "/"
			}
			r.client, r.hasClient = name+m.crealm, true
		}
		if m.hasSname {
			r.service, r.hasService = m.sname, true
		}
		r.success, r.hasSuccess = false, true
		if m.hasErrorText {
			r.errorMsg, r.hasErrorMsg = m.errorText, true
		} else if name, ok := errorNames[m.errorCode]; ok {
			r.errorMsg, r.hasErrorMsg = name, true
		}
		a.write()
	}
}

// session starts the connection's record if there is none (Zeek's
// set_session) and reports whether it was written.
func (a *Analyzer) session() bool {
	if !a.hasCur {
		a.cur, a.hasCur = info{ts: a.now}, true
	}
	return a.cur.logged
}

// write writes the record once (Zeek's do_log).
func (a *Analyzer) write() {
	r := &a.cur
	if !a.hasCur || r.logged {
		return
	}
	r.logged = true
	if a.out == nil {
		return
	}
	b := proto.AppendConnHeader(a.buf[:0], r.ts, a.ci)
	if r.requestType != "" {
		b = record.AppendStringField(b, "request_type", r.requestType)
	}
	if r.hasClient {
		b = record.AppendStringField(b, "client", r.client)
	}
	if r.hasService {
		b = record.AppendStringField(b, "service", r.service)
	}
	if r.hasSuccess {
		b = record.AppendBoolField(b, "success", r.success)
	}
	if r.hasErrorMsg {
		b = record.AppendStringField(b, "error_msg", r.errorMsg)
	}
	if r.hasFrom {
		b = record.AppendTime(record.AppendKey(b, "from"), r.from)
	}
	if r.hasTill {
		b = record.AppendTime(record.AppendKey(b, "till"), r.till)
	}
	if r.hasCipher {
		b = record.AppendStringField(b, "cipher", r.cipher)
	}
	if r.hasOptions {
		b = record.AppendBoolField(b, "forwardable", r.forwardable)
		b = record.AppendBoolField(b, "renewable", r.renewable)
	}
	b = append(b, '}')
	a.buf = b
	a.out.Record("kerberos", b)
}

// fact hands a KRB-ERROR on as a "_krb_auth" fact: the client (from the
// error, else from the request the record holds), the service, the error
// code and its name.
func (a *Analyzer) fact(m *message) {
	if a.out == nil {
		return
	}
	client := ""
	switch {
	case m.hasCname:
		client = m.cname
	case a.hasCur && a.cur.hasClient:
		client = a.cur.client
		if i := strings.LastIndexByte(client, '/'); i >= 0 {
			client = client[:i]
		}
	}
	b := proto.AppendConnHeader(nil, a.now, a.ci)
	b = record.AppendStringField(b, "user", client)
	if m.hasSname {
		b = record.AppendStringField(b, "service", m.sname)
	}
	b = record.AppendUintField(b, "error_code", uint64(m.errorCode))
	if name, ok := errorNames[m.errorCode]; ok {
		b = record.AppendStringField(b, "error", name)
	}
	b = record.AppendBoolField(b, "success", false)
	a.out.Record(AuthLog, append(b, '}'))
}

// asFact hands an AS-REP on as an "_krb_as" fact: the client, whether its
// request pre-authenticated it, and the cipher of the reply's part
// encrypted with the client's key — what AS-REP roasting cracks offline
// when the account needs no pre-authentication.
func (a *Analyzer) asFact(m *message) {
	if a.out == nil {
		return
	}
	b := proto.AppendConnHeader(nil, a.now, a.ci)
	b = record.AppendStringField(b, "user", m.cname)
	b = record.AppendStringField(b, "realm", m.crealm)
	b = record.AppendBoolField(b, "preauth", a.asPreauth)
	b = record.AppendStringField(b, "cipher", cipherName(m.encEtype))
	a.out.Record(ASLog, append(b, '}'))
}
