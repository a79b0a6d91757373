package oui

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fuzzTSV is a few lines of oui.tsv: MA-L, MA-M and MA-S assignments, one
// of them under an MA-L prefix.
const fuzzTSV = "000000\tXEROX CORPORATION\n" +
	"0055DA0\tShinko Technos co.,ltd.\n" +
	"0055DA1\tKoolPOS Inc.\n" +
	"001BC5\tIEEE Registration Authority\n" +
	"001BC5000\tConverging Systems Inc.\n" +
	"001BC5001\tOpenRB.com, Direct SIA\n"

// fuzzCSV is a few lines of the IEEE's CSV files.
const fuzzCSV = "Registry,Assignment,Organization Name,Organization Address\n" +
	"MA-M,741AE09,Private,\n" +
	"MA-S,70B3D5F2F,TELEPLATFORMS,\"Polbina st., 3/1 Moscow  RU 109388 \"\n" +
	"IAB,0050C27D5,DEUTA-WERKE GmbH,Paffrather Strasse 140 Bergisch-Gladbach NRW DE 51465 \n" +
	"MA-L,002272,American Micro-Fuel Device Corp.,2181 Buchanan Loop Ferndale WA US 98248 \n"

// FuzzParse feeds arbitrary bytes to the parser behind Load (compact form,
// plain or gzip, or IEEE CSV). Of a table it accepts it checks that the
// keys are valid and strictly increasing (sorted, no duplicates); that
// Lookup finds every prefix again, given a MAC address with that prefix
// in three spellings (the longest registered prefix winning, as with
// the prefix followed by zeros or by F's a longer one may); and that the
// table written out by WriteCompact parses back to the same table.
func FuzzParse(f *testing.F) {
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write([]byte(fuzzTSV))
	z.Close()
	for _, s := range []string{
		fuzzTSV, gz.String(), fuzzCSV, sampleCSV,
		"# comment\r\n\r\nAABBCC\tCRLF Ltd\r\nAABBCC\tLater Wins\r\n",
		"aabbcc1\tlower case\nAABBCC\t\n",
		"Registry,Assignment,Organization Name\nMA-L,AABBCC,\"multi\nline\",x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := parse(data)
		if err != nil {
			if tab != nil {
				t.Errorf("table and error %v", err)
			}
			return
		}
		checkTable(t, tab)
		var out bytes.Buffer
		if err := WriteCompact(&out, entries(tab)); err != nil {
			t.Fatal(err)
		}
		back, err := parse(out.Bytes())
		if tab.Len() == 0 {
			return // the compact form has no empty table
		}
		if err != nil {
			t.Fatalf("written table does not parse: %v\n%q", err, out.Bytes())
		}
		if !slices.Equal(tab.keys, back.keys) || !slices.Equal(tab.orgs, back.orgs) {
			t.Errorf("written table parses to another:\n%q\n%q\n%q", entries(tab), entries(back), out.Bytes())
		}
	})
}

// checkTable checks a table's keys and that Lookup finds each prefix.
func checkTable(t *testing.T, tab *Table) {
	t.Helper()
	if len(tab.keys) != len(tab.orgs) || !strictlyIncreasing(tab.keys) {
		t.Fatalf("keys not strictly increasing (%d keys, %d orgs)", len(tab.keys), len(tab.orgs))
	}
	index := map[uint64]string{}
	for i, k := range tab.keys {
		index[k] = tab.orgs[i]
	}
	memo := NewMemo(tab)
	for _, k := range tab.keys {
		n, v36 := int(k&0xf), k>>4
		if !validLen(n) || v36>>36 != 0 || v36&(1<<(4*(9-n))-1) != 0 {
			t.Fatalf("key %x: %d digits, value %x", k, n, v36)
		}
		for _, fill := range []uint64{0, 1<<(4*(9-n)+12) - 1} {
			mac := v36<<12 | fill
			want, wantLen := longest(index, mac)
			if wantLen < n {
				t.Fatalf("key %x: the brute-force search misses it", k)
			}
			for _, s := range spellings(mac) {
				if got, ok := tab.Lookup(s); !ok || got != want {
					t.Errorf("Lookup(%s) = %q %v, want %q (prefix %s)", s, got, ok, want, prefixOf(k))
				}
				if got, ok := memo.Lookup(s); !ok || got != want {
					t.Errorf("Memo.Lookup(%s) = %q %v, want %q (prefix %s)", s, got, ok, want, prefixOf(k))
				}
			}
		}
	}
}

// longest finds the organisation of the longest prefix of the 48-bit mac
// in index, and that prefix's length.
func longest(index map[uint64]string, mac uint64) (string, int) {
	for _, n := range []int{9, 7, 6} {
		v36 := mac >> 12 >> (4 * (9 - n)) << (4 * (9 - n))
		if org, ok := index[key(v36, n)]; ok {
			return org, n
		}
	}
	return "", 0
}

// spellings writes a 48-bit MAC address as Lookup accepts it.
func spellings(mac uint64) []string {
	plain := fmt.Sprintf("%012x", mac)
	var colons, dashes []string
	for i := 0; i < 12; i += 2 {
		colons = append(colons, plain[i:i+2])
		dashes = append(dashes, strings.ToUpper(plain[i:i+2]))
	}
	return []string{strings.Join(colons, ":"), strings.Join(dashes, "-"), plain[:4] + "." + plain[4:8] + "." + plain[8:]}
}

// prefixOf is the prefix a key stands for, in upper-case hex.
func prefixOf(k uint64) string {
	n := int(k & 0xf)
	return fmt.Sprintf("%0*X", n, k>>4>>(4*(9-n)))
}

// entries lists a table's assignments.
func entries(tab *Table) []Entry {
	out := make([]Entry, len(tab.keys))
	for i, k := range tab.keys {
		out[i] = Entry{Prefix: prefixOf(k), Org: tab.orgs[i]}
	}
	return out
}
