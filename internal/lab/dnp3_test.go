package lab

import (
	"strings"
	"testing"
)

// The helper on loopback: the outstation answers the master's polls, sets
// DEVICE_RESTART at power-up and after a restart, which the master clears;
// it answers each command, and after a cold restart takes no connection
// for its reboot time, then serves the master again.
func TestDNP3Helper(t *testing.T) {
	h := newHelperRun(t, "python3", "dnp3.py", dnp3Helper)
	port := h.serve(func(port string) []string {
		return []string{"outstation", "--bind", "127.0.0.1", "--port", port, "--reboot", "1"}
	})
	command := func(fn string) string {
		return h.run("command", "--outstation", "127.0.0.1", "--port", port, "--func", fn)
	}
	// Power-up: DEVICE_RESTART set (IIN 8000); a restart answers with the
	// delay object (group 52: 6 bytes of objects).
	if out := command("disable-unsolicited"); !strings.Contains(out, "answered, IIN 8000, 0 object bytes") {
		t.Errorf("disable-unsolicited: %s", out)
	}
	if out := command("cold-restart"); !strings.Contains(out, "answered, IIN 8000, 6 object bytes") {
		t.Errorf("cold-restart: %s", out)
	}
	// The master is refused while the RTU reboots, then polls it and
	// clears DEVICE_RESTART.
	log := h.start("master", "--outstation", "127.0.0.1", "--port", port, "--interval", "0.05", "--report", "10")
	want := "master: the RTU restarted; DEVICE_RESTART cleared\n"
	if out := h.waitFor(log, func(s string) bool { return strings.Contains(s, want) }); !strings.Contains(out, want) {
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
