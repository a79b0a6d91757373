package ipv6mon_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/ipv6mon"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// analyse runs the pipeline on path with a monitor attached.
func analyse(t *testing.T, cfg ipv6mon.Config, path string) *ipv6mon.Monitor {
	t.Helper()
	mon := ipv6mon.New(cfg, nil)
	acfg := analyze.DefaultConfig()
	acfg.Workers = 1
	acfg.OutDir = t.TempDir()
	acfg.Consumers = []analyze.Consumer{mon}
	if _, err := analyze.Run(context.Background(), acfg, []string{path}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := mon.Close(); err != nil {
		t.Fatal(err)
	}
	return mon
}

func classes(fs []ipv6mon.Finding) []string {
	set := map[string]bool{}
	for _, f := range fs {
		set[f.Class] = true
	}
	var out []string
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// TestSuricataVerifyIPv6Evasion: every THC-IPv6 capture of suricata-verify's
// ipv6-evasion set is flagged with the class its attack belongs to.
func TestSuricataVerifyIPv6Evasion(t *testing.T) {
	root := testcorpus.Require(t)
	dir := filepath.Join(root, "suricata-verify", "tests", "ipv6-evasion")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := func(name string) string {
		switch {
		case strings.Contains(name, "kill-router"):
			return "ipv6.kill_router"
		case strings.Contains(name, "rsmurf"):
			return "ipv6.smurf"
		}
		return "ipv6.evasion"
	}
	flagged := 0
	for _, e := range entries {
		pcaps, _ := filepath.Glob(filepath.Join(dir, e.Name(), "*.pcap"))
		if len(pcaps) == 0 {
			continue
		}
		mon := analyse(t, ipv6mon.DefaultConfig(), pcaps[0])
		got := classes(mon.Findings())
		ok := false
		for _, c := range got {
			ok = ok || c == want(e.Name())
		}
		if ok {
			flagged++
		} else {
			t.Errorf("%s: want %s, raised %v", e.Name(), want(e.Name()), got)
		}
		t.Logf("%-34s want %-18s raised %v", e.Name(), want(e.Name()), got)
	}
	t.Logf("ipv6-evasion: %d/%d cases flagged with their class", flagged, len(entries))
}

// TestZeekIPv6Traces: Zeek's IPv6 traces give the facts their baselines
// show: the RH0 and malformed destination options Zeek logs as weirds are
// evasions, the redirect is a redirect, Teredo/AYIYA/6in4/4in6/GRE are tunnels (the
// Teredo server's tunnelled RAs are not this link's router), the router
// advertisement teaches a router, and fragmented DNS is quiet.
func TestZeekIPv6Traces(t *testing.T) {
	root := testcorpus.Require(t)
	traces := filepath.Join(root, "zeek", "testing", "btest", "Traces")
	cases := []struct {
		trace   string
		want    []string // classes that must be raised
		never   []string // classes that must not
		routers int      // routers learned (-1: any)
	}{
		{"ipv6-hbh-routing0.pcap", []string{"ipv6.evasion"}, nil, -1},
		{"ipv6-mobility-dst-opts.pcap", []string{"ipv6.evasion"}, nil, -1},
		{"icmp/icmp6-redirect.pcap", []string{"ipv6.redirect"}, nil, -1},
		{"icmp/icmp6-router-advert.pcap", nil, []string{"ipv6.rogue_ra", "ipv6.kill_router"}, 1},
		{"tunnels/Teredo.pcap", []string{"ipv6.tunnel"}, []string{"ipv6.kill_router", "ipv6.rogue_ra"}, 0},
		{"tunnels/ayiya3.pcap", []string{"ipv6.tunnel"}, nil, -1},
		{"tunnels/6in4.pcap", []string{"ipv6.tunnel"}, nil, -1},
		{"tunnels/4in6.pcap", []string{"ipv6.tunnel"}, nil, -1},
		// A GRE (ERSPAN) tunnel whose first inner connections are IPv4 and
		// later ones IPv6: an IPv6 tunnel, counted by its IPv6 connections
		// (a first fix of 4in6 dropped it as a tunnel of IPv4 only).
		{"erspan.pcap", []string{"ipv6.tunnel"}, nil, -1},
		{"ipv6-fragmented-dns.pcap", nil, []string{"ipv6.evasion", "anomaly"}, -1},
	}
	for _, c := range cases {
		mon := analyse(t, ipv6mon.DefaultConfig(), filepath.Join(traces, c.trace))
		got := classes(mon.Findings())
		has := map[string]bool{}
		for _, g := range got {
			has[g] = true
		}
		for _, w := range c.want {
			if !has[w] {
				t.Errorf("%s: want %s, raised %v", c.trace, w, got)
			}
		}
		for _, n := range c.never {
			if has[n] {
				t.Errorf("%s: raised %s (%v)", c.trace, n, got)
			}
		}
		if r := len(mon.Routers()); c.routers >= 0 && r != c.routers {
			t.Errorf("%s: %d routers learned, want %d", c.trace, r, c.routers)
		}
		t.Logf("%-32s %v", c.trace, got)
	}
}
