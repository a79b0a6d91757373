package dga

import "math"

// fitLM estimates the benign character trigram model from the labels not
// skipped: each order's counts are interpolated with the order below it
// (add-k smoothing towards the lower order's probability, k = lmMix), so
// that pairs and triples never seen keep a probability from their parts.
func fitLM(labels []string, skip []bool) []int16 {
	const S = lmSize
	var uni [S]float64
	var bi [S][S]float64
	tri := make([]float64, S*S*S)
	for i, l := range labels {
		if skip[i] {
			continue
		}
		a, b := 0, 0
		for j := 0; j <= len(l); j++ {
			c := 0
			if j < len(l) {
				c = lmIndex(l[j])
			}
			uni[c]++
			bi[b][c]++
			tri[(a*S+b)*S+c]++
			a, b = b, c
		}
	}
	const lmMix = 4.0
	total := 0.0
	for _, v := range uni {
		total += v
	}
	var p1 [S]float64
	for c := range p1 {
		p1[c] = (uni[c] + 1) / (total + S)
	}
	var p2 [S][S]float64
	for b := range S {
		row := 0.0
		for _, v := range bi[b] {
			row += v
		}
		for c := range S {
			p2[b][c] = (bi[b][c] + lmMix*p1[c]) / (row + lmMix)
		}
	}
	out := make([]int16, S*S*S)
	for a := range S {
		for b := range S {
			row := 0.0
			for c := range S {
				row += tri[(a*S+b)*S+c]
			}
			for c := range S {
				p := (tri[(a*S+b)*S+c] + lmMix*p2[b][c]) / (row + lmMix)
				out[(a*S+b)*S+c] = int16(math.Round(math.Max(math.Log(p), -300) * 100))
			}
		}
	}
	return out
}

// MaxGram is the longest n-gram Train hashes.
const MaxGram = 4

// lmFolds is the number of parts in the cross-fitting of LM features.
const lmFolds = 5

// TrainOptions are Train's settings beyond the examples.
type TrainOptions struct {
	// Lexicon is the words (space-separated) labels are segmented into.
	Lexicon string
	// Buckets and Epochs size the logistic regression over n-grams.
	Buckets, Epochs int
	// Trees boosted trees of Depth levels, each shrunk by Rate, are fitted
	// twice (see Train) on the dense features and the regression's score;
	// 0 Trees: none.
	Trees, Depth int
	Rate         float64
	// Groups, if not nil, gives each label a group (a generator, a DGA
	// family): the second cross-fitting of the regression keeps a group's
	// labels in one part.
	Groups []int
	// Source says what the model was trained on.
	Source string
}

// linFolds is the number of parts in the cross-fittings of the
// regression's scores the trees are fitted on.
const linFolds = 4

// Train fits a model on labelled labels (isDGA true for generated ones):
// the benign labels' trigram model (LM), then the logistic regression by
// stochastic gradient descent, then boosted trees that correct its
// log-odds from the dense features and the log-odds themselves. It is
// deterministic for given inputs.
//
// The LM features of the training labels are cross-fitted: each label's
// come from an LM fitted without the fifth of the labels it is in, so that
// benign training labels do not look likelier than unseen benign names
// (without this the regression leans on the LM too much). The model keeps
// the LM of all benign labels.
//
// So are the regression scores the trees learn from, twice: each label's
// comes from a regression fitted without the quarter of the labels it is
// in — once a quarter drawn at random, once a quarter of the groups, so
// that the labels of a generator or family score as an unseen family's
// would (with the regression knowing nothing of it). The model's trees are
// the two sets, each at half weight: the first alone trusts the regression
// too much on unseen families, the second too little.
func Train(labels []string, isDGA []bool, o TrainOptions) *Model {
	m := &Model{Source: o.Source, Buckets: o.Buckets, MaxGram: MaxGram, Lexicon: o.Lexicon, lex: newLexicon(o.Lexicon)}
	feats := make([]Features, len(labels))
	for k := 0; k < lmFolds; k++ {
		skip := make([]bool, len(labels))
		for i := range labels {
			skip[i] = isDGA[i] || i%lmFolds == k
		}
		m.LM = fitLM(labels, skip)
		for i := k; i < len(labels); i += lmFolds {
			feats[i] = m.Extract(labels[i])
		}
	}
	m.LM = fitLM(labels, isDGA)
	y := make([]float64, len(labels))
	for i, d := range isDGA {
		if d {
			y[i] = 1
		}
	}
	all := make([]int, len(labels))
	for i := range all {
		all[i] = i
	}
	fitLinear(m, feats, y, all, o.Epochs)
	if o.Trees <= 0 {
		return m
	}
	random := make([]int, len(labels))
	for i := range random {
		random[i] = i % linFolds
	}
	sets := [][]int{random}
	if o.Groups != nil {
		sets = append(sets, o.Groups)
	}
	var feat []uint8
	var cut, leaf []float64
	for _, parts := range sets {
		x := make([][treeInputs]float64, len(labels))
		for k := 0; k < linFolds; k++ {
			var in []int
			for i, p := range parts {
				if p%linFolds != k {
					in = append(in, i)
				}
			}
			sub := &Model{Buckets: o.Buckets, MaxGram: MaxGram}
			fitLinear(sub, feats, y, in, o.Epochs)
			for i, p := range parts {
				if p%linFolds == k {
					x[i] = treeInput(sub.linear(feats[i].Grams, &feats[i].Dense), &feats[i].Dense)
				}
			}
		}
		t := fitTrees(x, y, o.Trees, o.Depth, o.Rate)
		feat, cut, leaf = append(feat, t.TreeFeat...), append(cut, t.TreeCut...), append(leaf, t.TreeLeaf...)
	}
	w := 1 / float64(len(sets))
	for i := range leaf {
		leaf[i] = math.Round(leaf[i]*w*1e4) / 1e4
	}
	m.TreeDepth, m.TreeFeat, m.TreeCut, m.TreeLeaf = o.Depth, feat, cut, leaf
	return m
}

// fitLinear fits the logistic regression of m on the examples idx.
func fitLinear(m *Model, feats []Features, y []float64, idx []int, epochs int) {
	m.Weights, m.Dense, m.Bias = make([]float64, m.Buckets), make([]float64, denseFeatures), 0
	const l2 = 1e-5
	order := append([]int(nil), idx...)
	seed := uint64(1)
	for e := 0; e < epochs; e++ {
		rate := 0.5 / (1 + float64(e)*0.3)
		for i := len(order) - 1; i > 0; i-- { // deterministic shuffle
			seed = seed*6364136223846793005 + 1442695040888963407
			j := int(seed>>33) % (i + 1)
			order[i], order[j] = order[j], order[i]
		}
		for _, i := range order {
			f := &feats[i]
			g := 1/(1+math.Exp(-m.linear(f.Grams, &f.Dense))) - y[i]
			norm := 1 / math.Sqrt(float64(max(len(f.Grams), 1)))
			for _, b := range f.Grams {
				m.Weights[b] -= rate * (g*norm + l2*m.Weights[b])
			}
			for k, v := range f.Dense {
				m.Dense[k] -= rate * (g*v + l2*m.Dense[k])
			}
			m.Bias -= rate * g
		}
	}
	for i := range m.Weights {
		m.Weights[i] = math.Round(m.Weights[i]*1e4) / 1e4
	}
	for i := range m.Dense {
		m.Dense[i] = math.Round(m.Dense[i]*1e4) / 1e4
	}
	m.Bias = math.Round(m.Bias*1e4) / 1e4
}
