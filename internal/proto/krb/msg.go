package krb

import (
	"slices"
	"strings"
	"time"
)

// Message kinds: the APPLICATION tag of each message (RFC 4120).
const (
	asReq    = 10
	asRep    = 11
	tgsReq   = 12
	tgsRep   = 13
	krbError = 30
)

// message is what the log reads of one Kerberos message (Zeek's
// KRB::KDC_Request, KDC_Response and Error_Msg).
type message struct {
	kind int

	// Requests (KDC-REQ-BODY).
	cname, sname, realm    string
	hasCname, hasSname     bool
	from, till             int64 // Unix ns
	hasFrom, hasTill       bool
	forwardable, renewable bool
	hasOptions             bool
	preauth                bool // padata pre-authenticates the client (preauthTypes)
	// Replies: the client, the ticket, and the encryption type of the
	// part encrypted with the client's key.
	crealm      string
	hasCrealm   bool
	ticketSname string
	ticketEtype int64
	encEtype    int64
	// Errors.
	errorCode    int64
	errorText    string
	hasErrorText bool
}

// parse reads one message; false when it is none this analyzer reads or
// does not parse.
func parse(b []byte) (m message, ok bool) {
	d := der{b: b}
	class, constructed, tag, content := d.next()
	if d.bad || class != classApplication || !constructed {
		return m, false
	}
	seq, ok := sequence(content)
	if !ok {
		return m, false
	}
	m.kind = tag
	switch tag {
	case asReq, tgsReq:
		return m, m.request(seq)
	case asRep, tgsRep:
		return m, m.reply(seq)
	case krbError:
		return m, m.krbError(seq)
	}
	return m, false
}

// request reads a KDC-REQ: pvno [1], msg-type [2], padata [3], req-body [4].
func (m *message) request(seq []byte) bool {
	var f [5][]byte
	if !fields(seq, f[:]) || f[4] == nil {
		return false
	}
	if f[3] != nil {
		m.preauth = preauthenticated(f[3])
	}
	body, ok := sequence(f[4])
	var bf [6][]byte
	if !ok || !fields(body, bf[:]) {
		return false
	}
	if bf[0] != nil {
		d := der{b: bf[0]}
		class, _, tag, bits := d.next()
		if d.bad || class != classUniversal || tag != 3 {
			return false
		}
		m.hasOptions = true
		m.forwardable = len(bits) > 1 && bits[1]&0x40 != 0 // bit 1
		m.renewable = len(bits) > 2 && bits[2]&0x80 != 0   // bit 8
	}
	if bf[1] != nil {
		if m.cname, ok = principal(bf[1]); !ok {
			return false
		}
		m.hasCname = true
	}
	if m.realm, ok = str(bf[2]); !ok {
		return false
	}
	if bf[3] != nil {
		if m.sname, ok = principal(bf[3]); !ok {
			return false
		}
		m.hasSname = true
	}
	if bf[4] != nil {
		if m.from, ok = kerberosTime(bf[4]); !ok {
			return false
		}
		m.hasFrom = true
	}
	if bf[5] != nil {
		if m.till, ok = kerberosTime(bf[5]); !ok {
			return false
		}
		m.hasTill = true
	}
	return true
}

// reply reads a KDC-REP: pvno [0], msg-type [1], padata [2], crealm [3],
// cname [4], ticket [5], enc-part [6].
func (m *message) reply(seq []byte) bool {
	var f [7][]byte
	if !fields(seq, f[:]) || f[5] == nil {
		return false
	}
	var ok bool
	if f[3] != nil {
		if m.crealm, ok = str(f[3]); !ok {
			return false
		}
		m.hasCrealm = true
	}
	if f[4] != nil {
		if m.cname, ok = principal(f[4]); !ok {
			return false
		}
		m.hasCname = true
	}
	if _, m.ticketSname, m.ticketEtype, ok = ticket(f[5]); !ok {
		return false
	}
	if enc, ok := sequence(f[6]); ok {
		var ef [1][]byte
		if fields(enc, ef[:]) {
			m.encEtype, _ = integer(ef[0])
		}
	}
	return true
}

// preauthTypes are the PA-DATA types that pre-authenticate a client (RFC
// 4120 PA-ENC-TIMESTAMP, PKINIT's PA-PK-AS-REQ old and new, FAST's
// armor and encrypted challenge).
var preauthTypes = []int64{2, 14, 16, 136, 138}

