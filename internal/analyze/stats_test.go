package analyze

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture"
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

// TestReadingLine: the summary says how large captures were read, with
// the trial's figures for one file, counts for several, nothing for none.
func TestReadingLine(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   []capture.ReadChoice
		want string
	}{
		{nil, ""},
		{[]capture.ReadChoice{{File: "a", Mapped: true, Read: ms / 2, Map: ms / 4}}, "mapped, as a trial found cheaper: 4 MiB in 0.25 ms mapped, 0.50 ms read"},
		{[]capture.ReadChoice{{File: "a", Read: ms / 2, Map: ms}}, "read, as a trial found cheaper: 4 MiB in 1.00 ms mapped, 0.50 ms read"},
		{[]capture.ReadChoice{{File: "a", Why: "not cached"}}, "read: its first 16 MiB were not in the page cache"},
		{[]capture.ReadChoice{{Mapped: true}, {}, {Mapped: true}}, "2 large files mapped, 1 read, as trials found cheaper (VIGIL_MMAP"},
		{[]capture.ReadChoice{{Why: "not cached"}, {Mapped: true, Read: ms, Map: ms / 2}, {Mapped: true, Read: ms, Map: ms / 2, Reused: true}},
			"2 large files mapped, 0 read, as trials found cheaper; the first trial: 4 MiB in 0.50 ms mapped, 1.00 ms read; 1 read without a trial (not cached 1) (VIGIL_MMAP"},
		{[]capture.ReadChoice{{Why: "not cached"}, {Why: "cannot map"}, {Why: "not cached"}},
			"3 read without a trial (not cached 2, cannot map 1) (VIGIL_MMAP"},
	} {
		got := readingLine(c.in)
		if c.want == "" && got != "" || !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v: %q, want it to start %q", c.in, got, c.want)
		}
	}
}
