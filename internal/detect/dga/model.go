package dga

import (
	"fmt"
	"math"
	"math/bits"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/domain"
)

// Model is a logistic regression over hashed character n-grams (1 to
// MaxGram, with word boundaries) of a domain's registered label, plus dense
// features: the label's log-likelihood under a benign character trigram
// model (LM) and shape values (length, entropy, digit and vowel shares,
// consonant and vowel runs, distinct characters, digit–letter switches,
// rare letters, consonant–vowel alternation) and segmentation into
// Lexicon's words; boosted trees over the dense
// features and the regression's log-odds then correct those log-odds.
type Model struct {
	// Source says what the model was trained on.
	Source  string    `json:"source"`
	Buckets int       `json:"buckets"`
	MaxGram int       `json:"max_gram"`
	Weights []float64 `json:"weights"`
	Dense   []float64 `json:"dense"`
	Bias    float64   `json:"bias"`
	// LM holds round(100·ln P(c | a b)) of characters in benign labels,
	// indexed (a·lmSize+b)·lmSize+c over lmIndex's alphabet (boundary, a–z,
	// digit, '-', other), interpolated with lower orders.
	LM []int16 `json:"lm"`
	// Lexicon is the words (space-separated) labels are segmented into.
	Lexicon string `json:"lexicon"`
	// Boosted trees over the dense features and the regression's log-odds
	// (treeInput), which add to those log-odds; each a complete tree of
	// TreeDepth levels: TreeFeat and TreeCut its inner nodes' feature and
	// cut (greater goes right), level by level, TreeLeaf its leaves' values.
	// No trees: the model's log-odds are the regression's.
	TreeDepth int       `json:"tree_depth,omitempty"`
	TreeFeat  []uint8   `json:"tree_feat,omitempty"`
	TreeCut   []float64 `json:"tree_cut,omitempty"`
	TreeLeaf  []float64 `json:"tree_leaf,omitempty"`

	lex *lexicon
}

const lmSize = 30

func lmIndex(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return 1 + int(c-'a')
	case c >= '0' && c <= '9':
		return 27
	case c == '-':
		return 28
	}
	return 29
}

// Default returns the model shipped with Vigil (model_data.go, written
// by `go run ./internal/detect/dga/train`). The compiler lays its tables
// out as data; the lexicon's table is filled as labels need its words
// (lexicon_lazy.go). The tables are shared
// by every model Default returns, to be read only.
func Default() (*Model, error) {
	m := shipped
	if err := m.prepare(); err != nil {
		return nil, fmt.Errorf("dga: shipped model: %w", err)
	}
	return &m, nil
}

// DefaultLexicon returns the shipped model's lexicon (its words,
// space-separated), so that a model of other features can be trained on
// it.
func DefaultLexicon() (string, error) {
	return shipped.Lexicon, nil
}

// prepare checks the model's sizes and makes its lexicon's table, to be
// filled on demand (the shipped list is sorted).
func (m *Model) prepare() error {
	m.lex = newLazyLexicon(m.Lexicon)
	if m.Buckets <= 0 || len(m.Weights) != m.Buckets || len(m.Dense) != denseFeatures || len(m.LM) != lmSize*lmSize*lmSize || m.MaxGram < 1 {
		return fmt.Errorf("%d buckets, %d weights, %d dense, %d LM entries, max gram %d", m.Buckets, len(m.Weights), len(m.Dense), len(m.LM), m.MaxGram)
	}
	if len(m.TreeLeaf) > 0 {
		d := m.TreeDepth
		if d < 1 || d > 8 || len(m.TreeLeaf)%(1<<d) != 0 || len(m.TreeFeat) != len(m.TreeLeaf)/(1<<d)*(1<<d-1) || len(m.TreeCut) != len(m.TreeFeat) {
			return fmt.Errorf("trees: depth %d, %d leaves, %d features, %d cuts", d, len(m.TreeLeaf), len(m.TreeFeat), len(m.TreeCut))
		}
		for _, f := range m.TreeFeat {
			if int(f) >= treeInputs {
				return fmt.Errorf("trees: feature %d of %d", f, treeInputs)
			}
		}
	}
	return nil
}

