package ipv6mon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// configJSON is Config as a configuration file writes it (the "ipv6"
// section of the detection config, docs/DETECTION.md): durations in
// seconds.
type configJSON struct {
	LearnWindow     float64  `json:"learn_window_s"`
	AllowedRouters  []string `json:"allowed_routers"`
	AllowedPrefixes []string `json:"allowed_prefixes"`
	RAFloodCount    int      `json:"ra_flood_count"`
	RAFloodSources  int      `json:"ra_flood_sources"`
	RAFloodWindow   float64  `json:"ra_flood_window_s"`
	NASpoofTargets  int      `json:"na_spoof_targets"`
	NAWindow        float64  `json:"na_window_s"`
	DADDenials      int      `json:"dad_denials"`
	MLDFloodCount   int      `json:"mld_flood_count"`
	ExtChainLimit   int      `json:"ext_chain_limit"`
	ExtOptionBytes  int      `json:"ext_option_bytes"`
	MaxHosts        int      `json:"max_hosts"`
	MaxRouters      int      `json:"max_routers"`
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func duration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (c Config) toJSON() configJSON {
	return configJSON{LearnWindow: seconds(c.LearnWindow), AllowedRouters: c.AllowedRouters, AllowedPrefixes: c.AllowedPrefixes,
		RAFloodCount: c.RAFloodCount, RAFloodSources: c.RAFloodSources, RAFloodWindow: seconds(c.RAFloodWindow),
		NASpoofTargets: c.NASpoofTargets, NAWindow: seconds(c.NAWindow), DADDenials: c.DADDenials, MLDFloodCount: c.MLDFloodCount,
		ExtChainLimit: c.ExtChainLimit, ExtOptionBytes: c.ExtOptionBytes, MaxHosts: c.MaxHosts, MaxRouters: c.MaxRouters}
}

// MarshalJSON writes the configuration as a config file's "ipv6" section.
func (c Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.toJSON()) }

// UnmarshalJSON reads a config file's "ipv6" section over c: fields left
// out keep their values, unknown ones are errors.
func (c *Config) UnmarshalJSON(data []byte) error {
	j := c.toJSON()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	c.LearnWindow, c.AllowedRouters, c.AllowedPrefixes = duration(j.LearnWindow), j.AllowedRouters, j.AllowedPrefixes
	c.RAFloodCount, c.RAFloodSources, c.RAFloodWindow = j.RAFloodCount, j.RAFloodSources, duration(j.RAFloodWindow)
	c.NASpoofTargets, c.NAWindow, c.DADDenials, c.MLDFloodCount = j.NASpoofTargets, duration(j.NAWindow), j.DADDenials, j.MLDFloodCount
	c.ExtChainLimit, c.ExtOptionBytes, c.MaxHosts, c.MaxRouters = j.ExtChainLimit, j.ExtOptionBytes, j.MaxHosts, j.MaxRouters
	return nil
}

// Validate checks the values the monitor cannot work with.
func (c *Config) Validate() error {
	for _, p := range c.AllowedPrefixes {
		if _, err := netip.ParsePrefix(p); err != nil {
			return fmt.Errorf("ipv6.allowed_prefixes: %w", err)
		}
	}
	switch {
	case c.LearnWindow < 0:
		return fmt.Errorf("ipv6.learn_window_s must be >= 0")
	case c.RAFloodCount <= 0 || c.RAFloodSources <= 0 || c.RAFloodWindow <= 0:
		return fmt.Errorf("ipv6: ra_flood_count, ra_flood_sources and ra_flood_window_s must be > 0")
	case c.NASpoofTargets <= 0 || c.NAWindow <= 0 || c.DADDenials <= 0 || c.MLDFloodCount <= 0:
		return fmt.Errorf("ipv6: na_spoof_targets, na_window_s, dad_denials and mld_flood_count must be > 0")
	case c.ExtChainLimit <= 0 || c.ExtOptionBytes <= 0 || c.MaxHosts <= 0 || c.MaxRouters <= 0:
		return fmt.Errorf("ipv6: ext_chain_limit, ext_option_bytes, max_hosts and max_routers must be > 0")
	}
	return nil
}
