// Package oui maps MAC addresses to the organisation the IEEE registered
// their prefix to (the MA-L, MA-M, MA-S and IAB registries).
//
// The table ships embedded in a compact form (oui.tsv: one
// "PREFIX<TAB>Organisation" line per assignment, PREFIX being 6, 7 or 9
// upper-case hex digits, sorted), built from Debian's ieee-data package by
// the generator in ./gen. It is embedded uncompressed and searched where
// it lies, by bisection over its lines (1.4 MB more binary; nothing to do
// at start-up, where indexing it cost 12 M instructions and inflating and
// parsing it 16 ms):
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
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:generate go run ./gen -out oui.tsv

//go:embed oui.tsv
var embedded string

// Entry is one registry assignment.
type Entry struct {
	Prefix string // 6 (MA-L), 7 (MA-M) or 9 (MA-S, IAB) upper-case hex digits
	Org    string // the organisation's name as registered
}

// Table answers which organisation a MAC address's prefix belongs to.
//
// It is two parallel slices sorted by key (the prefix's value aligned to
// 36 bits, shifted left 4, its length in hex digits in the low 4 bits:
// the order of the compact form's sorted prefixes) and searched
// by bisection: building it from the embedded table costs no map and no
// string per entry (the names are substrings of the decompressed text),
// which keeps Vigil's start-up short.
//
// The embedded table has no slices: text holds it, lines in key order
// (TestEmbeddedSorted), searched in place (lookupText).
type Table struct {
	keys []uint64
	orgs []string
	text string
}

// Len is the number of assignments in the table.
func (t *Table) Len() int {
	if t.text != "" {
		return strings.Count(t.text, "\n")
	}
	return len(t.keys)
}

var (
	embeddedOnce  sync.Once
	embeddedTable *Table
	embeddedErr   error
)

// Embedded returns the table built into the binary. Its lines are
// searched as they lie; TestEmbeddedSorted checks that they are in the
// form and order lookupText needs, which parseCompact checks of a loaded
// table.
func Embedded() (*Table, error) {
	embeddedOnce.Do(func() {
		if embedded == "" || embedded[len(embedded)-1] != '\n' {
			embeddedErr = errors.New("oui: embedded table: empty, or its last line unterminated")
			return
		}
		embeddedTable = &Table{text: embedded}
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
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("oui: %s: %w", path, err)
	}
	return t, nil
}

// parse reads a table file's contents, in any of the forms Load takes.
func parse(data []byte) (*Table, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return readCompact(bytes.NewReader(data), true)
	case bytes.HasPrefix(data, []byte("Registry,")):
		entries, err := ReadIEEECSV(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return FromEntries(entries), nil
	default:
		return readCompact(bytes.NewReader(data), false)
	}
}

// FromEntries builds a table from registry entries (later entries win).
func FromEntries(entries []Entry) *Table {
	t := &Table{}
	for _, e := range entries {
		t.add(e.Prefix, e.Org)
	}
	t.finish()
	return t
}

// add appends one assignment; false when the prefix is not 6, 7 or 9 hex
// digits.
func (t *Table) add(prefix, org string) bool {
	v, n := leadingHex(prefix)
	if !validLen(n) || n != len(prefix) {
		return false
	}
	t.append(v, n, org)
	return true
}

// append appends the assignment of the n hex digit prefix whose value is v.
func (t *Table) append(v uint64, n int, org string) {
	t.keys = append(t.keys, key(v<<(4*(9-n)), n))
	t.orgs = append(t.orgs, org)
}

// finish sorts the entries by key, the later of duplicates winning.
func (t *Table) finish() {
	if strictlyIncreasing(t.keys) {
		return // sorted, no duplicates (the embedded table)
	}
	if !slices.IsSorted(t.keys) {
		sort.Stable(byKey{t})
	}
	w := 0
	for i := range t.keys {
		if w > 0 && t.keys[w-1] == t.keys[i] {
			w--
		}
		t.keys[w], t.orgs[w] = t.keys[i], t.orgs[i]
		w++
	}
	t.keys, t.orgs = t.keys[:w:w], t.orgs[:w:w]
}

// strictlyIncreasing reports whether every key is greater than the one
// before.
func strictlyIncreasing(keys []uint64) bool {
	for i := 1; i < len(keys); i++ {
		if keys[i] <= keys[i-1] {
			return false
		}
	}
	return true
}

type byKey struct{ t *Table }

func (b byKey) Len() int           { return len(b.t.keys) }
func (b byKey) Less(i, j int) bool { return b.t.keys[i] < b.t.keys[j] }
func (b byKey) Swap(i, j int) {
	b.t.keys[i], b.t.keys[j] = b.t.keys[j], b.t.keys[i]
	b.t.orgs[i], b.t.orgs[j] = b.t.orgs[j], b.t.orgs[i]
}

// key is the sort key of a prefix of n hex digits whose value, aligned
// to 36 bits, is v36.
func key(v36 uint64, n int) uint64 { return v36<<4 | uint64(n) }

func validLen(n int) bool { return n == 6 || n == 7 || n == 9 }

// leadingHex reads the hex digits s starts with (at most 16 count) and
// returns their value and number.
func leadingHex(s string) (uint64, int) {
	var v uint64
	i := 0
	for ; i < len(s) && i < 16; i++ {
		d := hexDigits[s[i]]
		if d > 15 {
			break
		}
		v = v<<4 | uint64(d)
	}
	return v, i
}

// hexDigits maps a byte to its value as a hex digit, 0xff for others.
var hexDigits = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = byte(c-'a'+10), byte(c-'a'+10)
	}
	return t
}()

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
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parseCompact(string(data))
}

