// Command gen builds the embedded MAC vendor table (internal/assets/oui/
// oui.tsv) from the IEEE registry CSV files of Debian's ieee-data
// package.
//
//	go run ./internal/assets/oui/gen [-src /usr/share/ieee-data] [-out internal/assets/oui/oui.tsv]
//
// It reads oui.csv (MA-L), mam.csv (MA-M), oui36.csv (MA-S) and iab.csv
// (IAB), where present; "Private" assignments and the IEEE's own blocks
// (subdivided in MA-M and MA-S) are left out.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-nsm/vigil/internal/assets/oui"
)

func main() {
	src := flag.String("src", "/usr/share/ieee-data", "directory holding the IEEE registry CSV files")
	out := flag.String("out", defaultOut(), "compact table to write")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "oui gen:", err)
		os.Exit(1)
	}
}

// defaultOut is oui.tsv beside this generator's package when run from
// the repository root or from the oui directory (go generate).
func defaultOut() string {
	if _, err := os.Stat("oui.go"); err == nil {
		return "oui.tsv"
	}
	return filepath.Join("internal", "assets", "oui", "oui.tsv")
}

// registries are read in this order; a longer prefix is looked up first,
// so the order only matters for duplicates.
var registries = []string{"iab.csv", "oui.csv", "mam.csv", "oui36.csv"}

func run(src, out string) error {
	var all []oui.Entry
	for _, name := range registries {
		entries, err := readRegistry(filepath.Join(src, name))
		if err != nil {
			return err
		}
		all = append(all, entries...)
	}
	if len(all) == 0 {
		return fmt.Errorf("no registry entries under %s (install Debian's ieee-data package)", src)
	}
	var buf bytes.Buffer
	if err := oui.WriteCompact(&buf, all); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Printf("%s: %d assignments, %d bytes\n", out, len(all), buf.Len())
	return nil
}

func readRegistry(path string) ([]oui.Entry, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := oui.ReadIEEECSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	kept := entries[:0]
	for _, e := range entries {
		if e.Org != "Private" && e.Org != "IEEE Registration Authority" {
			kept = append(kept, e)
		}
	}
	return kept, nil
}
