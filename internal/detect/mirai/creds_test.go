package mirai

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// ftpLogin is what Vigil's FTP analyzer hands on for one accepted login,
// in its order: the "_ftp_auth" fact at the reply to PASS (with the
// password typed), then the ftp.log record of a later command, whose
// password is hidden as Zeek hides it.
func ftpLogin(ts float64, uid, user, password string) []dt.Line {
	id := map[string]any{"uid": uid, "id.orig_h": "10.0.0.9", "id.orig_p": 40000, "id.resp_h": "10.0.0.21", "id.resp_p": 21}
	return []dt.Line{
		dt.Rec("_ftp_auth", with(id, map[string]any{"ts": ts, "user": user, "password": password, "success": true})),
		dt.Rec("ftp", with(id, map[string]any{"ts": ts + 1, "user": user, "password": "<hidden>", "command": "RETR", "reply_code": 226})),
	}
}

// httpLogin is what Vigil's HTTP analyzer hands on for one request with
// Basic credentials answered by 200: the "_http_auth" fact, then the
// http.log record, which has the user name only (as Zeek's).
func httpLogin(ts float64, uid, user, password string) []dt.Line {
	id := map[string]any{"uid": uid, "id.orig_h": "10.0.0.9", "id.orig_p": 40001, "id.resp_h": "10.0.0.80", "id.resp_p": 80}
	return []dt.Line{
		dt.Rec("_http_auth", with(id, map[string]any{"ts": ts, "user": user, "password": password, "status_code": 200, "success": true})),
		dt.Rec("http", with(id, map[string]any{"ts": ts, "method": "GET", "uri": "/", "status_code": 200, "username": user})),
	}
}

// mqttLogin is what Vigil's MQTT analyzer hands on for one accepted
// CONNECT: the "_mqtt_auth" fact, then the mqtt_connect.log record, here
// with the user name but no password, as loggers that name the user
// write it (Zeek's and Vigil's name neither).
func mqttLogin(ts float64, uid, user, password string) []dt.Line {
	id := map[string]any{"uid": uid, "id.orig_h": "10.0.0.9", "id.orig_p": 40002, "id.resp_h": "10.0.0.18", "id.resp_p": 1883}
	return []dt.Line{
		dt.Rec("_mqtt_auth", with(id, map[string]any{"ts": ts, "client_id": "nvr", "user": user, "password": password,
			"connect_status": "Connection Accepted", "success": true})),
		dt.Rec("mqtt_connect", with(id, map[string]any{"ts": ts, "client_id": "nvr", "connect_status": "Connection Accepted",
			"username": user, "username_present": true, "password_present": true})),
	}
}

func with(a, b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// TestDefaultUserStrongPassword: an NVR logging in to a camera as admin
// with a password of its own, over FTP and over HTTP Basic, is no
// default-credential login, though the logs show the user name only.
func TestDefaultUserStrongPassword(t *testing.T) {
	l := append(ftpLogin(1000, "F1", "admin", "S3cure-Passphrase!"), httpLogin(1010, "H1", "admin", "Vr8#kq2-Lm")...)
	l = append(l, mqttLogin(1020, "M1", "admin", "Kp9!zQ-broker")...)
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), l))
}

// TestDefaultPairOverFTPAndHTTP: admin/admin over FTP, over HTTP Basic
// and over MQTT is a default-credential login, one alert each, with the
// password.
func TestDefaultPairOverFTPAndHTTP(t *testing.T) {
	l := append(ftpLogin(1000, "F1", "admin", "admin"), httpLogin(1010, "H1", "admin", "admin")...)
	l = append(l, mqttLogin(1020, "M1", "admin", "admin")...)
	got := dt.RunAsGiven(t, New(DefaultConfig()), l)
	byService := map[string][]alert.Alert{}
	for _, a := range got {
		byService[a.Evidence["service"].(string)] = append(byService[a.Evidence["service"].(string)], a)
	}
	for _, s := range []string{"ftp", "http", "mqtt"} {
		if len(byService[s]) != 1 {
			t.Fatalf("%s: %d alerts %v, want 1", s, len(byService[s]), dt.Classes(got))
		}
		a := byService[s][0]
		if a.Class != "iot.default_creds" || a.Confidence < 0.9 || a.Evidence["password"] != "admin" || a.Dst == "" {
			t.Errorf("%s: %s", s, a.JSON())
		}
	}
}

// TestRefusedDefaultPair: a refused admin/admin is no login.
func TestRefusedDefaultPair(t *testing.T) {
	id := map[string]any{"uid": "F1", "id.orig_h": "10.0.0.9", "id.orig_p": 40000, "id.resp_h": "10.0.0.21", "id.resp_p": 21}
	dt.Quiet(t, dt.RunAsGiven(t, New(DefaultConfig()), []dt.Line{
		dt.Rec("_ftp_auth", with(id, map[string]any{"ts": 1000.0, "user": "admin", "password": "admin", "success": false})),
		dt.Rec("_http_auth", with(id, map[string]any{"ts": 1001.0, "id.resp_p": 80, "user": "admin", "password": "admin", "status_code": 401, "success": false})),
		dt.Rec("_mqtt_auth", with(id, map[string]any{"ts": 1002.0, "uid": "M1", "id.resp_p": 1883, "user": "admin", "password": "admin",
			"connect_status": "Refused: bad user name or password", "success": false})),
		dt.Rec("mqtt_connect", with(id, map[string]any{"ts": 1002.0, "uid": "M1", "id.resp_p": 1883, "username": "admin",
			"connect_status": "Refused: bad user name or password"})),
	}))
}

