package assets

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestLoginFactFindings: the FTP, HTTP and MQTT analyzers' login facts
// carry the passwords ftp.log, http.log and mqtt_connect.log hide (as
// Zeek's); an accepted default pair is default_creds, a refused one
// default_creds_tried, and the default user admin with a password of its
// own is neither, nor is an MQTT CONNECT that sent no password or no user
// name. The logs themselves, with the user name only, make
// cleartext_login and no credential finding.
func TestLoginFactFindings(t *testing.T) {
	inv := newInv(t, nil)
	id := func(uid, server string, port int) string {
		return fmt.Sprintf(`"uid":"%s","id.orig_h":"10.0.0.9","id.orig_p":40000,"id.resp_h":"%s","id.resp_p":%d`, uid, server, port)
	}
	feed(inv, "_ftp_auth",
		`{"ts":1,`+id("F1", "10.0.0.21", 21)+`,"user":"admin","password":"S3cure-Passphrase!","success":true}`,
		`{"ts":2,`+id("F2", "10.0.0.22", 21)+`,"user":"admin","password":"admin","success":true}`,
		`{"ts":3,`+id("F3", "10.0.0.23", 21)+`,"user":"admin","password":"admin","success":false}`)
	feed(inv, "ftp",
		`{"ts":1.5,`+id("F1", "10.0.0.21", 21)+`,"user":"admin","password":"<hidden>","command":"PASV","reply_code":227}`,
		`{"ts":2.5,`+id("F2", "10.0.0.22", 21)+`,"user":"admin","password":"<hidden>","command":"PASV","reply_code":227}`)
	feed(inv, "_http_auth",
		`{"ts":4,`+id("H1", "10.0.0.80", 80)+`,"user":"admin","password":"Vr8#kq2-Lm","status_code":200,"success":true}`,
		`{"ts":5,`+id("H2", "10.0.0.81", 80)+`,"user":"admin","password":"admin","status_code":200,"success":true}`,
		`{"ts":6,`+id("H3", "10.0.0.82", 80)+`,"user":"admin","password":"admin","status_code":401,"success":false}`)
	feed(inv, "http",
		`{"ts":4,`+id("H1", "10.0.0.80", 80)+`,"method":"GET","uri":"/","status_code":200,"username":"admin"}`,
		`{"ts":5,`+id("H2", "10.0.0.81", 80)+`,"method":"GET","uri":"/","status_code":200,"username":"admin"}`)
	mqtt := func(ts int, uid, server, user, password, status string, ok bool) string {
		cred := `"user":"` + user + `",`
		if user == "" {
			cred = ""
		}
		if password != "-" {
			cred += `"password":"` + password + `",`
		}
		return fmt.Sprintf(`{"ts":%d,%s,"client_id":"nvr",%s"connect_status":"%s","success":%v}`, ts, id(uid, server, 1883), cred, status, ok)
	}
	feed(inv, "_mqtt_auth",
		mqtt(7, "M1", "10.0.0.18", "admin", "Kp9!zQ-broker", "Connection Accepted", true),
		mqtt(8, "M2", "10.0.0.19", "admin", "admin", "Connection Accepted", true),
		mqtt(9, "M3", "10.0.0.20", "admin", "admin", "Refused: bad user name or password", false),
		mqtt(10, "M4", "10.0.0.24", "admin", "-", "Connection Accepted", true), // no password sent
		mqtt(11, "M5", "10.0.0.25", "", "admin", "Connection Accepted", true))  // a password alone (MQTT 5)
	feed(inv, "mqtt_connect",
		`{"ts":8,`+id("M2", "10.0.0.19", 1883)+`,"proto_name":"MQTT","proto_version":"3.1.1","client_id":"nvr","connect_status":"Connection Accepted","username_present":true,"password_present":true}`)
	inv.Close()
	want := map[string]string{
		"10.0.0.22": "default_creds", "10.0.0.23": "default_creds_tried",
		"10.0.0.81": "default_creds", "10.0.0.82": "default_creds_tried",
		"10.0.0.19": "default_creds", "10.0.0.20": "default_creds_tried",
	}
	got := map[string]string{}
	for _, kind := range []string{"default_creds", "default_creds_tried"} {
		for _, f := range findingsOf(inv, kind) {
			if f.Value != "admin/admin" || f.Src != "10.0.0.9" {
				t.Errorf("%s: %+v", kind, f)
			}
			got[f.Host] = kind
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("credential findings %v, want %v (%s)", got, want, kinds(inv))
	}
	for _, host := range []string{"10.0.0.21", "10.0.0.22", "10.0.0.80", "10.0.0.81"} {
		found := false
		for _, f := range findingsOf(inv, "cleartext_login") {
			found = found || f.Host == host
		}
		if !found {
			t.Errorf("no cleartext_login on %s (%s)", host, kinds(inv))
		}
	}
	// The Mirai detector asks with the facts' pair: the inventory
	// reports the accepted default logins, not the strong passwords.
	for _, c := range []struct {
		protocol, password, server string
		port                       uint16
		want                       bool
	}{
		{"ftp", "admin", "10.0.0.22", 21, true}, {"ftp", "S3cure-Passphrase!", "10.0.0.21", 21, false},
		{"http", "admin", "10.0.0.81", 80, true}, {"http", "Vr8#kq2-Lm", "10.0.0.80", 80, false},
		{"http", "admin", "10.0.0.82", 80, false},
		{"mqtt", "admin", "10.0.0.19", 1883, true}, {"mqtt", "Kp9!zQ-broker", "10.0.0.18", 1883, false},
		{"mqtt", "admin", "10.0.0.20", 1883, false},
	} {
		if got := inv.ReportsLogin(c.protocol, "admin", c.password, netip.MustParseAddr(c.server), c.port); got != c.want {
			t.Errorf("ReportsLogin(%s admin/%s, %s) = %v", c.protocol, c.password, c.server, got)
		}
	}
}

// TestTriedPairsGather: a brute force whose list holds ten default pairs
// (hydra against an FTP server) is one "tried the default credentials"
// finding naming the first pair and counting the others, not ten; a
// default pair that then gets in is its own default_creds finding, and the
// tried one stays (other pairs were tried). A pair tried alone, then
// accepted, leaves only the accepted one.
func TestTriedPairsGather(t *testing.T) {
	inv := newInv(t, nil)
	pairs := []string{"root/123456", "root/password", "root/12345", "root/1234", "root/666666", "admin/admin", "admin/1234", "root/root", "user/user", "guest/guest"}
	for i, p := range pairs {
		user, pass, _ := strings.Cut(p, "/")
		feed(inv, "_ftp_auth", fmt.Sprintf(`{"ts":%d,"uid":"F%d","id.orig_h":"10.0.0.66","id.orig_p":%d,"id.resp_h":"10.0.0.10","id.resp_p":21,"user":%q,"password":%q,"success":false}`,
			i+1, i, 40000+i, user, pass))
	}
	feed(inv, "_ftp_auth", `{"ts":20,"uid":"Fok","id.orig_h":"10.0.0.66","id.orig_p":41000,"id.resp_h":"10.0.0.10","id.resp_p":21,"user":"admin","password":"admin","success":true}`)
	feed(inv, "_ftp_auth",
		`{"ts":30,"uid":"G1","id.orig_h":"10.0.0.66","id.orig_p":42000,"id.resp_h":"10.0.0.11","id.resp_p":21,"user":"admin","password":"admin","success":false}`,
		`{"ts":31,"uid":"G2","id.orig_h":"10.0.0.66","id.orig_p":42001,"id.resp_h":"10.0.0.11","id.resp_p":21,"user":"admin","password":"admin","success":true}`)
	kinds := map[string][]Finding{}
	for _, f := range inv.Findings() {
		if strings.HasPrefix(f.Kind, "default_creds") {
			kinds[f.Host+" "+f.Kind] = append(kinds[f.Host+" "+f.Kind], f)
		}
	}
	tried := kinds["10.0.0.10 default_creds_tried"]
	if len(tried) != 1 || tried[0].Count != 10 || !strings.Contains(tried[0].Summary, "root/123456 and 9 other pairs") {
		t.Fatalf("tried findings on the brute-forced server: %+v", tried)
	}
	if len(kinds["10.0.0.10 default_creds"]) != 1 || len(kinds["10.0.0.11 default_creds"]) != 1 || len(kinds["10.0.0.11 default_creds_tried"]) != 0 {
		t.Fatalf("findings %v", kinds)
	}
}

// TestTriedPairsCountOnce: a brute force that tries every default pair
// many times, with the user name in several cases (FTP user names are
// matched case-blind), is one tried finding counting each default pair
// once: the case variants were separate pairs (and separate accepted
// findings), and once 64 values were held every retry of another pair
// counted again ("and 2600 other pairs").
func TestTriedPairsCountOnce(t *testing.T) {
	inv := newInv(t, nil)
	distinct := map[string]bool{}
	n := 0
	for round := 0; round < 20; round++ {
		for _, c := range inv.rules.credentials {
			if !credApplies(c, "ftp") {
				continue
			}
			for _, user := range []string{c.User, strings.ToUpper(c.User), strings.ToLower(c.User)} {
				n++
				if round == 0 {
					distinct[strings.ToLower(c.User)+"/"+c.Password] = true
				}
				feed(inv, "_ftp_auth", fmt.Sprintf(`{"ts":%d,"uid":"F%d","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"10.0.0.10","id.resp_p":21,"user":%q,"password":%q,"success":false}`,
					n, n, user, c.Password))
			}
		}
	}
	feed(inv, "_ftp_auth",
		`{"ts":99990,"uid":"A1","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"10.0.0.12","id.resp_p":21,"user":"root","password":"xc3511","success":true}`,
		`{"ts":99991,"uid":"A2","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"10.0.0.12","id.resp_p":21,"user":"ROOT","password":"xc3511","success":true}`,
		`{"ts":99992,"uid":"A3","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"10.0.0.12","id.resp_p":21,"user":"Root","password":"xc3511","success":true}`)
	var tried []Finding
	accepted := 0
	for _, f := range inv.Findings() {
		switch {
		case f.Kind == "default_creds_tried" && f.Host == "10.0.0.10":
			tried = append(tried, f)
		case f.Kind == "default_creds" && f.Host == "10.0.0.12":
			accepted++
		}
	}
	want := fmt.Sprintf(" and %d other pairs", len(distinct)-1)
	if len(tried) != 1 || !strings.Contains(tried[0].Summary, want) {
		t.Fatalf("%d tries of %d distinct pairs: want one finding saying %q, got %+v", n, len(distinct), want, tried)
	}
	if accepted != 1 {
		t.Fatalf("one default pair accepted in three cases: %d default_creds findings", accepted)
	}
}

// TestFormLoginFacts: a login form's fact (http.log shows no user for
// it) is a login seen in clear text, like a Basic login's record: a
// cleartext_login finding for the server, and its pair judged as a
// default or not; a strong password makes no credential finding.
func TestFormLoginFacts(t *testing.T) {
	inv := newInv(t, nil)
	form := func(ts int, uid, server, user, password string, status int, ok bool) string {
		return fmt.Sprintf(`{"ts":%d,"uid":"%s","id.orig_h":"10.0.0.9","id.orig_p":40000,"id.resp_h":"%s","id.resp_p":80,"user":%q,"password":%q,"status_code":%d,"success":%v,"form":true,"uri":"/login"}`,
			ts, uid, server, user, password, status, ok)
	}
	feed(inv, "_http_auth",
		form(1, "W1", "10.0.0.30", "admin", "1234", 302, true),
		form(2, "W2", "10.0.0.31", "admin", "admin", 200, false),
		form(3, "W3", "10.0.0.32", "alice", "Vr8#kq2-Lm", 302, true))
	inv.Close()
	got := map[string]string{}
	for _, kind := range []string{"default_creds", "default_creds_tried"} {
		for _, f := range findingsOf(inv, kind) {
			got[f.Host] = kind + " " + f.Value
		}
	}
	if want := map[string]string{"10.0.0.30": "default_creds admin/1234", "10.0.0.31": "default_creds_tried admin/admin"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("credential findings %v, want %v (%s)", got, want, kinds(inv))
	}
	clear := map[string]bool{}
	for _, f := range findingsOf(inv, "cleartext_login") {
		clear[f.Host] = true
	}
	for _, host := range []string{"10.0.0.30", "10.0.0.31", "10.0.0.32"} {
		if !clear[host] {
			t.Errorf("no cleartext_login on %s (%s)", host, kinds(inv))
		}
	}
}
