package assets

import (
	"maps"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// lowerIs must agree with comparing strings.ToLower's answer.
func TestLowerIs(t *testing.T) {
	words := []string{"", "a", "A", "windows", "Windows", "WINDOWS", "windowsx", "window", "iOS", "ios",
		"Ünix", "ünix", "unix", "K", "\u212a", "k", "ſ", "s", "İ", "i̇", "\xff", "a\xffb"}
	for _, s := range words {
		for _, l := range words {
			if got, want := lowerIs(s, l), strings.ToLower(s) == l; got != want {
				t.Errorf("lowerIs(%q, %q) = %v, want %v", s, l, got, want)
			}
		}
	}
}

// A Detail must hold its fields as a map would, names in order: the
// last value set to a name stays.
func TestDetailSet(t *testing.T) {
	keys := []string{"", "a", "ab", "a\x00", "a\x00b", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
		"times", "confidence", "id.orig_hx", "\xff", "mac", "ipv4_addresses", "ipv6_addresses"}
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 500; n++ {
		var d Detail
		m := map[string]string{}
		for range r.Intn(2 * len(keys)) {
			k, v := keys[r.Intn(len(keys))], strconv.Itoa(n)
			d, m[k] = d.set(k, v), v
		}
		k := slices.Sorted(maps.Keys(m))
		if len(d) != len(k) {
			t.Fatalf("set: %v, want keys %q", d, k)
		}
		for i := range k {
			if d[i].Key != k[i] || d[i].Value != m[k[i]] || d.Get(k[i]) != m[k[i]] {
				t.Fatalf("set: %v, want %v", d, m)
			}
		}
		if w := d.with("times", "x"); w.Get("times") != "x" || d.Get("times") != m["times"] {
			t.Fatalf("with changed its detail: %v", d)
		}
	}
}
