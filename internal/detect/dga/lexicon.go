package dga

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// lexicon is a set of words, for segmenting labels: an open-addressing
// table of the 64-bit hashes of every word and every prefix of one.
type lexicon struct {
	// keys holds hash&^3 | flags: 1 a prefix of a word (every entry), 2 a
	// word. 0 is empty.
	keys   []uint64
	shift  uint
	maxLen int
	// lazy, for the shipped lexicon, holds its sorted word list, of which
	// keys holds only the words segment has needed (lexicon_lazy.go).
	lazy *lazyWords
}

const (
	lexOffset = 14695981039346656037
	lexPrime  = 1099511628211
)

// newLexicon builds the table of the words (separated by white space, as
// strings.Fields splits them).
func newLexicon(words string) *lexicon {
	// Words share most prefixes (a word list of n bytes has far fewer
	// than n distinct prefixes): start small, double when 70% full.
	for size := 1 << bits.Len(uint(len(words)/2+16)); ; size *= 2 {
		if x := buildLexicon(words, size); x != nil {
			return x
		}
	}
}

// buildLexicon fills a table of size slots with the words, or returns nil
// when they fill more than 70% of it. Words separated by single spaces
// and made of printable ASCII (the shipped lexicon) are read in one pass
// (buildSpaced); any other list is split as strings.Fields does.
func buildLexicon(words string, size int) *lexicon {
	if x, plain := buildSpaced(words, size); plain {
		return x
	}
	return buildFields(words, size)
}

// buildFields is buildLexicon for any list, split as strings.Fields does.
func buildFields(words string, size int) *lexicon {
	b := newLexiconBuild(size)
	for rest := words; ; {
		var w string
		if w, rest = nextWord(rest); w == "" {
			return b.x
		}
		if !b.add(w) {
			return nil
		}
	}
}

// buildSpaced is buildLexicon for words of printable ASCII but the space
// ('!' to '~') of at most maxSpacedWord bytes, cut at spaces; plain is
// false (and the table to be dropped) when the list holds another byte or
// a longer word, which buildFields must take.
func buildSpaced(words string, size int) (x *lexicon, plain bool) {
	x = newTable(size)
	free, plain := x.addSpaced(words, size*7/10)
	if !plain || free < 0 {
		return nil, plain
	}
	return x, true
}

// addSpaced adds the words of a buildSpaced list to the table, which
// takes free more prefixes before it is 70% full; it returns how many it
// takes after them, negative when it stopped at that, and plain as
// buildSpaced. It reads the list once, in place: the prefix a word shares
// with the word before it (most of a sorted list) is compared eight bytes
// at a time and not hashed or inserted again, and the word's last prefix
// is marked a word in the slot remembered for it, without probing again.
// (Its loop keeps the table in locals: through x, the compiler reloads it
// at every store.)
func (x *lexicon) addSpaced(words string, free int) (left int, plain bool) {
	keys, shift := x.keys, x.shift
	mask := uint64(len(keys) - 1)
	// hashes[k], slots[k]: the hash and slot of the word's first k+1
	// bytes (those it shares with the word before are left from that one).
	var hashes, slots [maxSpacedWord]uint64
	prev, prevLen, maxLen := 0, 0, x.maxLen // where the word before starts, its length
	for p := 0; p < len(words); {
		if words[p] == ' ' {
			p++ // a run of spaces
			continue
		}
		start := p
		k := sharedPrefix(words, prev, p, prevLen)
		h := uint64(lexOffset)
		if k > 0 {
			h = hashes[k-1]
		}
		for p += k; p < len(words); p++ {
			c := words[p]
			if c == ' ' {
				break
			}
			if c-'!' > '~'-'!' || k == maxSpacedWord {
				return free, false
			}
			h = (h ^ uint64(c)) * lexPrime
			key := h &^ 3
			i := (key * lexSlotMul) >> shift
			for keys[i] != 0 && keys[i]&^3 != key {
				i = (i + 1) & mask
			}
			if keys[i] == 0 {
				keys[i] = key | 1
				if free--; free < 0 {
					return free, true
				}
			}
			hashes[k], slots[k] = h, i
			k++
		}
		keys[slots[k-1]] |= 2
		maxLen = max(maxLen, k)
		prev, prevLen = start, k
	}
	x.maxLen = maxLen
	return free, true
}

// maxSpacedWord is the longest word buildSpaced takes (the shipped
// lexicon's longest has 15 bytes).
const maxSpacedWord = 64

// sharedPrefix returns how many of the n bytes of the word at a in s
// (which ends before b) the word at b starts with. Both are compared
// eight bytes at a time where s holds eight from b on; the words differ
// at the latest where the first one ends, its space against a byte of
// the second or the second's end (unless they are the same word: hence
// the cap at n).
func sharedPrefix(s string, a, b, n int) int {
	k := 0
	for k < n && b+k+8 <= len(s) {
		if d := load64(s, a+k) ^ load64(s, b+k); d != 0 {
			return min(k+bits.TrailingZeros64(d)/8, n)
		}
		k += 8
	}
	for k < n && b+k < len(s) && s[a+k] == s[b+k] {
		k++
	}
	return min(k, n)
}

