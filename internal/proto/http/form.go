package http

import (
	"bytes"
	"slices"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Form logins: a POST whose body is an HTML form (URL-encoded) or a JSON
// object with one password field is a login attempt. Its user and
// password are kept for the AuthLog fact (never for http.log, as Zeek
// logs no form fields), so that the detectors count guesses on login
// pages as they count refused Basic logins, and the inventory judges
// default pairs typed into a device's web page.
//
// Only the first SniffLen bytes of a body are read (the bytes kept for
// MIME sniffing): a form whose password field comes later (a large
// ASP.NET view state first) is not seen as a login. A form with a second
// password field (a confirmation, a new password) registers an account or
// changes a password: not a login either.

// maxFormValue bounds a user name or password kept from a form.
const maxFormValue = 128

// formLogin is what a request body said of a login: the user (empty when
// the form has no user field) and the password.
type formLogin struct {
	user, password []byte
	name           []byte // a URL-encoded field's name, decoded (scratch)
	// cut (set by the caller) says the body went on past the bytes read:
	// their last URL-encoded field may be cut off.
	cut  bool
	json bool // the body was JSON, not a URL-encoded form
	ok   bool
}

// parseFormLogin reads a request body's first bytes as a URL-encoded form
// or a JSON object and returns its login fields into l (whose buffers it
// reuses); l.ok is false when the body is neither or holds no single
// password field.
func parseFormLogin(l *formLogin, body []byte) {
	l.user, l.password, l.ok = l.user[:0], l.password[:0], false
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	l.json = len(trimmed) > 0 && trimmed[0] == '{'
	var passwords int
	var hasUser bool
	field := func(name, value []byte, decode func(dst, v []byte) []byte) {
		switch fieldKind(name) {
		case fieldPassword:
			if passwords++; passwords == 1 {
				l.password = decode(l.password[:0], value)
			}
		case fieldUser:
			if !hasUser {
				l.user, hasUser = decode(l.user[:0], value), true
			}
		case fieldSecondPassword:
			passwords += 2
		}
	}
	if l.json {
		if !scanJSONObject(trimmed, 0, field) {
			return
		}
	} else if !scanURLEncoded(body, l.cut, &l.name, field) {
		return
	}
	l.ok = passwords == 1
}

// kinds of form field names.
const (
	fieldOther = iota
	fieldUser
	fieldPassword
	fieldSecondPassword // a new password or its confirmation
)

// fieldKind judges a field name: a bracketed or dotted name
// (user[password], session.password) by its last part, letters and
// digits only, lower case.
func fieldKind(name []byte) int {
	if i := bytes.LastIndexAny(name, "[."); i >= 0 && i+1 < len(name) {
		name = name[i+1:]
	}
	var b [32]byte
	n := 0
	for _, c := range name {
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		default:
			continue
		}
		if n == len(b) {
			return fieldOther
		}
		b[n] = c
		n++
	}
	s := string(b[:n]) // no allocation: compared, not kept
	if isPasswordName(s) {
		for _, w := range notPasswordWords {
			if contains(s, w) {
				return fieldOther
			}
		}
		for _, w := range secondPasswordWords {
			if contains(s, w) {
				return fieldSecondPassword
			}
		}
		return fieldPassword
	}
	switch s {
	case "username", "user", "uname", "usr", "login", "log", "email", "mail", "account", "acct", "userid", "loginid", "jusername":
		return fieldUser
	}
	if contains(s, "user") || contains(s, "login") || contains(s, "email") {
		return fieldUser
	}
	return fieldOther
}

// isPasswordName reports whether a field name, lower case, letters and
// digits, names a password.
func isPasswordName(s string) bool {
	switch s {
	case "pass", "pwd", "pw", "pswd", "passwort", "pword", "passwd", "jpassword", "passphrase":
		return true
	}
	return contains(s, "password") || contains(s, "passwd")
}

