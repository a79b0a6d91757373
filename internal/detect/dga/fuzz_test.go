package dga

import (
	"math"
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
