package assets

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Finding is an IoT or exposure problem of one host, with the records
// behind it. Findings also go out as alerts (Alert).
type Finding struct {
	Kind       string     `json:"kind"`  // telnet_offered, mqtt_anonymous, default_creds …
	Class      string     `json:"class"` // alert class: iot.insecure_protocol, iot.default_creds
	Severity   int        `json:"severity"`
	Confidence float64    `json:"confidence"`
	MITRE      []string   `json:"mitre,omitempty"`
	Host       string     `json:"host"`           // the host at fault: its address (or MAC)
	Port       uint16     `json:"port,omitempty"` // the host's port (its service)
	Src        string     `json:"src,omitempty"`
	SrcPort    uint16     `json:"src_p,omitempty"`
	Dst        string     `json:"dst,omitempty"`
	DstPort    uint16     `json:"dst_p,omitempty"`
	Proto      string     `json:"proto,omitempty"`
	Service    string     `json:"service,omitempty"`
	Value      string     `json:"value,omitempty"` // what was found: a version, a topic, a user/password …
	Rule       string     `json:"rule,omitempty"`  // the rule that raised it
	TS         float64    `json:"ts"`              // first seen
	Last       float64    `json:"last"`
	Count      uint64     `json:"count"`
	Summary    string     `json:"summary"`
	Evidence   []Evidence `json:"evidence"`

	// Exposure: the finding describes Host's exposure, not an act of Src
	// (its kind's rule says so); its alert names Host as exposed.
	Exposure bool `json:"exposure,omitempty"`
	// Once: alerted once (its kind's rule says so), not again when it
	// recurs after its alert was written.
	Once bool `json:"-"`

	// extra is what tells this finding from others of its kind, host and
	// port besides Value (findingKey's extra).
	extra string
	// values are the distinct other values a finding gathering them has
	// seen (default_creds_tried: the pairs a brute force tried), at most
	// maxValues; more counts them (those past maxValues are not counted:
	// a value not held cannot be told from a retry of one counted).
	values map[string]bool
	more   int
}

// gathering are the finding kinds that gather their values into one
// finding per host and port instead of one per value: a brute force that
// tries ten default pairs is one "tried default credentials" finding
// naming the first and counting the rest, not ten.
var gathering = map[string]bool{"default_creds_tried": true}

// maxValues bounds the distinct values a gathering finding tells apart;
// default_creds_tried's values are the rules' default pairs (65 built in),
// so this bounds only a rule set of thousands.
const maxValues = 1024

// codeFindingKinds are the kinds raised by the inventory's own checks
// (the others are raised by match rules); the rule files must describe
// them all.
var codeFindingKinds = []string{
	"default_creds", "default_creds_tried", "cleartext_login", "mqtt_wildcard_subscription", "ics_write_new_writer",
}

// raise records an occurrence of a finding of kind about host t, from
// observation o. extra separates findings of one kind on one port (a
// credential, a writer).
func (inv *Inventory) raise(kind string, t target, o *obs, extra, rule string) {
	fr, ok := inv.rules.findings[kind]
	if !ok {
		return
	}
	key := findingKey(kind, t, o, extra)
	if inv.supersededBy(kind, t, o, extra) {
		return
	}
	f := inv.findings[key]
	if f == nil {
		f = inv.newFinding(fr, t, o, rule, extra)
		inv.findings[key] = f
		inv.findingOrder = append(inv.findingOrder, key)
		inv.addEvidence(f, o, rule)
		if inv.telling() {
			inv.cfg.Sink.Raised(f)
		}
		return
	}
	f.Count++
	f.TS = minTS(f.TS, o.ts)
	f.Last = max(f.Last, o.ts)
	if gathering[kind] {
		f.gather(fr, o.value)
	}
	inv.addEvidence(f, o, rule)
	inv.recurred(f, o)
}

// gather counts value among a gathering finding's values and says so in
// its summary ("… root/123456 and 9 other pairs …").
func (f *Finding) gather(fr FindingRule, value string) {
	if value == f.Value || f.values[value] {
		return
	}
	if f.values == nil {
		f.values = map[string]bool{}
	}
	if len(f.values) >= maxValues {
		return // retries of pairs not held would count again
	}
	f.values[value] = true
	f.more++
	f.Summary = expandSummary(fr.Summary, f)
}

// telling reports whether the sink is to hear of findings now: there is
// one, and no snapshot is being built (Hosts may run in another goroutine
// than the records).
func (inv *Inventory) telling() bool { return inv.cfg.Sink != nil && !inv.snapshotting }

