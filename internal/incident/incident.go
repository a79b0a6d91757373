// Package incident correlates alerts into incidents: the alerts of one
// attacker (the alert source; for alerts without one, such as spoofed
// floods, their victim; for an alert about a host's exposure, that host,
// with no attacker) that follow each other within Gap seconds form one
// incident. An incident orders its alerts on the kill chain
// (reconnaissance → initial access → command and control → actions on
// objectives), unites their ATT&CK techniques and victims, scores itself
// and tells its story in a few sentences.
package incident

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

// Config holds the correlation window.
type Config struct {
	// Gap is the longest quiet time (s) within one incident.
	Gap float64 `json:"gap_s"`
}

// DefaultConfig returns the defaults: alerts an hour apart or less belong
// together.
func DefaultConfig() Config { return Config{Gap: 3600} }

// Incident is one line of incidents.log.
type Incident struct {
	ID       string   `json:"id"`
	First    float64  `json:"first_seen"`
	Last     float64  `json:"last_seen"`
	Attacker string   `json:"attacker"`
	Victims  []string `json:"victims"`
	// Stages lists the kill-chain stages reached, in kill-chain order;
	// Sequence the stages in the order they were seen.
	Stages     []string       `json:"stages"`
	Sequence   []string       `json:"sequence"`
	Techniques []string       `json:"mitre"`
	Score      int            `json:"score"`
	Severity   int            `json:"severity"`
	Counts     map[string]int `json:"alert_counts"`
	Alerts     int            `json:"alerts"`
	UIDs       []string       `json:"uids,omitempty"`
	Narrative  string         `json:"narrative"`
}

type building struct {
	key    string
	id     string // fixed when the incident opens: its snapshots share it
	alerts []alert.Alert
	last   float64
	// Past keepWhole alerts, an alert of an episode the incident already
	// holds is merged into it (byKey: alert Key → index in alerts), so a
	// long-lived incident grows with its distinct behaviours, not with
	// their re-reports; merged counts the alert lines merged away.
	byKey  map[string]int
	merged int
}

// keepWhole is how many alerts an incident keeps each as it came before
// merging re-reports of one episode.
const keepWhole = 256

// Correlator groups alerts as they are written.
type Correlator struct {
	cfg  Config
	open map[string]*building
}

// New returns a correlator.
func New(cfg Config) *Correlator {
	return &Correlator{cfg: cfg, open: map[string]*building{}}
}

func key(a alert.Alert) string {
	if s := attacker(a); s != "" {
		return s
	}
	return "victim " + victim(a)
}

// attacker names who acted: the source address, or the sender's MAC
// when the address was forged; nobody when the alert describes a host's
// exposure (its source is only the client whose connection revealed it).
func attacker(a alert.Alert) string {
	if a.Exposed != "" {
		return ""
	}
	if a.Src != "" {
		return a.Src
	}
	return a.SrcMAC
}

// victim is the host an alert without an attacker is about: the exposed
// host, or the target of sources unknown.
func victim(a alert.Alert) string {
	if a.Exposed != "" {
		return a.Exposed
	}
	return a.Dst
}

// Add adds an alert; it returns the incident it ended, if the alert starts
// a new one for the same attacker after a gap.
func (c *Correlator) Add(a alert.Alert) []Incident {
	k := key(a)
	var done []Incident
	b := c.open[k]
	if b != nil && a.TS > b.last+c.cfg.Gap {
		done = append(done, b.build())
		b = nil
	}
	if b == nil {
		b = &building{key: k, id: incidentID(k, a.TS)}
		c.open[k] = b
	}
	b.add(a)
	b.last = math.Max(b.last, a.End())
	return done
}

// add keeps a: whole, or merged into the alert of its episode the
// incident holds once it holds keepWhole alerts.
func (b *building) add(a alert.Alert) {
	if len(b.alerts) < keepWhole {
		b.alerts = append(b.alerts, a)
		return
	}
	if b.byKey == nil {
		b.byKey = make(map[string]int, len(b.alerts))
		for i := range b.alerts {
			b.byKey[b.alerts[i].Key()] = i
		}
	}
	k := a.Key()
	if i, ok := b.byKey[k]; ok {
		b.alerts[i].Merge(a)
		b.merged++
		return
	}
	b.byKey[k] = len(b.alerts)
	b.alerts = append(b.alerts, a)
}

// Flush returns (and forgets) the incidents quiet for more than Gap at
// now; math.Inf(1) ends them all.
func (c *Correlator) Flush(now float64) []Incident {
	var out []Incident
	for k, b := range c.open {
		if now-b.last > c.cfg.Gap {
			out = append(out, b.build())
			delete(c.open, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].First < out[j].First })
	return out
}

// Build correlates a finished list of alerts (alerts.log read back).
func Build(alerts []alert.Alert, cfg Config) []Incident {
	sorted := append([]alert.Alert(nil), alerts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].TS < sorted[j].TS })
	c := New(cfg)
	var out []Incident
	for _, a := range sorted {
		out = append(out, c.Add(a)...)
	}
	out = append(out, c.Flush(math.Inf(1))...)
	sort.Slice(out, func(i, j int) bool { return out[i].First < out[j].First })
	return out
}

// severityWeight is what one class of alert adds to the score, by severity.
var severityWeight = map[int]float64{alert.Critical: 45, alert.High: 30, alert.Medium: 15, alert.Info: 4}

