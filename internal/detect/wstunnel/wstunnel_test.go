package wstunnel

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

func wsConn(ts float64, i int, service string) dt.Line {
	return dt.Rec("conn", map[string]any{"ts": ts, "uid": fmt.Sprintf("W%d", i), "id.orig_h": "10.66.0.66", "id.orig_p": 40000 + i,
		"id.resp_h": "198.51.100.7", "id.resp_p": 443, "proto": "tcp", "service": service, "duration": 30.0,
		"orig_bytes": 5000, "resp_bytes": 9000, "conn_state": "SF", "history": "ShADadFf"})
}

// TestFires: SSH and TLS inside WebSocket are tunnels, reported once an
// hour per client, server and protocol.
func TestFires(t *testing.T) {
	l := []dt.Line{
		wsConn(1000, 1, "http,websocket,ssh"),
		wsConn(1100, 2, "http,websocket,ssh"), // the same tunnel again: no second alert
		wsConn(1200, 3, "http,ssl,websocket"),
		wsConn(5000, 4, "http,websocket,ssh"), // an hour later: reported again
	}
	alerts := dt.Run(t, New(DefaultConfig()), l)
	if len(alerts) != 3 {
		t.Fatalf("alerts %+v", alerts)
	}
	a := dt.Expect(t, alerts, Class, "10.66.0.66", "198.51.100.7", "orig_bytes", 5000)
	if a.Evidence["inner_protocol"] != "ssh" || a.DstP != 443 || a.Class != Class {
		t.Errorf("alert %+v", a)
	}
}

// TestQuiet: a web application's WebSocket (nothing found inside), plain
// HTTP and TLS are no tunnel.
func TestQuiet(t *testing.T) {
	dt.Quiet(t, dt.Run(t, New(DefaultConfig()), []dt.Line{
		wsConn(1000, 1, "http,websocket"),
		wsConn(1001, 2, "ssl"),
		wsConn(1002, 3, "http"),
		wsConn(1003, 4, ""),
	}))
}

// TestBounded: past MaxPairs the tunnel reported longest ago is dropped.
func TestBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPairs = 2
	d := New(cfg)
	var l []dt.Line
	for i := range 5 {
		c := wsConn(1000+float64(i), i, "http,websocket,ssh")
		l = append(l, c)
	}
	dt.Run(t, d, l)
	if len(d.reported) > 2 {
		t.Fatalf("%d entries", len(d.reported))
	}
}
