package assets

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"
)

// The fingerprint knowledge is data: JSON rule files, the built-in ones
// embedded from rules/ and the user's (Config.RuleFiles) merged over
// them. docs/ASSETS.md documents the format.

//go:embed rules/*.json
var builtinRules embed.FS

// RuleFile is the shape of one rule file; every section is optional.
type RuleFile struct {
	// Match rules turn an observation (a field value of a record, such
	// as a DHCP vendor class or an HTTP User-Agent) into guesses.
	Match []MatchRule `json:"match,omitempty"`
	// TCP rules are SYN / SYN-ACK signatures (p0f style).
	TCP []TCPRule `json:"tcp,omitempty"`
	// TTL rules guess an OS family from the initial TTL alone, when no
	// TCP rule matched.
	TTL []TTLRule `json:"ttl,omitempty"`
	// Credentials are well-known default user/password pairs.
	Credentials []Credential `json:"credentials,omitempty"`
	// ICSWrites name the function codes that change an ICS device.
	ICSWrites []ICSWriteRule `json:"ics_writes,omitempty"`
	// Findings describe each finding kind: class, severity, summary.
	Findings []FindingRule `json:"findings,omitempty"`
	// Refines maps an OS family or a device class to the broader one its
	// evidence also supports ("Android": "Linux", "camera": "iot").
	Refines map[string]string `json:"refines,omitempty"`
}

// MatchRule matches one observation. Match is an RE2 regular expression
// (case-insensitive); Values an alternative list of exact values (case-
// insensitive). The guesses it makes may use the expression's groups
// ($1, ${name}).
type MatchRule struct {
	ID         string   `json:"id"`
	On         string   `json:"on"`
	Match      string   `json:"match,omitempty"`
	Values     []string `json:"values,omitempty"`
	OS         string   `json:"os,omitempty"`
	Class      string   `json:"class,omitempty"`
	Device     string   `json:"device,omitempty"`
	Role       string   `json:"role,omitempty"`
	Service    string   `json:"service,omitempty"`
	Finding    string   `json:"finding,omitempty"`
	Confidence float64  `json:"confidence"`
	Disabled   bool     `json:"disabled,omitempty"`
	Comment    string   `json:"comment,omitempty"`

	pattern *pattern // Match (nil for a Values rule), compiled on first use
	values  map[string]bool
	builtin bool // from the embedded rule files
}

// pattern is a match rule's expression. Its required literals are
// worked out when a value of the rule's key is first matched, and the
// expression compiled when a value first holds one of them: a capture
// shows values of few of the keys the rules are written for, and few of
// those get past the literals; compiling every expression was most of
// the inventory's start-up. The syntax of a user's expression is checked
// when its file is loaded (compiling cannot fail after that); the
// built-in ones are checked by the tests (TestBuiltinPatternsCompile).
type pattern struct {
	expr     string // "(?i)" and the rule's match
	litsOnce sync.Once
	literals []string // one of these is in every match (literals.go)
	reOnce   sync.Once
	re       *regexp.Regexp
}

// newPattern returns the pattern of a rule's match expression, checking
// its syntax when check is set.
func newPattern(match string, check bool) (*pattern, error) {
	p := &pattern{expr: "(?i)" + match}
	if check {
		if _, err := syntax.Parse(p.expr, syntax.Perl); err != nil { // as regexp.Compile parses it
			return nil, err
		}
	}
	return p, nil
}

// required returns the literals one of which is in every match.
func (p *pattern) required() []string {
	p.litsOnce.Do(func() { p.literals = requiredLiterals(p.expr) })
	return p.literals
}

// compiled returns the compiled expression.
func (p *pattern) compiled() *regexp.Regexp {
	p.reOnce.Do(func() { p.re = regexp.MustCompile(p.expr) })
	return p.re
}

// TCPRule is a TCP SYN (or SYN-ACK) signature.
type TCPRule struct {
	ID     string `json:"id"`
	OS     string `json:"os,omitempty"`
	Class  string `json:"class,omitempty"`
	Device string `json:"device,omitempty"`
	// Side: "syn", "synack" or "" for both.
	Side string `json:"side,omitempty"`
	// TTL is the initial TTL (32, 64, 128 or 255); the observed one is
	// rounded up to the next of these.
	TTL int `json:"ttl"`
	// Opts is the option layout, letters in order: M (MSS), N (NOP),
	// W (window scale), S (SACK permitted), T (timestamps), E (end of
	// list), ? (other); "*" for any.
	Opts string `json:"opts"`
	// Win lists exact windows; WinMSS windows that are a multiple of the
	// MSS. Both empty: any window.
	Win    []int `json:"win,omitempty"`
	WinMSS []int `json:"win_mss,omitempty"`
	// WScale lists the window scales allowed (empty: any).
	WScale []int `json:"wscale,omitempty"`
	// DF, when set, must equal the IPv4 don't-fragment bit.
	DF         *bool   `json:"df,omitempty"`
	Confidence float64 `json:"confidence"`
	Disabled   bool    `json:"disabled,omitempty"`
	Comment    string  `json:"comment,omitempty"`
}

