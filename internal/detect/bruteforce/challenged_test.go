package bruteforce

import (
	"fmt"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record/rec"
)

// counted is a Detector that checks, after every record and flush, that
// Detector.challenged counts exactly the challenges its pairs hold: a
// count below would leave challenges unsettled (conn records and 2xx
// answers skip settling while it is zero).
type counted struct {
	*Detector
	t *testing.T
}

func (c counted) check() {
	n := 0
	for _, p := range c.pairs {
		n += len(p.challenges)
	}
	if c.challenged != n {
		c.t.Fatalf("challenged %d, pairs hold %d", c.challenged, n)
	}
}

func (c counted) Handle(r *rec.Rec, emit alert.Emit) { c.Detector.Handle(r, emit); c.check() }

func (c counted) Flush(now float64, emit alert.Emit) { c.Detector.Flush(now, emit); c.check() }

// TestChallengedCount runs the challenge cases (settled by a 2xx, by the
// conn record, at the episode's end, by a new episode, by eviction) and
// holds the count to the challenges held throughout.
func TestChallengedCount(t *testing.T) {
	http := func(ts float64, uid, src string, code int) dt.Line {
		return dt.Rec("http", map[string]any{"ts": ts, "uid": uid, "id.orig_h": src, "id.orig_p": 50001,
			"id.resp_h": "10.0.0.80", "id.resp_p": 80, "status_code": code})
	}
	var evicting []dt.Line
	for i := 0; i < 40; i++ {
		evicting = append(evicting, http(float64(i), fmt.Sprintf("E%d", i), fmt.Sprintf("10.0.1.%d", i), 401))
	}
	var late []dt.Line
	for i := 0; i < 12; i++ {
		late = append(late, http(float64(i*100), "K", "10.0.0.9", 401))
	}
	small := DefaultConfig()
	small.MaxPairs = 8
	for name, run := range map[string]struct {
		cfg   Config
		lines []dt.Line
	}{
		"2xx": {DefaultConfig(), ntlm(30, 200)}, "refused": {DefaultConfig(), ntlm(15, 401)},
		"new episode": {DefaultConfig(), late}, "evicted": {small, evicting},
	} {
		t.Run(name, func(t *testing.T) {
			c := counted{New(run.cfg, nil), t}
			dt.RunAsGiven(t, c, run.lines)
			if c.challenged != 0 {
				t.Errorf("challenged %d after the final flush", c.challenged)
			}
		})
	}
}
