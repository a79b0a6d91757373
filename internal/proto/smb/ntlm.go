package smb

import (
	"bytes"
	"encoding/binary"

	"github.com/vigil-nsm/vigil/internal/proto/wire"
)

// NTLMSSP message types (MS-NLMP 2.2.1).
const (
	ntlmNegotiate    = 1
	ntlmChallenge    = 2
	ntlmAuthenticate = 3
)

// ntlmUnicode is NTLMSSP_NEGOTIATE_UNICODE: the message's strings are
// UTF-16LE, else OEM (taken as bytes).
const ntlmUnicode = 0x00000001

var ntlmSignature = []byte("NTLMSSP\x00")

// challengeInfo is what Zeek's ntlm.log keeps of a CHALLENGE: the
// server's names from its target information (AV pairs).
type challengeInfo struct {
	nbComputer, dnsComputer, dnsTree string
}

// authInfo is what Zeek's ntlm.log keeps of an AUTHENTICATE.
type authInfo struct {
	domain, user, workstation string
}

// findNTLM returns the NTLMSSP message of one of the wanted types inside
// a security blob: the blob itself (raw NTLMSSP, which SMB allows) or the
// token inside its SPNEGO wrapping, found by its signature rather than by
// decoding the ASN.1 (the token is an OCTET STRING's content, so it runs
// to the end of its enclosing structures, which a truncated or odd
// encoding does not hide). Every occurrence of the signature is tried,
// so that one planted earlier (in a mechanism OID, say) with the wrong
// type does not hide the message.
func findNTLM(blob []byte, wanted ...uint32) []byte {
	for off := 0; off < len(blob); {
		i := bytes.Index(blob[off:], ntlmSignature)
		if i < 0 {
			return nil
		}
		m := blob[off+i:]
		for _, w := range wanted {
			if ntlmType(m) == w {
				return m
			}
		}
		off += i + 1
	}
	return nil
}

// ntlmType returns the message type of an NTLMSSP message, 0 when it is
// too short.
func ntlmType(m []byte) uint32 {
	if len(m) < 12 {
		return 0
	}
	return binary.LittleEndian.Uint32(m[8:])
}

// ntlmField returns the bytes a (length, max length, offset) field at off
// of m points to, nil when the field or its bytes lie outside m.
func ntlmField(m []byte, off int) []byte {
	if off+8 > len(m) {
		return nil
	}
	n := int(binary.LittleEndian.Uint16(m[off:]))
	at := int(binary.LittleEndian.Uint32(m[off+4:]))
	if n == 0 || at < 0 || at > len(m) || n > len(m)-at {
		return nil
	}
	return m[at : at+n]
}

// parseChallenge reads the server's names from a CHALLENGE's target
// information: NetBIOS computer name (AV pair 1), DNS computer name (3)
// and DNS tree name (5), as Zeek does.
func parseChallenge(m []byte) challengeInfo {
	var ci challengeInfo
	info := ntlmField(m, 40)
	for len(info) >= 4 {
		id := binary.LittleEndian.Uint16(info)
		n := int(binary.LittleEndian.Uint16(info[2:]))
		if id == 0 || n > len(info)-4 {
			break
		}
		v := info[4 : 4+n]
		switch id {
		case 1:
			ci.nbComputer = wire.UTF16LE(v)
		case 3:
			ci.dnsComputer = wire.UTF16LE(v)
		case 5:
			ci.dnsTree = wire.UTF16LE(v)
		}
		info = info[4+n:]
	}
	return ci
}

// parseAuthenticate reads an AUTHENTICATE's domain, user and workstation
// names, in UTF-16LE when its flags say so.
func parseAuthenticate(m []byte) authInfo {
	var flags uint32
	if len(m) >= 64 {
		flags = binary.LittleEndian.Uint32(m[60:])
	}
	str := func(off int) string {
		b := ntlmField(m, off)
		if flags&ntlmUnicode != 0 {
			return wire.UTF16LE(b)
		}
		return string(b)
	}
	return authInfo{domain: str(28), user: str(36), workstation: str(44)}
}
