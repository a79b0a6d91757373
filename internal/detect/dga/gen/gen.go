// Package gen generates algorithmically generated domain labels for
// training and testing the DGA model: random letters (short and long),
// random letters and digits, hex strings, pronounceable consonant-vowel
// strings and syllables, and concatenated English words (of its own list,
// or of a word list given to Concat). The generators are Vigil's own.
package gen

import (
	"math/rand/v2"
	"strings"
)

const (
	letters    = "abcdefghijklmnopqrstuvwxyz"
	alnum      = "abcdefghijklmnopqrstuvwxyz0123456789"
	hexDigits  = "0123456789abcdef"
	consonants = "bcdfghjklmnpqrstvwxz"
	vowels     = "aeiouy"
)

// words are common English nouns for the word-list generator. (Earlier
// versions also listed words taken from the matsnu and rovnix samples of the
// test corpus — a leak into training, removed.)
var words = strings.Fields(`time year people way day man thing woman life child world school state family student
group country problem hand part place case week company system program question work government number night
point home water room mother area money story fact month lot right study book eye job word business issue side
kind head house service friend father power hour game line end member law car city community name president team
minute idea kid body information back parent face others level office door health person art war history party
result change morning reason research girl guy moment air teacher force education foot boy age policy process
music market sense nation plan college interest death experience effect class control care field development role
effort rate heart drug show leader light voice wife police mind price report decision son view relationship town
road arm difference value building action model season society tax director position player record paper space
ground form event official matter center couple site project activity star table need court oil situation cost
industry figure street image phone data picture practice piece land product doctor wall patient worker news test
movie north love support technology step baby computer type attention film tree source organization hair window`)

// Generate returns one algorithmically generated label.
func Generate(rng *rand.Rand) string {
	l, _ := GenerateKind(rng)
	return l
}

// GenerateKind is Generate, also returning which generator made the label.
func GenerateKind(rng *rand.Rand) (string, int) {
	k := rng.IntN(genKinds)
	return generate(rng, k), k
}

func generate(rng *rand.Rand, kind int) string {
	switch kind {
	case 6: // short random letters
		return randomFrom(rng, letters, 5+rng.IntN(7))
	case 7: // syllables: consonant-vowel, consonant-vowel-consonant, vowel-consonant
		return syllables(rng, 6+rng.IntN(8))
	case 0:
		return randomFrom(rng, letters, 5+rng.IntN(16))
	case 1:
		return randomFrom(rng, alnum, 8+rng.IntN(24))
	case 2:
		return randomFrom(rng, hexDigits, 8+rng.IntN(25))
	case 3: // pronounceable: consonants and vowels, mostly alternating
		n := 6 + rng.IntN(10)
		b := make([]byte, n)
		vowel := rng.IntN(2) == 0
		for i := range b {
			if vowel {
				b[i] = vowels[rng.IntN(len(vowels))]
			} else {
				b[i] = consonants[rng.IntN(len(consonants))]
			}
			if rng.Float64() < 0.75 {
				vowel = !vowel
			}
		}
		return string(b)
	case 4:
		var b strings.Builder
		for n := 2 + rng.IntN(3); n > 0; n-- {
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	return randomFrom(rng, letters, 12+rng.IntN(10))
}

const genKinds = 8

// syllables returns a pronounceable label of about n letters made of
// random syllables.
func syllables(rng *rand.Rand, n int) string {
	b := make([]byte, 0, n+3)
	for len(b) < n {
		switch rng.IntN(4) {
		case 0, 1:
			b = append(b, consonants[rng.IntN(len(consonants))], vowels[rng.IntN(len(vowels))])
		case 2:
			b = append(b, consonants[rng.IntN(len(consonants))], vowels[rng.IntN(len(vowels))], consonants[rng.IntN(len(consonants))])
		default:
			b = append(b, vowels[rng.IntN(len(vowels))], consonants[rng.IntN(len(consonants))])
		}
	}
	return string(b)
}

func randomFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// Concat returns from to to words of list run together.
func Concat(rng *rand.Rand, list []string, from, to int) string {
	var b strings.Builder
	for n := from + rng.IntN(to-from+1); n > 0; n-- {
		b.WriteString(list[rng.IntN(len(list))])
	}
	return b.String()
}
