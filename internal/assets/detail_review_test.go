package assets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func encJSON(t testing.TB, v any, html bool) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(html)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// FuzzDetailJSONAgainstMap: a Detail read from any JSON must hold what
// a map[string]string would, and write the same bytes as the map.
func FuzzDetailJSONAgainstMap(f *testing.F) {
	for _, s := range []string{`{}`, `null`, `{"a":"1","a":"2"}`, `{"b":"<&>","a":"\u2028\ud800"}`,
		`{"\u00ff":"x","\xff":"y","\xfe":"z"}`, `{"a":1}`, `{"a":null,"b":"x"}`, `[]`, `"x"`, `{"a":"x","b":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m map[string]string
		merr := json.Unmarshal(b, &m)
		var d Detail
		derr := json.Unmarshal(b, &d)
		if (merr == nil) != (derr == nil) {
			t.Fatalf("%q: map err %v, Detail err %v", b, merr, derr)
		}
		if merr != nil {
			return
		}
		if (m == nil) != (d == nil) {
			t.Fatalf("%q: nil map %v, nil Detail %v", b, m == nil, d == nil)
		}
		if len(m) != len(d) {
			t.Fatalf("%q: map %v, Detail %v", b, m, d)
		}
		for i, fl := range d {
			if i > 0 && d[i-1].Key >= fl.Key {
				t.Fatalf("%q: not sorted: %v", b, d)
			}
			if v, ok := m[fl.Key]; !ok || v != fl.Value || d.Get(fl.Key) != v {
				t.Fatalf("%q: map %v, Detail %v", b, m, d)
			}
		}
		for _, html := range []bool{true, false} {
			if g, w := encJSON(t, d, html), encJSON(t, m, html); g != w {
				t.Fatalf("html %v: Detail %s, map %s", html, g, w)
			}
			ge := encJSON(t, Evidence{Log: "x", Detail: d}, html)
			we := encJSON(t, struct {
				Log        string            `json:"log"`
				UID        string            `json:"uid,omitempty"`
				TS         float64           `json:"ts"`
				Rule       string            `json:"rule,omitempty"`
				Field      string            `json:"field,omitempty"`
				Value      string            `json:"value,omitempty"`
				Detail     map[string]string `json:"detail,omitempty"`
				Confidence float64           `json:"confidence,omitempty"`
			}{Log: "x", Detail: m}, html)
			if ge != we {
				t.Fatalf("html %v: Evidence %s, with a map %s", html, ge, we)
			}
		}
	})
}

type oldEvidence struct {
	Log        string            `json:"log"`
	UID        string            `json:"uid,omitempty"`
	TS         float64           `json:"ts"`
	Detail     map[string]string `json:"detail,omitempty"`
	Confidence float64           `json:"confidence,omitempty"`
}

// A detail with a value not a string: encoding/json read the rest of the
// object (and kept the other pairs) before it reported the type error.
func TestDetailUnmarshalTypeErrorAsMap(t *testing.T) {
	in := `{"log":"a","detail":{"x":1,"y":"2"},"ts":5,"confidence":0.5}`
	var old oldEvidence
	oerr := json.Unmarshal([]byte(in), &old)
	var ev Evidence
	nerr := json.Unmarshal([]byte(in), &ev)
	t.Logf("old %+v %v\nnew %+v %v", old, oerr, ev, nerr)
	// The decoder stops at an Unmarshaler's error where it went on past
	// a map's type error: what it had read differs, but both fail, and
	// ReadHosts drops a line that fails.
	if (oerr == nil) != (nerr == nil) {
		t.Errorf("Evidence read differently from the map:\nold %+v %v\nnew %+v %v", old, oerr, ev, nerr)
	}
}

// Reading a hostile, large detail must not be quadratic.
func TestDetailUnmarshalLarge(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	const n = 200000
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%07d":"v"`, n-i)
	}
	b.WriteString("}")
	t0 := time.Now()
	var m map[string]string
	json.Unmarshal([]byte(b.String()), &m)
	tm := time.Since(t0)
	t0 = time.Now()
	var d Detail
	if err := json.Unmarshal([]byte(b.String()), &d); err != nil {
		t.Fatal(err)
	}
	td := time.Since(t0)
	t.Logf("map %v, Detail %v", tm, td)
	if td > 10*tm+time.Second {
		t.Errorf("Detail of %d fields read in %v, a map in %v", n, td, tm)
	}
}

// handlerOf must return the map's handler whatever order logs come in,
// unknown ones and "" among them, over more logs than it keeps.
func TestHandlerOfInterleaved(t *testing.T) {
	inv, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	logs := []string{"", "conn", "http", "dns", "nope", "ssl", "_syn", "x509", "dhcp", "ssh", "other", "ftp", "_arp", "modbus"}
	seed := uint64(1)
	for n := 0; n < 200000; n++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		l := logs[(seed>>33)%uint64(len(logs))]
		if seed>>60 < 8 { // runs
			n++
		}
		if got := inv.handlerOf(l); got != inv.handlers[l] {
			t.Fatalf("record %d: handlerOf(%q) = %p, want %p", n, l, got, inv.handlers[l])
		}
	}
}
