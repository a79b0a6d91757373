package dnstunnel

import (
	"strings"
	"sync"

	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
)

// Encoding is the alphabet a tunnel-like name's data is written in.
type Encoding uint8

// The encodings told apart; Other is any other alphabet.
const (
	NoData Encoding = iota
	Hex
	Base32
	Base64
	Other
	encodings
)

var encodingNames = [encodings]string{"", "hex", "base32", "base64", "other"}

func (e Encoding) String() string { return encodingNames[e] }

const (
	// minDataLabel is the shortest label judged as data.
	minDataLabel = 8
	// minData is the data characters (in labels judged data) that make a
	// name tunnel-like.
	minData = 20
	// maxLikelihood is the mean log-likelihood per character (benign
	// character trigram model, dga.Model.CharLogLikelihood) at or under
	// which a label is data: words and names of words score -2 to -3.5,
	// hex, base32 and base64 of 16 characters or more -4.5 to -7.
	maxLikelihood = -4.2
	// minHex is the shortest hex label (letters and digits) that is data
	// whatever its likelihood.
	minHex = 16
)

// model is the DGA detector's model, for its benign character model.
var model = sync.OnceValue(func() *dga.Model {
	m, err := dga.Shared()
	if err != nil {
		panic(err) // the embedded model: a build without it is broken
	}
	return m
})

// TunnelLike reports whether a subdomain looks like encoded data.
func TunnelLike(sub string) bool {
	_, e := Judge(sub)
	return e != NoData
}

// Judge returns a subdomain's data characters (those of its labels that
// read as data) and their encoding, NoData when it is not tunnel-like. A
// subdomain is tunnel-like when it has characters no host name has (+ / =
// …) or minData (20) characters in data labels: labels of eight or more
// characters whose mean log-likelihood per character under the benign
// character model is at most -4.2 (a measure that, unlike entropy, does
// not grow with length), or hex of 16 or more mixing digits and letters.
// Labels starting with an underscore (_dmarc, _domainkey) are names.
func Judge(sub string) (data int, enc Encoding) {
	var seen [encodings]bool
	odd := false
	for label := range strings.SplitSeq(sub, ".") {
		a := alphabet(label)
		switch {
		case label == "":
		case a == Other || strings.ContainsAny(label, "+/="):
			odd, seen[a], data = true, true, data+len(label)
		case label[0] == '_':
		case isData(label, a):
			seen[a], data = true, data+len(label)
		}
	}
	if !odd && data < minData {
		return data, NoData
	}
	for _, e := range [...]Encoding{Other, Base64, Base32, Hex} {
		if seen[e] {
			return data, e
		}
	}
	return data, NoData
}

// isData reports whether a label of alphabet a reads as encoded data.
func isData(label string, a Encoding) bool {
	if len(label) < minDataLabel {
		return false
	}
	if a == Hex && len(label) >= minHex && mixed(label) {
		return true
	}
	return model().CharLogLikelihood(label) <= maxLikelihood
}

// alphabet returns the narrowest encoding alphabet label is written in:
// hex, base32 (RFC 4648: letters and 2–7, in one case), base64 (letters,
// digits, + / = - _), else Other (spaces, punctuation, non-ASCII bytes).
func alphabet(label string) Encoding {
	hex, b32, upper, lower := true, true, false, false
	for i := 0; i < len(label); i++ {
		c := label[i]
		switch {
		case c >= '0' && c <= '9':
			b32 = b32 && c >= '2' && c <= '7'
		case c >= 'a' && c <= 'z':
			lower = true
			hex = hex && c <= 'f'
		case c >= 'A' && c <= 'Z':
			upper = true
			hex = hex && c <= 'F'
		case c == '+' || c == '/' || c == '=' || c == '-' || c == '_':
			hex, b32 = false, false
		default:
			return Other
		}
	}
	switch {
	case hex:
		return Hex
	case b32 && !(upper && lower):
		return Base32
	}
	return Base64
}

// mixed reports a label with both digits and letters.
func mixed(label string) bool {
	digits, letters := false, false
	for i := 0; i < len(label); i++ {
		c := label[i] | 0x20
		digits = digits || label[i] >= '0' && label[i] <= '9'
		letters = letters || c >= 'a' && c <= 'z'
	}
	return digits && letters
}

// addressKeyed returns what follows the address a subdomain starts with,
// when it does, for a lookup keyed by that address: a reversed IPv4
// address (four decimal labels of 0–255, as DNS blocklists take) or eight
// or more single-hex-digit labels (reversed IPv6 nibbles: blocklists, Team
// Cymru's IP-to-ASN). ok is false, and rest the whole, for other names.
func addressKeyed(sub string) (rest string, ok bool) {
	if r, n := prefixLabels(sub, isOctet); n >= 4 {
		return r, true
	}
	if r, n := prefixLabels(sub, isNibble); n >= 8 {
		return r, true
	}
	return sub, false
}

// prefixLabels returns how many leading labels of sub match, and what
// follows them.
func prefixLabels(sub string, match func(string) bool) (rest string, n int) {
	rest = sub
	for rest != "" {
		label, after, _ := strings.Cut(rest, ".")
		if !match(label) {
			break
		}
		rest, n = after, n+1
	}
	return rest, n
}

func isOctet(l string) bool {
	if len(l) == 0 || len(l) > 3 || len(l) > 1 && l[0] == '0' {
		return false
	}
	v := 0
	for i := 0; i < len(l); i++ {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
		v = v*10 + int(l[i]-'0')
	}
	return v <= 255
}

func isNibble(l string) bool {
	return len(l) == 1 && strings.IndexByte("0123456789abcdefABCDEF", l[0]) >= 0
}

// name is what Handle derives from one query name (kept per name: see
// domain.Names).
type name struct {
	skip    bool     // not a public name, a reverse lookup, a service name, no subdomain or an allowed domain
	query   string   // the query, unescaped
	regKey  string   // its registered domain, normalised
	regHash uint64   // domain.Hash(regKey)
	sub     string   // the subdomain before it, as written
	hash    uint64   // domain.Hash of sub lower-cased
	length  int      // the subdomain's length; 0 when address-keyed
	keyed   bool     // address-keyed (addressKeyed)
	enc     Encoding // NoData: not tunnel-like
	entropy float64  // Shannon entropy of the subdomain (bits a character)
}

// derive works out a query name's registered domain, subdomain and
// whether it is tunnel-like.
func (d *Detector) derive(q *domain.Query) *name {
	if q.Skip {
		return &name{skip: true}
	}
	reg, sub := q.Registered()
	regKey := domain.Normalize(reg)
	if sub == "" || d.allowed(regKey) {
		return &name{skip: true}
	}
	n := &name{query: q.Text, regKey: regKey, regHash: domain.Hash(regKey), sub: sub, hash: domain.Hash(strings.ToLower(sub))}
	data, keyed := addressKeyed(sub)
	n.keyed = keyed
	if !keyed {
		n.length = len(sub)
	}
	_, n.enc = Judge(data)
	n.entropy = domain.LabelsEntropy(data)
	return n
}