// TestMQTTWithoutPassword: an accepted MQTT CONNECT whose password is not
// known (mqtt_connect.log naming the user, no facts) or that sent none
// (a fact without password), or that sent a password alone (MQTT 5), is
// no default-credential login; a password the log shows is judged.
func TestMQTTWithoutPassword(t *testing.T) {
	id := map[string]any{"id.orig_h": "10.0.0.9", "id.orig_p": 40000, "id.resp_h": "10.0.0.18", "id.resp_p": 1883, "connect_status": "Connection Accepted"}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), []dt.Line{
		dt.Rec("mqtt_connect", with(id, map[string]any{"ts": 1000.0, "uid": "M1", "username": "admin"})),
		dt.Rec("mqtt_connect", with(id, map[string]any{"ts": 1001.0, "uid": "M2", "username": "mqtt", "password": nil})),
		dt.Rec("_mqtt_auth", with(id, map[string]any{"ts": 1002.0, "uid": "M3", "user": "admin", "success": true})),
		dt.Rec("_mqtt_auth", with(id, map[string]any{"ts": 1003.0, "uid": "M4", "password": "admin", "success": true})),
	}))
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), []dt.Line{
		dt.Rec("mqtt_connect", with(id, map[string]any{"ts": 1000.0, "uid": "M5", "username": "admin", "password": "admin"})),
	}), "iot.default_creds")
	if a.Confidence < 0.9 || a.Evidence["password"] != "admin" || a.Evidence["service"] != "mqtt" {
		t.Errorf("logged pair: %s", a.JSON())
	}
}

// TestZeekLogsWithoutPassword: Zeek's ftp.log (password hidden) and
// http.log (no password) as input, without the facts: a default user
// name alone is not reported (the password is not known); a password
// Zeek logged is judged.
func TestZeekLogsWithoutPassword(t *testing.T) {
	id := map[string]any{"id.orig_h": "10.0.0.9", "id.orig_p": 40000, "id.resp_h": "10.0.0.21", "id.resp_p": 21}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), []dt.Line{
		dt.Rec("ftp", with(id, map[string]any{"ts": 1000.0, "uid": "F1", "user": "admin", "password": "<hidden>", "command": "RETR", "reply_code": 226})),
		dt.Rec("ftp", with(id, map[string]any{"ts": 1001.0, "uid": "F2", "user": "root", "command": "STOR", "reply_code": 226})),
		dt.Rec("http", with(id, map[string]any{"ts": 1002.0, "uid": "H1", "id.resp_p": 80, "username": "admin", "status_code": 200})),
		dt.Rec("http", with(id, map[string]any{"ts": 1003.0, "uid": "H2", "id.resp_p": 80, "username": "admin", "password": nil, "status_code": 200})),
	}))
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), []dt.Line{
		dt.Rec("ftp", with(id, map[string]any{"ts": 1000.0, "uid": "F3", "user": "admin", "password": "admin", "command": "RETR", "reply_code": 226})),
	}), "iot.default_creds")
	if a.Confidence < 0.9 || a.Evidence["password"] != "admin" {
		t.Errorf("logged pair: %s", a.JSON())
	}
}

// TestFactsAndLoggedPassword: ftp.log shows a guest user's password, and
// the facts gave it already: one login, one alert.
func TestFactsAndLoggedPassword(t *testing.T) {
	l := ftpLogin(1000, "F1", "guest", "guest")
	l = append(l, dt.Rec("ftp", map[string]any{"ts": 1002.0, "uid": "F1", "id.orig_h": "10.0.0.9", "id.orig_p": 40000, "id.resp_h": "10.0.0.21", "id.resp_p": 21,
		"user": "guest", "password": "guest", "command": "STOR", "reply_code": 226}))
	if got := dt.RunAsGiven(t, New(DefaultConfig()), l); len(got) != 1 {
		t.Errorf("%d alerts %v, want 1", len(got), dt.Classes(got))
	}
}

// TestMySQLLoginFacts: a MySQL root login without a password is a login
// with default credentials; one with a password the fact cannot give (a
// scramble) is not judged.
func TestMySQLLoginFacts(t *testing.T) {
	fact := func(uid string, withEmpty bool) dt.Line {
		r := map[string]any{"ts": 1000.0, "uid": uid, "id.orig_h": "10.66.0.66", "id.orig_p": 40000, "id.resp_h": "10.66.0.33",
			"id.resp_p": 3306, "user": "root", "success": true}
		if withEmpty {
			r["password"] = ""
		}
		return dt.Rec("_mysql_auth", r)
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), []dt.Line{fact("M1", true)}), "iot.default_creds")
	if a.Src != "10.66.0.66" || a.Dst != "10.66.0.33" || a.Evidence["service"] != "mysql" || a.Evidence["password"] != "" {
		t.Errorf("alert %+v", a)
	}
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), []dt.Line{fact("M2", false)}))
}