// recurred tells the sink that f was raised again by o's record, or
// gained evidence from it.
func (inv *Inventory) recurred(f *Finding, o *obs) {
	if inv.telling() {
		inv.cfg.Sink.Recurred(f, Occurrence{TS: o.ts, UID: o.uid, Src: o.id.origH, Dst: o.id.respH,
			SrcPort: o.id.origP, DstPort: o.id.respP})
	}
}

// findingKey identifies a finding: its kind, host, port and extra.
func findingKey(kind string, t target, o *obs, extra string) string {
	return kind + "|" + t.String() + "|" + o.proto + "/" + strconv.Itoa(int(hostPort(t, o))) + "|" + extra
}

// hostPort is the port of the record's connection on the host's side
// (an SSDP announcement's source port is the device's, a request's
// destination port the server's).
func hostPort(t target, o *obs) uint16 {
	if t.addr.IsValid() && t.addr == o.id.origH && t.addr != o.id.respH {
		return o.id.origP
	}
	return o.id.respP
}

// superseding maps a finding kind to the one that makes it redundant on
// the same host, port and value (a default login accepted says more than
// the same login tried).
var superseding = map[string]string{"default_creds_tried": "default_creds"}

// supersededBy reports whether a more telling finding covers this one;
// when kind itself supersedes another, that one is dropped.
func (inv *Inventory) supersededBy(kind string, t target, o *obs, extra string) bool {
	if better, ok := superseding[kind]; ok {
		betterExtra := extra
		if gathering[kind] {
			betterExtra = o.value // the accepted finding of this very value
		}
		if _, ok := inv.findings[findingKey(better, t, o, betterExtra)]; ok {
			return true
		}
	}
	for weaker, better := range superseding {
		if better != kind {
			continue
		}
		if !gathering[weaker] {
			inv.dropFinding(findingKey(weaker, t, o, extra))
			continue
		}
		// A gathering finding goes only when this value is all it holds:
		// other pairs tried are still news.
		key := findingKey(weaker, t, o, "")
		if f := inv.findings[key]; f != nil && f.Value == extra && f.more == 0 {
			inv.dropFinding(key)
		}
	}
	return false
}

func (inv *Inventory) dropFinding(key string) {
	f, ok := inv.findings[key]
	if !ok {
		return
	}
	if inv.telling() {
		inv.cfg.Sink.Dropped(f)
	}
	delete(inv.findings, key)
	for i, k := range inv.findingOrder {
		if k == key {
			inv.findingOrder = append(inv.findingOrder[:i], inv.findingOrder[i+1:]...)
			break
		}
	}
}

func (inv *Inventory) newFinding(fr FindingRule, t target, o *obs, rule, extra string) *Finding {
	host := t.String()
	f := &Finding{
		Kind: fr.Kind, Class: fr.Class, Severity: fr.Severity, Confidence: fr.Confidence,
		MITRE: fr.MITRE, Host: host, Exposure: fr.Exposure, Once: fr.Once, Proto: o.proto, Service: o.service, Value: o.value,
		Rule: rule, TS: o.ts, Last: o.ts, Count: 1, Port: hostPort(t, o), extra: extra,
	}
	if o.id.origH.IsValid() {
		f.Src, f.SrcPort = o.id.origH.String(), o.id.origP
	}
	if o.id.respH.IsValid() {
		f.Dst, f.DstPort = o.id.respH.String(), o.id.respP
	}
	f.Summary = expandSummary(fr.Summary, f)
	return f
}

// addEvidence keeps up to MaxEvidence distinct records (by uid, or by
// time for records without one).
func (inv *Inventory) addEvidence(f *Finding, o *obs, rule string) {
	if len(f.Evidence) >= inv.cfg.MaxEvidence {
		return
	}
	for _, e := range f.Evidence {
		if e.Log == o.log && e.UID == o.uid && (o.uid != "" || e.TS == o.ts) && e.Value == o.value {
			return
		}
	}
	f.Evidence = append(f.Evidence, o.evidence(rule, 0))
}

// expandSummary fills a summary template.
func expandSummary(tmpl string, f *Finding) string {
	port := ""
	if f.Port != 0 {
		port = strconv.Itoa(int(f.Port))
	}
	service := f.Service
	if service == "" {
		service = f.Proto + "/" + port
	}
	value := f.Value
	switch {
	case f.more == 1:
		value += " and one other pair"
	case f.more > 1:
		value += " and " + strconv.Itoa(f.more) + " other pairs"
	}
	return strings.NewReplacer(
		"{host}", f.Host, "{port}", port, "{proto}", f.Proto, "{service}", service,
		"{value}", value, "{src}", f.Src, "{dst}", f.Dst,
	).Replace(tmpl)
}

