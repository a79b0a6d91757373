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

// Train fits a model on labelled labels (isDGA true for generated ones):
// the benign labels' trigram model (LM), then the logistic regression by
// stochastic gradient descent. It is deterministic for given inputs.
//
// The LM features of the training labels are cross-fitted: each label's
// come from an LM fitted without the fifth of the labels it is in, so that
// benign training labels do not look likelier than unseen benign names
// (without this the regression leans on the LM too much). The model keeps
// the LM of all benign labels.
func Train(labels []string, isDGA []bool, buckets, epochs int, source string) *Model {
	m := &Model{Source: source, Buckets: buckets, MaxGram: MaxGram, Weights: make([]float64, buckets), Dense: make([]float64, denseFeatures)}
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
	const l2 = 1e-5
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
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
			y := 0.0
			if isDGA[i] {
				y = 1
			}
			g := 1/(1+math.Exp(-m.raw(f.Grams, &f.Dense))) - y
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
	return m
}
