package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	scenarioName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	mitreID      = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
)

// The registry is complete: every scenario says what it is, what it needs
// and what a detector should make of it, in DESIGN.md's vocabulary.
func TestRegistryComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			if !scenarioName.MatchString(s.Name) || seen[s.Name] {
				t.Errorf("name %q is not a unique lower-case-dashed name", s.Name)
			}
			seen[s.Name] = true
			if s.Description == "" || s.attack == nil {
				t.Error("no description or no attack")
			}
			if !slices.Contains([]Difficulty{Easy, Medium, Hard}, s.Difficulty) {
				t.Errorf("difficulty %q", s.Difficulty)
			}
			// A long connection is long: longconn holds its session for
			// minutes (its labels lower the threshold to match).
			// So is a slow scan: slow-scan's probes are 17 s apart, and
			// the scan detector's slow tier needs 30 ports.
			longest := 40 * time.Second
			if slices.Contains(s.Classes, "conn.long") || s.Name == "slow-scan" {
				longest = MaxDuration
			}
			if s.Duration < 5*time.Second || s.Duration > longest {
				t.Errorf("default duration %s outside 5s–%s", s.Duration, longest)
			}
			for _, c := range s.Classes {
				if !IsAlertClass(c) {
					t.Errorf("class %q is not in DESIGN.md's list", c)
				}
			}
			for _, m := range s.MITRE {
				if !mitreID.MatchString(m) {
					t.Errorf("MITRE id %q", m)
				}
			}
			for _, tool := range s.Tools {
				if _, ok := toolPackages[tool]; !ok {
					t.Errorf("tool %q has no Debian package in toolPackages", tool)
				}
			}
			for _, v := range s.Victims {
				if !inLab(v) {
					t.Errorf("victim %q is not a lab address", v)
				}
			}
			if s.Name == "benign" {
				if len(s.Classes)+len(s.MITRE)+len(s.Tools) != 0 || s.Attacker != nil {
					t.Error("the benign scenario has an attack")
				}
				return
			}
			if len(s.Classes) == 0 || len(s.MITRE) == 0 || len(s.Tools) == 0 || len(s.Victims) == 0 {
				t.Error("an attack needs classes, MITRE ids, tools and victims")
			}
			if s.Attacker == nil && len(s.AttackerAddrs) == 0 {
				t.Error("no attacker")
			}
		})
	}
	for _, want := range []string{"benign", "mirai", "nmap-syn", "nmap-udp", "nmap-version", "nmap6", "masscan", "scan6",
		"syn-flood", "udp-flood", "icmp-flood", "dns-amplification", "bruteforce-ssh", "bruteforce-telnet",
		"bruteforce-ftp", "bruteforce-http", "bruteforce-mqtt", "iodine", "beacon", "exfil", "arp-spoof",
		"ipv6-rogue-ra", "ipv6-ra-flood", "ipv6-kill-router", "ipv6-na-spoof", "ipv6-dad-dos", "ipv6-redirect",
		"ipv6-evasion", "mqtt-abuse", "memcached-amplification", "intel-ioc", "dga", "password-spray", "ics-modbus", "longconn",
		"bruteforce-http-form", "ics-dnp3", "credential-stuffing", "slow-scan", "ics-cip", "ssh-botnet", "tls-expired"} {
		if !seen[want] {
			t.Errorf("scenario %s is missing", want)
		}
	}
}

// labRanges are the only networks a command line may name.
var labRanges = []netip.Prefix{lanNet4, lanNet6, slaacNet6, outsideNet4, outsideNet6, tunnelNet4, rogueNet6, smuggleNet4, smuggleNet6,
	netip.MustParsePrefix("fe80::/10")}

func inLab(s string) bool {
	if p, err := netip.ParsePrefix(s); err == nil {
		return slices.ContainsFunc(labRanges, func(r netip.Prefix) bool { return r.Contains(p.Addr()) && p.Bits() >= r.Bits() })
	}
	a, err := netip.ParseAddr(s)
	return err == nil && slices.ContainsFunc(labRanges, func(r netip.Prefix) bool { return r.Contains(a) })
}

// dryRun runs a scenario's attack without running anything and returns
// the command lines it would run.
func dryRun(t *testing.T, s *Scenario, d time.Duration) []string {
	t.Helper()
	a := &attackRun{ctx: context.Background(), w: workDir(t.TempDir()), duration: d, dryRun: true, clock: time.Unix(1_800_000_000, 0)}
	if err := s.attack(a); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	return a.commands
}

