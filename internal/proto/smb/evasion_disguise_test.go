package smb

import (
	"bytes"
	"strings"
	"testing"
)

// TestLongOIDHidesAuthenticate: a negTokenResp whose supportedMech [1]
// (read and ignored by Samba's server, see TestSPNEGOFakeSignatureInOID)
// is an OID of 17000 arcs puts the AUTHENTICATE past MaxKeep: the kept
// blob has no "NTLMSSP\0", so the guess is taken for a Kerberos leg; its
// refusal, not followed by an accepted NTLM login, is still a refused
// login (the sixth review of session 14).
func TestLongOIDHidesAuthenticate(t *testing.T) {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	oid := bytes.Repeat([]byte{0x01}, 17000)
	var steps []step
	users := []string{"root", "admin", "administrator", "backup"}
	for g, u := range users {
		mid := uint64(1 + 2*g)
		sid := uint64(0x55 + g)
		blob := der(0xa1, der(0x30, der(0xa1, der(0x06, oid)), der(0xa2, der(0x04, authenticate("LAB", u, "WS1", true)))))
		steps = append(steps,
			step{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), mid, 0))},
			step{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), mid, sid))},
			step{0, nb(withIDs(smb2(false, 0, blob), mid+1, sid))},
			step{1, nb(withIDs(smb2(true, statusLogonFailure, nil), mid+1, sid))},
		)
	}
	got, _ := run(t, steps, 0)
	if n := failures(got); n != len(users) {
		t.Fatalf("%d refused guesses gave %d failure records:\n%s", len(users), n, strings.Join(got, "\n"))
	}
}

// TestLargeWritePlantedKerberos: the mirror of TestWriteAndXPlantedKerberos
// for a server that reads the client's WRITE_ANDX with 24 bits (Samba with
// "min receive file size" set, unsigned, a valid FID: smb_len_large in
// receive_smb_raw_talloc_partial_read). The analyzer now reads 17 bits,
// so what the server takes as file data it reads as messages: planted
// non-NTLM session setups with the guesses' MID are older requests than
// the guesses and take their refusals, which must still count.
func TestLargeWritePlantedKerberos(t *testing.T) {
	const guesses = 6
	w := []byte{0xFF, 'S', 'M', 'B', 0x2F, 0, 0, 0, 0, 0x18}
	w = append(w, make([]byte, 32-len(w))...)
	w = append(w, 0, 0, 0)
	hdr := []byte{0, 0x02, byte(len(w) >> 8), byte(len(w))} // server: 0x20000+len(w) bytes
	var fake []byte
	for i := 0; i < guesses; i++ {
		fake = append(fake, nb(smb1Ext(0, 7, spnegoInitNoToken()))...)
	}
	pad := 0x20000 - len(fake) - 4
	body := append(fake, 0x85, byte(pad>>16&1), byte(pad>>8), byte(pad))
	body = append(body, make([]byte, pad)...)
	stream := append(append(hdr, w...), body...)
	checkGuessesAfter(t, stream, guesses)
}
