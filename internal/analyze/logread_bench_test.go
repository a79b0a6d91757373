package analyze

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchReadLog reads every item of the log at path, b.N times.
func benchReadLog(b *testing.B, path string, size int) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		src, err := openLogSource(path, formatOf(path), nil)
		if err != nil {
			b.Fatal(err)
		}
		var it logItem
		for {
			if err := src.items.read(&it); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		src.close()
	}
}

// BenchmarkReadTSVLog: Zeek TSV conn rows made JSON lines.
func BenchmarkReadTSVLog(b *testing.B) {
	var rows strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&rows, "%d.%06d\tC%d\t10.0.%d.%d\t%d\t10.1.0.1\t443\ttcp\t%d.5\n", 1700000000+i, i, i, i>>8&255, i&255, 1024+i%60000, i%100)
	}
	text := tsvConnRows(rows.String())
	benchReadLog(b, benchFile(b, text), len(text))
}

// BenchmarkReadJSONLog: Zeek JSON conn lines.
func BenchmarkReadJSONLog(b *testing.B) {
	var rows strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&rows, `{"ts":%d.%06d,"uid":"C%d","id.orig_h":"10.0.%d.%d","id.orig_p":%d,"id.resp_h":"10.1.0.1","id.resp_p":443,"proto":"tcp","duration":%d.5}`+"\n", 1700000000+i, i, i, i>>8&255, i&255, 1024+i%60000, i%100)
	}
	benchReadLog(b, benchFile(b, rows.String()), rows.Len())
}

// benchFile writes text to conn.log in a temporary directory.
func benchFile(b *testing.B, text string) string {
	p := filepath.Join(b.TempDir(), "conn.log")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}
