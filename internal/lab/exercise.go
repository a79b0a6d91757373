package lab

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Exercise is a training exercise on one labelled capture: the trainee is
// given the capture, not the labels, answers an analyst's questions, and
// each answer is scored against the labels with an explanation.
type Exercise struct {
	Labels *Labels
	Pcap   string
	// Feeds are the threat-intelligence feed files the site has (the
	// labels' intel_feeds, as paths the trainee can open): the intro
	// names them, since a hit in them is the technique to find.
	Feeds []string
	// Location is the time zone of clock-time answers (HH:MM:SS); nil is UTC.
	Location *time.Location
}

// Time tolerances of the start and end answers: full marks within
// timeExact, half within timeClose.
const (
	timeExact = 5 * time.Second
	timeClose = 30 * time.Second
)

// noneChoice is the technique answer for a capture with no attack.
const noneChoice = "none (benign traffic only)"

// Answers are a trainee's answers, as typed.
type Answers struct {
	Attacker  string
	Technique string // the number of a choice of Choices
	Victims   string
	Start     string
	End       string
}

// Mark is the score of one answer.
type Mark struct {
	Question    string
	Points, Max float64
	Explanation string
}

// Score is the exercise's result.
type Score struct {
	Marks      []Mark
	Total, Max float64
}

// Choices are the numbered techniques the trainee picks from: every alert
// class, then "none".
func (e Exercise) Choices() []string {
	return append(slices.Clone(AlertClasses), noneChoice)
}

func (e Exercise) benign() bool { return len(e.Labels.ExpectedClasses) == 0 }

// Run asks the questions on out, reads the answers from in (one line
// each), prints the marks and returns the score.
func (e Exercise) Run(in io.Reader, out io.Writer) (Score, error) {
	e.intro(out)
	sc := bufio.NewScanner(in)
	ask := func(q string) string {
		fmt.Fprintf(out, "\n%s\n> ", q)
		if !sc.Scan() {
			return ""
		}
		return strings.TrimSpace(sc.Text())
	}
	var a Answers
	a.Attacker = ask("1. Which address attacked? (an IPv4 or IPv6 address, or a MAC; \"none\" if nothing did)")
	a.Technique = ask("2. Which technique? Pick a number:\n" + e.choiceList())
	a.Victims = ask("3. Which hosts were attacked? (addresses, separated by commas; \"none\" if none)")
	if !e.benign() {
		a.Start = ask("4. When did the attack start? (epoch seconds, RFC 3339, or HH:MM:SS on the capture's day)")
		a.End = ask("5. When did it end?")
	}
	s := e.Score(a)
	e.report(out, s)
	return s, sc.Err()
}

func (e Exercise) intro(out io.Writer) {
	l := e.Labels
	loc := e.loc()
	fmt.Fprintf(out, "Exercise (%s). The capture %s was taken on the lab's LAN bridge from %s to %s.\n",
		l.Difficulty, e.Pcap, Time(l.Capture.StartTS).In(loc).Format("2006-01-02 15:04:05 MST"),
		Time(l.Capture.EndTS).In(loc).Format("15:04:05"))
	fmt.Fprintf(out, "The LAN is %s and %s (SLAAC %s); the outside is %s and %s.\n",
		lanNet4, lanNet6, slaacNet6, outsideNet4, outsideNet6)
	if len(e.Feeds) > 0 {
		fmt.Fprintf(out, "The site's threat-intelligence feeds are %s: vigil analyze loads them from a detection config ({\"intel\": {\"feeds\": [...]}}, --detect-config FILE).\n",
			strings.Join(e.Feeds, ", "))
	}
	fmt.Fprintf(out, "Analyse it (vigil analyze -o out %s; tcpdump -nr %s; wireshark …), then answer.\n", e.Pcap, e.Pcap)
}