// Label returns the part of name the model reads: the registered domain
// without its public suffix ("example" for www.example.co.uk), the suffix
// taken from the ICANN section of the Public Suffix List ("cloudfront" for
// d1gzewjq6luteh.cloudfront.net: a private-section suffix's names are
// the provider's host ids; see domain.RegisteredICANN).
func Label(name string) string {
	reg, _ := domain.RegisteredICANN(domain.Normalize(name))
	return firstLabel(reg)
}

// firstLabel is a registered domain's first label, the one Label returns.
func firstLabel(reg string) string {
	if i := strings.IndexByte(reg, '.'); i > 0 {
		return reg[:i]
	}
	return reg
}

// Skip reports labels the model does not judge: internationalised names
// (punycode looks random) and labels of fewer than five characters.
func Skip(label string) bool {
	return strings.HasPrefix(label, "xn--") || len(label) < 5
}

// Features are one label's hashed n-gram buckets and dense values.
type Features struct {
	Grams []int32
	Dense [denseFeatures]float64
}

// denseFeatures are, in order: length/20; Shannon entropy (bits)/4; digit
// share; vowel share (aeiouy); longest consonant run/5; longest vowel
// run/3; mean LM log-probability per character (the end included)/5;
// share of characters the LM gives a log-probability under -5; lowest LM
// log-probability/10; distinct characters per character; digit–letter
// switches per character; a hyphen (0 or 1); total LM log-probability/40;
// then of the cheapest segmentation into lexicon words (lexicon.segment):
// share of letters in words, words/5, mean word length/8, longest run of
// letters in no word/8, longest word per letter; share of rare letters
// (j k q v w x z); share of consonant–vowel alternations among adjacent
// letters; share of the segmentation's words of three letters or fewer.
const denseFeatures = 21

// Extract computes the features of a label.
func (m *Model) Extract(label string) Features {
	var f Features
	f.Grams, f.Dense = m.features(label, nil)
	return f
}

// xlogx[c] is c·log2(c), for entropy from counts.
var xlogx = func() (t [64]float64) {
	for c := 1; c < len(t); c++ {
		t[c] = float64(c) * math.Log2(float64(c))
	}
	return t
}()

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

