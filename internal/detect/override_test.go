package detect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverride: a lab scenario's detection override sets the fields it
// names over the configuration and leaves the others; it is read as the
// configuration file is (unknown fields are errors, values are
// validated), and names detector sections only.
func TestOverride(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Override(json.RawMessage(`{"longconn": {"min_duration_s": 240, "min_piece_s": 60}}`)); err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	if cfg.LongConn.MinDuration != 240 || cfg.LongConn.MinPiece != 60 || cfg.LongConn.Window != def.LongConn.Window ||
		!cfg.LongConn.ExternalOnly || len(cfg.LongConn.IgnorePorts) != len(def.LongConn.IgnorePorts) || cfg.Beacon.MinConns != def.Beacon.MinConns {
		t.Errorf("override gave longconn %+v", cfg.LongConn)
	}
	for _, empty := range []string{"", " ", "{}", "null"} {
		cfg := DefaultConfig()
		if err := cfg.Override(json.RawMessage(empty)); err != nil || cfg.LongConn.MinDuration != 3600 {
			t.Errorf("override %q: %v, min_duration_s %v", empty, err, cfg.LongConn.MinDuration)
		}
	}
	for raw, want := range map[string]string{
		`{"longconn": {"min_duraton_s": 240}}`:    `unknown field "min_duraton_s"`,
		`{"longcon": {"min_duration_s": 240}}`:    `"longcon" is not a detector`,
		`{"internal_networks": ["10.0.0.0/8"]}`:   `"internal_networks" is not a detector`,
		`{"aggregate": {"quiet_s": 1}}`:           `"aggregate" is not a detector`,
		`{"longconn": {"window_s": 0}}`:           `longconn.window_s > 0`,
		`{"longconn": {"min_duration_s": "240"}}`: `cannot unmarshal string`,
		`{"longconn": 240}`:                       `cannot unmarshal number`,
		`["longconn"]`:                            `cannot unmarshal array`,
		`{"longconn": {}`:                         `unexpected end`,
	} {
		cfg := DefaultConfig()
		err := cfg.Override(json.RawMessage(raw))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("override %s: error %v, want one with %q", raw, err, want)
		}
		if err := CheckOverride(json.RawMessage(raw)); err == nil {
			t.Errorf("CheckOverride(%s) took it", raw)
		}
	}
	// Every detector's section can be named.
	for _, name := range Names() {
		if err := CheckOverride(json.RawMessage(`{"` + name + `": {"enabled": true}}`)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestEvalCapturesDetectOverride: EvalCaptures hands a scenario's
// override to its analysis only; labels whose override is refused fail
// the evaluation, naming the file.
func TestEvalCapturesDetectOverride(t *testing.T) {
	dir := t.TempDir()
	write := func(scenario, extra string) {
		body := `{"scenario": "` + scenario + `", "start_ts": 1.7e9, "end_ts": 1.7e9, "expected_classes": ["conn.long"]` + extra + `}`
		os.WriteFile(filepath.Join(dir, scenario+".labels.json"), []byte(body), 0o644)
	}
	write("plain", "")
	write("held", `, "detect": {"longconn": {"min_duration_s": 240}}`)
	got := map[string]string{}
	analyze := func(pcap, outDir string, in Inputs) (string, error) {
		got[strings.TrimSuffix(filepath.Base(pcap), ".pcap")] = string(in.Detect)
		p := filepath.Join(outDir, "alerts.log")
		return p, os.WriteFile(p, nil, 0o644)
	}
	if _, err := EvalCaptures(dir, t.TempDir(), analyze); err != nil {
		t.Fatal(err)
	}
	if got["plain"] != "" || got["held"] != `{"longconn": {"min_duration_s": 240}}` {
		t.Errorf("overrides handed to the analyses: %q", got)
	}
	write("typo", `, "detect": {"longconn": {"min_duration": 240}}`)
	_, err := EvalCaptures(dir, t.TempDir(), analyze)
	if err == nil || !strings.Contains(err.Error(), "typo.labels.json") || !strings.Contains(err.Error(), `unknown field "min_duration"`) {
		t.Errorf("a typo in an override: %v", err)
	}
}
