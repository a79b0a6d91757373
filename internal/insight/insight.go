// Package insight is the understanding stage of an analysis: it runs the
// detection engine (internal/detect), the IPv6 monitor (internal/ipv6mon)
// and the asset inventory (internal/assets) over the records a run
// produces, as analyze consumers, and routes the monitor's and the
// inventory's findings into the engine so that every alert — behavioural,
// IPv6 or IoT — lands in one alerts.log and is correlated into incidents.
//
//	set, err := insight.New(insight.DefaultConfig(), outDir)
//	cfg.Consumers = set.Consumers()
//	sum, err := analyze.Run(ctx, cfg, inputs)
//	err = set.Close() // alerts.log, incidents.log, ipv6.log, assets.log
//	set.PrintSummary(os.Stdout)
package insight

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/assets"
	"github.com/vigil-nsm/vigil/internal/costs"
	"github.com/vigil-nsm/vigil/internal/detect"
	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/ipv6mon"
)

// The engine takes the alerts of Suricata EVE inputs (analyze.readLogs).
var _ analyze.AlertAdder = (*detect.Engine)(nil)

// Config chooses and tunes the parts.
type Config struct {
	Detect detect.Config
	IPv6   ipv6mon.Config
	Assets assets.Config
	// NoAssets turns the asset inventory off (no assets.log).
	NoAssets bool
	// EVE, when set, is the path of an EVE (Suricata eve.json) export of
	// the alerts.
	EVE string
	// NoDetect turns the detection engine off (and with it alerts.log);
	// the IPv6 monitor and the inventory still run.
	NoDetect bool
	// Records, when set, receives the alert and incident lines as the
	// engine writes them (detect.Output.Records), e.g. a server's store
	// during a live capture.
	Records interface{ Record(log string, line []byte) }
	// Live: a live capture's run, whose incidents are written again as
	// they grow (detect.Output.IncidentUpdates).
	Live bool
	// State is the detection engine's state file (detect.Output.State):
	// the detectors whose memory spans hours or days keep it across runs.
	State detect.StateFile
	// Costs times each detector's calls by log (detect.Engine.Costs) and
	// each part's Close (Set.Costs).
	Costs bool
}

// DefaultConfig has every part on with its defaults.
func DefaultConfig() Config {
	return Config{Detect: detect.DefaultConfig(), IPv6: ipv6mon.DefaultConfig(), Assets: assets.DefaultConfig()}
}

// Set is one run's understanding stage. Use New.
type Set struct {
	dir    string
	engine *detect.Engine
	ipv6   *ipv6mon.Monitor
	inv    *assets.Inventory
	// findings turns the inventory's findings into the engine's alerts
	// (nil when either is off).
	findings *findingAlerts
	closed   bool
	// final is the inventory's snapshot written at Close, which the
	// summary and Hosts reuse (a snapshot of many hosts is not cheap).
	final []assets.Host
	// costs times the parts' Close (Config.Costs), or is nil.
	costs *costs.Table
}

// New prepares the parts writing into dir (the analysis' output directory).
func New(cfg Config, dir string) (*Set, error) {
	s := &Set{dir: dir}
	var sink *findingAlerts // the inventory's findings as alerts, once the engine is made
	if !cfg.NoAssets {
		if !cfg.NoDetect {
			sink = &findingAlerts{seen: map[*assets.Finding]findingSeen{}, names: map[string]bool{}}
			cfg.Assets.Sink = sink
		}
		inv, err := assets.New(cfg.Assets)
		if err != nil {
			return nil, fmt.Errorf("insight: %w", err)
		}
		s.inv = inv
		if cfg.Detect.Mirai.LoginReported == nil {
			// The inventory reports the default pairs of its rules, with
			// the port and the credentials: the Mirai detector leaves
			// those logins to it (one login, one alert).
			cfg.Detect.Mirai.LoginReported = inv.ReportsLogin
		}
	}
	if !cfg.NoDetect {
		eng, err := detect.New(cfg.Detect, detect.Output{Dir: dir, EVE: cfg.EVE, Records: cfg.Records, IncidentUpdates: cfg.Live, State: cfg.State})
		if err != nil {
			return nil, fmt.Errorf("insight: %w", err)
		}
		s.engine = eng
		if cfg.Costs {
			eng.TimeDetectors()
		}
		if sink != nil {
			sink.engine = eng
			s.findings = sink
		}
	}
	if s.engine != nil {
		cfg.IPv6.OnLocalPrefix = func(p string) { _ = s.engine.AddInternal(p) }
	}
	s.ipv6 = ipv6mon.New(cfg.IPv6, s.addIPv6)
	if cfg.Costs {
		s.costs = &costs.Table{}
	}
	return s, nil
}

