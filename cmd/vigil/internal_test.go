package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestInternalNetworks: a campus with public addresses names its networks
// once, with --internal or the detection config's internal_networks, and
// both the detectors (internal → external) and the asset inventory (its
// hosts) take them; before, the inventory kept only the private ranges,
// so the campus's hosts were no hosts of assets.log, and there was no flag.
func TestInternalNetworks(t *testing.T) {
	var flag networks
	for _, v := range []string{"128.84.0.0/16, 2001:db8:84::/48", "192.0.2.7"} {
		if err := flag.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := (&networks{}).Set("128.84.0.0/33"); err == nil {
		t.Error("a bad network accepted")
	}
	cfg, err := insightConfig("", "", false, false, flag)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"128.84.0.0/16", "2001:db8:84::/48", "192.0.2.7/32", "10.0.0.0/8"} {
		if !slices.Contains(cfg.Detect.InternalNetworks, n) || !slices.Contains(cfg.Assets.LocalNets, n) {
			t.Errorf("%s: detection %v, inventory %v", n, cfg.Detect.InternalNetworks, cfg.Assets.LocalNets)
		}
	}

	conf := filepath.Join(t.TempDir(), "detect.json")
	if err := os.WriteFile(conf, []byte(`{"internal_networks": ["10.0.0.0/8", "203.0.113.0/24"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = insightConfig(conf, "", false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.Assets.LocalNets, "203.0.113.0/24") || slices.Contains(cfg.Detect.InternalNetworks, "192.168.0.0/16") {
		t.Errorf("config's networks: detection %v, inventory %v", cfg.Detect.InternalNetworks, cfg.Assets.LocalNets)
	}

	// The records' site (conn.log's local_orig/local_resp, ssh.log's
	// direction) takes both too.
	if got := siteNetworks(conf, flag); !slices.Contains(got, "203.0.113.0/24") || !slices.Contains(got, "128.84.0.0/16") {
		t.Errorf("site networks %v", got)
	}
	if got := siteNetworks("", nil); len(got) != 0 {
		t.Errorf("site networks without flag or config: %v", got)
	}
}
