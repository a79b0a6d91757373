package lab

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect"
)

// Labels is the ground truth of one scenario run, written next to its
// capture as SCENARIO.labels.json (the format of DESIGN.md §3, plus
// difficulty, the attacker's MAC, phases and the capture's own figures).
// Times are epoch seconds of the attack phase, measured by the lab around
// the tool runs, on the clock that stamps the capture.
type Labels struct {
	Scenario        string   `json:"scenario"`
	Description     string   `json:"description"`
	Difficulty      string   `json:"difficulty"`
	ToolCommands    []string `json:"tool_commands"`
	Attacker        []string `json:"attacker"`
	AttackerMAC     string   `json:"attacker_mac,omitempty"`
	Victims         []string `json:"victims"`
	StartTS         float64  `json:"start_ts"`
	EndTS           float64  `json:"end_ts"`
	ExpectedClasses []string `json:"expected_classes"`
	MITRE           []string `json:"mitre"`
	BenignHosts     []string `json:"benign_hosts"`
	Phases          []Phase  `json:"phases,omitempty"`
	// Notes says what an analyst should know to read the capture right
	// (spoofed sources, which side is the C2 …).
	Notes string `json:"notes,omitempty"`
	// IntelFeeds are the threat-intelligence feed files the scenario's
	// analysis loads (paths relative to the labels' directory, in
	// SCENARIO.intel/); none for most scenarios.
	IntelFeeds []string `json:"intel_feeds,omitempty"`
	// Detect is a detection override for this scenario's evaluation
	// (detect.Config.Override: detector sections and their fields, such
	// as {"longconn": {"min_duration_s": 240}}), for an attack that a
	// default threshold cannot see in a lab run; none for most.
	Detect  json.RawMessage `json:"detect,omitempty"`
	Capture CaptureInfo     `json:"capture"`
	// Hosts names the lab host behind every address of the lab (IPv4,
	// ULA, SLAAC, link-local), so that an evaluation can tell that an
	// alert naming 2001:db8:66::…:16 names ws2 (victims list one address
	// per host).
	Hosts map[string]string `json:"hosts,omitempty"`
}

// Phase is one named step of an attack.
type Phase struct {
	Name    string  `json:"name"`
	StartTS float64 `json:"start_ts"`
	EndTS   float64 `json:"end_ts"`
}

// CaptureInfo describes the pcap the labels belong to.
type CaptureInfo struct {
	File      string  `json:"file"`
	Interface string  `json:"interface"`
	StartTS   float64 `json:"start_ts"`
	EndTS     float64 `json:"end_ts"`
	Packets   int     `json:"packets"`
	Dropped   int     `json:"dropped"`
}

// epoch is t as epoch seconds with microsecond precision.
func epoch(t time.Time) float64 {
	return math.Round(float64(t.UnixNano())/1e3) / 1e6
}

// Time converts epoch seconds back to a time.
func Time(ts float64) time.Time {
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9)))
}

// WriteLabels writes l as indented JSON to path.
func WriteLabels(path string, l *Labels) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("lab: encode labels: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("lab: write labels: %w", err)
	}
	return nil
}

// ReadLabels reads a SCENARIO.labels.json file and checks it is whole.
func ReadLabels(path string) (*Labels, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lab: read labels: %w", err)
	}
	var l Labels
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("lab: labels %s: %w", path, err)
	}
	if err := l.validate(); err != nil {
		return nil, fmt.Errorf("lab: labels %s: %w", path, err)
	}
	return &l, nil
}

func (l *Labels) validate() error {
	switch {
	case l.Scenario == "":
		return fmt.Errorf("no scenario name")
	case l.StartTS <= 0 || l.EndTS < l.StartTS:
		return fmt.Errorf("attack phase %.6f–%.6f is not a time span", l.StartTS, l.EndTS)
	}
	for _, c := range l.ExpectedClasses {
		if !IsAlertClass(c) {
			return fmt.Errorf("unknown alert class %q", c)
		}
	}
	if err := detect.CheckOverride(l.Detect); err != nil {
		return err
	}
	for _, f := range l.IntelFeeds {
		if strings.TrimSpace(f) == "" {
			return fmt.Errorf("an empty intel feed path")
		}
	}
	return nil
}
