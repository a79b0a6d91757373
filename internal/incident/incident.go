// Package incident correlates alerts into incidents: the alerts of one
// attacker (the alert source; for alerts without one, such as spoofed
// floods, their victim; for an alert about a host's exposure, that host,
// with no attacker) that follow each other within Gap seconds form one
// incident. The addresses of one IPv6 interface (modified EUI-64
// addresses with the same interface id) are one attacker, and a victim
// attacked in the same way from many sources at once (a botnet's brute
// force or flood) gets one incident for the crowd instead of one per
// source. An incident orders its alerts on the kill chain
// (reconnaissance → initial access → command and control → actions on
// objectives), unites their ATT&CK techniques and victims, scores itself
// and tells its story in a few sentences (narrative.go).
//
// State is bounded: an incident keeps keepWhole alerts whole, then merges
// each later alert into the one of its class it holds; it counts at most
// maxCounted distinct victims and sources; at most maxOpen incidents are
// open (the longest quiet is ended first) and maxCrowds crowds watched.
package incident

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

// Config holds the correlation window.
type Config struct {
	// Gap is the longest quiet time (s) within one incident.
	Gap float64 `json:"gap_s"`
	// Lag is how long (s of record time) after its behaviour an alert may
	// still be written: the detection engine holds an episode until it is
	// quiet or has been open its longest. An incident is ended only when
	// it has been quiet for Gap+Lag, so that such a late alert still
	// joins it, as it does when the alerts are correlated afterwards
	// (Build). Set by the engine from its aggregation times.
	Lag float64 `json:"-"`
}

// DefaultConfig returns the defaults: alerts an hour apart or less belong
// together.
func DefaultConfig() Config { return Config{Gap: 3600} }

// Incident is one line of incidents.log.
type Incident struct {
	ID       string  `json:"id"`
	First    float64 `json:"first_seen"`
	Last     float64 `json:"last_seen"`
	Attacker string  `json:"attacker"`
	// Sources lists the attacking addresses when there are several: the
	// crowd of a distributed attack, or the addresses of one IPv6
	// interface (at most maxListed).
	Sources []string `json:"sources,omitempty"`
	// Victims lists at most maxListed victims; VictimCount counts them
	// all (up to maxCounted, then at least that many).
	Victims     []string `json:"victims"`
	VictimCount int      `json:"victim_count"`
	// Stages lists the kill-chain stages reached, in kill-chain order;
	// Sequence the same stages in the order they were first seen.
	Stages     []string `json:"stages"`
	Sequence   []string `json:"sequence"`
	Techniques []string `json:"mitre"`
	Score      int      `json:"score"`
	Severity   int      `json:"severity"`
	// Counts holds the alert lines per class; Alerts their sum.
	Counts    map[string]int `json:"alert_counts"`
	Alerts    int            `json:"alerts"`
	UIDs      []string       `json:"uids,omitempty"`
	Narrative string         `json:"narrative"`
}

const (
	// keepWhole is how many alerts an incident keeps each as it came
	// before merging later ones into the alert of their class it holds.
	keepWhole = 256
	// maxCounted bounds each set of distinct victims or sources counted.
	maxCounted = 4096
	// maxListed is how many victims (and sources) an incident lists.
	maxListed = 100
	// maxOpen bounds the incidents open at once.
	maxOpen = 100_000
	// crowdMin distinct sources attacking one victim in the same way
	// within Gap make a crowd: one incident, keyed by the victim.
	crowdMin = 10
	// maxCrowds bounds the (class, victim) pairs watched for crowds.
	maxCrowds = 100_000
)

// Correlator groups alerts as they are written.
type Correlator struct {
	cfg    Config
	open   map[string]*building
	crowds map[string]*crowd
}

// New returns a correlator.
func New(cfg Config) *Correlator {
	return &Correlator{cfg: cfg, open: map[string]*building{}, crowds: map[string]*crowd{}}
}

// Add adds an alert; it returns the incidents it ended: the one it
// follows after a gap, and the longest quiet one when maxOpen are open.
func (c *Correlator) Add(a alert.Alert) []Incident {
	k := c.crowdKey(a)
	if k == "" {
		k = key(a)
	}
	var done []Incident
	b := c.open[k]
	if b != nil && a.TS > b.last+c.cfg.Gap {
		done = append(done, b.build())
		b = nil
	}
	if b == nil {
		if len(c.open) >= maxOpen {
			done = append(done, c.endQuietest()...)
		}
		b = newBuilding(k, a.TS)
		c.open[k] = b
	}
	b.add(a)
	return done
}

