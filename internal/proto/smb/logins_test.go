package smb

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestSMB1AndXUnicodeAlignment: an SMB1 SESSION_SETUP_ANDX without
// extended security chained (AndX) to a TREE_CONNECT_ANDX, as old clients
// send it. The session setup's ByteCount covers only its own data, so the
// Unicode pad is found from the strings' offset in the message, not from
// the message's length, which an odd chained tail would make wrong.
func TestSMB1AndXUnicodeAlignment(t *testing.T) {
	m := smb1Basic("root", "WORKGROUP", true)
	m[33] = 0x75                                          // AndXCommand: TREE_CONNECT_ANDX
	binary.LittleEndian.PutUint16(m[35:], uint16(len(m))) // AndXOffset
	// TREE_CONNECT_ANDX: WordCount 4, words, ByteCount, password (1),
	// pad (1), path "\\SRV\IPC$" in UTF-16 + NUL, service "?????\0".
	tail := []byte{4, 0xff, 0, 0, 0, 0, 0, 1, 0}
	data := []byte{0, 0}
	data = append(append(data, utf16le(`\\SRV\IPC$`)...), 0, 0)
	data = append(data, "?????\x00"...)
	tail = le16(tail, len(data))
	tail = append(tail, data...)
	if len(tail)%2 != 1 {
		t.Fatalf("tail length %d should be odd", len(tail))
	}
	m = append(m, tail...)
	got, _ := run(t, []step{{0, nb(m)}, {1, nb(smb1Reply(statusLogonFailure))}}, 0)
	want := `{"ts":1.0,` + hdr + `,"username":"root","domainname":"WORKGROUP","success":false}`
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

// TestSMB1WC13ExtendedSecurityFlag: a WordCount 13 (NT LM 0.12,
// passwords in the request) session setup whose Flags2 has
// EXTENDED_SECURITY set. Samba (reply_sesssetup_and_X) takes the SPNEGO
// path only for wct == 12 && FLAGS2_EXTENDED_SECURITY, so it checks this
// password as a plain NT1 login: so does the analyzer, or setting one bit
// would hide a guess.
func TestSMB1WC13ExtendedSecurityFlag(t *testing.T) {
	m := smb1Basic("root", "WORKGROUP", true)
	m[11] |= smb1Flags2ExtendedSecure >> 8
	got, _ := run(t, []step{{0, nb(m)}, {1, nb(smb1Reply(statusLogonFailure))}}, 0)
	want := `{"ts":1.0,` + hdr + `,"username":"root","domainname":"WORKGROUP","success":false}`
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

// TestSMB2PipelinedLogins: SMB2 lets a client run several session
// setups at once (credits; each gets its own SessionId). Two logins
// interleaved on one connection, with equal message and session ids here
// (answers then go to the logins in order): two records, each with its
// own user and verdict, not one merged record.
func TestSMB2PipelinedLogins(t *testing.T) {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	steps := []step{
		{0, nb(smb2(false, 0, spnego(negotiate())))},
		{0, nb(smb2(false, 0, spnego(negotiate())))},
		{1, nb(smb2(true, statusMoreProcessing, chal))},
		{1, nb(smb2(true, statusMoreProcessing, chal))},
		{0, nb(smb2(false, 0, spnego(authenticate("LAB", "administrator", "WS1", true))))},
		{0, nb(smb2(false, 0, spnego(authenticate("LAB", "alice", "WS1", true))))},
		{1, nb(smb2(true, statusLogonFailure, nil))},
		{1, nb(smb2(true, statusSuccess, nil))},
	}
	got, _ := run(t, steps, 0)
	if len(got) != 2 {
		t.Fatalf("%d records for 2 logins:\n%s", len(got), strings.Join(got, "\n"))
	}
	if !strings.Contains(got[0], `"username":"administrator"`) || !strings.Contains(got[0], `"success":false`) ||
		!strings.Contains(got[1], `"username":"alice"`) || !strings.Contains(got[1], `"success":true`) {
		t.Fatalf("records:\n%s", strings.Join(got, "\n"))
	}
}

// TestIgnoredNetBIOSType: Samba's SMB2 server skips NetBIOS session
// messages of any type but 0 ("ignore NBT[0x%02X] msg") and goes on, so a
// client can send one (here type 0x86, empty) before its logins: the
// analyzer skips it by its length as well.
func TestIgnoredNetBIOSType(t *testing.T) {
	steps := append([]step{{0, []byte{0x86, 0, 0, 0}}}, guessing...)
	got, _ := run(t, steps, 0)
	if len(got) != 2 {
		t.Fatalf("%d records for 2 logins after an ignored NetBIOS message:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestSMB2InterimResponse: MS-SMB2 3.3.4.2 lets a server answer any
// request with an interim STATUS_PENDING (SMB2_FLAGS_ASYNC_COMMAND) before
// the final response: the interim is no verdict.
func TestSMB2InterimResponse(t *testing.T) {
	interim := smb2(true, 0x00000103, nil)
	binary.LittleEndian.PutUint32(interim[16:], smb2FlagResponse|0x2) // async
	steps := []step{
		{0, nb(smb2(false, 0, spnego(negotiate())))},
		{1, nb(smb2(true, statusMoreProcessing, spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))))},
		{0, nb(smb2(false, 0, spnego(authenticate("LAB", "alice", "WS1", true))))},
		{1, nb(interim)},
		{1, nb(smb2(true, statusSuccess, nil))},
	}
	got, _ := run(t, steps, 0)
	if len(got) != 1 || !strings.Contains(got[0], `"success":true`) {
		t.Fatalf("records:\n%s", strings.Join(got, "\n"))
	}
}
