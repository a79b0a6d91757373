// Package krb analyzes Kerberos 5 (RFC 4120) between clients and a KDC,
// over UDP and TCP, and writes Zeek's kerberos.log (field names and
// semantics of base/protocols/krb/main.zeek): per connection, the
// authentication (AS) or ticket-granting (TGS) exchange — the client
// principal, the service, the ticket's validity and options asked for,
// and the answer: the ticket's cipher, or the KDC's error.
//
// As Zeek's script, one record per connection: it begins at the first
// message and is written at the first answer (a ticket or an error) or
// at the connection's end; an error whose text is one of IgnoredErrors
// (MIT's "NEEDED_PREAUTH": the KDC asking for pre-authentication) drops
// the record, so that the retry with pre-authentication makes the
// record. Messages after the record was written are not read. Over TCP
// each message has a 4-byte length (RFC 4120 7.2.2); over UDP a datagram
// is a message. conn.log's service is Zeek's: "krb" over UDP, "krb_tcp"
// over TCP.
//
// Bounds, per connection: one TCP message of at most MaxMessage bytes is
// held per side (a longer one is skipped); one record.
//
// Beside kerberos.log each error is handed on as a "_krb_auth" fact
// (client, service, error code and name; never written to disk) for the
// brute-force detector: a KDC refusing a pre-authentication
// (KDC_ERR_PREAUTH_FAILED) is a wrong password; and each AS-REP as a
// "_krb_as" fact (ASLog) for the Kerberoasting detector's AS-REP rule.
package krb

import (
	"strconv"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// MaxMessage bounds a TCP message held for parsing.
const MaxMessage = 64 << 10

// AuthLog is the fact of every KRB-ERROR (see the package comment).
const AuthLog = "_krb_auth"

// ASLog is the fact of every AS-REP whose request was seen: the client,
// whether the request pre-authenticated it, and the cipher of the part
// encrypted with the client's key (AS-REP roasting).
const ASLog = "_krb_as"

// Ports are Zeek's (88, TCP and UDP).
var Ports = []uint16{88}

// IgnoredErrors are the error texts Zeek's KRB::ignored_errors does not
// log.
var IgnoredErrors = []string{"NEEDED_PREAUTH", "Need to use PA-ENC-TIMESTAMP/PA-PK-AS-REQ"}

func init() {
	proto.Register(&proto.Factory{
		Name:       "krb",
		Transports: []uint8{6, 17},
		Ports:      Ports,
		Detect:     Detect,
		New: func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer {
			return New(ci, out)
		},
	})
}

// Detect is Sure of a Kerberos message's start (an AS or TGS request or
// reply, or an error, with protocol version 5), over TCP after its
// length; Maybe of other bytes on port 88.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	b := first
	if transport == 6 {
		if len(b) < 4 || b[0]&0x80 != 0 {
			return proto.OnPort(Ports, respPort)
		}
		b = b[4:]
	}
	if looksKerberos(b) {
		return proto.Sure
	}
	return proto.OnPort(Ports, respPort)
}

// looksKerberos reports whether b starts an AS/TGS request or reply or a
// KRB-ERROR of protocol version 5: the application tag, its length, a
// SEQUENCE and its length, then pvno [0] or [1] = 5.
func looksKerberos(b []byte) bool {
	if len(b) < 12 {
		return false
	}
	pvnoTag := byte(0xa0)
	switch b[0] {
	case 0x6a, 0x6c: // AS-REQ, TGS-REQ: pvno is [1]
		pvnoTag = 0xa1
	case 0x6b, 0x6d, 0x7e:
	default:
		return false
	}
	i := skipLength(b, 1)
	if i < 0 || i >= len(b) || b[i] != 0x30 {
		return false
	}
	i = skipLength(b, i+1)
	return i >= 0 && i+5 <= len(b) && b[i] == pvnoTag && b[i+1] == 3 && b[i+2] == 2 && b[i+3] == 1 && b[i+4] == 5
}

// skipLength returns the index past the DER length at b[i], -1 if none.
func skipLength(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	if n := b[i]; n&0x80 != 0 {
		if k := int(n & 0x7f); k >= 1 && k <= 4 {
			return i + 1 + k
		}
		return -1
	}
	return i + 1
}

