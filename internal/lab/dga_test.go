package lab

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The lab's DGA makes the same list for a day whatever the hour, another
// the next day, names of 12–18 letters under its three TLDs, and the
// resolver's configuration answers the registered names of the day and the
// next (and NXDOMAIN for the rest under those TLDs).
func TestDGANames(t *testing.T) {
	day := time.Date(2026, 3, 14, 0, 30, 0, 0, time.UTC)
	a, b := dgaNames(day, dgaPerDay), dgaNames(day.Add(23*time.Hour), dgaPerDay)
	if !slices.Equal(a, b) {
		t.Error("the list changes within a day")
	}
	next := dgaNames(day.Add(24*time.Hour), dgaPerDay)
	shape := regexp.MustCompile(`^[a-z]{12,18}\.(com|net|info)$`)
	seen := map[string]bool{}
	for i, n := range a {
		if !shape.MatchString(n) {
			t.Errorf("name %q", n)
		}
		if n == next[i] {
			t.Errorf("name %d the same on the next day: %s", i, n)
		}
		seen[n] = true
	}
	if len(seen) != dgaPerDay {
		t.Errorf("%d distinct names of %d", len(seen), dgaPerDay)
	}
	if got := dgaNames(day, 3); !slices.Equal(got, a[:3]) {
		t.Errorf("first names %v, not %v", got, a[:3])
	}
	c2 := dgaC2Names(day)
	if len(c2) != 2 || c2[0] != a[dgaRegistered] || c2[1] != next[dgaRegistered] {
		t.Errorf("C2 names %v", c2)
	}
	argv, err := dnsmasqConfig(workDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	conf := readConf(t, argv)
	for _, n := range dgaC2Names(time.Now()) {
		if !strings.Contains(conf, "host-record="+n+","+hostExt.IPv4().String()) {
			t.Errorf("dnsmasq does not resolve %s", n)
		}
	}
	if !strings.Contains(conf, "local=/com/net/info/\n") {
		t.Error("dnsmasq does not answer NXDOMAIN under the DGA's TLDs")
	}
}

func readConf(t *testing.T, argv []string) string {
	t.Helper()
	for _, a := range argv {
		if p, ok := strings.CutPrefix(a, "--conf-file="); ok {
			return readFile(t, p)
		}
	}
	t.Fatalf("no configuration file in %v", argv)
	return ""
}

// The dga scenario's commands: one dig reading a batch file, the
// check-ins by the registered name.
func TestDGACommands(t *testing.T) {
	s, err := Lookup("dga")
	if err != nil {
		t.Fatal(err)
	}
	cmds := dryRun(t, s, s.Duration)
	if len(cmds) != 1+dgaCheckins || !strings.Contains(cmds[0], "vgl-ws1 dig -f ") || !strings.HasSuffix(cmds[0], "@"+hostServer.IPv4().String()) {
		t.Fatalf("commands %q", cmds)
	}
	c2 := dgaNames(time.Unix(1_800_000_000, 0), dgaRegistered+1)[dgaRegistered]
	for _, c := range cmds[1:] {
		if !strings.Contains(c, "vgl-ws1 curl ") || !strings.Contains(c, "http://"+c2+"/") {
			t.Errorf("check-in %q", c)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
