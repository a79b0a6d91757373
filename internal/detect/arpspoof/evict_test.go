package arpspoof

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestFloodDoesNotEvictTheGateway: a spoofer that floods the link with
// ARP from forged sender addresses (a thousand a second, as ARP-flood
// tools do) fills the bindings table. It was trimmed by dropping an
// arbitrary tenth, so the busy gateway's binding went as often as any
// forged one, and with it the flapping episode: the poisoning of the
// gateway's address between the floods was never alerted. The longest
// idle bindings are the ones to go.
func TestFloodDoesNotEvictTheGateway(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxBindings = 100
	// The gateway answers its hosts' requests (and did before the flood).
	answer := func(ts float64) []dt.Line {
		return []dt.Line{arp(ts, vicMAC, "10.66.0.20", "ff:ff:ff:ff:ff:ff", "10.66.0.1", 1), arp(ts+0.001, gwMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2)}
	}
	l := append(answer(990), answer(995)...)
	n := 0
	for i := 0; i < 30; i++ {
		ts := 1000 + float64(i)*2
		for k := 0; k < 2000; k++ {
			n++
			l = append(l, arp(ts+float64(k)/4000, badMAC, fmt.Sprintf("10.%d.%d.%d", 100+n>>16, n>>8&255, n&255), "ff:ff:ff:ff:ff:ff", "10.66.0.20", 1))
		}
		l = append(l, arp(ts+1, badMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2))
		l = append(l, answer(ts+1.5)...)
	}
	a := dt.Find(t, dt.Run(t, New(cfg), l), "arp.spoof")
	if a.Evidence["spoofer_mac"] != badMAC || a.Dst != "10.66.0.1" {
		t.Errorf("alert %s", a.JSON())
	}
}