// parseCompact indexes the compact form; every name is a substring of
// text, so the embedded table is used where it lies in the binary.
func parseCompact(text string) (*Table, error) {
	n := strings.Count(text, "\n") + 1
	t := &Table{keys: make([]uint64, 0, n), orgs: make([]string, 0, n)}
	for line := 1; len(text) > 0; line++ {
		row := nextLine(&text)
		if row == "" || row[0] == '#' {
			continue
		}
		v, n := leadingHex(row)
		if !validLen(n) || n == len(row) || row[n] != '\t' {
			return nil, fmt.Errorf("line %d: want PREFIX<TAB>organisation with a 6, 7 or 9 hex digit prefix, got %q", line, row)
		}
		t.append(v, n, row[n+1:])
	}
	if len(t.keys) == 0 {
		return nil, errors.New("no entries")
	}
	t.finish()
	return t, nil
}

// nextLine cuts the first line off *text and returns it without its
// line end: "\n" and any CRs before it (CRLF, or a stray CR: a name
// never ends in one). It is strings.Cut and strings.TrimRight without
// their calls' cost, which the embedded table's 46,000 lines add up.
func nextLine(text *string) string {
	s := *text
	row := s
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		row, *text = s[:i], s[i+1:]
	} else {
		*text = ""
	}
	for len(row) > 0 && row[len(row)-1] == '\r' {
		row = row[:len(row)-1]
	}
	return row
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
	return t.lookupValue(v)
}

// lookupValue is Lookup of the 48-bit MAC address v.
func (t *Table) lookupValue(v uint64) (string, bool) {
	if t.text != "" {
		return lookupText(t.text, v)
	}
	for _, n := range [...]int{9, 7, 6} {
		k := key(v>>12>>(4*(9-n))<<(4*(9-n)), n)
		i := sort.Search(len(t.keys), func(i int) bool { return t.keys[i] >= k })
		if i < len(t.keys) && t.keys[i] == k {
			return t.orgs[i], true
		}
	}
	return "", false
}

// blockAnswer returns Lookup's answer for every MAC address of the OUI
// (the 24-bit MA-L block) oui, whole when they all have the same: the
// block holds no longer prefix (MA-M, MA-S or IAB). A block's keys lie
// between its 6-digit key, the least, and that of its last 9-digit
// prefix, so the last line at most the latter tells.
func (t *Table) blockAnswer(oui uint64) (org string, ok, whole bool) {
	k6, last := key(oui<<12, 6), key(oui<<12|0xfff, 9)
	var k uint64
	if t.text != "" {
		at := floorLine(t.text, len(t.text), last)
		if at < 0 {
			return "", false, true
		}
		k, org = lineKey(t.text[at:]), lineOrg(t.text[at:])
	} else {
		i := sort.Search(len(t.keys), func(i int) bool { return t.keys[i] > last }) - 1
		if i < 0 {
			return "", false, true
		}
		k, org = t.keys[i], t.orgs[i]
	}
	switch {
	case k == k6:
		return org, true, true
	case k < k6:
		return "", false, true
	}
	return "", false, false
}

