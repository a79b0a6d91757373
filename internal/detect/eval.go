package detect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/netset"
)

// Labels is a lab scenario's ground truth (SCENARIO.labels.json, DESIGN.md
// §3).
type Labels struct {
	Scenario     string     `json:"scenario"`
	Description  string     `json:"description"`
	ToolCommands StringList `json:"tool_commands"`
	Attacker     StringList `json:"attacker"`
	// AttackerMAC is the attacker's own MAC: on its link, an alert naming
	// it names the attacker (spoofing tools send from others' addresses).
	AttackerMAC     string     `json:"attacker_mac"`
	Victims         StringList `json:"victims"`
	StartTS         float64    `json:"start_ts"`
	EndTS           float64    `json:"end_ts"`
	ExpectedClasses []string   `json:"expected_classes"`
	MITRE           []string   `json:"mitre"`
	BenignHosts     StringList `json:"benign_hosts"`
	// Hosts maps each address to its host's name (the lab writes it):
	// addresses of one host count as that host.
	Hosts map[string]string `json:"hosts"`
	// Capture is the span of the scenario's capture (lead-in and lead-out
	// around the attack): the time its alerts can come from.
	Capture CaptureSpan `json:"capture"`
	// IntelFeeds are threat-intelligence feed files the scenario's
	// analysis loads (paths relative to the labels' directory, or
	// absolute; FeedPaths): its intel.match alerts are lookups in them.
	// Labels without it (most) are analysed with no feeds.
	IntelFeeds StringList `json:"intel_feeds"`
	// Detect is a detection override for this scenario's analysis
	// (Config.Override: detector sections and their fields), for an
	// attack that a default threshold cannot see in a lab run (the
	// longconn scenario's 7 minutes against conn.long's hour). Labels
	// without it (most) are analysed with the configuration as given.
	Detect json.RawMessage `json:"detect"`
}

// Inputs are what a scenario's analysis loads besides its capture, from
// its labels: intel feeds (FeedPaths) and a detection override
// (Labels.Detect, checked; the analysis applies it with Config.Override
// over its own configuration).
type Inputs struct {
	Feeds  []string
	Detect json.RawMessage
}

// FeedPaths returns the labels' intel feeds as paths, relative ones
// resolved against dir (the labels' directory), each checked to exist: a
// feed that is missing is an error naming it, not an analysis that
// quietly matches nothing.
func (l *Labels) FeedPaths(dir string) ([]string, error) {
	var out []string
	for _, f := range l.IntelFeeds {
		if strings.TrimSpace(f) == "" {
			return nil, fmt.Errorf("labels of %s name an empty intel feed", l.Scenario)
		}
		p := f
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("intel feed %s of %s's labels is missing (no %s)", f, l.Scenario, p)
			}
			return nil, fmt.Errorf("intel feed %s of %s's labels: %w", f, l.Scenario, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// CaptureSpan is when a capture began and ended (epoch seconds).
type CaptureSpan struct {
	StartTS float64 `json:"start_ts"`
	EndTS   float64 `json:"end_ts"`
}

// host names the host behind addr (addr itself, in its canonical form,
// when unknown).
func (l *Labels) host(addr string) string {
	addr = canonAddr(addr)
	if h, ok := l.Hosts[addr]; ok {
		return h
	}
	return addr
}

// canonAddr writes an address in one form: an IP address as netip does
// (RFC 5952, IPv4-mapped unmapped, without a zone), a MAC in lower case, a
// prefix masked; anything else as it is.
func canonAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("").String()
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return netip.PrefixFrom(p.Addr().Unmap().WithZone(""), p.Bits()).Masked().String()
	}
	if m, err := net.ParseMAC(s); err == nil {
		return m.String()
	}
	return s
}

func canonList(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = canonAddr(s)
	}
	return out
}

// canonical returns the labels with every address in canonical form, so
// that labels written by hand or by another tool match the alerts.
func (l Labels) canonical() Labels {
	l.Attacker, l.Victims, l.BenignHosts = canonList(l.Attacker), canonList(l.Victims), canonList(l.BenignHosts)
	l.AttackerMAC = canonAddr(l.AttackerMAC)
	if l.Hosts != nil {
		hosts := make(map[string]string, len(l.Hosts))
		for a, h := range l.Hosts {
			hosts[canonAddr(a)] = h
		}
		l.Hosts = hosts
	}
	return l
}

