package http

import (
	"encoding/json"
	"os"
	"testing"
)

// TestDump prints the records for the capture named by VIGIL_HTTP_DUMP.
func TestDump(t *testing.T) {
	p := os.Getenv("VIGIL_HTTP_DUMP")
	if p == "" {
		t.Skip("set VIGIL_HTTP_DUMP to a capture")
	}
	for _, r := range runCapture(t, p) {
		b, _ := json.Marshal(r)
		t.Log(string(b))
	}
}
