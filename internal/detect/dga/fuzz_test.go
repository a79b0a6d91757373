package dga

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
)

// shippedModel is the embedded model, prepared once for all fuzz
// iterations (preparing it takes milliseconds).
var shippedModel = sync.OnceValues(Default)

// FuzzScore scores arbitrary labels, as query names from the network reach
// the model: the score is a probability, the same on a second call, and
// Raw of the extracted features gives it too (Score's no-allocation path
// and Extract's agree).
func FuzzScore(f *testing.F) {
	for _, s := range []string{"google", "xjw3kq9vbz1m", "wikipedia", "a", "", "xn--80ak6aa92e", "ẞẞ\xff\x00",
		"qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjkl", "--", "123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, label string) {
		m, err := shippedModel()
		if err != nil {
			t.Fatal(err)
		}
		s := m.Score(label)
		if math.IsNaN(s) || s < 0 || s > 1 {
			t.Fatalf("Score(%q) = %v, not a probability", label, s)
		}
		if again := m.Score(label); again != s {
			t.Fatalf("Score(%q) = %v, then %v", label, s, again)
		}
		if raw := 1 / (1 + math.Exp(-m.Raw(m.Extract(label)))); raw != s {
			t.Fatalf("Score(%q) = %v, Raw(Extract) gives %v", label, s, raw)
		}
	})
}

// FuzzDecodeModel checks decodeModel against encoding/json on arbitrary
// documents: a document it reads must decode alike, bit for bit.
func FuzzDecodeModel(f *testing.F) {
	for _, s := range []string{`{}`, `{"weights":[1.5,-2e-3,0,-0.0961]}`, `{"lm":[-32768,32767,0,-0]}`,
		`{"source":"a b","lexicon":"ab cd  ef","tree_feat":"AAEC","bias":-9.4673,"buckets":3}`, `{"weights":[123456789012345.5]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := decodeModel([]byte(doc))
		if !ok {
			return
		}
		var want Model
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatalf("%q: decodeModel reads what encoding/json refuses: %v", doc, err)
		}
		same := func(a, b []float64) bool {
			return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		}
		if !reflect.DeepEqual(got.LM, want.LM) || got.Source != want.Source || got.Lexicon != want.Lexicon ||
			!bytes.Equal(got.TreeFeat, want.TreeFeat) || got.Buckets != want.Buckets || got.MaxGram != want.MaxGram ||
			got.TreeDepth != want.TreeDepth || math.Float64bits(got.Bias) != math.Float64bits(want.Bias) ||
			!same(got.Weights, want.Weights) || !same(got.Dense, want.Dense) || !same(got.TreeCut, want.TreeCut) ||
			!same(got.TreeLeaf, want.TreeLeaf) {
			t.Fatalf("%q: decodeModel %+v, encoding/json %+v", doc, *got, want)
		}
	})
}
