package domain

import (
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// FuzzNames gives arbitrary query names to Registered, Normalize, Reverse,
// Entropy and Names. It checks that the registered domain is the public
// suffix of the lower-cased name plus one label, whole labels at the end of
// the name, with the subdomain before it; that Registered agrees with
// itself on the lower-cased name; that Normalize leaves no upper-case
// letter and no trailing dot it was given; and that Names gives what its
// derive function gives, on repeated calls too.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"www.example.com.", "a.b.example.co.uk", "example.com", "com", "x..Hidemyself.org.",
		"q+Z8/A.hidemyself.org", "1.0.0.127.in-addr.arpa", "", ".", "..", "a..", "WWW.Example.COM",
		"xn--80ak6aa92e.com", "s3.amazonaws.com", "a.b.c.d.e.f.g.h.i.j.github.io", "a.İ.com", "x.\xff.net", "a.b.ẞ", "www.ẞ.\xfe"} {
		f.Add(s)
	}
	n := NewSlot(NewNames(), func(q *Query) [2]string {
		reg, sub := Registered(q.Text)
		return [2]string{reg, sub}
	})
	f.Fuzz(func(t *testing.T, name string) {
		reg, sub := Registered(name)
		checkRegistered(t, name, reg, sub)
		if r2, s2 := Registered(name); r2 != reg || s2 != sub {
			t.Fatalf("Registered(%q) unstable: %q, %q then %q, %q", name, reg, sub, r2, s2)
		}
		lower := strings.ToLower(name)
		if r2, s2 := Registered(lower); r2 != strings.ToLower(reg) || s2 != strings.ToLower(sub) {
			t.Fatalf("Registered(%q) = %q, %q; of the lower-cased name %q, %q", name, reg, sub, r2, s2)
		}
		norm := Normalize(name)
		if strings.ContainsAny(norm, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || norm != strings.TrimSuffix(name, ".") && norm != strings.ToLower(strings.TrimSuffix(name, ".")) {
			t.Fatalf("Normalize(%q) = %q", name, norm)
		}
		if Reverse(name) != Reverse(strings.ToUpper(name)) {
			t.Fatalf("Reverse(%q) depends on case", name)
		}
		if e := Entropy(name); e < 0 || e > 8 || e != e {
			t.Fatalf("Entropy(%q) = %v", name, e)
		}
		checkNames(t, n, name)
	})
}

// checkRegistered checks Registered(name) = reg, sub against the public
// suffix list: with the trailing dot gone, a name of more labels than its
// suffix ends in reg, one label and the suffix, and sub is what comes
// before, dots trimmed; other names come back whole.
func checkRegistered(t *testing.T, name, reg, sub string) {
	t.Helper()
	trimmed := strings.TrimSuffix(name, ".")
	if !strings.HasSuffix(trimmed, reg) {
		t.Fatalf("Registered(%q) = %q, not a suffix of the name", name, reg)
	}
	if reg == trimmed {
		if sub != "" {
			t.Fatalf("Registered(%q) = whole name, subdomain %q", name, sub)
		}
		return
	}
	suffix, _ := publicsuffix.PublicSuffix(strings.ToLower(trimmed))
	_, rest, ok := strings.Cut(reg, ".")
	// The label may be empty ("a..com" gives ".com"): names from the
	// wire have none, and an empty one is kept like any other.
	if !ok || strings.ToLower(rest) != suffix {
		t.Fatalf("Registered(%q) = %q; public suffix %q", name, reg, suffix)
	}
	before := strings.TrimSuffix(trimmed, reg)
	if !strings.HasSuffix(before, ".") || strings.Trim(before, ".") != sub {
		t.Fatalf("Registered(%q) = %q, %q", name, reg, sub)
	}
}

// checkNames checks that n remembers what it derives from a dns record
// whose query is name: the same on the first call and on the next.
func checkNames(t *testing.T, n *Slot[[2]string], name string) {
	t.Helper()
	line, err := json.Marshal(map[string]string{"query": name})
	if err != nil {
		t.Fatal(err)
	}
	var r rec.Rec
	if err := r.Parse("dns", line); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	reg, sub := Registered(r.Str("query"))
	for range 2 {
		if v, ok := n.Of(&r); !ok || v != [2]string{reg, sub} {
			t.Fatalf("Names.Of(%s) = %q, %v; derive says %q, %q", line, v, ok, reg, sub)
		}
	}
	q, _ := n.shared.Of(&r)
	checkQuery(t, q)
}

// checkQuery checks that q says what the functions it stands for say of
// its text.
func checkQuery(t *testing.T, q *Query) {
	t.Helper()
	text := q.Text
	if skip := text == "" || Reverse(text) || !Public(text) || ServiceName(text); q.Skip != skip {
		t.Fatalf("Query(%q).Skip = %v", text, q.Skip)
	}
	if q.Skip {
		return
	}
	r1, s1 := q.Registered()
	if r2, s2 := Registered(text); r1 != r2 || s1 != s2 {
		t.Fatalf("Query(%q).Registered = %q, %q; Registered says %q, %q", text, r1, s1, r2, s2)
	}
	r1, s1 = q.RegisteredICANN()
	if r2, s2 := RegisteredICANN(Normalize(text)); r1 != r2 || s1 != s2 {
		t.Fatalf("Query(%q).RegisteredICANN = %q, %q; RegisteredICANN says %q, %q", text, r1, s1, r2, s2)
	}
}