// endQuietest ends the tenth of the open incidents quiet the longest.
func (c *Correlator) endQuietest() []Incident {
	all := make([]*building, 0, len(c.open))
	for _, b := range c.open {
		all = append(all, b)
	}
	// Equally quiet incidents are ended in the order of their keys, not
	// of the map: the same run ends the same ones.
	sort.Slice(all, func(i, j int) bool {
		if all[i].last != all[j].last {
			return all[i].last < all[j].last
		}
		return all[i].key < all[j].key
	})
	var out []Incident
	for _, b := range all[:max(len(all)/10, 1)] {
		delete(c.open, b.key)
		out = append(out, b.build())
	}
	return out
}

// Held returns how many incidents are open and how many (class, victim)
// pairs are watched for crowds: the state a long run holds.
func (c *Correlator) Held() (incidents, crowds int) { return len(c.open), len(c.crowds) }

// Flush returns (and forgets) the incidents quiet for more than Gap+Lag
// at now; math.Inf(1) ends them all.
func (c *Correlator) Flush(now float64) []Incident {
	var ended []*building
	for k, b := range c.open {
		if now-b.last > c.cfg.Gap+c.cfg.Lag {
			ended = append(ended, b)
			delete(c.open, k)
		}
	}
	for k, cr := range c.crowds {
		if now-cr.last > c.cfg.Gap+c.cfg.Lag {
			delete(c.crowds, k)
		}
	}
	// In the order they began; those that began at the same time (a Zeek
	// log with masked times reads as ts 0 throughout) in the order of
	// their keys, not of the map's iteration, which differs run to run.
	sort.Slice(ended, func(i, j int) bool { return ended[i].key < ended[j].key })
	out := make([]Incident, 0, len(ended))
	for _, b := range ended {
		out = append(out, b.build())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].First < out[j].First })
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

// Current returns the incident a joined, as it stands, and false when
// none is open: a live run writes an incident again, under the same id,
// each time an alert joins it.
func (c *Correlator) Current(a alert.Alert) (Incident, bool) {
	k := key(a)
	if pair, ok := crowdPair(a); ok && c.crowds[pair] != nil && c.crowds[pair].promoted {
		k = "crowd " + a.Dst
	}
	b := c.open[k]
	if b == nil {
		return Incident{}, false
	}
	return b.build(), true
}

// key is the incident an alert belongs to, crowds aside: its attacker's
// (one key for the addresses of one IPv6 interface), or, for an alert
// without one, its victim's.
func key(a alert.Alert) string {
	if s := attacker(a); s != "" {
		return hostKey(s)
	}
	return "victim " + victim(a)
}

// hostKey names a host: its address, or for a modified EUI-64 IPv6
// address (ff:fe in the middle of the interface id, the MAC's bytes
// around it) the interface id, which its link-local and global addresses
// share.
func hostKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return addr
	}
	b := ip.As16()
	if b[11] != 0xff || b[12] != 0xfe {
		return addr
	}
	return "eui64 " + hex.EncodeToString(b[8:])
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

// incidentID names an incident by its key and the time of the alert that
// opened it.
func incidentID(key string, ts float64) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("%s|%f", key, ts)))
	return "I" + hex.EncodeToString(sum[:6])
}

// building is an open incident.
type building struct {
	key    string
	id     string // fixed when the incident opens: its snapshots share it
	alerts []alert.Alert
	last   float64
	lines  map[string]int // alert lines per class
	// Past keepWhole alerts, a later alert is merged into the alert of its
	// class the incident holds (byClass: class → index in alerts), so that
	// an incident grows with its kinds of behaviour, not its alerts.
	byClass      map[string]int
	victims      countedSet
	classVictims map[string]*countedSet
	sources      countedSet
	crowd        bool // keyed by a victim attacked from many sources
}

func newBuilding(key string, ts float64) *building {
	return &building{key: key, id: incidentID(key, ts), lines: map[string]int{}, classVictims: map[string]*countedSet{},
		crowd: strings.HasPrefix(key, "crowd ")}
}

// add keeps a: whole, or merged into the alert of its class the incident
// holds once it holds keepWhole alerts.
func (b *building) add(a alert.Alert) {
	b.last = math.Max(b.last, a.End())
	b.lines[a.Class]++
	b.countVictims(a)
	if s := attacker(a); s != "" {
		b.sources.add(s)
	}
	if len(b.alerts) < keepWhole {
		b.alerts = append(b.alerts, a)
		return
	}
	if b.byClass == nil {
		b.byClass = map[string]int{}
		for i := range b.alerts {
			b.byClass[b.alerts[i].Class] = i
		}
	}
	if i, ok := b.byClass[a.Class]; ok {
		mergeInto(&b.alerts[i], a)
		return
	}
	b.byClass[a.Class] = len(b.alerts)
	b.alerts = append(b.alerts, a)
}