// load64 returns the eight bytes of s from i on, little-endian (the
// compiler makes it one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// lexiconBuild is a lexicon table being filled, word by word.
type lexiconBuild struct {
	x      *lexicon
	free   int      // the prefixes it takes before it is 70% full
	prev   string   // the word added last
	hashes []uint64 // hashes[k]: the hash of prev[:k+1]
}

func newLexiconBuild(size int) *lexiconBuild {
	return &lexiconBuild{x: newTable(size), free: size * 7 / 10}
}

// newTable returns an empty lexicon of size slots, a power of two.
func newTable(size int) *lexicon {
	return &lexicon{keys: make([]uint64, size), shift: uint(64 - bits.Len(uint(size-1)))}
}

// add inserts word w's prefixes, reporting false when the table gets more
// than 70% full. A prefix w shares with the word before it is in the table
// already and is not inserted again (a sorted word list shares most),
// which leaves the table as inserting every prefix would.
func (b *lexiconBuild) add(w string) bool {
	x := b.x
	x.maxLen = max(x.maxLen, len(w))
	// The first new prefix; a word that is a prefix of the one before
	// still marks its last as a word.
	i := min(commonPrefix(w, b.prev), len(w)-1)
	hashes := b.hashes[:i]
	h := uint64(lexOffset)
	if i > 0 {
		h = hashes[i-1]
	}
	for ; i < len(w); i++ {
		h = (h ^ uint64(w[i])) * lexPrime
		hashes = append(hashes, h)
		f := uint64(1)
		if i == len(w)-1 {
			f = 3
		}
		if x.insert(h, f) {
			if b.free--; b.free < 0 {
				return false
			}
		}
	}
	b.prev, b.hashes = w, hashes
	return true
}

// nextWord returns the first word of s and what follows it, as
// strings.Fields splits s; the word is "" when s holds none. ASCII bytes
// (all of the shipped lexicon) are judged without decoding runes.
func nextWord(s string) (word, rest string) {
	i := 0
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if !asciiSpace(c) {
				break
			}
			i++
			continue
		}
		n := spaceLen(s[i:])
		if n == 0 {
			break
		}
		i += n
	}
	j := i
	for j < len(s) {
		j += printableLen(s[j:])
		if j == len(s) {
			break
		}
		if c := s[j]; c < utf8.RuneSelf {
			if asciiSpace(c) {
				break
			}
			j++
			continue
		}
		if spaceLen(s[j:]) > 0 {
			break
		}
		_, n := utf8.DecodeRuneInString(s[j:])
		j += n
	}
	return s[i:j], s[j:]
}

// printableLen returns how many bytes s starts with that are printable
// ASCII but the space ('!' to '~'): the bytes of most words.
func printableLen(s string) int {
	for k := 0; k < len(s); k++ {
		if s[k]-'!' > '~'-'!' {
			return k
		}
	}
	return len(s)
}

// asciiSpace reports whether c is ASCII white space: ' ', \t, \n, \v,
// \f or \r.
func asciiSpace(c byte) bool { return c == ' ' || c-'\t' <= '\r'-'\t' }

// spaceLen returns the length of the white space rune s starts with, 0
// when it starts with another.
func spaceLen(s string) int {
	if c := s[0]; c < utf8.RuneSelf {
		if asciiSpace(c) {
			return 1
		}
		return 0
	}
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsSpace(r) {
		return n
	}
	return 0
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// lexSlotMul spreads a hash's bits to the top ones, which pick its slot.
const lexSlotMul = 0x9e3779b97f4a7c15

// slot is where the prefix whose hash is h is looked for first. It reads
// the bits a key keeps (not the two flags), so that a table can be grown
// from its keys alone (lexicon.grow).
func (x *lexicon) slot(h uint64) uint64 { return ((h &^ 3) * lexSlotMul) >> x.shift }

// insert adds the prefix whose hash is h, reporting whether it is new.
func (x *lexicon) insert(h, flags uint64) bool {
	i, added := x.place(h)
	x.keys[i] |= flags
	return added
}

// place returns the slot of the prefix whose hash is h, adding it (as a
// prefix, flag 1) when absent; added reports whether it was.
func (x *lexicon) place(h uint64) (slot int, added bool) {
	k := h &^ 3
	mask := uint64(len(x.keys) - 1)
	for i := x.slot(h); ; i = (i + 1) & mask {
		switch {
		case x.keys[i] == 0:
			x.keys[i] = k | 1
			return int(i), true
		case x.keys[i]&^3 == k:
			return int(i), false
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
	if x != nil && x.lazy != nil {
		x.lazy.mu.Lock()
		defer x.lazy.mu.Unlock()
		x.ensure(label[:n])
	}
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