// hostSet maps addresses to the set of their hosts.
func (l *Labels) hostSet(addrs []string) map[string]bool {
	m := map[string]bool{}
	for _, a := range addrs {
		if a != "" {
			m[l.host(a)] = true
		}
	}
	return m
}

// StringList reads a JSON string or a list of strings.
type StringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (s *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = StringList{one}
		if one == "" {
			*s = nil
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Benign reports whether the scenario has no attack to find.
func (l *Labels) Benign() bool { return len(l.ExpectedClasses) == 0 }

// Row is one scenario's evaluation.
type Row struct {
	Scenario string
	Expected []string // expected classes
	Found    []string // expected classes alerted
	Extra    []string // classes alerted but not expected
	Alerts   int
	// ClassRecall: share of expected classes alerted. ClassPrecision:
	// share of alerts whose class is expected.
	ClassRecall, ClassPrecision float64
	// AttackerRecall: share of attackers named as the source of an alert
	// of an expected class. VictimRecall: share of victims named as a
	// destination of one. AddrPrecision: share of alerts naming the
	// attacker as source or a victim as destination (alerts naming no
	// host are left out).
	AttackerRecall, VictimRecall, AddrPrecision float64
	// Hours is the span the alerts were counted over: the capture's
	// (else the attack phase's).
	Hours float64
	// FalsePerHour: alerts per hour of a benign scenario (alerts of
	// unexpected classes per hour for attack scenarios).
	FalsePerHour float64
	Benign       bool
	Err          string
	// Posture counts the alerts left out as posture (postureClass: an
	// exposed service of the background), PostureClasses their classes.
	Posture        int
	PostureClasses []string
}

func (r *Row) posture(class string) {
	r.Posture++
	if !contains(r.PostureClasses, class) {
		r.PostureClasses = append(r.PostureClasses, class)
		sort.Strings(r.PostureClasses)
	}
}

// Table is the evaluation of every scenario.
type Table struct{ Rows []Row }

// Score evaluates the alerts of one scenario against its labels.
func Score(l Labels, alerts []alert.Alert) Row {
	l = l.canonical()
	alerts = l.during(alerts)
	row := Row{Scenario: l.Scenario, Expected: l.ExpectedClasses, Alerts: len(alerts), Benign: l.Benign()}
	// The alerts counted come from the whole capture (lead-in and
	// lead-out too): the rate is over its span, not the attack phase's.
	row.Hours = 1.0 / 60 // labels without times: a minute
	if from, to, ok := l.span(); ok {
		row.Hours = max(to-from, 1) / 3600
	}
	expected := set(l.ExpectedClasses)
	attackers, victims := l.hostSet(append(slices.Clone(l.Attacker), l.AttackerMAC)), l.hostSet(l.Victims)
	seenClass, seenAttacker, seenVictim := map[string]bool{}, map[string]bool{}, map[string]bool{}
	inClass, withAddr, rightAddr, extra := 0, 0, 0, 0
	scored := 0
	for _, a := range alerts {
		if !expected[a.Class] && postureClass[a.Class] {
			row.posture(a.Class) // describes the network (an exposed service), not the behaviour under test
			continue
		}
		scored++
		src, named := l.host(a.Src), l.hostSet(a.Addrs())
		crowdAddrs, _ := a.Crowd()
		crowd := l.hostSet(crowdAddrs) // a distributed attack's sources, named in its evidence
		srcMAC := ""                   // the sender's MAC, named when its address is forged
		if a.SrcMAC != "" {
			srcMAC = l.host(a.SrcMAC)
		}
		if toEveryone(a.Dst) {
			// To all nodes of the link (a rogue RA, a smurf): every
			// victim is addressed.
			for h := range victims {
				named[h] = true
			}
		}
		fromCrowd := anyHost(crowd, attackers)
		if expected[a.Class] && l.inAttack(a) && (fromCrowd || l.attributed(a, src, srcMAC, named, attackers, victims)) {
			inClass++
			seenClass[a.Class] = true
			// An attacker named as source, or as the far end of a C2
			// channel or tunnel (the beacon's server is the attacker).
			for h := range attackers {
				if src == h || srcMAC == h || named[h] || crowd[h] {
					seenAttacker[h] = true
				}
			}
			for h := range victims {
				if named[h] || src == h || inPrefix(h, a.Addrs()) {
					seenVictim[h] = true
				}
			}
		} else if expected[a.Class] && postureClass[a.Class] {
			// The background's own exposure findings (the hub's MQTT
			// without TLS in every scenario): posture, as in the benign
			// scenario, not the attack's detection.
			scored--
			row.posture(a.Class)
			continue
		} else {
			extra++
			if !contains(row.Extra, a.Class) {
				row.Extra = append(row.Extra, a.Class)
			}
		}
		if a.Src != "" || a.SrcMAC != "" || len(a.Addrs()) > 0 {
			withAddr++
			if fromCrowd || attackers[src] || attackers[srcMAC] || anyHost(named, attackers) || anyHost(named, victims) || anyInPrefix(victims, a.Addrs()) {
				rightAddr++
			}
		}
	}
	row.Found = alert.SortedKeys(seenClass)
	sort.Strings(row.Extra)
	row.ClassRecall = ratio(len(seenClass), len(expected), 1)
	row.ClassPrecision = ratio(inClass, scored, 1)
	// The attacker is one host; its label lists every address it has:
	// naming any of them names the attacker.
	row.AttackerRecall = ratio(min(len(seenAttacker), 1), min(len(attackers), 1), 1)
	row.VictimRecall = ratio(len(seenVictim), len(victims), 1)
	row.AddrPrecision = ratio(rightAddr, withAddr, 1)
	row.FalsePerHour = float64(extra) / row.Hours
	return row
}

// timeSlack is how far outside a labelled span an alert may begin or end
// and still be of it: the lab measures the attack phase around the tool
// runs, within a second of its first and last packets.
const timeSlack = 2.0

// span is when the scenario's alerts can come from: its capture, or its
// attack phase when the labels give no capture; ok is false when the labels
// give no time at all.
func (l *Labels) span() (from, to float64, ok bool) {
	if l.Capture.StartTS > 0 && l.Capture.EndTS >= l.Capture.StartTS {
		return l.Capture.StartTS, l.Capture.EndTS, true
	}
	if l.StartTS > 0 && l.EndTS >= l.StartTS {
		return l.StartTS, l.EndTS, true
	}
	return 0, 0, false
}

// overlaps reports whether the alert's time (ts to ts_end) meets [from,
// to] widened by timeSlack. An alert without a time meets everything.
func overlaps(a alert.Alert, from, to float64) bool {
	if a.TS <= 0 {
		return true
	}
	return a.TS <= to+timeSlack && max(a.TS, a.TSEnd) >= from-timeSlack
}

// during keeps the alerts of the scenario's time: an alert log that holds
// several scenarios (one long capture, a live run) credits each scenario
// with its own alerts only, whatever the attacker they share.
func (l *Labels) during(alerts []alert.Alert) []alert.Alert {
	from, to, ok := l.span()
	if !ok {
		return alerts
	}
	var out []alert.Alert
	for _, a := range alerts {
		if overlaps(a, from, to) {
			out = append(out, a)
		}
	}
	return out
}

// inAttack reports whether the alert meets the labelled attack phase (the
// lead-in and lead-out hold only the background).
func (l *Labels) inAttack(a alert.Alert) bool {
	if l.StartTS <= 0 || l.EndTS < l.StartTS {
		return true
	}
	return overlaps(a, l.StartTS, l.EndTS)
}

// attributed reports whether an alert of an expected class is the
// detection of this scenario's attack rather than of something else of the
// same class: it names the attacker as its source (address or MAC); or its
// source is a victim talking to the attacker (a C2 channel, a tunnel: the
// compromised host is the source); or its source is no lab host (a forged
// address, none, a made-up MAC) and it names the attacker or a victim. An
// alert blaming a benign lab host, or the victim for acting on its own, is
// a false alert of that class.
func (l *Labels) attributed(a alert.Alert, src, srcMAC string, named, attackers, victims map[string]bool) bool {
	if attackers[src] || attackers[srcMAC] {
		return true
	}
	if a.Src != "" && l.known(a.Src) {
		return victims[src] && anyHost(named, attackers)
	}
	if srcMAC != "" && l.known(srcMAC) {
		return false
	}
	return anyHost(named, attackers) || anyHost(named, victims) || anyInPrefix(victims, a.Addrs())
}

// known reports whether addr (an address or a MAC) is a host of the lab:
// in the labels' address plan, a benign host, a victim or the attacker.
func (l *Labels) known(addr string) bool {
	addr = canonAddr(addr)
	if _, ok := l.Hosts[addr]; ok {
		return true
	}
	return slices.Contains(l.BenignHosts, addr) || slices.Contains(l.Victims, addr) ||
		slices.Contains(l.Attacker, addr) || l.AttackerMAC == addr
}

// postureClass marks alert classes that describe the network itself —
// an insecure service that is always there, a tunnel — rather than an
// attack: a lab scenario's background has them whatever the attack, so
// they count neither as hits nor as false alerts unless expected.
var postureClass = map[string]bool{"iot.insecure_protocol": true, "ipv6.tunnel": true}

// toEveryone reports whether addr is a multicast or broadcast address.
func toEveryone(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && netset.Group(a)
}

// inPrefix reports whether victim is a prefix (a sweep's target: every
// address in it is a victim) holding one of addrs.
func inPrefix(victim string, addrs []string) bool {
	p, err := netip.ParsePrefix(victim)
	if err != nil {
		return false
	}
	for _, s := range addrs {
		if a, err := netip.ParseAddr(s); err == nil && p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// anyInPrefix reports whether one of addrs is in one of the prefixes
// among victims.
func anyInPrefix(victims map[string]bool, addrs []string) bool {
	for v := range victims {
		if inPrefix(v, addrs) {
			return true
		}
	}
	return false
}

func anyHost(named, hosts map[string]bool) bool {
	for h := range named {
		if hosts[h] {
			return true
		}
	}
	return false
}

func set(items []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range items {
		if s != "" {
			m[s] = true
		}
	}
	return m
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func anyIn(items []string, m map[string]bool) bool {
	for _, s := range items {
		if m[s] {
			return true
		}
	}
	return false
}

// ratio is n/d, or empty when there is nothing to divide.
func ratio(n, d int, empty float64) float64 {
	if d == 0 {
		return empty
	}
	return float64(n) / float64(d)
}

// ReadLabels reads every *.labels.json file of dir, sorted by scenario.
func ReadLabels(dir string) ([]Labels, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.labels.json"))
	if err != nil {
		return nil, fmt.Errorf("detect: eval: %w", err)
	}
	var out []Labels
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("detect: eval: %w", err)
		}
		var l Labels
		if err := json.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("detect: eval: labels %s: %w", p, err)
		}
		if l.Scenario == "" {
			l.Scenario = strings.TrimSuffix(filepath.Base(p), ".labels.json")
		}
		if err := CheckOverride(l.Detect); err != nil {
			return nil, fmt.Errorf("detect: eval: labels %s: %w", p, err)
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scenario < out[j].Scenario })
	return out, nil
}

// ReadAlerts reads an alerts.log file.
func ReadAlerts(path string) ([]alert.Alert, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("detect: read alerts: %w", err)
	}
	defer f.Close()
	var out []alert.Alert
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		a, err := alert.Parse(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("detect: read alerts %s: %w", path, err)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

// Eval scores every scenario labelled in labelsDir; alertsFor returns a
// scenario's alerts (an error is reported in its row, the others go on).
func Eval(labelsDir string, alertsFor func(scenario string) ([]alert.Alert, error)) (Table, error) {
	return evalLabels(labelsDir, func(l *Labels) ([]alert.Alert, error) { return alertsFor(l.Scenario) })
}

// evalLabels is Eval with each scenario's labels at hand.
func evalLabels(labelsDir string, alertsFor func(l *Labels) ([]alert.Alert, error)) (Table, error) {
	labels, err := ReadLabels(labelsDir)
	if err != nil {
		return Table{}, err
	}
	if len(labels) == 0 {
		return Table{}, fmt.Errorf("detect: eval: no *.labels.json in %s", labelsDir)
	}
	var t Table
	for _, l := range labels {
		alerts, err := alertsFor(&l)
		row := Score(l, alerts)
		if err != nil {
			row.Err = err.Error()
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// EvalCaptures evaluates a lab directory of SCENARIO.pcap files beside
// their SCENARIO.labels.json: analyze runs the analysis of one capture into
// outDir (a fresh directory under workDir), with the intel feeds its labels
// name loaded (FeedPaths; none for most) and their detection override
// applied (none for most), and returns the path of the alerts.log it
// wrote. A feed that is missing is the scenario's error; an override that
// Config.Override refuses fails the whole evaluation, as ReadLabels reads
// the labels.
func EvalCaptures(dir, workDir string, analyze func(pcap, outDir string, in Inputs) (alertsPath string, err error)) (Table, error) {
	return evalLabels(dir, func(l *Labels) ([]alert.Alert, error) {
		scenario := l.Scenario
		feeds, err := l.FeedPaths(dir)
		if err != nil {
			return nil, err
		}
		pcap := filepath.Join(dir, scenario+".pcap")
		if _, err := os.Stat(pcap); errors.Is(err, os.ErrNotExist) {
			if _, err2 := os.Stat(pcap + "ng"); err2 == nil {
				pcap += "ng"
			}
		}
		out := filepath.Join(workDir, scenario)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
		path, err := analyze(pcap, out, Inputs{Feeds: feeds, Detect: l.Detect})
		if err != nil {
			return nil, fmt.Errorf("analyze %s: %w", pcap, err)
		}
		return ReadAlerts(path)
	})
}

// Write prints the table, one scenario a line and the totals.
func (t Table) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\talerts\tclass recall\tclass prec.\tattacker rec.\tvictim rec.\taddr prec.\tfalse/h\tmissing / unexpected / posture (not scored)")
	var recall, prec, benignFalse, benignHours float64
	attacks := 0
	for _, r := range t.Rows {
		note := ""
		if missing := minus(r.Expected, r.Found); len(missing) > 0 {
			note = "missing " + strings.Join(missing, ",")
		}
		if len(r.Extra) > 0 {
			note = strings.TrimSpace(note + " unexpected " + strings.Join(r.Extra, ","))
		}
		if r.Posture > 0 {
			note = strings.TrimSpace(fmt.Sprintf("%s posture %d (%s)", note, r.Posture, strings.Join(r.PostureClasses, ",")))
		}
		if r.Err != "" {
			note = "error: " + r.Err
		}
		if r.Benign {
			fmt.Fprintf(tw, "%s (benign)\t%d\t-\t-\t-\t-\t-\t%.2f\t%s\n", r.Scenario, r.Alerts, r.FalsePerHour, note)
			benignFalse += r.FalsePerHour * r.Hours
			benignHours += r.Hours
			continue
		}
		attacks++
		recall += r.ClassRecall
		prec += r.ClassPrecision
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\n", r.Scenario, r.Alerts, r.ClassRecall, r.ClassPrecision,
			r.AttackerRecall, r.VictimRecall, r.AddrPrecision, r.FalsePerHour, note)
	}
	if attacks > 0 {
		fmt.Fprintf(tw, "mean of %d attack scenarios\t\t%.2f\t%.2f\t\t\t\t\t\n", attacks, recall/float64(attacks), prec/float64(attacks))
	}
	if benignHours > 0 {
		fmt.Fprintf(tw, "benign scenarios\t\t\t\t\t\t\t%.2f\tfalse alerts per hour over %.4f h\n", benignFalse/benignHours, benignHours)
	}
	return tw.Flush()
}

// String returns the printed table.
func (t Table) String() string {
	var b strings.Builder
	_ = t.Write(&b)
	return b.String()
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
