package assets

import (
	"net/netip"
	"strings"
	"testing"
)

// nameShortcutCases are names whose shortcuts (mayBeAddr, hasLowerSuffix)
// must answer as netip.ParseAddr and strings.ToLower would: addresses,
// reverse names in any case, runes that lower-case to ASCII (U+0130, the
// Kelvin sign) and invalid UTF-8.
var nameShortcutCases = []string{
	"", ".", "a", "arpa", "ARPA.", ".arpa", "x.ARPA", "x.Arpa.", "x.arpa..", "x.arp",
	"10.0.0.1", "10.0.0.256", "1.2.3", "::1", "fe80::1%eth0", "2001:db8::1", "1.2.3.4.in-addr.arpa",
	"4.3.2.1.IN-ADDR.ARPA.", "b.a.ip6.arpa", "\u0130n-addr.arpa", "x.\u212arpa", "x.\xffarpa", "x.arp\xff",
	"www.example.com", "host_1.local", "1234", "0x1.2.3.4",
}

func TestNameShortcuts(t *testing.T) {
	for _, s := range nameShortcutCases {
		if _, err := netip.ParseAddr(s); err == nil && !mayBeAddr(s) {
			t.Errorf("mayBeAddr(%q) false, ParseAddr takes it", s)
		}
		for _, suffix := range []string{".arpa", ".arpa.", "arpa", "arpa."} {
			want := strings.HasSuffix(strings.ToLower(s), suffix)
			if got := hasLowerSuffix(s, suffix); got != want {
				t.Errorf("hasLowerSuffix(%q, %q) = %v, want %v", s, suffix, got, want)
			}
		}
	}
}

// FuzzNameShortcuts checks the shortcuts against what they stand for.
func FuzzNameShortcuts(f *testing.F) {
	for _, s := range nameShortcutCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := netip.ParseAddr(s); err == nil && !mayBeAddr(s) {
			t.Errorf("mayBeAddr(%q) false, ParseAddr takes it", s)
		}
		for _, suffix := range []string{".arpa", ".arpa.", "arpa", "arpa."} {
			if got, want := hasLowerSuffix(s, suffix), strings.HasSuffix(strings.ToLower(s), suffix); got != want {
				t.Errorf("hasLowerSuffix(%q, %q) = %v, want %v", s, suffix, got, want)
			}
		}
	})
}
