package smb

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestKerberosRefusalIsNoGuess: a Kerberos session setup (SPNEGO
// with a krb5 AP-REQ, no NTLMSSP) refused with STATUS_LOGON_FAILURE, as
// Samba answers every failed AP-REQ (gensec_gssapi: expired ticket,
// KRB_AP_ERR_MODIFIED after a keytab or machine password change), then
// the client falls back to NTLM and is let in (smbclient/libsmb do so).
// No password was tried in the Kerberos leg: it must not be a refused
// login in ntlm.log (ten such connections make bruteforce.smb "and
// logged in", Critical).
func TestKerberosRefusalIsNoGuess(t *testing.T) {
	krb5OID := []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	spnegoOID := []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	apreq := der(0x60, der(0x06, krb5OID), []byte{0x01, 0x00}, der(0x6e, der(0x30, make([]byte, 300))))
	init := der(0x60, der(0x06, spnegoOID), der(0xa0, der(0x30,
		der(0xa0, der(0x30, der(0x06, krb5OID))),
		der(0xa2, der(0x04, apreq)))))
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	steps := []step{
		{0, nb(withIDs(smb2(false, 0, init), 2, 0))},
		{1, nb(withIDs(smb2(true, statusLogonFailure, nil), 2, 0))},
		{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), 3, 0))},
		{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), 3, 0x55))},
		{0, nb(withIDs(smb2(false, 0, spnego(authenticate("LAB", "alice", "WS1", true))), 4, 0x55))},
		{1, nb(withIDs(smb2(true, statusSuccess, nil), 4, 0x55))},
	}
	got, _ := run(t, steps, 0)
	for _, r := range got {
		if strings.Contains(r, `"success":false`) {
			t.Fatalf("a refused Kerberos session setup is a refused password:\n%s", strings.Join(got, "\n"))
		}
	}
}

// TestSMB1ChainedSessionSetup: SMB1 lets SESSION_SETUP_ANDX follow
// another AndX command in one message (Samba's smb1_walk_chain takes any
// AndX command in any place). After an anonymous session, an attacker
// sends each guess as TREE_CONNECT_ANDX(IPC$) + SESSION_SETUP_ANDX on one
// long connection; the reply's header names TREE_CONNECT_ANDX and carries
// the chain's error (STATUS_LOGON_FAILURE): each is a refused login,
// without names.
func TestSMB1ChainedSessionSetup(t *testing.T) {
	chained := func(mid int) []byte {
		h := []byte{0xFF, 'S', 'M', 'B', 0x75, 0, 0, 0, 0, 0x18}
		h = le16(h, 0xC001)
		h = append(h, make([]byte, 32-len(h))...)
		binary.LittleEndian.PutUint16(h[28:], 100) // the anonymous session's UID
		binary.LittleEndian.PutUint16(h[30:], uint16(mid))
		tc := []byte{4, 0x73, 0, 0, 0, 0, 0, 1, 0} // AndX: SESSION_SETUP_ANDX at (set below), flags, password length 1
		data := []byte{0}
		data = append(append(data, utf16le(`\\SRV\IPC$`)...), 0, 0)
		data = append(data, "?????\x00"...)
		tc = le16(tc, len(data))
		tc = append(tc, data...)
		m := append(h, tc...)
		binary.LittleEndian.PutUint16(m[35:], uint16(len(m)))
		ss := smb1Basic("administrator", "WORKGROUP", true)
		return append(m, ss[32:]...)
	}
	reply := func(mid int) []byte {
		r := smb1Reply(statusLogonFailure)
		r[4] = 0x75
		binary.LittleEndian.PutUint16(r[30:], uint16(mid))
		return r
	}
	var steps []step
	for g := 0; g < 5; g++ {
		steps = append(steps, step{0, nb(chained(10 + g))}, step{1, nb(reply(10 + g))})
	}
	got, _ := run(t, steps, 0)
	n := failures(got)
	if n != 5 {
		t.Fatalf("5 refused guesses chained after TREE_CONNECT_ANDX gave %d failure records:\n%s", n, strings.Join(got, "\n"))
	}
}
