package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// TestMySQLBruteForceEndToEnd runs Zeek's MySQL authentication trace
// (nine refused logins of one client in 35 s, then one let in) through
// the whole analysis: with the default threshold of ten failures it stays
// quiet; with five, mysql.log's refusals make a bruteforce.mysql alert
// that says the client logged in after them.
func TestMySQLBruteForceEndToEnd(t *testing.T) {
	capture := testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "mysql", "auth.pcap")
	tmp := t.TempDir()
	conf := filepath.Join(tmp, "detect.json")
	if err := os.WriteFile(conf, []byte(`{"bruteforce":{"min_failures":5}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want bool
	}{
		{"default threshold", nil, false},
		{"five failures", []string{"--detect-config", conf}, true},
	} {
		out := filepath.Join(tmp, strings.ReplaceAll(c.name, " ", "-"))
		args := append(append([]string{"-q", "-o", out}, c.args...), capture)
		if err := runAnalyze(context.Background(), args); err != nil {
			t.Fatal(err)
		}
		alerts, _ := os.ReadFile(filepath.Join(out, "alerts.log"))
		got := strings.Contains(string(alerts), `"class":"bruteforce.mysql"`)
		if got != c.want || c.want && !strings.Contains(string(alerts), `"likely_compromised":true`) {
			t.Errorf("%s: alerts.log\n%s", c.name, alerts)
		}
		logins, _ := os.ReadFile(filepath.Join(out, "mysql.log"))
		if n := strings.Count(string(logins), `"cmd":"login"`); n != 10 {
			t.Errorf("%s: %d login records, want 10", c.name, n)
		}
	}
}

// TestMySQLRootWithoutPassword: Zeek's trace of a root login without a
// password (its client sent no authentication data) is a login with
// default credentials (root and no password): the inventory's
// default_creds finding of the server, alerted.
func TestMySQLRootWithoutPassword(t *testing.T) {
	capture := testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "mysql", "mysql-show-engine-innodb-status-no-password.pcap")
	out := filepath.Join(t.TempDir(), "out")
	if err := runAnalyze(context.Background(), []string{"-q", "-o", out, capture}); err != nil {
		t.Fatal(err)
	}
	alerts, _ := os.ReadFile(filepath.Join(out, "alerts.log"))
	if !strings.Contains(string(alerts), `"name":"default_creds|127.0.0.1|tcp/3306|root/"`) ||
		!strings.Contains(string(alerts), `"class":"iot.default_creds"`) {
		t.Fatalf("alerts.log\n%s", alerts)
	}
	// A root login with a (scrambled) password is none.
	capture = testcorpus.Require(t, "zeek", "testing", "btest", "Traces", "mysql", "change-user-success.pcap")
	out = filepath.Join(t.TempDir(), "out")
	if err := runAnalyze(context.Background(), []string{"-q", "-C", "-o", out, capture}); err != nil {
		t.Fatal(err)
	}
	if alerts, _ := os.ReadFile(filepath.Join(out, "alerts.log")); strings.Contains(string(alerts), "default_creds") {
		t.Fatalf("alerts.log\n%s", alerts)
	}
}