func (e Exercise) choiceList() string {
	var b strings.Builder
	for i, c := range e.Choices() {
		fmt.Fprintf(&b, "  %2d  %s\n", i+1, c)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (e Exercise) loc() *time.Location {
	if e.Location == nil {
		return time.UTC
	}
	return e.Location
}

// Score marks answers against the labels.
func (e Exercise) Score(a Answers) Score {
	marks := []Mark{e.markAttacker(a.Attacker), e.markTechnique(a.Technique), e.markVictims(a.Victims)}
	if !e.benign() {
		marks = append(marks,
			e.markTime("start", a.Start, e.Labels.StartTS),
			e.markTime("end", a.End, e.Labels.EndTS))
	}
	s := Score{Marks: marks}
	for _, m := range marks {
		s.Total += m.Points
		s.Max += m.Max
	}
	return s
}

func (e Exercise) markAttacker(answer string) Mark {
	m := Mark{Question: "attacker", Max: 1}
	l := e.Labels
	if e.benign() {
		if isNone(answer) {
			m.Points, m.Explanation = 1, "right: nothing attacked"
		} else {
			m.Explanation = fmt.Sprintf("nothing attacked in this capture; %q only did what it normally does", answer)
		}
		return m
	}
	truth := strings.Join(l.Attacker, ", ")
	if l.AttackerMAC != "" {
		truth += " (MAC " + l.AttackerMAC + ")"
	}
	key := addrKey(answer)
	switch {
	case l.AttackerMAC != "" && strings.EqualFold(answer, l.AttackerMAC):
		m.Points, m.Explanation = 1, "right: the attacker's MAC; its addresses are "+truth
	case key != "" && slices.ContainsFunc(l.Attacker, func(s string) bool { return addrKey(s) == key }):
		m.Points, m.Explanation = 1, "right: the attacker is "+truth
	default:
		m.Explanation = fmt.Sprintf("the attacker was %s, not %q", truth, answer)
	}
	if l.Notes != "" {
		m.Explanation += " — " + l.Notes
	}
	return m
}

func (e Exercise) markTechnique(answer string) Mark {
	m := Mark{Question: "technique", Max: 1}
	choices := e.Choices()
	n, err := strconv.Atoi(strings.TrimSpace(answer))
	picked := ""
	if err == nil && n >= 1 && n <= len(choices) {
		picked = choices[n-1]
	}
	want := "one of " + strings.Join(e.Labels.ExpectedClasses, ", ")
	if e.benign() {
		want = noneChoice
	}
	switch {
	case picked == "":
		m.Explanation = fmt.Sprintf("%q is not a number from the list; the answer was %s", answer, want)
	case e.benign() && picked == noneChoice, slices.Contains(e.Labels.ExpectedClasses, picked):
		m.Points, m.Explanation = 1, fmt.Sprintf("right: %s (MITRE %s)", picked, orNone(e.Labels.MITRE))
	default:
		m.Explanation = fmt.Sprintf("%s is not it; the answer was %s (MITRE %s)", picked, want, orNone(e.Labels.MITRE))
	}
	return m
}

// markVictims gives the share of victims named, less one share per host
// named wrongly. A host named by any of its addresses counts; a victim
// that is a whole network counts for any address in it.
func (e Exercise) markVictims(answer string) Mark {
	m := Mark{Question: "victims", Max: 1}
	truth := e.Labels.Victims
	if len(truth) == 0 {
		if isNone(answer) {
			m.Points, m.Explanation = 1, "right: no host was attacked"
		} else {
			m.Explanation = "no host was attacked"
		}
		return m
	}
	hits, wrong := map[string]bool{}, 0
	for _, tok := range splitList(answer) {
		if k := matchVictim(tok, truth); k != "" {
			hits[k] = true
		} else {
			wrong++
		}
	}
	groups := victimGroups(truth)
	m.Points = math.Max(0, float64(len(hits)-wrong)/float64(len(groups)))
	m.Explanation = fmt.Sprintf("%d of %d victims named, %d wrong; the victims were %s",
		len(hits), len(groups), wrong, strings.Join(truth, ", "))
	return m
}

func (e Exercise) markTime(which, answer string, truth float64) Mark {
	m := Mark{Question: which, Max: 1}
	want := Time(truth).In(e.loc())
	got, err := parseAnswerTime(answer, Time(e.Labels.Capture.StartTS).In(e.loc()))
	if err != nil {
		m.Explanation = fmt.Sprintf("%v; the attack's %s was %s (%.3f)", err, which, want.Format("15:04:05.000"), truth)
		return m
	}
	off := got.Sub(want)
	switch {
	case off.Abs() <= timeExact:
		m.Points = 1
	case off.Abs() <= timeClose:
		m.Points = 0.5
	}
	m.Explanation = fmt.Sprintf("the %s was %s; yours is %s off (full marks within %s, half within %s)",
		which, want.Format("15:04:05.000"), off.Round(10*time.Millisecond), timeExact, timeClose)
	return m
}

// parseAnswerTime reads epoch seconds, RFC 3339 or a clock time on day's
// date in day's location.
func parseAnswerTime(s string, day time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("no answer")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return Time(f), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"15:04:05.999999999", "15:04:05", "15:04"} {
		if c, err := time.Parse(layout, s); err == nil {
			return time.Date(day.Year(), day.Month(), day.Day(), c.Hour(), c.Minute(), c.Second(), c.Nanosecond(), day.Location()), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

func (e Exercise) report(out io.Writer, s Score) {
	fmt.Fprintln(out, "\nMarks:")
	for _, m := range s.Marks {
		fmt.Fprintf(out, "  %-9s %.1f/%.0f  %s\n", m.Question, m.Points, m.Max, m.Explanation)
	}
	l := e.Labels
	fmt.Fprintf(out, "\nTotal: %.1f / %.0f\n\nThe scenario was %q: %s\n", s.Total, s.Max, l.Scenario, l.Description)
	const shown = 8
	for i, c := range l.ToolCommands {
		if i == shown {
			fmt.Fprintf(out, "  … and %d more commands (tool_commands in the labels)\n", len(l.ToolCommands)-shown)
			break
		}
		fmt.Fprintf(out, "  $ %s\n", c)
	}
}

// addrKey names the host an address belongs to (any of its addresses or
// its MAC gives the same key); other addresses are their own key.
func addrKey(s string) string {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		for _, h := range allHosts {
			if strings.EqualFold(s, h.MAC().String()) {
				return "host:" + h.Name
			}
		}
		return ""
	}
	a = a.Unmap()
	for _, h := range allHosts {
		if a == h.IPv4() || a == h.IPv6() || a == h.LinkLocal() || (!h.Outside && a == h.SLAAC()) {
			return "host:" + h.Name
		}
	}
	return a.String()
}

// matchVictim returns the key of the victim entry tok names, or "".
func matchVictim(tok string, truth []string) string {
	k := addrKey(tok)
	a, aErr := netip.ParseAddr(tok)
	for _, v := range truth {
		if p, err := netip.ParsePrefix(v); err == nil {
			if tok == v || (aErr == nil && p.Contains(a)) {
				return "net:" + v
			}
			continue
		}
		if k != "" && addrKey(v) == k {
			return k
		}
	}
	return ""
}

// victimGroups counts the distinct victims: hosts (by key) and networks.
func victimGroups(truth []string) map[string]bool {
	g := map[string]bool{}
	for _, v := range truth {
		if _, err := netip.ParsePrefix(v); err == nil {
			g["net:"+v] = true
		} else if k := addrKey(v); k != "" {
			g[k] = true
		}
	}
	return g
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if f != "" && !isNone(f) {
			out = append(out, f)
		}
	}
	return out
}

func isNone(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "" || s == "none" || s == "-" || s == "nobody" || s == "nothing"
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}
