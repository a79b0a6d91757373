package bruteforce

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestSMBConnsAfterOneNTLMRecord: one SMB login the analyzer logged
// (a failure) must not stop the counting of short connections to 445
// whose logins gave no ntlm record (a trick the analyzer would miss): 40
// of them alert as they would alone.
func TestSMBConnsAfterOneNTLMRecord(t *testing.T) {
	l := []dt.Line{smbLogin(999, 999, "root", false)}
	for i := 0; i < 40; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i), UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445, Duration: 0.01, OrigBytes: 344, RespBytes: 146}.Line())
	}
	dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.smb", "10.66.0.66", "10.66.0.45", "short_connections", 40)
}

// TestSMBAnonymousSuccessIsNoCompromise: after refused guesses, an
// anonymous (null session, no user name) SMB login succeeds, as the
// enumeration tools that follow a guessing run do: no guess, and no
// compromise.
func TestSMBAnonymousSuccessIsNoCompromise(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 14; i++ {
		l = append(l, smbLogin(1000+float64(i)/10, i, "root", false))
	}
	l = append(l, dt.Rec("ntlm", map[string]any{"ts": 1002.0, "uid": "B99", "id.orig_h": "10.66.0.66", "id.orig_p": 40099,
		"id.resp_h": "10.66.0.45", "id.resp_p": 445, "success": true}))
	a := dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.smb", "10.66.0.66", "10.66.0.45", "failures", 14)
	if a.Evidence["likely_compromised"] == true {
		t.Errorf("an anonymous session counts as a compromise: %s", a.Summary)
	}
}

// TestSMBGuestIsAFailure: a server that maps bad passwords to its guest
// account (Samba's "map to guest = bad user") answers every wrong guess
// with a guest session (ntlm.log's guest): each is a failure, not a
// success.
func TestSMBGuestIsAFailure(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 12; i++ {
		l = append(l, dt.Rec("ntlm", map[string]any{"ts": 1000 + float64(i), "uid": fmt.Sprintf("B%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
			"id.resp_h": "10.66.0.45", "id.resp_p": 445, "username": "administrator", "success": true, "guest": true}))
	}
	a := dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.smb", "10.66.0.66", "10.66.0.45", "failures", 12)
	if a.Evidence["likely_compromised"] == true {
		t.Errorf("guest sessions count as a compromise: %s", a.Summary)
	}
}

// TestSMBAcceptedShortConnections: a client whose every SMB login is
// accepted (a backup job opening a connection per file) is no guesser,
// however many short connections it opens.
func TestSMBAcceptedShortConnections(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 40; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i), UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445, Duration: 0.5, OrigBytes: 3000, RespBytes: 9000}.Line())
		l = append(l, smbLogin(1000+float64(i)+0.01, i, "backup", true))
	}
	if alerts := dt.Run(t, New(DefaultConfig(), nil), l); len(alerts) != 0 {
		t.Fatalf("alerts %v", dt.Classes(alerts))
	}
}

// TestSMBOneAcceptedLoginHidesNoGuesses: short SMB connections count
// because a login the analyzer could not read must not hide a guess; one
// accepted login on the pair (an attacker with a low-privilege account)
// must not turn that counting off: 40 short connections whose guesses
// ntlm.log could not show still alert (the second review of session 14).
func TestSMBOneAcceptedLoginHidesNoGuesses(t *testing.T) {
	// The accepted login comes once the pair exists (a success alone
	// starts no pair), e.g. on the attacker's second connection.
	l := []dt.Line{smbLogin(1001.5, 999, "lowpriv", true)}
	for i := 0; i < 40; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i), UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445, Duration: 0.01, OrigBytes: 344, RespBytes: 146}.Line())
	}
	dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.smb", "10.66.0.66", "10.66.0.45", "short_connections", 40)
}