// notPasswordWords mark a field named after the password that holds
// none: a checkbox or a setting beside it (remember_password=on,
// show_password), or a hint or reset link.
var notPasswordWords = []string{"remember", "show", "save", "hint", "forgot", "reset", "hash", "strength", "policy"}

// secondPasswordWords mark a password field that is no login's: a
// registration's or a password change's.
var secondPasswordWords = []string{"confirm", "repeat", "again", "verify", "new", "old", "current", "retype", "2"}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// scanURLEncoded hands each name=value pair of an application/
// x-www-form-urlencoded body to field, and reports whether the body is
// one: pairs of URL characters separated by '&', at least one with '='.
// When the body was cut (it went on past what was kept), its last pair
// is not read: its value may be cut short (a password "admin2024" read
// as "admin"). Each name is decoded into *name, whose storage is reused.
func scanURLEncoded(body []byte, cut bool, name *[]byte, field func(name, value []byte, decode func(dst, v []byte) []byte)) bool {
	hasPair := false
	for _, c := range body {
		if c != '&' && c != '=' && !isFormChar(c) {
			return false
		}
	}
	for rest := body; len(rest) > 0; {
		pair := rest
		if i := bytes.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else if rest = nil; cut {
			break
		}
		eq := bytes.IndexByte(pair, '=')
		if eq <= 0 {
			continue
		}
		hasPair = true
		*name = decodeFormValue((*name)[:0], pair[:eq])
		field(*name, pair[eq+1:], decodeFormValue)
	}
	return hasPair
}

// isFormChar reports whether c may appear in a URL-encoded name or value
// as clients send them: any byte but control characters (a space or
// "<>{}|^ too, which a strict encoder escapes but tools do not: hydra
// puts ^PASS^ in as it is, so love<3 is tried as love<3). Bodies of
// other kinds break lines (multipart, text) or hold binary.
func isFormChar(c byte) bool {
	return c >= ' ' && c != 0x7f
}

// decodeFormValue appends v, URL-decoded ('+' a space, %XX a byte), to
// dst, at most maxFormValue bytes.
func decodeFormValue(dst, v []byte) []byte {
	for i := 0; i < len(v) && len(dst) < maxFormValue; i++ {
		switch c := v[i]; {
		case c == '+':
			dst = append(dst, ' ')
		case c == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]):
			dst = append(dst, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// maxJSONDepth bounds the nesting scanJSONObject follows ({"user":
// {"email": …, "password": …}} is one level down).
const maxJSONDepth = 3

// scanJSONObject hands the string members of the JSON object at the start
// of b (and of the objects in it, to maxJSONDepth) to field, and reports
// whether b starts with one, allowing it to be cut off after at least one
// member.
func scanJSONObject(b []byte, depth int, field func(name, value []byte, decode func(dst, v []byte) []byte)) bool {
	_, members, _ := jsonObject(b, 0, depth, field)
	return members > 0
}

// jsonObject scans the object at b[i] ('{'): it returns the index past it
// (len(b) when cut off), how many members it read, and whether it ended.
func jsonObject(b []byte, i, depth int, field func(name, value []byte, decode func(dst, v []byte) []byte)) (next, members int, ended bool) {
	i = skipJSONSpace(b, i+1)
	for i < len(b) {
		if b[i] == '}' {
			return i + 1, members, true
		}
		if members > 0 {
			if b[i] != ',' {
				return len(b), members, false
			}
			i = skipJSONSpace(b, i+1)
		}
		name, j, ok := jsonString(b, i)
		if !ok {
			return len(b), members, false
		}
		if bytes.IndexByte(name, '\\') >= 0 {
			name = decodeJSONString(nil, name) // "pass\u0077ord" names a password too
		}
		if i = skipJSONSpace(b, j); i >= len(b) || b[i] != ':' {
			return len(b), members, false
		}
		i = skipJSONSpace(b, i+1)
		if i >= len(b) {
			return i, members, false
		}
		members++
		switch b[i] {
		case '"':
			value, j, ok := jsonString(b, i)
			if !ok {
				return len(b), members, false
			}
			field(name, value, decodeJSONString)
			i = j
		case '{':
			if depth+1 >= maxJSONDepth {
				return len(b), members, false
			}
			j, _, closed := jsonObject(b, i, depth+1, field)
			if !closed {
				return len(b), members, false
			}
			i = j
		default:
			if i = skipJSONScalar(b, i); i < 0 {
				return len(b), members, false
			}
		}
		i = skipJSONSpace(b, i)
	}
	return len(b), members, false
}

// jsonString returns the raw contents of the string at b[i] ('"', escapes
// left in) and the index past it; ok is false when it is not one or is
// cut off.
func jsonString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return b[i+1 : j], j + 1, true
		}
	}
	return nil, 0, false
}

