package peers

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/vigil-nsm/vigil/internal/record/rec"
)

func conn(ts float64, orig, resp string, proto rec.Proto, origPkts, respPkts, origBytes, respBytes uint64) *rec.Conn {
	return &rec.Conn{TS: ts, Orig: netip.MustParseAddr(orig), Resp: netip.MustParseAddr(resp), Proto: proto, State: rec.SF,
		OrigPkts: origPkts, RespPkts: respPkts, OrigBytes: origBytes, RespBytes: respBytes}
}

func TestTalked(t *testing.T) {
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::7")
	tab := New()
	tab.Note(conn(1000, "10.0.0.1", "192.0.2.7", rec.ProtoTCP, 8, 9, 300, 9000)) // a → b fetched
	tab.Note(conn(1000, "10.0.0.1", "2001:db8::7", rec.ProtoUDP, 1, 0, 40, 0))   // c never answered
	tab.Note(conn(1000, "2001:db8::7", "10.0.0.1", rec.ProtoTCP, 1, 1, 0, 0))    // no payload: a probe
	tests := []struct {
		name     string
		from, to netip.Addr
		ts, in   float64
		want     bool
	}{
		{"originator to responder", a, b, 1010, 60, true},
		{"the other way", b, a, 1010, 60, false},
		{"before the conversation", a, b, 950, 60, true},
		{"past the window", a, b, 1100, 60, false},
		{"window capped at Memory", a, b, 1000 + Memory + 1, 10 * Memory, false},
		{"unanswered udp", a, c, 1000, 60, false},
		{"tcp without payload", c, a, 1000, 60, false},
	}
	for _, tc := range tests {
		if got := tab.Talked(tc.from, tc.to, tc.ts, tc.in); got != tc.want {
			t.Errorf("%s: Talked = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSpanOfConversations: a pair keeps its first and latest
// conversations' starts, in whatever order their records come: a later
// one (a camera polled after its stream was set up) does not hide an
// earlier one, and the time between them is no conversation.
func TestSpanOfConversations(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.7")
	tab := New()
	tab.Note(conn(5000, "10.0.0.1", "192.0.2.7", rec.ProtoUDP, 1, 1, 40, 90))
	tab.Note(conn(1000, "10.0.0.1", "192.0.2.7", rec.ProtoUDP, 1, 1, 40, 90))
	for _, c := range []struct {
		ts   float64
		want bool
	}{{930, false}, {950, true}, {1050, true}, {3000, false}, {4950, true}, {5050, true}, {5070, false}} {
		if got := tab.Talked(a, b, c.ts, 60); got != c.want {
			t.Errorf("Talked at %v = %v, want %v", c.ts, got, c.want)
		}
	}
}

// TestSlotsHoldEveryPairOnce: many pairs stay within the fixed table and
// each pair is found where it landed last.
func TestSlotsHoldEveryPairOnce(t *testing.T) {
	tab := New()
	found := 0
	for i := range 100_000 {
		orig := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		c := &rec.Conn{TS: 1000, Orig: orig, Resp: netip.MustParseAddr("192.0.2.1"), Proto: rec.ProtoUDP, OrigPkts: 1, RespPkts: 1}
		tab.Note(c)
		if tab.Talked(orig, c.Resp, 1000, 1) {
			found++
		}
	}
	if found != 100_000 {
		t.Errorf("%d of 100000 pairs found right after they were noted", found)
	}
	held := 0
	for _, s := range tab {
		if s.key != 0 {
			held++
		}
	}
	if held > Slots || held < Slots/2 {
		t.Errorf("%d slots used of %d", held, Slots)
	}
}

// TestTableSize holds the package doc to its figure: the table is 768 KiB.
func TestTableSize(t *testing.T) {
	if got := unsafe.Sizeof(Table{}); got != 768<<10 {
		t.Fatalf("Table is %d bytes, the package doc says 768 KiB", got)
	}
}
