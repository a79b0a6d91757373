// Package alert holds Vigil's alert record (alerts.log, DESIGN.md §3), the
// catalogue of alert classes with their kill-chain stage, ATT&CK techniques
// and stable EVE signature ids, and the EVE (Suricata eve.json) encoding.
package alert

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
)

// Severity runs from 1 (critical) to 4 (info).
const (
	Critical = 1
	High     = 2
	Medium   = 3
	Info     = 4
)

// Alert is one line of alerts.log.
type Alert struct {
	// TS is when the behaviour started (epoch seconds); TSEnd when it was
	// last seen (0 when a single moment).
	TS    float64 `json:"ts"`
	TSEnd float64 `json:"ts_end,omitempty"`
	UID   string  `json:"uid,omitempty"`
	// UIDs lists connections behind the alert (capped at MaxUIDs).
	UIDs []string `json:"uids,omitempty"`
	// Src is the acting host ("" when unknown, e.g. spoofed sources), Dst
	// the target ("" when there are many: see Dsts).
	Src  string `json:"src"`
	Dst  string `json:"dst"`
	SrcP uint16 `json:"src_p,omitempty"`
	DstP uint16 `json:"dst_p,omitempty"`
	// SrcMAC is the acting host's link-layer address, when its IP address
	// is forged but its frames all came from one MAC on the capture's link.
	SrcMAC string `json:"src_mac,omitempty"`
	// Proto is the transport ("tcp", "udp", "icmp") when meaningful.
	Proto string `json:"proto,omitempty"`
	// Exposed names the host (its address) whose exposure the alert
	// describes — an insecure service it offers, a setting it has — when
	// the alert is about that host rather than an act of Src: Src and Dst
	// are then only the connection that revealed it. Incidents correlate
	// such an alert by this host and name no attacker for it.
	Exposed string `json:"exposed,omitempty"`
	// Dsts lists the targets of a one-to-many behaviour (capped at
	// MaxDsts); DstCount counts them all.
	Dsts     []string `json:"dsts,omitempty"`
	DstCount int      `json:"dst_count,omitempty"`
	// Name is the domain name involved (a tunnelled or generated domain,
	// a proxied host), part of the episode key.
	Name     string `json:"name,omitempty"`
	Class    string `json:"class"`
	Severity int    `json:"severity"`
	// Confidence is in [0, 1].
	Confidence float64  `json:"confidence"`
	MITRE      []string `json:"mitre"`
	// Summary is one sentence a person reads, with the numbers.
	Summary string `json:"summary"`
	// Act is the same behaviour as a short verb phrase without the
	// source ("scanned 254 hosts on 23/tcp"), used by incident narratives.
	Act string `json:"act,omitempty"`
	// Evidence holds the numbers and thresholds behind the alert.
	Evidence map[string]any `json:"evidence"`
	Detector string         `json:"detector"`
	// Count is the number of detections merged into this alert (one
	// episode of the same class, source and destination).
	Count int `json:"count,omitempty"`
}

// Emit receives alerts from detectors.
type Emit func(Alert)

// Caps on the lists an alert carries.
const (
	MaxUIDs = 20
	MaxDsts = 50
)

// Key identifies an episode: alerts of the same class, source,
// destination (and domain name) are merged into one.
func (a *Alert) Key() string {
	src := a.Src
	if src == "" {
		src = a.SrcMAC // a host known only by its MAC is still one host
	}
	return a.Class + "|" + src + "|" + a.Dst + "|" + a.Name
}

// Fill completes an alert from the class catalogue: severity and techniques
// when unset, confidence clamped, lists capped and sorted.
func (a *Alert) Fill() {
	info := Lookup(a.Class)
	a.moveMACs()
	if a.Severity == 0 {
		a.Severity = info.Severity
	}
	if len(a.MITRE) == 0 {
		a.MITRE = append([]string(nil), info.MITRE...)
	}
	a.Confidence = math.Round(math.Max(0, math.Min(1, a.Confidence))*1000) / 1000
	if a.Evidence == nil {
		a.Evidence = map[string]any{}
	}
	if len(a.UIDs) > MaxUIDs {
		a.UIDs = a.UIDs[:MaxUIDs]
	}
	if len(a.Dsts) > MaxDsts {
		a.Dsts = a.Dsts[:MaxDsts]
	}
}

