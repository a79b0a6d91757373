package optin

import (
	"os"
	"testing"
)

// TestWanted: a variable set to anything but "" or "0" asks; unset, empty
// or "0" does not.
func TestWanted(t *testing.T) {
	const name = "VIGIL_OPTIN_TEST"
	for _, c := range []struct {
		value string
		set   bool
		want  bool
	}{
		{"", false, false},
		{"", true, false},
		{"0", true, false},
		{"1", true, true},
		{"yes", true, true},
	} {
		t.Setenv(name, c.value)
		if !c.set {
			os.Unsetenv(name)
		}
		if got := Wanted(name); got != c.want {
			t.Errorf("%s=%q (set %v): Wanted %v, want %v", name, c.value, c.set, got, c.want)
		}
	}
}