// mergeInto merges a into kept, an alert of its class. An alert about
// another victim keeps kept's words (they name kept's victim) and adds
// its victim to kept's list.
func mergeInto(kept *alert.Alert, a alert.Alert) {
	if a.Dst == kept.Dst {
		kept.Merge(a)
		return
	}
	summary, act, evidence := kept.Summary, kept.Act, kept.Evidence
	if a.Dst != "" {
		a.Dsts = append([]string{a.Dst}, a.Dsts...)
	}
	kept.Merge(a)
	kept.Summary, kept.Act, kept.Evidence = summary, act, evidence
}

// countVictims counts a's victims, in all and for its class.
func (b *building) countVictims(a alert.Alert) {
	cv := b.classVictims[a.Class]
	if cv == nil {
		cv = &countedSet{}
		b.classVictims[a.Class] = cv
	}
	add := func(v string) {
		if v != "" && v != attacker(a) {
			b.victims.add(v)
			cv.add(v)
		}
	}
	if a.Exposed != "" {
		add(a.Exposed) // the exposed host, not the client
		return
	}
	for _, v := range a.Addrs() {
		add(v)
	}
	if unlisted := a.DstCount - len(a.Addrs()); unlisted > 0 {
		// Hosts the alert counts but does not name (a horizontal scan's).
		b.victims.extra = max(b.victims.extra, unlisted)
		cv.extra = max(cv.extra, unlisted)
	}
}

// countedSet counts distinct strings, up to maxCounted of them; extra
// counts members known but not named.
type countedSet struct {
	m     map[string]struct{}
	extra int
}

func (s *countedSet) add(v string) {
	if len(s.m) >= maxCounted {
		return
	}
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	s.m[v] = struct{}{}
}

// count is how many members the set holds: at least that many when full.
func (s *countedSet) count() int { return len(s.m) + s.extra }

// full tells whether members may have gone uncounted.
func (s *countedSet) full() bool { return len(s.m) >= maxCounted }

// build is the incident b holds, as it stands.
func (b *building) build() Incident {
	alerts := slices.Clone(b.alerts)
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].TS < alerts[j].TS })
	inc := Incident{ID: b.id, First: alerts[0].TS, Last: b.last, Severity: alert.Info,
		Counts: map[string]int{}, Stages: []string{}, Sequence: []string{}}
	if !b.crowd {
		inc.Attacker = attacker(alerts[0])
	}
	if b.sources.count() > 1 {
		inc.Sources = firstSorted(b.sources.m, maxListed)
	}
	for class, n := range b.lines {
		inc.Counts[class] = n
		inc.Alerts += n
	}
	inc.Victims = firstSorted(b.victims.m, maxListed)
	inc.VictimCount = b.victims.count()
	techniques, stagesSeen := map[string]bool{}, map[alert.Stage]bool{}
	uids := map[string]bool{} // the connections named, each once, in the alerts' order
	addUID := func(u string) {
		if u != "" && !uids[u] && len(inc.UIDs) < alert.MaxUIDs {
			uids[u] = true
			inc.UIDs = append(inc.UIDs, u)
		}
	}
	for _, a := range alerts {
		inc.Last = math.Max(inc.Last, a.End())
		inc.Severity = min(inc.Severity, a.Severity)
		for _, t := range a.MITRE {
			techniques[t] = true
		}
		if st := alert.Lookup(a.Class).Stage; st != alert.StageUnknown && !stagesSeen[st] {
			stagesSeen[st] = true
			inc.Sequence = append(inc.Sequence, st.String())
		}
		for _, u := range a.UIDs {
			addUID(u)
		}
		addUID(a.UID)
	}
	inc.Techniques = alert.SortedKeys(techniques)
	for st := alert.Reconnaissance; st <= alert.ActionsOnObjectives; st++ {
		if stagesSeen[st] {
			inc.Stages = append(inc.Stages, st.String())
		}
	}
	inc.Score = score(alerts, len(inc.Stages))
	inc.Narrative = narrative(inc, alerts, b)
	return inc
}