// features appends the label's n-gram buckets to grams and returns them
// with the dense values. It allocates nothing when grams has room.
func (m *Model) features(label string, grams []int32) ([]int32, [denseFeatures]float64) {
	n := len(label)
	// N-grams of "^label$", each hashed (FNV-1a of its bytes, then of its
	// length) into one of Buckets weights.
	buckets := uint32(max(m.Buckets, 1))
	for i := 0; i < n+2; i++ {
		h := uint32(fnvOffset)
		for g := 1; g <= m.MaxGram && i+g <= n+2; g++ {
			c := byte('^')
			if j := i + g - 1; j > n {
				c = '$'
			} else if j > 0 {
				c = label[j-1]
			}
			h = (h ^ uint32(c)) * fnvPrime
			grams = append(grams, int32(((h^uint32(g))*fnvPrime)%buckets))
		}
	}
	var (
		lmSum, lmMin, lmRare                       float64
		digits, vowels, run, maxRun, vrun, maxVRun int
		switches, hyphens, rare, alt, pairs, prevV int
		seen                                       uint64
		counts                                     [lmSize + 10]int // lmIndex, but one per digit
		a, b                                       int              // LM context, 0 the boundary
		lmOK                                       = len(m.LM) == lmSize*lmSize*lmSize
	)
	for i := 0; i <= n; i++ {
		c, ci := byte('$'), 0
		if i < n {
			c = label[i]
			ci = lmIndex(c)
		}
		if lmOK {
			lp := float64(m.LM[(a*lmSize+b)*lmSize+ci]) / 100
			lmSum += lp
			lmMin = min(lmMin, lp)
			if lp < -5 {
				lmRare++
			}
		}
		a, b = b, ci
		if i == n {
			break
		}
		k, isDigit := ci, c >= '0' && c <= '9'
		if isDigit {
			k = lmSize + int(c-'0')
		}
		counts[k]++
		seen |= 1 << k
		if i > 0 && c != '-' && label[i-1] != '-' && isDigit != (label[i-1] >= '0' && label[i-1] <= '9') {
			switches++
		}
		switch {
		case isDigit:
			digits++
			run, vrun = 0, 0
		case c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y':
			vowels++
			run, vrun = 0, vrun+1
			maxVRun = max(maxVRun, vrun)
			if prevV == 2 {
				alt++
			}
			if prevV != 0 {
				pairs++
			}
			prevV = 1
		case c >= 'a' && c <= 'z':
			run, vrun = run+1, 0
			maxRun = max(maxRun, run)
			if prevV == 1 {
				alt++
			}
			if prevV != 0 {
				pairs++
			}
			prevV = 2
			if c == 'j' || c == 'k' || c == 'q' || c == 'v' || c == 'w' || c == 'x' || c == 'z' {
				rare++
			}
		default:
			if c == '-' {
				hyphens++
			}
			run, vrun = 0, 0
			prevV = 0
		}
		if isDigit {
			prevV = 0
		}
	}
	fn := math.Max(float64(n), 1)
	ent := 0.0
	for _, c := range counts {
		if c < len(xlogx) {
			ent -= xlogx[c]
		} else {
			ent -= float64(c) * math.Log2(float64(c))
		}
	}
	ent = ent/fn + math.Log2(fn)
	hy := 0.0
	if hyphens > 0 {
		hy = 1
	}
	seg := m.lex.segment(label)
	fl := math.Max(float64(seg.letters), 1)
	meanWord := 0.0
	if seg.words > 0 {
		meanWord = float64(seg.covered) / float64(seg.words) / 8
	}
	return grams, [denseFeatures]float64{
		float64(n) / 20, ent / 4, float64(digits) / fn, float64(vowels) / fn,
		float64(maxRun) / 5, float64(maxVRun) / 3,
		lmSum / (fn + 1) / 5, lmRare / (fn + 1), lmMin / 10,
		float64(bits.OnesCount64(seen)) / fn, float64(switches) / fn, hy, lmSum / 40,
		float64(seg.covered) / fl, float64(seg.words) / 5, meanWord, float64(seg.maxUnk) / 8, float64(seg.longest) / fl,
		float64(rare) / fn, float64(alt) / math.Max(float64(pairs), 1), float64(seg.short) / math.Max(float64(seg.words), 1),
	}
}

// Raw returns the model's log-odds for features f.
func (m *Model) Raw(f Features) float64 {
	return m.raw(f.Grams, &f.Dense)
}

func (m *Model) raw(grams []int32, dense *[denseFeatures]float64) float64 {
	z := m.linear(grams, dense)
	if len(m.TreeLeaf) == 0 {
		return z
	}
	x := treeInput(z, dense)
	return m.trees(&x)
}

// linear returns the regression's log-odds.
func (m *Model) linear(grams []int32, dense *[denseFeatures]float64) float64 {
	z := 0.0
	for _, g := range grams {
		z += m.Weights[g]
	}
	z = m.Bias + z/math.Sqrt(float64(max(len(grams), 1)))
	for i, v := range dense {
		z += m.Dense[i] * v
	}
	return z
}

// Score returns the probability that label was generated by an algorithm.
// It allocates nothing for labels of up to 63 characters.
func (m *Model) Score(label string) float64 {
	var buf [65 * 4]int32
	grams, dense := m.features(label, buf[:0])
	return 1 / (1 + math.Exp(-m.raw(grams, &dense)))
}
