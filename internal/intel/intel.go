// Package intel loads threat-intelligence indicators (IOCs) from feed files
// and matches them: IP addresses and CIDR blocks, domains (a listed domain
// matches its subdomains), URLs, JA3 and JA4 fingerprints and certificate
// hashes (SHA-1 or SHA-256).
//
// Feed formats: plain lists (format.go: one indicator per line, its type
// detected; hosts files), CSV with a header naming the columns (csvfeed.go;
// abuse.ch's commented-out headers, MISP's CSV export), MISP (misp.go: a
// feed directory with manifest.json and event files, or a single event
// JSON) and STIX 2.1 bundles (stix.go: indicator patterns such as
// [ipv4-addr:value = '1.2.3.4']). Values are cleaned (BOM, defanged forms,
// address:port) and validated; those that are not indicators are counted
// (Set.Rejected). Feeds watches the files and reloads them when they
// change.
package intel

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Kind is an indicator's type.
type Kind string

// Indicator kinds.
const (
	IP     Kind = "ip"
	CIDR   Kind = "cidr"
	Domain Kind = "domain"
	URL    Kind = "url"
	JA3    Kind = "ja3"
	JA4    Kind = "ja4"
	Cert   Kind = "cert"
)

// Indicator is one IOC.
type Indicator struct {
	Kind  Kind   `json:"kind"`
	Value string `json:"value"`
	// Feed names the file it came from; Description is the feed's text
	// for it (MISP event info, STIX name, CSV description column).
	Feed        string `json:"feed"`
	Description string `json:"description,omitempty"`
}

// Set is a collection of indicators indexed for matching. The zero Set
// matches nothing.
type Set struct {
	addrs    map[netip.Addr]*Indicator
	prefixes map[int]map[netip.Prefix]*Indicator // by prefix length
	bits     []int                               // the lengths of prefixes, longest first
	names    map[string]*Indicator               // domains
	urls     map[string]*Indicator               // host/path, lower-case, no scheme
	ja3, ja4 map[string]*Indicator
	certs    map[string]*Indicator
	n        int
	rejected int // values the loaders read that were not indicators
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{addrs: map[netip.Addr]*Indicator{}, prefixes: map[int]map[netip.Prefix]*Indicator{},
		names: map[string]*Indicator{}, urls: map[string]*Indicator{}, ja3: map[string]*Indicator{},
		ja4: map[string]*Indicator{}, certs: map[string]*Indicator{}}
}

// Rejected returns how many values (lines, cells, attributes) the loaders
// read into s were refused as not indicators of a kind they claimed or
// looked like: junk, defanged forms it could not repair, bad addresses.
func (s *Set) Rejected() int {
	if s == nil {
		return 0
	}
	return s.rejected
}

// Len returns the number of indicators.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// The patterns are compiled on first use, not at every start of vigil
// (together with stixComparison, 1.5 ms of start-up).
var (
	hexRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]+$`) })
	ja4RE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[tqd][0-9a-z]{2}[di][0-9]{2}[0-9]{2}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$`)
	})
)

// Detect guesses the kind of a bare indicator value.
func Detect(v string) (Kind, bool) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", false
	case strings.Contains(v, "://"):
		return URL, true
	case strings.Contains(v, "/"):
		if _, err := netip.ParsePrefix(v); err == nil {
			return CIDR, true
		}
		return URL, true
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return IP, true
	}
	if ja4RE().MatchString(strings.ToLower(v)) {
		return JA4, true
	}
	if hexRE().MatchString(v) {
		switch len(v) {
		case 32:
			return JA3, true
		case 40, 64:
			return Cert, true
		}
		return "", false
	}
	if validDomain(v) {
		return Domain, true
	}
	return "", false
}