// TestSMBExplicitGuest: a client that asks for the guest account
// (user "guest", as NAS/media players and `smbclient -U guest%` do) and
// gets a guest session got what it asked for: no password was guessed.
// Twelve such connections in ten minutes are no attack.
func TestSMBExplicitGuest(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 12; i++ {
		l = append(l, dt.Rec("ntlm", map[string]any{"ts": 1000 + float64(i)*40, "uid": fmt.Sprintf("B%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
			"id.resp_h": "10.66.0.45", "id.resp_p": 445, "username": "guest", "success": true, "guest": true}))
	}
	if alerts := dt.Run(t, New(DefaultConfig(), nil), l); len(alerts) != 0 {
		t.Fatalf("alerts %v for explicit guest logins: %s", dt.Classes(alerts), alerts[0].Summary)
	}
}

// TestSMBSuccessesOnOneConnectionHideShortConns: SMB2 allows any number
// of session setups on one connection. An attacker with one low-privilege
// account who logs in 40 times on a single long connection must not
// cancel 40 short connections whose guesses ntlm.log could not show:
// logins explain the connections they were on, each once (the third
// review of session 14).
func TestSMBSuccessesOnOneConnectionHideShortConns(t *testing.T) {
	short := func(i int) dt.Line {
		return dt.Conn{TS: 1000 + float64(i), UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445,
			Duration: 0.01, OrigBytes: 344, RespBytes: 146}.Line()
	}
	l := []dt.Line{short(0)}
	for i := 0; i < 40; i++ {
		l = append(l, dt.Rec("ntlm", map[string]any{"ts": 1000.5 + float64(i)/100, "uid": "L1", "id.orig_h": "10.66.0.66", "id.orig_p": 39999,
			"id.resp_h": "10.66.0.45", "id.resp_p": 445, "username": "lowpriv", "success": true}))
	}
	l = append(l, dt.Conn{TS: 1000.4, UID: "L1", Src: "10.66.0.66", SrcP: 39999, Dst: "10.66.0.45", DstP: 445,
		Duration: 500, OrigBytes: 40000, RespBytes: 40000}.Line())
	for i := 1; i <= 40; i++ {
		l = append(l, short(i))
	}
	dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.smb", "10.66.0.66", "10.66.0.45", "short_connections", 41)
}

// TestAlternatingConnsExplainOnce: anonymous null sessions (no account
// needed) alternated between two long connections must not cancel 40
// short connections whose guesses ntlm.log could not show: only short
// connections with a login in the log are explained (the fourth review
// of session 14).
func TestAlternatingConnsExplainOnce(t *testing.T) {
	short := func(i int) dt.Line {
		return dt.Conn{TS: 1000 + float64(i), UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445,
			Duration: 0.01, OrigBytes: 344, RespBytes: 146}.Line()
	}
	l := []dt.Line{short(0)}
	for i := 0; i < 40; i++ {
		uid := fmt.Sprintf("L%d", 1+i%2)
		l = append(l, dt.Rec("ntlm", map[string]any{"ts": 1000.5 + float64(i)/100, "uid": uid, "id.orig_h": "10.66.0.66", "id.orig_p": 39998 + i%2,
			"id.resp_h": "10.66.0.45", "id.resp_p": 445, "success": true}))
	}
	for i := 1; i <= 40; i++ {
		l = append(l, short(i))
	}
	dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.smb", "10.66.0.66", "10.66.0.45", "short_connections", 41)
}

// TestParallelAcceptedShortConns: a client (a backup job, a NAT'd
// group of hosts) opens 20 SMB connections at once, each logs in (accepted)
// and closes after 5 s. Live, the 20 ntlm records come before the first
// conn record: each must still explain its connection when that comes.
func TestParallelAcceptedShortConns(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 20; i++ {
		l = append(l, smbLogin(1000.1+float64(i)/100, i, "backup", true))
	}
	for i := 0; i < 20; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i)/100, UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445,
			Duration: 5, OrigBytes: 3000, RespBytes: 9000}.Line())
	}
	if alerts := dt.RunAsGiven(t, New(DefaultConfig(), nil), l); len(alerts) != 0 {
		t.Fatalf("alerts %v: %s", dt.Classes(alerts), alerts[0].Summary)
	}
}

// TestRecentConns: a short connection and its login match in either
// order; when every slot waits for a match, a newcomer is not kept (the
// waiting ones still match), and slots waiting past matchWindow are free
// again.
func TestRecentConns(t *testing.T) {
	var r recentConns
	if r.note("A", 0, true, false) || !r.note("A", 1, false, true) || r.note("A", 2, true, false) {
		t.Fatal("A: login then short connection should match once")
	}
	for i := 0; i < len(r.conns); i++ {
		r.note(fmt.Sprintf("P%d", i), 10, true, false) // the matched A's slot is reused
	}
	if r.note("X", 11, false, true) || r.note("X", 12, true, false) {
		t.Fatal("a newcomer was kept in a ring of waiting slots")
	}
	if !r.note("P5", 12, false, true) {
		t.Fatal("a waiting slot was lost")
	}
	if r.note("Y", 10+matchWindow+1, false, true) || !r.note("Y", 10+matchWindow+2, true, false) {
		t.Fatal("slots waiting past matchWindow are not free again")
	}
}

// TestParallelAcceptedShortConns33: as TestParallelAcceptedShortConns
// with 33 connections at once (one more than recentConns holds): only
// the overflow is lost, not every match (the fifth review of session 14).
func TestParallelAcceptedShortConns33(t *testing.T) {
	const n = 33
	var l []dt.Line
	for i := 0; i < n; i++ {
		l = append(l, smbLogin(1000.1+float64(i)/100, i, "backup", true))
	}
	for i := 0; i < n; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i)/100, UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445,
			Duration: 5, OrigBytes: 3000, RespBytes: 9000}.Line())
	}
	if alerts := dt.RunAsGiven(t, New(DefaultConfig(), nil), l); len(alerts) != 0 {
		t.Fatalf("alerts %v: %s", dt.Classes(alerts), alerts[0].Summary)
	}
}

// TestSMBKerberosLoginsExplainShortConns: a domain member's short SMB
// connections, each set up with a Kerberos ticket the server accepted
// (kerberos.log's AP records), are logins, not guesses.
func TestSMBKerberosLoginsExplainShortConns(t *testing.T) {
	var l []dt.Line
	for i := range 30 {
		uid := fmt.Sprintf("K%d", i)
		l = append(l, dt.Rec("kerberos", map[string]any{"ts": 1000 + float64(i)*4, "uid": uid, "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
			"id.resp_h": "10.66.0.33", "id.resp_p": 445, "request_type": "AP", "client": "/CORP.EXAMPLE", "service": "cifs/dc.corp.example",
			"success": true, "cipher": "aes256-cts-hmac-sha1-96"}))
		l = append(l, dt.Conn{TS: 1000 + float64(i)*4, UID: uid, Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.33", DstP: 445,
			Duration: 1.5, OrigBytes: 900, RespBytes: 1500}.Line())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), l))
}
