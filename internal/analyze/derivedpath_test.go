package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestZeekAssetsLogWithItsOwnPath: a Zeek TSV assets.log (a package's log:
// Zeek names the file after its #path, so it says "#path assets") is now
// read, not passed over (derived: TSV is not Vigil's) — but its records
// are then named "assets" (logName falls back to the file name, a derived
// name too), the writer refuses them and the run fails with every record
// of the file lost.
// TestZeekAssetsLogWithItsOwnPath: a sensor's Zeek log whose #path is a
// name Vigil derives itself (assets) is read as zeek_assets, beside the
// archive's other logs, which are all written.
func TestZeekAssetsLogWithItsOwnPath(t *testing.T) {
	dir := t.TempDir()
	head := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tassets\n" +
		"#fields\tts\thost\trole\n#types\ttime\taddr\tstring\n"
	writeFile(t, dir, "assets.log", head+"100.0\t10.0.0.1\tserver\n101.0\t10.0.0.2\tclient\n#close\t2026-01-01-00-00-00\n")
	writeFile(t, dir, "conn.log", tsvConnRows("100.0\tCa\t10.0.0.1\t5000\t10.0.0.2\t22\ttcp\t5.0\n"))
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(context.Background(), cfg, []string{dir})
	if err != nil {
		t.Errorf("Zeek log archive with an assets.log: %v", err)
	}
	if sum == nil || sum.LogRecords != 3 {
		t.Errorf("summary %+v, want 3 records read", sum)
	}
	// The writer's error is sticky: every later record of every log is
	// dropped from the output too (conn.log's record is due after them).
	b, _ := os.ReadFile(filepath.Join(cfg.OutDir, "conn.log"))
	if n := strings.Count(string(b), "\n"); n != 1 {
		t.Errorf("out/conn.log has %d records, want 1", n)
	}
}
