package dga

import (
	"slices"
	"testing"
)

// TestSpacedBuildAsFields checks that the one-pass build of a spaced list
// leaves the table the general build (words split as strings.Fields does)
// leaves: the shipped lexicon, and lists with runs of spaces, repeated
// words, words that are prefixes of the one before or after, unsorted
// words and words past eight bytes that share more than eight.
func TestSpacedBuildAsFields(t *testing.T) {
	lists := []string{
		shipped.Lexicon,
		"",
		" ",
		"a",
		"  ab  ab abc ab abcdefghijklmnop abcdefghijklmnopq abcdefghijklmno abcdefghijklmnoq zz ",
		"zebra apple app apple applesauce applesauces applesauce b",
		"internationalisation internationalization international intern internationalisations",
		"x y z xy xyz yx",
	}
	for _, words := range lists {
		for size := 64; size <= 1<<20; size *= 2 {
			spaced, plain := buildSpaced(words, size)
			if !plain {
				t.Fatalf("%.40q: not plain", words)
			}
			fields := buildFields(words, size)
			if (spaced == nil) != (fields == nil) {
				t.Fatalf("%.40q, %d slots: spaced %v, fields %v", words, size, spaced != nil, fields != nil)
			}
			if spaced == nil {
				continue
			}
			if !slices.Equal(spaced.keys, fields.keys) || spaced.maxLen != fields.maxLen || spaced.shift != fields.shift {
				t.Fatalf("%.40q, %d slots: tables differ (max len %d, %d)", words, size, spaced.maxLen, fields.maxLen)
			}
			break
		}
	}
}

// TestSpacedBuildUnusual checks that a list with a byte other than
// printable ASCII and the space is left to the general build.
func TestSpacedBuildUnusual(t *testing.T) {
	for _, words := range []string{"ab\tcd", "ab cd\n", "abc abé", "ab ab\x00"} {
		if _, plain := buildSpaced(words, 64); plain {
			t.Errorf("%q: plain", words)
		}
	}
}

// FuzzSpacedBuild checks the one-pass build against the general one on
// any list it takes.
func FuzzSpacedBuild(f *testing.F) {
	f.Add("ab abc abd b ba")
	f.Add("internationalisation internationalization  intern")
	f.Fuzz(func(t *testing.T, words string) {
		spaced, plain := buildSpaced(words, 1024)
		if !plain {
			return
		}
		fields := buildFields(words, 1024)
		if (spaced == nil) != (fields == nil) || spaced != nil && (!slices.Equal(spaced.keys, fields.keys) || spaced.maxLen != fields.maxLen) {
			t.Fatalf("%q: tables differ", words)
		}
	})
}
