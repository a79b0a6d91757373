package dga

import (
	"encoding/json"
	"math"
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
// the shipped lexicon and on unsorted words, repeats and prefixes, and
// that lists of other white space or bytes than spaces and printable
// ASCII are split as strings.Fields splits them.
func TestLexiconTable(t *testing.T) {
	m, ok := decodeModel(modelJSON)
	if !ok {
		t.Fatal("decodeModel does not read the shipped model")
	}
	long := strings.Repeat("abcdefghij", 6) // fills the first table tried
	for _, words := range []string{m.Lexicon, "b ab abc ab a abd\tb\n zz z zzz\u00a0zy", "", "  ",
		" ab  abc a ", "ab\tcd ab", "abc ab\u00a0cd", "ab é", long, long + " x\ty", "x\ty " + long} {
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

// TestPlainLen: plainLen stops at the first byte the plain table refuses,
// wherever it lies in an eight-byte word.
func TestPlainLen(t *testing.T) {
	for c := 0; c < 256; c++ {
		for at := 0; at < 8; at++ {
			s := []byte("0123456789abcdefgh")
			s[10+at] = byte(c)
			want := 10 + at
			if plain[c] {
				want = len(s)
			}
			if got := plainLen(s); got != want {
				t.Errorf("byte %#x at %d: plainLen %d, want %d", c, 10+at, got, want)
			}
		}
	}
}

// TestArrayNumbers checks that the arrays' numbers read as encoding/json
// reads them, bit for bit (the sign of zero included), and that numbers
// out of an array's type are refused.
func TestArrayNumbers(t *testing.T) {
	nums := "0, -0, 1, -1, 0.5, -0.0961, 0.1, 0.3, 1.7976931348623157, 123456789012345, 12345678901234.5, " +
		"1234567890123456, 0.1234567890123456, 1e2, -2E-3, 32767, -32768, 9007199254740993, 3.14159265358979, 100, 10.000"
	var want struct {
		Weights []float64 `json:"weights"`
	}
	doc := `{"weights":[` + nums + `]}`
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	got, ok := decodeModel([]byte(doc))
	if !ok || len(got.Weights) != len(want.Weights) {
		t.Fatalf("decodeModel: %v, %d numbers, want %d", ok, len(got.Weights), len(want.Weights))
	}
	for i, w := range want.Weights {
		if math.Float64bits(got.Weights[i]) != math.Float64bits(w) {
			t.Errorf("number %d: %v, encoding/json %v", i, got.Weights[i], w)
		}
	}
	for _, tc := range []struct {
		doc  string
		want []int16
	}{
		{`{"lm":[0,-0,1,-1,32767,-32768,-120,12]}`, []int16{0, 0, 1, -1, 32767, -32768, -120, 12}},
		{`{"lm":[1,00012]}`, nil}, // invalid number
		{`{"lm":[5e1]}`, nil},     // no integer for encoding/json either
		{`{"lm":[32768]}`, nil},
		{`{"lm":[-32769]}`, nil},
		{`{"lm":[1.5]}`, nil},
	} {
		m, ok := decodeModel([]byte(tc.doc))
		if ok != (tc.want != nil) || ok && !slices.Equal(m.LM, tc.want) {
			t.Errorf("%s: read %v, want %v", tc.doc, ok, tc.want)
		}
	}
}
