package smb

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestSMB1LargeReadReplyFraming: a Samba server answers an SMB1
// READ_ANDX for more than 128 KiB (CAP_LARGE_READX, as smbclient and the
// Linux cifs client use it) with a 24-bit NetBIOS length
// (_smb_setlen_large: "set_message truncates at 0x1FFFF"); Zeek frames
// SMB1 with 24 bits too: the server's messages keep 24 bits, or the rest
// of the file data would be read as NetBIOS headers.
func TestSMB1LargeReadReplyFraming(t *testing.T) {
	const size = 0x30000 // 192 KiB: 24-bit 0x030000, 17-bit 0x010000
	read := []byte{0xFF, 'S', 'M', 'B', 0x2E, 0, 0, 0, 0, 0x98}
	read = append(read, make([]byte, 32-len(read))...)
	read = append(read, bytes.Repeat([]byte{'A'}, size-len(read))...) // file data
	steps := []step{
		{1, nb(read)},
		{0, nb(smb1Basic("root", "WORKGROUP", true))},
		{1, nb(smb1Reply(statusLogonFailure))},
	}
	got, _ := run(t, steps, 0)
	if len(got) != 1 || !strings.Contains(got[0], `"success":false`) {
		t.Fatalf("a refused login after a large SMB1 read reply gave:\n%s", strings.Join(got, "\n"))
	}
}

// TestSMB2PipelineEvictionHidesGuesses: SMB2 lets a client keep many
// session setups in flight (one credit each). The attacker opens 32
// sessions, sends 16 guesses, then 16 anonymous AUTHENTICATEs (empty
// user, a null session every default Samba and Windows accepts) before
// reading any answer. The anonymous ones push the guesses out of the
// maxAttempts table (written without a verdict); their 16 refusals must
// still be 16 refused logins (without names), or the brute-force
// detector would see no failure at all on one long connection (the third
// review of session 14).
func TestSMB2PipelineEvictionHidesGuesses(t *testing.T) {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	const sessions = 32
	var negs, chals, auths, answers []byte
	for i := uint64(1); i <= sessions; i++ {
		negs = append(negs, nb(withIDs(smb2(false, 0, spnego(negotiate())), i, 0))...)
		chals = append(chals, nb(withIDs(smb2(true, statusMoreProcessing, chal), i, 0x1000+i))...)
		mid := 100 + i
		if i <= sessions/2 {
			auths = append(auths, nb(withIDs(smb2(false, 0, spnego(authenticate("LAB", "administrator", "X", true))), mid, 0x1000+i))...)
			answers = append(answers, nb(withIDs(smb2(true, statusLogonFailure, nil), mid, 0x1000+i))...)
		} else {
			auths = append(auths, nb(withIDs(smb2(false, 0, spnego(authenticate("", "", "", true))), mid, 0x1000+i))...)
			ok := withIDs(smb2(true, statusSuccess, nil), mid, 0x1000+i)
			binary.LittleEndian.PutUint16(ok[64+2:], 0x0002) // SMB2_SESSION_FLAG_IS_NULL
			answers = append(answers, nb(ok)...)
		}
	}
	got, _ := run(t, []step{{0, negs}, {1, chals}, {0, auths}, {1, answers}}, 0)
	if n := failures(got); n != sessions/2 { // a refusal whose login was pushed out has no names
		t.Fatalf("%d refused guesses gave %d failure records (%d records)", sessions/2, n, len(got))
	}
}

