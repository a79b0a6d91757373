package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/vigil-nsm/vigil/internal/detect/arpspoof"
	"github.com/vigil-nsm/vigil/internal/detect/beacon"
	"github.com/vigil-nsm/vigil/internal/detect/bruteforce"
	"github.com/vigil-nsm/vigil/internal/detect/dga"
	"github.com/vigil-nsm/vigil/internal/detect/dnstunnel"
	"github.com/vigil-nsm/vigil/internal/detect/exfil"
	"github.com/vigil-nsm/vigil/internal/detect/flood"
	"github.com/vigil-nsm/vigil/internal/detect/ics"
	"github.com/vigil-nsm/vigil/internal/detect/intelmatch"
	"github.com/vigil-nsm/vigil/internal/detect/kerberoast"
	"github.com/vigil-nsm/vigil/internal/detect/longconn"
	"github.com/vigil-nsm/vigil/internal/detect/mirai"
	"github.com/vigil-nsm/vigil/internal/detect/scan"
	"github.com/vigil-nsm/vigil/internal/detect/tlsanomaly"
	"github.com/vigil-nsm/vigil/internal/detect/webscan"
	"github.com/vigil-nsm/vigil/internal/detect/wstunnel"
	"github.com/vigil-nsm/vigil/internal/incident"
	"github.com/vigil-nsm/vigil/internal/ipv6mon"
	"github.com/vigil-nsm/vigil/internal/netset"
)

// Config configures the engine and every detector. LoadConfig reads the
// same structure from a JSON file; fields left out keep their defaults.
type Config struct {
	// InternalNetworks are the networks of the monitored site (CIDRs):
	// exfiltration, beaconing and long connections look at internal →
	// external traffic.
	InternalNetworks []string `json:"internal_networks"`
	// Allow drops alerts about allowlisted hosts and domains.
	Allow Allowlist `json:"allow"`
	// Aggregate says when merged alerts are written.
	Aggregate Aggregate `json:"aggregate"`
	// FlushEvery is how often (s of record time) detectors flush.
	FlushEvery float64 `json:"flush_every_s"`

	Scan       scan.Config       `json:"scan"`
	WebScan    webscan.Config    `json:"webscan"`
	Flood      flood.Config      `json:"flood"`
	BruteForce bruteforce.Config `json:"bruteforce"`
	Beacon     beacon.Config     `json:"beacon"`
	DNSTunnel  dnstunnel.Config  `json:"dnstunnel"`
	DGA        dga.Config        `json:"dga"`
	LongConn   longconn.Config   `json:"longconn"`
	Exfil      exfil.Config      `json:"exfil"`
	ARPSpoof   arpspoof.Config   `json:"arpspoof"`
	Mirai      mirai.Config      `json:"mirai"`
	TLS        tlsanomaly.Config `json:"tls"`
	Intel      intelmatch.Config `json:"intel"`
	ICS        ics.Config        `json:"ics"`
	WSTunnel   wstunnel.Config   `json:"wstunnel"`
	Kerberoast kerberoast.Config `json:"kerberoast"`
	Incidents  incident.Config   `json:"incidents"`
	// IPv6 configures the IPv6 monitor (internal/ipv6mon), which runs
	// beside the engine: its allowlists and thresholds live in the same
	// file.
	IPv6 ipv6mon.Config `json:"ipv6"`
}

// Allowlist names hosts and domains whose alerts are dropped: Sources
// (alert src), Destinations (alert dst) as CIDRs or addresses, Domains (the
// alert's domain name or a parent of it) and Classes.
type Allowlist struct {
	Sources      []string `json:"sources"`
	Destinations []string `json:"destinations"`
	Domains      []string `json:"domains"`
	Classes      []string `json:"classes"`
}

// Aggregate holds the episode times of alert merging (s of record time).
type Aggregate struct {
	// Quiet writes an episode after this long without a new detection.
	Quiet float64 `json:"quiet_s"`
	// MaxOpen writes an episode open this long, and starts a new one.
	MaxOpen float64 `json:"max_open_s"`
}

