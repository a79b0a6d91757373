package dnstunnel

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// TestLastAddrParses: the cached parse gives rec.ParseAddr's answer for
// every text, repeated or not, short or too long to keep.
func TestLastAddrParses(t *testing.T) {
	long := "2001:db8::1%" + string(make([]byte, 80))
	texts := []string{"10.0.0.1", "10.0.0.1", "2001:db8::1", "2001:db8::1", "", "", "junk", "10.0.0.1",
		long, "10.0.0.1", long, "::ffff:10.0.0.1", "::ffff:10.0.0.1", "10.0.0.1"}
	var l lastAddr
	for i, s := range texts {
		if got, want := l.parse([]byte(s)), rec.ParseAddr([]byte(s)); got != want {
			t.Errorf("%d: parse(%q) = %v, want %v", i, s, got, want)
		}
	}
}

// TestLastQtype: the name and the tunnel flag follow the bytes given.
func TestLastQtype(t *testing.T) {
	var l lastQtype
	for _, s := range []string{"", "A", "A", "TXT", "TXT", "AAAA", "", "NULL"} {
		name, tunnel := l.of([]byte(s))
		if name != s || tunnel != tunnelTypes[s] {
			t.Errorf("of(%q) = %q, %v", s, name, tunnel)
		}
	}
}
