package arpspoof

import (
	"slices"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestCaptureStartsMidAttack: the capture (or the sensor, after a
// restart) starts while arpspoof is already poisoning 10.66.0.20 with
// the gateway's address, so the first MAC seen claiming 10.66.0.1 is the
// spoofer's and it became the address's "owner". The real gateway then
// answers other hosts' requests and asks for hosts itself, and the alert
// blamed it: "02:00:00:00:00:01 impersonated 10.66.0.1 with MAC
// 02:00:00:00:00:01 (owner 02:00:00:00:00:66)", naming the gateway's MAC
// as the spoofer (a defender would block the gateway's port) and the
// hosts it answered as the poisoned ones. The spoofer is the MAC whose
// claims nobody asked for, while the other only ever answered requests or
// asked itself.
func TestCaptureStartsMidAttack(t *testing.T) {
	const other = "02:00:00:00:00:30"
	var l []dt.Line
	for i := 0; i < 60; i++ {
		ts := 1000 + float64(i)*2
		l = append(l, arp(ts, badMAC, "10.66.0.1", vicMAC, "10.66.0.20", 2)) // re-poisoning, unasked
		if i%5 == 2 {
			// Another host asks for the gateway, which answers.
			l = append(l, arp(ts+0.5, other, "10.66.0.30", "ff:ff:ff:ff:ff:ff", "10.66.0.1", 1),
				arp(ts+0.501, gwMAC, "10.66.0.1", other, "10.66.0.30", 2))
		}
		if i%10 == 7 {
			// The gateway asks for a host of its own.
			l = append(l, arp(ts+1, gwMAC, "10.66.0.1", "00:00:00:00:00:00", "10.66.0.40", 1))
		}
	}
	a := dt.Find(t, dt.Run(t, New(DefaultConfig()), l), "arp.spoof")
	if a.Evidence["spoofer_mac"] != badMAC || a.Evidence["owner_mac"] != gwMAC || !strings.HasPrefix(a.Summary, badMAC) {
		t.Errorf("the gateway blamed: %s", a.JSON())
	}
	if !slices.Contains(a.Dsts, "10.66.0.20") || slices.Contains(a.Dsts, "10.66.0.30") || slices.Contains(a.Dsts, "10.66.0.40") {
		t.Errorf("poisoned hosts %v, want 10.66.0.20 only", a.Dsts)
	}
}
