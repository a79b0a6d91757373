package smb

import (
	"strings"
	"testing"
)

// TestSMB1NetBIOSFlagBits: for SMB1, Samba frames a NetBIOS session
// message with smb_len_nbt = RIVAL(buf,0) & 0x1FFFF (17 bits: the length
// and RFC 1002's E bit); the other seven bits of the flags byte are
// ignored. A client that sets a reserved flag bit (here 0x02) in each
// request must not make the analyzer, reading 24 bits, wait for 128 KiB
// more and miss every guess.
func TestSMB1NetBIOSFlagBits(t *testing.T) {
	nbFlags := func(msg []byte) []byte {
		b := nb(msg)
		b[1] |= 0x02 // reserved NetBIOS flag bit, masked off by Samba's smb_len_nbt
		return b
	}
	var steps []step
	users := []string{"root", "admin", "administrator", "backup"}
	for _, u := range users {
		steps = append(steps, step{0, nbFlags(smb1Basic(u, "WORKGROUP", true))}, step{1, nb(smb1Reply(statusLogonFailure))})
	}
	got, _ := run(t, steps, 0)
	n := failures(got)
	if n != len(users) {
		t.Fatalf("%d refused guesses gave %d failure records:\n%s", len(users), n, strings.Join(got, "\n"))
	}
}

// TestEvictionKeepsVerdicts: SMB2 lets a client keep many session
// setups in flight. An attacker sends each guess's AUTHENTICATE followed,
// in the same write, by 16 fresh NTLM NEGOTIATE session setups (new
// sessions the server challenges). They must not push the guess out of
// the analyzer's maxAttempts table before its refusal arrives: ten
// refused guesses give ten failures.
func TestEvictionKeepsVerdicts(t *testing.T) {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	var steps []step
	mid, sid := uint64(1), uint64(0x1000)
	const guesses = 10
	for g := 0; g < guesses; g++ {
		gmid, gsid := mid, sid
		mid++
		sid++
		steps = append(steps,
			step{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), gmid, 0))},
			step{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), gmid, gsid))})
		amid := mid
		mid++
		burst := nb(withIDs(smb2(false, 0, spnego(authenticate("LAB", "administrator", "X", true))), amid, gsid))
		var answers []byte
		answers = append(answers, nb(withIDs(smb2(true, statusLogonFailure, nil), amid, gsid))...)
		for j := 0; j < 16; j++ {
			burst = append(burst, nb(withIDs(smb2(false, 0, spnego(negotiate())), mid, 0))...)
			answers = append(answers, nb(withIDs(smb2(true, statusMoreProcessing, chal), mid, sid))...)
			mid++
			sid++
		}
		steps = append(steps, step{0, burst}, step{1, answers})
	}
	got, _ := run(t, steps, 0)
	n := failures(got)
	if n != guesses {
		t.Fatalf("%d refused guesses gave %d failure records (%d records in all)", guesses, n, len(got))
	}
}
