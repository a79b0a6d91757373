package smb

import (
	"strings"
	"testing"
)

// TestMidStreamResync (the eighth review of session 14): the capture
// starts inside a large SMB2 READ reply
// and WRITE request (file bytes first on both sides, as on any connection
// picked up mid-session; Partial is set for this). A later NTLM
// re-authentication refused on that session must still be written, as
// Zeek's SMB analyzer does by waiting for a segment that starts with a
// NetBIOS header and an SMB signature.
func TestMidStreamResync(t *testing.T) {
	tail := make([]byte, 3000)
	for i := range tail {
		tail[i] = byte(i*7 + 1)
	}
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	steps := []step{
		{0, tail},
		{1, tail},
		{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), 90, 0x55))},
		{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), 90, 0x55))},
		{0, nb(withIDs(smb2(false, 0, spnego(authenticate("LAB", "alice", "WS1", true))), 91, 0x55))},
		{1, nb(withIDs(smb2(true, statusLogonFailure, nil), 91, 0x55))},
	}
	got, _ := run(t, steps, 0)
	if len(got) != 1 || !strings.Contains(got[0], `"username":"alice"`) {
		t.Fatalf("a login after a mid-stream start: got %d records:\n%s", len(got), strings.Join(got, "\n"))
	}
}
