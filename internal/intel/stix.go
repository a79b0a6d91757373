package intel

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The patterns are compiled on first use, not at every start of vigil.
var (
	// stixComparison finds "object:property OP literal" comparisons in a
	// STIX pattern, OP being =, ISSUBSET or IN (a list of literals).
	stixComparison = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`([a-z0-9-]+):([A-Za-z0-9_.'-]+)\s*(?:=|ISSUBSET|IN)\s*(\(\s*'(?:[^'\\]|\\.)*'(?:\s*,\s*'(?:[^'\\]|\\.)*')*\s*\)|'(?:[^'\\]|\\.)*')`)
	})
	stixString = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`) })
)

var stixUnescape = strings.NewReplacer(`\'`, `'`, `\\`, `\`)

// now is the clock valid_until is compared with.
var now = time.Now

type stixIndicator struct {
	Type        string `json:"type"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Revoked     bool   `json:"revoked"`
	ValidUntil  string `json:"valid_until"`
}

// loadSTIX reads the indicators of a STIX 2.1 bundle. Every =, ISSUBSET
// and IN comparison of a pattern becomes an indicator (a pattern joining
// several with AND is matched on each of them: feeds rarely use AND).
// Revoked indicators and those whose valid_until has passed are skipped.
func loadSTIX(s *Set, data []byte, feed string) error {
	var bundle struct {
		Objects []stixIndicator `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return fmt.Errorf("STIX bundle: %w", err)
	}
	for _, o := range bundle.Objects {
		if o.live() {
			stixPattern(s, o, feed)
		}
	}
	return nil
}

// live reports whether o is a STIX-pattern indicator in force.
func (o *stixIndicator) live() bool {
	if o.Type != "indicator" || (o.PatternType != "" && o.PatternType != "stix") || o.Revoked {
		return false
	}
	until, err := time.Parse(time.RFC3339, o.ValidUntil)
	return err != nil || until.After(now())
}

// stixPattern adds the indicators of o's pattern.
func stixPattern(s *Set, o stixIndicator, feed string) {
	desc := o.Name
	if desc == "" {
		desc = o.Description
	}
	for _, m := range stixComparison().FindAllStringSubmatch(o.Pattern, -1) {
		for _, lit := range stixString().FindAllStringSubmatch(m[3], -1) {
			value := cleanValue(stixUnescape.Replace(lit[1]))
			if kind, ok := stixKind(m[1], m[2], value); ok {
				s.add(Indicator{Kind: kind, Value: value, Feed: feed, Description: desc})
			}
		}
	}
}

// stixKind is the kind of a comparison's value: addresses of ipv4-addr,
// ipv6-addr and network-traffic src_ref/dst_ref, domain-name, url and
// certificate (and file) hashes.
func stixKind(object, property, value string) (Kind, bool) {
	switch object {
	case "ipv4-addr", "ipv6-addr":
		return addrKind(value)
	case "network-traffic":
		if property == "dst_ref.value" || property == "src_ref.value" {
			return addrKind(value)
		}
	case "domain-name":
		return Domain, true
	case "url":
		return URL, true
	case "x509-certificate", "file":
		p := strings.ToUpper(property)
		if strings.Contains(p, "SHA-1") || strings.Contains(p, "SHA1") || strings.Contains(p, "SHA-256") || strings.Contains(p, "SHA256") {
			k, ok := Detect(value)
			return Cert, ok && k == Cert
		}
	}
	return "", false
}

func addrKind(value string) (Kind, bool) {
	k, ok := Detect(value)
	return k, ok && (k == IP || k == CIDR)
}
