package lab

import (
	"fmt"
	"time"
)

// Reconnaissance: nmap, masscan and scan6, each rate-capped.

// dirbWordlist is the wordlist of Debian's dirb package, dirbWords long.
const (
	dirbWordlist = "/usr/share/dirb/wordlists/small.txt"
	dirbWords    = 959
	// devVhost is srv's staging site, served only under its own name:
	// "dev" is in dirb's small wordlist.
	devVhost = "dev." + lanDomain
)

// The slow scan's pace: slowScanPorts ports, one every slowScanDelay; the
// scan detector's slow tier reports slowScanCrossing ports of one host.
const (
	slowScanPorts    = 32
	slowScanDelay    = 17 * time.Second
	slowScanCrossing = 30
)

func init() {
	register(
		&Scenario{
			Name: "benign", Difficulty: Easy,
			Description: "Only the benign background (web, DNS, SSH, MQTT, CoAP, NTP, DHCP, SLAAC, ping): the baseline for false alerts.",
			Duration:    20 * time.Second,
			attack:      func(a *attackRun) error { return a.sleep(a.duration) },
		},
		&Scenario{
			Name: "nmap-syn", Difficulty: Easy,
			Description: "nmap SYN scan of the 1000 most common TCP ports of the server and the IoT hub (400 probes/s).",
			Tools:       []string{"nmap"}, Classes: []string{"scan.vertical"}, MITRE: []string{"T1046"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostServer, hostIoT), Duration: 20 * time.Second,
			attack: func(a *attackRun) error {
				return a.run(hostAtk, "nmap", "-sS", "-n", "-Pn", "-T4", "--max-rate", "400", "--top-ports", "1000",
					"--host-timeout", seconds(a.duration)+"s", hostServer.IPv4().String(), hostIoT.IPv4().String())
			},
		},
		&Scenario{
			Name: "nmap-udp", Difficulty: Medium,
			Description: "nmap UDP scan of the 1000 most common UDP ports of the server and the IoT hub (200 probes/s).",
			Tools:       []string{"nmap"}, Classes: []string{"scan.vertical"}, MITRE: []string{"T1046"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostServer, hostIoT), Duration: 25 * time.Second,
			attack: func(a *attackRun) error {
				return a.run(hostAtk, "nmap", "-sU", "-n", "-Pn", "--max-rate", "200", "--max-retries", "1",
					"--top-ports", "1000", "--host-timeout", seconds(a.duration)+"s",
					hostServer.IPv4().String(), hostIoT.IPv4().String())
			},
		},
		&Scenario{
			Name: "nmap-version", Difficulty: Medium,
			Description: "nmap service and version detection (-sV) of the top 100 ports of the server and the IoT hub: closed ports answered by resets, full connections and protocol probes on the open ones.",
			Tools:       []string{"nmap"}, Classes: []string{"scan.vertical"}, MITRE: []string{"T1046"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostServer, hostIoT), Duration: 30 * time.Second,
			attack: func(a *attackRun) error {
				return a.run(hostAtk, "nmap", "-sV", "--version-light", "-n", "-Pn", "-T4",
					"--top-ports", "100", "--host-timeout", seconds(a.duration)+"s",
					hostServer.IPv4().String(), hostIoT.IPv4().String())
			},
		},
		&Scenario{
			Name: "nmap6", Difficulty: Medium,
			Description: "nmap SYN scan over IPv6 of the server's and the IoT hub's static addresses (1000 ports each).",
			Tools:       []string{"nmap"}, Classes: []string{"scan.v6", "scan.vertical"}, MITRE: []string{"T1046"},
			Attacker: hostPtr(hostAtk), Victims: v6(hostServer, hostIoT), Duration: 20 * time.Second,
			attack: func(a *attackRun) error {
				return a.run(hostAtk, "nmap", "-6", "-sS", "-n", "-Pn", "-T4", "--max-rate", "400", "--top-ports", "1000",
					"--host-timeout", seconds(a.duration)+"s", hostServer.IPv6().String(), hostIoT.IPv6().String())
			},
		},
		&Scenario{
			Name: "slow-scan", Difficulty: Hard,
			Description: fmt.Sprintf("Slow vertical scan: nmap SYN-probes %d TCP ports of the server one at a time, %s apart (--scan-delay), "+
				"too slow for the scan detector's 5-minute episode (20 ports in 300 s), caught by its slow tier (%d ports of one host in 6 h).",
				slowScanPorts, slowScanDelay, slowScanCrossing),
			Tools: []string{"nmap"}, Classes: []string{"scan.vertical"}, MITRE: []string{"T1046"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostServer), Duration: MaxDuration,
			Notes: fmt.Sprintf("the first %d probes span %s, more than the fast tier's 300 s; the slow tier crosses at the %dth port, "+
				"%s after the first: a --duration under that shows no scan", 20, 19*slowScanDelay, slowScanCrossing, (slowScanCrossing-1)*slowScanDelay),
			attack: func(a *attackRun) error {
				return a.runUpTo(hostAtk, a.duration, "nmap", "-sS", "-n", "-Pn", "--scan-delay", seconds(slowScanDelay)+"s",
					"--max-retries", "0", "-p", fmt.Sprintf("1-%d", slowScanPorts), "--host-timeout", seconds(a.duration)+"s",
					hostServer.IPv4().String())
			},
		},
		&Scenario{
			Name: "web-scan", Difficulty: Easy,
			Description: fmt.Sprintf("dirb content discovery: the %d words of its small wordlist requested from srv's web server, one path after another (not recursing), most answered 404; it finds the intranet's directories.", dirbWords),
			Tools:       []string{"dirb"}, Classes: []string{"scan.web"}, MITRE: []string{"T1595.003"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostServer), Duration: 20 * time.Second,
			Notes: "dirb sends Internet Explorer 6's user agent: the behaviour gives it away, not its name",
			attack: func(a *attackRun) error {
				return a.runUpTo(hostAtk, a.duration, "dirb", "http://"+hostServer.IPv4().String()+"/", dirbWordlist, "-S", "-r", "-w")
			},
		},
		&Scenario{
			Name: "web-vhost-scan", Difficulty: Medium,
			Description: fmt.Sprintf("gobuster virtual-host enumeration: srv's web server asked for its front page under each of the %d words of dirb's small wordlist as a name in %s (Host: WORD.%s); the default site answers every unknown name alike, and the staging site %s stands out.", dirbWords, lanDomain, lanDomain, devVhost),
			Tools:       []string{"gobuster"}, Classes: []string{"scan.web"}, MITRE: []string{"T1595.003"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostServer), Duration: 20 * time.Second,
			Notes: "one path (/) under hundreds of names: the names, not the paths, are the wordlist",
			attack: func(a *attackRun) error {
				return a.runUpTo(hostAtk, a.duration, "gobuster", "vhost", "-u", "http://"+hostServer.IPv4().String()+"/",
					"--domain", lanDomain, "--append-domain", "-w", dirbWordlist, "-t", "4", "-q", "-z", "--no-color")
			},
		},
		&Scenario{
			Name: "masscan", Difficulty: Easy,
			Description: "masscan sweep of the whole LAN /24 for eight service ports (400 packets/s, every probe sent through the router's MAC as masscan does).",
			Tools:       []string{"masscan"}, Classes: []string{"scan.horizontal"}, MITRE: []string{"T1046", "T1595.001"},
			Attacker: hostPtr(hostAtk), Victims: []string{lanNet4.String()}, Duration: 15 * time.Second,
			Notes: "the whole LAN /24 was swept",
			attack: func(a *attackRun) error {
				return a.run(hostAtk, "masscan", lanNet4.String(), "-p21,22,23,80,443,1883,2323,8080",
					"--rate", "400", "--wait", "2", "-e", "eth0", "--router-ip", hostRouter.IPv4().String())
			},
		},
		&Scenario{
			Name: "scan6", Difficulty: Medium,
			Description: "ipv6toolkit scan6: link-local multicast discovery, then an address sweep of the low 256 addresses of the LAN's ULA prefix.",
			Tools:       []string{"scan6"}, Classes: []string{"scan.v6"}, MITRE: []string{"T1046", "T1595.001"},
			Attacker: hostPtr(hostAtk), Victims: []string{lanNet6.String()}, Duration: 20 * time.Second,
			Notes: "the low addresses of fd66::/64 were swept; every live host answered",
			attack: func(a *attackRun) error {
				return a.sequence(
					a.phased("multicast discovery", func() error {
						return a.run(hostAtk, "scan6", "-i", "eth0", "-L", "-e", "-v")
					}),
					a.phased("address sweep", func() error {
						return a.run(hostAtk, "scan6", "-i", "eth0", "-d", fmt.Sprintf("%s0-ff", lanNet6.Addr()), "-r", "200pps")
					}))
			},
		},
	)
}

// v4 and v6 are the hosts' IPv4 or IPv6 addresses.
func v4(hosts ...Host) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.IPv4().String())
	}
	return out
}

func v6(hosts ...Host) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.IPv6().String())
	}
	return out
}
