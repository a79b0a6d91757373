package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// The ICS scenarios: the device on the IoT hub and its poller on ws1 are
// the scenario's own services, run with Debian's python3 from the helper
// the lab writes out; the attacker sends its two commands in turn, rounds
// times each, to the device only, within the phase. ics-modbus: Force
// Listen Only Mode and Restart Communications (the detector's T0816 for
// the restart, T0813 and T0814 for listen-only mode); ics-dnp3:
// DISABLE_UNSOLICITED and COLD_RESTART.
func TestICSScenarios(t *testing.T) {
	type svc struct {
		host Host
		tcp  []int
		args string
	}
	for _, c := range []struct {
		name, file, source, phase string
		mitre                     []string
		services                  []svc
		rounds                    int
		command                   func(w workDir, i int) string
	}{
		{"ics-modbus", "modbus.py", modbusHelper, "diagnostics", []string{"T0816", "T0814", "T0813"},
			[]svc{{hostIoT, []int{502}, "plc --bind 10.66.0.30 --port 502"},
				{hostWS1, nil, "hmi --plc 10.66.0.30 --port 502 --interval 1 --report 10"}},
			modbusRounds, func(w workDir, i int) string {
				return fmt.Sprintf("ip netns exec vgl-atk %s %s diag --plc 10.66.0.30 --port 502 --sub %s",
					debianPython, w.path("modbus.py"), []string{"listen-only", "restart"}[i%2])
			}},
		{"ics-dnp3", "dnp3.py", dnp3Helper, "dnp3 commands", []string{"T0816", "T0813"},
			[]svc{{hostIoT, []int{20000}, "outstation --bind 10.66.0.30 --port 20000 --reboot 3"},
				{hostWS1, nil, "master --outstation 10.66.0.30 --port 20000 --interval 1 --report 10"}},
			dnp3Rounds, func(w workDir, i int) string {
				return fmt.Sprintf("ip netns exec vgl-atk %s %s command --outstation 10.66.0.30 --port 20000 --func %s",
					debianPython, w.path("dnp3.py"), []string{"disable-unsolicited", "cold-restart"}[i%2])
			}},
		{"ics-cip", "enip.py", enipHelper, "cip services", []string{"T0816", "T0858", "T0813"},
			[]svc{{hostIoT, []int{44818}, "plc --bind 10.66.0.30 --port 44818 --reboot 3"},
				{hostWS1, nil, "hmi --plc 10.66.0.30 --port 44818 --interval 1 --report 10"}},
			enipRounds, func(w workDir, i int) string {
				return fmt.Sprintf("ip netns exec vgl-atk %s %s command --plc 10.66.0.30 --port 44818 --service %s",
					debianPython, w.path("enip.py"), []string{"stop", "reset"}[i%2])
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Lookup(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Victims, []string{"10.66.0.30"}) || s.Attacker == nil || *s.Attacker != hostAtk ||
				!slices.Equal(s.Classes, []string{"ics.disruptive"}) || !slices.Equal(s.MITRE, c.mitre) {
				t.Errorf("victims %v, attacker %v, classes %v, MITRE %v", s.Victims, s.Attacker, s.Classes, s.MITRE)
			}
			w := workDir(t.TempDir())
			if len(s.services) != len(c.services) {
				t.Fatalf("services %v", s.services)
			}
			for i, want := range c.services {
				svc := s.services[i]
				argv, err := svc.setup(w)
				if err != nil {
					t.Fatal(err)
				}
				if svc.host != want.host || !slices.Equal(svc.tcp, want.tcp) || len(argv) < 2 || argv[0] != debianPython ||
					argv[1] != w.path(c.file) || strings.Join(argv[2:], " ") != want.args {
					t.Errorf("service %d: %s on %s, %v", i, argv, svc.host.Name, svc.tcp)
				}
			}
			if got := readFile(t, w.path(c.file)); got != c.source || !strings.HasPrefix(got, "#!/usr/bin/python3\n") {
				t.Errorf("helper written as %.40q", got)
			}
			for _, d := range []time.Duration{5 * time.Second, s.Duration, MaxDuration} {
				a := &attackRun{ctx: context.Background(), w: w, duration: d, dryRun: true, clock: time.Unix(1_800_000_000, 0)}
				if err := s.attack(a); err != nil {
					t.Fatal(err)
				}
				if len(a.commands) != 2*c.rounds {
					t.Fatalf("%s: %d commands", d, len(a.commands))
				}
				for i, got := range a.commands {
					if want := c.command(w, i); got != want {
						t.Errorf("%s: command %d %q, want %q", d, i, got, want)
					}
				}
				if took := a.clock.Sub(time.Unix(1_800_000_000, 0)); took > d {
					t.Errorf("%s: the commands take %s", d, took)
				}
				if len(a.phases) != 1 || a.phases[0].Name != c.phase {
					t.Errorf("%s: phases %v", d, a.phases)
				}
			}
		})
	}
}

