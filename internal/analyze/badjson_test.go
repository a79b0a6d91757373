package analyze

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTruncatedJSONLogLineNotWritten: a JSON log copied while Zeek was
// still writing it ends in a cut line: it is skipped and reported, and the
// output conn.log holds only JSON lines, as for EVE input.
func TestTruncatedJSONLogLineNotWritten(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "conn.log",
		`{"ts":100.0,"uid":"Ca","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":22,"proto":"tcp"}`+"\n"+
			`{"ts":101.0,"uid":"Cb","id.orig_h":"10.0.0.1","id.orig_p":5001,"id.re`+"\n")
	cfg := DefaultConfig()
	out := filepath.Join(t.TempDir(), "out")
	cfg.OutDir = out
	if _, err := Run(t.Context(), cfg, []string{in}); err == nil || !strings.Contains(err.Error(), "1 lines that are not JSON objects skipped") {
		t.Errorf("error %v, want the cut line reported", err)
	}
	f, err := os.Open(filepath.Join(out, "conn.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if !json.Valid(sc.Bytes()) {
			t.Errorf("conn.log line %d is not JSON: %s", n, sc.Text())
		}
	}
}
