package smb

import (
	"encoding/binary"
	"strings"
	"testing"
)

// smb1Ext is an SMB1 SESSION_SETUP_ANDX request with extended security
// (word count 12) carrying blob, in session uid with message id mid.
func smb1Ext(uid, mid int, blob []byte) []byte {
	h := []byte{0xFF, 'S', 'M', 'B', smb1SessionSetup, 0, 0, 0, 0, 0x18}
	h = le16(h, 0xC801)
	h = append(h, make([]byte, 32-len(h))...)
	binary.LittleEndian.PutUint16(h[28:], uint16(uid))
	binary.LittleEndian.PutUint16(h[30:], uint16(mid))
	w := []byte{0xff, 0, 0, 0}
	w = le16(w, 4356)
	w = le16(w, 50)
	w = le16(w, 0)
	w = le32(w, 0)
	w = le16(w, len(blob))
	w = le32(w, 0)
	w = le32(w, 0x8000e3fc)
	m := append(h, 12)
	m = append(m, w...)
	m = le16(m, len(blob))
	return append(m, blob...)
}

// smb1ExtReply is the reply (word count 4) with status and blob.
func smb1ExtReply(status uint32, uid, mid int, blob []byte) []byte {
	h := []byte{0xFF, 'S', 'M', 'B', smb1SessionSetup}
	h = le32(h, status)
	h = append(h, 0x98)
	h = le16(h, 0xC801)
	h = append(h, make([]byte, 32-len(h))...)
	binary.LittleEndian.PutUint16(h[28:], uint16(uid))
	binary.LittleEndian.PutUint16(h[30:], uint16(mid))
	if status != statusMoreProcessing && status != statusSuccess {
		return append(h, 0, 0, 0)
	}
	w := []byte{0xff, 0, 0, 0}
	w = le16(w, 0)
	w = le16(w, len(blob))
	m := append(h, 4)
	m = append(m, w...)
	m = le16(m, len(blob))
	return append(m, blob...)
}

// spnegoInitNoToken is a SPNEGO NegTokenInit offering NTLMSSP by its
// OID with no optimistic token: no "NTLMSSP\0" bytes, so the analyzer
// first takes it for Kerberos. Samba's ntlmssp_server_negotiate accepts an
// empty NEGOTIATE (in.length == 0) and answers with a CHALLENGE.
func spnegoInitNoToken() []byte {
	ntlmOID := []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
	spnegoOID := []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	return der(0x60, der(0x06, spnegoOID), der(0xa0, der(0x30, der(0xa0, der(0x30, der(0x06, ntlmOID))))))
}

// TestKerberosSameMIDSwallowsGuess: SMB1 MIDs may repeat. A
// guesser starts an NTLM login (NEGOTIATE, CHALLENGE, uid 100), then
// pipelines a non-NTLM session setup (a new session) and the guess's
// AUTHENTICATE with the same MID. The server answers in order, and so
// must the analyzer match: the guess's refusal is its own, not swallowed
// by the other session (the fifth review of session 14).
func TestKerberosSameMIDSwallowsGuess(t *testing.T) {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	var steps []step
	users := []string{"root", "admin", "administrator", "backup"}
	for g, u := range users {
		uid := 100 + 2*g
		steps = append(steps,
			step{0, nb(smb1Ext(0, 1, spnego(negotiate())))},
			step{1, nb(smb1ExtReply(statusMoreProcessing, uid, 1, chal))},
			step{0, append(nb(smb1Ext(0, 2, spnegoInitNoToken())), nb(smb1Ext(uid, 2, spnego(authenticate("LAB", u, "WS1", true))))...)},
			step{1, nb(smb1ExtReply(statusMoreProcessing, uid+1, 2, chal))}, // the reply to the new session
			step{1, nb(smb1ExtReply(statusLogonFailure, uid, 2, nil))},      // the guess refused
		)
	}
	got, _ := run(t, steps, 0)
	if n := failures(got); n != len(users) {
		t.Fatalf("%d refused guesses gave %d failure records:\n%s", len(users), n, strings.Join(got, "\n"))
	}
}

