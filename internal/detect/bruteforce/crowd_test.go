package bruteforce

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// basicCrowd is n outside sources, each refused tries HTTP Basic logins
// on 10.66.0.80 (http.log's 401s naming the user) from ts on, one a
// second each.
func basicCrowd(n, tries int, ts float64) []dt.Line {
	var l []dt.Line
	for s := 0; s < n; s++ {
		for i := 0; i < tries; i++ {
			l = append(l, dt.Rec("http", map[string]any{"ts": ts + float64(s) + float64(i)/10, "uid": fmt.Sprintf("H%d-%d", s, i),
				"id.orig_h": fmt.Sprintf("198.51.100.%d", s+1), "id.orig_p": 40000 + i, "id.resp_h": "10.66.0.80", "id.resp_p": 80,
				"status_code": 401, "username": "admin"}))
		}
	}
	return l
}

// TestCrowdLeftByAlertedSource: a source whose pair alerts leaves a crowd
// that has not alerted, however its pair crossed: by a counted failure,
// or by something that is no outcome of the source's (an HTTP challenge
// settled at its conn record, SMB's short connections). 203.0.113.9
// makes 9 refused Basic logins, counted in the crowd, then a request
// without credentials whose 401 its conn record settles as a tenth
// failure: it is told of alone, and the 9 other sources (45 failures)
// make no crowd.
func TestCrowdLeftByAlertedSource(t *testing.T) {
	x := func(ts float64, m map[string]any) dt.Line {
		m["ts"], m["id.orig_h"], m["id.resp_h"], m["id.resp_p"] = ts, "203.0.113.9", "10.66.0.80", 80
		if _, ok := m["id.orig_p"]; !ok {
			m["id.orig_p"] = 39000
		}
		return dt.Rec(m["log"].(string), m)
	}
	for name, tc := range map[string]struct {
		own []dt.Line
	}{
		"tenth failure counted from the log": {own: func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 10; i++ {
				l = append(l, x(990+float64(i)/2, map[string]any{"log": "http", "uid": fmt.Sprintf("X%d", i), "status_code": 401, "username": "admin"}))
			}
			return l
		}()},
		"tenth failure a settled challenge": {own: func() []dt.Line {
			var l []dt.Line
			for i := 0; i < 9; i++ {
				l = append(l, x(990+float64(i)/2, map[string]any{"log": "http", "uid": fmt.Sprintf("X%d", i), "status_code": 401, "username": "admin"}))
			}
			return append(l,
				x(995, map[string]any{"log": "http", "uid": "XC", "status_code": 401}),
				x(995.5, map[string]any{"log": "conn", "uid": "XC", "id.orig_p": 39100, "proto": "tcp", "conn_state": "SF", "duration": 0.2,
					"orig_bytes": 200, "resp_bytes": 300}))
		}()},
	} {
		t.Run(name, func(t *testing.T) {
			lines := append(append([]dt.Line{}, tc.own...), basicCrowd(9, 5, 1000)...)
			alone := 0
			for _, a := range dt.Merged(dt.Run(t, New(DefaultConfig(), nil), lines)) {
				switch a.Src {
				case "":
					t.Errorf("a crowd of 9 and one brute forcer told of alone: %s (evidence %v)", a.Summary, a.Evidence)
				case "203.0.113.9":
					alone++
				}
			}
			if alone == 0 {
				t.Error("203.0.113.9 is not told of alone: the case tests nothing")
			}
		})
	}
}

