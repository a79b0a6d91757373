package dga_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/dga/dgatrain"
	"github.com/vigil-nsm/vigil/internal/detect/dga/gen"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// readRows reads a corpus list (one domain per line, or "domain","family"
// CSV rows) as the labels the model scores.
func readRows(t *testing.T, path string) []dgatrain.Row {
	t.Helper()
	rows, err := dgatrain.ReadRows(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func readList(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, r := range readRows(t, path) {
		out = append(out, r.Label)
	}
	return out
}

// auc is the probability that a random positive scores above a random
// negative (ties count half), by ranks.
func auc(pos, neg []float64) float64 {
	type s struct {
		v   float64
		pos bool
	}
	all := make([]s, 0, len(pos)+len(neg))
	for _, v := range pos {
		all = append(all, s{v, true})
	}
	for _, v := range neg {
		all = append(all, s{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	rankSum := 0.0
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie
		for k := i; k < j; k++ {
			if all[k].pos {
				rankSum += mid
			}
		}
		i = j
	}
	np, nn := float64(len(pos)), float64(len(neg))
	return (rankSum - np*(np+1)/2) / (np * nn)
}

func scoreAll(m *dga.Model, labels []string) []float64 {
	out := make([]float64, len(labels))
	for i, l := range labels {
		out[i] = m.Raw(m.Extract(l))
	}
	return out
}

// uniq returns labels once each, in first-seen order, less those in drop.
func uniq(labels []string, drop map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range labels {
		if !seen[l] && !drop[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

func set(labels []string) map[string]bool {
	s := make(map[string]bool, len(labels))
	for _, l := range labels {
		s[l] = true
	}
	return s
}

// TestHeldBackAUC scores every DGA family of the andrewaeva corpus — all
// held back: the shipped model was trained on Debian word lists, IEEE vendor
// names, Public Suffix List names and Vigil's own generators only — against
// benign lists the model did not see (the corpus's Alexa sample and OpenDNS
// random sample), and reports the AUC per family and pooled.
//
// Each family is held to a floor a little under what the model reaches
// (random-character families — cryptolocker, ramdo, tinba, zeus, the DDS
// feed — 0.99; the word-list DGAs matsnu 0.993 and rovnix 0.975, since the
// model segments labels into lexicon words and is trained on lexicon words
// run together; before that, 0.84 and 0.77). Pooled: 0.975 (0.973 before
// the rare-letter, alternation and short-word features; 0.954 before the
// lexicon). The others stay lower: short random names (conficker 0.928)
// and pronounceable ones (pushdo 0.831) overlap with the benign lists,
// which themselves hold random-looking real domains, acronyms and pinyin;
// both lost a point to the word-list families' gain (0.936 and 0.842
// before), as did the mixed feed (others_dga.txt, 0.961 from 0.966). The
// latest features gave conficker, pushdo, the mixed feed and tinba their
// points back in part and cost matsnu (0.994 to 0.993) and rovnix (0.979
// to 0.975) a little.
func TestHeldBackAUC(t *testing.T) {
	dir := testcorpus.Require(t, "andrewaeva-dga")
	m, err := dga.Default()
	if err != nil {
		t.Fatal(err)
	}
	benign := scoreAll(m, append(readList(t, filepath.Join(dir, "help", "1000domains", "alexa_1000.txt")),
		readList(t, filepath.Join(dir, "dga_wordlists", "opendns-random-domains.txt"))...))
	floor := map[string]float64{"cryptolocker": 0.99, "ramdo": 0.99, "tinba": 0.99, "zeus": 0.99, "dds-malicious-domains.csv": 0.99,
		"others_dga.txt": 0.96, "conficker": 0.92, "pushdo": 0.83, "matsnu": 0.99, "rovnix": 0.97}
	families, _ := filepath.Glob(filepath.Join(dir, "help", "1000domains", "*_1000.txt"))
	families = append(families, filepath.Join(dir, "dga_wordlists", "dds-malicious-domains.csv"), filepath.Join(dir, "dga_wordlists", "others_dga.txt"))
	var pooled []float64
	for _, f := range families {
		name := strings.TrimSuffix(filepath.Base(f), "_1000.txt")
		if name == "alexa" {
			continue
		}
		s := scoreAll(m, readList(t, f))
		pooled = append(pooled, s...)
		a := auc(s, benign)
		t.Logf("%-28s %5d names  AUC %.4f", name, len(s), a)
		if a < floor[name] {
			t.Errorf("%s: AUC %.4f < %.2f", name, a, floor[name])
		}
	}
	total := auc(pooled, benign)
	t.Logf("pooled held-back families: %d names vs %d benign: AUC %.4f (model: %s)", len(pooled), len(benign), total, m.Source)
	if total < 0.974 {
		t.Errorf("pooled AUC %.4f < 0.974", total)
	}
}

// TestFamilyHoldOut trains models at test time with the repository's own
// training code (dgatrain.Train, as the train command does) on some
// andrewaeva-dga families and measures them on the families held back:
// leave one family out, for every family.
//
// Families: the eight of help/1000domains, with the DDS feed's rows joined
// to theirs by its family column (its "cryptolocker" to cryptolocker, its
// "goz" and "newgoz" — Gameover Zeus — to zeus), and others_dga.txt (a
// mixed feed) as a ninth. Each fold holds one family back and trains on
// the other eight's names, 10,000 labels of Vigil's generators, and
// benign names: opendns-top-domains.txt and every other name (the
// even-numbered, once duplicates are dropped) of
// opendns-random-domains.txt, with the recipe's synthetic benign labels
// made from the shipped model's lexicon (words, two run together, with
// digits, hyphenated: about 11,000, no corpus data). It is measured on the
// held-back family against benign names not trained on: alexa_1000.txt and
// the rest of opendns-random (less any label also in the training lists).
//
// The issue asks for 0.97; the mean over the nine folds is 0.971 (0.968
// before the last two changes below, 0.948 with the regression alone and no
// lexicon, 0.935 before the trigram features), held to 0.970, each fold to
// a floor just under its figure. Changing the generators' seed
// (dgatrain.Config.Seed) moves the mean by about ±0.002 (pushdo by ±0.015):
// over five seeds it is 0.9707, each seed's from 0.969 to 0.972 (0.9689
// over three before the last two changes). Random-character families (cryptolocker, ramdo, tinba, zeus) reach
// 0.99 each, matsnu 0.990, the mixed feed 0.968. Below: conficker (0.945:
// five- to eleven-letter random names, which real acronyms and short brands
// match), rovnix (0.939: English words run together, as real compound
// names are; the benign lists hold many long ones) and pushdo (0.911:
// eight-letter pronounceable names, which real words and foreign names
// match). What moved them, measured here: segmenting labels into lexicon
// words (0.948 to 0.952), boosted trees over the dense features and the
// regression's score (0.959), short random and syllable generators (0.962;
// conficker 0.93 to 0.95, matsnu and the mixed feed down a point), lexicon
// words run together as generated labels (0.967; rovnix 0.89 to 0.92),
// capitalised names in the lexicon and the second, grouped cross-fitting
// of the trees' regression scores (0.968; rovnix 0.94), synthetic benign
// labels from the lexicon's words (0.970 over three seeds; the mixed feed
// and rovnix up) and the share of rare letters (j k q v w x z), of
// consonant–vowel alternations and of words of three letters or fewer
// (0.971 over three seeds; pushdo 0.89 to 0.90, conficker up, rovnix down
// half a point; without the short-word share 0.970). Tried, no better:
// deeper or more trees, a lower learning rate with more trees, larger
// minimum leaf weight or regularisation of the trees, other regularisation
// of the regression, weighting generated labels at half (0.967) or benign
// ones at 1.5 (0.968), twice the synthetic benign labels, trees without the
// regression's score (0.956), other languages' word lists in the lexicon
// (0.964), a trigram model of the lexicon's words. All nine folds train in
// about 30 s on two cores.
func TestFamilyHoldOut(t *testing.T) {
	dir := testcorpus.Require(t, "andrewaeva-dga")
	path := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	names := []string{"conficker", "cryptolocker", "matsnu", "pushdo", "ramdo", "rovnix", "tinba", "zeus", "others"}
	families := map[string][]string{}
	for _, f := range names[:8] {
		families[f] = readList(t, path("help", "1000domains", f+"_1000.txt"))
	}
	for _, r := range readRows(t, path("dga_wordlists", "dds-malicious-domains.csv")) {
		f := r.Fields[len(r.Fields)-1]
		if f == "goz" || f == "newgoz" {
			f = "zeus"
		}
		if families[f] == nil {
			t.Fatalf("DDS family %q has no fold", f)
		}
		families[f] = append(families[f], r.Label)
	}
	families["others"] = readList(t, path("dga_wordlists", "others_dga.txt"))
	for f, l := range families {
		families[f] = uniq(l, nil)
	}

	trainBenign, testBenign := benignSplit(t, path)
	t.Logf("benign: %d trained on, %d tested against", len(trainBenign), len(testBenign))

	floor := map[string]float64{"conficker": 0.94, "cryptolocker": 0.99, "matsnu": 0.99, "pushdo": 0.90, "ramdo": 0.99,
		"rovnix": 0.93, "tinba": 0.99, "zeus": 0.99, "others": 0.96}
	start := time.Now()
	sum, weighted, n := 0.0, 0.0, 0
	for _, held := range names {
		var train []string
		for _, f := range names {
			if f != held {
				train = append(train, families[f]...)
			}
		}
		m, err := dgatrain.Train(dgatrain.Config{Benign: trainBenign, DGA: train, Generated: 10000, Source: "andrewaeva-dga (test)"})
		if err != nil {
			t.Fatal(err)
		}
		a := auc(scoreAll(m, families[held]), scoreAll(m, testBenign))
		sum += a
		weighted += a * float64(len(families[held]))
		n += len(families[held])
		t.Logf("held out %-12s %5d names; trained on %5d of the others: AUC %.4f", held, len(families[held]), len(train), a)
		if a < floor[held] {
			t.Errorf("%s held out: AUC %.4f < %.2f", held, a, floor[held])
		}
	}
	mean := sum / float64(len(names))
	t.Logf("leave-one-family-out over %d families: mean AUC %.4f, weighted by names %.4f (%v)", len(names), mean, weighted/float64(n), time.Since(start).Round(time.Millisecond))
	if mean < 0.970 {
		t.Errorf("mean held-out AUC %.4f < 0.970", mean)
	}
}

// benchLabels mixes real-looking and generated labels.
func benchLabels() []string {
	l := []string{"google", "facebook", "wikipedia", "stackoverflow", "scheepvaarttelefoongids", "bbc", "microsoftonline",
		"cloudfront", "d1a2b3c4d5", "nickelfreesolutions"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 22 {
		l = append(l, gen.Generate(rng))
	}
	return l
}

func TestScoreAllocs(t *testing.T) {
	m, err := dga.Default()
	if err != nil {
		t.Fatal(err)
	}
	labels := benchLabels()
	for _, l := range labels {
		want := 1 / (1 + math.Exp(-m.Raw(m.Extract(l))))
		if got := m.Score(l); math.Abs(got-want) > 1e-12 {
			t.Errorf("Score(%q) = %v, Raw(Extract) gives %v", l, got, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { m.Score(labels[3]) }); a != 0 {
		t.Errorf("Score allocates %v times", a)
	}
}

// BenchmarkScore measures one label's scoring (the detector's per-query cost
// when its cache misses).
func BenchmarkScore(b *testing.B) {
	m, err := dga.Default()
	if err != nil {
		b.Fatal(err)
	}
	labels := benchLabels()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Score(labels[i%len(labels)])
	}
}

// benignSplit is the hold-out tests' benign names, disjoint: trained on,
// OpenDNS's top domains and every other of its random ones; tested
// against, Alexa's top 1000 and the other random ones. path names a file
// of the andrewaeva-dga corpus.
func benignSplit(t *testing.T, path func(...string) string) (train, test []string) {
	t.Helper()
	random := uniq(readList(t, path("dga_wordlists", "opendns-random-domains.txt")), nil)
	var randomTrain, randomTest []string
	for i, l := range random {
		if i%2 == 0 {
			randomTrain = append(randomTrain, l)
		} else {
			randomTest = append(randomTest, l)
		}
	}
	test = uniq(append(readList(t, path("help", "1000domains", "alexa_1000.txt")), randomTest...), nil)
	train = uniq(append(readList(t, path("dga_wordlists", "opendns-top-domains.txt")), randomTrain...), set(test))
	return train, uniq(test, set(train))
}
