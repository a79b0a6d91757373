package dga

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
)

// TestAnsweredNotCounted: answered high-scoring domains neither make nor
// mask the window rule: nine unanswered among forty answered are not
// reported, ten are, and the alert counts both.
func TestAnsweredNotCounted(t *testing.T) {
	for _, nx := range []int{9, 10} {
		rng := rand.New(rand.NewPCG(21, 21))
		var l []dt.Line
		for i := 0; i < 40; i++ {
			l = append(l, lookupFrom(1000+float64(i), "10.0.0.20", randomLabel(rng, 14)+".com", "NOERROR"))
		}
		for i := 0; i < nx; i++ {
			l = append(l, lookupFrom(1050+float64(i), "10.0.0.20", randomLabel(rng, 14)+".net", "NXDOMAIN"))
		}
		d, _ := New(DefaultConfig())
		alerts := dt.Run(t, d, l)
		if nx < 10 {
			dt.Quiet(t, alerts)
			continue
		}
		a := dt.Find(t, alerts, "dns.dga")
		if dt.Num(t, a, "nxdomain") != 10 || dt.Num(t, a, "answered") != 40 || a.Evidence["reason"] != "window" {
			t.Errorf("alert %s", a.JSON())
		}
		if a.Confidence <= 0 || a.Confidence >= 1 {
			t.Errorf("confidence %v", a.Confidence)
		}
	}
}

// TestSlowEvidence: the slow rule's alert says so, with its window and
// examples that carry scores and features.
func TestSlowEvidence(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	var l []dt.Line
	for i := 0; i < 80; i++ {
		l = append(l, lookupFrom(1000+float64(i)*300, "10.0.0.21", randomLabel(rng, 14)+".com", "NXDOMAIN"))
	}
	d, _ := New(DefaultConfig())
	a := dt.Find(t, dt.Run(t, d, l), "dns.dga")
	ex, _ := a.Evidence["examples"].([]string)
	scores, _ := a.Evidence["example_scores"].([]float64)
	features, _ := a.Evidence["example_features"].([]map[string]float64)
	if a.Evidence["reason"] != "slow" || dt.Num(t, a, "window_s") != 86400 || len(ex) != 5 || len(scores) != 5 || len(features) != 5 {
		t.Fatalf("alert %s", a.JSON())
	}
	if n := dt.Num(t, a, "nxdomain"); n < 48 || n > 52 {
		t.Errorf("about 50 domains counted at the alert, not %v", n)
	}
	if f := features[0]; f["length"] != 14 || f["entropy"] <= 0 || f["lm_per_char"] >= 0 {
		t.Errorf("features %v", f)
	}
}

// TestNotPublicSkipped: names under unlisted top-level domains are not
// scored, nor are service names.
func TestNotPublicSkipped(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 23))
	var l []dt.Line
	for i := 0; i < 40; i++ {
		for _, tld := range []string{".lan", ".local", ".internal", ".home.arpa"} {
			l = append(l, lookupFrom(1000+float64(i), "10.0.0.22", randomLabel(rng, 14)+tld, "NXDOMAIN"))
		}
		l = append(l, lookupFrom(1000+float64(i), "10.0.0.22", "_"+randomLabel(rng, 14)+"._tcp."+randomLabel(rng, 12)+".com", "NXDOMAIN"))
	}
	d, _ := New(DefaultConfig())
	dt.Quiet(t, dt.Run(t, d, l))
}

// TestResolvedNamed: a generated-looking name that resolved among the
// unanswered ones is where the DGA led — the C2 its operator registered —
// and the alert names the addresses it resolved to (dsts, evidence
// resolved); the resolver stays the destination, and an answered name
// that does not look generated is not named.
func TestResolvedNamed(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 24))
	var l []dt.Line
	for i := 0; i < 30; i++ {
		l = append(l, lookupFrom(1000+float64(i)/4, "10.0.0.23", randomLabel(rng, 14)+".net", "NXDOMAIN"))
	}
	c2 := randomLabel(rng, 15) + ".info"
	answered := func(ts float64, name string, answers ...string) dt.Line {
		return dt.Rec("dns", map[string]any{"ts": ts, "uid": "D", "id.orig_h": "10.0.0.23", "id.orig_p": 5000, "id.resp_h": "10.0.0.53",
			"id.resp_p": 53, "query": name, "rcode_name": "NOERROR", "answers": answers})
	}
	l = append(l, answered(1010, c2, "203.0.113.10"), answered(1010.1, c2, "2001:db8:ff::10"),
		answered(1011, "en.wikipedia.org", "dyna.wikimedia.org", "198.51.100.7"))
	d, _ := New(DefaultConfig())
	alerts := dt.Merged(dt.Run(t, d, l))
	a := dt.Find(t, alerts, "dns.dga")
	if len(alerts) != 1 || a.Dst != "10.0.0.53" || !slices.Equal(a.Dsts, []string{"203.0.113.10", "2001:db8:ff::10"}) {
		t.Fatalf("%d alerts; alert %s", len(alerts), a.JSON())
	}
	resolved, _ := a.Evidence["resolved"].(map[string][]string)
	if !slices.Equal(resolved[c2], []string{"203.0.113.10", "2001:db8:ff::10"}) || len(resolved) != 1 {
		t.Errorf("evidence resolved %v", a.Evidence["resolved"])
	}
	if !strings.Contains(a.Act, c2+" resolved to 203.0.113.10") {
		t.Errorf("act %q", a.Act)
	}
}
