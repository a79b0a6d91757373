package dga

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/detect/persist"
)

// restartLines: a slow DGA (an unanswered generated-looking name every 20
// minutes for 20 hours: 60 names, its rule wants 50) and a burst of 12
// within a minute from another client, alerted by its window shortly
// before the restart at restartAt. The slow DGA's lookups are further
// apart than Idle, so that each is a window of its own: the slow alert
// names its window's uids and resolved names, which are not saved (see
// TestStateRestart).
func restartLines() []dt.Line {
	rng := rand.New(rand.NewPCG(32, 32))
	var l []dt.Line
	for i := range 60 {
		l = append(l, lookupFrom(1000+float64(i)*1200, "10.0.0.21", randomLabel(rng, 14)+".com", "NXDOMAIN"))
	}
	for i := range 12 {
		l = append(l, lookupFrom(restartAt-120+float64(i)*5, "10.0.0.24", randomLabel(rng, 14)+".net", "NXDOMAIN"))
	}
	return l
}

// restartAt is when restartLines' sensor restarts: after 30 of the slow
// DGA's 60 names.
const restartAt = 1000 + 30*1200 - 600

// A restart in the middle of a slow DGA, with the state saved and loaded,
// gives the alerts of a run without the restart: the slow count crosses
// its 50 domains after it, from the first domain's time, with the last
// five as examples. The burst's window, which is not saved, is reported
// at the restart (Suspend) as the run without it reports it once idle; its
// client's slow count (told with the window's alert) goes on. A detector
// started fresh at the restart sees 30 domains: no slow alert.
//
// What a restart does change: a slow alert within Idle of it names the
// uids and resolved names of its window since the restart only.
func TestStateRestart(t *testing.T) {
	lines := restartLines()
	want := dt.Run(t, newDetector(t), lines)
	if got := rules(want); got != "slow window" {
		t.Fatalf("the run without a restart: %s", got)
	}
	got, state := dt.RunRestarted(t, newDetector(t), newDetector(t), lines, restartAt)
	dt.SameAlerts(t, want, got)
	t.Logf("state %d bytes", len(state))

	after := dt.After(lines, restartAt)
	dt.Quiet(t, dt.Run(t, newDetector(t), after))
}

// rules lists the rules of the merged alerts, sorted.
func rules(alerts []alert.Alert) string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Evidence["reason"].(string))
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), " ")
}

func newDetector(t *testing.T) *Detector {
	t.Helper()
	d, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A state that is truncated, of another version, over max_clients, or
// holding a count that no run could make (a client listed twice, an empty
// count, the next domain's place out of range, more domains kept than
// counted) is refused, and the detector is left fresh.
func TestStateRefused(t *testing.T) {
	_, state := dt.RunRestarted(t, newDetector(t), newDetector(t), restartLines(), restartAt)
	small := DefaultConfig()
	small.MaxClients = 1
	good := func() slow {
		s := slow{first: 1000, last: 1000, recent: [5]string{"xkqjvbzrwmtplc.com"}, next: 1}
		s.seen.Add(1)
		return s
	}
	empty, next, kept := good(), good(), good()
	empty.seen = domain.Distinct{}
	next.next = 5
	kept.recent[1] = "zqxwvjkmbtrlpn.com"
	damages := append(dt.Damaged(DefaultConfig(), state, stateVersion),
		dt.Damage[Config]{Name: "max_clients", Cfg: small, State: state, Want: "2 clients, more than max_clients 1"},
		dt.Damage[Config]{Name: "twice", Cfg: DefaultConfig(), State: slowState(good(), good()), Want: "listed twice"},
		dt.Damage[Config]{Name: "empty", Cfg: DefaultConfig(), State: slowState(empty), Want: "empty slow count"},
		dt.Damage[Config]{Name: "next", Cfg: DefaultConfig(), State: slowState(next), Want: "next domain at 5 of 5"},
		dt.Damage[Config]{Name: "kept", Cfg: DefaultConfig(), State: slowState(kept), Want: "slow count of 1 domains keeps 2"},
	)
	dt.Refuses(t, func(c Config) *Detector { d, _ := New(c); return d }, func(d *Detector) string {
		if len(d.clients) == 0 {
			return ""
		}
		return d.StateSummary()
	}, damages)
	if err := newDetector(t).LoadState(bytes.NewReader(slowState(good()))); err != nil {
		t.Errorf("a count made by hand, as add makes them: %v", err)
	}
}

// slowState is a state of one client with each slow count given.
func slowState(counts ...slow) []byte {
	var e persist.Enc
	e.U8(stateVersion)
	e.Int(len(counts))
	for _, s := range counts {
		saveClient(&e, &client{addr: netip.MustParseAddr("10.0.0.21"), last: s.last, slow: s})
	}
	return e.Bytes()
}
