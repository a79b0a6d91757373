package bruteforce

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
)

func ssh(ts float64, i int, success bool, attempts int) dt.Line {
	return dt.Rec("ssh", map[string]any{"ts": ts, "uid": fmt.Sprintf("S%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
		"id.resp_h": "10.66.0.22", "id.resp_p": 22, "auth_success": success, "auth_attempts": attempts})
}

// formLogin is a login form's fact and its http.log record (the fact
// first, as internal/proto/http hands them on) on connection uid.
func formLogin(ts float64, uid, user, password string, status int, success bool) []dt.Line {
	id := map[string]any{"ts": ts, "uid": uid, "id.orig_h": "10.66.0.66", "id.orig_p": 40000, "id.resp_h": "10.66.0.80", "id.resp_p": 80, "status_code": status}
	fact, log := map[string]any{"user": user, "password": password, "success": success, "form": true, "uri": "/login"}, map[string]any{"method": "POST", "uri": "/login"}
	for k, v := range id {
		fact[k], log[k] = v, v
	}
	return []dt.Line{dt.Rec("_http_auth", fact), dt.Rec("http", log)}
}

func TestFires(t *testing.T) {
	tests := []struct {
		name      string
		lines     func() []dt.Line
		class     string
		key       string
		want      float64
		loggedIn  bool
		dst, src  string
		minAlerts int
	}{
		{"ssh hydra then success", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 20; i++ {
				l = append(l, ssh(1000+float64(i)*3, i, false, 4))
				l = append(l, dt.Conn{TS: 1000 + float64(i)*3, UID: fmt.Sprintf("S%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.22", DstP: 22, Duration: 2.5, OrigBytes: 2000, RespBytes: 2000}.Line())
			}
			l = append(l, ssh(1070, 99, true, 2))
			return l
		}, "bruteforce.ssh", "failures", 80, true, "10.66.0.22", "10.66.0.66", 1},
		{"telnet by connections", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 40; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)*2, Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.20", DstP: 23, Duration: 1.5, OrigBytes: 30, RespBytes: 80}.Line())
			}
			return l
		}, "bruteforce.telnet", "short_connections", 40, false, "10.66.0.20", "10.66.0.66", 1},
		{"http basic auth", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 30; i++ {
				l = append(l, dt.Rec("http", map[string]any{"ts": 1000 + float64(i)/5, "uid": "H", "id.orig_h": "10.66.0.66", "id.orig_p": 40000, "id.resp_h": "10.66.0.80", "id.resp_p": 80, "status_code": 401, "username": "admin"}))
			}
			return l
		}, "bruteforce.http", "failures", 30, false, "10.66.0.80", "10.66.0.66", 1},
		{"http basic auth with login facts, counted once", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 30; i++ {
				id := map[string]any{"ts": 1000 + float64(i)/5, "uid": "H", "id.orig_h": "10.66.0.66", "id.orig_p": 40000, "id.resp_h": "10.66.0.80", "id.resp_p": 80, "status_code": 401}
				fact, log := map[string]any{"user": "admin", "password": fmt.Sprintf("guess%d", i), "success": false}, map[string]any{"username": "admin"}
				for k, v := range id {
					fact[k], log[k] = v, v
				}
				l = append(l, dt.Rec("_http_auth", fact), dt.Rec("http", log))
			}
			return l
		}, "bruteforce.http", "failures", 30, false, "10.66.0.80", "10.66.0.66", 1},
		{"http login form, then the right password", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 25; i++ {
				l = append(l, formLogin(1000+float64(i)/4, fmt.Sprintf("W%d", i/5), "admin", fmt.Sprintf("guess%d", i), 200, false)...)
			}
			return append(l, formLogin(1007, "W9", "admin", "letmein", 302, true)...)
		}, "bruteforce.http", "failures", 25, true, "10.66.0.80", "10.66.0.66", 1},
		{"json login answered 401, counted once", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 12; i++ {
				l = append(l, formLogin(1000+float64(i), "J", "root", fmt.Sprintf("guess%d", i), 401, false)...)
			}
			return append(l, dt.Conn{TS: 1000, UID: "J", Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.80", DstP: 80, Duration: 12, OrigBytes: 3000, RespBytes: 900}.Line())
		}, "bruteforce.http", "failures", 12, false, "10.66.0.80", "10.66.0.66", 1},
		// Records of different connections interleave (a live run's
		// workers hand theirs on in no fixed order): a fact's http.log
		// record need not come next.
		{"json logins answered 401, another client's record between", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 12; i++ {
				login := formLogin(1000+float64(i), "J", "root", fmt.Sprintf("guess%d", i), 401, false)
				other := dt.Rec("http", map[string]any{"ts": 1000 + float64(i), "uid": "O", "id.orig_h": "10.66.0.70", "id.orig_p": 50000, "id.resp_h": "10.66.0.80", "id.resp_p": 80, "status_code": 200})
				l = append(l, login[0], other, login[1])
			}
			return append(l, dt.Conn{TS: 1000, UID: "J", Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.80", DstP: 80, Duration: 12, OrigBytes: 3000, RespBytes: 900}.Line())
		}, "bruteforce.http", "failures", 12, false, "10.66.0.80", "10.66.0.66", 1},
		{"json logins answered 401 on two connections, facts first", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 6; i++ {
				j := formLogin(1000+float64(i), "J", "root", fmt.Sprintf("guess%d", i), 401, false)
				k := formLogin(1000+float64(i), "K", "root", fmt.Sprintf("guess%d", i+6), 401, false)
				l = append(l, j[0], k[0], j[1], k[1])
			}
			for _, uid := range []string{"J", "K"} {
				l = append(l, dt.Conn{TS: 1000, UID: uid, Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.80", DstP: 80, Duration: 12, OrigBytes: 3000, RespBytes: 900}.Line())
			}
			return l
		}, "bruteforce.http", "failures", 12, false, "10.66.0.80", "10.66.0.66", 1},
		{"ftp login facts with passwords", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 15; i++ {
				l = append(l, dt.Rec("_ftp_auth", map[string]any{"ts": 1000 + float64(i), "uid": fmt.Sprintf("F%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
					"id.resp_h": "10.66.0.21", "id.resp_p": 21, "user": "admin", "password": fmt.Sprintf("guess%d", i), "success": false}))
			}
			return l
		}, "bruteforce.ftp", "failures", 15, false, "10.66.0.21", "10.66.0.66", 1},
		{"mqtt refused", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 12; i++ {
				l = append(l, dt.Rec("mqtt_connect", map[string]any{"ts": 1000 + float64(i), "uid": "M", "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i, "id.resp_h": "10.66.0.18", "id.resp_p": 1883, "connect_status": "Refused: bad user name or password"}))
			}
			l = append(l, dt.Rec("mqtt_connect", map[string]any{"ts": 1013.0, "uid": "M", "id.orig_h": "10.66.0.66", "id.orig_p": 40020, "id.resp_h": "10.66.0.18", "id.resp_p": 1883, "connect_status": "Connection Accepted"}))
			return l
		}, "bruteforce.mqtt", "failures", 12, true, "10.66.0.18", "10.66.0.66", 1},
		{"mqtt refused with login facts, counted once", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 12; i++ {
				id := map[string]any{"ts": 1000 + float64(i), "uid": fmt.Sprintf("M%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i, "id.resp_h": "10.66.0.18", "id.resp_p": 1883,
					"client_id": "x", "connect_status": "Refused: bad user name or password"}
				fact, log := map[string]any{"user": "admin", "password": fmt.Sprintf("guess%d", i), "success": false}, map[string]any{"username_present": true}
				for k, v := range id {
					fact[k], log[k] = v, v
				}
				l = append(l, dt.Rec("_mqtt_auth", fact), dt.Rec("mqtt_connect", log))
			}
			return l
		}, "bruteforce.mqtt", "failures", 12, false, "10.66.0.18", "10.66.0.66", 1},
		{"ftp 530 replies", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 15; i++ {
				l = append(l, dt.Rec("ftp", map[string]any{"ts": 1000 + float64(i), "uid": "F", "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i, "id.resp_h": "10.66.0.21", "id.resp_p": 21, "user": "root", "command": "PASS", "reply_code": 530}))
			}
			return l
		}, "bruteforce.ftp", "failures", 15, false, "10.66.0.21", "10.66.0.66", 1},
		{"telnet login facts, then the default password", func() []dt.Line {
			var l []dt.Line
			tn := func(i int, ok bool) dt.Line {
				return dt.Rec("_telnet_auth", map[string]any{"ts": 1000 + float64(i)*2 + 1, "uid": fmt.Sprintf("T%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
					"id.resp_h": "10.66.0.30", "id.resp_p": 23, "user": "root", "password": fmt.Sprintf("guess%d", i), "success": ok})
			}
			for i := 0; i < 12; i++ {
				l = append(l, tn(i, false))
				l = append(l, dt.Conn{TS: 1000 + float64(i)*2, UID: fmt.Sprintf("T%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.30", DstP: 23, Duration: 1.5, OrigBytes: 30, RespBytes: 80}.Line())
			}
			l = append(l, tn(12, true))
			return l
		}, "bruteforce.telnet", "failures", 12, true, "10.66.0.30", "10.66.0.66", 1},
		{"rdp by connections", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 20; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)*2, Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.33", DstP: 3389, Duration: 3, OrigBytes: 3000, RespBytes: 4000}.Line())
			}
			return l
		}, "bruteforce.rdp", "short_connections", 20, false, "10.66.0.33", "10.66.0.66", 1},
		{"smb logins refused, then one accepted (ntlm.log)", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 14; i++ {
				l = append(l, smbLogin(1000+float64(i)/10, i, "root", false))
				l = append(l, dt.Conn{TS: 1000 + float64(i)/10, UID: fmt.Sprintf("B%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.45", DstP: 445, Duration: 0.01, OrigBytes: 344, RespBytes: 146}.Line())
			}
			l = append(l, smbLogin(1002, 99, "alice", true))
			return l
		}, "bruteforce.smb", "failures", 14, true, "10.66.0.45", "10.66.0.66", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig(), nil), tc.lines())
			a := dt.Expect(t, alerts, tc.class, tc.src, tc.dst, tc.key, tc.want)
			if got := a.Evidence["likely_compromised"] == true; got != tc.loggedIn {
				t.Errorf("logged in = %v: %s", got, a.Summary)
			}
			if len(dt.Merged(alerts)) != 1 {
				t.Errorf("alerts %v", dt.Classes(alerts))
			}
		})
	}
}

// smbLogin is an ntlm.log record of an SMB login (internal/proto/smb).
func smbLogin(ts float64, i int, user string, success bool) dt.Line {
	return dt.Rec("ntlm", map[string]any{"ts": ts, "uid": fmt.Sprintf("B%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
		"id.resp_h": "10.66.0.45", "id.resp_p": 445, "username": user, "domainname": "WORKGROUP", "success": success})
}

// TestOutcomesUnknown: where no protocol log tells how logins went (RDP
// behind TLS), the alert states no count of failures or successes; the
// users it names are the cookies of rdp.log.
func TestOutcomesUnknown(t *testing.T) {
	var l []dt.Line
	for i := 0; i < 20; i++ {
		l = append(l, dt.Conn{TS: 1000 + float64(i)*2, Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.33", DstP: 3389, Duration: 3, OrigBytes: 3000, RespBytes: 4000}.Line())
	}
	for i, user := range []string{"admin", "root", "admin"} {
		l = append(l, dt.Rec("rdp", map[string]any{"ts": 1001 + float64(i), "uid": fmt.Sprintf("R%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 41000 + i,
			"id.resp_h": "10.66.0.33", "id.resp_p": 3389, "cookie": user, "result": "encrypted", "security_protocol": "HYBRID"}))
	}
	a := dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.rdp", "10.66.0.66", "10.66.0.33", "short_connections", 20)
	for _, k := range []string{"failures", "successes"} {
		if v, ok := a.Evidence[k]; ok {
			t.Errorf("evidence %s = %v: RDP logins' outcomes are not seen", k, v)
		}
	}
	if users := fmt.Sprint(a.Evidence["users"]); users != "[admin root]" {
		t.Errorf("users %s, want the cookies [admin root]", users)
	}
}

// ntlm is a client's HTTP connections to an NTLM-protected server, five
// at a time as a browser opens them: each gets two 401s (the challenge
// and the NTLM type 2 message), then the outcome (status 200, or 401
// for a wrong password), then ends (its conn record). Records come in
// the pipeline's order: a connection's http records before its conn
// record.
func ntlm(conns int, outcome int) []dt.Line {
	var l []dt.Line
	http := func(i int, ts float64, code int) dt.Line {
		return dt.Rec("http", map[string]any{"ts": ts, "uid": fmt.Sprintf("N%d", i), "id.orig_h": "10.0.0.9", "id.orig_p": 50000 + i,
			"id.resp_h": "10.0.0.80", "id.resp_p": 80, "status_code": code})
	}
	for g := 0; g < conns; g += 5 {
		ts := 1000 + float64(g)
		for _, code := range []int{401, 401, outcome} {
			for i := g; i < min(g+5, conns); i++ {
				l = append(l, http(i, ts, code))
			}
			ts += 0.01
		}
		for i := g; i < min(g+5, conns); i++ {
			l = append(l, dt.Conn{TS: 1000 + float64(g), UID: fmt.Sprintf("N%d", i), Src: "10.0.0.9", SrcP: 50000 + i, Dst: "10.0.0.80", DstP: 80, Duration: 1, OrigBytes: 3000, RespBytes: 9000}.Line())
		}
	}
	return l
}

// TestHTTPChallenges: 401s without credentials that end in a 2xx on
// their connection are challenges (an intranet's NTLM logins); those of
// connections that end refused are failures (password spraying).
//
// Zeek logs given as files come one log after the other, conn.log first:
// then the challenges left unanswered count when the pair's episode ends.
func TestHTTPChallenges(t *testing.T) {
	connFirst := func(l []dt.Line) []dt.Line {
		var conns, rest []dt.Line
		for _, x := range l {
			if x.Log == "conn" {
				conns = append(conns, x)
			} else {
				rest = append(rest, x)
			}
		}
		return append(conns, rest...)
	}
	for name, order := range map[string]func([]dt.Line) []dt.Line{"pipeline": func(l []dt.Line) []dt.Line { return l }, "zeek log files": connFirst} {
		t.Run(name, func(t *testing.T) {
			dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig(), nil), order(ntlm(30, 200))))
			alerts := dt.RunAsGiven(t, New(DefaultConfig(), nil), order(ntlm(15, 401)))
			dt.Expect(t, alerts, "bruteforce.http", "10.0.0.9", "10.0.0.80", "failures", 45)
		})
	}
	// A hundred refused attempts on one connection, then a public page:
	// all but the two 401s of a login are failures.
	var l []dt.Line
	for i := 0; i < 100; i++ {
		l = append(l, dt.Rec("http", map[string]any{"ts": 1000 + float64(i), "uid": "K1", "id.orig_h": "10.0.0.9", "id.orig_p": 50001,
			"id.resp_h": "10.0.0.80", "id.resp_p": 80, "status_code": 401}))
	}
	l = append(l, dt.Rec("http", map[string]any{"ts": 1101.0, "uid": "K1", "id.orig_h": "10.0.0.9", "id.orig_p": 50001,
		"id.resp_h": "10.0.0.80", "id.resp_p": 80, "status_code": 200}))
	dt.Expect(t, dt.RunAsGiven(t, New(DefaultConfig(), nil), l), "bruteforce.http", "10.0.0.9", "10.0.0.80", "failures", 98)
}

// TestChallengesSettledLate: the second review's cases. Challenges held
// when a new episode replaces the pair are settled first (Zeek logs read
// conn.log first; one keep-alive connection refused for eleven minutes),
// and an alerted pair's last report counts those settled at its end.
func TestChallengesSettledLate(t *testing.T) {
	http := func(ts float64, uid, user string) dt.Line {
		return dt.Rec("http", map[string]any{"ts": ts, "uid": uid, "id.orig_h": "10.0.0.9", "id.orig_p": 50001,
			"id.resp_h": "10.0.0.80", "id.resp_p": 80, "status_code": 401, "username": user})
	}
	conn := func(ts float64, uid string, dur float64) dt.Line {
		return dt.Conn{TS: ts, UID: uid, Src: "10.0.0.9", SrcP: 50001, Dst: "10.0.0.80", DstP: 80, Duration: dur, OrigBytes: 900, RespBytes: 900}.Line()
	}
	var conns, https []dt.Line
	for i := 0; i < 60; i++ {
		uid := fmt.Sprintf("N%d", i)
		conns, https = append(conns, conn(float64(i*9), uid, 1)), append(https, http(float64(i*9), uid, ""))
	}
	conns, https = append(conns, conn(700, "LATE", 1)), append(https, http(700, "LATE", ""))
	dt.Find(t, dt.RunAsGiven(t, New(DefaultConfig(), nil), append(conns, https...)), "bruteforce.http")

	var l []dt.Line
	for i := 0; i < 12; i++ {
		l = append(l, http(float64(i*10), "K", ""))
	}
	l = append(l, http(650, "K", ""), conn(0, "K", 660))
	dt.Find(t, dt.RunAsGiven(t, New(DefaultConfig(), nil), l), "bruteforce.http")

	conns, https = nil, nil
	for i := 0; i < 10; i++ {
		https = append(https, http(1000+float64(i), fmt.Sprintf("B%d", i), "admin"))
	}
	for i := 0; i < 50; i++ {
		uid := fmt.Sprintf("N%d", i)
		conns, https = append(conns, conn(1010+float64(i), uid, 1)), append(https, http(1010+float64(i), uid, ""))
	}
	dt.Expect(t, dt.RunAsGiven(t, New(DefaultConfig(), nil), append(conns, https...)), "bruteforce.http", "10.0.0.9", "10.0.0.80", "failures", 60)
}

func TestQuiet(t *testing.T) {
	tests := map[string]func() []dt.Line{
		"normal ssh logins": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 50; i++ {
				l = append(l, ssh(1000+float64(i)*60, i, true, 1))
				l = append(l, dt.Conn{TS: 1000 + float64(i)*60, UID: fmt.Sprintf("S%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.22", DstP: 22, Duration: 5, OrigBytes: 3000, RespBytes: 5000}.Line())
			}
			l = append(l, ssh(5000, 100, false, 1))
			return l
		},
		// Configuration management logging in every few seconds, its
		// agent offering two other keys first each time.
		"automation over ssh": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 40; i++ {
				l = append(l, ssh(1000+float64(i)*5, i, true, 3))
			}
			return l
		},
		// A job fetching a file over FTP every 25 seconds (the lab's
		// benign background: 22 logins in ten minutes, each a short
		// connection) and one running a command over SSH every 20: each
		// session logged in, so none is a guess.
		"ftp job every 25 s": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 40; i++ {
				ts, uid := 1000+float64(i)*25, fmt.Sprintf("F%d", i)
				l = append(l, dt.Rec("_ftp_auth", map[string]any{"ts": ts + 0.01, "uid": uid, "id.orig_h": "10.66.0.22", "id.orig_p": 40000 + i,
					"id.resp_h": "10.66.0.10", "id.resp_p": 21, "user": "anonymous", "password": "ftp@", "success": true}))
				l = append(l, dt.Conn{TS: ts, UID: uid, Src: "10.66.0.22", SrcP: 40000 + i, Dst: "10.66.0.10", DstP: 21, Duration: 0.05, OrigBytes: 80, RespBytes: 400}.Line())
			}
			return l
		},
		"ssh job every 20 s": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 40; i++ {
				l = append(l, ssh(1000+float64(i)*20, i, true, 1))
				l = append(l, dt.Conn{TS: 1000 + float64(i)*20, UID: fmt.Sprintf("S%d", i), Src: "10.66.0.66", SrcP: 40000 + i, Dst: "10.66.0.22", DstP: 22, Duration: 2, OrigBytes: 3000, RespBytes: 5000}.Line())
			}
			return l
		},
		"browser with one 401": func() []dt.Line {
			return []dt.Line{
				dt.Rec("http", map[string]any{"ts": 1000.0, "id.orig_h": "10.0.0.9", "id.orig_p": 5000, "id.resp_h": "10.0.0.80", "id.resp_p": 80, "status_code": 401}),
				dt.Rec("http", map[string]any{"ts": 1001.0, "id.orig_h": "10.0.0.9", "id.orig_p": 5000, "id.resp_h": "10.0.0.80", "id.resp_p": 80, "status_code": 200, "username": "alice"}),
			}
		},
		// People logging in to an intranet's form, one typo among them.
		"form logins of a few users": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 8; i++ {
				if i == 3 {
					l = append(l, formLogin(1000+float64(i)*30, fmt.Sprintf("U%d", i), "alice", "typo", 200, false)...)
				}
				l = append(l, formLogin(1001+float64(i)*30, fmt.Sprintf("U%d", i), "alice", "right", 302, true)...)
			}
			return l
		},
		"smb file server client": func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 5; i++ {
				l = append(l, dt.Conn{TS: 1000 + float64(i)*300, Src: "10.0.0.9", SrcP: 50000 + i, Dst: "10.0.0.2", DstP: 445, Duration: 200, OrigBytes: 30000, RespBytes: 900000}.Line())
			}
			return l
		},
	}
	for name, lines := range tests {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), lines())) })
	}
}

