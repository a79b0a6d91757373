package assets

import (
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
