package assets

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A match rule's expression usually names something literal ("tuya",
// "openssh", ".amazonaws.com"): a value holding none of those words cannot
// match, and a substring search rules it out far cheaper than running the
// expression. Only ASCII is compared: a value with other bytes always
// runs the expression (case folding outside ASCII is Unicode's, and "k"
// matches the Kelvin sign).

// requiredLiterals returns lower-case ASCII strings one of which is in
// every text the expression (parsed as regexp.Compile parses it) matches;
// nil when there are none to require.
func requiredLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return required(re)
}

// required is requiredLiterals for one node of the syntax tree.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return literal(string(re.Rune))
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		return requiredInConcat(re.Sub)
	case syntax.OpAlternate:
		var any []string
		for _, sub := range re.Sub {
			lits := required(sub)
			if lits == nil {
				return nil
			}
			any = append(any, lits...)
		}
		return any
	}
	return nil
}

// requiredInConcat picks the most selective requirement of a sequence:
// adjacent literals are one literal (the parser may split a run where
// case folding changes, as at a "." between letters).
func requiredInConcat(subs []*syntax.Regexp) []string {
	var best []string
	for i := 0; i < len(subs); i++ {
		var lits []string
		if subs[i].Op == syntax.OpLiteral {
			run := string(subs[i].Rune)
			for i+1 < len(subs) && subs[i+1].Op == syntax.OpLiteral {
				i++
				run += string(subs[i].Rune)
			}
			lits = literal(run)
		} else {
			lits = required(subs[i])
		}
		if moreSelective(lits, best) {
			best = lits
		}
	}
	return best
}

// literal is the requirement of a literal: itself, lower-cased, when it
// is ASCII (nil otherwise).
func literal(s string) []string {
	if !isASCII(s) {
		return nil
	}
	return []string{strings.ToLower(s)}
}

// moreSelective reports whether requirement a rules out more values than
// b: its shortest literal is longer (fewer literals on a tie).
func moreSelective(a, b []string) bool {
	if a == nil {
		return false
	}
	if b == nil {
		return true
	}
	if la, lb := shortest(a), shortest(b); la != lb {
		return la > lb
	}
	return len(a) < len(b)
}

func shortest(lits []string) int {
	n := len(lits[0])
	for _, l := range lits[1:] {
		n = min(n, len(l))
	}
	return n
}

// mayMatch reports whether a value may match an expression whose required
// literals are lits; lower is the value lower-cased when it is ASCII, ok
// false when it is not (then it may always match).
func mayMatch(lits []string, lower string, ok bool) bool {
	if lits == nil || !ok {
		return true
	}
	for _, l := range lits {
		if strings.Contains(lower, l) {
			return true
		}
	}
	return false
}

// asciiLower returns s lower-cased and true when s is ASCII.
func asciiLower(s string) (string, bool) {
	if !isASCII(s) {
		return "", false
	}
	return strings.ToLower(s), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
