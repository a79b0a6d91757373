// Package domain has the name arithmetic the DNS detectors share: the
// registered domain of a name (public-suffix aware), the subdomain part and
// character statistics.
package domain

import (
	"hash/maphash"
	"math"
	"math/bits"
	"strings"
	"sync/atomic"

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
// The suffix may be one of the list's private section (cloudfront.net,
// github.io): see RegisteredICANN.
func Registered(name string) (reg, sub string) {
	return registered(name, publicsuffix.PublicSuffix)
}

// registered is Registered, asking publicSuffix for the public suffix of
// the name lower-cased.
func registered(name string, publicSuffix func(string) (string, bool)) (reg, sub string) {
	name = strings.TrimSuffix(name, ".")
	if name == "" || !strings.Contains(name, ".") {
		return name, ""
	}
	suffix, _ := publicSuffix(strings.ToLower(name))
	return cut(name, suffix)
}

// registeredOf is registered for a name whose public suffix is known:
// name with its trailing dot dropped, and the suffix of it lower-cased.
func registeredOf(name, suffix string) (reg, sub string) {
	if name == "" || !strings.Contains(name, ".") {
		return name, ""
	}
	return cut(name, suffix)
}

// RegisteredICANN is Registered with the ICANN section of the Public
// Suffix List only: a private-section suffix is a provider's, and the name
// under it (d1gzewjq6luteh.cloudfront.net, a Global Accelerator or ELB
// host) is the provider's machine-made host id, not a name its owner
// registered. RegisteredICANN("d1x.cloudfront.net") is "cloudfront.net",
// "d1x".
func RegisteredICANN(name string) (reg, sub string) {
	return registeredICANN(name, publicsuffix.PublicSuffix)
}

// registeredICANN is RegisteredICANN, asking publicSuffix for the public
// suffix of the name lower-cased.
func registeredICANN(name string, publicSuffix func(string) (string, bool)) (reg, sub string) {
	name = strings.TrimSuffix(name, ".")
	if name == "" || !strings.Contains(name, ".") {
		return name, ""
	}
	suffix, icann := publicSuffix(strings.ToLower(name))
	return registeredICANNOf(name, suffix, icann)
}

// registeredICANNOf is registeredICANN for a name whose public suffix is
// known: name with its trailing dot dropped, the suffix of it lower-cased
// and whether the suffix is of the ICANN section.
func registeredICANNOf(name, suffix string, icann bool) (reg, sub string) {
	if name == "" || !strings.Contains(name, ".") {
		return name, ""
	}
	for !icann {
		i := strings.IndexByte(suffix, '.')
		if i < 0 {
			break // the default rule: an unlisted top-level domain
		}
		suffix, icann = publicsuffix.PublicSuffix(suffix[i+1:])
	}
	return cut(name, suffix)
}

// cut splits name after the label before suffix (a suffix of the name
// lower-cased). The suffix is found in the lower-cased name, whose length
// may differ (ẞ becomes ß, invalid UTF-8 U+FFFD): it is cut from name by
// its labels, not its bytes. The registered domain has one label more.
func cut(name, suffix string) (reg, sub string) {
	i := len(name)
	for range strings.Count(suffix, ".") + 2 {
		if i = strings.LastIndexByte(name[:i], '.'); i < 0 {
			return name, ""
		}
	}
	return name[i+1:], strings.Trim(name[:i], ".")
}

// Public reports whether name is a name of the public DNS: two labels or
// more, the last a top-level domain of the ICANN section of the Public
// Suffix List. Single labels (intranet names, Chromium's random probes)
// and names under undelegated or special-use domains (.local of mDNS,
// .lan, .home, .internal, .corp, home.arpa) are not: no DGA or tunnel
// reaches a server through them. The top-level domains RFC 2606 reserves
// for documentation and testing, .example and .test, count as public: they
// stand for public names in examples, tests and labs.
func Public(name string) bool {
	n := Normalize(name)
	i := strings.LastIndexByte(n, '.')
	if i <= 0 || i == len(n)-1 || n == "home.arpa" || strings.HasSuffix(n, ".home.arpa") {
		return false
	}
	tld := n[i+1:]
	if tld == "example" || tld == "test" {
		return true
	}
	return icannTLD(tld)
}

// tldAnswer is whether a top-level domain is of the list's ICANN section.
type tldAnswer struct {
	tld   string
	icann bool
}

// tldAnswers keep icannTLD's recent answers, direct-mapped by a hash of
// the domain: a site's names end in a few dozen top-level domains, and
// the list's lookup of one costs a walk of its tables for every new name
// (hundreds of thousands in a DNS flood of random names). Bounded by its
// slots whatever the names; two goroutines may both fill a slot, alike.
var (
	tldAnswers [256]atomic.Pointer[tldAnswer]
	tldSeed    = maphash.MakeSeed()
)

// icannTLD reports whether tld, one label lower-cased, is a top-level
// domain of the Public Suffix List's ICANN section.
func icannTLD(tld string) bool {
	slot := &tldAnswers[maphash.String(tldSeed, tld)%uint64(len(tldAnswers))]
	if a := slot.Load(); a != nil && a.tld == tld {
		return a.icann
	}
	_, icann := publicsuffix.PublicSuffix(tld)
	slot.Store(&tldAnswer{tld: strings.Clone(tld), icann: icann})
	return icann
}

// ServiceName reports whether name is a DNS-SD or SRV service name: one
// of its labels is a protocol label (_tcp, _udp, _tls, _sctp), as in
// _ipp._tcp.local or _ldap._tcp.dc._msdcs.example.com. Such names carry
// instance and service names by design.
func ServiceName(name string) bool {
	for name != "" {
		label := name
		if i := strings.IndexByte(name, '.'); i >= 0 {
			label, name = name[:i], name[i+1:]
		} else {
			name = ""
		}
		if label != "" && label[0] == '_' {
			for _, p := range [...]string{"_tcp", "_udp", "_tls", "_sctp"} {
				if strings.EqualFold(label, p) {
					return true
				}
			}
		}
	}
	return false
}

// Entropy returns the Shannon entropy of s in bits per character.
func Entropy(s string) float64 { return entropy(s, -1) }

// LabelsEntropy returns the Shannon entropy, in bits per character, of
// the characters of s other than dots (of its labels run together).
func LabelsEntropy(s string) float64 { return entropy(s, '.') }

// entropy returns the Shannon entropy of s's bytes other than skip (-1:
// none). The terms are summed in the order of the bytes' values, found
// from a bit set of those present rather than by a pass over all 256
// counts: the same sum, to the bit, for a name's few distinct bytes.
func entropy(s string, skip int) float64 {
	var counts [256]uint32
	var present [4]uint64
	total := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; int(c) != skip {
			counts[c]++
			present[c>>6] |= 1 << (c & 63)
			total++
		}
	}
	if total == 0 {
		return 0
	}
	terms := entropyTerms(total)
	n := float64(total)
	h := 0.0
	for w, set := range present {
		for ; set != 0; set &= set - 1 {
			c := counts[w<<6|bits.TrailingZeros64(set)]
			if terms != nil {
				h -= terms[c-1]
				continue
			}
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// maxTermsLen is the longest string whose entropy terms are tabled
// (entropyTerms): a DNS name has at most 253 bytes.
const maxTermsLen = 255

// termRows holds, for a string of n counted bytes (n up to maxTermsLen),
// the entropy term p·log2(p) of a byte counted c times (p = c/n) at
// [n][c−1]: the very products entropy would compute, so that its sums are
// the same to the bit (TestEntropySumsAsBefore), without a logarithm per
// distinct byte of every new name (a DNS flood of random names asks for
// hundreds of thousands). A row is made the first time a string of its
// length is met (n logarithms; two goroutines may both make it, alike).
var termRows [maxTermsLen + 1]atomic.Pointer[[]float64]

// entropyTerms returns the terms of a string of total counted bytes,
// indexed by count−1; nil past maxTermsLen.
func entropyTerms(total int) []float64 {
	if total > maxTermsLen {
		return nil
	}
	if row := termRows[total].Load(); row != nil {
		return *row
	}
	row := make([]float64, total)
	n := float64(total)
	for c := range row {
		p := float64(c+1) / n
		row[c] = p * math.Log2(p)
	}
	termRows[total].Store(&row)
	return row
}

// Reverse reports whether name is a reverse-lookup name (in-addr.arpa,
// ip6.arpa), which detectors of odd names must leave alone.
func Reverse(name string) bool { return reverseLower(strings.ToLower(strings.TrimSuffix(name, "."))) }

// reverseLower is Reverse for a name lower-cased, its trailing dot dropped.
func reverseLower(n string) bool { return strings.HasSuffix(n, ".arpa") || n == "arpa" }
