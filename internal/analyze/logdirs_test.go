package analyze

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestLogDirectoryWithStrayFile: a directory of logs with a file that is
// neither a log nor a capture (a README) is read for its logs.
func TestLogDirectoryWithStrayFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "conn.log", tsvConnRows("50.0\tC0\t10.0.0.1\t4999\t10.0.0.2\t53\tudp\t1.0\n"))
	writeFile(t, dir, "README.txt", "logs of sensor 1\n")
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(t.Context(), cfg, []string{dir})
	if err != nil || sum == nil || sum.LogRecords != 1 {
		t.Fatalf("Run(%s) = %v, want its 1 conn record read", dir, err)
	}
}

// TestZeekctlLogDirectory: zeekctl's logs directory (dated folders, and
// "current", a link to the spool) is read for its logs.
func TestZeekctlLogDirectory(t *testing.T) {
	root := t.TempDir()
	logs, spool := filepath.Join(root, "logs"), filepath.Join(root, "spool")
	day := filepath.Join(logs, "2026-01-01")
	for _, d := range []string{day, spool} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, day, "conn.00:00:00-01:00:00.log", tsvConnRows("50.0\tC0\t10.0.0.1\t4999\t10.0.0.2\t53\tudp\t1.0\n"))
	writeFile(t, spool, "conn.log", tsvConnRows("90.0\tC1\t10.0.0.1\t4998\t10.0.0.2\t53\tudp\t1.0\n"))
	if err := os.Symlink(spool, filepath.Join(logs, "current")); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(t.Context(), cfg, []string{logs})
	if err != nil || sum == nil || sum.LogRecords == 0 {
		t.Fatalf("Run(%s) = %v, want its logs read", logs, err)
	}
}

// TestSymlinkedLogDirectory: a log directory named through a symbolic
// link (/opt/zeek/logs/current) is read.
func TestSymlinkedLogDirectory(t *testing.T) {
	root := t.TempDir()
	spool := filepath.Join(root, "spool")
	if err := os.Mkdir(spool, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, spool, "conn.log", tsvConnRows("90.0\tC1\t10.0.0.1\t4998\t10.0.0.2\t53\tudp\t1.0\n"))
	current := filepath.Join(root, "current")
	if err := os.Symlink(spool, current); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	sum, err := Run(t.Context(), cfg, []string{current})
	if err != nil || sum == nil || sum.LogRecords != 1 {
		t.Fatalf("Run(%s) = %v, want its 1 conn record read", current, err)
	}
}

// TestCaptureDirectoryWithEarlierOutput: a directory of captures holding
// an earlier run's output is read for its captures only: the second run
// counts every connection once.
func TestCaptureDirectoryWithEarlierOutput(t *testing.T) {
	dir := t.TempDir()
	copySynth(t, dir, "sample.pcap", 400, 30)
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(dir, "vigil-out")
	if _, err := Run(t.Context(), cfg, []string{dir}); err != nil {
		t.Fatal(err)
	}
	first := len(readLog(t, filepath.Join(cfg.OutDir, "conn.log")))
	cfg.OutDir = filepath.Join(t.TempDir(), "again")
	sum, err := Run(t.Context(), cfg, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if again := len(readLog(t, filepath.Join(cfg.OutDir, "conn.log"))); again != first || sum.LogRecords != 0 {
		t.Errorf("second analysis of the same captures: %d conn records (%d read from the earlier output's logs), want %d",
			again, sum.LogRecords, first)
	}
}

// TestOutputDirectoryThroughSymlink: a log of the output directory is
// refused when either is named through a symbolic link.
func TestOutputDirectoryThroughSymlink(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "runs", "42")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	var lines []byte
	const n = 5000
	for i := range n {
		lines = append(lines, []byte(`{"ts":`+itoa(100+i)+`,"uid":"C0","query":"host-number-`+itoa(i)+`.example.com"}`+"\n")...)
	}
	in := writeFile(t, real, "dns.log", string(lines))
	latest := filepath.Join(root, "latest")
	if err := os.Symlink(real, latest); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.OutDir = latest
	sum, err := Run(t.Context(), cfg, []string{in})
	if err == nil {
		t.Errorf("a log of the output directory (through a symlink) was not refused: %d of its %d records read", sum.LogRecords, n)
	}
}

func itoa(i int) string { return fmt.Sprint(i) }

