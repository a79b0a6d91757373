package http

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/proto"
)

// TestParseFormLogin: which request bodies are logins, and the user and
// password read from them.
func TestParseFormLogin(t *testing.T) {
	for _, c := range []struct {
		name, body     string
		ok             bool
		user, password string
	}{
		{"hydra form", "username=admin&password=123456", true, "admin", "123456"},
		{"wordpress", "log=editor&pwd=s3cret%21&wp-submit=Log+In&redirect_to=%2Fwp-admin%2F&testcookie=1", true, "editor", "s3cret!"},
		{"java", "j_username=tomcat&j_password=tomcat", true, "tomcat", "tomcat"},
		{"rails nested", "user%5Bemail%5D=a%40b.example&user%5Bpassword%5D=pa+ss&commit=Sign+in", true, "a@b.example", "pa ss"},
		{"password only (PIN page)", "pass=0000", true, "", "0000"},
		{"oauth password grant", "grant_type=password&username=svc&password=x", true, "svc", "x"},
		{"json", `{"username": "root", "password": "xc3511"}`, true, "root", "xc3511"},
		{"json nested and escaped", ` {"user":{"email":"a\u0040b","password":"p\"w\\d"},"remember":true,"scopes":["a","b"]}`, true, "a@b", `p"w\d`},
		{"json names escaped", `{"user\u006eame":"root","pass\u0077ord":"xc3511"}`, true, "root", "xc3511"},
		{"json cut off after the password", `{"login":"admin","password":"hunter2","next":"/very/long`, true, "admin", "hunter2"},
		{"remember me beside the password", "username=bob&password=s3&remember_password=on&show_password=1", true, "bob", "s3"},
		{"hydra's pairs go unencoded", "username=root&password=love<3 \"x\"", true, "root", `love<3 "x"`},
		{"registration", "username=new&password=a&password_confirmation=a", false, "", ""},
		{"password change", "old_password=a&new_password=b", false, "", ""},
		{"search form", "q=password+reset&lang=en", false, "", ""},
		{"telemetry json", `{"temp": 21.5, "id": "sensor-7"}`, false, "", ""},
		{"not a form", "<xml><password>x</password></xml>", false, "", ""},
		{"binary", "\x00\x01password=x", false, "", ""},
		{"broken json", `{"password" "x"}`, false, "", ""},
		{"empty", "", false, "", ""},
	} {
		var l formLogin
		parseFormLogin(&l, []byte(c.body))
		if l.ok != c.ok || c.ok && (string(l.user) != c.user || string(l.password) != c.password) {
			t.Errorf("%s: ok %v user %q password %q, want %v %q %q", c.name, l.ok, l.user, l.password, c.ok, c.user, c.password)
		}
	}
}

