//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-nsm/vigil/internal/capture/live/livetest"
)

// TestMain lets the tests run this test binary as the vigil command
// (VIGIL_TEST_MAIN=1, arguments after "--"), e.g. under ip netns exec.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"vigil"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// vigil analyze -i captures until SIGINT, then writes every record and
// prints the summary with the kernel's counters.
func TestAnalyzeLiveUntilInterrupt(t *testing.T) {
	p := livetest.NewPair(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd, stdout, stderr := startLive(t, p, "--fanout", "2", "--ring", "4", "-o", out)
	flows, err := p.Traffic(context.Background(), livetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// ip netns exec execs vigil: the signal reaches it.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("vigil: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("vigil did not stop on SIGINT:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "dropped by the kernel") {
		t.Errorf("summary without the kernel's counters:\n%s", stdout.String())
	}
	f, err := os.Open(filepath.Join(out, "conn.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var conns []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c map[string]any
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, fl := range flows {
		found := false
		for _, c := range conns {
			if c["proto"] == fl.Proto && c["id.orig_h"] == fl.Orig.String() && c["id.orig_p"] == float64(fl.OrigPort) &&
				c["id.resp_p"] == float64(fl.RespPort) {
				found = true
				if fl.Proto == "tcp" && c["conn_state"] != "SF" {
					t.Errorf("TCP connection not SF: %v", c)
				}
			}
		}
		if !found {
			t.Errorf("no conn.log record for %+v", fl)
		}
	}
}

// startLive starts vigil analyze -i on p's first interface, in its
// namespace, with args, and returns once vigil says it captures; the
// process is killed when the test ends if it still runs.
func startLive(t *testing.T, p *livetest.Pair, args ...string) (cmd *exec.Cmd, stdout, stderr *syncBuffer) {
	t.Helper()
	cmd = exec.Command("ip", append([]string{"netns", "exec", p.NS[0], os.Args[0], "-test.run=^$", "--",
		"analyze", "-i", p.If[0]}, args...)...)
	cmd.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1")
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "Capturing on") {
		if time.Now().After(deadline) {
			t.Fatalf("vigil did not start capturing: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, stdout, stderr
}

// syncBuffer is a bytes.Buffer written by the command's copying goroutine
// and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// vigil analyze -i reports while it captures: a connection sweep of 40
// closed ports is in alerts.log and incidents.log, and the hosts in
// assets.log and ipv6.log, before the capture stops (the engine's clock
// moves with the wall clock and its files are flushed; short episode
// times come from a detection config, the logs' rewrites from
// --logs-every).
func TestAnalyzeLiveReportsWhileCapturing(t *testing.T) {
	p := livetest.NewPair(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	conf := filepath.Join(dir, "detect.json")
	if err := os.WriteFile(conf, []byte(`{"aggregate":{"quiet_s":1,"max_open_s":5},"flush_every_s":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, _, stderr := startLive(t, p, "--ring", "4", "--detect-config", conf, "--logs-every", "200ms", "-o", out)
	target := p.V4[1].String()
	if err := p.Do(0, func() error {
		for port := 1000; port < 1040; port++ {
			if c, err := net.DialTimeout("tcp", net.JoinHostPort(target, strconv.Itoa(port)), time.Second); err == nil {
				c.Close()
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	has := func(name, class string) bool {
		b, _ := os.ReadFile(filepath.Join(out, name))
		return bytes.Contains(b, []byte(class))
	}
	deadline := time.Now().Add(20 * time.Second)
	for !has("alerts.log", `"class":"scan.vertical"`) || !has("incidents.log", `"scan.vertical"`) ||
		!has("assets.log", `"`+target+`"`) || !has("ipv6.log", `"kind":"summary"`) {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(out, "alerts.log"))
			a, _ := os.ReadFile(filepath.Join(out, "assets.log"))
			t.Fatalf("not all logs while capturing; alerts.log: %s\nassets.log: %s\n%s", b, a, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("vigil: %v\n%s", err, stderr.String())
	}
}
