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