// The helper with pymodbus, on loopback (where Debian's python3-pymodbus
// is installed): the PLC answers its HMI's reads and Restart
// Communications, and not Force Listen Only Mode, as the scenario's notes
// say; the HMI's reads are still answered after it.
func TestModbusHelper(t *testing.T) {
	h := newHelperRun(t, "pymodbus", "modbus.py", modbusHelper)
	port := h.serve(func(port string) []string { return []string{"plc", "--bind", "127.0.0.1", "--port", port} })
	diag := func(sub string) string { return h.run("diag", "--plc", "127.0.0.1", "--port", port, "--sub", sub) }
	if out := diag("listen-only"); !strings.Contains(out, "diag listen-only: no answer") {
		t.Errorf("listen-only: %s", out)
	}
	if out := diag("restart"); !strings.Contains(out, "diag restart: answered, sub-function 1") {
		t.Errorf("restart: %s", out)
	}
	// The HMI's reads are answered after listen-only mode was forced.
	log := h.start("hmi", "--plc", "127.0.0.1", "--port", port, "--interval", "0.02", "--report", "10")
	want := "hmi: 10 of 10 reads answered; tank level "
	if out := h.waitFor(log, func(s string) bool { return strings.Contains(s, want) }); !strings.HasPrefix(out, "hmi: connected to 127.0.0.1:"+port+"\n"+want) {
		t.Errorf("hmi printed %q", out)
	}
}

// serve runs the helper's server (args, given its port) on a free
// loopback port until the test ends, and returns the port once it
// listens.
func (h *helperRun) serve(args func(port string) []string) string {
	t := h.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.CommandContext(h.ctx, debianPython, append([]string{h.script}, args(port)...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			return port
		}
		if i == 100 {
			t.Fatalf("%s does not listen: %v", args(port)[0], err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// helperRun is a lab helper under a loopback test: its script, written
// out, and the test's context.
type helperRun struct {
	t      *testing.T
	ctx    context.Context
	w      workDir
	script string
}

// newHelperRun writes a lab helper (file, source) for a test on loopback,
// which it skips where tool is missing (fails under VIGIL_LAB_REQUIRED:
// scripts/lab-deps.sh installs it).
func newHelperRun(t *testing.T, tool, file, source string) *helperRun {
	t.Helper()
	if _, err := lookTool(tool); err != nil {
		if os.Getenv("VIGIL_LAB_REQUIRED") == "1" {
			t.Fatalf("%s is missing (scripts/lab-deps.sh): %v", tool, err)
		}
		t.Skipf("%s is missing (scripts/lab-deps.sh)", tool)
	}
	w := workDir(t.TempDir())
	script, err := w.write(file, source, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return &helperRun{t, ctx, w, script}
}

// run runs the helper with args and returns what it printed.
func (h *helperRun) run(args ...string) string {
	h.t.Helper()
	out, err := exec.CommandContext(h.ctx, debianPython, append([]string{h.script}, args...)...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs the helper with args until the test ends, what it prints
// going to the file it returns; waitFor waits for a line in it.
func (h *helperRun) start(args ...string) string {
	h.t.Helper()
	log := h.w.path(args[0] + ".log")
	f, err := os.Create(log)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { f.Close() })
	cmd := exec.CommandContext(h.ctx, debianPython, append([]string{h.script}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return log
}

// waitFor waits up to 10 s for the log to match, and returns the log.
func (h *helperRun) waitFor(log string, match func(string) bool) string {
	h.t.Helper()
	for i := 0; i < 100 && !match(readFile(h.t, log)); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	return readFile(h.t, log)
}
