package lab

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

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
