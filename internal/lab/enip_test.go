package lab

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The EtherNet/IP helper on loopback: the PLC answers its HMI's reads
// and each command; after a Reset of its Identity object it takes no
// session for its reboot time, then serves the HMI again.
func TestENIPHelper(t *testing.T) {
	if _, err := lookTool("python3"); err != nil {
		if os.Getenv("VIGIL_LAB_REQUIRED") == "1" {
			t.Fatalf("Debian's python3 is missing: %v", err)
		}
		t.Skip("Debian's python3 is missing")
	}
	w := workDir(t.TempDir())
	script, err := w.write("enip.py", enipHelper, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := serveHelper(t, ctx, script, func(port string) []string {
		return []string{"plc", "--bind", "127.0.0.1", "--port", port, "--reboot", "1"}
	})
	command := func(service string) string {
		out, err := exec.CommandContext(ctx, debianPython, script, "command", "--plc", "127.0.0.1", "--port", port, "--service", service).CombinedOutput()
		if err != nil {
			t.Fatalf("command %s: %v\n%s", service, err, out)
		}
		return string(out)
	}
	if out := command("stop"); !strings.Contains(out, "command stop: answered, status 0x00") {
		t.Errorf("stop: %s", out)
	}
	if out := command("reset"); !strings.Contains(out, "command reset: answered, status 0x00") {
		t.Errorf("reset: %s", out)
	}
	log := w.path("hmi.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hmi := exec.CommandContext(ctx, debianPython, script, "hmi", "--plc", "127.0.0.1", "--port", port, "--interval", "0.05", "--report", "10")
	hmi.Stdout, hmi.Stderr = f, f
	if err := hmi.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hmi.Process.Kill(); _ = hmi.Wait() }()
	// Refused while the PLC reboots, then a session whose reads are
	// answered.
	answered := regexp.MustCompile(`hmi: [1-9][0-9]* of [0-9]+ reads answered`)
	for i := 0; i < 100 && !answered.MatchString(readFile(t, log)); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if out := readFile(t, log); !strings.Contains(out, "hmi: session 0x") || !answered.MatchString(out) {
		t.Errorf("hmi printed %q", out)
	}
}
