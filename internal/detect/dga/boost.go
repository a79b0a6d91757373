package dga

import (
	"math"
	"sort"
)

// treeInputs are the values the boosted trees read: the dense features and
// the regression's log-odds.
const treeInputs = denseFeatures + 1

func treeInput(lin float64, dense *[denseFeatures]float64) (x [treeInputs]float64) {
	copy(x[:], dense[:])
	x[denseFeatures] = lin
	return x
}

// trees returns the model's log-odds for x: the regression's corrected by
// the boosted trees.
func (m *Model) trees(x *[treeInputs]float64) float64 {
	d := m.TreeDepth
	inner, leaves := 1<<d-1, 1<<d
	feat, cut, leaf := m.TreeFeat, m.TreeCut, m.TreeLeaf
	z := x[denseFeatures]
	if d == 3 {
		for t := 0; (t+1)*8 <= len(leaf); t++ {
			f, c := feat[t*7:t*7+7:t*7+7], cut[t*7:t*7+7:t*7+7]
			j := gt(x[f[0]%treeInputs], c[0])
			n := 1 + j
			j = 2*j + gt(x[f[n]%treeInputs], c[n])
			n = 3 + j&3
			j = 2*j + gt(x[f[n]%treeInputs], c[n])
			z += leaf[t*8+j&7]
		}
		return z
	}
	for t := 0; (t+1)*leaves <= len(leaf); t++ {
		f, c := feat[t*inner:(t+1)*inner], cut[t*inner:(t+1)*inner]
		j := 0
		for l := 0; l < d; l++ {
			n := 1<<l - 1 + j
			j *= 2
			if x[f[n]%treeInputs] > c[n] {
				j++
			}
		}
		z += leaf[t*leaves+j]
	}
	return z
}

// gt is 1 if a > b, else 0.
func gt(a, b float64) int {
	r := 0
	if a > b {
		r = 1
	}
	return r
}

const (
	maxBins    = 64
	treeLambda = 1.0
	minHess    = 2.0
)

// treeSet is boosted trees, laid out as in Model.
type treeSet struct {
	TreeFeat []uint8
	TreeCut  []float64
	TreeLeaf []float64
}

// fitTrees fits n boosted trees of the given depth to examples x with
// labels y, starting from the regression's log-odds (x's last value), by
// Newton steps on the log-loss over binned values (at most maxBins a
// feature, cut at quantiles).
func fitTrees(x [][treeInputs]float64, y []float64, n, depth int, rate float64) (m treeSet) {
	N := len(x)
	cuts := make([][]float64, treeInputs)
	bins := make([][treeInputs]uint8, N)
	col := make([]float64, N)
	for f := range treeInputs {
		for i := range x {
			col[i] = x[i][f]
		}
		sort.Float64s(col)
		var c []float64
		for b := 1; b < maxBins; b++ {
			lo, hi := col[b*N/maxBins-1], col[b*N/maxBins]
			if lo < hi && (len(c) == 0 || c[len(c)-1] < lo) {
				c = append(c, lo+(hi-lo)/2)
			}
		}
		cuts[f] = c
		for i := range x {
			// The bin is the number of cuts below the value.
			bins[i][f] = uint8(sort.SearchFloat64s(c, x[i][f]))
		}
	}
	score := make([]float64, N)
	for i := range score {
		score[i] = x[i][denseFeatures]
	}
	g, h := make([]float64, N), make([]float64, N)
	node := make([]int32, N)
	inner, leaves := 1<<depth-1, 1<<depth
	type gh struct{ g, h float64 }
	hist := make([]gh, leaves*treeInputs*maxBins)
	for t := 0; t < n; t++ {
		for i := range score {
			p := 1 / (1 + math.Exp(-score[i]))
			g[i], h[i] = p-y[i], max(p*(1-p), 1e-6)
			node[i] = 0
		}
		feat, cut := make([]uint8, inner), make([]float64, inner)
		for l := 0; l < depth; l++ {
			nodes := 1 << l
			clear(hist[:nodes*treeInputs*maxBins])
			for i := range bins {
				base := int(node[i]) * treeInputs * maxBins
				for f, b := range bins[i] {
					e := &hist[base+f*maxBins+int(b)]
					e.g += g[i]
					e.h += h[i]
				}
			}
			for j := 0; j < nodes; j++ {
				best, bf, bk := 0.0, 0, -1
				for f := range treeInputs {
					hs := hist[(j*treeInputs+f)*maxBins:][:maxBins]
					var G, H float64
					for _, e := range hs {
						G += e.g
						H += e.h
					}
					parent := G * G / (H + treeLambda)
					var gl, hl float64
					for k := 0; k < len(cuts[f]); k++ {
						gl += hs[k].g
						hl += hs[k].h
						gr, hr := G-gl, H-hl
						if hl < minHess || hr < minHess {
							continue
						}
						if gain := gl*gl/(hl+treeLambda) + gr*gr/(hr+treeLambda) - parent; gain > best {
							best, bf, bk = gain, f, k
						}
					}
				}
				n := nodes - 1 + j
				if bk < 0 {
					feat[n], cut[n] = 0, math.MaxFloat64 // no split: all go left
				} else {
					feat[n], cut[n] = uint8(bf), cuts[bf][bk]
				}
			}
			for i := range bins {
				n := nodes - 1 + int(node[i])
				r := int32(0)
				if x[i][feat[n]] > cut[n] {
					r = 1
				}
				node[i] = 2*node[i] + r
			}
		}
		G, H := make([]float64, leaves), make([]float64, leaves)
		for i := range node {
			G[node[i]] += g[i]
			H[node[i]] += h[i]
		}
		leaf := make([]float64, leaves)
		for j := range leaf {
			leaf[j] = math.Round(-G[j]/(H[j]+treeLambda)*rate*1e4) / 1e4
		}
		for i := range score {
			score[i] += leaf[node[i]]
		}
		m.TreeFeat = append(m.TreeFeat, feat...)
		m.TreeCut = append(m.TreeCut, cut...)
		m.TreeLeaf = append(m.TreeLeaf, leaf...)
	}
	return m
}