// firstSorted returns the first n members of m in sorted order.
func firstSorted(m map[string]struct{}, n int) []string {
	out := alert.SortedKeys(m)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// severityWeight is what an alert weighs in the score, by severity.
var severityWeight = map[int]float64{alert.Critical: 70, alert.High: 40, alert.Medium: 20, alert.Info: 5}

// score rates an incident 0–100 by its strongest behaviour, not by how
// many kinds it has: each class weighs its severity's weight times its
// best confidence (at least 0.3); the heaviest counts whole, the next
// half, the next a quarter…; each kill-chain stage past the first adds 10.
// So one critical alert (a successful default-credential login, 63–70)
// ranks above a scan seen by four scan detectors (about 39) or a failed
// brute force after a scan (60).
func score(alerts []alert.Alert, stages int) int {
	best := map[string]float64{} // class → heaviest weight
	for _, a := range alerts {
		best[a.Class] = math.Max(best[a.Class], severityWeight[a.Severity]*math.Max(a.Confidence, 0.3))
	}
	weights := make([]float64, 0, len(best))
	for _, w := range best {
		weights = append(weights, w)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(weights)))
	total, share := 0.0, 1.0
	for _, w := range weights {
		total += w * share
		share /= 2
	}
	total += 10 * float64(max(stages-1, 0))
	return int(math.Min(100, math.Round(total)))
}

// crowd watches one (class, victim) pair for a distributed attack.
type crowd struct {
	sources  map[string]struct{} // until promoted
	last     float64
	promoted bool
}

// crowdKey returns the crowd incident's key when a belongs to one ("" if
// not), watching its (class, victim) pair: once crowdMin distinct sources
// have attacked the victim in the same way within Gap, the pair's alerts
// go to one incident keyed by the victim, and the open incidents of those
// sources that hold nothing else move into it.
func (c *Correlator) crowdKey(a alert.Alert) string {
	pair, ok := crowdPair(a)
	if !ok {
		return ""
	}
	cr := c.crowds[pair]
	if cr != nil && a.TS > cr.last+c.cfg.Gap {
		cr = nil
	}
	if cr == nil {
		if len(c.crowds) >= maxCrowds {
			return ""
		}
		cr = &crowd{sources: map[string]struct{}{}}
		c.crowds[pair] = cr
	}
	cr.last = math.Max(cr.last, a.End())
	k := "crowd " + a.Dst
	if cr.promoted {
		c.openCrowd(k, a.TS)
		return k
	}
	cr.sources[hostKey(a.Src)] = struct{}{}
	if len(cr.sources) < crowdMin {
		return ""
	}
	cr.promoted = true
	c.gather(k, a, cr.sources)
	cr.sources = nil
	return k
}

// crowdPair names the (class, victim) pair a crowd of a's kind is
// watched by; ok is false for an alert no crowd makes (another class, no
// source or victim, an exposure).
func crowdPair(a alert.Alert) (pair string, ok bool) {
	if !crowdClass(a.Class) || a.Src == "" || a.Dst == "" || a.Exposed != "" {
		return "", false
	}
	return a.Class + "|" + a.Dst, true
}

// openCrowd makes sure the crowd incident k is open.
func (c *Correlator) openCrowd(k string, ts float64) *building {
	b := c.open[k]
	if b == nil {
		b = newBuilding(k, ts)
		c.open[k] = b
	}
	return b
}

// gather moves into the crowd incident k the open incidents of sources
// that hold only alerts of a's class on a's victim.
func (c *Correlator) gather(k string, a alert.Alert, sources map[string]struct{}) {
	var moved []alert.Alert
	for s := range sources {
		b := c.open[s]
		if b == nil || b.byClass != nil || !onlyAttack(b.alerts, a.Class, a.Dst) {
			continue
		}
		moved = append(moved, b.alerts...)
		delete(c.open, s)
	}
	sort.SliceStable(moved, func(i, j int) bool { return moved[i].TS < moved[j].TS })
	first := a.TS
	if len(moved) > 0 {
		first = math.Min(first, moved[0].TS)
	}
	b := c.openCrowd(k, first)
	for _, m := range moved {
		b.add(m)
	}
}

// onlyAttack tells whether alerts are all of class on victim dst.
func onlyAttack(alerts []alert.Alert, class, dst string) bool {
	for _, a := range alerts {
		if a.Class != class || a.Dst != dst {
			return false
		}
	}
	return true
}

// crowdClass tells whether an alert class names a victim that a crowd of
// sources can attack together (brute force, floods, port scans, exploits):
// not C2 or tunnels, whose destination is the attacker's side.
func crowdClass(class string) bool {
	switch class {
	case "scan.vertical", "ids.exploit", "ids.dos":
		return true
	}
	return strings.HasPrefix(class, "bruteforce.") || strings.HasPrefix(class, "flood.")
}