// Consumers are what analyze.Config.Consumers takes.
func (s *Set) Consumers() []analyze.Consumer {
	out := []analyze.Consumer{s.ipv6}
	if s.inv != nil {
		out = append(out, s.inv)
	}
	if s.engine != nil {
		out = append(out, s.engine)
	}
	return out
}

// addIPv6 hands an IPv6 finding to the engine as an alert.
func (s *Set) addIPv6(f ipv6mon.Finding) {
	if s.engine == nil {
		return
	}
	a := alert.Alert{
		TS: f.TS, Src: f.Src, Dst: f.Dst, Class: f.Class, Severity: f.Severity, Confidence: f.Confidence,
		MITRE: f.MITRE, Summary: f.Summary, Evidence: f.Evidence, Detector: "ipv6",
	}
	if f.OneOfMany {
		// One alert per source: its episodes merge, their targets listed.
		a.Dst, a.Dsts = "", []string{f.Dst}
	}
	if f.Update {
		// Newer counts: the open episode takes them and stays open.
		a.TSEnd = f.Last
		a.Fill()
		if s.engine.Touch(a.Key(), f.Last, "") {
			s.engine.Refresh(a)
		}
		return
	}
	s.engine.Add(a)
}

// findingAlerts turns the inventory's findings into alerts as they
// happen, so that a long-running capture reports them before it ends: an
// alert when a finding is raised; its episode kept open while the finding
// recurs, naming each occurrence's connection; a new episode when it
// recurs after the last was written, named by that occurrence (its
// connection, its two ends); an episode withdrawn when its finding gives
// way to a more telling one. A finding about what a client did (not an
// exposure) is alerted per client: an occurrence from another client than
// the one its episode names is that client's own episode. A finding's
// first episode takes its evidence again when a new record joins it (at
// most the inventory's MaxEvidence times: a finding may recur with every
// packet of a busy service), and its final evidence at Close (finish);
// findings raised while a snapshot was built, which the inventory does not
// tell, are alerted at Close.
type findingAlerts struct {
	engine *detect.Engine
	seen   map[*assets.Finding]findingSeen
	// names are the Names of the findings told, dropped ones too: the
	// latest maxToldNames (order, oldest first), so that a run of weeks
	// does not keep every finding it ever told; finish also counts as
	// told the findings still in seen.
	names map[string]bool
	order []string
}

// maxToldNames bounds findingAlerts.names.
const maxToldNames = 1 << 14

// findingSeen is what findingAlerts knows of a finding: its episode's
// alert key and source, which episode that is (0: the first), how many
// evidence records its alert holds, and whether the allowlist drops it (as
// it then always will).
type findingSeen struct {
	key      string
	src      netip.Addr
	episode  int
	evidence int
	summary  string
	allowed  bool
}

func (fa *findingAlerts) Raised(f *assets.Finding) {
	a := findingAlert(f)
	a.Fill() // its key as the engine knows it (a MAC moves out of src/dst)
	src, _ := netip.ParseAddr(a.Src)
	fa.seen[f] = findingSeen{key: a.Key(), src: src, evidence: len(f.Evidence), summary: f.Summary, allowed: !fa.engine.Add(a)}
	fa.told(f.Name())
}

// told remembers that the finding named name was told, forgetting the
// oldest name beyond maxToldNames.
func (fa *findingAlerts) told(name string) {
	if fa.names[name] {
		return
	}
	fa.names[name] = true
	fa.order = append(fa.order, name)
	if len(fa.order) > maxToldNames {
		delete(fa.names, fa.order[0])
		fa.order = fa.order[1:]
	}
}

