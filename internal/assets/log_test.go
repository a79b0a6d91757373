package assets

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReadLog(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	feed(inv, "_syn", synLinux, synWindows)
	inv.Close()
	dir := t.TempDir()
	if err := inv.WriteLog(dir); err != nil {
		t.Fatal(err)
	}
	hosts, err := ReadLog(filepath.Join(dir, LogName))
	if err != nil {
		t.Fatal(err)
	}
	want := inv.Hosts()
	if len(hosts) != len(want) {
		t.Fatalf("read back %d hosts, wrote %d", len(hosts), len(want))
	}
	for i := range want {
		a, _ := json.Marshal(hosts[i])
		b, _ := json.Marshal(want[i])
		if !bytes.Equal(a, b) {
			t.Errorf("host %d differs:\n%s\n%s", i, a, b)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, LogName))
	if n := bytes.Count(data, []byte("\n")); n != len(hosts) {
		t.Errorf("%d lines for %d hosts", n, len(hosts))
	}
	if _, err := os.Stat(filepath.Join(dir, LogName+".tmp")); !os.IsNotExist(err) {
		t.Error("temporary file left behind")
	}
	if err := inv.WriteLog(filepath.Join(dir, "missing", "dir")); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	if _, err := ReadLog(filepath.Join(dir, "nope.log")); err == nil {
		t.Error("missing log read")
	}
	bad := filepath.Join(dir, "bad.log")
	writeFile(t, bad, "{\"host\":\"x\"}\nnot json\n")
	if _, err := ReadLog(bad); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad log: %v", err)
	}
}

func TestRunCommand(t *testing.T) {
	inv := newInv(t, nil)
	scenario(inv)
	feed(inv, "_syn", synLinux)
	inv.Close()
	dir := t.TempDir()
	if err := inv.WriteLog(dir); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := RunCommand([]string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{"ADDRESS", "b8:27:eb:01:02:03", "Raspberry Pi", "Linux 3.x+", "telnet_offered", "tcp/1883 mqtt", "hosts\n"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	out.Reset()
	if err := RunCommand([]string{dir, "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	if hosts, err := ReadHosts(&out); err != nil || len(hosts) != len(inv.Hosts()) {
		t.Errorf("--json: %d hosts, %v", len(hosts), err)
	}
	out.Reset()
	if err := RunCommand([]string{"--detail", filepath.Join(dir, LogName)}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "rule tcp-linux") || !strings.Contains(out.String(), "finding  [2] telnet_offered") {
		t.Errorf("--detail:\n%s", out.String())
	}
	if err := RunCommand([]string{"a", "b"}, &out); err == nil {
		t.Error("two directories accepted")
	}
	if err := RunCommand([]string{t.TempDir()}, &out); err == nil {
		t.Error("directory without assets.log accepted")
	}
	out.Reset()
	if err := RunCommand([]string{"-h"}, &out); err != nil || !strings.Contains(out.String(), "Usage: vigil assets") {
		t.Errorf("-h: %v %s", err, out.String())
	}
}

// TestRunCommandNewcomer: the table names a device a rule identified (an
// EtherNet/IP or Modbus device's reported product), and a directory
// without an inventory is answered with what to give instead.
func TestRunCommandNewcomer(t *testing.T) {
	dir := t.TempDir()
	h := Host{Key: "e4:aa:ea:a9:25:2f", MAC: "e4:aa:ea:a9:25:2f", Addrs: []Addr{{Addr: "172.25.23.2"}},
		Class:  &Guess{Value: "ics", Confidence: 0.98},
		Device: &Guess{Value: "Rockwell Automation/Allen-Bradley 1756-ENBT/A", Confidence: 0.95}}
	f, err := os.Create(filepath.Join(dir, LogName))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHosts(f, []Host{h}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var out bytes.Buffer
	if err := RunCommand([]string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "DEVICE") || !strings.Contains(out.String(), "Rockwell Automation/Allen-Bradley 1756-ENBT/A (0.95)") {
		t.Errorf("the table does not name the device:\n%s", out.String())
	}
	empty := t.TempDir()
	if err := RunCommand([]string{empty}, &out); err == nil || !strings.Contains(err.Error(), "holds no assets.log") || !strings.Contains(err.Error(), "vigil analyze") {
		t.Errorf("directory without assets.log: %v", err)
	}
	t.Chdir(empty)
	if err := RunCommand(nil, &out); err == nil || !strings.Contains(err.Error(), "no vigil-out here") {
		t.Errorf("no vigil-out: %v", err)
	}
	out.Reset()
	if err := RunCommand([]string{"--jsn", dir}, &out); err == nil || !strings.Contains(err.Error(), "-jsn") || out.Len() != 0 {
		t.Errorf("--jsn: %v, printed %q", err, out.String())
	}
}
