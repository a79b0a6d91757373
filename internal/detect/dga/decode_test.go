package dga

import (
	"encoding/json"
	"math/bits"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestDecodeModel checks that decodeModel reads the shipped model as
// encoding/json does.
func TestDecodeModel(t *testing.T) {
	got, ok := decodeModel(modelJSON)
	if !ok {
		t.Fatal("decodeModel does not read the shipped model")
	}
	var want Model
	if err := json.Unmarshal(modelJSON, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Error("decodeModel and encoding/json decode the shipped model differently")
	}
}

// TestDecodeModelSmall checks decodeModel against encoding/json on small
// documents: those it reads must decode alike, the rest it must refuse.
func TestDecodeModelSmall(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		read bool // decodeModel reads it
	}{
		{`{}`, true},
		{` { "buckets" : 3 , "weights" : [ 1.5 , -2e-3, 0 ] } `, true},
		{`{"weights":[],"lm":[-32768,32767],"tree_feat":"AAEC","source":"a b","bias":-0.25}`, true},
		{`{"tree_feat":""}`, true},
		{`{"buckets":1,"buckets":2}`, true},
		{`{"Buckets":3}`, false},                 // encoding/json matches keys case-insensitively
		{`{"unknown":3}`, false},                 // ignored by encoding/json
		{`{"weights":null}`, false},              // null leaves the field
		{`{"source":"a\"b"}`, false},             // escape
		{`{"source":"é"}`, false},                // non-ASCII
		{`{"tree_feat":[1,2]}`, false},           // bytes as an array
		{`{"lm":[40000]}`, false},                // overflow
		{`{"buckets":1.5}`, false},               // not an integer
		{`{"weights":[01]}`, false},              // invalid number
		{`{"weights":[1,]}`, false},              // trailing comma
		{`{"bias":+1}`, false},                   // invalid number
		{`{"buckets":1} x`, false},               // trailing data
		{`{"buckets":1`, false},                  // unterminated
		{`{"weights":[1e400]}`, false},           // out of range
		{`{"lexicon":"abc` + "\n" + `"}`, false}, // control character
	} {
		got, ok := decodeModel([]byte(tc.doc))
		if ok != tc.read {
			t.Errorf("%s: read %v, want %v", tc.doc, ok, tc.read)
			continue
		}
		if !ok {
			continue
		}
		var want Model
		if err := json.Unmarshal([]byte(tc.doc), &want); err != nil {
			t.Errorf("%s: decodeModel reads what encoding/json refuses: %v", tc.doc, err)
			continue
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: decodeModel %+v, encoding/json %+v", tc.doc, *got, want)
		}
	}
}

// TestLexiconTable checks that building the lexicon without inserting the
// prefixes words share gives the table inserting every prefix gives, on
// the shipped lexicon and on unsorted words, repeats and prefixes.
func TestLexiconTable(t *testing.T) {
	m, ok := decodeModel(modelJSON)
	if !ok {
		t.Fatal("decodeModel does not read the shipped model")
	}
	for _, words := range []string{m.Lexicon, "b ab abc ab a abd\tb\n zz z zzz\u00a0zy", "", "  "} {
		got := newLexicon(words)
		want := everyPrefix(words, len(got.keys))
		if got.maxLen != want.maxLen || got.shift != want.shift || !reflect.DeepEqual(got.keys, want.keys) {
			t.Errorf("lexicon of %.20q differs from inserting every prefix", words)
		}
	}
}

// everyPrefix builds a lexicon table of size slots by inserting every
// prefix of every word.
func everyPrefix(words string, size int) *lexicon {
	ws := strings.Fields(words)
	x := &lexicon{keys: make([]uint64, size)}
	x.shift = uint(64 - bits.Len(uint(size-1)))
	for _, w := range ws {
		x.maxLen = max(x.maxLen, len(w))
		h := uint64(lexOffset)
		for i := 0; i < len(w); i++ {
			h = (h ^ uint64(w[i])) * lexPrime
			f := uint64(1)
			if i == len(w)-1 {
				f = 3
			}
			x.insert(h, f)
		}
	}
	return x
}

// TestNextWord checks nextWord against strings.Fields.
func TestNextWord(t *testing.T) {
	for _, s := range []string{"", " ", "a", " a b\tc\n\nd\v\fe\r ", "ab\u00a0cd ef", "x é\u2003y  z\u0085", "\u3000", "a\x01b\xffc\u1680\xe2\x80 d"} {
		var got []string
		for w, rest := nextWord(s); w != ""; w, rest = nextWord(rest) {
			got = append(got, w)
		}
		if want := strings.Fields(s); !slices.Equal(got, want) {
			t.Errorf("%q: words %q, strings.Fields %q", s, got, want)
		}
	}
}
