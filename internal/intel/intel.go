// Package intel loads threat-intelligence indicators (IOCs) from feed files
// and matches them: IP addresses and CIDR blocks, domains (a listed domain
// matches its subdomains), URLs, JA3 and JA4 fingerprints and certificate
// hashes (SHA-1 or SHA-256).
//
// Feed formats (format.go): plain lists (one indicator per line, its type
// detected), CSV with a header naming the columns, MISP (a feed directory
// with manifest.json and event files, or a single event JSON) and STIX 2.1
// bundles (indicator patterns such as [ipv4-addr:value = '1.2.3.4']). Feeds
// watches the files and reloads them when they change.
package intel

import (
	"fmt"
	"net/netip"
	"regexp"
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
	names    map[string]*Indicator               // domains
	urls     map[string]*Indicator               // host/path, lower-case, no scheme
	ja3, ja4 map[string]*Indicator
	certs    map[string]*Indicator
	n        int
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{addrs: map[netip.Addr]*Indicator{}, prefixes: map[int]map[netip.Prefix]*Indicator{},
		names: map[string]*Indicator{}, urls: map[string]*Indicator{}, ja3: map[string]*Indicator{},
		ja4: map[string]*Indicator{}, certs: map[string]*Indicator{}}
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
	if strings.Contains(v, ".") && !strings.ContainsAny(v, " \t,;") {
		return Domain, true
	}
	return "", false
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
		if s.prefixes[p.Bits()] == nil {
			s.prefixes[p.Bits()] = map[netip.Prefix]*Indicator{}
		}
		s.prefixes[p.Bits()][p] = &ind
	case Domain:
		ind.Value = normDomain(strings.TrimPrefix(v, "*."))
		if ind.Value == "" {
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

// normURL drops the scheme and trailing slashes and lower-cases the host.
func normURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	host, path, _ := strings.Cut(u, "/")
	out := strings.ToLower(host)
	if path != "" {
		out += "/" + path
	}
	return strings.TrimRight(out, "/")
}

// Addr returns the indicator matching a (an address or a covering CIDR).
func (s *Set) Addr(a netip.Addr) *Indicator {
	if s == nil || !a.IsValid() || s.n == 0 {
		return nil
	}
	if ind := s.addrs[a]; ind != nil {
		return ind
	}
	for bits, m := range s.prefixes {
		if bits > a.BitLen() {
			continue
		}
		p, err := a.Prefix(bits)
		if err == nil {
			if ind := m[p]; ind != nil && p.Addr().Is4() == a.Is4() {
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