// LiveAggregate is the episode timing for a live capture whose detection
// config was not given: an episode is written a minute after its last
// detection or ten minutes after it opened, so that an attack shows about
// a minute after it crosses a threshold and then with every re-report of
// its detector (report_s, ten minutes), where the offline defaults keep up
// to an hour of an attack in one alert.
func LiveAggregate() Aggregate { return Aggregate{Quiet: 60, MaxOpen: 600} }

// DefaultConfig returns sensible defaults for every detector.
func DefaultConfig() Config {
	return Config{
		InternalNetworks: append([]string(nil), netset.DefaultInternal...),
		Aggregate:        Aggregate{Quiet: 1800, MaxOpen: 3600},
		FlushEvery:       10,
		Scan:             scan.DefaultConfig(),
		WebScan:          webscan.DefaultConfig(),
		Flood:            flood.DefaultConfig(),
		BruteForce:       bruteforce.DefaultConfig(),
		Beacon:           beacon.DefaultConfig(),
		DNSTunnel:        dnstunnel.DefaultConfig(),
		DGA:              dga.DefaultConfig(),
		LongConn:         longconn.DefaultConfig(),
		Exfil:            exfil.DefaultConfig(),
		ARPSpoof:         arpspoof.DefaultConfig(),
		Mirai:            mirai.DefaultConfig(),
		TLS:              tlsanomaly.DefaultConfig(),
		Intel:            intelmatch.DefaultConfig(),
		ICS:              ics.DefaultConfig(),
		WSTunnel:         wstunnel.DefaultConfig(),
		Kerberoast:       kerberoast.DefaultConfig(),
		Incidents:        incident.DefaultConfig(),
		IPv6:             ipv6mon.DefaultConfig(),
	}
}

