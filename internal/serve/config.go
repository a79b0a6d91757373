package serve

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/capture/live"
	"github.com/vigil-nsm/vigil/internal/situation"
	"github.com/vigil-nsm/vigil/internal/store"
)

// Config configures the server. DefaultConfig gives the zero-config
// defaults; every path derives from DataDir unless set.
type Config struct {
	DataDir string // ./vigil-data
	Inbox   string // DATA/inbox: captures and logs dropped here are ingested
	Listen  string // 127.0.0.1:8080
	// NetFlow is the UDP address for NetFlow v5/v9, IPFIX and sFlow ("" off).
	NetFlow string
	// Live captures from these interfaces for as long as the server runs:
	// one analysis run fed by every ring (live.go), its records stored as
	// connections end. Needs root or CAP_NET_RAW.
	Live      []live.Config
	Retention store.Retention
	// Poll is how often the inbox is scanned; a file is taken when its size
	// and time have not changed for Stable.
	Poll, Stable time.Duration
	// SituationEvery is how often the situation model is recomputed;
	// MaintenanceEvery how often retention and a checkpoint run.
	SituationEvery, MaintenanceEvery time.Duration
	Situation                        situation.Config
	// Analyze is the template of each ingest run (OutDir and Consumers are
	// set per run).
	Analyze analyze.Config
	// Consumers, when set, returns extra consumers for one ingest run (the
	// detection engine, IPv6 monitor, inventory) writing into outDir;
	// records is the run's store writer, for lines they make as the run
	// goes on (alerts and incidents, so a live capture's show at once).
	Consumers func(outDir string, records analyze.Consumer) ([]analyze.Consumer, error)
	// Snapshot, when set, is called every SnapshotEvery during a live
	// capture's run (which never ends on its own) to hand the consumers'
	// current state (the inventory) to records, as assets lines.
	Snapshot      func(outDir string, records analyze.Consumer)
	SnapshotEvery time.Duration
	// Finish, when set, runs after each ingest run's analysis (close the
	// consumers: alerts.log, incidents.log, assets.log, ipv6.log). Those
	// logs found in outDir afterwards are stored unless the run's records
	// already reached the store through Server.Sink or the consumers.
	Finish func(outDir string) error
	// Store, when set, is used instead of opening DATA/vigil.duckdb.
	Store store.Store
	// Log receives one line per event (ingest, errors); nil is stderr.
	Log io.Writer
	// KeepRunDirs keeps each run's output directory (DATA/runs/…);
	// otherwise it is removed once stored.
	KeepRunDirs bool
	// DetectState is the file in which the live capture's detection
	// engine keeps what its detectors remember for hours or days (a slow
	// beacon's check-ins, each host's upload baselines, slow scans, long
	// connections' pieces) across restarts of the server: "" is
	// DATA/detect.state, "off" none. The Consumers hook applies it
	// (DetectStatePath; inbox runs, each of one file, keep none), loading
	// it before the capture's first record and saving it every
	// DetectStateEvery and when the run ends.
	DetectState      string
	DetectStateEvery time.Duration
}

// DetectStatePath is the live run's detection state file, "" for none
// (DetectState "off").
func (c *Config) DetectStatePath() string {
	switch c.DetectState {
	case "off":
		return ""
	case "":
		return filepath.Join(or(c.DataDir, DefaultConfig().DataDir), "detect.state")
	}
	return c.DetectState
}

// DefaultConfig returns the defaults: ./vigil-data, 127.0.0.1:8080, no
// NetFlow, retention 7 days raw / 30 days minutes / a year of hours.
func DefaultConfig() Config {
	return Config{
		DataDir: "vigil-data", Listen: "127.0.0.1:8080", Retention: store.DefaultRetention(),
		Poll: time.Second, Stable: 2 * time.Second, SituationEvery: time.Minute, MaintenanceEvery: 10 * time.Minute, SnapshotEvery: time.Minute,
		Situation: situation.DefaultConfig(), Analyze: analyze.DefaultConfig(), KeepRunDirs: true,
		DetectStateEvery: 5 * time.Minute,
	}
}

// paths derived from the data directory.
func (c *Config) inbox() string  { return or(c.Inbox, filepath.Join(c.DataDir, "inbox")) }
func (c *Config) done() string   { return filepath.Join(c.DataDir, "done") }
func (c *Config) failed() string { return filepath.Join(c.DataDir, "failed") }
func (c *Config) runs() string   { return filepath.Join(c.DataDir, "runs") }
func (c *Config) dbPath() string { return filepath.Join(c.DataDir, "vigil.duckdb") }
func (c *Config) tokens() string { return filepath.Join(c.DataDir, "tokens.json") }

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c *Config) normalize() error {
	def := DefaultConfig()
	if c.DataDir == "" {
		c.DataDir = def.DataDir
	}
	if c.Listen == "" {
		c.Listen = def.Listen
	}
	for _, d := range []*time.Duration{&c.Poll, &c.Stable, &c.SituationEvery, &c.MaintenanceEvery, &c.SnapshotEvery, &c.DetectStateEvery} {
		if *d < 0 {
			return fmt.Errorf("serve: negative interval %v", *d)
		}
	}
	if c.Poll == 0 {
		c.Poll = def.Poll
	}
	if c.SituationEvery == 0 {
		c.SituationEvery = def.SituationEvery
	}
	if c.MaintenanceEvery == 0 {
		c.MaintenanceEvery = def.MaintenanceEvery
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = def.SnapshotEvery
	}
	if c.DetectStateEvery == 0 {
		c.DetectStateEvery = def.DetectStateEvery
	}
	if c.Retention == (store.Retention{}) {
		c.Retention = def.Retention
	}
	if c.Log == nil {
		c.Log = os.Stderr
	}
	return nil
}
