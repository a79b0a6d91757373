package smb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/bruteforce"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/proto/prototest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// disguisedGuess is TestLongOIDHidesAuthenticate's guess: an AUTHENTICATE
// pushed past MaxKeep, refused.
func disguisedGuess(user string, mid, sid uint64) []step {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	oid := bytes.Repeat([]byte{0x01}, 17000)
	blob := der(0xa1, der(0x30, der(0xa1, der(0x06, oid)), der(0xa2, der(0x04, authenticate("LAB", user, "WS1", true)))))
	return []step{
		{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), mid, 0))},
		{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), mid, sid))},
		{0, nb(withIDs(smb2(false, 0, blob), mid+1, sid))},
		{1, nb(withIDs(smb2(true, statusLogonFailure, nil), mid+1, sid))},
	}
}

// anonymousLogin is a null-session NTLM login (no user, no password) that
// the server accepts (SessionFlags IS_NULL), as Windows and Samba
// (restrict anonymous = 0, the default) do.
func anonymousLogin(mid, sid uint64) []step {
	chal := spnego(challenge("FILESRV", "filesrv.lab.example", "lab.example"))
	ok := withIDs(smb2(true, statusSuccess, nil), mid+1, sid)
	binary.LittleEndian.PutUint16(ok[64+2:], 0x0002) // SMB2_SESSION_FLAG_IS_NULL
	return []step{
		{0, nb(withIDs(smb2(false, 0, spnego(negotiate())), mid, 0))},
		{1, nb(withIDs(smb2(true, statusMoreProcessing, chal), mid, sid))},
		{0, nb(withIDs(smb2(false, 0, spnego(authenticate("", "", "", true))), mid+1, sid))},
		{1, nb(ok)},
	}
}

// TestAnonymousLoginCreditsDisguisedGuess: only an accepted NTLM login of
// a named user is a fallback; an anonymous one, which needs no account,
// must not hide a disguised guess.
func TestAnonymousLoginCreditsDisguisedGuess(t *testing.T) {
	var steps []step
	users := []string{"root", "admin", "administrator", "backup"}
	for g, u := range users {
		steps = append(steps, disguisedGuess(u, uint64(1+4*g), uint64(0x55+2*g))...)
		steps = append(steps, anonymousLogin(uint64(3+4*g), uint64(0x56+2*g))...)
	}
	got, _ := run(t, steps, 0)
	if n := failures(got); n != len(users) {
		t.Fatalf("%d refused guesses gave %d failure records:\n%s", len(users), n, strings.Join(got, "\n"))
	}
}

// TestDeferredRefusalsEvadeWindow: 20 connections make 9 disguised
// guesses each within the first 40 s (180 refused guesses), then are held
// open and closed 700 s apart. Were the refusals written only at the
// connection's end, which the attacker picks, each close would bring 9
// failures, never 10 within the 600 s window: they are written when the
// next non-NTLM session setup begins (the seventh review of session 14).
func TestDeferredRefusalsEvadeWindow(t *testing.T) {
	var lines []dt.Line
	for c := 0; c < 20; c++ {
		ci := prototest.TCPConn("10.66.0.66", uint16(40000+c), "10.66.0.45", 445)
		ci.UID = fmt.Sprintf("C%d", c)
		out := &prototest.Sink{T: t, Log: "ntlm"}
		a := New(ci, out)
		var steps []step
		for g := 0; g < 9; g++ {
			steps = append(steps, disguisedGuess(fmt.Sprintf("u%d", g), uint64(1+2*g), uint64(0x100+g))...)
		}
		for i, st := range steps {
			prototest.Feed(a, st.dir, int64(1000+i)*1e9, st.data, 0)
		}
		a.End(int64(2000+700*c) * 1e9)
		if failures(out.Recs) != 9 {
			t.Fatalf("connection %d: %d failure records", c, failures(out.Recs))
		}
		for _, l := range out.Recs {
			var r rec.Rec
			if err := r.Parse("ntlm", []byte(l)); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, dt.Line{Log: "ntlm", TS: r.TS(), JSON: []byte(l)})
		}
	}
	alerts := dt.Run(t, bruteforce.New(bruteforce.DefaultConfig(), nil), lines) // in time order, as the pipeline writes
	for _, a := range alerts {
		if a.Class == "bruteforce.smb" {
			return
		}
	}
	t.Fatalf("180 guesses refused between 1000 s and 1040 s: no bruteforce.smb alert (%v)", dt.Classes(alerts))
}
