package dga

import (
	"math/bits"
	"strings"
	"sync"
)

// The shipped lexicon's table is filled on demand. Building all of it
// took most of the start-up (168k prefixes of 72k words), while a capture
// scores few distinct labels (the benchmark's 234 need the words of 317
// three-letter beginnings, a tenth of the list). Its list is sorted
// (TestShippedLexiconSorted), so the words that begin with three given
// letters lie together and are found by bisection.
//
// What segment finds is what the full table gives: segment walks the
// letters from each i while the table holds them as a prefix, and notes
// the words. Before it walks, ensure adds the words that begin with
// label[i:i+3] (with all their prefixes) and the words label[i:i+1] and
// label[i:i+2]: every word the walk can meet. A prefix of those is held
// as in the full table; any other prefix the walk may meet or not before
// it stops begins no word it could reach. Walks are no longer cut at the
// longest word (lazyMaxLen): a longer string is no prefix in the table.

// lazyWords is a lexicon's sorted word list and which of its parts the
// table holds.
type lazyWords struct {
	mu    sync.Mutex // segment holds it: the models are shared by workers
	words string     // sorted, single-spaced, of printable ASCII
	free  int        // the prefixes the table takes before it is 70% full
	// most is the largest table the words grow into (the size newLexicon
	// tries first for the whole list); past it the table is built whole.
	most int
	// added has a bit per shortWordID and bucketID that the table holds.
	added [(lazyBuckets + 63) / 64]uint64
	// all is set when the table holds every word (added no longer read).
	all bool
}

const (
	// lazyBuckets counts the ids: the 26 one-letter and 676 two-letter
	// words, then the 17576 three-letter beginnings.
	lazyBuckets = 26 + 26*26 + 26*26*26
	// lazyMaxLen is a lazy table's maxLen: a label's letters are walked
	// until the table holds no prefix (see segment's maxSeg).
	lazyMaxLen = maxSeg
)

// newLazyLexicon returns an empty table for a sorted, single-spaced list
// of printable ASCII words (the shipped lexicon). It starts small
// (lazyFirstSize slots) and doubles as the words it takes fill it, up to
// the size newLexicon would try first for the whole list: the full list
// fits that (TestShippedLexiconSorted); should another not, the table is
// built whole, larger (ensure). A full-size table from the start (4 MiB
// for the shipped list) had every page of it touched by the few words a
// capture needs, scattered over it: a thousand page faults, 1% of the
// benchmark capture's whole analysis on a VM (docs/PERFORMANCE.md).
func newLazyLexicon(words string) *lexicon {
	most := 1 << bits.Len(uint(len(words)/2+16))
	size := min(lazyFirstSize, most)
	x := newTable(size)
	x.maxLen = lazyMaxLen
	x.lazy = &lazyWords{words: words, free: size * 7 / 10, most: most}
	return x
}

// lazyFirstSize is the slots of a lazy table before it grows: the
// benchmark capture's labels need some 12,000 prefixes.
const lazyFirstSize = 1 << 12

// ensure adds the words segment may meet in label (letters a to z),
// holding x.lazy.mu.
func (x *lexicon) ensure(label string) {
	lz := x.lazy
	for i := 0; i < len(label) && !lz.all; i++ {
		a := label[i] - 'a'
		if a >= 26 {
			continue
		}
		x.addPart(int(a), label[i:i+1], false)
		if i+1 == len(label) || label[i+1]-'a' >= 26 {
			continue
		}
		b := label[i+1] - 'a'
		x.addPart(26+int(a)*26+int(b), label[i:i+2], false)
		if i+2 == len(label) || label[i+2]-'a' >= 26 {
			continue
		}
		x.addPart(26+26*26+(int(a)*26+int(b))*26+int(label[i+2]-'a'), label[i:i+3], true)
	}
}

// addPart adds, unless id's bit says it was, the word w (bucket false)
// or the words that begin with w (bucket true).
func (x *lexicon) addPart(id int, w string, bucket bool) {
	lz := x.lazy
	if lz.added[id/64]&(1<<(id%64)) != 0 {
		return
	}
	lz.added[id/64] |= 1 << (id % 64)
	lo := lowerBound(lz.words, w)
	hi := min(lo+len(w), len(lz.words))
	if bucket {
		hi = lowerBound(lz.words, w[:len(w)-1]+string(w[len(w)-1]+1))
	} else if lz.words[lo:hi] != w || hi < len(lz.words) && lz.words[hi] != ' ' {
		return // not a word
	}
	for {
		free, plain := x.addSpaced(lz.words[lo:hi], lz.free)
		lz.free = free
		switch {
		case !plain:
			x.addAll()
		case free < 0 && len(x.keys) < lz.most:
			// Adding the words again after growing is safe: the
			// prefixes held are found, not added (nor counted) twice.
			x.grow()
			continue
		case free < 0:
			x.addAll()
		}
		return
	}
}

// grow doubles the table, its prefixes placed again.
func (x *lexicon) grow() {
	held := len(x.keys)*7/10 - x.lazy.free
	old := x.keys
	x.keys, x.shift = make([]uint64, 2*len(old)), x.shift-1
	mask := uint64(len(x.keys) - 1)
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := x.slot(k)
		for x.keys[i] != 0 {
			i = (i + 1) & mask
		}
		x.keys[i] = k
	}
	x.lazy.free = len(x.keys)*7/10 - held
}

// addAll replaces the table by the whole lexicon's, for a list that
// outgrows it.
func (x *lexicon) addAll() {
	full := newLexicon(x.lazy.words)
	x.keys, x.shift = full.keys, full.shift
	x.lazy.all = true
}

// lowerBound returns where the first word of the sorted, single-spaced
// list not less than key starts (len(words) if none), by bisection.
func lowerBound(words, key string) int {
	lo, hi := 0, len(words) // word starts; the answer is in [lo, hi]
	for lo < hi {
		m := lo + (hi-lo)/2
		for m > lo && words[m-1] != ' ' {
			m-- // to the start of the word m is in
		}
		end := hi
		if i := strings.IndexByte(words[m:hi], ' '); i >= 0 {
			end = m + i
		}
		if words[m:end] < key {
			lo = min(end+1, hi)
		} else {
			hi = m
		}
	}
	return lo
}
