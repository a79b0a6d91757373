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

// TestNarrativeSentences: an alert without an act (IPv6 monitor and
// inventory findings) tells its step with its summary, a sentence with its
// own subject: nothing is put before it, its first letter is upper case,
// and an act after it names its subject again.
func TestNarrativeSentences(t *testing.T) {
	for _, tc := range []struct {
		name   string
		alerts []alert.Alert
		want   string
	}{
		{"finding alone", []alert.Alert{
			{TS: 43200, Class: "ipv6.evasion", Src: "fd66::66", Dst: "fd66::10", Summary: "fd66::66 sent overlapping fragments to fd66::10"},
		}, "fd66::66 sent overlapping fragments to fd66::10 (12:00:00). Stages:"},
		{"finding of a host known by its MAC", []alert.Alert{
			{TS: 43200, Class: "ipv6.kill_router", SrcMAC: "02:66:00:00:00:42", Dst: "ff02::1", Summary: "router advertisement with a router lifetime of 0: hosts drop their default router"},
		}, "Router advertisement with a router lifetime of 0: hosts drop their default router (12:00:00). Stages:"},
		{"finding then acts", []alert.Alert{
			{TS: 43200, Class: "ipv6.evasion", Src: "10.66.0.66", Dst: "10.66.0.10", Summary: "10.66.0.66 sent overlapping fragments to 10.66.0.10"},
			{TS: 43260, Class: "scan.vertical", Src: "10.66.0.66", Dst: "10.66.0.10", Act: "scanned 1000 ports on 10.66.0.10", Summary: "10.66.0.66 scanned 1000 ports on 10.66.0.10."},
			{TS: 43320, Class: "bruteforce.ssh", Src: "10.66.0.66", Dst: "10.66.0.10", Act: "brute-forced ssh on 10.66.0.10", Summary: "x"},
		}, "10.66.0.66 sent overlapping fragments to 10.66.0.10 (12:00:00), then 10.66.0.66 scanned 1000 ports on 10.66.0.10 (12:01:00), then brute-forced ssh on 10.66.0.10 (12:02:00). Stages:"},
		{"spoofed sources", []alert.Alert{
			{TS: 43200, Class: "flood.syn", Dst: "10.66.0.10", Act: "SYN-flooded 10.66.0.10", Summary: "x"},
		}, "Unknown (possibly spoofed) sources SYN-flooded 10.66.0.10 (12:00:00). Stages:"},
	} {
		for i := range tc.alerts {
			tc.alerts[i].Confidence = 0.9
			tc.alerts[i].Fill()
		}
		incs := Build(tc.alerts, DefaultConfig())
		if len(incs) != 1 {
			t.Fatalf("%s: %d incidents", tc.name, len(incs))
		}
		if got := incs[0].Narrative; !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: narrative\n%q, want it to start\n%q", tc.name, got, tc.want)
		}
	}
}