// TestFormLoginCut: of a body longer than the bytes kept (SniffLen), the
// last field is cut off: its value is not read (a password cut from
// "admin2024" to "admin" is no default pair), as a JSON string cut off is
// not; the fields before it are.
func TestFormLoginCut(t *testing.T) {
	pad := func(n int) string { return "__VIEWSTATE=" + strings.Repeat("A", n-len("__VIEWSTATE=")) }
	for _, c := range []struct {
		name, body string
		password   string // "" when no fact
	}{
		{"password cut", pad(SniffLen-len("&username=admin&password=admin")) + "&username=admin&password=admin2024", ""},
		{"whole, the next field cut", pad(SniffLen-len("&username=admin&password=admin2024&submit=Lo")) + "&username=admin&password=admin2024&submit=Login", "admin2024"},
		{"body of SniffLen bytes, whole", pad(SniffLen-len("&username=admin&password=admin2024")) + "&username=admin&password=admin2024", "admin2024"},
		{"json password cut", `{"note":"` + strings.Repeat("x", SniffLen-len(`{"note":"","username":"admin","password":"admin`)) + `","username":"admin","password":"admin2024"}`, ""},
	} {
		out := &sinkRecs{}
		a := New(&proto.ConnInfo{UID: "CCut"}, out)
		deliverAll(a, []step{{dir: 0, data: formPost("/login", c.body)}, {dir: 1, data: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"}})
		switch {
		case c.password == "" && len(out.auth) != 0:
			t.Errorf("%s: facts %q, want none", c.name, out.auth)
		case c.password != "" && (len(out.auth) != 1 || !strings.Contains(out.auth[0], `"password":"`+c.password+`"`)):
			t.Errorf("%s: facts %q, want the password %q", c.name, out.auth, c.password)
		}
	}
}

// TestParseFormLoginAllocs: reading a body into a formLogin whose buffers
// were used before allocates nothing (every POST's body is read).
func TestParseFormLoginAllocs(t *testing.T) {
	for _, body := range []string{
		"log=editor&pwd=s3cret%21&wp-submit=Log+In&redirect_to=%2Fwp-admin%2F&testcookie=1",
		"q=weather&lang=en&page=2&sort=date&filter=all",
		strings.Repeat("a=1&", 120),
		`{"user":{"email":"a\u0040b","password":"p"},"remember":true}`,
	} {
		var l formLogin
		b := []byte(body)
		parseFormLogin(&l, b)
		if n := testing.AllocsPerRun(20, func() { parseFormLogin(&l, b) }); n != 0 {
			t.Errorf("%.40q: %v allocations", body, n)
		}
	}
}

// TestFormOutcome: how a form login's reply is judged.
func TestFormOutcome(t *testing.T) {
	for _, c := range []struct {
		status          int
		location, uri   string
		json            bool
		success, judged bool
	}{
		{200, "", "/login", false, false, true},     // the form shown again
		{200, "", "/api/session", true, true, true}, // a JSON login's token
		{302, "/dashboard", "/login", false, true, true},
		{302, "https://cam.example/wp-admin/", "/wp-login.php", false, true, true},
		{302, "/login?error=1", "/login", false, false, true},
		{303, "/auth/login", "/session", false, false, true},
		{302, "/?msg=Invalid+password", "/session", false, false, true},
		{302, "http://cam.example/session?next=x", "/session", false, false, true}, // back to itself
		{302, "", "/login", false, false, false},
		// A front controller: the query names the page (Roundcube's
		// ?_task=login, then ?_task=mail; phpMyAdmin's index.php?route=).
		{302, "./?_task=mail&_mbox=INBOX", "/?_task=login", false, true, true},
		{302, "/?_task=mail&_mbox=INBOX", "/?_task=login", false, true, true},
		{302, "/index.php?route=/&server=1", "/index.php?route=/", false, true, true},
		{302, "/index.php?route=/", "/index.php?route=/", false, false, true},
		{302, "/index.php?action=auth&error=1", "/index.php?action=auth", false, false, true},
		{401, "", "/api/session", true, false, true},
		{403, "", "/login", false, false, true},
		{500, "", "/login", false, false, false},
		{0, "", "/login", false, false, false},
	} {
		tx := &txn{status: c.status, hasStatus: c.status != 0, uri: []byte(c.uri), location: []byte(c.location), hasLocation: c.location != ""}
		tx.formJSON = c.json
		if success, judged := formOutcome(tx); success != c.success || judged != c.judged {
			t.Errorf("%d %q after %q: success %v judged %v, want %v %v", c.status, c.location, c.uri, success, judged, c.success, c.judged)
		}
	}
}

func formPost(uri, body string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: router\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", uri, len(body), body)
}

// TestFormLoginFact: each answered login form makes one AuthLog fact
// (form true) before its http.log record, which shows neither the user
// nor the password; a POST that is no login makes none.
func TestFormLoginFact(t *testing.T) {
	out := &sinkRecs{}
	a := New(&proto.ConnInfo{UID: "CForm"}, out)
	page := "<html>Invalid user name or password</html>"
	deliverAll(a, []step{
		{dir: 0, data: formPost("/login", "username=admin&password=Vr8kq2Lm")},
		{dir: 1, data: fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(page), page)},
		{dir: 0, data: formPost("/search", "q=weather")},
		{dir: 1, data: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{dir: 0, data: formPost("/login", "username=admin&password=admin")},
		{dir: 1, data: "HTTP/1.1 302 Found\r\nLocation: /status\r\nSet-Cookie: s=1\r\nContent-Length: 0\r\n\r\n"},
	})
	if len(out.auth) != 2 || len(out.lines) != 3 {
		t.Fatalf("facts %q, records %q", out.auth, out.lines)
	}
	checkFacts(t, out.auth, []map[string]any{
		{"uid": "CForm", "user": "admin", "password": "Vr8kq2Lm", "status_code": 200.0, "success": false, "form": true, "uri": "/login"},
		{"uid": "CForm", "user": "admin", "password": "admin", "status_code": 302.0, "success": true, "form": true, "uri": "/login"},
	})
	if !strings.HasPrefix(out.order[0], AuthLog+" ") || !strings.HasPrefix(out.order[1], "http ") {
		t.Errorf("order %q: the fact just before its record", out.order)
	}
	for _, l := range out.lines {
		if strings.Contains(l, "Vr8kq2Lm") || strings.Contains(l, `"username"`) {
			t.Errorf("http.log shows the form's credentials: %s", l)
		}
	}
}

// FuzzFormLogin: any body parses without panic, and what it reads is no
// longer than the bounds and found in a login.
func FuzzFormLogin(f *testing.F) {
	for _, s := range []string{"username=admin&password=123456", `{"user":{"email":"a","password":"b"}}`,
		"log=a&pwd=%41%4", `{"password":"\u00e9\ud800"}`, `{"a":[{"b":1}],"password":"x"`, "pass=0000&pass=1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var l formLogin
		parseFormLogin(&l, body)
		if len(l.user) > maxFormValue+utf8Max || len(l.password) > maxFormValue+utf8Max {
			t.Fatalf("value past the bound: %q %q", l.user, l.password)
		}
		var again formLogin
		parseFormLogin(&again, body)
		if again.ok != l.ok || string(again.user) != string(l.user) || string(again.password) != string(l.password) {
			t.Fatalf("two readings differ: %+v %+v", l, again)
		}
	})
}

// utf8Max is the most a decoded \u escape adds past maxFormValue.
const utf8Max = 4

// TestFormLoginReplyKind: a URL-encoded login answered 2xx with a JSON
// body is an API's answer (an OAuth password grant's token, a form posted
// by a script): let in, as a JSON login's 2xx is; an HTML page is the
// form shown again.
func TestFormLoginReplyKind(t *testing.T) {
	token := `{"access_token":"eyJhbGciOi","token_type":"bearer","expires_in":300}`
	page := "<html><body><form method=post>Invalid password</form></body></html>"
	for _, c := range []struct {
		name, uri, body, reply string
		success                bool
	}{
		{"oauth password grant, token", "/oauth/token", "grant_type=password&username=svc&password=Vr8kq2Lm&client_id=app",
			fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(token), token), true},
		{"oauth password grant, refused", "/oauth/token", "grant_type=password&username=svc&password=wrong",
			"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n{\"error\":\"invalid_grant\"}", false},
		{"form shown again", "/login", "username=admin&password=wrong",
			fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s", len(page), page), false},
	} {
		out := &sinkRecs{}
		a := New(&proto.ConnInfo{UID: "CReply"}, out)
		deliverAll(a, []step{{dir: 0, data: formPost(c.uri, c.body)}, {dir: 1, data: c.reply}})
		if len(out.auth) != 1 {
			t.Errorf("%s: facts %q", c.name, out.auth)
			continue
		}
		if want := fmt.Sprintf(`"success":%v`, c.success); !strings.Contains(out.auth[0], want) {
			t.Errorf("%s: %s, want %s", c.name, out.auth[0], want)
		}
	}
}