// TestTechnique: where the login facts show the passwords, the alert
// tells guessing (few accounts, many passwords), spraying (many accounts,
// a few passwords: T1110.003) and credential stuffing (many accounts,
// each tried once with its own password: T1110.004) apart; where they
// do not (SSH), it claims none.
func TestTechnique(t *testing.T) {
	form := func(users, passwords int, pairs func(i int) (string, string)) []dt.Line {
		var l []dt.Line
		for i := 0; i < users*passwords; i++ {
			u, pw := pairs(i)
			l = append(l, formLogin(1000+float64(i)/4, fmt.Sprintf("W%d", i), u, pw, 200, false)...)
		}
		return l
	}
	for _, c := range []struct {
		name      string
		lines     []dt.Line
		technique any
		mitre     string
	}{
		{"guessing", form(2, 12, func(i int) (string, string) { return fmt.Sprint("user", i%2), fmt.Sprint("pw", i/2) }), "guessing", "[T1110.001]"},
		{"spraying", form(12, 2, func(i int) (string, string) { return fmt.Sprint("user", i%12), fmt.Sprint("Winter2026!", i/12) }), "spraying", "[T1110.003]"},
		{"stuffing", form(20, 1, func(i int) (string, string) { return fmt.Sprint("user", i), fmt.Sprint("leaked", i) }), "stuffing", "[T1110.004]"},
		{"one account, one password, again and again", form(1, 12, func(i int) (string, string) { return "svc", "expired" }), "guessing", "[T1110.001]"},
		{"passwords not seen (ssh)", func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 12; i++ {
				l = append(l, ssh(1000+float64(i), i, false, 1))
			}
			return l
		}(), nil, "[T1110.001]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			alerts := dt.Run(t, New(DefaultConfig(), nil), c.lines)
			if len(alerts) == 0 {
				t.Fatal("no alert")
			}
			a := alerts[len(alerts)-1]
			mitre := a.MITRE
			if len(mitre) == 0 {
				mitre = []string{"T1110.001"} // the class's own
			}
			if a.Evidence["technique"] != c.technique || fmt.Sprint(mitre) != c.mitre {
				t.Errorf("technique %v, MITRE %v; want %v %s: %s", a.Evidence["technique"], mitre, c.technique, c.mitre, a.Summary)
			}
		})
	}
}

