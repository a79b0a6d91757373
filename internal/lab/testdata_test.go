package lab

import (
	"bytes"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

// committedCaptures is where the repository keeps captures made by
// `vigil lab run` (testdata/lab/README.md says how).
const committedCaptures = "../../testdata/lab"

// Each committed capture reads with the repository's readers, and its
// labels agree with it: the attacker sends packets in it (by address, or
// by MAC when the sources are forged), inside the labelled attack phase,
// and the packet count is the one recorded.
func TestCommittedCaptures(t *testing.T) {
	labels, _ := filepath.Glob(filepath.Join(committedCaptures, "*.labels.json"))
	if len(labels) == 0 {
		t.Fatalf("no labelled captures in %s", committedCaptures)
	}
	for _, path := range labels {
		name := strings.TrimSuffix(filepath.Base(path), ".labels.json")
		t.Run(name, func(t *testing.T) {
			l, err := ReadLabels(path)
			if err != nil {
				t.Fatal(err)
			}
			if l.Scenario != name || l.Capture.File != name+".pcap" {
				t.Errorf("labels of %q name scenario %q, capture %q", name, l.Scenario, l.Capture.File)
			}
			if _, err := Lookup(name); err != nil {
				t.Error(err)
			}
			pkts := readCapture(t, filepath.Join(committedCaptures, name+".pcap"))
			if len(pkts) != l.Capture.Packets {
				t.Errorf("%d packets, labels say %d", len(pkts), l.Capture.Packets)
			}
			checkAttackerSeen(t, l, pkts)
		})
	}
}

// checkAttackerSeen requires a packet from the attacker during the attack
// phase (benign captures: none from the attacker host at all).
func checkAttackerSeen(t *testing.T, l *Labels, pkts []packetView) {
	t.Helper()
	if len(l.ExpectedClasses) == 0 {
		if _, _, n := span(pkts, func(p *packetView) bool { return p.hasIP && p.ip.Src == hostAtk.IPv4() }); n > 0 {
			t.Errorf("benign capture has %d packets from the attacker host", n)
		}
		return
	}
	attackers := map[netip.Addr]bool{}
	for _, a := range l.Attacker {
		attackers[netip.MustParseAddr(a)] = true
	}
	var mac []byte
	if l.AttackerMAC != "" {
		if hw, err := net.ParseMAC(l.AttackerMAC); err == nil {
			mac = hw
		}
	}
	inPhase := func(p *packetView) bool { return p.ts >= l.StartTS-1 && p.ts <= l.EndTS+1 }
	byAddr := func(p *packetView) bool {
		return inPhase(p) && ((p.hasIP && attackers[p.ip.Src]) || (p.isARP && attackers[p.arp.SenderIP]))
	}
	byMAC := func(p *packetView) bool { return inPhase(p) && mac != nil && bytes.Equal(p.srcMAC, mac) }
	_, _, nAddr := span(pkts, byAddr)
	_, _, nMAC := span(pkts, byMAC)
	if nAddr == 0 && nMAC == 0 {
		t.Errorf("no packet from the attacker %v (MAC %s) during the attack", l.Attacker, l.AttackerMAC)
	}
	if nAddr == 0 && !strings.Contains(l.Notes, "MAC") {
		t.Errorf("the attacker's addresses send nothing, and the notes do not say it is known by its MAC")
	}
}