// TestSPNEGOInitWithoutTokenKeepsServerNames: a NegTokenInit
// without an optimistic token, then NTLM: the CHALLENGE that answers it
// makes the login an NTLM one, and its record keeps the server's names.
func TestSPNEGOInitWithoutTokenKeepsServerNames(t *testing.T) {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	steps := []step{
		{0, nb(smb1Ext(0, 1, spnegoInitNoToken()))},
		{1, nb(smb1ExtReply(statusMoreProcessing, 100, 1, chal))},
		{0, nb(smb1Ext(100, 2, spnego(authenticate("LAB", "alice", "WS1", true))))},
		{1, nb(smb1ExtReply(statusLogonFailure, 100, 2, nil))},
	}
	got, _ := run(t, steps, 0)
	if len(got) != 1 || !strings.Contains(got[0], `"server_nb_computer_name":"FILESRV"`) || !strings.Contains(got[0], `"username":"alice"`) {
		t.Fatalf("gave:\n%s", strings.Join(got, "\n"))
	}
}

// writeAndXFlag is a small SMB1 WRITE_ANDX (bogus FID) in a NetBIOS
// header whose reserved flag bit 0x02 is set: Samba with its default
// "min receive file size = 0" reads it with smb_len (17 bits; the 24-bit
// partial-read path needs min_recv_size): so does the analyzer.
func writeAndXFlag() []byte {
	w := []byte{0xFF, 'S', 'M', 'B', 0x2F /* WRITE_ANDX */, 0, 0, 0, 0, 0x18}
	w = append(w, make([]byte, 32-len(w))...)
	w = append(w, 0) // word count 0, byte count 0
	w = append(w, 0, 0)
	n := len(w)
	return append([]byte{0, 0x02, byte(n >> 8), byte(n)}, w...)
}

// TestWriteAndXFlagBitsHideNames: the guesses after such a write keep
// their names and refusals.
func TestWriteAndXFlagBitsHideNames(t *testing.T) {
	steps := []step{{0, writeAndXFlag()}}
	users := []string{"root", "admin", "administrator", "backup"}
	for _, u := range users {
		steps = append(steps, step{0, nb(smb1Basic(u, "WORKGROUP", true))}, step{1, nb(smb1Reply(statusLogonFailure))})
	}
	got, _ := run(t, steps, 0)
	if n := failures(got); n != len(users) {
		t.Fatalf("%d refused guesses gave %d failure records:\n%s", len(users), n, strings.Join(got, "\n"))
	}
	for _, u := range users {
		if !strings.Contains(strings.Join(got, "\n"), `"username":"`+u+`"`) {
			t.Fatalf("guess %q hidden by a flagged WRITE_ANDX:\n%s", u, strings.Join(got, "\n"))
		}
	}
}

// TestWriteAndXPlantedKerberos: were the analyzer to read such a write
// with 24 bits, its window would end inside what Samba reads as a
// NetBIOS keepalive (0x85, dropped by reply_special), where a client
// could plant non-NTLM session setups the server never sees, each
// swallowing a real guess's refusal: every refusal must be counted.
func TestWriteAndXPlantedKerberos(t *testing.T) {
	const guesses = 6
	w := writeAndXFlag()
	realLen := len(w) - 4
	window := 0x020000 + realLen // what the analyzer skips after w's header
	var fake []byte
	for i := 0; i < guesses; i++ {
		fake = append(fake, nb(smb1Ext(0, 7, spnegoInitNoToken()))...)
	}
	// After w (as Samba reads it): a keepalive whose body covers the rest
	// of the analyzer's window, then the planted messages (also in its
	// body); keepalive length < 128 KiB, 17 bits.
	pad := window - realLen - 4 // bytes of the keepalive body inside the window
	body := append(make([]byte, pad), fake...)
	ka := append([]byte{0x85, byte(len(body) >> 16 & 1), byte(len(body) >> 8), byte(len(body))}, body...)
	stream := append(append([]byte{}, w...), ka...)
	checkGuessesAfter(t, stream, guesses)
}

// checkGuessesAfter feeds stream from the client, then guesses SMB1
// logins with message id 7 that the server refuses, and checks that each
// refusal is a failure record.
func checkGuessesAfter(t *testing.T, stream []byte, guesses int) {
	t.Helper()
	steps := []step{{0, stream}}
	for i := 0; i < guesses; i++ {
		b := smb1Basic("user"+string(rune('a'+i)), "WORKGROUP", true)
		binary.LittleEndian.PutUint16(b[30:], 7)
		steps = append(steps, step{0, nb(b)})
	}
	for i := 0; i < guesses; i++ {
		r := smb1Reply(statusLogonFailure)
		binary.LittleEndian.PutUint16(r[30:], 7)
		steps = append(steps, step{1, nb(r)})
	}
	got, _ := run(t, steps, 0)
	if n := failures(got); n != guesses {
		t.Fatalf("%d refused guesses gave %d failure records:\n%s", guesses, n, strings.Join(got, "\n"))
	}
}
