package lab

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"sync"
	"time"
)

// iotWeb emulates the web administration of the IoT hub's camera: a login
// page whose HTML form posts a user name and password to
// /cgi-bin/login.cgi, which shows the form again with "Login failed" for a
// wrong pair (status 200, as such devices do) and, for the factory
// default, sets a session cookie and redirects to the status page. It
// runs in the lab's process, like the camera's telnet (iotTelnet).
type iotWeb struct {
	user, pass string
	srv        *http.Server

	mu       sync.Mutex
	sessions map[string]bool
}

const (
	iotWebUser     = "admin"
	iotWebPassword = "1234" // a common camera default, in the brute-force list
	iotWebLogin    = "/cgi-bin/login.cgi"
	// iotWebFailed is in the page a wrong pair gets (hydra's F= condition).
	iotWebFailed = "Login failed"
	// iotWebMaxSessions bounds the sessions the camera remembers.
	iotWebMaxSessions = 64
)

func newIoTWeb() *iotWeb {
	w := &iotWeb{user: iotWebUser, pass: iotWebPassword, sessions: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", w.loginPage)
	mux.HandleFunc(iotWebLogin, w.login)
	mux.HandleFunc("/status.html", w.status)
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	return w
}

// serve answers on ln until close.
func (w *iotWeb) serve(ln net.Listener) {
	go w.srv.Serve(ln)
}

// close stops the listeners and every connection.
func (w *iotWeb) close() { w.srv.Close() }

// loginPage is the login form, with message above it when there is one.
func (w *iotWeb) loginPage(rw http.ResponseWriter, r *http.Request) {
	w.page(rw, "")
}

func (w *iotWeb) page(rw http.ResponseWriter, message string) {
	rw.Header().Set("Server", "ipcam-web")
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	if message != "" {
		message = "<p class=\"error\">" + html.EscapeString(message) + "</p>\n"
	}
	fmt.Fprintf(rw, `<html><head><title>IP Camera</title></head><body>
<h1>IP Camera</h1>
%s<form method="post" action="%s">
User name <input name="username"> Password <input type="password" name="password">
<input type="submit" value="Login">
</form></body></html>
`, message, iotWebLogin)
}

// login judges a posted pair: the default gets a session and the status
// page, anything else the form again.
func (w *iotWeb) login(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Redirect(rw, r, "/", http.StatusFound)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, 4096)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("username") != w.user || r.PostForm.Get("password") != w.pass {
		w.page(rw, iotWebFailed+": wrong user name or password")
		return
	}
	id := make([]byte, 16)
	rand.Read(id)
	session := hex.EncodeToString(id)
	w.mu.Lock()
	if len(w.sessions) >= iotWebMaxSessions {
		clear(w.sessions)
	}
	w.sessions[session] = true
	w.mu.Unlock()
	rw.Header().Set("Server", "ipcam-web")
	http.SetCookie(rw, &http.Cookie{Name: "session", Value: session, Path: "/", HttpOnly: true})
	http.Redirect(rw, r, "/status.html", http.StatusFound)
}

// status is the page behind the login.
func (w *iotWeb) status(rw http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("session")
	w.mu.Lock()
	ok := err == nil && w.sessions[c.Value]
	w.mu.Unlock()
	if !ok {
		http.Redirect(rw, r, "/", http.StatusFound)
		return
	}
	rw.Header().Set("Server", "ipcam-web")
	fmt.Fprint(rw, "<html><body><h1>IP Camera</h1><p>Recording: on. Firmware 2.1.4. Uptime 12 days.</p></body></html>\n")
}
