package synth

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// TestFlood: the flood capture is what it says, packet by packet (every
// header and checksum is checked by the same parser as the mix's): a
// quarter IPv4 SYNs, a quarter IPv6 SYNs, each its own connection, half
// DNS queries whose names are all new, none answered; the same seed gives
// the same bytes, another seed others.
func TestFlood(t *testing.T) {
	render := func(seed int64) ([]byte, Stats) {
		var buf bytes.Buffer
		st, err := WriteFlood(&buf, FloodConfig{Seed: seed, Packets: 8000})
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), st
	}
	data, st := render(3)
	ty := newTally(t)
	ty.parsePcap(data)
	if st.Packets != 8000 || ty.packets != 8000 || st.Bytes != ty.bytes {
		t.Errorf("stats %+v, parsed %d packets of %d bytes", st, ty.packets, ty.bytes)
	}
	if ty.v4 != 6000 || ty.v6 != 2000 || ty.syn != 4000 || ty.synack != 0 || ty.flows != 4000 {
		t.Errorf("v4 %d v6 %d SYNs %d SYN/ACKs %d connections %d, want 6000 2000 4000 0 4000", ty.v4, ty.v6, ty.syn, ty.synack, ty.flows)
	}
	if ty.dnsQ != 4000 || ty.dnsR != 0 || len(ty.names) != 4000 {
		t.Errorf("DNS queries %d responses %d distinct names %d, want 4000 0 4000", ty.dnsQ, ty.dnsR, len(ty.names))
	}
	if again, _ := render(3); !bytes.Equal(again, data) {
		t.Error("the same seed gave other bytes")
	}
	if other, _ := render(4); sha256.Sum256(other) == sha256.Sum256(data) {
		t.Error("another seed gave the same bytes")
	}
	if _, err := WriteFlood(&bytes.Buffer{}, FloodConfig{Packets: -1}); err == nil {
		t.Error("negative packets: no error")
	}
}
