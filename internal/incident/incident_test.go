package incident

import (
	"fmt"
	"math"
	"slices"
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
	if !strings.HasPrefix(first.Narrative, "1970-01-01 UTC: 10.66.0.66 scanned 254 hosts on 23/tcp (12:00:01), then brute-forced telnet") {
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
		}, "1970-01-01 UTC: fd66::66 sent overlapping fragments to fd66::10 (12:00:00). Score "},
		{"finding of a host known by its MAC", []alert.Alert{
			{TS: 43200, Class: "ipv6.kill_router", SrcMAC: "02:66:00:00:00:42", Dst: "ff02::1", Summary: "router advertisement with a router lifetime of 0: hosts drop their default router"},
		}, "1970-01-01 UTC: Router advertisement with a router lifetime of 0: hosts drop their default router (12:00:00). Stages:"},
		{"finding then acts", []alert.Alert{
			{TS: 43200, Class: "ipv6.evasion", Src: "10.66.0.66", Dst: "10.66.0.10", Summary: "10.66.0.66 sent overlapping fragments to 10.66.0.10"},
			{TS: 43260, Class: "scan.vertical", Src: "10.66.0.66", Dst: "10.66.0.10", Act: "scanned 1000 ports on 10.66.0.10", Summary: "10.66.0.66 scanned 1000 ports on 10.66.0.10."},
			{TS: 43320, Class: "bruteforce.ssh", Src: "10.66.0.66", Dst: "10.66.0.10", Act: "brute-forced ssh on 10.66.0.10", Summary: "x"},
		}, "1970-01-01 UTC: 10.66.0.66 sent overlapping fragments to 10.66.0.10 (12:00:00), then 10.66.0.66 scanned 1000 ports on 10.66.0.10 (12:01:00), then brute-forced ssh on 10.66.0.10 (12:02:00). Stages:"},
		{"spoofed sources", []alert.Alert{
			{TS: 43200, Class: "flood.syn", Dst: "10.66.0.10", Act: "SYN-flooded 10.66.0.10", Summary: "x"},
		}, "1970-01-01 UTC: Unknown (possibly spoofed) sources SYN-flooded 10.66.0.10 (12:00:00). Stages:"},
		{"a distributed attack's sources, counted", []alert.Alert{
			{TS: 43200, Class: "bruteforce.ssh", Dst: "10.66.0.22", Act: "brute-forced ssh on 10.66.0.22 together", Summary: "x",
				Evidence: map[string]any{"kind": "distributed", "source_count": 37}},
		}, "1970-01-01 UTC: 37 sources brute-forced ssh on 10.66.0.22 together (12:00:00). Stages:"},
		{"a distributed attack's sources, counted up to a bound", []alert.Alert{
			{TS: 43200, Class: "flood.dns", Dst: "10.66.0.10", Act: "flooded the name servers of victim.example with queries for random subdomains", Summary: "x",
				Evidence: map[string]any{"kind": "distributed", "source_count": 256, "sources_at_least": true}},
		}, "1970-01-01 UTC: At least 256 sources flooded the name servers of victim.example"},
		// The victim's exposure, which names no attacker, comes first:
		// the crowd is the flood's.
		{"a distributed attack after an exposure", []alert.Alert{
			{TS: 43200, Class: "iot.insecure_protocol", Src: "10.66.0.21", Dst: "10.66.0.10", DstP: 1883, Exposed: "10.66.0.10",
				Summary: "10.66.0.10 runs an MQTT broker without TLS on tcp/1883"},
			{TS: 43210, Class: "flood.http", Dst: "10.66.0.10", Act: "flooded the web server 10.66.0.10:80 with 3150 HTTP requests", Summary: "x",
				Evidence: map[string]any{"kind": "distributed", "source_count": 30}},
		}, "1970-01-01 UTC: 10.66.0.10 runs an MQTT broker without TLS on tcp/1883 (12:00:00), then 30 sources flooded the web server"},
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