// decodeJSONString appends a JSON string's raw contents, unescaped, to
// dst, at most maxFormValue bytes.
func decodeJSONString(dst, v []byte) []byte {
	from := len(dst)
	dst = rec.AppendUnescaped(dst, v)
	return dst[:min(len(dst), from+maxFormValue)]
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipJSONScalar skips a number, true, false, null or an array of them
// (arrays are not searched for logins), returning -1 for anything else.
func skipJSONScalar(b []byte, i int) int {
	if b[i] == '[' {
		level := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '[':
				level++
			case ']':
				if level--; level == 0 {
					return j + 1
				}
			case '"':
				_, next, ok := jsonString(b, j)
				if !ok {
					return -1
				}
				j = next - 1
			}
		}
		return -1
	}
	j := i
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] >= 'a' && b[j] <= 'z' || b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'E') {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// formOutcome judges a form login by its reply: a 4xx refused it; a
// redirect let it in unless it leads back to a login page or names an
// error (Location); a 2xx let a JSON login in, or a form whose reply is
// JSON (an API's answer: an OAuth password grant's token), and showed an
// HTML form again (the login page with its error: POST/redirect/GET is
// how web frameworks answer a good one). judged is false for anything
// else (no reply, a server error, a redirect without Location).
func formOutcome(t *txn) (success, judged bool) {
	switch s := t.status; {
	case !t.hasStatus:
		return false, false
	case s >= 200 && s < 300:
		return t.formJSON || slices.Contains(t.respMime, "text/json"), true
	case s >= 300 && s < 400:
		if !t.hasLocation {
			return false, false
		}
		return !backToLogin(t.location, t.uri), true
	case s >= 400 && s < 500:
		return false, true
	}
	return false, false
}

// loginWords in a redirect's target send a login back to a login page.
var loginWords = []string{"login", "signin", "sign-in", "sign_in", "logon", "log-in", "log_in", "error", "fail", "denied", "invalid", "retry", "wrong", "incorrect"}

// backToLogin reports whether a redirect to location (absolute or not)
// after a login posted to uri sends it back: to the same path (the same
// path and query when uri has a query: a front controller's query names
// the page, as Roundcube's /?_task=login, then /?_task=mail), or to one
// that names a login page or an error.
func backToLogin(location, uri []byte) bool {
	path := location
	if i := bytes.Index(path, []byte("://")); i >= 0 {
		path = path[i+3:]
		if j := bytes.IndexByte(path, '/'); j >= 0 {
			path = path[j:]
		} else {
			path = nil
		}
	}
	if bytes.IndexByte(uri, '?') >= 0 {
		if bytes.Equal(cutFragment(path), cutFragment(uri)) {
			return true
		}
	} else if bytes.Equal(cutQuery(path), cutQuery(uri)) {
		return true
	}
	var lower [256]byte
	n := copy(lower[:], path)
	for i := range n {
		if c := lower[i]; c >= 'A' && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	for _, w := range loginWords {
		if bytes.Contains(lower[:n], []byte(w)) {
			return true
		}
	}
	return false
}

func cutFragment(p []byte) []byte {
	if i := bytes.IndexByte(p, '#'); i >= 0 {
		return p[:i]
	}
	return p
}

func cutQuery(p []byte) []byte {
	if i := bytes.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}
