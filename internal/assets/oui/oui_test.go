package oui

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbedded(t *testing.T) {
	tab, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() < 40000 {
		t.Errorf("%d assignments", tab.Len())
	}
	for mac, want := range map[string]string{
		"b8:27:eb:12:34:56": "Raspberry Pi Foundation",
		"00-0C-29-AA-BB-CC": "VMware, Inc.",
		"000b82010203":      "Grandstream Networks, Inc.",
		"70:b3:d5:f2:f0:01": "TELEPLATFORMS", // MA-S (36-bit) inside an IEEE block
		"74:1a:e0:9f:00:01": "",              // a "Private" MA-M assignment in an IEEE block
	} {
		got, ok := tab.Lookup(mac)
		if got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", mac, got, ok, want)
		}
	}
	for _, bad := range []string{"", "b8:27:eb", "zz:27:eb:12:34:56", "b8:27:eb:12:34:56:78"} {
		if _, ok := tab.Lookup(bad); ok {
			t.Errorf("%q looked up", bad)
		}
	}
}

func TestLocallyAdministered(t *testing.T) {
	for mac, want := range map[string]bool{"02:00:00:00:00:01": true, "8a:3c:d6:e1:4d:c4": true, "b8:27:eb:00:00:01": false, "x": false} {
		if LocallyAdministered(mac) != want {
			t.Errorf("%s: %v", mac, !want)
		}
	}
}

const sampleCSV = `Registry,Assignment,Organization Name,Organization Address
MA-L,AABBCC,"Example   Devices, Inc.","1 Road  Town"
MA-M,AABBCC1,Sub Block Ltd,Somewhere
MA-S,AABBCC123,Tiny Block,Elsewhere
MA-L,BAD,Nope,
`

func TestIEEECSVAndCompact(t *testing.T) {
	entries, err := ReadIEEECSV(strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || entries[0].Org != "Example Devices, Inc." {
		t.Fatalf("entries %+v", entries)
	}
	tab := FromEntries(entries)
	for mac, want := range map[string]string{
		"aa:bb:cc:00:00:00": "Example Devices, Inc.",
		"aa:bb:cc:10:00:00": "Sub Block Ltd",
		"aa:bb:cc:12:30:00": "Tiny Block",
		"aa:bb:cc:12:40:00": "Sub Block Ltd",
	} {
		if got, _ := tab.Lookup(mac); got != want {
			t.Errorf("%s: %q, want %q", mac, got, want)
		}
	}
	dir := t.TempDir()
	var plain bytes.Buffer
	if err := WriteCompact(&plain, entries); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(plain.Bytes())
	z.Close()
	for name, data := range map[string][]byte{"t.tsv": plain.Bytes(), "t.tsv.gz": gz.Bytes(), "oui.csv": []byte(sampleCSV)} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		loaded, err := Load(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, _ := loaded.Lookup("aa:bb:cc:12:30:00"); got != "Tiny Block" || loaded.Len() != 3 {
			t.Errorf("%s: %q, %d entries", name, got, loaded.Len())
		}
	}
	if _, err := ReadIEEECSV(strings.NewReader("a,b,c\n")); err == nil {
		t.Error("non-registry CSV accepted")
	}
	bad := filepath.Join(dir, "bad.tsv")
	os.WriteFile(bad, []byte("AABBCC Example\n"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad table: %v", err)
	}
}

// BenchmarkLoadEmbedded is the one-time cost of the first inventory.
func BenchmarkLoadEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseCompact(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEmbeddedSorted checks that the embedded table is what lookupText
// needs (well-formed lines, each ended, keys increasing: parseCompact's
// checks, and no comment or blank line) and that searching it finds what
// the parsed table's index finds: for MACs in every assignment, next to
// it, and at random; and that Memos of both answer as they do.
func TestEmbeddedSorted(t *testing.T) {
	parsed, err := parseCompact(embedded)
	if err != nil {
		t.Fatal(err)
	}
	if !strictlyIncreasing(parsed.keys) || !strings.HasSuffix(embedded, "\n") ||
		strings.Count(embedded, "\n") != parsed.Len() || strings.Contains(embedded, "\r") {
		t.Fatal("embedded table not in order, with a line unterminated, blank, a comment or a CR")
	}
	tab, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != parsed.Len() {
		t.Fatalf("%d lines, %d assignments", tab.Len(), parsed.Len())
	}
	r := rand.New(rand.NewPCG(5, 6))
	memos := []Memo{NewMemo(tab), NewMemo(parsed)} // each remembering its answers
	check := func(v uint64) {
		mac := fmt.Sprintf("%012x", v&(1<<48-1))
		got, gotOK := tab.Lookup(mac)
		want, wantOK := parsed.Lookup(mac)
		if got != want || gotOK != wantOK {
			t.Fatalf("%s: %q %v, want %q %v", mac, got, gotOK, want, wantOK)
		}
		for i, m := range memos {
			if got, gotOK := m.Lookup(mac); got != want || gotOK != wantOK {
				t.Fatalf("%s: memo %d: %q %v, want %q %v", mac, i, got, gotOK, want, wantOK)
			}
		}
	}
	for _, k := range parsed.keys {
		v := k >> 4 << 12 // the assignment's first MAC
		n := k & 15
		span := uint64(1) << (4 * (12 - n))
		for _, m := range []uint64{v, v + span - 1, v - 1, v + span, v + r.Uint64N(span)} {
			check(m)
		}
	}
	for range 200000 {
		check(r.Uint64())
	}
}
