// Package longconn reports connections that lasted longer than a threshold
// (class conn.long): interactive backdoors, tunnels and C2 channels hold
// connections open for hours.
//
// By default only connections from an internal host to an external one
// count, and ports of protocols that keep connections open by design (MQTT,
// push services) are ignored. Stateless: each conn.log record is judged
// alone; the engine merges repeats of one (source, destination) pair.
package longconn

import (
	"fmt"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/netset"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Config holds the long-connection threshold.
type Config struct {
	Enabled bool `json:"enabled"`
	// MinDuration is the shortest duration (s) reported.
	MinDuration float64 `json:"min_duration_s"`
	// ExternalOnly limits the detector to internal → external connections.
	ExternalOnly bool `json:"external_only"`
	// IgnorePorts are responder ports whose long connections are normal.
	IgnorePorts []uint16 `json:"ignore_ports"`
}

// DefaultConfig returns the defaults: one hour, internal to external,
// MQTT and push-notification ports ignored.
func DefaultConfig() Config {
	return Config{Enabled: true, MinDuration: 3600, ExternalOnly: true, IgnorePorts: []uint16{1883, 8883, 5228, 5223}}
}

// Detector is the long-connection detector.
type Detector struct {
	cfg      Config
	internal *netset.Set
	ignore   map[uint16]bool
}

// New returns a long-connection detector; internal says which addresses
// are internal.
func New(cfg Config, internal *netset.Set) *Detector {
	d := &Detector{cfg: cfg, internal: internal, ignore: map[uint16]bool{}}
	for _, p := range cfg.IgnorePorts {
		d.ignore[p] = true
	}
	return d
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "longconn" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn"} }

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	if c.Duration < d.cfg.MinDuration || d.ignore[c.RespP] {
		return
	}
	if d.cfg.ExternalOnly && (!d.internal.Contains(c.Orig) || d.internal.Contains(c.Resp)) {
		return
	}
	dur := time.Duration(c.Duration * float64(time.Second)).Round(time.Second)
	act := fmt.Sprintf("held a %s connection to %s:%d/%s open for %s (%d bytes out, %d in)",
		c.Proto, c.Resp, c.RespP, c.Proto, dur, c.OrigBytes, c.RespBytes)
	emit(alert.Alert{
		TS: c.TS, TSEnd: c.TS + c.Duration, UID: string(c.UID), Src: c.Orig.String(), Dst: c.Resp.String(),
		SrcP: c.OrigP, DstP: c.RespP, Proto: c.Proto.String(), Class: "conn.long",
		Confidence: min(1, 0.5+0.5*(c.Duration-d.cfg.MinDuration)/(4*d.cfg.MinDuration)),
		Act:        act,
		Summary:    fmt.Sprintf("%s %s, from %s.", c.Orig, act, alert.Clock(c.TS)),
		Evidence: map[string]any{
			"duration_s": c.Duration, "orig_bytes": c.OrigBytes, "resp_bytes": c.RespBytes,
			"threshold_s": d.cfg.MinDuration,
		},
		Detector: "longconn",
	})
}

// Flush implements detect.Detector (stateless: nothing to do).
func (d *Detector) Flush(float64, alert.Emit) {}