// TTLRule guesses from an initial TTL.
type TTLRule struct {
	ID         string  `json:"id"`
	TTL        int     `json:"ttl"`
	OS         string  `json:"os,omitempty"`
	Class      string  `json:"class,omitempty"`
	Confidence float64 `json:"confidence"`
	Disabled   bool    `json:"disabled,omitempty"`
}

// Credential is a well-known default login. Protocols limits where it
// is checked ("ftp", "http", "snmp", …; empty: everywhere). For SNMP the
// community is the password.
type Credential struct {
	User      string   `json:"user"`
	Password  string   `json:"password"`
	Protocols []string `json:"protocols,omitempty"`
	Source    string   `json:"source,omitempty"`
}

// ICSWriteRule names the write operations of one ICS log: a record of
// Log whose Field is one of Values is a write from Writer to Target
// ("orig"/"resp" for the connection's sides, "source"/"destination" for
// BACnet's source_h/destination_h). When RequestField is set, only
// records whose RequestField equals RequestValue are requests.
type ICSWriteRule struct {
	ID           string   `json:"id"`
	Log          string   `json:"log"`
	Field        string   `json:"field"`
	Values       []string `json:"values"`
	Writer       string   `json:"writer"`
	Target       string   `json:"target"`
	RequestField string   `json:"request_field,omitempty"`
	RequestValue string   `json:"request_value,omitempty"`
	// Control lists the operations that stop, restart or reprogram the
	// device: an ics_control_command finding whoever sends them, its
	// usual master too (a new writer's are its ics_write_new_writer).
	Control  []string `json:"control,omitempty"`
	Disabled bool     `json:"disabled,omitempty"`
}

// FindingRule describes one finding kind. Summary may use {host},
// {port}, {proto}, {service}, {value}, {src} and {dst}.
type FindingRule struct {
	Kind       string   `json:"kind"`
	Class      string   `json:"class"`
	Severity   int      `json:"severity"`
	Confidence float64  `json:"confidence"`
	MITRE      []string `json:"mitre,omitempty"`
	Summary    string   `json:"summary"`
	// Exposure marks a kind that describes the host's exposure (a service
	// it offers in clear, a weak setting) rather than an act of the
	// connection's client: its alert names the host as exposed, and
	// incidents make no attacker of the client (DETECTION.md).
	Exposure bool `json:"exposure,omitempty"`
	// Once marks a kind alerted once per finding: its recurrences after
	// the first alert was written open no new one (a command a master
	// repeats on schedule).
	Once     bool `json:"once,omitempty"`
	Disabled bool `json:"disabled,omitempty"`
}

// Rules is the merged, compiled knowledge.
type Rules struct {
	match       map[string][]*MatchRule // by observation key
	exact       map[string]map[string][]*MatchRule
	tcp         []TCPRule
	ttl         []TTLRule
	credentials []Credential
	icsWrites   map[string][]*ICSWriteRule // by log
	findings    map[string]FindingRule
	disabled    map[string]bool // finding kinds switched off
	refines     map[string]string
	files       []string
	counts      map[string]int
}

// LoadRules reads the built-in rule files and then the extra ones, in
// order; a later rule with an id already seen replaces the earlier one
// (set "disabled": true to remove it).
func LoadRules(extra ...string) (*Rules, error) {
	var merged mergedFiles
	names, err := fs.Glob(builtinRules, "rules/*.json")
	if err != nil {
		return nil, fmt.Errorf("assets: built-in rules: %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		data, err := builtinRules.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("assets: built-in rules: %w", err)
		}
		if err := merged.add("builtin:"+path.Base(n), data, true); err != nil {
			return nil, err
		}
	}
	for _, p := range extra {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("assets: rule file: %w", err)
		}
		if err := merged.add(p, data, false); err != nil {
			return nil, err
		}
	}
	return merged.compile()
}

// mergedFiles collects rules by id in first-seen order.
type mergedFiles struct {
	match    orderedRules[MatchRule]
	tcp      orderedRules[TCPRule]
	ttl      orderedRules[TTLRule]
	ics      orderedRules[ICSWriteRule]
	findings orderedRules[FindingRule]
	creds    []Credential
	refines  map[string]string
	files    []string
}

