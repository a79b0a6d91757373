package insight

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/assets"
	"github.com/vigil-nsm/vigil/internal/detect"
)

// lineSink keeps the alert lines the engine writes, as they are written.
type lineSink struct{ alerts []map[string]any }

func (s *lineSink) Record(log string, line []byte) {
	if log != "alerts" {
		return
	}
	var a map[string]any
	if json.Unmarshal(line, &a) == nil {
		s.alerts = append(s.alerts, a)
	}
}

// recordingSet makes a Set of cfg whose alert lines a lineSink keeps.
func recordingSet(t *testing.T, cfg Config) (*Set, *lineSink) {
	t.Helper()
	sink := &lineSink{}
	cfg.Records = sink
	set, err := New(cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return set, sink
}

// assetAlerts are the inventory's alerts among a, as "name ts–end".
func assetAlerts(a []map[string]any) []string {
	var out []string
	for _, x := range a {
		if x["detector"] == "assets" {
			out = append(out, fmt.Sprintf("%s %v–%v", x["name"], x["ts"], x["ts_end"]))
		}
	}
	return out
}

// telnetAuth is a telnet login fact at ts from 10.0.0.66 to 10.0.0.30.
func telnetAuth(ts int, user, password string, ok bool) []byte {
	return fmt.Appendf(nil, `{"ts":%d,"uid":"Ct%d","id.orig_h":"10.0.0.66","id.orig_p":%d,"id.resp_h":"10.0.0.30","id.resp_p":23,"user":%q,"password":%q,"success":%v}`,
		ts, ts, 40000+ts%20000, user, password, ok)
}

// TestFindingsAlertWhileRunning: an inventory finding is alerted while
// the capture goes on, not only at its end; its episode stays open while
// it recurs, a recurrence after the episode was written opens another,
// and a finding that gives way to a more telling one leaves no alert.
func TestFindingsAlertWhileRunning(t *testing.T) {
	cfg := DefaultConfig()
	set, sink := recordingSet(t, cfg)
	feed := func(lines ...[]byte) {
		for _, c := range set.Consumers() {
			for _, l := range lines {
				c.Record("_telnet_auth", l)
			}
		}
	}
	quiet := cfg.Detect.Aggregate.Quiet
	// Tried, then accepted: the same pair; the login recurs 10 s later.
	feed(telnetAuth(1000, "root", "xc3511", false), telnetAuth(1001, "root", "xc3511", true),
		telnetAuth(1011, "root", "xc3511", true))
	if got := assetAlerts(sink.alerts); len(got) != 0 {
		t.Fatalf("alerts written before their episode ended: %v", got)
	}
	// Long quiet: the episodes are written while the capture goes on.
	late := 1011 + int(quiet) + 2*int(cfg.Detect.FlushEvery) + 10
	feed(telnetAuth(late, "alice", "s3cret", true))
	written := assetAlerts(sink.alerts)
	want := []string{
		"cleartext_login|10.0.0.30|tcp/23|user root 1000–1011",
		"default_creds|10.0.0.30|tcp/23|root/xc3511 1001–1011",
	}
	if strings.Join(written, "\n") != strings.Join(want, "\n") {
		t.Fatalf("written while running:\n%s\nwant:\n%s", strings.Join(written, "\n"), strings.Join(want, "\n"))
	}
	// The same login again, after its episode was written: a new one.
	feed(telnetAuth(late+5, "root", "xc3511", true))
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	all := assetAlerts(sink.alerts)
	want = append(want, // one clear-text-login finding per service: alice's login recurs it
		fmt.Sprintf("cleartext_login|10.0.0.30|tcp/23|user root %d–%d", late, late+5),
		fmt.Sprintf("default_creds|10.0.0.30|tcp/23|root/xc3511 %d–%d", late+5, late+5),
	)
	if strings.Join(all, "\n") != strings.Join(want, "\n") {
		t.Errorf("all alerts:\n%s\nwant:\n%s", strings.Join(all, "\n"), strings.Join(want, "\n"))
	}
}

// TestAllowlistedFindingsRecur: a finding the allowlist drops is offered
// to the engine once, not again at each recurrence.
func TestAllowlistedFindingsRecur(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Detect.Allow.Classes = []string{"iot.insecure_protocol", "iot.default_creds"}
	cfg.Detect.Mirai.Enabled = false
	set, err := New(cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		for _, c := range set.Consumers() {
			c.Record("_telnet_auth", telnetAuth(1000+i, "root", "xc3511", true))
		}
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	// Two findings (the clear-text login and the default pair), raised once each.
	if st := set.engine.Stats(); st.Detections != 2 || st.Suppressed != 2 || st.Alerts != 0 {
		t.Errorf("detections %d, suppressed %d, alerts %d; want 2, 2, 0", st.Detections, st.Suppressed, st.Alerts)
	}
}

// TestNullPasswordLogin: a default user's login whose password field is
// null is alerted once: by the Mirai detector (a default user, password
// not known), which the inventory, matching pairs only, leaves to it.
func TestNullPasswordLogin(t *testing.T) {
	set, sink := recordingSet(t, DefaultConfig())
	for _, c := range set.Consumers() {
		c.Record("_telnet_auth", []byte(`{"ts":1000,"uid":"Ct1","id.orig_h":"10.0.0.66","id.orig_p":40000,"id.resp_h":"10.0.0.30","id.resp_p":23,"user":"root","password":null,"success":true}`))
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	var creds []string
	for _, a := range sink.alerts {
		if a["class"] == "iot.default_creds" {
			creds = append(creds, fmt.Sprintf("%v: %v", a["detector"], a["summary"]))
		}
	}
	if len(creds) != 1 || !strings.HasPrefix(creds[0], "mirai:") {
		t.Errorf("default-credential alerts %v, want the Mirai detector's one", creds)
	}
}

// writeLogsWhile runs feed in a goroutine of its own, as the records'
// writer, while rewriting set's logs as a live run does, and returns when
// feed has.
func writeLogsWhile(t *testing.T, set *Set, feed func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		feed()
	}()
	for range 20 {
		if err := set.WriteLogs(); err != nil {
			t.Error(err)
		}
	}
	<-done
}

// TestWriteLogsWhileRunning: assets.log and ipv6.log can be rewritten
// while records are consumed (go test -race checks the locking), and they
// hold what was seen so far.
func TestWriteLogsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	set, err := New(DefaultConfig(), dir)
	if err != nil {
		t.Fatal(err)
	}
	writeLogsWhile(t, set, func() {
		for i := range 300 {
			for _, c := range set.Consumers() {
				c.Record("_telnet_auth", telnetAuth(1000+i, "root", "xc3511", true))
				c.Record("conn", fmt.Appendf(nil, `{"ts":%d,"uid":"Cc%d","id.orig_h":"10.0.0.66","id.orig_p":%d,"id.resp_h":"fd00::30","id.resp_p":23,"proto":"tcp","conn_state":"SF","orig_pkts":3,"resp_pkts":3,"orig_ip_bytes":200,"resp_ip_bytes":200,"history":"ShADadFf"}`, 1000+i, i, 30000+i))
			}
		}
	})
	if err := set.WriteLogs(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"assets.log": `"10.0.0.30"`, "ipv6.log": `"kind":"summary"`} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v, want %s in\n%s", name, err, want, b)
		}
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
}

