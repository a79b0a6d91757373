package analyze

import (
	"os"
	"path/filepath"
	"testing"
)

// TestJSONLogNames: a JSON log is the log its records say (_path) or the
// first part of its file name, up to a dot or, in Zeek's log-queue names
// (conn__2026-01-01-00-00-00__2026-01-01-01-00-00__.log), a double
// underscore: the conn records reach conn.log and the detectors, also
// from a file whose name says nothing plain.
func TestJSONLogNames(t *testing.T) {
	line := `{"_path":"conn","ts":"2026-01-01T00:00:00.000000Z","uid":"Ca","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":22,"proto":"tcp"}` + "\n"
	for _, name := range []string{
		"conn__2026-01-01-00-00-00__2026-01-01-01-00-00__.log",
		"conn_20260101_00:00:00-01:00:00+0000.log",
	} {
		dir := t.TempDir()
		in := writeFile(t, dir, name, line)
		_, out := runTo(t, DefaultConfig(), in)
		if _, err := os.Stat(filepath.Join(out, "conn.log")); err != nil || len(readLog(t, filepath.Join(out, "conn.log"))) != 1 {
			ents, _ := os.ReadDir(out)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Errorf("%s: the record is not in conn.log; output: %v", name, names)
		}
	}
}
