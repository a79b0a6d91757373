package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	dt "github.com/vigil-nsm/vigil/internal/detect/detecttest"
	"github.com/vigil-nsm/vigil/internal/serve"
)

// lockedLog is a server log written from several goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// slowScan is an nmap -T0 vertical scan: a closed port every five
// minutes, ports from..to.
func slowScan(from, to int) []dt.Line {
	var l []dt.Line
	for p := from; p <= to; p++ {
		l = append(l, dt.Conn{TS: 1.7e9 + float64(p)*300, UID: fmt.Sprintf("V%d", p), Src: "10.66.0.66", SrcP: 40000, Dst: "10.66.0.20", DstP: p,
			State: "REJ", OrigPkts: 1, RespPkts: 1}.Line())
	}
	return l
}

// liveRun runs the records through the consumers serve's wiring gives
// the live run N (as analyze.RunLive would hand them over), ends it, and
// returns the slow scans of its alerts.log.
func liveRun(t *testing.T, cfg *serve.Config, n int, lines []dt.Line) []map[string]any {
	t.Helper()
	dir := filepath.Join(cfg.DataDir, "runs", fmt.Sprintf("%d-live", n))
	cons, err := cfg.Consumers(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		for _, c := range cons {
			c.Record(l.Log, l.JSON)
		}
	}
	if err := cfg.Finish(dir); err != nil {
		t.Fatal(err)
	}
	return slowAlerts(t, filepath.Join(dir, "alerts.log"))
}

// slowAlerts reads the alerts of the slow scan tier in an alerts.log.
func slowAlerts(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a map[string]any
		if json.Unmarshal(sc.Bytes(), &a) == nil {
			if ev, _ := a["evidence"].(map[string]any); ev["pace"] == "slow" {
				out = append(out, a)
			}
		}
	}
	return out
}

// vigil serve keeps its live run's detection state in DATA/detect.state
// (--detect-state): a slow scan whose first 20 probes came before a
// restart of the server and the next 20 after it is reported by the
// restarted server, as by one that ran throughout; the server says what
// it loaded. Inbox runs keep no state, and with --detect-state off the
// restarted server starts fresh and misses the scan.
func TestServeDetectState(t *testing.T) {
	base, err := insightConfig("", "", false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := func(dataDir string, args ...string) (*serve.Config, *lockedLog) {
		cfg := serve.DefaultConfig()
		log := &lockedLog{}
		cfg.DataDir, cfg.Log = dataDir, log
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "--detect-state" {
				cfg.DetectState = args[i+1]
			}
		}
		wireInsight(&cfg, base, true)
		return &cfg, log
	}
	data := t.TempDir()
	cfg, log := start(data)
	if got := liveRun(t, cfg, 1, slowScan(1, 20)); len(got) != 0 {
		t.Fatalf("20 probes alerted: %v", got)
	}
	if !strings.Contains(log.String(), "detect.state: saved") || !strings.Contains(log.String(), "scan: 1 slow records") {
		t.Errorf("log: %s", log.String())
	}
	if fi, err := os.Stat(filepath.Join(data, "detect.state")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("DATA/detect.state: %v", err)
	}
	// An inbox run neither loads nor saves it.
	before, _ := os.ReadFile(filepath.Join(data, "detect.state"))
	inbox := filepath.Join(data, "runs", "2-capture.pcap")
	if _, err := cfg.Consumers(inbox, nil); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Finish(inbox); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(data, "detect.state")); string(after) != string(before) {
		t.Error("an inbox run changed the state file")
	}

	cfg, log = start(data) // the restarted server
	got := liveRun(t, cfg, 3, slowScan(21, 40))
	if len(got) == 0 || got[0]["class"] != "scan.vertical" {
		t.Fatalf("the restarted server: slow scans %v\n%s", got, log.String())
	}
	if ev := got[0]["evidence"].(map[string]any); ev["probes_total"].(float64) < 30 {
		t.Errorf("slow scan after the restart: %v", got[0]["summary"])
	}
	if !strings.Contains(log.String(), "detect.state: loaded (saved ") || !strings.Contains(log.String(), "scan: 1 slow records") {
		t.Errorf("log: %s", log.String())
	}

	fresh := t.TempDir()
	cfg, _ = start(fresh, "--detect-state", "off")
	liveRun(t, cfg, 1, slowScan(1, 20))
	cfg, _ = start(fresh, "--detect-state", "off")
	if got := liveRun(t, cfg, 2, slowScan(21, 40)); len(got) != 0 {
		t.Errorf("without state the restarted server found a slow scan: %v", got)
	}
	if _, err := os.Stat(filepath.Join(fresh, "detect.state")); err == nil {
		t.Error("--detect-state off wrote a state file")
	}
}

