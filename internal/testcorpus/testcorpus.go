// Package testcorpus locates ../shared/corpus (real captures and the outputs
// other tools produce on them) for tests. Tests skip cleanly where it is
// absent; CI always has it. VIGIL_CORPUS overrides the location.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus directory, or "" when it cannot be found.
func Dir() string {
	if d := os.Getenv("VIGIL_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(dir, "..", "shared", "corpus")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
			return ""
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Require returns the corpus directory joined with elem, skipping the test
// when the corpus is absent.
func Require(t testing.TB, elem ...string) string {
	t.Helper()
	d := Dir()
	if d == "" {
		t.Skip("../shared/corpus not present; skipping corpus test")
	}
	return filepath.Join(append([]string{d}, elem...)...)
}

// Captures walks root and returns every .pcap, .pcapng, .cap and .gz capture
// file below it, sorted by path.
func Captures(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".pcap", ".pcapng", ".cap", ".gz", ".trace", ".dump":
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}
