package incident

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

// maxSteps is how many steps a narrative tells; each kill-chain stage
// reached has one of them.
const maxSteps = 5

// narrative tells the incident in a few steps, one per kind of behaviour
// (alert class), in time order: "2026-12-01 UTC: 10.66.0.66 scanned 60
// hosts on 23/tcp (22:13:20–22:13:26), then brute-forced telnet on
// 10.66.0.20 (30 short connections) (22:14:20). Stages: reconnaissance →
// initial access; score 47."
//
// A step is an alert's Act, a verb phrase that the incident's subject
// opens; an alert without one (IPv6 monitor and inventory findings) gives
// its summary, a sentence of its own, which no subject is put before.
// Times are UTC, of the day the incident began unless a step is on
// another day.
func narrative(inc Incident, alerts []alert.Alert, b *building) string {
	steps := pickSteps(narrativeSteps(alerts, b))
	subject := narrativeSubject(inc, alerts, steps.told, b)
	day := alert.Time(inc.First).Format("2006-01-02")
	var sb strings.Builder
	sb.WriteString(day + " UTC: ")
	for i, s := range steps.told {
		if i > 0 {
			sb.WriteString(", then ")
		}
		text := s.text
		if !s.sentence && (i == 0 || steps.told[i-1].sentence) {
			// An act opening the narrative, or following a sentence of
			// another subject, names its subject; acts in a row share it.
			text = subject + " " + text
		}
		if i == 0 {
			text = upperFirst(text)
		}
		fmt.Fprintf(&sb, "%s (%s)", text, s.when(day))
	}
	if steps.untold > 0 {
		fmt.Fprintf(&sb, ", and %d more", steps.untold)
	}
	if len(inc.Stages) == 0 {
		return fmt.Sprintf("%s. Score %d.", sb.String(), inc.Score)
	}
	return fmt.Sprintf("%s. Stages: %s; score %d.", sb.String(), strings.Join(inc.Stages, " → "), inc.Score)
}

// narrativeStep is one behaviour of an incident: the act (or the summary
// sentence, when the alert has no act) of its most severe alert.
type narrativeStep struct {
	class       string
	text        string
	sentence    bool
	first, last float64
	severity    int
	stage       alert.Stage
	dst         string // the victim the words name
	alerts      int    // alerts told by the step, when they differ in words
}

// when formats the step's time: a clock time on the incident's day, else
// with its date.
func (s narrativeStep) when(day string) string {
	clock := func(ts float64) string {
		t := alert.Time(ts)
		if t.Format("2006-01-02") == day {
			return t.Format("15:04:05")
		}
		return t.Format("2006-01-02 15:04:05")
	}
	w := clock(s.first)
	if s.last-s.first >= 1 {
		w += "–" + clock(s.last)
	}
	if s.alerts > 1 {
		w += fmt.Sprintf(", %d alerts", s.alerts)
	}
	return w
}

// narrativeSteps makes the steps of alerts, in order of first sight: one
// per class and victim (a series of attempts on one host is one step), one
// per finding about an exposed host (each a fact of its own), and then one
// per class for the steps of a class that differ only in the victim they
// name ("brute-forced ssh on 40 hosts").
func narrativeSteps(alerts []alert.Alert, b *building) []narrativeStep {
	var keys []string
	clusters := map[string][]alert.Alert{}
	for _, a := range alerts {
		k := a.Class + "|" + a.Dst
		if a.Exposed != "" {
			k = a.Class + "|" + stepText(a)
		}
		if clusters[k] == nil {
			keys = append(keys, k)
		}
		clusters[k] = append(clusters[k], a)
	}
	var steps []narrativeStep
	perClass := map[string][]int{} // class → indices in steps of its per-victim steps
	for _, k := range keys {
		c := clusters[k]
		if c[0].Exposed == "" && namesItsVictim(c) {
			perClass[c[0].Class] = append(perClass[c[0].Class], len(steps))
		}
		steps = append(steps, clusterStep(c))
	}
	return mergeVictims(steps, perClass, b)
}

// clusterStep tells alerts of one class about one victim (or one finding):
// the most severe one's words, and how many alerts it stands for when
// their words differ (a series of attempts: its figures go).
func clusterStep(alerts []alert.Alert) narrativeStep {
	rep := alerts[0]
	s := narrativeStep{class: rep.Class, first: rep.TS, last: rep.End()}
	texts := map[string]bool{}
	for _, a := range alerts {
		s.first, s.last = math.Min(s.first, a.TS), math.Max(s.last, a.End())
		if a.Severity < rep.Severity {
			rep = a
		}
		texts[stepText(a)] = true
	}
	s.severity, s.stage, s.dst = rep.Severity, alert.Lookup(rep.Class).Stage, rep.Dst
	s.text, s.sentence = stepText(rep), rep.Act == ""
	if len(texts) > 1 {
		s.text = dropTrailingParenthesis(s.text)
		s.alerts = len(alerts)
	}
	return s
}