var addrLike = regexp.MustCompile(`^[0-9a-fA-F:.]+(/[0-9]+)?$|^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?$`)

// Every command line runs inside a lab namespace, names only lab
// addresses, runs a tool the scenario declares (so the tool check covers
// it) and is bounded: counts, rates and timeouts stay small.
func TestCommandLinesBounded(t *testing.T) {
	for _, s := range Scenarios() {
		for _, d := range []time.Duration{s.Duration, MaxDuration} {
			t.Run(s.Name+"/"+d.String(), func(t *testing.T) {
				cmds := dryRun(t, s, d)
				if s.Name != "benign" && len(cmds) == 0 {
					t.Fatal("no command")
				}
				if len(cmds) > 200 {
					t.Errorf("%d commands", len(cmds))
				}
				for _, c := range cmds {
					checkCommand(t, s, d, c)
				}
			})
		}
	}
}

func checkCommand(t *testing.T, s *Scenario, d time.Duration, cmd string) {
	t.Helper()
	fields := strings.Fields(cmd)
	if len(fields) < 5 || strings.Join(fields[:3], " ") != "ip netns exec" || !strings.HasPrefix(fields[3], Prefix) {
		t.Fatalf("%q does not run inside a lab namespace", cmd)
	}
	tool := fields[4]
	declared := append([]string{"ip", "sysctl"}, s.Tools...)
	if tool == "sh" {
		tool = "inetutils-telnet" // the scripted telnet session's client
		if strings.Contains(cmd, " kinit ") {
			tool = "kinit" // kerberos-spray's loop of kinit, a password on its stdin each
		}
	}
	if tool == debianPython {
		// The lab's Python helper: the modules it imports are the tool.
		for _, t := range s.Tools {
			if _, ok := pythonModules[t]; ok {
				declared = append(declared, debianPython)
			}
		}
	}
	if !slices.Contains(declared, tool) {
		t.Errorf("%q runs %s, which the scenario does not declare", cmd, tool)
	}
	if strings.Contains(cmd, "--flood") {
		t.Errorf("%q: unbounded flood", cmd)
	}
	for _, f := range fields[5:] {
		for _, part := range strings.Split(strings.Trim(f, "',"), ",") {
			part = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(part, "ssh://"), "ftp://"), "mqtt://")
			if addrLike.MatchString(part) && strings.ContainsAny(part, ".:") && strings.Count(part, ".")+strings.Count(part, ":") >= 3 && !inLab(part) {
				t.Errorf("%q names %s, outside the lab", cmd, part)
			}
		}
	}
	if tool == "hping3" {
		checkHping(t, cmd, fields, d)
	}
}

// checkHping bounds hping3: a count and an interval, so packets ≤ 1000/s
// for the attack's duration.
func checkHping(t *testing.T, cmd string, fields []string, d time.Duration) {
	t.Helper()
	i := slices.Index(fields, "-c")
	if i < 0 || i+1 >= len(fields) {
		t.Errorf("%q: hping3 without -c", cmd)
		return
	}
	n, err := strconv.Atoi(fields[i+1])
	if err != nil || n < 1 || float64(n) > 1000*d.Seconds()+1 {
		t.Errorf("%q: count %s beyond 1000/s for %s", cmd, fields[i+1], d)
	}
	if n > 1 && !slices.Contains(fields, "-i") {
		t.Errorf("%q: several packets without an interval", cmd)
	}
}

