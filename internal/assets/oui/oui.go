// Package oui maps MAC addresses to the organisation the IEEE registered
// their prefix to (the MA-L, MA-M, MA-S and IAB registries).
//
// The table ships embedded in a compact form (oui.tsv.gz: one
// "PREFIX<TAB>Organisation" line per assignment, PREFIX being 6, 7 or 9
// upper-case hex digits, sorted, gzip-compressed), built from Debian's
// ieee-data package by the generator in ./gen:
//
//	go run ./internal/assets/oui/gen                      # from /usr/share/ieee-data
//	go run ./internal/assets/oui/gen -src DIR -out FILE   # elsewhere
//
// Load reads a replacement table: the compact form (gzip or plain) or one
// of the IEEE's own CSV files (oui.csv, mam.csv, oui36.csv, iab.csv).
package oui

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./gen -out oui.tsv.gz

//go:embed oui.tsv.gz
var embedded []byte

// Entry is one registry assignment.
type Entry struct {
	Prefix string // 6 (MA-L), 7 (MA-M) or 9 (MA-S, IAB) upper-case hex digits
	Org    string // the organisation's name as registered
}

// Table answers which organisation a MAC address's prefix belongs to.
type Table struct {
	byLen map[int]map[uint64]string // prefix length in hex digits → prefix → org
	n     int
}

// Len is the number of assignments in the table.
func (t *Table) Len() int { return t.n }

var (
	embeddedOnce  sync.Once
	embeddedTable *Table
	embeddedErr   error
)

// Embedded returns the table built into the binary (parsed once).
func Embedded() (*Table, error) {
	embeddedOnce.Do(func() {
		embeddedTable, embeddedErr = readCompact(bytes.NewReader(embedded), true)
		if embeddedErr != nil {
			embeddedErr = fmt.Errorf("oui: embedded table: %w", embeddedErr)
		}
	})
	return embeddedTable, embeddedErr
}

// Load reads a table from path: the compact form (gzip-compressed when
// the file starts with the gzip magic) or an IEEE registry CSV file.
func Load(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("oui: %w", err)
	}
	var t *Table
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		t, err = readCompact(bytes.NewReader(data), true)
	case bytes.HasPrefix(data, []byte("Registry,")):
		var entries []Entry
		entries, err = ReadIEEECSV(bytes.NewReader(data))
		t = FromEntries(entries)
	default:
		t, err = readCompact(bytes.NewReader(data), false)
	}
	if err != nil {
		return nil, fmt.Errorf("oui: %s: %w", path, err)
	}
	return t, nil
}

// FromEntries builds a table from registry entries (later entries win).
func FromEntries(entries []Entry) *Table {
	t := &Table{byLen: map[int]map[uint64]string{}}
	orgs := map[string]string{}
	for _, e := range entries {
		t.add(e, orgs)
	}
	return t
}

func (t *Table) add(e Entry, orgs map[string]string) bool {
	v, err := strconv.ParseUint(e.Prefix, 16, 64)
	if err != nil || !validLen(len(e.Prefix)) {
		return false
	}
	org, ok := orgs[e.Org]
	if !ok {
		org = e.Org
		orgs[org] = org
	}
	m := t.byLen[len(e.Prefix)]
	if m == nil {
		m = map[uint64]string{}
		t.byLen[len(e.Prefix)] = m
	}
	if _, dup := m[v]; !dup {
		t.n++
	}
	m[v] = org
	return true
}

func validLen(n int) bool { return n == 6 || n == 7 || n == 9 }

// readCompact parses "PREFIX\tOrg" lines.
func readCompact(r io.Reader, gz bool) (*Table, error) {
	if gz {
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		r = z
	}
	t := &Table{byLen: map[int]map[uint64]string{}}
	orgs := map[string]string{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || text[0] == '#' {
			continue
		}
		prefix, org, ok := strings.Cut(text, "\t")
		if !ok || !t.add(Entry{Prefix: prefix, Org: org}, orgs) {
			return nil, fmt.Errorf("line %d: want PREFIX<TAB>organisation with a 6, 7 or 9 hex digit prefix, got %q", line, text)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.n == 0 {
		return nil, errors.New("no entries")
	}
	return t, nil
}

// Lookup returns the organisation of mac ("aa:bb:cc:dd:ee:ff", "-" or no
// separators accepted), the longest registered prefix first.
func (t *Table) Lookup(mac string) (string, bool) {
	if t == nil {
		return "", false
	}
	v, ok := macValue(mac)
	if !ok {
		return "", false
	}
	for _, n := range [...]int{9, 7, 6} {
		if org, ok := t.byLen[n][v>>(4*(12-n))]; ok {
			return org, true
		}
	}
	return "", false
}

// macValue reads 12 hex digits, skipping ':', '-' and '.' separators.
func macValue(mac string) (uint64, bool) {
	var v uint64
	digits := 0
	for i := 0; i < len(mac); i++ {
		c := mac[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c == ':' || c == '-' || c == '.':
			continue
		default:
			return 0, false
		}
		v = v<<4 | uint64(d)
		digits++
	}
	return v, digits == 12
}

// LocallyAdministered reports whether mac has the locally-administered
// bit set (randomised and virtual addresses: no vendor).
func LocallyAdministered(mac string) bool {
	v, ok := macValue(mac)
	return ok && v>>40&0x02 != 0
}

// ReadIEEECSV reads one IEEE registry CSV file (header "Registry,
// Assignment,Organization Name,Organization Address").
func ReadIEEECSV(r io.Reader) ([]Entry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if len(head) < 3 || head[1] != "Assignment" {
		return nil, fmt.Errorf("not an IEEE registry CSV (header %q)", strings.Join(head, ","))
	}
	var out []Entry
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) < 3 {
			continue
		}
		prefix := strings.ToUpper(strings.TrimSpace(rec[1]))
		org := cleanOrg(rec[2])
		if !validLen(len(prefix)) || org == "" {
			continue
		}
		out = append(out, Entry{Prefix: prefix, Org: org})
	}
}

// cleanOrg trims and collapses white space.
func cleanOrg(s string) string { return strings.Join(strings.Fields(s), " ") }

// WriteCompact writes entries in the compact form (sorted by prefix,
// duplicates dropped, the later entry winning).
func WriteCompact(w io.Writer, entries []Entry) error {
	last := map[string]string{}
	for _, e := range entries {
		last[e.Prefix] = e.Org
	}
	prefixes := make([]string, 0, len(last))
	for p := range last {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	bw := bufio.NewWriter(w)
	for _, p := range prefixes {
		if _, err := fmt.Fprintf(bw, "%s\t%s\n", p, last[p]); err != nil {
			return err
		}
	}
	return bw.Flush()
}
