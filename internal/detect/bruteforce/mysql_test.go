package bruteforce

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// mysqlLogin is a mysql.log login record of user from 10.66.0.66.
func mysqlLogin(ts float64, i int, user string, success bool) dt.Line {
	r := map[string]any{"ts": ts, "uid": fmt.Sprintf("M%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
		"id.resp_h": "10.66.0.33", "id.resp_p": 3306, "cmd": "login", "arg": user, "success": success}
	if success {
		r["rows"] = 0
	} else {
		r["response"] = "Access denied for user '" + user + "'@'10.66.0.66' (using password: YES)"
	}
	return dt.Rec("mysql", r)
}

// TestMySQLLogins: refused MySQL logins from mysql.log make an attack,
// a login after them a likely compromise.
func TestMySQLLogins(t *testing.T) {
	var l []dt.Line
	for i := range 12 {
		l = append(l, mysqlLogin(1000+float64(i)*2, i, "root", false))
	}
	l = append(l, mysqlLogin(1030, 99, "root", true))
	a := dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.mysql", "10.66.0.66", "10.66.0.33", "failures", 12)
	if a.Evidence["likely_compromised"] != true {
		t.Errorf("evidence %v", a.Evidence)
	}
}

// TestMySQLPoolQuiet: an application's connection pool logs in all day,
// and a password rotation costs it a few refused logins: no attack. Nor
// is a refused COM_QUERY (a failed statement) a failed login.
func TestMySQLPoolQuiet(t *testing.T) {
	var l []dt.Line
	for i := range 200 {
		l = append(l, mysqlLogin(1000+float64(i)*3, i, "app", true))
	}
	for i := range 4 {
		l = append(l, mysqlLogin(1700+float64(i), 300+i, "app", false))
	}
	for i := range 30 {
		l = append(l, dt.Rec("mysql", map[string]any{"ts": 1800 + float64(i), "uid": "Q", "id.orig_h": "10.66.0.66", "id.orig_p": 50000,
			"id.resp_h": "10.66.0.33", "id.resp_p": 3306, "cmd": "query", "arg": "select * from nowhere", "success": false,
			"response": "Table 'shop.nowhere' doesn't exist"}))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), l))
}

// krbFact is a KDC's error to 10.66.0.66 for user (a "_krb_auth" fact).
func krbFact(ts float64, i int, user string, code int) dt.Line {
	return dt.Rec("_krb_auth", map[string]any{"ts": ts, "uid": fmt.Sprintf("K%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 50000 + i,
		"id.resp_h": "10.66.0.2", "id.resp_p": 88, "user": user, "error_code": code, "success": false})
}

// TestKerberosGuessing: a client whose pre-authentications a KDC refuses
// (wrong passwords, users that do not exist) guesses passwords; its AS
// exchange that got a ticket after them is a likely compromise. The
// KDC's routine request for pre-authentication (25) is no failure.
func TestKerberosGuessing(t *testing.T) {
	var l []dt.Line
	for i := range 8 {
		l = append(l, krbFact(1000+float64(i), i, fmt.Sprintf("user%d", i), 24))
		l = append(l, krbFact(1000.5+float64(i), 100+i, fmt.Sprintf("user%d", i), 25))
	}
	for i := range 4 {
		l = append(l, krbFact(1010+float64(i), 200+i, fmt.Sprintf("ghost%d", i), 6))
		l = append(l, krbFact(1010.5+float64(i), 300+i, fmt.Sprintf("ghost%d", i), 6)) // the same name again: once
	}
	l = append(l, dt.Rec("kerberos", map[string]any{"ts": 1020.0, "uid": "KS", "id.orig_h": "10.66.0.66", "id.orig_p": 51000,
		"id.resp_h": "10.66.0.2", "id.resp_p": 88, "request_type": "AS", "client": "user7/CORP.EXAMPLE", "success": true}))
	a := dt.Expect(t, dt.Run(t, New(DefaultConfig(), nil), l), "bruteforce.kerberos", "10.66.0.66", "10.66.0.2", "failures", 12)
	if a.Evidence["likely_compromised"] != true {
		t.Errorf("evidence %v", a.Evidence)
	}
	// A domain's morning: every client asked for pre-authentication once.
	var quiet []dt.Line
	for i := range 200 {
		quiet = append(quiet, krbFact(2000+float64(i), i, fmt.Sprintf("u%d", i), 25))
	}
	// A service configured with a principal the realm lacks, and a
	// phone with a locked-out account, retrying all day.
	for i := range 100 {
		quiet = append(quiet, krbFact(3000+float64(i)*5, 500+i, "svc_old", 6), krbFact(3001+float64(i)*5, 700+i, "bob", 18))
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), nil), quiet))
}
