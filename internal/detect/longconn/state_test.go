package longconn

import (
	"bytes"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/netset"
)

// A tunnel re-dialled every half hour, each connection 20 minutes long,
// sums an hour at its third piece: a restart after the second, with the
// state saved and loaded, gives the alert of a run without the restart
// (from the first piece's start). A detector started fresh at the restart
// sees two pieces only.
func TestStateRestart(t *testing.T) {
	internal := netset.MustParse(netset.DefaultInternal...)
	var lines []dt.Line
	for i := range 4 {
		lines = append(lines, dt.Conn{TS: 1000 + float64(i)*1800, UID: "Cpiece" + string(rune('a'+i)), Src: "10.0.0.7", SrcP: 50000 + i,
			Dst: "203.0.113.9", DstP: 4444, Duration: 1200, OrigBytes: 1e5, RespBytes: 2e5}.Line())
	}
	want := dt.Run(t, New(DefaultConfig(), internal), lines)
	a := dt.Find(t, want, "conn.long")
	if a.TS != 1000 {
		t.Fatalf("the run without a restart: %s", a.Summary)
	}
	got, state := dt.RunRestarted(t, New(DefaultConfig(), internal), New(DefaultConfig(), internal), lines, 4000)
	dt.SameAlerts(t, want, got)
	t.Logf("state %d bytes", len(state))
	dt.Quiet(t, dt.Run(t, New(DefaultConfig(), internal), lines[2:]))

	one := DefaultConfig()
	one.MaxPairs = 0
	for _, tc := range []struct {
		name  string
		cfg   Config
		state []byte
		want  string
	}{
		{"truncated", DefaultConfig(), state[:len(state)-1], "truncated"},
		{"future version", DefaultConfig(), append([]byte{stateVersion + 1}, state[1:]...), "version"},
		{"max_pairs", one, state, "more than 0"},
	} {
		d := New(tc.cfg, internal)
		if err := d.LoadState(bytes.NewReader(tc.state)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
		if len(d.pairs) != 0 {
			t.Errorf("%s: state kept after an error", tc.name)
		}
	}
}
