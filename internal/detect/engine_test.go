package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/detect/alert"
	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/record"
)

// attackStream is a small attack story among benign traffic: a telnet
// sweep, a telnet brute force, then the victim beaconing out.
func attackStream() []dt.Line {
	var l []dt.Line
	base := 1.7e9
	for h := 1; h <= 60; h++ {
		l = append(l, dt.Conn{TS: base + float64(h)/10, Src: "10.66.0.66", SrcP: 40000 + h, Dst: fmt.Sprintf("10.66.0.%d", h), DstP: 23, State: "S0"}.Line())
	}
	for i := 0; i < 30; i++ {
		l = append(l, dt.Conn{TS: base + 60 + float64(i)*2, Src: "10.66.0.66", SrcP: 41000 + i, Dst: "10.66.0.20", DstP: 23, Duration: 1.2, OrigBytes: 40, RespBytes: 90}.Line())
	}
	for i := 0; i < 120; i++ {
		l = append(l, dt.Conn{TS: base + 200 + float64(i)*30, Src: "10.66.0.20", SrcP: 42000 + i, Dst: "198.51.100.66", DstP: 443, Duration: 0.4, OrigBytes: 300, RespBytes: 900}.Line())
	}
	for i := 0; i < 400; i++ { // benign: web browsing and DNS
		ts := base + float64(i)*9
		l = append(l, dt.Conn{TS: ts, Src: "10.66.0.9", SrcP: 50000 + i, Dst: fmt.Sprintf("93.184.216.%d", i%50), DstP: 443, Duration: 2, OrigBytes: uint64(500 + i*7%3000), RespBytes: 40000}.Line())
		l = append(l, dt.Rec("dns", map[string]any{"ts": ts, "uid": "D", "id.orig_h": "10.66.0.9", "id.orig_p": 5000, "id.resp_h": "10.66.0.53", "id.resp_p": 53, "query": fmt.Sprintf("www.site%d.example", i%50), "qtype_name": "A"}))
	}
	return l
}