// vigil analyze --detect-state carries the detectors' long memory from
// one file of a series to the next: a slow scan over two conn.logs
// analysed one by one is found in the second; without the flag it is not.
func TestAnalyzeDetectState(t *testing.T) {
	tmp := t.TempDir()
	write := func(name string, lines []dt.Line) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, l := range lines {
			b.Write(l.JSON)
			b.WriteByte('\n')
		}
		path := filepath.Join(dir, "conn.log")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first, second := write("in1", slowScan(1, 20)), write("in2", slowScan(21, 40))
	state := filepath.Join(tmp, "detect.state")
	for _, withState := range []bool{true, false} {
		var found int
		for i, in := range []string{first, second} {
			out := filepath.Join(tmp, fmt.Sprintf("out-%v-%d", withState, i))
			args := []string{"-q", "-o", out, in}
			if withState {
				args = append([]string{"--detect-state", state}, args...)
			}
			if err := runAnalyze(context.Background(), args); err != nil {
				t.Fatalf("analyze %v: %v", args, err)
			}
			found = len(slowAlerts(t, filepath.Join(out, "alerts.log")))
			if i == 0 && found != 0 {
				t.Fatalf("20 probes alerted")
			}
		}
		if withState != (found > 0) {
			t.Errorf("--detect-state %v: %d slow scans in the second file", withState, found)
		}
	}
}

// A server stopped for good does not end its detectors' long memory
// (Resume): what only the end of the input reports is not reported — six
// hours of a beacon's check-ins, scored over the part of the day seen.
// vigil analyze --detect-state on an empty log ends the state as the end
// of the input would: the beacon is reported there (docs/SERVE.md).
func TestServeStateEndedByAnalyze(t *testing.T) {
	base, err := insightConfig("", "", false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := serve.DefaultConfig()
	cfg.DataDir, cfg.Log = t.TempDir(), &lockedLog{}
	wireInsight(&cfg, base, true)
	var lines []dt.Line
	for i := range 72 {
		ts := 1.7e9 + float64(i)*300
		lines = append(lines, dt.Conn{TS: ts, UID: fmt.Sprintf("B%d", i), Src: "10.66.0.30", SrcP: 40000 + i, Dst: "198.51.100.66", DstP: 443,
			Duration: 0.3, OrigBytes: 310, RespBytes: 800, OrigPkts: 5, RespPkts: 5}.Line())
		lines = append(lines, dt.Conn{TS: ts + 7, UID: fmt.Sprintf("W%d", i), Src: "10.66.0.9", SrcP: 50000 + i, Dst: fmt.Sprintf("93.184.0.%d", i),
			DstP: 443, Duration: 2, OrigBytes: 500, RespBytes: 40000}.Line())
	}
	dir := filepath.Join(cfg.DataDir, "runs", "1-live")
	cons, err := cfg.Consumers(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		for _, c := range cons {
			c.Record(l.Log, l.JSON)
		}
	}
	if err := cfg.Finish(dir); err != nil {
		t.Fatal(err)
	}
	beacons := func(path string) int {
		b, _ := os.ReadFile(path)
		return strings.Count(string(b), `"c2.beacon"`)
	}
	if n := beacons(filepath.Join(dir, "alerts.log")); n != 0 {
		t.Fatalf("the server reported the beacon when it stopped (%d)", n)
	}
	empty := filepath.Join(t.TempDir(), "conn.log")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := runAnalyze(context.Background(), []string{"-q", "--detect-state", cfg.DetectStatePath(), "-o", out, empty}); err != nil {
		t.Fatal(err)
	}
	if n := beacons(filepath.Join(out, "alerts.log")); n == 0 {
		t.Errorf("analyze --detect-state of an empty log did not end the state")
	}
}
