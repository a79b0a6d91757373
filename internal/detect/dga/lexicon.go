package dga

import (
	"math/bits"
	"strings"
)

// lexicon is a set of words, for segmenting labels: an open-addressing
// table of the 64-bit hashes of every word and every prefix of one.
type lexicon struct {
	// keys holds hash&^3 | flags: 1 a prefix of a word (every entry), 2 a
	// word. 0 is empty.
	keys   []uint64
	shift  uint
	maxLen int
}

const (
	lexOffset = 14695981039346656037
	lexPrime  = 1099511628211
)

func newLexicon(words string) *lexicon {
	ws := strings.Fields(words)
	n := 0
	maxLen := 0
	for _, w := range ws {
		n += len(w)
		maxLen = max(maxLen, len(w))
	}
	// Words share most prefixes (a word list of n letters has far fewer
	// than n distinct prefixes): start small, double when 70% full.
	for size := 1 << bits.Len(uint(n/2+16)); ; size *= 2 {
		if x := buildLexicon(ws, size, maxLen); x != nil {
			return x
		}
	}
}

// buildLexicon fills a table of size slots, or returns nil when the words
// fill more than 70% of it.
func buildLexicon(ws []string, size, maxLen int) *lexicon {
	x := &lexicon{keys: make([]uint64, size), shift: uint(64 - bits.Len(uint(size-1))), maxLen: maxLen}
	used, limit := 0, size*7/10
	for _, w := range ws {
		h := uint64(lexOffset)
		for i := 0; i < len(w); i++ {
			h = (h ^ uint64(w[i])) * lexPrime
			f := uint64(1)
			if i == len(w)-1 {
				f = 3
			}
			if x.insert(h, f) {
				if used++; used > limit {
					return nil
				}
			}
		}
	}
	return x
}

func (x *lexicon) slot(h uint64) uint64 { return (h * 0x9e3779b97f4a7c15) >> x.shift }

// insert adds the prefix whose hash is h, reporting whether it is new.
func (x *lexicon) insert(h, flags uint64) bool {
	k := h &^ 3
	mask := uint64(len(x.keys) - 1)
	for i := x.slot(h); ; i = (i + 1) & mask {
		switch {
		case x.keys[i] == 0:
			x.keys[i] = k | flags
			return true
		case x.keys[i]&^3 == k:
			x.keys[i] |= flags
			return false
		}
	}
}

// find returns the flags of the prefix whose hash is h, 0 if none.
func (x *lexicon) find(h uint64) uint64 {
	k := h &^ 3
	mask := uint64(len(x.keys) - 1)
	for i := x.slot(h); ; i = (i + 1) & mask {
		v := x.keys[i]
		if v == 0 {
			return 0
		}
		if v&^3 == k {
			return v & 3
		}
	}
}

// segStats describes a label's cheapest segmentation into lexicon words
// and unknown letters.
type segStats struct {
	letters, covered, words, maxUnk, longest, short int
}

const (
	maxSeg      = 64
	unknownCost = 1.0
	wordCost    = 1.4
)

// segment splits the label's letters into words of the lexicon and
// unknown letters, at the lowest cost (wordCost a word, unknownCost an
// unknown letter; other characters separate and cost nothing). It
// reads at most maxSeg characters and allocates nothing.
func (x *lexicon) segment(label string) segStats {
	n := min(len(label), maxSeg)
	var (
		cost [maxSeg + 1]float32
		from [maxSeg + 1]int8
		word [maxSeg + 1]bool
	)
	for j := 1; j <= n; j++ {
		cost[j] = 1e9
	}
	for i := 0; i < n; i++ {
		c := label[i]
		letter := c >= 'a' && c <= 'z'
		step := float32(0)
		if letter {
			step = unknownCost
		}
		if v := cost[i] + step; v < cost[i+1] {
			cost[i+1], from[i+1], word[i+1] = v, int8(i), false
		}
		if !letter || x == nil {
			continue
		}
		h := uint64(lexOffset)
		for j := i; j < n && j-i < x.maxLen; j++ {
			c := label[j]
			if c < 'a' || c > 'z' {
				break
			}
			h = (h ^ uint64(c)) * lexPrime
			f := x.find(h)
			if f == 0 {
				break
			}
			if f&2 != 0 {
				if v := cost[i] + wordCost; v < cost[j+1] {
					cost[j+1], from[j+1], word[j+1] = v, int8(i), true
				}
			}
		}
	}
	var s segStats
	unk := 0
	for j := n; j > 0; {
		i := int(from[j])
		switch {
		case word[j]:
			s.words++
			s.covered += j - i
			s.letters += j - i
			s.longest = max(s.longest, j-i)
			if j-i <= 3 {
				s.short++
			}
			unk = 0
		case label[i] >= 'a' && label[i] <= 'z':
			s.letters++
			unk++
			s.maxUnk = max(s.maxUnk, unk)
		default:
			unk = 0
		}
		j = i
	}
	return s
}