func (fa *findingAlerts) Recurred(f *assets.Finding, at assets.Occurrence) {
	fs := fa.seen[f]
	switch {
	case fs.allowed:
		return
	case !f.Exposure && at.Src.IsValid() && at.Src != fs.src:
		fa.otherClient(f, at) // another client did it: its own episode
		return
	case !fa.engine.Touch(fs.key, at.TS, at.UID):
		if f.Once {
			return // alerted once: a repeat on schedule is no news
		}
		a := occurrenceAlert(f, at)
		fs.key, fs.episode = a.Key(), fs.episode+1
		fa.engine.Add(a)
	case fs.episode == 0 && (len(f.Evidence) != fs.evidence || f.Summary != fs.summary):
		fa.engine.Refresh(findingAlert(f))
	default:
		return
	}
	fs.evidence, fs.summary = len(f.Evidence), f.Summary
	fa.seen[f] = fs
}

// otherClient keeps the episode of finding f that occurrence at's client
// has, opening it if none is open.
func (fa *findingAlerts) otherClient(f *assets.Finding, at assets.Occurrence) {
	a := occurrenceAlert(f, at)
	if !fa.engine.Touch(a.Key(), at.TS, at.UID) {
		fa.engine.Add(a)
	}
}

func (fa *findingAlerts) Dropped(f *assets.Finding) {
	fa.engine.Withdraw(fa.seen[f].key)
	delete(fa.seen, f)
}

// finish ends the alerting of inv's findings, at Close: the first
// episodes still open take their finding's final evidence, and the
// findings never told (raised while a snapshot was built) are alerted.
func (fa *findingAlerts) finish(inv *assets.Inventory) {
	for f := range fa.seen {
		fa.names[f.Name()] = true // told, its name perhaps forgotten since
	}
	for _, f := range inv.Findings() {
		if !fa.names[f.Name()] {
			fa.engine.Add(findingAlert(&f))
		}
	}
	for f, fs := range fa.seen {
		if fs.episode == 0 && !fs.allowed {
			fa.engine.Refresh(findingAlert(f))
		}
	}
}

// occurrenceAlert is the alert of a new episode of finding f, opened by
// occurrence at: its time, its connection and its two ends (the finding's
// when it has none), filled as the engine keys it.
func occurrenceAlert(f *assets.Finding, at assets.Occurrence) alert.Alert {
	a := findingAlert(f)
	a.TS, a.TSEnd, a.UIDs = at.TS, at.TS, nil
	if at.UID != "" {
		a.UIDs = []string{at.UID}
	}
	if at.Src.IsValid() {
		a.Src, a.SrcP, a.Dst, a.DstP = at.Src.String(), at.SrcPort, at.Dst.String(), at.DstPort
	}
	a.Fill()
	return a
}

// findingAlert is the alert of an inventory finding; its kind goes in Name
// so that two problems of one host stay two alerts. It shares nothing with
// the finding.
func findingAlert(f *assets.Finding) alert.Alert {
	src, dst := f.Src, f.Dst
	if src == "" && dst == "" {
		dst = f.Host
	}
	return alert.Alert{
		TS: f.TS, TSEnd: f.Last, UIDs: f.UIDs(), Src: src, Dst: dst, SrcP: f.SrcPort, DstP: f.DstPort, Proto: f.Proto,
		Name: f.Name(), Class: f.Class, Severity: f.Severity, Confidence: f.Confidence, MITRE: slices.Clone(f.MITRE),
		Summary: f.Summary, Evidence: f.AlertEvidence(), Detector: "assets", Exposed: exposed(f),
	}
}

// exposed is the host an exposure finding is about ("" for the others:
// what a client did).
func exposed(f *assets.Finding) string {
	if f.Exposure {
		return f.Host
	}
	return ""
}

// Close finishes every part and writes their logs.
func (s *Set) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	s.costs.Time("ipv6mon", "close", func() { errs = append(errs, s.ipv6.Close(), s.ipv6.WriteLog(s.dir)) })
	if s.inv != nil {
		s.costs.Time("assets", "close", func() {
			errs = append(errs, s.inv.Close())
			s.final = s.inv.Hosts()
			errs = append(errs, assets.WriteLogFile(s.dir, s.final))
			if s.findings != nil {
				s.findings.finish(s.inv)
			}
		})
	}
	if s.engine != nil {
		s.costs.Time("detect", "close", func() { errs = append(errs, s.engine.Close()) })
	}
	return errors.Join(errs...)
}

