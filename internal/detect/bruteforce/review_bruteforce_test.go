package bruteforce

import (
	"fmt"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestHealthChecksAreNoGuesses: a load balancer (HAProxy's default
// "check", an F5 TCP monitor, a cloud load balancer's probe) or a
// Kubernetes tcpSocket probe checks that a service port is open every
// few seconds: it completes the handshake and closes without sending a
// byte (the server may send its banner). No password is tried on such a
// connection, yet each is a short established connection to the login
// port, so an RDP farm behind a load balancer showed its balancer
// "brute-forcing" every server, and the first real user's session after
// the checks as "logged in" (critical).
func TestHealthChecksAreNoGuesses(t *testing.T) {
	checks := func(port int, banner uint64) []dt.Line {
		var l []dt.Line
		for i := 0; i < 120; i++ { // every 5 s for 10 minutes
			l = append(l, dt.Conn{TS: 1000 + float64(i)*5, UID: fmt.Sprintf("H%d", i), Src: "10.0.0.2", SrcP: 40000 + i, Dst: "10.0.1.30", DstP: port,
				Duration: 0.002, History: "ShAFf", OrigPkts: 3, RespPkts: 2, RespBytes: banner}.Line())
		}
		return l
	}
	tests := map[string][]dt.Line{
		"rdp farm behind a load balancer": append(checks(3389, 0),
			dt.Conn{TS: 1300, Src: "10.0.0.2", SrcP: 50000, Dst: "10.0.1.30", DstP: 3389, Duration: 3600, OrigPkts: 9000, RespPkts: 12000, OrigBytes: 900_000, RespBytes: 20_000_000}.Line()),
		"ssh port check reading the banner": checks(22, 21),
		"smb port check":                    checks(445, 0),
		"telnet port check of a switch":     checks(23, 0),
	}
	for name, lines := range tests {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), lines)) })
	}
}

// sshTo is a failed (or successful) SSH login of src on dst, from ssh.log.
func sshTo(ts float64, src, dst string, i int, success bool, attempts int) dt.Line {
	return dt.Rec("ssh", map[string]any{"ts": ts, "uid": fmt.Sprintf("P%s-%d", dst, i), "id.orig_h": src, "id.orig_p": 40000 + i,
		"id.resp_h": dst, "id.resp_p": 22, "auth_success": success, "auth_attempts": attempts})
}

// TestSprayingOverServers: password spraying tries a password or two on
// each of many servers, staying far below the per-server threshold: an
// SSH worm or botnet walking a subnet with root:123456, CrackMapExec
// trying one password over SMB on every host of a /24 (ntlm.log, one
// refused login each), a bot trying admin:admin on every camera's web
// login. Zeek's SSH::Password_Guessing counts a source's failures over
// all servers for this reason; counted per (source, server) none of
// these was reported.
func TestSprayingOverServers(t *testing.T) {
	var sshSpray, smbSpray, httpSpray []dt.Line
	for h := 1; h <= 40; h++ {
		ts := 1000 + float64(h)*4
		sshSpray = append(sshSpray, sshTo(ts, "203.0.113.66", fmt.Sprintf("10.1.2.%d", h), h, false, 2))
		smbSpray = append(smbSpray, dt.Rec("ntlm", map[string]any{"ts": ts, "uid": fmt.Sprintf("B%d", h), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + h,
			"id.resp_h": fmt.Sprintf("10.1.2.%d", h), "id.resp_p": 445, "username": "administrator", "domainname": "CORP", "success": false}))
		httpSpray = append(httpSpray, dt.Rec("http", map[string]any{"ts": ts, "uid": fmt.Sprintf("W%d", h), "id.orig_h": "203.0.113.66", "id.orig_p": 40000 + h,
			"id.resp_h": fmt.Sprintf("10.1.3.%d", h), "id.resp_p": 80, "status_code": 401, "username": "admin"}))
	}
	// The worm gets in on one of them: a likely compromise.
	sshSpray = append(sshSpray, sshTo(1200, "203.0.113.66", "10.1.2.77", 77, true, 1))
	for _, tc := range []struct {
		name, class, src string
		lines            []dt.Line
		loggedIn         bool
	}{
		{"ssh worm over a subnet", "bruteforce.ssh", "203.0.113.66", sshSpray, true},
		{"smb spraying (one refused login per host)", "bruteforce.smb", "10.66.0.66", smbSpray, false},
		{"camera default credentials over a subnet", "bruteforce.http", "203.0.113.66", httpSpray, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), tc.lines), tc.class, tc.src, "", "servers", 40)
			if want := 40 + map[bool]int{true: 1}[tc.loggedIn]; a.DstCount != want || len(a.Dsts) == 0 {
				t.Errorf("dst_count %d dsts %v, want the %d servers", a.DstCount, a.Dsts, want)
			}
			// The server it got in on is named first (and in the act).
			if tc.loggedIn && (a.Dsts[0] != "10.1.2.77" || !strings.HasSuffix(a.Act, "logged in on 10.1.2.77")) {
				t.Errorf("dsts %v act %q: want 10.1.2.77 named first", a.Dsts, a.Act)
			}
			if got := a.Evidence["likely_compromised"] == true; got != tc.loggedIn {
				t.Errorf("logged in = %v: %s", got, a.Summary)
			}
		})
	}
}

// TestFleetLoginsAreNoSpraying: an administrator's (or Ansible's) logins
// to a fleet, a few of them refused on the way (a key not yet installed),
// and a monitoring system polling the status pages of many devices that
// answer 401 to a request without credentials, are not spraying.
func TestFleetLoginsAreNoSpraying(t *testing.T) {
	var fleet, polls []dt.Line
	for h := 1; h <= 60; h++ {
		ts := 1000 + float64(h)*2
		fleet = append(fleet, sshTo(ts, "10.0.0.5", fmt.Sprintf("10.1.2.%d", h), h, h%20 != 0, 3))
		polls = append(polls, dt.Rec("http", map[string]any{"ts": ts, "uid": fmt.Sprintf("W%d", h), "id.orig_h": "10.0.0.6", "id.orig_p": 40000 + h,
			"id.resp_h": fmt.Sprintf("10.1.3.%d", h), "id.resp_p": 80, "status_code": 401}),
			dt.Conn{TS: ts, UID: fmt.Sprintf("W%d", h), Src: "10.0.0.6", SrcP: 40000 + h, Dst: fmt.Sprintf("10.1.3.%d", h), DstP: 80, Duration: 0.1, OrigBytes: 200, RespBytes: 400}.Line())
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), fleet))
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig(), nil), polls))
}