// preauthenticated reports whether a SEQUENCE OF PA-DATA { padata-type
// [1], padata-value [2] } holds a pre-authentication.
func preauthenticated(b []byte) bool {
	list, ok := sequence(b)
	if !ok {
		return false
	}
	d := der{b: list}
	for len(d.b) > 0 {
		class, _, tag, pa := d.next()
		if d.bad || class != classUniversal || tag != 16 {
			return false
		}
		var f [2][]byte
		if !fields(pa, f[:]) {
			return false
		}
		if t, ok := integer(f[1]); ok && slices.Contains(preauthTypes, t) {
			return true
		}
	}
	return false
}

// ticket reads a Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0],
// realm [1], sname [2], enc-part [3] EncryptedData { etype [0] … } }: its
// realm, service and encryption type.
func ticket(b []byte) (realm, sname string, etype int64, ok bool) {
	d := der{b: b}
	class, _, tag, content := d.next()
	if d.bad || class != classApplication || tag != 1 {
		return "", "", 0, false
	}
	tseq, ok := sequence(content)
	var tf [4][]byte
	if !ok || !fields(tseq, tf[:]) {
		return "", "", 0, false
	}
	if realm, ok = str(tf[1]); !ok {
		return "", "", 0, false
	}
	if sname, ok = principal(tf[2]); !ok {
		return "", "", 0, false
	}
	enc, ok := sequence(tf[3])
	var ef [1][]byte
	if !ok || !fields(enc, ef[:]) {
		return "", "", 0, false
	}
	etype, ok = integer(ef[0])
	return realm, sname, etype, ok
}

// krbError reads a KRB-ERROR: error-code [6], crealm [7], cname [8],
// realm [9], sname [10], e-text [11].
func (m *message) krbError(seq []byte) bool {
	var f [12][]byte
	if !fields(seq, f[:]) {
		return false
	}
	var ok bool
	if m.errorCode, ok = integer(f[6]); !ok {
		return false
	}
	if f[7] != nil {
		if m.crealm, ok = str(f[7]); !ok {
			return false
		}
		m.hasCrealm = true
	}
	if f[8] != nil {
		if m.cname, ok = principal(f[8]); !ok {
			return false
		}
		m.hasCname = true
	}
	if f[10] != nil {
		if m.sname, ok = principal(f[10]); !ok {
			return false
		}
		m.hasSname = true
	}
	if f[11] != nil {
		if m.errorText, ok = str(f[11]); !ok {
			return false
		}
		m.hasErrorText = true
	}
	return true
}

// principal reads a PrincipalName { name-type [0], name-string [1]
// SEQUENCE OF KerberosString } as Zeek writes one: up to three
// components joined by "/", "unknown" past that.
func principal(b []byte) (string, bool) {
	seq, ok := sequence(b)
	var f [2][]byte
	if !ok || !fields(seq, f[:]) {
		return "", false
	}
	names, ok := sequence(f[1])
	if !ok {
		return "", false
	}
	var parts [3]string
	n := 0
	d := der{b: names}
	for len(d.b) > 0 {
		class, constructed, _, content := d.next()
		if d.bad || class != classUniversal || constructed {
			return "", false
		}
		if n < len(parts) {
			parts[n] = string(content)
		}
		n++
	}
	if n == 0 || n > len(parts) {
		return "unknown", true
	}
	return strings.Join(parts[:n], "/"), true
}

// kerberosTime reads a KerberosTime (GeneralizedTime, "YYYYMMDDHHMMSSZ")
// as Unix nanoseconds.
func kerberosTime(b []byte) (int64, bool) {
	d := der{b: b}
	class, _, tag, v := d.next()
	if d.bad || class != classUniversal || tag != 24 || len(v) < 15 {
		return 0, false
	}
	num := func(s []byte) int {
		n := 0
		for _, c := range s {
			n = n*10 + int(c-'0')
		}
		return n
	}
	for _, c := range v[:14] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	t := time.Date(num(v[0:4]), time.Month(num(v[4:6])), num(v[6:8]), num(v[8:10]), num(v[10:12]), num(v[12:14]), 0, time.UTC)
	return t.UnixNano(), true
}
