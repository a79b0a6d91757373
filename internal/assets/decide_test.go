package assets

import (
	"math/rand"
	"slices"
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

// sortPairs must order pairs as sorting by key does.
func TestSortPairs(t *testing.T) {
	keys := []string{"", "a", "ab", "a\x00", "a\x00b", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
		"times", "confidence", "id.orig_hx", "\xff", "mac", "ipv4_addresses", "ipv6_addresses"}
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 500; n++ {
		k := append([]string(nil), keys...)
		r.Shuffle(len(k), func(i, j int) { k[i], k[j] = k[j], k[i] })
		k = k[:r.Intn(len(k)+1)]
		pairs := make([]kv, len(k))
		for i, key := range k {
			pairs[i] = kv{key, key + "v"}
		}
		sortPairs(pairs)
		slices.Sort(k)
		for i := range k {
			if pairs[i].k != k[i] || pairs[i].v != k[i]+"v" {
				t.Fatalf("sortPairs: %v, want keys %q", pairs, k)
			}
		}
	}
}
