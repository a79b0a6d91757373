package dga

import (
	"math/bits"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// TestShippedLexiconSorted checks what the lazy table relies on: the
// shipped list is sorted, single-spaced, of printable ASCII, and all of
// it fits the table newLazyLexicon makes.
func TestShippedLexiconSorted(t *testing.T) {
	words := shipped.Lexicon
	ws := strings.Split(words, " ")
	for i, w := range ws {
		if w == "" || strings.ContainsFunc(w, func(r rune) bool { return r <= ' ' || r > '~' }) {
			t.Fatalf("word %d %q: empty or not printable ASCII", i, w)
		}
		if i > 0 && w <= ws[i-1] {
			t.Fatalf("word %d %q after %q", i, w, ws[i-1])
		}
	}
	if x := buildLexicon(words, 1<<bits.Len(uint(len(words)/2+16))); x == nil {
		t.Fatal("the whole list does not fit the lazy table")
	}
}

// segmentLabels are labels to segment: words of the lexicon run together
// with others' letters, digits and hyphens, random letters (rare letters
// too), and edges (z, one and two letters, longer than maxSeg).
func segmentLabels(n int) []string {
	rng := rand.New(rand.NewPCG(7, 7))
	ws := strings.Fields(shipped.Lexicon)
	labels := []string{"", "a", "z", "zz", "zzz", "ab", "abc", "aa-bb", "x9y", strings.Repeat("ab", 40),
		"internationalisation", "qzxjvk", "thequickbrownfox", "bankofamerica", "zzzzzyzzva"}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	for range n {
		var b strings.Builder
		for b.Len() < 3+rng.IntN(20) {
			switch rng.IntN(5) {
			case 0, 1:
				b.WriteString(ws[rng.IntN(len(ws))])
			case 2:
				b.WriteByte(letters[rng.IntN(26)])
			case 3:
				b.WriteByte("0123456789-"[rng.IntN(11)])
			default:
				b.WriteString(strings.ToLower(ws[rng.IntN(len(ws))][:1]))
			}
		}
		labels = append(labels, b.String())
	}
	return labels
}

// TestLazySegmentAsFull checks that the lazy table segments labels as
// the full one does, whichever labels came before.
func TestLazySegmentAsFull(t *testing.T) {
	full := newLexicon(shipped.Lexicon)
	lazy := newLazyLexicon(shipped.Lexicon)
	for _, l := range segmentLabels(20000) {
		if a, b := full.segment(l), lazy.segment(l); a != b {
			t.Fatalf("%q: full %+v, lazy %+v", l, a, b)
		}
	}
}

// TestLazyOutgrown checks that a lazy table whose list does not fit it
// is built whole, and segments as a full one.
func TestLazyOutgrown(t *testing.T) {
	words := shipped.Lexicon[:200000]
	words = words[:strings.LastIndexByte(words, ' ')]
	full := newLexicon(words)
	lazy := newLazyLexicon(words)
	lazy.lazy.free, lazy.lazy.most = 100, len(lazy.keys) // full at once, and not to grow
	for _, l := range segmentLabels(2000) {
		if a, b := full.segment(l), lazy.segment(l); a != b {
			t.Fatalf("%q: full %+v, lazy %+v", l, a, b)
		}
	}
	if !lazy.lazy.all {
		t.Fatal("not built whole")
	}
}

// TestLazyGrows checks that a lazy table starts small and doubles as it
// takes words, segmenting as a full table before and after each growth,
// and stays smaller than the whole list's table.
func TestLazyGrows(t *testing.T) {
	full := newLexicon(shipped.Lexicon)
	lazy := newLazyLexicon(shipped.Lexicon)
	if len(lazy.keys) != lazyFirstSize {
		t.Fatalf("starts with %d slots, want %d", len(lazy.keys), lazyFirstSize)
	}
	sizes := map[int]bool{}
	for _, l := range segmentLabels(3000) {
		if a, b := full.segment(l), lazy.segment(l); a != b {
			t.Fatalf("%q (table of %d): full %+v, lazy %+v", l, len(lazy.keys), a, b)
		}
		sizes[len(lazy.keys)] = true
	}
	if len(sizes) < 3 || lazy.lazy.all || len(lazy.keys) >= lazy.lazy.most {
		t.Fatalf("sizes %v, whole %v, most %d: want several sizes below the whole list's", sizes, lazy.lazy.all, lazy.lazy.most)
	}
	held := 0
	for _, k := range lazy.keys {
		if k != 0 {
			held++
		}
	}
	if want := len(lazy.keys)*7/10 - lazy.lazy.free; held != want {
		t.Fatalf("%d prefixes held, the count says %d", held, want)
	}
}

// TestLazyConcurrent segments labels from several goroutines at once
// (run with -race): the shipped model is shared by the workers.
func TestLazyConcurrent(t *testing.T) {
	full := newLexicon(shipped.Lexicon)
	lazy := newLazyLexicon(shipped.Lexicon)
	labels := segmentLabels(2000)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range labels {
				l := labels[(i+g*500)%len(labels)]
				if a, b := full.segment(l), lazy.segment(l); a != b {
					t.Errorf("%q: full %+v, lazy %+v", l, a, b)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestLowerBound checks the bisection against a scan of the words.
func TestLowerBound(t *testing.T) {
	for _, words := range []string{"", "b", "ab abc b bc c", shipped.Lexicon[:5000]} {
		ws := strings.Split(words, " ")
		for _, key := range append([]string{"", "a", "abd", "b", "bz", "zz", "~"}, ws...) {
			want, at := len(words), 0
			for _, w := range ws {
				if w >= key {
					want = at
					break
				}
				at += len(w) + 1
			}
			if got := lowerBound(words, key); got != want {
				t.Fatalf("%.30q, %q: %d, want %d", words, key, got, want)
			}
		}
	}
}

// FuzzLazySegment checks the lazy table against the full one on any
// label.
func FuzzLazySegment(f *testing.F) {
	full := newLexicon(shipped.Lexicon)
	lazy := newLazyLexicon(shipped.Lexicon)
	for _, l := range segmentLabels(20) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, label string) {
		if a, b := full.segment(label), lazy.segment(label); a != b {
			t.Fatalf("%q: full %+v, lazy %+v", label, a, b)
		}
	})
}
