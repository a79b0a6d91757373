package arpspoof

import (
	"fmt"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestOneOffMACsNoSpoofer: a host (10.66.0.104) asks for its gateway
// every 4 s for 20 minutes; every 40 s one frame claims its address with
// a sender MAC never seen before or after (bit errors, or one-off
// frames). Each one-off MAC makes two "binding changes" (to it and back to
// the owner) and the detector chains them over one address into a single
// episode, blaming whichever MAC came last: "02:00:00:00:01:1d
// impersonated 10.66.0.104 (… 60 binding changes)" for a MAC that sent
// one frame. A spoofer claims the address again and again; no MAC here
// claimed it twice.
func TestOneOffMACsNoSpoofer(t *testing.T) {
	const owner = "02:00:00:00:00:68"
	var l []dt.Line
	n := 0
	for ts := 1000.0; ts < 2200; ts += 4 {
		l = append(l, arp(ts, owner, "10.66.0.104", "00:00:00:00:00:00", "10.66.0.1", 1))
		if int(ts)%40 == 0 {
			n++
			l = append(l, arp(ts+1, fmt.Sprintf("02:00:00:00:01:%02x", n), "10.66.0.104", "00:00:00:00:00:00", "10.66.0.1", 1))
		}
	}
	for _, a := range dt.Run(t, New(DefaultConfig()), l) {
		if a.Class == "arp.spoof" {
			t.Errorf("one-off MACs made a spoofer: %s", a.Summary)
		}
	}
}