// Current returns the incident a's attacker (or victim) has open, as it
// stands, and false when none is open: a live run writes an incident again,
// under the same id, each time an alert joins it.
func (c *Correlator) Current(a alert.Alert) (Incident, bool) {
	b := c.open[key(a)]
	if b == nil {
		return Incident{}, false
	}
	inc := build(slices.Clone(b.alerts), b.id)
	inc.Alerts += b.merged
	return inc, true
}

// build is the incident b holds.
func (b *building) build() Incident {
	inc := build(b.alerts, b.id)
	inc.Alerts += b.merged
	return inc
}

// incidentID names an incident by its key and the time of the alert that
// opened it.
func incidentID(key string, ts float64) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("%s|%f", key, ts)))
	return "I" + hex.EncodeToString(sum[:6])
}

func build(alerts []alert.Alert, id string) Incident {
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].TS < alerts[j].TS })
	inc := Incident{First: alerts[0].TS, Last: alerts[0].End(), Attacker: attacker(alerts[0]), Counts: map[string]int{}, Severity: alert.Info}
	victims, techniques, stagesSeen := map[string]bool{}, map[string]bool{}, map[alert.Stage]bool{}
	uids := map[string]bool{} // the connections named, each once, in the alerts' order
	addUID := func(u string) {
		if u != "" && !uids[u] && len(inc.UIDs) < alert.MaxUIDs {
			uids[u] = true
			inc.UIDs = append(inc.UIDs, u)
		}
	}
	best := map[string]float64{} // class → strongest weighted confidence
	for _, a := range alerts {
		inc.Last = math.Max(inc.Last, a.End())
		inc.Counts[a.Class] += max(a.Count, 1)
		inc.Alerts++
		inc.Severity = min(inc.Severity, a.Severity)
		if a.Exposed != "" {
			victims[a.Exposed] = true // the exposed host, not the client
		} else {
			for _, v := range a.Addrs() {
				victims[v] = true
			}
		}
		for _, t := range a.MITRE {
			techniques[t] = true
		}
		st := alert.Lookup(a.Class).Stage
		if !stagesSeen[st] {
			stagesSeen[st] = true
			inc.Sequence = append(inc.Sequence, st.String())
		}
		best[a.Class] = math.Max(best[a.Class], severityWeight[a.Severity]*math.Max(a.Confidence, 0.3))
		for _, u := range a.UIDs {
			addUID(u)
		}
		addUID(a.UID)
	}
	delete(victims, inc.Attacker)
	inc.Victims = alert.SortedKeys(victims)
	inc.Techniques = alert.SortedKeys(techniques)
	for st := alert.Reconnaissance; st <= alert.ActionsOnObjectives; st++ {
		if stagesSeen[st] {
			inc.Stages = append(inc.Stages, st.String())
		}
	}
	score := 0.0
	for _, w := range best {
		score += w
	}
	score += 10 * float64(max(len(inc.Stages)-1, 0))
	inc.Score = int(math.Min(100, math.Round(score)))
	inc.Narrative = narrative(inc, alerts)
	inc.ID = id
	return inc
}

// narrative tells the incident in order: who did what, when, and what came
// of it, in at most six steps. A step is the alert's Act, a verb phrase
// that the incident's subject (its attacker) opens; an alert without one
// (IPv6 monitor and inventory findings) gives its summary, a sentence of
// its own, which no subject is put before.
func narrative(inc Incident, alerts []alert.Alert) string {
	steps := narrativeSteps(alerts)
	subject := narrativeSubject(inc, alerts, steps)
	var b strings.Builder
	for i, s := range steps {
		if i == 6 {
			fmt.Fprintf(&b, ", and %d more", len(steps)-6)
			break
		}
		if i > 0 {
			b.WriteString(", then ")
		}
		text := s.text
		if !s.sentence && (i == 0 || steps[i-1].sentence) {
			// An act opening the narrative, or following a sentence of
			// another subject, names its subject; acts in a row share it.
			text = subject + " " + text
		}
		if i == 0 {
			text = upperFirst(text)
		}
		when := alert.Clock(s.first)
		if s.last-s.first >= 1 {
			when += "–" + alert.Clock(s.last)
		}
		fmt.Fprintf(&b, "%s (%s)", text, when)
	}
	return fmt.Sprintf("%s. Stages: %s; score %d.", b.String(), strings.Join(inc.Stages, " → "), inc.Score)
}

// narrativeStep is one distinct behaviour of an incident: the act (or
// the summary sentence, when the alert has no act) and when it happened.
type narrativeStep struct {
	text        string
	sentence    bool
	first, last float64
}

// narrativeSteps lists the distinct behaviours of alerts, in order.
func narrativeSteps(alerts []alert.Alert) []narrativeStep {
	var steps []narrativeStep
	seen := map[string]int{}
	for _, a := range alerts {
		s := narrativeStep{text: a.Act, first: a.TS, last: a.End()}
		if s.text == "" {
			s.text, s.sentence = strings.TrimSuffix(a.Summary, "."), true
		}
		if i, ok := seen[s.text]; ok {
			steps[i].last = math.Max(steps[i].last, s.last)
			continue
		}
		seen[s.text] = len(steps)
		steps = append(steps, s)
	}
	return steps
}

// narrativeSubject names who the acts are about: the attacker, the
// forging host by its MAC, the victim of a passive act ("was flooded"),
// or unknown sources.
func narrativeSubject(inc Incident, alerts []alert.Alert, steps []narrativeStep) string {
	subject := inc.Attacker
	if len(alerts) > 0 && alerts[0].Src == "" && subject != "" {
		return "the host with MAC " + subject + " (forging its addresses)"
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