// TestSMB2CompressedSessionSetup: with SMB 3.1.1 compression negotiated
// (Windows Server 2019 1903+/2022; pre-authentication, as SMBGhost
// showed), a client may send any request in a compression transform
// (0xFC 'SMB'). Here each session setup travels in an unchained transform
// whose uncompressed prefix (Offset) is the whole SMB2 message but its
// last 8 bytes, which follow as an LZNT1 chunk stored uncompressed. The
// analyzer does not decompress, but the refusals, whose login it could
// not follow, are refused logins all the same.
func TestSMB2CompressedSessionSetup(t *testing.T) {
	compress := func(m []byte) []byte {
		p, s := m[:len(m)-8], m[len(m)-8:]
		h := []byte{0xFC, 'S', 'M', 'B'}
		h = le32(h, uint32(len(s))) // OriginalCompressedSegmentSize
		h = le16(h, 1)              // LZNT1
		h = le16(h, 0)              // Flags: unchained
		h = le32(h, uint32(len(p))) // Offset: the uncompressed prefix
		h = append(h, p...)
		h = le16(h, 0x3000|(2+len(s)-3)) // LZNT1 chunk header: stored, signature 3
		return append(h, s...)
	}
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	var steps []step
	for g := uint64(0); g < 3; g++ {
		mid, sid := 10*g+1, 0x1000+g
		steps = append(steps,
			step{0, nb(compress(withIDs(smb2(false, 0, spnego(negotiate())), mid, 0)))},
			step{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), mid, sid))},
			step{0, nb(compress(withIDs(smb2(false, 0, spnego(authenticate("LAB", "administrator", "X", true))), mid+1, sid)))},
			step{1, nb(withIDs(smb2(true, statusLogonFailure, nil), mid+1, sid))})
	}
	got, _ := run(t, steps, 0)
	n := failures(got)
	if n != 3 {
		t.Fatalf("3 refused guesses in compression transforms gave %d failure records:\n%s", n, strings.Join(got, "\n"))
	}
}

// der encodes one DER TLV.
func der(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	n := len(c)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, c...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, c...)
	}
	return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, c...)
}

// TestSPNEGOFakeSignatureInOID: a planted "NTLMSSP\0" before the real
// message. A negTokenResp may carry supportedMech [1] before its
// responseToken [2]; an OID's content bytes below 0x80 are each an arc,
// so "NTLMSSP\0\x02\0\0\0" is a valid OID (1.38.84.76...). Samba's
// read_negTokenTarg reads [1] in any negTokenTarg and its server ignores
// it. The analyzer must look past it for the message of the type a
// request carries.
func TestSPNEGOFakeSignatureInOID(t *testing.T) {
	fake := append([]byte("NTLMSSP\x00"), 2, 0, 0, 0)
	resp := func(auth []byte) []byte {
		return der(0xa1, der(0x30,
			der(0xa0, der(0x0a, []byte{1})), // negState accept-incomplete
			der(0xa1, der(0x06, fake)),      // supportedMech: the fake signature
			der(0xa2, der(0x04, auth))))     // responseToken: the real AUTHENTICATE
	}
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	var steps []step
	for g := uint64(0); g < 3; g++ {
		mid, sid := 10*g+1, 0x1000+g
		steps = append(steps,
			step{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), mid, 0))},
			step{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), mid, sid))},
			step{0, nb(withIDs(smb2(false, 0, resp(authenticate("LAB", "administrator", "X", true))), mid+1, sid))},
			step{1, nb(withIDs(smb2(true, statusLogonFailure, nil), mid+1, sid))})
	}
	got, _ := run(t, steps, 0)
	n := failures(got)
	if n != 3 {
		t.Fatalf("3 refused guesses gave %d failure records:\n%s", n, strings.Join(got, "\n"))
	}
}

// TestSMB1KeepaliveFlagBits: Samba's SMB1 server reads every NetBIOS
// header the same way (read_smb_length_return_keepalive: smb_len =
// smb_len_nbt, 17 bits; a keepalive 0x85 is then dropped by
// reply_special). A keepalive with a reserved flag bit (length 0 to
// Samba) before each guess must not hide the guesses: the client's
// messages of other types are read with 17 bits too.
func TestSMB1KeepaliveFlagBits(t *testing.T) {
	keepalive := []byte{0x85, 0x02, 0, 0}
	var steps []step
	users := []string{"root", "admin", "administrator", "backup"}
	for _, u := range users {
		steps = append(steps, step{0, append(append([]byte{}, keepalive...), nb(smb1Basic(u, "WORKGROUP", true))...)},
			step{1, nb(smb1Reply(statusLogonFailure))})
	}
	got, _ := run(t, steps, 0)
	n := failures(got)
	if n != len(users) {
		t.Fatalf("%d refused guesses gave %d failure records:\n%s", len(users), n, strings.Join(got, "\n"))
	}
}