func runEngine(t *testing.T, cfg Config, out Output, lines []dt.Line) *Engine {
	t.Helper()
	e, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sortLines(lines) {
		e.Record(l.Log, l.JSON)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return e
}

func sortLines(l []dt.Line) []dt.Line {
	out := append([]dt.Line(nil), l...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].TS < out[j-1].TS; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	out, err := record.ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEngineOutputs(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	var streamed lineCollector
	e := runEngine(t, DefaultConfig(), Output{Dir: dir, EVE: eve, Records: &streamed}, attackStream())

	alerts := readJSONLines(t, filepath.Join(dir, "alerts.log"))
	classes := map[string]map[string]any{}
	for _, a := range alerts {
		for _, k := range []string{"ts", "src", "dst", "class", "severity", "confidence", "mitre", "summary", "evidence", "detector"} {
			if _, ok := a[k]; !ok {
				t.Errorf("alert without %s: %v", k, a)
			}
		}
		classes[a["class"].(string)] = a
	}
	for _, want := range []string{"scan.horizontal", "bruteforce.telnet", "c2.beacon"} {
		if classes[want] == nil {
			t.Errorf("no %s alert; got %v", want, alert.SortedKeys(classes))
		}
	}
	if len(alerts) != 3 {
		for _, a := range alerts {
			t.Logf("%v", a["summary"])
		}
		t.Errorf("%d alerts, want 3 (one per episode)", len(alerts))
	}

	events := readJSONLines(t, eve)
	if len(events) != len(alerts) {
		t.Fatalf("%d EVE events for %d alerts", len(events), len(alerts))
	}
	for _, ev := range events {
		al, _ := ev["alert"].(map[string]any)
		if ev["event_type"] != "alert" || al["action"] != "allowed" || al["gid"] != 1.0 || al["signature_id"] == nil ||
			!strings.HasPrefix(ev["timestamp"].(string), "20") || ev["src_ip"] == nil {
			t.Errorf("bad EVE event %v", ev)
		}
	}

	incs := readJSONLines(t, filepath.Join(dir, "incidents.log"))
	var attacker map[string]any
	for _, inc := range incs {
		if inc["attacker"] == "10.66.0.66" {
			attacker = inc
		}
	}
	if attacker == nil {
		t.Fatalf("no incident for the attacker among %v", incs)
	}
	if n := attacker["narrative"].(string); !strings.Contains(n, "scanned 60 hosts on 23/tcp") || !strings.Contains(n, "then brute-forced telnet on 10.66.0.20") {
		t.Errorf("narrative %q", n)
	}
	t.Logf("incident: %s", attacker["narrative"])
	if s := e.Stats(); s.Alerts != 3 || s.ParseErrors != 0 || s.Incidents < 2 {
		t.Errorf("stats %+v", s)
	}
	// Output.Records got every line the logs got, as they were written.
	for log, want := range map[string]int{"alerts": len(alerts), "incidents": int(e.Stats().Incidents)} {
		if got := len(streamed.lines[log]); got != want {
			t.Errorf("Records got %d %s lines, the log %d", got, log, want)
		}
	}
	if len(streamed.lines["alerts"]) > 0 {
		raw, _ := os.ReadFile(filepath.Join(dir, "alerts.log"))
		if first := strings.SplitN(string(raw), "\n", 2)[0]; first != streamed.lines["alerts"][0] {
			t.Errorf("streamed alert %s, logged %s", streamed.lines["alerts"][0], first)
		}
	}
}

// lineCollector keeps the lines handed to Record, by log.
type lineCollector struct{ lines map[string][]string }

func (c *lineCollector) Record(log string, line []byte) {
	if c.lines == nil {
		c.lines = map[string][]string{}
	}
	c.lines[log] = append(c.lines[log], string(line))
}

func TestEngineBenignQuiet(t *testing.T) {
	var quiet []dt.Line
	for _, l := range attackStream() {
		if !strings.Contains(string(l.JSON), "10.66.0.66") && !strings.Contains(string(l.JSON), "198.51.100.66") {
			quiet = append(quiet, l)
		}
	}
	e := runEngine(t, DefaultConfig(), Output{}, quiet)
	for _, a := range e.Alerts() {
		t.Errorf("benign traffic alerted: %s", a.JSON())
	}
}

func TestAllowlist(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Allow.Sources = []string{"10.66.0.64/30"}
	cfg.Allow.Classes = []string{"c2.beacon"}
	e := runEngine(t, cfg, Output{}, attackStream())
	if n := len(e.Alerts()); n != 0 || e.Stats().Suppressed == 0 {
		t.Errorf("%d alerts despite the allowlist", n)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "detect.json")
	os.WriteFile(p, []byte(`{"internal_networks": ["10.0.0.0/8"], "scan": {"vertical_ports": 50}, "beacon": {"enabled": false},
		"intel": {"feeds": []}}`), 0o644)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Scan.VerticalPorts != 50 || cfg.Scan.HorizontalHosts != DefaultConfig().Scan.HorizontalHosts || cfg.Beacon.Enabled {
		t.Errorf("config not merged over defaults: %+v", cfg.Scan)
	}
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(e.Detectors(), ","), "beacon") {
		t.Errorf("disabled detector runs: %v", e.Detectors())
	}
	os.WriteFile(p, []byte(`{"scan": {"vertical_prots": 50}}`), 0o644)
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), "detect: load config") {
		t.Errorf("misspelt field accepted: %v", err)
	}
	os.WriteFile(p, []byte(`{"internal_networks": ["not a net"]}`), 0o644)
	if _, err := LoadConfig(p); err == nil {
		t.Error("bad network accepted")
	}
}

