package dns

import (
	"os"
	"testing"
)

// TestDebugTrace prints our records for the capture in DNS_TRACE.
func TestDebugTrace(t *testing.T) {
	path := os.Getenv("DNS_TRACE")
	if path == "" {
		t.Skip("set DNS_TRACE")
	}
	for _, m := range runTrace(t, path, os.Getenv("DNS_CHECKSUMS") != "") {
		t.Log(m)
	}
}