// moveMACs keeps Src and Dst to IP addresses, as the contract and the EVE
// export (src_ip, dest_ip) need: a detector that knows the acting host
// only by its link-layer address (an IPv6 neighbour-discovery attacker
// with no address of its own) may name it in Src; it is moved to SrcMAC.
// A Dst that is a MAC is dropped (the summary and evidence still name it).
func (a *Alert) moveMACs() {
	if a.Src != "" && !isAddr(a.Src) {
		if m, err := net.ParseMAC(a.Src); err == nil && a.SrcMAC == "" {
			a.SrcMAC = m.String()
		}
		a.Src = ""
	}
	if a.Dst != "" && !isAddr(a.Dst) {
		a.Dst = ""
	}
}

// isAddr reports whether s is an IP address.
func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// Merge folds a later detection of the same episode into a: the time span
// grows, the latest evidence and summary (the most complete numbers) win,
// severity and confidence take the strongest, uids and targets are united.
func (a *Alert) Merge(b Alert) {
	start, end := a.TS, math.Max(a.End(), b.End())
	if b.TS < start {
		start = b.TS
	}
	a.TS = start
	if end > start {
		a.TSEnd = end
	}
	a.Summary, a.Act, a.Evidence = b.Summary, b.Act, b.Evidence
	if b.Severity < a.Severity {
		a.Severity = b.Severity
	}
	a.Confidence = math.Max(a.Confidence, b.Confidence)
	a.UIDs = union(a.UIDs, b.UIDs, MaxUIDs)
	if a.UID == "" {
		a.UID = b.UID
	}
	if a.SrcMAC == "" {
		a.SrcMAC = b.SrcMAC
	}
	if a.Exposed == "" {
		a.Exposed = b.Exposed
	}
	// The later detection's targets first: a detector lists the telling
	// ones first (a spray's servers logged in on), and the cap must not
	// drop them for the earlier list.
	a.Dsts = union(slices.Clone(b.Dsts), a.Dsts, MaxDsts)
	if b.DstCount > a.DstCount {
		a.DstCount = b.DstCount
	}
	a.MITRE = union(a.MITRE, b.MITRE, 16)
	a.Count += max(b.Count, 1)
}

// End returns when the alert's behaviour was last seen.
func (a *Alert) End() float64 {
	if a.TSEnd > a.TS {
		return a.TSEnd
	}
	return a.TS
}

func union(a, b []string, limit int) []string {
	for _, s := range b {
		if len(a) >= limit {
			break
		}
		found := false
		for _, t := range a {
			if t == s {
				found = true
				break
			}
		}
		if !found {
			a = append(a, s)
		}
	}
	return a
}

// JSON returns the alerts.log line of a (no newline).
func (a *Alert) JSON() []byte {
	b, err := json.Marshal(a)
	if err != nil { // evidence holds only numbers, strings and lists
		b, _ = json.Marshal(map[string]string{"class": a.Class, "error": err.Error()})
	}
	return b
}

// Parse reads one alerts.log line.
func Parse(line []byte) (Alert, error) {
	var a Alert
	if err := json.Unmarshal(line, &a); err != nil {
		return a, fmt.Errorf("alert: parse: %w", err)
	}
	return a, nil
}

// Addrs returns the destination addresses of a (Dst and Dsts).
func (a *Alert) Addrs() []string {
	out := make([]string, 0, 1+len(a.Dsts))
	if a.Dst != "" {
		out = append(out, a.Dst)
	}
	for _, d := range a.Dsts {
		if d != a.Dst {
			out = append(out, d)
		}
	}
	return out
}

