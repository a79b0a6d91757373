// Package optin reads the environment variables that switch on a
// behaviour that is off by default (VIGIL_HUGEPAGES): one rule for all of
// them, so that "1", "yes" and "true" all mean on, and unset, empty or "0"
// mean off. (VIGIL_MMAP has a third state, unset: a trial decides; see
// capture.OptionsFromEnv.)
package optin

import "os"

// Wanted reports whether the environment variable name asks for its
// behaviour: set to anything but "" or "0".
func Wanted(name string) bool {
	v := os.Getenv(name)
	return v != "" && v != "0"
}
