package dga

import (
	"math"
	"sync"
)

// Shared returns the shipped model (Default), decoded once for the
// process: detectors that read it share it (a Model is not changed by
// scoring).
var Shared = sync.OnceValues(Default)

// CharLogLikelihood returns the mean natural log-probability per
// character of s under the model's trigram model of benign labels, the end
// included, upper case read as lower case: about -2 to -3.5 for words and
// names made of them, -4.5 to -7 for random characters (hex, base32,
// base64) of 16 or more. Unlike Shannon entropy it does not grow with the
// length. Dots are label ends. It allocates nothing.
func (m *Model) CharLogLikelihood(s string) float64 {
	if len(m.LM) != lmSize*lmSize*lmSize {
		return 0
	}
	a, b, sum := 0, 0, 0.0
	for i := 0; i <= len(s); i++ {
		ci := 0
		if i < len(s) && s[i] != '.' {
			c := s[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			ci = lmIndex(c)
		}
		sum += float64(m.LM[(a*lmSize+b)*lmSize+ci])
		a, b = b, ci
		if ci == 0 {
			a = 0
		}
	}
	return sum / 100 / float64(len(s)+1)
}

// Explain returns, for an alert, the few features of a label an analyst
// can check by hand, in their own units: its length, Shannon entropy
// (bits per character), mean log-likelihood per character under the
// benign trigram model (CharLogLikelihood's measure; lower is stranger)
// and the share of its letters in lexicon words.
func (m *Model) Explain(label string) map[string]float64 {
	_, f := m.features(label, nil)
	r := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	return map[string]float64{
		"length": float64(len(label)), "entropy": r(f[1] * 4),
		"lm_per_char": r(f[6] * 5), "lexicon_share": r(f[13]),
	}
}
