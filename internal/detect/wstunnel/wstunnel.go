// Package wstunnel reports protocols tunnelled through WebSocket (class
// tunnel.websocket). Tools such as wstunnel and chisel carry SSH, TLS or
// any TCP traffic inside WebSocket messages, to pass proxies and
// firewalls that let web traffic out (ATT&CK T1572, protocol tunnelling).
// A web application's WebSocket carries its own messages (JSON, text,
// binary frames of its own): the WebSocket analyzer
// (internal/proto/websocket) finds no other protocol in them.
//
// The rule reads conn.log: a connection whose service lists "websocket"
// and another protocol than http — the one found inside its messages
// ("http,websocket,ssh", "http,ssl,websocket") — is a tunnel. (HTTP
// inside a WebSocket is not told apart: the upgrade was HTTP already.)
// One alert per (client, server, protocol inside) and Report seconds,
// counting the connections and bytes it saw.
//
// State: at most MaxPairs reported (client, server, protocol) entries,
// the tenth reported longest ago dropped past it.
package wstunnel

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	"github.com/vigil-nsm/vigil/internal/detect/evict"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// Class is the alert class.
const Class = "tunnel.websocket"

// Config holds the detector's settings.
type Config struct {
	Enabled bool `json:"enabled"`
	// Report is how long (s) one tunnel's alert stands before another
	// of the same client, server and protocol is reported.
	Report   float64 `json:"report_s"`
	MaxPairs int     `json:"max_pairs"`
}

// DefaultConfig returns the defaults: an alert an hour per tunnel.
func DefaultConfig() Config { return Config{Enabled: true, Report: 3600, MaxPairs: 10_000} }

type key struct {
	src, dst netip.Addr
	inner    string
}

// Detector is the WebSocket tunnel detector.
type Detector struct {
	cfg Config
	// reported maps each tunnel to when it was last reported.
	reported map[key]float64
}

// New returns a WebSocket tunnel detector.
func New(cfg Config) *Detector { return &Detector{cfg: cfg, reported: map[key]float64{}} }

// Name implements detect.Detector.
func (d *Detector) Name() string { return "wstunnel" }

// Logs implements detect.Detector.
func (d *Detector) Logs() []string { return []string{"conn"} }

var websocket = []byte("websocket")

// Handle implements detect.Detector.
func (d *Detector) Handle(r *rec.Rec, emit alert.Emit) {
	c := r.Conn()
	if len(c.Service) < len("websocket,x") || !bytes.Contains(c.Service, websocket) {
		return
	}
	inner := innerProtocol(c.Service)
	if inner == "" {
		return
	}
	k := key{c.Orig, c.Resp, inner}
	if last, ok := d.reported[k]; ok && c.TS-last < d.cfg.Report {
		return
	}
	if len(d.reported) >= d.cfg.MaxPairs {
		evict.DropTenth(d.reported, func(ts float64) float64 { return ts })
	}
	d.reported[k] = c.TS
	emit(d.alert(c, inner))
}

// innerProtocol is the service of service (a conn.log list) that is
// neither websocket nor http ("" when there is none).
func innerProtocol(service []byte) string {
	for s := range bytes.SplitSeq(service, []byte{','}) {
		if len(s) > 0 && !bytes.Equal(s, websocket) && string(s) != "http" {
			return string(s)
		}
	}
	return ""
}

// Flush implements detect.Detector: tunnels reported more than Report
// seconds ago are forgotten.
func (d *Detector) Flush(now float64, _ alert.Emit) {
	for k, ts := range d.reported {
		if now-ts >= d.cfg.Report {
			delete(d.reported, k)
		}
	}
}

func (d *Detector) alert(c *rec.Conn, inner string) alert.Alert {
	act := fmt.Sprintf("tunnelled %s through WebSocket to %s:%d (%d bytes out, %d in)", inner, c.Resp, c.RespP, c.OrigBytes, c.RespBytes)
	return alert.Alert{
		TS: c.TS, TSEnd: c.TS + c.Duration, UID: string(c.UID), Src: c.Orig.String(), Dst: c.Resp.String(),
		SrcP: c.OrigP, DstP: c.RespP, Proto: "tcp", Class: Class, Confidence: 0.9,
		Act:     act,
		Summary: fmt.Sprintf("%s %s, from %s.", c.Orig, act, alert.Clock(c.TS)),
		Evidence: map[string]any{
			"inner_protocol": inner, "service": string(c.Service), "orig_bytes": c.OrigBytes, "resp_bytes": c.RespBytes,
			"duration_s": c.Duration,
		},
		Detector: "wstunnel",
	}
}