// TestCaptureDirectoryWithLabels: a lab directory's pretty-printed
// labels files are not logs.
func TestCaptureDirectoryWithLabels(t *testing.T) {
	dir := t.TempDir()
	copySynth(t, dir, "beacon.pcap", 200, 20)
	writeFile(t, dir, "beacon.labels.json", "{\n  \"scenario\": \"beacon\",\n  \"difficulty\": \"medium\"\n}\n")
	sum, out := runTo(t, DefaultConfig(), dir)
	if sum.LogRecords != 0 {
		t.Errorf("%d records read from the labels file", sum.LogRecords)
	}
	if _, err := os.Stat(filepath.Join(out, "beacon.log")); err == nil {
		raw, _ := os.ReadFile(filepath.Join(out, "beacon.log"))
		t.Errorf("beacon.log written from the labels file: %q", raw)
	}
}

// TestZeekBaselineDirectories: directories of Zeek's own test baselines
// (TSV logs behind btest's "### BTest baseline" comment) are read whole:
// every row of every log is one record.
func TestZeekBaselineDirectories(t *testing.T) {
	root := testcorpus.Require(t)
	for _, name := range []string{"scripts.base.protocols.ftp.gridftp", "core.tunnels.gre-aruba-amsdu", "core.checksums_ignore_nets"} {
		dir := filepath.Join(root, "zeek", "testing", "btest", "Baseline", name)
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		rows := 0
		for _, l := range logs {
			b, err := os.ReadFile(l)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					rows++
				}
			}
		}
		cfg := DefaultConfig()
		cfg.OutDir = filepath.Join(t.TempDir(), "out")
		sum, err := Run(t.Context(), cfg, []string{dir})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rows == 0 || sum.LogRecords != uint64(rows) {
			t.Errorf("%s: %d records read, %d rows in %d logs", name, sum.LogRecords, rows, len(logs))
		}
	}
}

// copySynth writes a synthetic capture of packets packets in flows flows
// as dir/name.
func copySynth(t *testing.T, dir, name string, packets, flows int) {
	t.Helper()
	pcap, _ := writeSynth(t, packets, flows)
	b, err := os.ReadFile(pcap)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name, string(b))
}

// TestLogsWithOddStarts: a log saved by a Windows tool starts with a
// UTF-8 byte-order mark, a JSON log may start with a blank line, and one
// split by size or copied while the sensor wrote starts with the end of a
// record cut off (skipped and reported); each is still a log, its whole
// record read, named or found in a directory.
func TestLogsWithOddStarts(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	jsonConn := `{"ts":50.0,"uid":"C0","id.orig_h":"10.0.0.1","id.orig_p":4999,"id.resp_h":"10.0.0.2","id.resp_p":53,"proto":"udp","duration":1.0}` + "\n"
	eveFlow := `{"timestamp":"2026-01-01T00:00:50.000000+0000","event_type":"flow","src_ip":"10.0.0.1","src_port":4999,"dest_ip":"10.0.0.2","dest_port":53,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":60,"bytes_toclient":90,"start":"2026-01-01T00:00:50.000000+0000","end":"2026-01-01T00:00:51.000000+0000"}}` + "\n"
	for _, tc := range []struct {
		name, file, text string
		cut              bool // the first line is reported skipped
	}{
		{"TSV with BOM", "conn.log", bom + tsvConnRows("50.0\tC0\t10.0.0.1\t4999\t10.0.0.2\t53\tudp\t1.0\n"), false},
		{"JSON with BOM", "conn.log", bom + jsonConn, false},
		{"JSON after a blank line", "conn.json", "\n" + jsonConn, false},
		{"JSON with BOM and blank line", "conn.json", bom + "\r\n" + jsonConn, false},
		{"EVE with BOM", "eve.json", bom + eveFlow, false},
		{"JSON cut", "conn.log", `resp_h":"10.0.0.2","id.resp_p":53,"proto":"udp","duration":1.0}` + "\n" + jsonConn, true},
		{"EVE split by size", "xab", `,"bytes_toclient":90}}` + "\n" + eveFlow, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, tc.file, tc.text)
			for _, input := range []string{path, dir} {
				cfg := DefaultConfig()
				cfg.OutDir = filepath.Join(t.TempDir(), "out")
				sum, err := Run(t.Context(), cfg, []string{input})
				if sum == nil || sum.LogRecords != 1 {
					t.Fatalf("Run(%s) = %+v, %v; want its 1 whole record read", input, sum, err)
				}
				if reported := err != nil && strings.Contains(err.Error(), "skipped (first at line 1"); reported != tc.cut || err != nil && !tc.cut {
					t.Errorf("Run(%s): %v (a cut first line reported: %v)", input, err, tc.cut)
				}
			}
		})
	}
}
