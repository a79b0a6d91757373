package eve

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