// mergeVictims makes the per-victim steps of a class one step when there
// are several: the most severe one's words, its victim replaced by how
// many hosts the class's alerts named, its own figures dropped.
func mergeVictims(steps []narrativeStep, perClass map[string][]int, b *building) []narrativeStep {
	drop := map[int]bool{}
	for class, idx := range perClass {
		if len(idx) < 2 {
			continue
		}
		merged := steps[idx[0]]
		for _, i := range idx[1:] {
			o := steps[i]
			merged.first, merged.last = math.Min(merged.first, o.first), math.Max(merged.last, o.last)
			if o.severity < merged.severity {
				merged.text, merged.sentence, merged.severity, merged.dst = o.text, o.sentence, o.severity, o.dst
			}
			drop[i] = true
		}
		merged.text = dropTrailingParenthesis(strings.Replace(merged.text, merged.dst, hosts(b.classVictims[class]), 1))
		merged.alerts = 0
		steps[idx[0]] = merged
	}
	out := steps[:0]
	for i, s := range steps {
		if !drop[i] {
			out = append(out, s)
		}
	}
	return out
}

// stepText is what an alert's step says: its act, or its summary.
func stepText(a alert.Alert) string {
	if a.Act != "" {
		return a.Act
	}
	return strings.TrimSuffix(a.Summary, ".")
}

// namesItsVictim tells whether every alert names its own victim in its
// words (an episode per victim: "brute-forced ssh on 10.1.0.9 …").
func namesItsVictim(alerts []alert.Alert) bool {
	for _, a := range alerts {
		if a.Dst == "" || !strings.Contains(stepText(a), a.Dst) {
			return false
		}
	}
	return true
}

// hosts says how many hosts a set counts.
func hosts(n *countedSet) string {
	if n.full() {
		return fmt.Sprintf("at least %d hosts", n.count())
	}
	return fmt.Sprintf("%d hosts", n.count())
}

// dropTrailingParenthesis removes a closing " (…)" of one victim's
// figures from a step that now tells many.
func dropTrailingParenthesis(s string) string {
	if !strings.HasSuffix(s, ")") {
		return s
	}
	if i := strings.LastIndex(s, " ("); i > 0 {
		return s[:i]
	}
	return s
}

// toldSteps are the steps a narrative tells, and how many it leaves out.
type toldSteps struct {
	told   []narrativeStep
	untold int
}

// pickSteps chooses at most maxSteps steps, in time order: first the
// earliest of each kill-chain stage reached, then the earliest others. A
// step that happened exactly when a more severe one of its stage did (a
// horizontal scan that is also the Mirai scan) is left out: it tells the
// same packets again.
func pickSteps(all []narrativeStep) toldSteps {
	var steps []narrativeStep
	for i, s := range all {
		if !shadowed(s, i, all) {
			steps = append(steps, s)
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].first < steps[j].first })
	chosen := make([]bool, len(steps))
	n := 0
	stageTold := map[alert.Stage]bool{}
	for i, s := range steps {
		if s.stage != alert.StageUnknown && !stageTold[s.stage] && n < maxSteps {
			stageTold[s.stage], chosen[i] = true, true
			n++
		}
	}
	for i := range steps {
		if !chosen[i] && n < maxSteps {
			chosen[i] = true
			n++
		}
	}
	out := toldSteps{untold: len(steps) - n}
	for i, s := range steps {
		if chosen[i] {
			out.told = append(out.told, s)
		}
	}
	return out
}

// shadowed tells whether another step of the same stage spans exactly
// s's time and is more severe (or as severe and first).
func shadowed(s narrativeStep, i int, all []narrativeStep) bool {
	for j, o := range all {
		if j == i || o.stage != s.stage || math.Abs(o.first-s.first) > 1e-3 || math.Abs(o.last-s.last) > 1e-3 {
			continue
		}
		if o.severity < s.severity || (o.severity == s.severity && j < i) {
			return true
		}
	}
	return false
}

// narrativeSubject names who the acts are about: the attacker, the
// forging host by its MAC, the sources of a distributed attack, the
// victim of a passive act ("was flooded"), or unknown sources.
func narrativeSubject(inc Incident, alerts []alert.Alert, steps []narrativeStep, b *building) string {
	if b.crowd {
		n := b.sources.count()
		if b.sources.full() {
			return fmt.Sprintf("at least %d sources", n)
		}
		return fmt.Sprintf("%d sources", n)
	}
	subject := inc.Attacker
	if len(alerts) > 0 && alerts[0].Src == "" && subject != "" {
		return "the host with MAC " + subject + " (forging its addresses)"
	}
	if subject == "" {
		// A distributed attack's, the most active named in its evidence:
		// the first alert that has one (an exposure of the victim, which
		// names no attacker, may come before).
		for i := range alerts {
			if _, n := alerts[i].Crowd(); n > 0 {
				if alerts[i].Evidence["sources_at_least"] == true { // its count stopped at a bound
					return fmt.Sprintf("at least %d sources", n)
				}
				return fmt.Sprintf("%d sources", n)
			}
		}
	}
	if subject == "" {
		subject = "unknown (possibly spoofed) sources"
		if len(alerts) > 0 && len(steps) > 0 && strings.HasPrefix(steps[0].text, "was ") {
			subject = alerts[0].Dst
		}
	}
	return subject
}

// upperFirst returns s with its first letter in upper case when its first
// word is a word (letters only), not an address or a name ("fd66::66",
// "example.com"), which keep their case.
func upperFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	for _, r := range word {
		if !unicode.IsLetter(r) {
			return s
		}
	}
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