// The address check of TestCommandLinesBounded recognises the outside
// world.
func TestInLab(t *testing.T) {
	for _, a := range []string{"10.66.0.30", "10.66.0.0/24", "fd66::10", "fe80::66:ff:fe00:42", "2001:db8:bad::/64", "203.0.113.59"} {
		if !inLab(a) {
			t.Errorf("%s is in the lab", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "10.0.0.1", "192.168.1.0/24", "10.66.0.0/16", "2001:4860::8888", "172.17.0.1"} {
		if inLab(a) {
			t.Errorf("%s is outside the lab", a)
		}
	}
}

func TestScenarioHelpers(t *testing.T) {
	if got := miraiSeq(netip.MustParseAddr("10.66.0.30")); got != 0x0a42001e {
		t.Errorf("miraiSeq = %#x", got)
	}
	if len(miraiTargets()) != len(lanHosts)-1+miraiOutside {
		t.Errorf("%d Mirai targets", len(miraiTargets()))
	}
	for _, a := range miraiTargets() {
		if !inLab(a.String()) {
			t.Errorf("Mirai target %s outside the lab", a)
		}
	}
	if got := shellJoin([]string{"sh", "-c", "a 'b' | c", "x"}); got != `sh -c 'a '\''b'\'' | c' x` {
		t.Errorf("shellJoin = %s", got)
	}
	q := dnsQuery()
	if len(q) != dnsQueryLen() || q[len(q)-9] != 41 { // the OPT record's type
		t.Errorf("dns query % x", q)
	}
	if !containsAddr("4: dns0    inet 10.99.0.2/27 scope global dns0", tunnelNet4) || containsAddr("inet 10.66.0.21/24", tunnelNet4) {
		t.Error("containsAddr")
	}
}

// TestMemcachedPayloads: the UDP get carries memcached's frame header
// (sequence 0 of 1 datagram) before the command; the seed stores exactly
// the value's length and quits; a 100 KB answer takes 72 datagrams of at
// most 1400 bytes (as memcached 1.6 sent it in a test on loopback:
// 72 datagrams, 100,608 bytes, for a 100,000-byte value under an
// eight-letter key).
func TestMemcachedPayloads(t *testing.T) {
	req := memcachedRequest()
	if got := string(req[2:8]); got != "\x00\x00\x00\x01\x00\x00" || string(req[8:]) != "get "+memcachedKey+"\r\n" {
		t.Errorf("request % x", req)
	}
	seed := string(memcachedSeed())
	head, rest, _ := strings.Cut(seed, "\r\n")
	value, tail, _ := strings.Cut(rest, "\r\n")
	if head != fmt.Sprintf("set %s 0 0 %d", memcachedKey, memcachedValueLen) || len(value) != memcachedValueLen || tail != "quit\r\n" {
		t.Errorf("seed %q … %q", seed[:40], seed[len(seed)-20:])
	}
	if n := memcachedDatagrams(); n != 72 {
		t.Errorf("%d datagrams per answer, want 72", n)
	}
}

func TestHostAddresses(t *testing.T) {
	if got := hostWS1.IPv6().String(); got != "fd66::21" {
		t.Errorf("ws1 IPv6 %s", got)
	}
	if got := hostAtk.LinkLocal().String(); got != "fe80::66:ff:fe00:42" {
		t.Errorf("atk link-local %s", got)
	}
	if got := hostServer.SLAAC().String(); got != "2001:db8:66:0:66:ff:fe00:a" {
		t.Errorf("srv SLAAC %s", got)
	}
	if got := hostExt.IPv4().String(); got != "203.0.113.10" {
		t.Errorf("ext IPv4 %s", got)
	}
	seen := map[string]bool{}
	for _, h := range allHosts {
		for _, a := range []string{h.IPv4().String(), h.IPv6().String(), h.MAC().String(), h.NS()} {
			if seen[a] {
				t.Errorf("%s used twice", a)
			}
			seen[a] = true
		}
	}
}

func TestToolPackages(t *testing.T) {
	for _, tool := range labTools {
		if _, ok := toolPackages[tool]; !ok {
			t.Errorf("lab tool %q has no package", tool)
		}
	}
	// A scenario's own daemons are among its tools, so that the tool
	// check covers them.
	for _, s := range Scenarios() {
		for _, svc := range s.services {
			if !slices.Contains(s.Tools, svc.name) {
				t.Errorf("%s: service %s is not among its tools %v", s.Name, svc.name, s.Tools)
			}
		}
	}
	// scripts/lab-deps.sh installs every package the tools come from.
	script, rerr := os.ReadFile("../../scripts/lab-deps.sh")
	if rerr != nil {
		t.Fatal(rerr)
	}
	_, list, _ := strings.Cut(string(script), "packages=\"")
	list, _, _ = strings.Cut(list, "\"")
	for tool, pkgs := range toolPackages {
		for _, pkg := range strings.Fields(pkgs) {
			if !slices.Contains(strings.Fields(list), pkg) {
				t.Errorf("package %s (of %s) is not in scripts/lab-deps.sh", pkg, tool)
			}
		}
	}
	for tool := range pythonModules {
		if _, ok := toolPackages[tool]; !ok {
			t.Errorf("python module %s has no package", tool)
		}
	}
	err := &MissingToolsError{Tools: []string{"hping3", "atk6-parasite6"}, Packages: []string{"hping3", "thc-ipv6"}}
	for _, want := range []string{"hping3, atk6-parasite6", "hping3 thc-ipv6", "scripts/lab-deps.sh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err.Error(), want)
		}
	}
}