type orderedRules[T any] struct {
	order []string
	byID  map[string]T
}

func (o *orderedRules[T]) put(id string, r T) {
	if o.byID == nil {
		o.byID = map[string]T{}
	}
	if _, ok := o.byID[id]; !ok {
		o.order = append(o.order, id)
	}
	o.byID[id] = r
}

func (o *orderedRules[T]) list() []T {
	out := make([]T, 0, len(o.order))
	for _, id := range o.order {
		out = append(out, o.byID[id])
	}
	return out
}

// add merges one rule file; builtin is set for the embedded ones.
func (m *mergedFiles) add(name string, data []byte, builtin bool) error {
	var f RuleFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("assets: rule file %s: %w", name, err)
	}
	m.files = append(m.files, name)
	for i, r := range f.Match {
		if r.ID == "" || (r.On == "" && !r.Disabled) {
			return fmt.Errorf("assets: rule file %s: match rule %d needs an id and an \"on\" key", name, i)
		}
		r.builtin = builtin
		m.match.put(r.ID, r)
	}
	for i, r := range f.TCP {
		if r.ID == "" {
			return fmt.Errorf("assets: rule file %s: tcp rule %d has no id", name, i)
		}
		m.tcp.put(r.ID, r)
	}
	for i, r := range f.TTL {
		if r.ID == "" {
			return fmt.Errorf("assets: rule file %s: ttl rule %d has no id", name, i)
		}
		m.ttl.put(r.ID, r)
	}
	for i, r := range f.ICSWrites {
		if r.ID == "" || (!r.Disabled && (r.Log == "" || r.Field == "")) {
			return fmt.Errorf("assets: rule file %s: ics_writes rule %d needs id, log and field", name, i)
		}
		m.ics.put(r.ID, r)
	}
	for i, r := range f.Findings {
		if r.Kind == "" || (r.Class == "" && !r.Disabled) {
			return fmt.Errorf("assets: rule file %s: finding %d needs a kind and a class", name, i)
		}
		m.findings.put(r.Kind, r)
	}
	m.creds = append(m.creds, f.Credentials...)
	for k, v := range f.Refines {
		if m.refines == nil {
			m.refines = map[string]string{}
		}
		m.refines[strings.ToLower(k)] = v
	}
	return nil
}

func (m *mergedFiles) compile() (*Rules, error) {
	r := &Rules{
		match:     map[string][]*MatchRule{},
		exact:     map[string]map[string][]*MatchRule{},
		icsWrites: map[string][]*ICSWriteRule{},
		findings:  map[string]FindingRule{},
		disabled:  map[string]bool{},
		refines:   m.refines,
		files:     m.files,
		counts:    map[string]int{},
	}
	if err := r.compileMatch(m.match.list()); err != nil {
		return nil, err
	}
	if err := r.compileTCP(m.tcp.list(), m.ttl.list()); err != nil {
		return nil, err
	}
	for _, w := range m.ics.list() {
		if !w.Disabled {
			w := w
			r.icsWrites[w.Log] = append(r.icsWrites[w.Log], &w)
			r.counts["ics_writes"]++
		}
	}
	for _, f := range m.findings.list() {
		if f.Disabled {
			r.disabled[f.Kind] = true
			continue
		}
		if f.Severity < 1 || f.Severity > 4 {
			return nil, fmt.Errorf("assets: finding %s: severity %d is not 1 (critical) … 4 (info)", f.Kind, f.Severity)
		}
		r.findings[f.Kind] = f
		r.counts["findings"]++
	}
	for _, c := range m.creds {
		if c.User != "" || c.Password != "" {
			r.credentials = append(r.credentials, c)
		}
	}
	r.counts["credentials"] = len(r.credentials)
	return r, r.checkFindingKinds()
}

func (r *Rules) compileMatch(rules []MatchRule) error {
	for i := range rules {
		mr := &rules[i]
		if mr.Disabled {
			continue
		}
		if err := checkConfidence(mr.ID, mr.Confidence); err != nil {
			return err
		}
		switch {
		case mr.Match != "" && len(mr.Values) > 0:
			return fmt.Errorf("assets: rule %s: give match or values, not both", mr.ID)
		case len(mr.Values) > 0:
			mr.values = map[string]bool{}
			for _, v := range mr.Values {
				lv := strings.ToLower(v)
				mr.values[lv] = true
				if r.exact[mr.On] == nil {
					r.exact[mr.On] = map[string][]*MatchRule{}
				}
				r.exact[mr.On][lv] = append(r.exact[mr.On][lv], mr)
			}
		default:
			p, err := newPattern(mr.Match, !mr.builtin)
			if err != nil {
				return fmt.Errorf("assets: rule %s: %w", mr.ID, err)
			}
			mr.pattern = p
			r.match[mr.On] = append(r.match[mr.On], mr)
		}
		r.counts["match"]++
	}
	return nil
}