func (f *Finding) clone() Finding {
	c := *f
	c.Evidence = append([]Evidence(nil), f.Evidence...)
	c.MITRE = append([]string(nil), f.MITRE...)
	return c
}

// Findings returns every finding, most severe first, then by time.
func (inv *Inventory) Findings() []Finding {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	out := make([]Finding, 0, len(inv.findingOrder))
	for _, k := range inv.findingOrder {
		out = append(out, inv.findings[k].clone())
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity < out[j].Severity
		}
		return out[i].TS < out[j].TS
	})
	return out
}

// alert is the alerts.log shape (DESIGN.md §3; the fields of
// internal/detect/alert.Alert).
type alert struct {
	TS         float64        `json:"ts"`
	TSEnd      float64        `json:"ts_end,omitempty"`
	UID        string         `json:"uid,omitempty"`
	UIDs       []string       `json:"uids,omitempty"`
	Src        string         `json:"src"`
	Dst        string         `json:"dst"`
	SrcPort    uint16         `json:"src_p,omitempty"`
	DstPort    uint16         `json:"dst_p,omitempty"`
	Proto      string         `json:"proto,omitempty"`
	Exposed    string         `json:"exposed,omitempty"`
	Class      string         `json:"class"`
	Severity   int            `json:"severity"`
	Confidence float64        `json:"confidence"`
	MITRE      []string       `json:"mitre"`
	Summary    string         `json:"summary"`
	Evidence   map[string]any `json:"evidence"`
	Detector   string         `json:"detector"`
	Count      int            `json:"count,omitempty"`
}

// Key identifies the finding among those of its class (its kind, host,
// port and value): alert pipelines that merge alerts into episodes by
// class, source and destination should keep findings of different keys
// apart.
func (f *Finding) Key() string {
	return f.Kind + "|" + f.Host + "|" + f.Proto + "/" + strconv.Itoa(int(f.Port)) + "|" + f.Value
}

// Name names the finding's alert: Key, and the detail that tells two
// findings of one Key apart when there is one (an ICS write's writer,
// besides the operation in Value).
func (f *Finding) Name() string {
	if f.extra == "" || f.extra == f.Value {
		return f.Key()
	}
	return f.Key() + "|" + f.extra
}

// UIDs returns the connection uids the evidence names, in order.
func (f *Finding) UIDs() []string {
	var uids []string
	for _, e := range f.Evidence {
		if e.UID != "" && !contains(uids, e.UID) {
			uids = append(uids, e.UID)
		}
	}
	return uids
}

// AlertEvidence is the alert's evidence: the finding's kind, host, value,
// rule, count and last time, and the records behind it.
func (f *Finding) AlertEvidence() map[string]any {
	ev := map[string]any{
		"kind": f.Kind, "host": f.Host, "count": f.Count, "last": f.Last, "records": slices.Clone(f.Evidence),
	}
	if f.Value != "" {
		ev["value"] = f.Value
	}
	if f.Rule != "" {
		ev["rule"] = f.Rule
	}
	return ev
}

// Alert renders the finding as one alerts.log line (JSON, no newline):
// ts (ts_end), uid/uids, src, dst (and ports), exposed (Host, for an
// exposure), class, severity, confidence, mitre, summary, evidence
// (AlertEvidence), detector "assets", count.
func (f *Finding) Alert() []byte {
	a := alert{
		TS: f.TS, Src: f.Src, SrcPort: f.SrcPort, Dst: f.Dst, DstPort: f.DstPort, Proto: f.Proto,
		Class: f.Class, Severity: f.Severity, Confidence: f.Confidence, MITRE: f.MITRE,
		Summary: f.Summary, Evidence: f.AlertEvidence(), Detector: "assets", UIDs: f.UIDs(),
		Count: int(min(f.Count, 1<<31-1)),
	}
	if f.Last > f.TS {
		a.TSEnd = f.Last
	}
	if a.MITRE == nil {
		a.MITRE = []string{}
	}
	if f.Exposure {
		a.Exposed = f.Host
	}
	if len(a.UIDs) > 0 {
		a.UID = a.UIDs[0]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil { // plain values only: cannot happen
		return []byte(`{"class":"` + f.Class + `","detector":"assets"}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