// TestExposureIncidents: an alert about a host's exposure (Exposed set:
// an insecure service it offers) does not make the client whose
// connection revealed it an attacker: it is correlated by the exposed
// host, with no attacker and that host as victim; what a client did (a
// wildcard subscription, a default-credential login) keeps the client as
// attacker.
func TestExposureIncidents(t *testing.T) {
	broker := func(ts float64, src string) alert.Alert {
		return alert.Alert{TS: ts, Class: "iot.insecure_protocol", Src: src, Dst: "10.66.0.30", DstP: 1883, Exposed: "10.66.0.30",
			Summary: "10.66.0.30 runs an MQTT broker without TLS on tcp/1883"}
	}
	announced := alert.Alert{TS: 43205, Class: "iot.insecure_protocol", Src: "10.66.0.31", Dst: "239.255.255.250", Exposed: "10.66.0.31",
		Summary: "10.66.0.31 announces UPnP devices over SSDP (udp/1900)"}
	subscribed := alert.Alert{TS: 43210, Class: "iot.insecure_protocol", Src: "10.66.0.21", Dst: "10.66.0.30",
		Summary: "10.66.0.21 subscribed to # on 10.66.0.30's MQTT broker without credentials"}
	login := alert.Alert{TS: 43220, Class: "iot.default_creds", Src: "10.66.0.66", Dst: "10.66.0.30",
		Summary: "10.66.0.66 logged in to 10.66.0.30 (telnet) with the default credentials root/xc3511"}
	flood := alert.Alert{TS: 43230, Class: "flood.syn", Dst: "10.66.0.30", Act: "SYN-flooded 10.66.0.30", Summary: "x"}
	type want struct {
		attacker, victims string
		alerts            int
	}
	for _, tc := range []struct {
		name   string
		alerts []alert.Alert
		want   []want // by first_seen
	}{
		{"exposure only", []alert.Alert{broker(43200, "10.66.0.21"), broker(43201, "10.66.0.22")},
			[]want{{"", "10.66.0.30", 2}}},
		{"exposure of a sender", []alert.Alert{announced},
			[]want{{"", "10.66.0.31", 1}}},
		{"exposure and acts", []alert.Alert{broker(43200, "10.66.0.21"), subscribed, login},
			[]want{{"", "10.66.0.30", 1}, {"10.66.0.21", "10.66.0.30", 1}, {"10.66.0.66", "10.66.0.30", 1}}},
		{"exposure and unknown sources", []alert.Alert{broker(43200, "10.66.0.21"), flood},
			[]want{{"", "10.66.0.30", 2}}},
	} {
		for i := range tc.alerts {
			tc.alerts[i].Confidence = 0.9
			tc.alerts[i].Fill()
		}
		incs := Build(tc.alerts, DefaultConfig())
		var got []want
		for _, inc := range incs {
			got = append(got, want{inc.Attacker, strings.Join(inc.Victims, ","), inc.Alerts})
			if inc.Attacker == "" && strings.Contains(inc.Narrative, "10.66.0.21 10.66.0.30") {
				t.Errorf("%s: narrative %q", tc.name, inc.Narrative)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: incidents %+v, want %+v", tc.name, got, tc.want)
		}
		if tc.name == "exposure and unknown sources" {
			if n := incs[0].Narrative; !strings.HasPrefix(n, "1970-01-01 UTC: 10.66.0.30 runs an MQTT broker without TLS on tcp/1883 (12:00:00), then unknown (possibly spoofed) sources SYN-flooded 10.66.0.30") {
				t.Errorf("%s: narrative %q", tc.name, n)
			}
		}
	}
}

// TestIncidentUIDs: an incident names each connection of its alerts once,
// in the alerts' order, at most alert.MaxUIDs of them.
func TestIncidentUIDs(t *testing.T) {
	mk := func(ts float64, uid string, uids ...string) alert.Alert {
		a := alert.Alert{TS: ts, Class: "scan.vertical", Src: "10.0.0.1", Dst: "10.0.0.2", UID: uid, UIDs: uids, Name: uid}
		a.Fill()
		return a
	}
	many := make([]string, alert.MaxUIDs+5)
	for i := range many {
		many[i] = fmt.Sprintf("Cm%d", i)
	}
	for _, c := range []struct {
		name   string
		alerts []alert.Alert
		want   []string
	}{
		{"shared uids", []alert.Alert{mk(1, "", "C1", "C2"), mk(2, "", "C2", "C1", "C3"), mk(3, "C1")}, []string{"C1", "C2", "C3"}},
		{"uid and list", []alert.Alert{mk(1, "C9", "C1"), mk(2, "C1")}, []string{"C1", "C9"}},
		{"capped", []alert.Alert{mk(1, "", many...)}, many[:alert.MaxUIDs]},
	} {
		incs := Build(c.alerts, DefaultConfig())
		if len(incs) != 1 || !slices.Equal(incs[0].UIDs, c.want) {
			t.Errorf("%s: uids %v, want %v", c.name, incs[0].UIDs, c.want)
		}
	}
}

// TestCurrentKeepsID: an open incident, as it stands after each alert,
// keeps the id it opened with, whatever the alerts' time order, and ends
// under that id.
func TestCurrentKeepsID(t *testing.T) {
	mk := func(ts float64, class string) alert.Alert {
		a := alert.Alert{TS: ts, Class: class, Src: "10.0.0.66", Dst: "10.0.0.2", Act: "did " + class}
		a.Fill()
		return a
	}
	c := New(DefaultConfig())
	later, earlier := mk(200, "bruteforce.ssh"), mk(100, "scan.vertical")
	c.Add(later)
	first, ok := c.Current(later)
	if !ok || first.Alerts != 1 || first.First != 200 {
		t.Fatalf("after one alert: %+v %v", first, ok)
	}
	c.Add(earlier)
	second, _ := c.Current(earlier)
	ended := c.Flush(math.Inf(1))
	if second.ID != first.ID || second.Alerts != 2 || second.First != 100 {
		t.Errorf("after two alerts: %+v, opened as %s", second, first.ID)
	}
	if len(ended) != 1 || ended[0].ID != first.ID || ended[0].Alerts != 2 {
		t.Errorf("ended %+v", ended)
	}
	if _, ok := c.Current(later); ok {
		t.Error("an ended incident is still current")
	}
}

// TestLongIncidentStaysBounded: past keepWhole alerts, an incident merges
// each later alert into the alert of its class it holds, so it grows with
// its kinds of behaviour; it still counts every alert line.
func TestLongIncidentStaysBounded(t *testing.T) {
	c := New(DefaultConfig())
	mk := func(i int, name string) alert.Alert {
		a := alert.Alert{TS: float64(1000 + i), Class: "scan.vertical", Src: "10.0.0.66", Dst: "10.0.0.2", Name: name, Count: 1,
			UID: fmt.Sprintf("C%d", i)}
		a.Fill()
		return a
	}
	for i := range 300 {
		c.Add(mk(i, fmt.Sprintf("n%d", i)))
	}
	for i := 300; i < 1000; i++ {
		c.Add(mk(i, "n7"))
	}
	b := c.open["10.0.0.66"]
	if b == nil || len(b.alerts) != keepWhole {
		t.Fatalf("building holds %d alerts; want %d", len(b.alerts), keepWhole)
	}
	cur, _ := c.Current(mk(0, "n0"))
	ended := c.Flush(math.Inf(1))
	if len(ended) != 1 || ended[0].Alerts != 1000 || ended[0].Counts["scan.vertical"] != 1000 || ended[0].Last != 1999 {
		t.Fatalf("ended %+v", ended)
	}
	if cur.Alerts != 1000 || cur.ID != ended[0].ID {
		t.Errorf("current %d alerts %s, ended %s", cur.Alerts, cur.ID, ended[0].ID)
	}
}
