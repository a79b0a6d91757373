package lab

import (
	"regexp"
	"strings"
	"testing"
)

// The EtherNet/IP helper on loopback: the PLC answers its HMI's reads
// and each command; after a Reset of its Identity object it takes no
// session for its reboot time, then serves the HMI again.
func TestENIPHelper(t *testing.T) {
	h := newHelperRun(t, "python3", "enip.py", enipHelper)
	port := h.serve(func(port string) []string {
		return []string{"plc", "--bind", "127.0.0.1", "--port", port, "--reboot", "1"}
	})
	command := func(service string) string {
		return h.run("command", "--plc", "127.0.0.1", "--port", port, "--service", service)
	}
	if out := command("stop"); !strings.Contains(out, "command stop: answered, status 0x00") {
		t.Errorf("stop: %s", out)
	}
	if out := command("reset"); !strings.Contains(out, "command reset: answered, status 0x00") {
		t.Errorf("reset: %s", out)
	}
	// Refused while the PLC reboots, then a session whose reads are
	// answered.
	log := h.start("hmi", "--plc", "127.0.0.1", "--port", port, "--interval", "0.05", "--report", "10")
	answered := regexp.MustCompile(`hmi: [1-9][0-9]* of [0-9]+ reads answered`)
	if out := h.waitFor(log, answered.MatchString); !strings.Contains(out, "hmi: session 0x") || !answered.MatchString(out) {
		t.Errorf("hmi printed %q", out)
	}
}
