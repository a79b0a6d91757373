package lab

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// The sprayed servers are LAN addresses that no host and no DHCP lease
// has, the scenario's victims, and hydra's target list.
func TestSprayServers(t *testing.T) {
	addrs := sprayAddrs()
	dhcpFirst, dhcpLast := netip.MustParseAddr("10.66.0.100"), netip.MustParseAddr("10.66.0.150")
	seen := map[netip.Addr]bool{}
	for _, h := range allHosts {
		seen[h.IPv4()] = true
	}
	for _, a := range addrs {
		if !lanNet4.Contains(a) || seen[a] || a.Compare(dhcpFirst) >= 0 && a.Compare(dhcpLast) <= 0 || a == lanNet4.Addr() {
			t.Errorf("spray server %s", a)
		}
		seen[a] = true
	}
	if len(addrs) < 20 {
		t.Errorf("%d servers: the spraying rule needs 20", len(addrs))
	}
	s, err := Lookup("password-spray")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Victims, addrStrings(addrs)) || s.prepare == nil {
		t.Errorf("victims %v", s.Victims)
	}
	w := workDir(t.TempDir())
	if err := writeWordlists(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, w.path("words/spray-targets.txt")); got != strings.Join(s.Victims, "\n")+"\n" {
		t.Errorf("targets %q", got)
	}
	cmds := dryRun(t, s, s.Duration)
	if len(cmds) != 1 || !strings.Contains(cmds[0], "vgl-atk hydra ") || !strings.Contains(cmds[0], "/words/spray-targets.txt ") || !strings.HasSuffix(cmds[0], " ssh") {
		t.Errorf("commands %q", cmds)
	}
}
