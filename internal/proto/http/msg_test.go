package http

import (
	"reflect"
	"testing"
)

// TestTxnReset fills every field of a transaction, resets it and checks
// that each field but idx, ts and depth (set by getOrNew) is empty again.
func TestTxnReset(t *testing.T) {
	b := func() []byte { return []byte("x") }
	l := []string{"x"}
	x := txn{
		idx: 1, ts: 2, depth: 3,
		method: b(), host: b(), uri: b(), referrer: b(), version: b(), userAgent: b(), origin: b(),
		statusMsg: b(), infoMsg: b(), username: b(), password: b(), server: b(), secret: b(),
		location: b(), formUser: b(), formPassword: b(), hasLocation: true, hasForm: true, formJSON: true,
		hasMethod: true, hasHost: true, hasURI: true, hasReferrer: true, hasVersion: true,
		hasUA: true, hasOrigin: true, hasStatus: true, hasInfo: true, hasUser: true, hasPass: true,
		hasServer: true, hasSecret: true, reqLen: 1, respLen: 1, status: 1, infoCode: 1,
		proxied: l, origMime: l, respMime: l, origFiles: l, respFiles: l,
		headerTruncations: 1,
	}
	v := reflect.ValueOf(&x).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Fatalf("field %s is not filled by the test: add it here and to reset", v.Type().Field(i).Name)
		}
	}
	x.reset()
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case name == "idx" || name == "ts" || name == "depth":
		case f.Kind() == reflect.Slice:
			if f.Len() != 0 {
				t.Errorf("reset leaves %s with %d elements", name, f.Len())
			}
		case !f.IsZero():
			t.Errorf("reset leaves %s = %v", name, f)
		}
	}
}

// TestUnescapeURI covers the runs between escapes and the malformed
// escapes kept as they are.
func TestUnescapeURI(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"%", "%"},
		{"a%", "a%"},
		{"a%4", "a%4"},
		{"%%41", "A"},
		{"%u0041x", "Ax"},
		{"%u4142", "AB"},
		{"%uzz", "%uzz"},
		{"%zz", "%zz"},
		{"abc%41def", "abcAdef"},
		{"%41%42", "AB"},
		{"/a b%2", "/a b%2"},
		{"%%%", "%%"},
	} {
		if got := UnescapeURI(c.in); got != c.want {
			t.Errorf("UnescapeURI(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