// Memo is a Table's Lookup that remembers its answers for whole OUIs
// (Table.blockAnswer). A network's MAC addresses come from a few
// vendors' blocks (the benchmark capture's 800 from ten), most of which
// hold no longer prefix: their addresses then cost no search of the
// table after the first. Its zero value answers nothing; it is not safe
// for concurrent use.
type Memo struct {
	t     *Table
	slots *[memoSlots]memoSlot
}

// memoSlot is one OUI's answer (oui is 1 + the OUI: 0 marks an empty
// slot); a block that is not whole is looked up address by address.
type memoSlot struct {
	oui       uint32
	org       string
	ok, whole bool
}

const (
	memoBits  = 8
	memoSlots = 1 << memoBits
)

// NewMemo returns a Memo of t.
func NewMemo(t *Table) Memo { return Memo{t: t, slots: new([memoSlots]memoSlot)} }

// Lookup is Table.Lookup.
func (m Memo) Lookup(mac string) (string, bool) {
	if m.t == nil {
		return "", false
	}
	v, ok := macValue(mac)
	if !ok {
		return "", false
	}
	oui := uint32(v >> 24)
	s := &m.slots[oui*0x9e3779b1>>(32-memoBits)]
	if s.oui != oui+1 {
		org, ok, whole := m.t.blockAnswer(uint64(oui))
		*s = memoSlot{oui: oui + 1, org: org, ok: ok, whole: whole}
	}
	if !s.whole {
		return m.t.lookupValue(v)
	}
	return s.org, s.ok
}

// lookupText is Lookup in a table held as text: "PREFIX\tOrg\n" lines
// in increasing key order, every one well formed. Its one bisection finds
// the last line whose key is at most the MAC's 9-digit key: a line of the
// MAC's 9, 7 or 6-digit key is then that line, as none of the keys between
// it and the 9-digit key is a line (they are in increasing order); a line
// below the 6-digit key means none. Only a line between the 6 and 9-digit
// keys but neither of them (inside the IEEE's MA-M and MA-S blocks) leaves
// the 7 and 6-digit keys to be looked for each.
func lookupText(text string, v uint64) (string, bool) {
	k9, k7, k6 := key(v>>12, 9), key(v>>20<<8, 7), key(v>>24<<12, 6)
	at := floorLine(text, len(text), k9)
	if at < 0 {
		return "", false
	}
	switch k := lineKey(text[at:]); {
	case k == k9 || k == k7 || k == k6:
		return lineOrg(text[at:]), true
	case k < k6:
		return "", false
	}
	for _, k := range [...]uint64{k7, k6} {
		if at = floorLine(text, at, k); at >= 0 && lineKey(text[at:]) == k {
			return lineOrg(text[at:]), true
		}
	}
	return "", false
}

// floorLine returns where the last line of text[:end] (end at a line
// start) whose key is at most k starts, -1 when none is. The lines that
// may be it start in [lo, hi), lo at a line start; each step looks at the
// first line starting past the middle, until none does.
func floorLine(text string, end int, k uint64) int {
	lo, hi := 0, end
	for {
		mid := lo + (hi-lo)/2
		next := strings.IndexByte(text[mid:hi], '\n')
		if next < 0 || mid+next+1 >= hi {
			break
		}
		if ls := mid + next + 1; lineKey(text[ls:]) <= k {
			lo = ls
		} else {
			hi = ls
		}
	}
	at := -1
	for lo < hi && lineKey(text[lo:]) <= k {
		at = lo
		lo += strings.IndexByte(text[lo:], '\n') + 1
	}
	return at
}

// lineOrg is the organisation of the line s starts with.
func lineOrg(s string) string {
	s = s[:strings.IndexByte(s, '\n')]
	return s[strings.IndexByte(s, '\t')+1:]
}

// lineKey is the key of the line s starts with.
func lineKey(s string) uint64 {
	v, n := leadingHex(s)
	return key(v<<(4*(9-n)), n)
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
