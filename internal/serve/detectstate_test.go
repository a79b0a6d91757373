package serve

import (
	"path/filepath"
	"testing"
	"time"
)

// The live run's detection state file is DATA/detect.state unless moved
// or turned off, saved every five minutes unless told otherwise.
func TestDetectStatePath(t *testing.T) {
	cfg := DefaultConfig()
	if got := cfg.DetectStatePath(); got != filepath.Join("vigil-data", "detect.state") {
		t.Errorf("default: %q", got)
	}
	cfg.DataDir = "/var/lib/vigil"
	if got := cfg.DetectStatePath(); got != "/var/lib/vigil/detect.state" {
		t.Errorf("--data /var/lib/vigil: %q", got)
	}
	cfg.DetectState = "/srv/state/vigil.state"
	if got := cfg.DetectStatePath(); got != "/srv/state/vigil.state" {
		t.Errorf("moved: %q", got)
	}
	cfg.DetectState = "off"
	if got := cfg.DetectStatePath(); got != "" {
		t.Errorf("off: %q", got)
	}
	if cfg.DetectStateEvery != 5*time.Minute {
		t.Errorf("saved every %v", cfg.DetectStateEvery)
	}
	var zero Config
	if err := zero.normalize(); err != nil || zero.DetectStateEvery != 5*time.Minute {
		t.Errorf("normalized: %v %v", zero.DetectStateEvery, err)
	}
	zero.DetectStateEvery = -time.Second
	if err := zero.normalize(); err == nil {
		t.Error("a negative period was taken")
	}
}
