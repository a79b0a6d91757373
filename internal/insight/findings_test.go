package insight

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// TestWriteLogsWhileRunning: assets.log and ipv6.log can be rewritten
// while records are consumed (go test -race checks the locking), and they
// hold what was seen so far.
func TestWriteLogsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	set, err := New(DefaultConfig(), dir)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 300 {
			for _, c := range set.Consumers() {
				c.Record("_telnet_auth", telnetAuth(1000+i, "root", "xc3511", true))
				c.Record("conn", fmt.Appendf(nil, `{"ts":%d,"uid":"Cc%d","id.orig_h":"10.0.0.66","id.orig_p":%d,"id.resp_h":"fd00::30","id.resp_p":23,"proto":"tcp","conn_state":"SF","orig_pkts":3,"resp_pkts":3,"orig_ip_bytes":200,"resp_ip_bytes":200,"history":"ShADadFf"}`, 1000+i, i, 30000+i))
			}
		}
	}()
	for range 20 {
		if err := set.WriteLogs(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
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
