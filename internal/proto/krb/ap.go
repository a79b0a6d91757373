package krb

import (
	"bytes"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// AP is a Kerberos AP-REQ another protocol carried in its GSS-API
// authentication (SMB's session setup): the ticket's service, realm and
// cipher, for kerberos.log's "AP" record of the connection (Zeek's
// krb_ap_request and krb_ap_response, from its GSSAPI analyzer).
type AP struct {
	Service, Realm, Cipher string
}

// The Kerberos mechanism's OIDs in a GSS-API token: RFC 4121's and
// Microsoft's (1.2.840.48018.1.2.2), as DER.
var (
	krb5OID   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	msKrb5OID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}
)

// gssToken returns what follows the Kerberos mechanism's OID and token
// ID tokID in blob (an InitialContextToken inside SPNEGO, or alone), nil
// if there is none.
func gssToken(blob []byte, tokID byte) []byte {
	for _, oid := range [][]byte{krb5OID, msKrb5OID} {
		rest := blob
		for {
			i := bytes.Index(rest, oid)
			if i < 0 {
				break
			}
			rest = rest[i+len(oid):]
			if len(rest) > 2 && rest[0] == tokID && rest[1] == 0 {
				return rest[2:]
			}
		}
	}
	return nil
}

// FindAPRequest finds a Kerberos AP-REQ in a GSS-API blob and reads its
// ticket.
func FindAPRequest(blob []byte) (AP, bool) {
	tok := gssToken(blob, 0x01)
	if tok == nil {
		return AP{}, false
	}
	// AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1],
	// ap-options [2], ticket [3], authenticator [4] }
	d := der{b: tok}
	class, _, tag, content := d.next()
	if d.bad || class != classApplication || tag != 14 {
		return AP{}, false
	}
	seq, ok := sequence(content)
	var f [4][]byte
	if !ok || !fields(seq, f[:]) || f[3] == nil {
		return AP{}, false
	}
	realm, sname, etype, ok := ticket(f[3])
	if !ok {
		return AP{}, false
	}
	return AP{Service: sname, Realm: realm, Cipher: cipherName(etype)}, true
}

// HasAPReply reports whether a GSS-API blob holds a Kerberos AP-REP
// ([APPLICATION 15]): the server accepted the AP-REQ.
func HasAPReply(blob []byte) bool {
	tok := gssToken(blob, 0x02)
	return len(tok) > 0 && tok[0] == 0x6f
}

// AppendAPRecord appends kerberos.log's record of an AP exchange begun at
// ts: request type "AP", the ticket's service and cipher, the client "/"
// and the ticket's realm (the client's name is encrypted), success when
// the server's AP-REP came.
func AppendAPRecord(dst []byte, ts int64, ci *proto.ConnInfo, ap AP, success bool) []byte {
	b := proto.AppendConnHeader(dst, ts, ci)
	b = record.AppendStringField(b, "request_type", "AP")
	b = record.AppendStringField(b, "client", "/"+ap.Realm)
	b = record.AppendStringField(b, "service", ap.Service)
	if success {
		b = record.AppendBoolField(b, "success", true)
	}
	b = record.AppendStringField(b, "cipher", ap.Cipher)
	return append(b, '}')
}
