package lab

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestIoTWebLogin: the camera's login form shows itself again with
// "Login failed" (status 200) for a wrong pair, redirects the default
// pair to the status page with a session cookie, and shows that page only
// to a session it gave.
func TestIoTWebLogin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := newIoTWeb()
	w.serve(ln)
	defer w.close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(user, pass string) *http.Response {
		t.Helper()
		resp, err := client.PostForm(base+iotWebLogin, url.Values{"username": {user}, "password": {pass}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	body := func(r *http.Response) string {
		t.Helper()
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if r := post(iotWebUser, "wrong"); r.StatusCode != 200 || !strings.Contains(body(r), iotWebFailed) {
		t.Errorf("wrong password: status %d, want 200 with %q", r.StatusCode, iotWebFailed)
	}
	r := post(iotWebUser, iotWebPassword)
	body(r)
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/status.html" || len(r.Cookies()) != 1 {
		t.Fatalf("default pair: status %d, location %q, cookies %v", r.StatusCode, r.Header.Get("Location"), r.Cookies())
	}
	req, _ := http.NewRequest("GET", base+"/status.html", nil)
	req.AddCookie(r.Cookies()[0])
	if s, err := client.Do(req); err != nil || s.StatusCode != 200 || !strings.Contains(body(s), "Recording") {
		t.Errorf("status page with the session: %v %v", s, err)
	}
	if s, err := client.Get(base + "/status.html"); err != nil || s.StatusCode != http.StatusFound {
		t.Errorf("status page without a session: %v %v", s, err)
	}
}