// LoadConfig reads a JSON configuration file over the defaults: a field
// present in the file replaces the default, one left out keeps it. Unknown
// fields are errors (a misspelt threshold must not pass silently).
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("detect: load config %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("detect: load config %s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("detect: load config %s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks the values a detector cannot work with.
func (c *Config) Validate() error {
	if _, err := netset.Parse(c.InternalNetworks); err != nil {
		return fmt.Errorf("internal_networks: %w", err)
	}
	if _, err := netset.Parse(c.Allow.Sources); err != nil {
		return fmt.Errorf("allow.sources: %w", err)
	}
	if _, err := netset.Parse(c.Allow.Destinations); err != nil {
		return fmt.Errorf("allow.destinations: %w", err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"flush_every_s > 0", c.FlushEvery > 0},
		{"aggregate.quiet_s > 0", c.Aggregate.Quiet > 0},
		{"aggregate.max_open_s >= quiet_s", c.Aggregate.MaxOpen >= c.Aggregate.Quiet},
		{"scan thresholds > 0", c.Scan.VerticalPorts > 0 && c.Scan.HorizontalHosts > 0 && c.Scan.MaxEntries > 0},
		{fmt.Sprintf("scan.slow_window_s 0 (off) or >= window_s, slow_idle_s > 0, slow thresholds 1..%d", scan.SlowCap), c.Scan.Valid()},
		{"webscan.min_paths > 0, min_hosts > 0, fail_share in (0, 1], window_s > 0, max_targets > 0",
			c.WebScan.MinPaths > 0 && c.WebScan.MinHosts > 0 && c.WebScan.FailShare > 0 && c.WebScan.FailShare <= 1 && c.WebScan.Window > 0 && c.WebScan.MaxTargets > 0},
		{"flood windows > 0", c.Flood.Window > 0 && c.Flood.MaxVictims > 0},
		{"bruteforce thresholds > 0", c.BruteForce.MinFailures > 0 && c.BruteForce.MinConns > 0 && c.BruteForce.MaxPairs > 0 && c.BruteForce.SprayServers > 0},
		{fmt.Sprintf("bruteforce.crowd_sources 0 (off) to %d (a crowd holds that many), crowd_failures > 0 when crowd_sources is", bruteforce.MaxSprayServers),
			c.BruteForce.CrowdSources >= 0 && c.BruteForce.CrowdSources <= bruteforce.MaxSprayServers &&
				(c.BruteForce.CrowdSources == 0 || c.BruteForce.CrowdFailures > 0)},
		{"beacon.min_connections >= 4", c.Beacon.MinConns >= 4},
		{"beacon.threshold in (0, 1]", c.Beacon.Threshold > 0 && c.Beacon.Threshold <= 1},
		{"dnstunnel.min_unique_subdomains > 0", c.DNSTunnel.MinUnique > 0 && c.DNSTunnel.MaxDomains > 0},
		{"dga.threshold in (0, 1)", c.DGA.Threshold > 0 && c.DGA.Threshold < 1},
		{"exfil.interval_s > 0", c.Exfil.Interval > 0 && c.Exfil.Factor > 0},
		{"exfil.recurring_after > 0", c.Exfil.RecurAfter > 0},
		{"longconn.window_s > 0, max_pairs > 0", c.LongConn.Window > 0 && c.LongConn.MaxPairs > 0},
		{"arpspoof.min_flaps > 0", c.ARPSpoof.MinFlaps > 0 && c.ARPSpoof.MaxBindings > 0},
		{"mirai.min_syns > 0", c.Mirai.MinSYNs > 0 && c.Mirai.MaxSources > 0},
		{"ics.window_s > 0, max_episodes > 0", c.ICS.Window > 0 && c.ICS.MaxEpisodes > 0},
		{"wstunnel.report_s > 0, max_pairs > 0", c.WSTunnel.Report > 0 && c.WSTunnel.MaxPairs > 0},
		{"kerberoast.min_services > 0, min_asrep_users > 0, window_s > 0, max_clients > 0",
			c.Kerberoast.MinServices > 0 && c.Kerberoast.MinASRepUsers > 0 && c.Kerberoast.Window > 0 && c.Kerberoast.MaxClients > 0},
		{"incidents.gap_s > 0", c.Incidents.Gap > 0},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("invalid configuration: want %s", ch.name)
		}
	}
	return c.IPv6.Validate()
}

// incidents is the correlation config with the engine's lag: an episode
// is written when quiet for Aggregate.Quiet or open for Aggregate.MaxOpen,
// so its alert comes up to MaxOpen+Quiet (and a flush) after it began.
func (c *Config) incidents() incident.Config {
	ic := c.Incidents
	ic.Lag = c.Aggregate.MaxOpen + c.Aggregate.Quiet + c.FlushEvery
	return ic
}

// Override sets, over c, the detector thresholds that raw names: a JSON
// object of detector sections, each named as in the configuration file
// and the registry (Names), holding fields of that detector's section,
// such as {"longconn": {"min_duration_s": 240}}. A lab scenario's labels
// carry one (`detect`) for a scenario that a default threshold cannot
// see in a lab run. It is read as LoadConfig reads a file — fields left
// out keep their values, an unknown field is an error — but only
// detector sections may be named (not internal networks, allowlists or
// timing), and the result must pass Validate. An empty raw changes
// nothing; after an error c is not to be used (slices it shares with
// another config may hold part of the override).
func (c *Config) Override(raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var sections map[string]json.RawMessage
	if err := json.Unmarshal(raw, &sections); err != nil {
		return fmt.Errorf("detect: override: %w", err)
	}
	names := Names()
	for name := range sections {
		if !slices.Contains(names, name) {
			return fmt.Errorf("detect: override: %q is not a detector (want one of %s)", name, strings.Join(names, ", "))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("detect: override: %w", err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("detect: override: %w", err)
	}
	return nil
}

// CheckOverride reports whether raw is an override (Override) that the
// default configuration takes.
func CheckOverride(raw json.RawMessage) error {
	cfg := DefaultConfig()
	return cfg.Override(raw)
}