// validDomain reports whether v is a host name with at least two labels
// ("*." and a trailing dot allowed): labels of 1 to 63 letters, digits,
// '-' or '_', 253 characters at most, a last label not all digits (an
// address cut short, "1.2.3").
func validDomain(v string) bool {
	v = strings.TrimSuffix(strings.TrimPrefix(v, "*."), ".")
	if len(v) > 253 || !strings.Contains(v, ".") {
		return false
	}
	labels := strings.Split(v, ".")
	for _, l := range labels {
		if !validLabel(l) {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Add adds an indicator; the value is normalised for its kind.
func (s *Set) Add(ind Indicator) error {
	v := strings.TrimSpace(ind.Value)
	switch ind.Kind {
	case IP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return fmt.Errorf("intel: bad IP %q", v)
		}
		ind.Value = a.Unmap().String()
		s.addrs[a.Unmap()] = &ind
	case CIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return fmt.Errorf("intel: bad CIDR %q", v)
		}
		p = p.Masked()
		ind.Value = p.String()
		s.addPrefix(p, &ind)
	case Domain:
		ind.Value = normDomain(strings.TrimPrefix(v, "*."))
		if !validDomain(ind.Value) {
			return fmt.Errorf("intel: bad domain %q", v)
		}
		s.names[ind.Value] = &ind
	case URL:
		ind.Value = normURL(v)
		if ind.Value == "" || ind.Value[0] == '/' {
			return fmt.Errorf("intel: URL %q has no host", v)
		}
		if normURL(ind.Value) != ind.Value {
			// Lookups normalise host+path again: a value that changes
			// ("0://://0" → "://0" → "0") could never be found.
			return fmt.Errorf("intel: URL %q does not normalise to a stable form", v)
		}
		s.urls[ind.Value] = &ind
	case JA3:
		ind.Value = strings.ToLower(v)
		s.ja3[ind.Value] = &ind
	case JA4:
		ind.Value = strings.ToLower(v)
		s.ja4[ind.Value] = &ind
	case Cert:
		ind.Value = strings.ToLower(strings.ReplaceAll(v, ":", ""))
		s.certs[ind.Value] = &ind
	default:
		return fmt.Errorf("intel: unknown indicator kind %q", ind.Kind)
	}
	s.n++
	return nil
}

// addPrefix indexes p by its length, keeping the lengths sorted longest
// first so that Addr finds the most specific block.
func (s *Set) addPrefix(p netip.Prefix, ind *Indicator) {
	m := s.prefixes[p.Bits()]
	if m == nil {
		m = map[netip.Prefix]*Indicator{}
		s.prefixes[p.Bits()] = m
		i, _ := slices.BinarySearchFunc(s.bits, p.Bits(), func(a, b int) int { return b - a })
		s.bits = slices.Insert(s.bits, i, p.Bits())
	}
	m[p] = ind
}

// normURL drops a leading scheme ("http://", RFC 3986's
// [a-z][a-z0-9+.-]*://; a "://" later on, in a query, stays) and trailing
// slashes and lower-cases the host.
func normURL(u string) string {
	u = stripScheme(u)
	host, path, _ := strings.Cut(u, "/")
	out := strings.ToLower(host)
	if path != "" {
		out += "/" + path
	}
	return strings.TrimRight(out, "/")
}

// stripScheme drops a leading URL scheme and its "://".
func stripScheme(u string) string {
	for i := 0; i < len(u); i++ {
		c := u[i] | 0x20 // lower-case letters; digits and "+.-" are unchanged
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || u[i] == '+' || u[i] == '.' || u[i] == '-'):
		case i > 0 && strings.HasPrefix(u[i:], "://"):
			return u[i+3:]
		default:
			return u
		}
	}
	return u
}

// Addr returns the indicator matching a (an address or the most specific
// covering CIDR).
func (s *Set) Addr(a netip.Addr) *Indicator {
	if s == nil || !a.IsValid() || s.n == 0 {
		return nil
	}
	if ind := s.addrs[a]; ind != nil {
		return ind
	}
	for _, bits := range s.bits {
		if bits > a.BitLen() {
			continue
		}
		p, err := a.Prefix(bits)
		if err == nil {
			if ind := s.prefixes[bits][p]; ind != nil {
				return ind
			}
		}
	}
	return nil
}

// Domain returns the indicator matching name or one of its parents.
func (s *Set) Domain(name string) *Indicator {
	if s == nil || len(s.names) == 0 || name == "" {
		return nil
	}
	name = normDomain(name)
	for name != "" {
		if ind := s.names[name]; ind != nil {
			return ind
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return nil
		}
		name = name[i+1:]
	}
	return nil
}

// normDomain lower-cases a domain name and drops its trailing dots (the
// root): "Evil.Example." and "evil.example" are one name.
func normDomain(name string) string {
	return strings.ToLower(strings.TrimRight(name, "."))
}

// URL returns the indicator matching host+uri (exactly, or the listed URL
// being a prefix of the path at a '/' or '?').
func (s *Set) URL(host, uri string) *Indicator {
	if s == nil || len(s.urls) == 0 || host == "" {
		return nil
	}
	u := normURL(host + "/" + strings.TrimPrefix(uri, "/"))
	for {
		if ind := s.urls[u]; ind != nil {
			return ind
		}
		i := strings.LastIndexAny(u, "/?")
		if i < 0 {
			return nil
		}
		u = u[:i]
	}
}

// Fingerprint returns the indicator matching a JA3, JA4 or certificate
// hash of the given kind.
func (s *Set) Fingerprint(kind Kind, v string) *Indicator {
	if s == nil || v == "" {
		return nil
	}
	v = strings.ToLower(v)
	switch kind {
	case JA3:
		return s.ja3[v]
	case JA4:
		return s.ja4[v]
	case Cert:
		return s.certs[v]
	}
	return nil
}
