package conformance

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// IndexRow is one row of the Zeek corpus index
// (zeek/INDEX-trace-to-baseline.tsv): a trace, the baseline directory a
// btest wrote from it, the baseline files there and the zeek command.
type IndexRow struct {
	Trace string   // under testing/btest/Traces/
	Dir   string   // under testing/btest/Baseline/
	Files []string // baseline file names in Dir
	Test  string   // btest script (not in the corpus)
	Cmd   string   // the @TEST-EXEC zeek invocation(s); "" when unknown
}

// Bare reports whether the run was `zeek -b` (only listed scripts loaded).
func (r IndexRow) Bare() bool { return r.hasFlag('b') }

// IgnoreChecksums reports whether Zeek ignored transport checksums: the
// command has -C (alone or in a group such as -Cr), or it is unknown (the
// index could not extract it) — the baselines of such runs show their
// packets analysed, and the old analyzer harnesses never checked
// checksums either.
func (r IndexRow) IgnoreChecksums() bool { return r.Cmd == "" || r.hasFlag('C') }

// hasFlag reports whether the command has the single-letter option c,
// alone (-C) or grouped (-Cr, -DCr).
func (r IndexRow) hasFlag(c byte) bool {
	for _, w := range strings.Fields(r.Cmd) {
		if len(w) < 2 || w[0] != '-' || w[1] == '-' {
			continue
		}
		letters := true
		for i := 1; i < len(w); i++ {
			if !(w[i] >= 'a' && w[i] <= 'z' || w[i] >= 'A' && w[i] <= 'Z') {
				letters = false
			}
		}
		if letters && strings.IndexByte(w[1:], c) >= 0 {
			return true
		}
	}
	return false
}

// Filtered reports whether the run used a BPF filter.
func (r IndexRow) Filtered() bool {
	return strings.Contains(r.Cmd, " -f ") || strings.Contains(r.Cmd, "restricted_filter")
}

// HasFile reports whether the baseline directory holds the named file.
func (r IndexRow) HasFile(name string) bool {
	for _, f := range r.Files {
		if f == name {
			return true
		}
	}
	return false
}

// DistinctTraces is how many different traces the command reads.
func (r IndexRow) DistinctTraces() int {
	seen := map[string]bool{}
	for _, part := range strings.Split(r.Cmd, "$TRACES/")[1:] {
		if i := strings.IndexAny(part, " \t|;)"); i >= 0 {
			part = part[:i]
		}
		seen[part] = true
	}
	return len(seen)
}

// ReadIndexTSV reads a corpus index: tab-separated rows after '#' comment
// lines and one header line (whose first cell is header). Each row is
// returned as its cells.
func ReadIndexTSV(r io.Reader, header string) ([][]string, error) {
	var rows [][]string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, header+"\t") {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("conformance: index: %w", err)
	}
	return rows, nil
}

// ReadZeekIndex reads zeek/INDEX-trace-to-baseline.tsv.
func ReadZeekIndex(path string) ([]IndexRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cells, err := ReadIndexTSV(f, "trace")
	if err != nil {
		return nil, err
	}
	var rows []IndexRow
	for _, c := range cells {
		if len(c) < 3 {
			continue
		}
		r := IndexRow{Trace: c[0], Dir: c[1]}
		if c[2] != "" {
			r.Files = strings.Split(c[2], ",")
		}
		if len(c) > 3 {
			r.Test = c[3]
		}
		if len(c) > 4 {
			r.Cmd = c[4]
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// SuricataTest is one row of suricata-verify/INDEX-tests.tsv.
type SuricataTest struct {
	Test   string // test directory (holds test.yaml)
	Pcap   string // capture, relative to the suricata-verify root
	Checks string // eve event types / check kinds asserted
}

// ReadSuricataIndex reads suricata-verify/INDEX-tests.tsv.
func ReadSuricataIndex(path string) ([]SuricataTest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cells, err := ReadIndexTSV(f, "test")
	if err != nil {
		return nil, err
	}
	var rows []SuricataTest
	for _, c := range cells {
		if len(c) < 3 {
			continue
		}
		rows = append(rows, SuricataTest{Test: c[0], Pcap: c[1], Checks: c[2]})
	}
	return rows, nil
}
