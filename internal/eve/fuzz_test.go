package eve

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any line parses or is refused without panicking; what
// parses maps to a Vigil alert whose alerts.log line is JSON, or to a
// record that is one JSON object. The seeds are the fixture's lines (good
// and malformed) and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "eve.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte(flowEvent("10.1.0.5", "192.168.1.10", 443, 4, 900, 3, 600, "16", "12")))
	f.Add([]byte(strings.Replace(flowEvent("fd00::5", "fd00::10", 443, 10, 2000, 0, 0, "", ""), `"flow":{`, `"tcp":{"tcp_flags":"ff"},"flow":{`, 1)))
	var p Parser
	var buf []byte
	f.Fuzz(func(t *testing.T, line []byte) {
		var e Event
		if p.Parse(line, &e) != nil {
			return
		}
		if a, ok := p.Alert(&e); ok {
			if out := a.JSON(); !json.Valid(out) {
				t.Fatalf("alert JSON invalid: %s", out)
			}
		}
		log, out, ok := p.Record(&e, buf[:0])
		buf = out
		if ok && (log == "" || !json.Valid(out) || out[0] != '{') {
			t.Fatalf("%s record invalid: %s", log, out)
		}
	})
}