func (r *Rules) compileTCP(tcp []TCPRule, ttl []TTLRule) error {
	for _, t := range tcp {
		if t.Disabled {
			continue
		}
		if err := checkConfidence(t.ID, t.Confidence); err != nil {
			return err
		}
		if !validTTL(t.TTL) {
			return fmt.Errorf("assets: tcp rule %s: initial ttl %d is not 32, 64, 128 or 255", t.ID, t.TTL)
		}
		if t.Side != "" && t.Side != "syn" && t.Side != "synack" {
			return fmt.Errorf("assets: tcp rule %s: side %q is not syn or synack", t.ID, t.Side)
		}
		r.tcp = append(r.tcp, t)
	}
	for _, t := range ttl {
		if t.Disabled {
			continue
		}
		if err := checkConfidence(t.ID, t.Confidence); err != nil {
			return err
		}
		if !validTTL(t.TTL) {
			return fmt.Errorf("assets: ttl rule %s: initial ttl %d is not 32, 64, 128 or 255", t.ID, t.TTL)
		}
		r.ttl = append(r.ttl, t)
	}
	r.counts["tcp"], r.counts["ttl"] = len(r.tcp), len(r.ttl)
	return nil
}

// checkFindingKinds makes sure every kind a rule or the code raises is
// described.
func (r *Rules) checkFindingKinds() error {
	for _, list := range r.match {
		for _, m := range list {
			if m.Finding != "" {
				if _, ok := r.findings[m.Finding]; !ok && !r.disabled[m.Finding] {
					return fmt.Errorf("assets: rule %s raises finding %q, which no findings entry describes", m.ID, m.Finding)
				}
			}
		}
	}
	for _, byValue := range r.exact {
		for _, list := range byValue {
			for _, m := range list {
				if _, ok := r.findings[m.Finding]; m.Finding != "" && !ok && !r.disabled[m.Finding] {
					return fmt.Errorf("assets: rule %s raises finding %q, which no findings entry describes", m.ID, m.Finding)
				}
			}
		}
	}
	for _, k := range codeFindingKinds {
		if _, ok := r.findings[k]; !ok && !r.disabled[k] {
			return fmt.Errorf("assets: the rules describe no finding of kind %q", k)
		}
	}
	return nil
}

func checkConfidence(id string, c float64) error {
	if c <= 0 || c > 1 {
		return fmt.Errorf("assets: rule %s: confidence %v is not in (0, 1]", id, c)
	}
	return nil
}

func validTTL(t int) bool { return t == 32 || t == 64 || t == 128 || t == 255 }

// Counts reports the rules loaded, by section.
func (r *Rules) Counts() map[string]int {
	out := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

// ruleHit is a match rule that fired on a value, with its outputs
// expanded ($1 …).
type ruleHit struct {
	rule                        *MatchRule
	os, class, device, role, sv string
}

// matchObservation returns the rules that fire on value for key.
func (r *Rules) matchObservation(key, value string) []ruleHit {
	var hits []ruleHit
	if byValue := r.exact[key]; byValue != nil {
		for _, m := range byValue[strings.ToLower(value)] {
			hits = append(hits, ruleHit{rule: m, os: m.OS, class: m.Class, device: m.Device, role: m.Role, sv: m.Service})
		}
	}
	rules := r.match[key]
	if len(rules) == 0 {
		return hits
	}
	lower, ascii := asciiLower(value)
	for _, m := range rules {
		if !mayMatch(m.pattern.required(), lower, ascii) {
			continue
		}
		re := m.pattern.compiled()
		sub := re.FindStringSubmatchIndex(value)
		if sub == nil {
			continue
		}
		expand := func(t string) string {
			if t == "" || !strings.Contains(t, "$") {
				return t
			}
			return strings.TrimSpace(string(re.ExpandString(nil, t, value, sub)))
		}
		hits = append(hits, ruleHit{rule: m, os: expand(m.OS), class: expand(m.Class),
			device: expand(m.Device), role: expand(m.Role), sv: expand(m.Service)})
	}
	return hits
}

// parent returns the broader family or class name refines one to ("").
func (r *Rules) parent(name string) string { return r.refines[strings.ToLower(name)] }
