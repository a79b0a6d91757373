// Package domain has the name arithmetic the DNS detectors share: the
// registered domain of a name (public-suffix aware), the subdomain part and
// character statistics.
package domain

import (
	"math"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Normalize lower-cases name and drops a trailing dot.
func Normalize(name string) string {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// Registered returns the registered domain of name (the public suffix plus
// one label, e.g. "example.co.uk" for "a.b.example.co.uk") and the
// subdomain part before it ("a.b"). Names that are themselves a suffix or
// have a single label come back whole with no subdomain. Case is kept.
func Registered(name string) (reg, sub string) {
	name = strings.TrimSuffix(name, ".")
	if name == "" || !strings.Contains(name, ".") {
		return name, ""
	}
	suffix, _ := publicsuffix.PublicSuffix(strings.ToLower(name))
	// The suffix is found in the lower-cased name, whose length may differ
	// (ẞ becomes ß, invalid UTF-8 U+FFFD): it is cut from name by its
	// labels, not its bytes. The registered domain has one label more.
	i := len(name)
	for range strings.Count(suffix, ".") + 2 {
		if i = strings.LastIndexByte(name[:i], '.'); i < 0 {
			return name, ""
		}
	}
	return name[i+1:], strings.Trim(name[:i], ".")
}

// Entropy returns the Shannon entropy of s in bits per character.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Reverse reports whether name is a reverse-lookup name (in-addr.arpa,
// ip6.arpa), which detectors of odd names must leave alone.
func Reverse(name string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	return strings.HasSuffix(n, ".arpa") || n == "arpa"
}
