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

// FuzzReader: any file is read to its end without panicking, every event
// handed on is a JSON object, and every line is an event, blank or counted
// as malformed (the first one named). The line limit is lowered (under
// the 64 KiB buffer or not) so that over-long lines are skipped and
// counted too.
func FuzzReader(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "eve.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, uint32(MaxLine))
	f.Add(b, uint32(200))
	long := `{"event_type":"dns","dns":{"rrname":"` + strings.Repeat("a", 70<<10) + `"}}`
	f.Add([]byte(flowEvent("10.1.0.5", "192.168.1.10", 443, 4, 900, 3, 600, "16", "12")+"\n"+long+"\n{\"x\":\n\n"), uint32(64<<10))
	f.Add([]byte("\xef\xbb\xbf"+long+"\r\n"+long), uint32(100))
	f.Fuzz(func(t *testing.T, data []byte, max uint32) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		r.max = int(max%(1<<20)) + 1
		events := 0
		for {
			var e Event
			err := r.Next(&e)
			if err != nil {
				break
			}
			events++
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		if events+r.Malformed > lines || (r.Malformed > 0) != (r.FirstError != "") {
			t.Fatalf("%d events and %d malformed of %d lines; first error %q", events, r.Malformed, lines, r.FirstError)
		}
	})
}