// TestCrowdLoginAfterPairEnded: a crowd member logging in after its own
// pair ended (idle, or evicted: a botnet's many sources fill the table)
// makes the crowd's alert critical as one whose pair is still held does:
// the crowd still counts it among its sources.
func TestCrowdLoginAfterPairEnded(t *testing.T) {
	for name, login := range map[string]float64{"pair held": 1100, "pair ended": 1700} {
		t.Run(name, func(t *testing.T) {
			lines := crowdSSH(20, 5) // 198.51.100.1–20, 1000–1019
			// The botnet goes on: a new source every 50 s keeps the
			// crowd's episode open.
			for i := 0; i < 16; i++ {
				lines = append(lines, dt.Rec("ssh", map[string]any{"ts": 1050 + 50*float64(i), "uid": fmt.Sprintf("N%d", i),
					"id.orig_h": fmt.Sprintf("198.51.100.%d", 101+i), "id.orig_p": 42000 + i, "id.resp_h": "10.66.0.22", "id.resp_p": 22,
					"auth_success": false, "auth_attempts": 1}))
			}
			lines = append(lines, dt.Rec("ssh", map[string]any{"ts": login, "uid": "OK", "id.orig_h": "198.51.100.7", "id.orig_p": 41000,
				"id.resp_h": "10.66.0.22", "id.resp_p": 22, "auth_success": true, "auth_attempts": 1}))
			alerts := dt.Run(t, New(DefaultConfig(), nil), lines)
			if len(alerts) == 0 {
				t.Fatal("no alert")
			}
			a := alerts[len(alerts)-1]
			if a.Src != "" || a.Evidence["likely_compromised"] != true || fmt.Sprint(a.Evidence["logged_in_from"]) != "[198.51.100.7]" {
				t.Errorf("the crowd member's login at %v: %s (evidence %v)", login, a.Summary, a.Evidence)
			}
		})
	}
}

// TestCrowdFalseFriends: what a crowd rule must not take for a botnet.
// Ten outside CI runners whose agents offer six wrong keys each on one
// connection (auth_attempts 6: 60 attempts) are ten refused connections;
// a sprayer reported alone leaves the crowd of each server it sprayed,
// so 9 bots with 5 guesses each on one of them make no crowd; and a
// crowd member that failed once, then logged in, is a person who
// mistyped, not the crowd's success.
func TestCrowdFalseFriends(t *testing.T) {
	sshTry := func(ts float64, src, dst string, attempts int, ok bool) dt.Line {
		return dt.Rec("ssh", map[string]any{"ts": ts, "uid": fmt.Sprintf("K%s-%s-%.0f", src, dst, ts), "id.orig_h": src, "id.orig_p": 40000,
			"id.resp_h": dst, "id.resp_p": 22, "auth_success": ok, "auth_attempts": attempts})
	}
	var runners []dt.Line
	for i := 0; i < 10; i++ {
		runners = append(runners, sshTry(1000+float64(i), fmt.Sprintf("198.51.100.%d", 50+i), "10.66.0.22", 6, false))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), runners))

	// 203.0.113.7 tries 5 passwords on each of 20 servers (a spray, told
	// of alone), among them 10.66.0.22, where 9 bots then try 5 each.
	var spray []dt.Line
	for s := 0; s < 20; s++ {
		for i := 0; i < 5; i++ {
			spray = append(spray, sshTry(900+float64(s)+float64(i)/10, "203.0.113.7", fmt.Sprintf("10.66.0.%d", 22+s), 1, false))
		}
	}
	spray = append(spray, crowdSSH(9, 5)...)
	for _, a := range dt.Merged(dt.Run(t, New(DefaultConfig(), nil), spray)) {
		if a.Src == "" {
			t.Errorf("a sprayer and 9 bots made a crowd: %s", a.Summary)
		}
	}

	typo := append(crowdSSH(20, 5), sshTry(1050, "198.51.100.99", "10.66.0.22", 1, false), sshTry(1060, "198.51.100.99", "10.66.0.22", 1, true))
	alerts := dt.Run(t, New(DefaultConfig(), nil), typo)
	if a := alerts[len(alerts)-1]; a.Src != "" || a.Evidence["likely_compromised"] == true {
		t.Errorf("one typo before a good password made the crowd's login: %s", a.Summary)
	}
}