// crowdSSH is n sources, each failing tries SSH logins on 10.66.0.22
// once a second, all within two minutes.
func crowdSSH(n, tries int) []dt.Line {
	var l []dt.Line
	for s := 0; s < n; s++ {
		for i := 0; i < tries; i++ {
			src := fmt.Sprintf("198.51.100.%d", s+1)
			l = append(l, dt.Rec("ssh", map[string]any{"ts": 1000 + float64(s) + float64(i)/10, "uid": fmt.Sprintf("S%d-%d", s, i),
				"id.orig_h": src, "id.orig_p": 40000 + i, "id.resp_h": "10.66.0.22", "id.resp_p": 22, "auth_success": false, "auth_attempts": 1}))
		}
	}
	return l
}

// TestCrowd: many sources each below the per-source threshold, guessing
// on one server together (a botnet's distributed brute force), make one
// alert with no source, the server as destination and the sources in
// the evidence; one of them logging in after makes it critical. Too few
// sources, or too few failures in all, make none.
func TestCrowd(t *testing.T) {
	lines := crowdSSH(20, 5)
	lines = append(lines, ssh(1100, 999, true, 1)) // 10.66.0.66: not one of the crowd
	lines = append(lines, dt.Rec("ssh", map[string]any{"ts": 1101.0, "uid": "OK", "id.orig_h": "198.51.100.7", "id.orig_p": 41000,
		"id.resp_h": "10.66.0.22", "id.resp_p": 22, "auth_success": true, "auth_attempts": 1}))
	site := netset.MustParse(netset.DefaultInternal...)
	alerts := dt.Run(t, New(DefaultConfig(), site), lines)
	if len(dt.Merged(alerts)) != 1 {
		t.Fatalf("alerts %v", dt.Classes(alerts))
	}
	a := alerts[len(alerts)-1]
	if a.Class != "bruteforce.ssh" || a.Src != "" || a.Dst != "10.66.0.22" || a.Evidence["kind"] != "distributed" ||
		a.Evidence["source_count"] != 20 || a.Evidence["most_failures_of_one_source"] != 5 || a.Evidence["failures"] != 100 {
		t.Fatalf("alert %+v", a)
	}
	if srcs, _ := a.Evidence["sources"].([]string); len(srcs) != maxCrowdListed {
		t.Errorf("sources listed %v", a.Evidence["sources"])
	}
	if a.Evidence["likely_compromised"] != true || fmt.Sprint(a.Evidence["logged_in_from"]) != "[198.51.100.7]" || a.Severity != alert.Critical {
		t.Errorf("the crowd's login after: %s", a.Summary)
	}
	// The site's own hosts are no crowd: a fleet of devices whose
	// password was changed under them retries it.
	fleet := crowdSSH(20, 5)
	for i := range fleet {
		fleet[i].JSON = []byte(strings.Replace(string(fleet[i].JSON), "198.51.100.", "10.20.0.", 1))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), site), fleet))
	if len(dt.Run(t, New(DefaultConfig(), nil), fleet)) == 0 {
		t.Error("the fleet makes no crowd without internal networks either: the case tests nothing")
	}
	for name, lines := range map[string][]dt.Line{
		"9 sources":          crowdSSH(9, 9),  // 81 failures, too few sources
		"a morning of typos": crowdSSH(30, 1), // 30 sources, 30 failures
		"off":                crowdSSH(0, 0),
	} {
		t.Run(name, func(t *testing.T) { dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), lines)) })
	}
	// A source that makes an attack of its own is told of alone: its
	// failures are not the crowd's, those before its alert neither.
	lines = nil
	for i := 0; i < 40; i++ {
		lines = append(lines, ssh(990+float64(i)/4, 500+i, false, 1))
	}
	lines = append(lines, crowdSSH(9, 5)...)
	for _, a := range dt.Merged(dt.Run(t, New(DefaultConfig(), nil), lines)) {
		if a.Src == "" {
			t.Errorf("a crowd of 9 and one brute forcer: %s", a.Summary)
		}
	}
}
