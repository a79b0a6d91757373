package detect

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/bruteforce"
)

// TestValidateCrowd: the distributed brute-force thresholds a detector
// can work with. A crowd entry holds at most MaxSprayServers sources, so
// a crowd_sources above it is never met: refused, not silently off.
func TestValidateCrowd(t *testing.T) {
	for _, tc := range []struct {
		sources, failures int
		ok                bool
	}{
		{10, 50, true},
		{0, 0, true}, // off
		{bruteforce.MaxSprayServers, 1000, true},
		{bruteforce.MaxSprayServers + 1, 1000, false},
		{-1, 50, false},
		{10, 0, false},
	} {
		c := DefaultConfig()
		c.BruteForce.CrowdSources, c.BruteForce.CrowdFailures = tc.sources, tc.failures
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("crowd_sources %d, crowd_failures %d: %v", tc.sources, tc.failures, err)
		}
	}
}
