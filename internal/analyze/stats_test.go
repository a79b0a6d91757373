package analyze

import (
	"testing"

	"github.com/vigil-nsm/vigil/internal/decode"
)

// TestHostStatsTotals checks the per-version and per-class sums of the
// packets counted by (version, protocol), across a merge.
func TestHostStatsTotals(t *testing.T) {
	a, b := newHostStats(), newHostStats()
	a.addPacket(&decode.Datagram{Version: 4, Proto: decode.ProtoTCP, IPLen: 100})
	a.addPacket(&decode.Datagram{Version: 6, Proto: decode.ProtoICMPv6, IPLen: 60})
	b.addPacket(&decode.Datagram{Version: 4, Proto: decode.ProtoICMP, IPLen: 28})
	b.addPacket(&decode.Datagram{Version: 6, Proto: decode.ProtoUDP, IPLen: 80})
	b.addPacket(&decode.Datagram{Version: 4, Proto: 47, IPLen: 50}) // GRE: other
	a.merge(b)

	pkts, bytes := a.ipTotals()
	if pkts != [2]uint64{3, 2} || bytes != [2]uint64{178, 140} {
		t.Errorf("ipTotals = %v, %v; want [3 2], [178 140]", pkts, bytes)
	}
	cp, cb := a.classTotals()
	if want := [numClasses]uint64{1, 1, 2, 1}; cp != want {
		t.Errorf("class packets = %v, want %v", cp, want)
	}
	if want := [numClasses]uint64{100, 80, 88, 50}; cb != want {
		t.Errorf("class bytes = %v, want %v", cb, want)
	}
}
