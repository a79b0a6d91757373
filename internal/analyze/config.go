// Package analyze is the pipeline behind `vigil analyze`: captures (or
// live interfaces, RunLive) in, Zeek-compatible logs and a summary out.
//
// One reader goroutine reads frames, decodes them, reassembles fragments and
// accounts tunnels' outer connections; it hands the innermost datagrams in
// batches to N workers, chosen by a symmetric hash of the connection so both
// directions meet in one worker's flow table without locks. Workers track
// connections and encode records; one writer goroutine writes the log files.
// Every queue is bounded and blocking (offline input loses nothing). A live
// run has one reader per capture ring, all feeding the same workers, which
// merge their batches by time (live.go).
package analyze

import (
	"fmt"
	"io"
	"runtime"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/defrag"
	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/netset"
)

// Config configures one analysis run.
type Config struct {
	OutDir  string // where conn.log and weird.log go (created if missing)
	Workers int    // flow workers; 0 means one per CPU
	// MaxFlows caps tracked connections across all workers.
	MaxFlows int
	Decode   decode.Config
	Defrag   defrag.Config
	Flow     flow.Config
	// SiteNets are the site's own networks (CIDRs or addresses), beside
	// the private address space Zeek counts local: conn.log's local_orig
	// and local_resp and ssh.log's direction (Zeek's Site::local_nets).
	SiteNets []string
	// Progress, when non-nil, receives a progress bar (meant for a terminal).
	Progress io.Writer
	// DecodeOnly reads and decodes every frame and does nothing else: the
	// practical upper bound the full pipeline is measured against.
	DecodeOnly bool
	// NoApp turns the application layer off: connections only (conn.log
	// and weird.log), no protocol logs.
	NoApp bool
	// Midstream analyses application protocols also on TCP connections
	// picked up mid-stream (no SYN or SYN-ACK seen), with every analyzer:
	// for handshake-only exports and captures started late. Off, Vigil
	// does as Zeek does (only Factory.Partial analyzers, e.g. MQTT, Modbus).
	Midstream bool
	// BatchSize is the number of packets handed to a worker at once.
	BatchSize int
	// QueueDepth is the number of batches queued per worker.
	QueueDepth int
	// Consumers read every record and the packet facts as they are
	// written (see Consumer), in the writer's goroutine; the caller closes
	// them after Run returns. Packet facts are only made when there are
	// consumers.
	Consumers []Consumer
	// Costs times each consumer's calls by log (Summary.Costs): a few tens
	// of nanoseconds more a record and consumer.
	Costs bool
}

// DefaultConfig returns the zero-config defaults.
func DefaultConfig() Config {
	return Config{
		OutDir:     "vigil-out",
		Workers:    0,
		MaxFlows:   1 << 20,
		Decode:     decode.DefaultConfig(),
		Defrag:     defrag.DefaultConfig(),
		Flow:       flow.DefaultConfig(),
		BatchSize:  256,
		QueueDepth: 8,
	}
}

func (c *Config) normalize() error {
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Workers > 256 {
		return fmt.Errorf("analyze: --workers %d is more than 256", c.Workers)
	}
	if c.MaxFlows <= 0 {
		return fmt.Errorf("analyze: max flows must be positive, got %d", c.MaxFlows)
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 256
	}
	if c.QueueDepth <= 0 {
		c.QueueDepth = 8
	}
	if _, err := netset.ZeekLocal(c.SiteNets); err != nil {
		return fmt.Errorf("analyze: site networks: %w", err)
	}
	if !c.DecodeOnly && c.OutDir == "" {
		return fmt.Errorf("analyze: no output directory (use -o DIR)")
	}
	return nil
}