// Costs returns the detectors' time by log and the parts' Close (with
// Config.Costs; nil otherwise). The consumers' time on records is
// analyze.Summary.Costs.
func (s *Set) Costs() []costs.Entry {
	if s.costs == nil {
		return nil
	}
	out := s.costs.Entries()
	if s.engine != nil {
		out = append(out, s.engine.Costs()...)
	}
	return out
}

// WriteLogs writes assets.log and ipv6.log as they stand, each replaced
// whole; it may be called while records are being consumed, so that a
// live run's inventory and IPv6 posture are in its files before it ends.
// Close writes them a last time.
func (s *Set) WriteLogs() error {
	var errs []error
	errs = append(errs, s.ipv6.WriteLog(s.dir))
	if s.inv != nil {
		errs = append(errs, assets.WriteLogFile(s.dir, s.inv.Hosts()))
	}
	return errors.Join(errs...)
}

// Alerts returns the alerts written (after Close: all of them).
func (s *Set) Alerts() []alert.Alert {
	if s.engine == nil {
		return nil
	}
	return s.engine.Alerts()
}

// Snapshot hands the inventory and the IPv6 posture as they stand to
// records, one "assets" line per host and the lines of ipv6.log (a
// long-running capture's hosts and routers are seen before it ends). It
// may be called while records are being consumed.
func (s *Set) Snapshot(records interface{ Record(log string, line []byte) }) {
	s.ipv6.Snapshot(records)
	if s.inv == nil {
		return
	}
	for _, h := range s.inv.Hosts() {
		if b, err := json.Marshal(&h); err == nil {
			records.Record("assets", b)
		}
	}
}

// Hosts returns the inventory's hosts (nil when it is off); after Close,
// the ones assets.log holds.
func (s *Set) Hosts() []assets.Host {
	switch {
	case s.inv == nil:
		return nil
	case s.final != nil:
		return s.final
	}
	return s.inv.Hosts()
}

// PrintSummary adds the understanding stage's lines to the run summary.
func (s *Set) PrintSummary(w io.Writer) {
	s.ipv6.WriteSummary(w)
	if s.inv != nil {
		st := s.inv.Stats()
		fmt.Fprintf(w, "Assets    %s (vigil assets %s)\n", assetLine(s.Hosts(), len(s.inv.Findings()), st), s.dir)
	}
	if s.engine == nil {
		return
	}
	st := s.engine.Stats()
	for _, p := range st.Problems {
		fmt.Fprintf(w, "Problem   %s\n", p)
	}
	for _, h := range st.SiteHints {
		fmt.Fprintf(w, "Hint      %s\n", h)
	}
	fmt.Fprintf(w, "Alerts    %d in %d incidents; %s\n", st.Alerts, st.Incidents, classCounts(st.ByClass))
	for i, a := range s.topAlerts(5) {
		if i == 0 {
			fmt.Fprintln(w, "Top alerts:")
		}
		fmt.Fprintf(w, "  [%d] %-22s %s\n", a.Severity, a.Class, oneLine(a.Summary, 100))
	}
}

// topAlerts are the most severe, then most confident, alerts.
func (s *Set) topAlerts(n int) []alert.Alert {
	all := append([]alert.Alert(nil), s.engine.Alerts()...)
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Severity != all[j].Severity {
			return all[i].Severity < all[j].Severity
		}
		return all[i].Confidence > all[j].Confidence
	})
	return all[:min(n, len(all))]
}

// assetLine: hosts by device class and the findings count.
func assetLine(hosts []assets.Host, findings int, _ assets.Stats) string {
	classes := map[string]uint64{}
	for _, h := range hosts {
		c := "unknown"
		if h.Class != nil && h.Class.Value != "" {
			c = h.Class.Value
		}
		classes[c]++
	}
	return fmt.Sprintf("%d hosts (%s); %d IoT/exposure findings", len(hosts), classCounts(classes), findings)
}

func classCounts(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