// telnetLogin is an accepted telnet login fact at ts from src to
// 10.0.0.30:23.
func telnetLogin(ts int, src, user, password string) []byte {
	return fmt.Appendf(nil, `{"ts":%d,"uid":"Cx%d","id.orig_h":%q,"id.orig_p":%d,"id.resp_h":"10.0.0.30","id.resp_p":23,"user":%q,"password":%q,"success":true}`,
		ts, ts, src, 40000+ts%20000, user, password)
}

// feedAll hands each line of log to every consumer of set.
func feedAll(set *Set, log string, lines ...[]byte) {
	for _, l := range lines {
		for _, c := range set.Consumers() {
			c.Record(log, l)
		}
	}
}

// credAlerts are the default-credential alerts among a, as
// "detector src ts uids".
func credAlerts(a []map[string]any) []string {
	var out []string
	for _, x := range a {
		if x["class"] == "iot.default_creds" {
			out = append(out, fmt.Sprintf("%v %v %v %v", x["detector"], x["src"], x["ts"], x["uids"]))
		}
	}
	return out
}

// TestFindingAlertsPerClient: the clients of one default-credential
// finding (one server, port and pair) are alerted each as itself, once,
// with its own connections; a new episode of the same client's finding
// carries its own connections, not the first episode's.
func TestFindingAlertsPerClient(t *testing.T) {
	set, sink := recordingSet(t, DefaultConfig())
	feedAll(set, "_telnet_auth", telnetLogin(1000, "10.0.0.66", "root", "xc3511"),
		telnetLogin(1100, "10.0.0.77", "root", "xc3511"), telnetLogin(9000, "10.0.0.88", "root", "xc3511"))
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	want := "assets 10.0.0.66 1000 [Cx1000]\nassets 10.0.0.77 1100 [Cx1100]\nassets 10.0.0.88 9000 [Cx9000]"
	if got := strings.Join(credAlerts(sink.alerts), "\n"); got != want {
		t.Errorf("alerts:\n%s\nwant:\n%s", got, want)
	}

	cfg := DefaultConfig()
	cfg.Detect.Aggregate = detect.LiveAggregate()
	set, sink = recordingSet(t, cfg)
	for i := 0; i <= 700; i += 20 {
		feedAll(set, "_telnet_auth", telnetLogin(1000+i, "10.0.0.66", "root", "xc3511"))
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	got := credAlerts(sink.alerts)
	if len(got) != 2 || !strings.HasPrefix(got[1], "assets 10.0.0.66 1600 [Cx1600 ") || strings.Contains(got[1], "Cx1000") {
		t.Errorf("two episodes of one client's finding:\n%s", strings.Join(got, "\n"))
	}
}

// bacnetRequest is a BACnet request at ts forwarded by 10.0.0.5 to
// 10.0.0.9 for source (its source_h).
func bacnetRequest(ts int, source, service string) []byte {
	return fmt.Appendf(nil, `{"ts":%d,"uid":"Cb%d","id.orig_h":"10.0.0.5","id.orig_p":47808,"id.resp_h":"10.0.0.9","id.resp_p":47808,"pdu_type":"CONFIRMED_REQUEST","pdu_service":%q,"source_h":%q,"destination_h":"10.0.0.9"}`, ts, ts, service, source)
}

// TestICSWriterAlerts: two new writers with the same operation on one
// device (forwarded by one BBMD) are two alerts, each with its own
// connections; a new writer's alert shows the usual master's request
// even when it is written while the capture runs.
func TestICSWriterAlerts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Detect.Aggregate = detect.LiveAggregate()
	set, sink := recordingSet(t, cfg)
	feedAll(set, "bacnet", bacnetRequest(1000, "10.1.0.1", "read_property"), bacnetRequest(2000, "10.1.0.2", "write_property"),
		bacnetRequest(2001, "10.1.0.3", "write_property"), bacnetRequest(2002, "10.1.0.2", "write_property"))
	feedAll(set, "conn", []byte(`{"ts":2200,"uid":"Cz","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"tcp","conn_state":"SF"}`))
	var running []string
	for _, a := range sink.alerts {
		if a["detector"] == "assets" {
			running = append(running, fmt.Sprintf("%v %v", a["name"], a["uids"]))
		}
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	want := "ics_write_new_writer|10.0.0.9|udp/47808|write_property|10.1.0.2 [Cb2000 Cb1000 Cb2002]\n" +
		"ics_write_new_writer|10.0.0.9|udp/47808|write_property|10.1.0.3 [Cb2001 Cb1000]"
	if got := strings.Join(running, "\n"); got != want {
		t.Errorf("written while running:\n%s\nwant:\n%s", got, want)
	}
}

// TestFindingRaisedBySnapshot: a finding a snapshot raises (a site rule on
// the OS guess) is not handed to the engine from the snapshot's goroutine
// (go test -race), and is alerted at Close.
func TestFindingRaisedBySnapshot(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "site.json")
	if err := os.WriteFile(rules, []byte(`{"match":[{"id":"site-eol","on":"os","match":"^Windows 7","finding":"eol_os","confidence":0.5}],
"findings":[{"kind":"eol_os","class":"iot.insecure_protocol","severity":3,"confidence":0.5,"summary":"{host} runs an end-of-life OS"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Assets.RuleFiles = []string{rules}
	set, sink := recordingSet(t, cfg)
	writeLogsWhile(t, set, func() {
		for i := range 200 {
			feedAll(set, "http", fmt.Appendf(nil, `{"ts":%d,"uid":"Ch%d","id.orig_h":"10.0.0.%d","id.orig_p":40000,"id.resp_h":"10.0.1.1","id.resp_p":80,"method":"GET","host":"x","uri":"/","user_agent":"Mozilla/5.0 (Windows NT 6.1; Win64; x64)","status_code":200}`, 1000+i, i, 10+i%50))
		}
	})
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range sink.alerts {
		if strings.Contains(fmt.Sprint(a["summary"]), "end-of-life") {
			n++
		}
	}
	if n == 0 {
		t.Error("the snapshot's finding was not alerted at Close")
	}
}

// TestMACHostFinding: a finding whose host is known by its MAC alone keeps
// one episode while it recurs, and is withdrawn when dropped.
func TestMACHostFinding(t *testing.T) {
	eng, err := detect.New(detect.DefaultConfig(), detect.Output{})
	if err != nil {
		t.Fatal(err)
	}
	fa := &findingAlerts{engine: eng, seen: map[*assets.Finding]findingSeen{}, names: map[string]bool{}}
	f := &assets.Finding{Kind: "x", Class: "iot.insecure_protocol", Host: "aa:bb:cc:dd:ee:ff", TS: 1000, Last: 1000, Count: 1}
	fa.Raised(f)
	for i := 1; i <= 3; i++ {
		f.Last, f.Count = float64(1000+i), uint64(1+i)
		fa.Recurred(f, assets.Occurrence{TS: float64(1000 + i)})
	}
	if d := eng.Stats().Detections; d != 1 {
		t.Errorf("%d detections for one raise and three recurrences", d)
	}
	fa.Dropped(f)
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(eng.Alerts()); n != 0 {
		t.Errorf("a dropped finding was alerted: %d alerts", n)
	}
}

// TestControlCommandAlertedOnce: a control command the usual master
// sends on schedule (clearing a PLC's diagnostic counters every minute
// for a day) is one alert, not one per aggregation window: its finding
// kind is alerted once.
func TestControlCommandAlertedOnce(t *testing.T) {
	set, sink := recordingSet(t, DefaultConfig())
	for i := 0; i < 24*60; i++ {
		ts := 1700000000 + 60*i
		feedAll(set, "modbus", fmt.Appendf(nil, `{"ts":%d,"uid":"Cm1","id.orig_h":"10.1.0.5","id.orig_p":40000,"id.resp_h":"10.1.0.20","id.resp_p":502,"tid":%d,"unit":1,"func":"DIAGNOSTICS","pdu_type":"REQ","sub_function":"CLEAR_COUNTERS_AND_DIAGNOSTIC_REGISTER"}`, ts, i%65536))
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range sink.alerts {
		if ev, _ := a["evidence"].(map[string]any); ev["kind"] == "ics_control_command" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d control-command alerts for a day of one scheduled command, want 1", n)
	}
}

// TestToldNamesBounded: a sensor that runs for weeks sees ever new hosts
// with findings (phones, guests, a scanned range answering telnet); the
// names of the findings told must not be kept for ever. A finding still
// held (seen) counts as told at Close whether its name is remembered or
// not.
func TestToldNamesBounded(t *testing.T) {
	eng, err := detect.New(detect.DefaultConfig(), detect.Output{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	fa := &findingAlerts{engine: eng, seen: map[*assets.Finding]findingSeen{}, names: map[string]bool{}}
	const n = 3 << 14
	for i := 0; i < n; i++ {
		f := &assets.Finding{Kind: "x", Class: "iot.insecure_protocol", Host: fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), TS: float64(1000 + i), Last: float64(1000 + i), Count: 1}
		fa.Raised(f)
		if i%2 == 0 {
			fa.Dropped(f)
		}
	}
	if len(fa.names) > 1<<14 {
		t.Errorf("%d names kept after %d findings told; at most %d", len(fa.names), n, 1<<14)
	}
}
