package arpspoof

import (
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestSpooferAlternatingTwoMACs: a spoofer that sends its forged replies
// for the gateway's address from two MACs in turn (A, B, A, B…, every 2 s
// for a minute, with the gateway answering now and then) is alerted: each
// of its MACs claims the address again and again (a review found that
// counting binding changes per MAC, as one-off MACs first led to, missed
// it).
func TestSpooferAlternatingTwoMACs(t *testing.T) {
	const macA, macB = "02:00:00:00:00:66", "02:00:00:00:00:67"
	l := []dt.Line{arp(1000, gwMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2)}
	for i := 0; i < 30; i++ {
		ts := 1010 + float64(i)*2
		mac := macA
		if i%2 == 1 {
			mac = macB
		}
		l = append(l, arp(ts, mac, "10.66.0.1", vicMAC, "10.66.0.20", 2))
		if i%5 == 0 {
			l = append(l, arp(ts+0.5, gwMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2))
		}
	}
	dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "arp.spoof")
}
