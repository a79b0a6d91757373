package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// The ics-dnp3 scenario: the outstation on the IoT hub and its master on
// ws1 are the scenario's own services, run with Debian's python3 from the
// helper the lab writes out; the attacker sends DISABLE_UNSOLICITED and
// COLD_RESTART in turn, dnp3Rounds times each, to the RTU only, within
// the phase.
func TestDNP3Scenario(t *testing.T) {
	s, err := Lookup("ics-dnp3")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Victims, []string{"10.66.0.30"}) || s.Attacker == nil || *s.Attacker != hostAtk ||
		!slices.Equal(s.Classes, []string{"ics.disruptive"}) {
		t.Errorf("victims %v, attacker %v, classes %v", s.Victims, s.Attacker, s.Classes)
	}
	w := workDir(t.TempDir())
	for i, want := range []struct {
		host Host
		tcp  []int
		args string
	}{
		{hostIoT, []int{20000}, "outstation --bind 10.66.0.30 --port 20000 --reboot 3"},
		{hostWS1, nil, "master --outstation 10.66.0.30 --port 20000 --interval 1 --report 10"},
	} {
		svc := s.services[i]
		argv, err := svc.setup(w)
		if err != nil {
			t.Fatal(err)
		}
		if svc.host != want.host || !slices.Equal(svc.tcp, want.tcp) || len(argv) < 2 || argv[0] != debianPython ||
			argv[1] != w.path("dnp3.py") || strings.Join(argv[2:], " ") != want.args {
			t.Errorf("service %d: %s on %s, %v", i, argv, svc.host.Name, svc.tcp)
		}
	}
	if got := readFile(t, w.path("dnp3.py")); got != dnp3Helper || !strings.HasPrefix(got, "#!/usr/bin/python3\n") {
		t.Errorf("helper written as %.40q", got)
	}
	for _, d := range []time.Duration{5 * time.Second, s.Duration, MaxDuration} {
		a := &attackRun{ctx: context.Background(), w: w, duration: d, dryRun: true, clock: time.Unix(1_800_000_000, 0)}
		if err := s.attack(a); err != nil {
			t.Fatal(err)
		}
		if len(a.commands) != 2*dnp3Rounds {
			t.Fatalf("%s: %d commands", d, len(a.commands))
		}
		for i, c := range a.commands {
			fn := []string{"disable-unsolicited", "cold-restart"}[i%2]
			want := fmt.Sprintf("ip netns exec vgl-atk %s %s command --outstation 10.66.0.30 --port 20000 --func %s", debianPython, w.path("dnp3.py"), fn)
			if c != want {
				t.Errorf("%s: command %d %q, want %q", d, i, c, want)
			}
		}
		if took := a.clock.Sub(time.Unix(1_800_000_000, 0)); took > d {
			t.Errorf("%s: the commands take %s", d, took)
		}
	}
}

// The helper on loopback: the outstation answers the master's polls, sets
// DEVICE_RESTART at power-up and after a restart, which the master clears;
// it answers each command, and after a cold restart takes no connection
// for its reboot time, then serves the master again.
func TestDNP3Helper(t *testing.T) {
	if _, err := lookTool("python3"); err != nil {
		if os.Getenv("VIGIL_LAB_REQUIRED") == "1" {
			t.Fatalf("Debian's python3 is missing: %v", err)
		}
		t.Skip("Debian's python3 is missing")
	}
	w := workDir(t.TempDir())
	script, err := w.write("dnp3.py", dnp3Helper, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := serveHelper(t, ctx, script, func(port string) []string {
		return []string{"outstation", "--bind", "127.0.0.1", "--port", port, "--reboot", "1"}
	})
	command := func(fn string) string {
		out, err := exec.CommandContext(ctx, debianPython, script, "command", "--outstation", "127.0.0.1", "--port", port, "--func", fn).CombinedOutput()
		if err != nil {
			t.Fatalf("command %s: %v\n%s", fn, err, out)
		}
		return string(out)
	}
	// Power-up: DEVICE_RESTART set (IIN 8000); a restart answers with the
	// delay object (group 52: 6 bytes of objects).
	if out := command("disable-unsolicited"); !strings.Contains(out, "answered, IIN 8000, 0 object bytes") {
		t.Errorf("disable-unsolicited: %s", out)
	}
	if out := command("cold-restart"); !strings.Contains(out, "answered, IIN 8000, 6 object bytes") {
		t.Errorf("cold-restart: %s", out)
	}
	log := w.path("master.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	master := exec.CommandContext(ctx, debianPython, script, "master", "--outstation", "127.0.0.1", "--port", port, "--interval", "0.05", "--report", "10")
	master.Stdout, master.Stderr = f, f
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = master.Process.Kill(); _ = master.Wait() }()
	// The master is refused while the RTU reboots, then polls it and
	// clears DEVICE_RESTART.
	want := "master: the RTU restarted; DEVICE_RESTART cleared\n"
	for i := 0; i < 100 && !strings.Contains(readFile(t, log), want); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if out := readFile(t, log); !strings.Contains(out, want) {
		t.Fatalf("master printed %q", out)
	}
	// Once cleared, the RTU reports no restart until the next one.
	if out := command("disable-unsolicited"); !strings.Contains(out, "answered, IIN 0000, 0 object bytes") {
		t.Errorf("disable-unsolicited after the restart was cleared: %s", out)
	}
	if out := command("warm-restart"); !strings.Contains(out, "answered, IIN 8000, 6 object bytes") {
		t.Errorf("warm-restart: %s", out)
	}
}
