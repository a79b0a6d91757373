package insight

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/assets"
	"github.com/vigil-nsm/vigil/internal/detect"
)

// TestLabCapturesDetected is the detection spec on the cyber range's
// committed captures (testdata/lab, made by vigil lab): every attack
// scenario raises its expected classes naming its victims and its
// attacker (by its MAC where its addresses are forged: the SYN flood);
// the benign one raises none. A scenario whose labels name intel feeds
// (intel-ioc) is analysed with them loaded.
func TestLabCapturesDetected(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "lab")
	withFeeds, withOverride := 0, 0
	table, err := detect.EvalCaptures(dir, t.TempDir(), func(pcap, outDir string, in detect.Inputs) (string, error) {
		cfg := DefaultConfig()
		cfg.Detect.Intel.Feeds = in.Feeds
		if len(in.Feeds) > 0 {
			withFeeds++
		}
		if len(in.Detect) > 0 {
			withOverride++
		}
		if err := cfg.Detect.Override(in.Detect); err != nil {
			return "", err
		}
		return filepath.Join(runConfig(t, cfg, pcap), "alerts.log"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())
	if len(table.Rows) < 12 || withFeeds == 0 || withOverride == 0 {
		t.Fatalf("only %d scenarios evaluated, %d with intel feeds, %d with a detection override", len(table.Rows), withFeeds, withOverride)
	}
	for _, r := range table.Rows {
		switch {
		case r.Err != "":
			t.Errorf("%s: %s", r.Scenario, r.Err)
		case r.Benign:
			if r.FalsePerHour > 0 {
				t.Errorf("benign %s: %d alerts (%s)", r.Scenario, r.Alerts, strings.Join(r.Extra, ", "))
			}
		default:
			if r.ClassRecall < 1 {
				t.Errorf("%s: expected %v, found %v", r.Scenario, r.Expected, r.Found)
			}
			if r.Scenario == "intel-ioc" && r.ClassPrecision < 1 {
				t.Errorf("%s: class precision %.2f (unexpected %v)", r.Scenario, r.ClassPrecision, r.Extra)
			}
			if r.VictimRecall < 1 {
				t.Errorf("%s: victim recall %.2f", r.Scenario, r.VictimRecall)
			}
			if r.AttackerRecall < 1 {
				t.Errorf("%s: attacker recall %.2f", r.Scenario, r.AttackerRecall)
			}
		}
	}
}

// TestLabInventory: on the benign lab capture every lab host is in the
// inventory, bound to its MAC, with the role the lab gave it and the
// services it runs; the IoT hub's insecure services are findings.
func TestLabInventory(t *testing.T) {
	set, _ := run(t, filepath.Join("..", "..", "testdata", "lab", "benign.pcap"))
	byMAC := map[string]assets.Host{}
	for _, h := range set.Hosts() {
		byMAC[h.MAC] = h
	}
	class := func(h assets.Host) string {
		if h.Class == nil {
			return ""
		}
		return h.Class.Value
	}
	offers := func(h assets.Host, proto string, port uint16) bool {
		for _, s := range h.Services {
			if s.Proto == proto && s.Port == port {
				return true
			}
		}
		return false
	}
	cases := []struct {
		name, mac, ip string
		classes       []string // accepted classes ("" = no guess)
		services      []string // proto/port it offers
		findings      []string
	}{
		{"rtr", "02:66:00:00:00:01", "10.66.0.1", []string{"router"}, nil, nil},
		{"srv", "02:66:00:00:00:0a", "10.66.0.10", []string{"server"}, []string{"tcp/21", "tcp/22", "tcp/80", "tcp/443", "udp/53"}, nil},
		{"ws1", "02:66:00:00:00:15", "10.66.0.21", []string{"workstation"}, nil, nil},
		{"ws2", "02:66:00:00:00:16", "10.66.0.22", []string{"workstation"}, nil, nil},
		{"iot", "02:66:00:00:00:1e", "10.66.0.30", []string{"iot", "camera", "hub"}, []string{"tcp/1883", "udp/5683"},
			[]string{"mqtt_anonymous", "coap_exposed"}},
	}
	for _, c := range cases {
		h, ok := byMAC[c.mac]
		if !ok {
			t.Errorf("%s (%s) missing from the inventory", c.name, c.mac)
			continue
		}
		bound := false
		for _, a := range h.Addrs {
			bound = bound || a.Addr == c.ip
		}
		if !bound {
			t.Errorf("%s: %s not bound to %s (%v)", c.name, c.ip, c.mac, h.Addrs)
		}
		if got := class(h); !contains(c.classes, got) {
			t.Errorf("%s: class %q, want one of %q", c.name, got, c.classes)
		}
		for _, s := range c.services {
			proto, port, _ := strings.Cut(s, "/")
			n, _ := strconv.Atoi(port)
			if !offers(h, proto, uint16(n)) {
				t.Errorf("%s: does not offer %s (%v)", c.name, s, h.Services)
			}
		}
		for _, f := range c.findings {
			found := false
			for _, hf := range h.Findings {
				found = found || hf.Kind == f
			}
			if !found {
				t.Errorf("%s: no %s finding (%v)", c.name, f, h.Findings)
			}
		}
	}
}

// TestLabTelnetFinding: the IoT hub's telnet (reached in the Mirai
// scenario) is an exposure finding naming its records.
func TestLabTelnetFinding(t *testing.T) {
	set, _ := run(t, filepath.Join("..", "..", "testdata", "lab", "mirai.pcap"))
	for _, h := range set.Hosts() {
		if h.MAC != "02:66:00:00:00:1e" {
			continue
		}
		for _, f := range h.Findings {
			if f.Kind == "telnet_offered" {
				return
			}
		}
		t.Fatalf("IoT hub findings %v: no telnet_offered", h.Findings)
	}
	t.Fatal("IoT hub missing from the inventory")
}

// factSink keeps the records of one fact stream.
type factSink struct {
	log  string
	recs []map[string]any
}

func (f *factSink) Record(log string, line []byte) {
	if log != f.log {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err == nil {
		f.recs = append(f.recs, m)
	}
}

// TestLabTelnetLogins: on the Mirai capture the telnet analyzer reports
// every login attempt to the IoT hub with its outcome (root/xc3511 got a
// shell, twice; admin/admin, root/vizxv and root/888888 were refused), and
// each successful default login is one iot.default_creds alert: the
// inventory's default_creds finding, which names the credentials (the
// Mirai detector leaves the logins of the inventory's pairs to it).
func TestLabTelnetLogins(t *testing.T) {
	facts := &factSink{log: "_telnet_auth"}
	set, out := runWith(t, []analyze.Consumer{facts}, filepath.Join("..", "..", "testdata", "lab", "mirai.pcap"))
	var got, accepted []string
	for _, f := range facts.recs {
		if f["id.orig_h"] != "10.66.0.66" || f["id.resp_h"] != "10.66.0.30" {
			t.Errorf("fact of another connection: %v", f)
		}
		got = append(got, fmt.Sprintf("%v/%v:%v", f["user"], f["password"], f["success"]))
		if f["success"] == true {
			accepted = append(accepted, f["uid"].(string))
		}
	}
	sort.Strings(got)
	want := []string{"admin/admin:false", "root/888888:false", "root/vizxv:false", "root/xc3511:true", "root/xc3511:true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("telnet attempts %v, want %v", got, want)
	}
	logins := defaultLogins(t, out)
	for _, uid := range accepted {
		if n := len(logins[uid]); n != 1 || !strings.HasPrefix(logins[uid][0], "assets default_creds|10.66.0.30|") ||
			!strings.Contains(logins[uid][0], "|root/xc3511") {
			t.Errorf("login %s: %d iot.default_creds alerts %q, want the inventory's one", uid, n, logins[uid])
		}
	}
	for _, h := range set.Hosts() {
		if h.MAC != "02:66:00:00:00:1e" {
			continue
		}
		kinds := map[string]bool{}
		for _, f := range h.Findings {
			kinds[f.Kind] = true
		}
		if !kinds["default_creds"] || !kinds["cleartext_login"] {
			t.Errorf("IoT hub findings %v: want default_creds and cleartext_login", h.Findings)
		}
	}
}

// TestLabMiraiWithoutInventory: without the inventory (--no-assets) the
// Mirai detector reports the default logins itself.
func TestLabMiraiWithoutInventory(t *testing.T) {
	cfg := DefaultConfig()
	cfg.NoAssets = true
	out := t.TempDir()
	set, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	acfg := analyze.DefaultConfig()
	acfg.OutDir, acfg.Workers, acfg.Consumers = out, 1, set.Consumers()
	if _, err := analyze.Run(context.Background(), acfg, []string{filepath.Join("..", "..", "testdata", "lab", "mirai.pcap")}); err != nil {
		t.Fatal(err)
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, list := range defaultLogins(t, out) {
		for _, a := range list {
			if strings.HasPrefix(a, "mirai ") {
				n++
			}
		}
	}
	if n == 0 {
		t.Error("no iot.default_creds alert from the Mirai detector")
	}
}

// defaultLogins lists, by connection uid, the accepted-login
// iot.default_creds alerts of alerts.log in out ("detector name").
func defaultLogins(t *testing.T, out string) map[string][]string {
	t.Helper()
	logins := map[string][]string{}
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		name, _ := a["name"].(string)
		if a["class"] != "iot.default_creds" || strings.HasPrefix(name, "default_creds_tried|") {
			continue
		}
		uids := map[string]bool{}
		if u, ok := a["uid"].(string); ok {
			uids[u] = true
		}
		list, _ := a["uids"].([]any)
		for _, u := range list {
			uids[u.(string)] = true
		}
		for u := range uids {
			logins[u] = append(logins[u], fmt.Sprintf("%v %s", a["detector"], name))
		}
	}
	return logins
}

// TestLabExposureIncidents: on the MQTT abuse capture the brokers'
// exposures (no TLS, anonymous clients accepted) make incidents of the
// brokers with no attacker, while the client that subscribed to every
// topic is the attacker of its own.
func TestLabExposureIncidents(t *testing.T) {
	_, out := run(t, filepath.Join("..", "..", "testdata", "lab", "mqtt-abuse.pcap"))
	acts := map[string]bool{} // sources of alerts that are no exposure
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		if src, _ := a["src"].(string); a["exposed"] == nil && src != "" {
			acts[src] = true
		}
	}
	exposures := 0
	for _, inc := range readJSONLines(t, filepath.Join(out, "incidents.log")) {
		attacker, _ := inc["attacker"].(string)
		if attacker != "" && !acts[attacker] {
			t.Errorf("incident %v names %s attacker, which only revealed exposures", inc["id"], attacker)
		}
		if n, _ := inc["narrative"].(string); attacker == "" && strings.Contains(n, "runs an MQTT broker without TLS") {
			exposures++
		}
	}
	if exposures == 0 || !acts["10.66.0.21"] {
		t.Errorf("%d broker exposure incidents; acts of %v", exposures, acts)
	}
}

// TestLabTelnetBruteForce: hydra against the IoT hub's telnet gives one
// refused login per try and the default root/xc3511 at the end; the brute
// force counts the refusals and ends "and logged in".
func TestLabTelnetBruteForce(t *testing.T) {
	facts := &factSink{log: "_telnet_auth"}
	_, out := runWith(t, []analyze.Consumer{facts}, filepath.Join("..", "..", "testdata", "lab", "bruteforce-telnet.pcap"))
	refused, accepted := 0, []string{}
	for _, f := range facts.recs {
		if f["success"] == true {
			accepted = append(accepted, fmt.Sprintf("%v/%v", f["user"], f["password"]))
		} else {
			refused++
		}
	}
	// The capture holds 23 "Login incorrect" answers and one shell.
	if refused != 23 || fmt.Sprint(accepted) != "[root/xc3511]" {
		t.Errorf("%d refused, accepted %v", refused, accepted)
	}
	for _, a := range readJSONLines(t, filepath.Join(out, "alerts.log")) {
		if a["class"] != "bruteforce.telnet" {
			continue
		}
		ev, _ := a["evidence"].(map[string]any)
		if a["src"] != "10.66.0.66" || a["dst"] != "10.66.0.30" || ev["failures"] != 23.0 || ev["likely_compromised"] != true {
			t.Errorf("brute force alert %v", a)
		}
		return
	}
	t.Error("no bruteforce.telnet alert")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestLabBruteForceTechniques: on the lab's web-form captures the
// brute-force alert tells how the logins were guessed from the passwords
// the login facts showed: hydra's user and password lists are guessing,
// leaked pairs replayed (one try per account) credential stuffing.
func TestLabBruteForceTechniques(t *testing.T) {
	for _, c := range []struct{ scenario, technique, mitre string }{
		{"bruteforce-http-form", "guessing", "[T1110.001]"},
		{"credential-stuffing", "stuffing", "[T1110.004]"},
	} {
		dir := runConfig(t, DefaultConfig(), filepath.Join("..", "..", "testdata", "lab", c.scenario+".pcap"))
		found := false
		for _, a := range readJSONLines(t, filepath.Join(dir, "alerts.log")) {
			if a["class"] != "bruteforce.http" {
				continue
			}
			found = true
			ev, _ := a["evidence"].(map[string]any)
			if ev["technique"] != c.technique || fmt.Sprint(a["mitre"]) != c.mitre {
				t.Errorf("%s: technique %v, MITRE %v: %s", c.scenario, ev["technique"], a["mitre"], a["summary"])
			}
		}
		if !found {
			t.Errorf("%s: no bruteforce.http alert", c.scenario)
		}
	}
}