func TestParseErrorsCounted(t *testing.T) {
	e, _ := New(DefaultConfig(), Output{})
	e.Record("conn", []byte(`not json`))
	e.Record("nobody_reads_this", []byte(`not json either`))
	if s := e.Stats(); s.ParseErrors != 1 || s.Records != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestEval(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, l map[string]any) {
		b, _ := json.Marshal(l)
		os.WriteFile(filepath.Join(dir, name+".labels.json"), b, 0o644)
	}
	write("telnet", map[string]any{"scenario": "telnet", "attacker": "10.66.0.66", "victims": []string{"10.66.0.20"},
		"start_ts": 1.7e9, "end_ts": 1.7e9 + 3600, "expected_classes": []string{"scan.horizontal", "bruteforce.telnet", "iot.default_creds"}})
	write("benign", map[string]any{"scenario": "benign", "start_ts": 1.7e9, "end_ts": 1.7e9 + 7200, "expected_classes": []string{}})
	stream := attackStream()
	table, err := Eval(dir, func(scenario string) ([]alert.Alert, error) {
		if scenario == "benign" {
			return []alert.Alert{{Class: "scan.vertical", Src: "10.66.0.9"}}, nil
		}
		return runEngine(t, DefaultConfig(), Output{}, stream).Alerts(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var telnet, benign Row
	for _, r := range table.Rows {
		if r.Scenario == "telnet" {
			telnet = r
		} else {
			benign = r
		}
	}
	if telnet.ClassRecall < 0.66 || telnet.ClassRecall > 0.67 || telnet.AttackerRecall != 1 || telnet.VictimRecall != 1 {
		t.Errorf("telnet row %+v", telnet)
	}
	if benign.FalsePerHour != 0.5 {
		t.Errorf("benign row %+v", benign)
	}
	out := table.String()
	if !strings.Contains(out, "missing iot.default_creds") || !strings.Contains(out, "false alerts per hour") {
		t.Errorf("table:\n%s", out)
	}
	t.Logf("\n%s", out)
}

// TestScorePrefixVictims: a sweep's victims are labelled as a prefix; an
// alert that lists addresses inside it addresses them, one outside does
// not.
func TestScorePrefixVictims(t *testing.T) {
	l := Labels{Scenario: "sweep", Attacker: StringList{"10.66.0.66"}, Victims: StringList{"10.66.0.0/24", "fd66::/64"},
		StartTS: 1.7e9, EndTS: 1.7e9 + 60, ExpectedClasses: []string{"scan.horizontal"}}
	row := Score(l, []alert.Alert{
		{Class: "scan.horizontal", Src: "10.66.0.66", Dsts: []string{"10.66.0.12", "10.66.0.34"}},
		{Class: "scan.horizontal", Src: "10.66.0.66", Dsts: []string{"fd67::1"}},
	})
	if row.VictimRecall != 0.5 || row.AddrPrecision != 1 || row.AttackerRecall != 1 {
		t.Errorf("row %+v: want victim recall 0.5 (the IPv4 prefix only), address precision 1", row)
	}
}

// TestScoreAttackerMAC: on the attacker's link an alert may name it by its
// MAC (it sends from addresses it forges); another MAC names nobody.
func TestScoreAttackerMAC(t *testing.T) {
	l := Labels{Scenario: "kill-router", Attacker: StringList{"fd66::66"}, AttackerMAC: "02:66:00:00:00:42",
		Victims: StringList{"fd66::21"}, StartTS: 1.7e9, EndTS: 1.7e9 + 60, ExpectedClasses: []string{"ipv6.kill_router"}}
	for _, c := range []struct {
		src    string
		recall float64
	}{{"02:66:00:00:00:42", 1}, {"02:66:00:00:00:99", 0}, {"fd66::66", 1}} {
		row := Score(l, []alert.Alert{{Class: "ipv6.kill_router", Src: c.src, Dst: "ff02::1"}})
		if row.AttackerRecall != c.recall {
			t.Errorf("alert from %s: attacker recall %v, want %v", c.src, row.AttackerRecall, c.recall)
		}
	}
	// A forged source address, the sender's MAC beside it (any case).
	for mac, recall := range map[string]float64{"02:66:00:00:00:42": 1, "02:66:00:00:00:99": 0, "": 0} {
		row := Score(l, []alert.Alert{{Class: "ipv6.kill_router", SrcMAC: strings.ToUpper(mac), Dst: "ff02::1"}})
		if row.AttackerRecall != recall {
			t.Errorf("alert with src_mac %q: attacker recall %v, want %v", mac, row.AttackerRecall, recall)
		}
	}
}

// TestSubscribersRecent: the kept answers for recent logs are always the
// subscribers of the log asked for, whatever the logs' interleaving.
func TestSubscribersRecent(t *testing.T) {
	e, err := New(DefaultConfig(), Output{})
	if err != nil {
		t.Fatal(err)
	}
	logs := []string{"conn", "http", "dns", "ssl", "ntp", "ssh", "files", "", "notice", "x509"}
	seq := []int{0, 0, 1, 0, 2, 1, 3, 4, 5, 0, 6, 7, 8, 9, 9, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0}
	for i := range 500 {
		seq = append(seq, (i*7+i/3)%len(logs))
	}
	for i, j := range seq {
		log := logs[j]
		got, want := e.subscribers(log), e.subs[log]
		if len(got) != len(want) || len(got) > 0 && &got[0] != &want[0] {
			t.Fatalf("step %d, log %q: %d subscribers, want %d", i, log, len(got), len(want))
		}
	}
}

// TestOutsideEpisode: an outside detector's episode, kept open by Touch,
// takes a newer description from Refresh without counting a detection, is
// written when a Touch comes after it went quiet, and is dropped unwritten
// by Withdraw.
func TestOutsideEpisode(t *testing.T) {
	e, _ := New(DefaultConfig(), Output{})
	quiet := e.cfg.Aggregate.Quiet
	a := alert.Alert{TS: 100, Src: "10.0.0.1", Dst: "10.0.0.2", Class: "iot.insecure_protocol", Name: "x", Summary: "first"}
	e.Add(a)
	key := a.Key()
	if !e.Touch(key, 90, "C1") || !e.Touch(key, 120, "C2") || !e.Touch(key, 110, "C1") {
		t.Fatal("Touch found no open episode")
	}
	if u := e.open[key].a.UIDs; !slices.Equal(u, []string{"C1", "C2"}) {
		t.Errorf("touched episode's uids %v, want [C1 C2]", u)
	}
	b := a
	b.Summary, b.UIDs = "second", []string{"C1"}
	e.Refresh(b)
	if e.Touch(key, 120+quiet, "") {
		t.Fatal("Touch after a quiet time kept the episode open")
	}
	got := e.Alerts()
	if len(got) != 1 || got[0].TS != 90 || got[0].End() != 120 || got[0].Summary != "second" || got[0].Count != 1 || len(got[0].UIDs) != 1 {
		t.Fatalf("written %+v", got)
	}
	e.Add(a)
	e.Withdraw(key)
	e.Refresh(b) // no open episode: nothing
	if e.Touch(key, 130+quiet, "") {
		t.Fatal("a withdrawn episode is still open")
	}
	if err := e.Close(); err != nil || len(e.Alerts()) != 1 {
		t.Fatalf("after Close: %v, %+v", err, e.Alerts())
	}
}

// TestAdvance: a live run's clock writes an episode that went quiet with
// no record coming; a clock a little behind the records changes nothing
// (far behind, it stepped back: TestLiveClockStepsBack).
func TestAdvance(t *testing.T) {
	dir := t.TempDir()
	e, err := New(DefaultConfig(), Output{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Add(alert.Alert{TS: 1000, Src: "10.0.0.1", Dst: "10.0.0.2", Class: "scan.vertical", Summary: "x"})
	sec := func(s float64) int64 { return int64(s * 1e9) }
	e.Advance(sec(1000 - maxAhead)) // behind the alert
	e.Advance(sec(1000 + e.cfg.Aggregate.Quiet/2))
	if n := len(e.Alerts()); n != 0 {
		t.Fatalf("%d alerts written before the episode went quiet", n)
	}
	e.Advance(sec(1000 + e.cfg.Aggregate.Quiet + e.cfg.FlushEvery))
	if n := len(e.Alerts()); n != 1 {
		t.Fatalf("%d alerts written once the episode went quiet, want 1", n)
	}
	// The file has it now, not only when the engine closes.
	for _, name := range []string{"alerts.log"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || bytes.Count(b, []byte("\n")) != 1 {
			t.Errorf("%s while running: %q %v", name, b, err)
		}
	}
}

// incidentLines keeps the incident lines an engine writes.
type incidentLines struct{ lines []map[string]any }

func (l *incidentLines) Record(log string, line []byte) {
	var m map[string]any
	if log == "incidents" && json.Unmarshal(line, &m) == nil {
		l.lines = append(l.lines, m)
	}
}

// TestIncidentUpdates: with Output.IncidentUpdates an incident is written
// again, same id, as each alert joins it, and once more when it ends;
// without, once.
func TestIncidentUpdates(t *testing.T) {
	for _, updates := range []bool{false, true} {
		sink := &incidentLines{}
		e, _ := New(DefaultConfig(), Output{Records: sink, IncidentUpdates: updates})
		e.Add(alert.Alert{TS: 100, Src: "10.0.0.66", Dst: "10.0.0.2", Class: "scan.vertical", Summary: "scan"})
		e.Advance(int64(100+e.cfg.Aggregate.Quiet+e.cfg.FlushEvery) * 1e9) // the scan's episode is written
		e.Add(alert.Alert{TS: 2000, Src: "10.0.0.66", Dst: "10.0.0.2", Class: "bruteforce.ssh", Summary: "brute force"})
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		want := 1
		if updates {
			want = 3 // after each alert, then the end
		}
		if len(sink.lines) != want {
			t.Fatalf("updates %v: %d incident lines, want %d", updates, len(sink.lines), want)
		}
		last := sink.lines[len(sink.lines)-1]
		for _, l := range sink.lines {
			if l["id"] != last["id"] {
				t.Errorf("updates %v: ids %v and %v", updates, l["id"], last["id"])
			}
		}
		if last["alerts"] != 2.0 || updates && sink.lines[0]["alerts"] != 1.0 {
			t.Errorf("updates %v: lines %v", updates, sink.lines)
		}
	}
}

// TestLiveEpisodeHasFinalNumbers: with a live run's episode timing
// (quiet_s 60, shorter than the detectors' idle_s), a scan whose records
// keep coming after it crossed its threshold, late ones among them (a
// record's ts before the newest one's), is written once, with the
// numbers it reached, not with those of the crossing plus a second alert
// from the detector's end report; a flood likewise. The wall clock moves
// the engine on as Advance does live.
func TestLiveEpisodeHasFinalNumbers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Aggregate = LiveAggregate()
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(c dt.Conn) {
		l := c.Line()
		e.Record(l.Log, l.JSON)
	}
	base := 1.7e9
	for p := 0; p < 60; p++ { // 60 ports; those after the 20th with earlier ts
		ts := base + 1 - float64(p)/100
		if p < 20 {
			ts = base + float64(p)/100
		}
		feed(dt.Conn{TS: ts, Src: "10.66.0.66", SrcP: 40000 + p, Dst: "10.66.0.20", DstP: 1000 + p, State: "REJ"})
	}
	for s := 1; s <= 30; s++ { // a SYN flood on another host, for 30 s
		for i := 0; i < 100; i++ {
			feed(dt.Conn{TS: base + float64(s) + float64(i)/100, Src: "10.66.0.77", SrcP: 1024 + i, Dst: "10.66.0.21", DstP: 80, State: "S0", OrigPkts: 1})
		}
	}
	for s := 31.0; s < 2000; s++ {
		e.Advance(int64((base + s) * 1e9))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[string][]alert.Alert{}
	for _, a := range e.Alerts() {
		got[a.Class] = append(got[a.Class], a)
	}
	if as := got["scan.vertical"]; len(as) != 1 || as[0].Evidence["probes"] != 60 {
		t.Errorf("scan alerts %v, want one with 60 probes", summaries(as))
	}
	if as := got["flood.syn"]; len(as) != 1 || as[0].Evidence["packets"] != uint64(3000) {
		t.Errorf("flood alerts %v, want one with 3000 packets", summaries(as))
	}
}

func summaries(as []alert.Alert) []string {
	var s []string
	for _, a := range as {
		s = append(s, fmt.Sprintf("%s %v", a.Summary, a.Evidence))
	}
	return s
}

// TestLiveOngoingAttackAlertedEarly: live, a scan that goes on (a new
// port every 2 s for 15 minutes) is in alerts.log a minute or two after
// it crossed its threshold, not held back while it grows, and its last
// alert has the numbers it ended with.
func TestLiveOngoingAttackAlertedEarly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Aggregate = LiveAggregate()
	e, err := New(cfg, Output{})
	if err != nil {
		t.Fatal(err)
	}
	base := 1.7e9
	crossed := 0.0
	for p := 0; p < 450; p++ {
		ts := base + float64(p)*2
		l := dt.Conn{TS: ts, Src: "10.66.0.88", SrcP: 40000 + p, Dst: "10.66.0.20", DstP: 1000 + p, State: "REJ"}.Line()
		e.Record(l.Log, l.JSON)
		e.Advance(int64(ts * 1e9))
		if p == 19 {
			crossed = ts
		}
		if crossed > 0 && ts-crossed > 150 && len(e.Alerts()) == 0 {
			t.Fatalf("no alert %.0f s after the scan crossed its threshold", ts-crossed)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	as := e.Alerts()
	if len(as) == 0 || len(as) > 3 || as[len(as)-1].Evidence["probes"] != 450 {
		t.Errorf("alerts %v, want at most 3, the last with 450 probes", summaries(as))
	}
}

// TestLoadConfigIPv6: the config file's "ipv6" section configures the
// IPv6 monitor (durations in seconds, other fields kept); its unknown
// fields and bad prefixes are errors.
func TestLoadConfigIPv6(t *testing.T) {
	p := filepath.Join(t.TempDir(), "detect.json")
	os.WriteFile(p, []byte(`{"ipv6": {"learn_window_s": 900, "allowed_prefixes": ["2001:db8:1::/64"]}}`), 0o644)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IPv6.LearnWindow.Seconds() != 900 || len(cfg.IPv6.AllowedPrefixes) != 1 || cfg.IPv6.RAFloodCount != DefaultConfig().IPv6.RAFloodCount {
		t.Errorf("ipv6 section not read over the defaults: %+v", cfg.IPv6)
	}
	for _, bad := range []string{`{"ipv6": {"lern_window_s": 900}}`, `{"ipv6": {"allowed_prefixes": ["nope"]}}`} {
		os.WriteFile(p, []byte(bad), 0o644)
		if _, err := LoadConfig(p); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := json.Marshal(DefaultConfig()); err != nil {
		t.Errorf("default config does not marshal: %v", err)
	}
}

// TestTimeDetectors: with TimeDetectors the engine counts every call of
// each detector on each log it reads (and its flushes), named
// "detect/NAME"; the alerts are those of an engine not timing; without it,
// Costs is nil.
func TestTimeDetectors(t *testing.T) {
	stream := attackStream()
	logs := map[string]uint64{}
	for _, l := range stream {
		logs[l.Log]++
	}
	plain := runEngine(t, DefaultConfig(), Output{}, stream)
	if plain.Costs() != nil {
		t.Errorf("costs without TimeDetectors: %v", plain.Costs())
	}
	e, err := New(DefaultConfig(), Output{})
	if err != nil {
		t.Fatal(err)
	}
	e.TimeDetectors()
	for _, l := range sortLines(stream) {
		e.Record(l.Log, l.JSON)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]uint64{}
	for _, c := range e.Costs() {
		calls[c.Part+" "+c.Log] = c.Calls
	}
	for _, d := range e.detectors {
		for _, log := range d.Logs() {
			if got, want := calls["detect/"+d.Name()+" "+log], logs[log]; got != want {
				t.Errorf("%s on %s: %d calls timed, %d records", d.Name(), log, got, want)
			}
		}
		if calls["detect/"+d.Name()+" flush"] == 0 {
			t.Errorf("%s: no flush timed", d.Name())
		}
	}
	if got, want := len(e.Alerts()), len(plain.Alerts()); got != want || want == 0 {
		t.Errorf("%d alerts timed, %d not", got, want)
	}
}