// errorNames are Zeek's KRB::error_msg.
var errorNames = map[int64]string{
	0: "KDC_ERR_NONE", 1: "KDC_ERR_NAME_EXP", 2: "KDC_ERR_SERVICE_EXP", 3: "KDC_ERR_BAD_PVNO",
	4: "KDC_ERR_C_OLD_MAST_KVNO", 5: "KDC_ERR_S_OLD_MAST_KVNO", 6: "KDC_ERR_C_PRINCIPAL_UNKNOWN",
	7: "KDC_ERR_S_PRINCIPAL_UNKNOWN", 8: "KDC_ERR_PRINCIPAL_NOT_UNIQUE", 9: "KDC_ERR_NULL_KEY",
	10: "KDC_ERR_CANNOT_POSTDATE", 11: "KDC_ERR_NEVER_VALID", 12: "KDC_ERR_POLICY", 13: "KDC_ERR_BADOPTION",
	14: "KDC_ERR_ETYPE_NOSUPP", 15: "KDC_ERR_SUMTYPE_NOSUPP", 16: "KDC_ERR_PADATA_TYPE_NOSUPP",
	17: "KDC_ERR_TRTYPE_NOSUPP", 18: "KDC_ERR_CLIENT_REVOKED", 19: "KDC_ERR_SERVICE_REVOKED",
	20: "KDC_ERR_TGT_REVOKED", 21: "KDC_ERR_CLIENT_NOTYET", 22: "KDC_ERR_SERVICE_NOTYET",
	23: "KDC_ERR_KEY_EXPIRED", 24: "KDC_ERR_PREAUTH_FAILED", 25: "KDC_ERR_PREAUTH_REQUIRED",
	26: "KDC_ERR_SERVER_NOMATCH", 27: "KDC_ERR_MUST_USE_USER2USER", 28: "KDC_ERR_PATH_NOT_ACCEPTED",
	29: "KDC_ERR_SVC_UNAVAILABLE", 31: "KRB_AP_ERR_BAD_INTEGRITY", 32: "KRB_AP_ERR_TKT_EXPIRED",
	33: "KRB_AP_ERR_TKT_NYV", 34: "KRB_AP_ERR_REPEAT", 35: "KRB_AP_ERR_NOT_US", 36: "KRB_AP_ERR_BADMATCH",
	37: "KRB_AP_ERR_SKEW", 38: "KRB_AP_ERR_BADADDR", 39: "KRB_AP_ERR_BADVERSION", 40: "KRB_AP_ERR_MSG_TYPE",
	41: "KRB_AP_ERR_MODIFIED", 42: "KRB_AP_ERR_BADORDER", 44: "KRB_AP_ERR_BADKEYVER", 45: "KRB_AP_ERR_NOKEY",
	46: "KRB_AP_ERR_MUT_FAIL", 47: "KRB_AP_ERR_BADDIRECTION", 48: "KRB_AP_ERR_METHOD", 49: "KRB_AP_ERR_BADSEQ",
	50: "KRB_AP_ERR_INAPP_CKSUM", 51: "KRB_AP_PATH_NOT_ACCEPTED", 52: "KRB_ERR_RESPONSE_TOO_BIG",
	60: "KRB_ERR_GENERIC", 61: "KRB_ERR_FIELD_TOOLONG", 62: "KDC_ERROR_CLIENT_NOT_TRUSTED",
	63: "KDC_ERROR_KDC_NOT_TRUSTED", 64: "KDC_ERROR_INVALID_SIG", 65: "KDC_ERR_KEY_TOO_WEAK",
	66: "KDC_ERR_CERTIFICATE_MISMATCH", 67: "KRB_AP_ERR_NO_TGT", 68: "KDC_ERR_WRONG_REALM",
	69: "KRB_AP_ERR_USER_TO_USER_REQUIRED", 70: "KDC_ERR_CANT_VERIFY_CERTIFICATE",
	71: "KDC_ERR_INVALID_CERTIFICATE", 72: "KDC_ERR_REVOKED_CERTIFICATE", 73: "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
	74: "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", 75: "KDC_ERR_CLIENT_NAME_MISMATCH", 76: "KDC_ERR_KDC_NAME_MISMATCH",
}

// cipherNames are Zeek's KRB::cipher_name.
var cipherNames = map[int64]string{
	1: "des-cbc-crc", 2: "des-cbc-md4", 3: "des-cbc-md5", 5: "des3-cbc-md5", 7: "des3-cbc-sha1",
	9: "dsaWithSHA1-CmsOID", 10: "md5WithRSAEncryption-CmsOID", 11: "sha1WithRSAEncryption-CmsOID",
	12: "rc2CBC-EnvOID", 13: "rsaEncryption-EnvOID", 14: "rsaES-OAEP-ENV-OID", 15: "des-ede3-cbc-Env-OID",
	16: "des3-cbc-sha1-kd", 17: "aes128-cts-hmac-sha1-96", 18: "aes256-cts-hmac-sha1-96", 23: "rc4-hmac",
	24: "rc4-hmac-exp", 25: "camellia128-cts-cmac", 26: "camellia256-cts-cmac", 65: "subkey-keymaterial",
}

// cipherName is Zeek's name of an encryption type ("unknown-N" when it
// has none).
func cipherName(etype int64) string {
	if n, ok := cipherNames[etype]; ok {
		return n
	}
	return "unknown-" + strconv.FormatInt(etype, 10)
}
