package ipv6mon

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"strconv"

	"github.com/vigil-nsm/vigil/internal/record"
)

// The host lines of ipv6.log (most of its lines) are appended directly,
// byte for byte as json.Encoder writes hostLine (HTML escaping on),
// without its reflection and without a map of the addresses' text:
// TestHostLineMatchesJSON holds the two to the same bytes.

// hostLines appends host lines; its buffers are reused from host to host.
type hostLines struct {
	text  []byte     // the host's addresses' text, one after another
	addrs []addrText // each address's text in text, and its kind
}

// addrText is an address's text (text[start:end]) and its kind.
type addrText struct {
	start, end int
	kind       string
}

// appendLine appends h's line and its newline to b, as enc.Encode(h.line())
// writes it; ok is false, nothing appended, when a time is NaN or
// infinite, which JSON cannot hold (the encoder writes nothing then).
func (w *hostLines) appendLine(b []byte, h *host) (_ []byte, ok bool) {
	if !finite(h.FirstSeen) || !finite(h.LastSeen) {
		return b, false
	}
	b = append(b, `{"kind":"host"`...)
	if h.MAC != "" {
		b = appendText(append(b, `,"mac":`...), h.MAC)
	}
	b = w.appendAddrs(append(b, `,"addresses":`...), h.kinds)
	b = strconv.AppendBool(append(b, `,"eui64_leaks_mac":`...), h.LeaksMAC)
	b = record.AppendJSONFloat(append(b, `,"first_seen":`...), h.FirstSeen)
	b = record.AppendJSONFloat(append(b, `,"last_seen":`...), h.LastSeen)
	return append(b, '}', '\n'), true
}

// appendAddrs appends the address → kind object, its keys (the
// addresses' text) in byte order as encoding/json sorts a map's keys.
func (w *hostLines) appendAddrs(b []byte, kinds map[netip.Addr]string) []byte {
	w.text, w.addrs = w.text[:0], w.addrs[:0]
	for a, k := range kinds {
		start := len(w.text)
		w.text = a.AppendTo(w.text)
		w.addrs = append(w.addrs, addrText{start, len(w.text), k})
	}
	// Insertion sort: a host has a few addresses, each its own text.
	for i := 1; i < len(w.addrs); i++ {
		x := w.addrs[i]
		j := i
		for ; j > 0 && bytes.Compare(w.of(x), w.of(w.addrs[j-1])) < 0; j-- {
			w.addrs[j] = w.addrs[j-1]
		}
		w.addrs[j] = x
	}
	b = append(b, '{')
	for i, x := range w.addrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendText(b, string(w.of(x)))
		b = appendText(append(b, ':'), x.kind)
	}
	return append(b, '}')
}

func (w *hostLines) of(x addrText) []byte { return w.text[x.start:x.end] }

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendText appends s as a JSON string as encoding/json writes it with
// HTML escaping on. MACs, addresses and kinds are printable ASCII with
// nothing to escape, and are copied; any other string is marshalled.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