// Crowd returns the sources an alert of many known sources names (no
// Src, evidence kind "distributed" and its "sources": a distributed brute
// force's, the most active first) and how many there were (its "source_count"); nil and 0 for
// another alert. Evidence read back from JSON holds []any and float64.
func (a *Alert) Crowd() (sources []string, count int) {
	if a.Src != "" || a.Evidence["kind"] != "distributed" {
		return nil, 0
	}
	switch v := a.Evidence["sources"].(type) {
	case []string:
		sources = v
	case []any:
		for _, s := range v {
			if s, ok := s.(string); ok {
				sources = append(sources, s)
			}
		}
	}
	switch n := a.Evidence["source_count"].(type) {
	case int:
		count = n
	case float64:
		count = int(n)
	}
	return sources, count
}

// Clock formats epoch seconds as a UTC time of day for summaries.
func Clock(ts float64) string {
	return Time(ts).Format("15:04:05")
}

// Time converts epoch seconds to a time.Time in UTC.
func Time(ts float64) time.Time {
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// Port formats a port and transport as "23/tcp".
func Port(p uint16, proto string) string {
	return fmt.Sprintf("%d/%s", p, proto)
}

// SortedKeys returns a map's keys sorted, for deterministic summaries.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AddrString formats an address for an alert ("" for the zero Addr).
func AddrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Plural returns "1 host" or "3 hosts".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "s") || strings.HasSuffix(word, "sh") {
		return fmt.Sprintf("%d %ses", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Episode is the reporting state a behavioural detector keeps for each
// thing it watches (a source, a victim, a pair, a domain): when it was
// last active, whether it alerted, and when it was last reported. Last
// only moves forward (a Schedule relies on it).
type Episode struct {
	Last     float64
	Alerted  bool
	LastEmit float64
	ticket   uint32 // of its latest entry in a Schedule
	// activity counts the records that joined the episode (Active),
	// reported is activity as it was at the latest report. A Schedule in
	// refresh mode refreshes it until refreshUntil (set at its first look
	// after the episode alerted) and last looked at it at checked.
	activity, reported    uint64
	refreshUntil, checked float64
}

// Active notes a record of record time ts joining the episode: Last moves
// forward to ts (a record may come late: it never moves back).
func (e *Episode) Active(ts float64) {
	e.Last = max(e.Last, ts)
	e.activity++
}

// Restart makes the episode a new one that starts at record time ts, as
// Episode{Last: ts} would be, but for its Schedule ticket: a detector that
// starts a thing's next episode in the same state calls it and then
// Schedule.Watch, which passes over the entries of the episode before.
func (e *Episode) Restart(ts float64) {
	*e = Episode{Last: ts, ticket: e.ticket}
}

// Reported notes that the episode was reported (alerted) at record time
// ts, with the records it had then.
func (e *Episode) Reported(ts float64) {
	e.Alerted, e.LastEmit, e.reported = true, ts, e.activity
}

// EpisodeState is an Episode's fields as a detector's state file keeps
// them (detect.Persistent): all but its Schedule ticket, which the
// restored episode gets when it is watched again.
type EpisodeState struct {
	Last, LastEmit        float64
	Alerted               bool
	Activity, Reported    uint64
	RefreshUntil, Checked float64
}

// State returns the episode's fields for a state file.
func (e *Episode) State() EpisodeState {
	return EpisodeState{Last: e.Last, LastEmit: e.LastEmit, Alerted: e.Alerted, Activity: e.activity, Reported: e.reported,
		RefreshUntil: e.refreshUntil, Checked: e.checked}
}

// RestoreEpisode returns the episode that State gave s.
func RestoreEpisode(s EpisodeState) Episode {
	return Episode{Last: s.Last, LastEmit: s.LastEmit, Alerted: s.Alerted, activity: s.Activity, reported: s.Reported,
		refreshUntil: s.RefreshUntil, checked: s.Checked}
}
