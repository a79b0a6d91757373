package dnstunnel

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/detect/domain"
	"github.com/vigil-nsm/vigil/internal/detect/persist"
)

// restartLines: a slow tunnel (a 50-character base32 TXT query every 5
// minutes for 11 hours under slowdrip.org: 12 names an hour, under the
// window's 30), a tunnel spread over 12 relay domains (a name every 10
// seconds, 25 under each domain) and an iodine-like tunnel alerted in its
// window, reported again after Report and idle since shortly before the
// restart at restartAt.
func restartLines() []dt.Line {
	rng := rand.New(rand.NewPCG(31, 31))
	var l []dt.Line
	for i := range 132 {
		l = append(l, query(1000+float64(i)*300, "10.66.0.42", randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 50)+".t.slowdrip.org", "TXT"))
	}
	for i := range 300 {
		sub := randFrom(rng, "abcdefghijklmnopqrstuvwxyz234567", 60)
		l = append(l, query(restartAt-1500+float64(i)*10, "10.66.0.43", fmt.Sprintf("%s.%s.d%02d-relay.net", sub[:50], sub[50:], i%12), "TXT"))
	}
	for i := range 100 {
		l = append(l, query(restartAt-700+float64(i)/10, "10.66.0.40", randFrom(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 60)+".t.evil-tunnel.com", "NULL"))
	}
	return l
}

// restartAt is when restartLines' sensor restarts: after 72 of the slow
// tunnel's 132 names (its rule wants 100) and 150 of the spread tunnel's
// 300 (its rule wants 100).
const restartAt = 1000 + 72*300 - 150

// A restart in the middle of a slow tunnel and of a spread one, with the
// state saved and loaded, gives the alerts of a run without the restart:
// the slow tally crosses its 100 names after it, with the first names as
// its examples; the spread tally too, from the same first name. The
// iodine-like tunnel's window, which is not saved, is reported at the
// restart (Suspend) as the run without it reports it once idle. A
// detector started fresh at the restart sees 60 names of the slow
// tunnel: no slow alert.
func TestStateRestart(t *testing.T) {
	lines := restartLines()
	want := dt.Run(t, New(DefaultConfig()), lines)
	if got := reasons(want); got != "client_spread slow tunnel_like_share" {
		t.Fatalf("the run without a restart: %s", got)
	}
	got, state := dt.RunRestarted(t, New(DefaultConfig()), New(DefaultConfig()), lines, restartAt)
	dt.SameAlerts(t, want, got)
	t.Logf("state %d bytes", len(state))

	after := dt.After(lines, restartAt)
	if got := reasons(dt.Run(t, New(DefaultConfig()), after)); strings.Contains(got, "slow") {
		t.Errorf("a fresh detector found %s: the test does not tell a kept state from a lost one", got)
	}
}

// reasons lists the rules of the merged alerts, sorted.
func reasons(alerts []alert.Alert) string {
	var out []string
	for _, a := range dt.Merged(alerts) {
		out = append(out, fmt.Sprint(a.Evidence["reason"]))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// A state that is truncated, of another version, over max_domains, or
// holding a tally that no run could make (listed twice, no tunnel-like
// name, tunnel-like names not among its names, more samples than
// tunnel-like names) is refused, and the detector is left fresh.
func TestStateRefused(t *testing.T) {
	_, state := dt.RunRestarted(t, New(DefaultConfig()), New(DefaultConfig()), restartLines(), restartAt)
	small := DefaultConfig()
	small.MaxDomains = 1
	good := func() *tally {
		t := &tally{first: 1000, last: 1300, samples: 1, sample: [3]string{"mzxw6ytb.t.slowdrip.org"}}
		t.all.Add(1)
		t.all.Add(2)
		t.like.Add(1)
		return t
	}
	empty, outside, samples := good(), good(), good()
	empty.like = domain.Distinct{}
	outside.like.Add(3)
	samples.samples = 2
	damages := append(dt.Damaged(DefaultConfig(), state, stateVersion),
		dt.Damage[Config]{Name: "max_domains", Cfg: small, State: state, Want: "more than max_domains 1"},
		dt.Damage[Config]{Name: "twice", Cfg: DefaultConfig(), State: slowState(good(), good()), Want: "listed twice"},
		dt.Damage[Config]{Name: "no tunnel-like name", Cfg: DefaultConfig(), State: slowState(empty), Want: "tally of 0 tunnel-like names"},
		dt.Damage[Config]{Name: "not among its names", Cfg: DefaultConfig(), State: slowState(outside), Want: "not among its 2 names"},
		dt.Damage[Config]{Name: "samples", Cfg: DefaultConfig(), State: slowState(samples), Want: "2 samples of 1 tunnel-like names"},
	)
	dt.Refuses(t, New, func(d *Detector) string {
		if len(d.slow)+len(d.spread) == 0 {
			return ""
		}
		return d.StateSummary()
	}, damages)
	if err := New(DefaultConfig()).LoadState(bytes.NewReader(slowState(good()))); err != nil {
		t.Errorf("a tally made by hand, as add makes them: %v", err)
	}
}

// slowState is a state of the slow tallies given, all under one parent
// domain, and no spread tallies.
func slowState(ts ...*tally) []byte {
	var e persist.Enc
	e.U8(stateVersion)
	e.Int(len(ts))
	for _, t := range ts {
		e.Str("slowdrip.org")
		saveTally(&e, t)
	}
	e.Int(0)
	return e.Bytes()
}
