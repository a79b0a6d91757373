package incident

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
)

func TestKillChain(t *testing.T) {
	mk := func(ts float64, class, src, dst, act string, sev int) alert.Alert {
		a := alert.Alert{TS: ts, Class: class, Src: src, Dst: dst, Act: act, Severity: sev, Confidence: 0.9}
		a.Fill()
		return a
	}
	alerts := []alert.Alert{
		mk(43201, "scan.horizontal", "10.66.0.66", "", "scanned 254 hosts on 23/tcp", 0),
		mk(43300, "bruteforce.telnet", "10.66.0.66", "10.66.0.20", "brute-forced telnet on 10.66.0.20 (312 short connections) and logged in", alert.Critical),
		mk(43500, "c2.beacon", "10.66.0.20", "198.51.100.66", "beaconed to 198.51.100.66:443/tcp 60 times", 0),
		mk(90000, "scan.vertical", "10.66.0.66", "10.66.0.21", "scanned 1000 ports on 10.66.0.21", 0),
	}
	alerts[0].Dsts = []string{"10.66.0.20", "10.66.0.21"}
	incs := Build(alerts, DefaultConfig())
	if len(incs) != 3 {
		t.Fatalf("got %d incidents, want 3 (attacker's two episodes and the victim's beacon)", len(incs))
	}
	first := incs[0]
	if first.Attacker != "10.66.0.66" || strings.Join(first.Stages, ",") != "reconnaissance,initial access" || first.Counts["bruteforce.telnet"] != 1 {
		t.Errorf("incident %+v", first)
	}
	if !strings.HasPrefix(first.Narrative, "10.66.0.66 scanned 254 hosts on 23/tcp (12:00:01), then brute-forced telnet") {
		t.Errorf("narrative %q", first.Narrative)
	}
	if first.Score < 50 || first.Severity != alert.Critical {
		t.Errorf("score %d severity %d", first.Score, first.Severity)
	}
	t.Log(first.Narrative)
}
