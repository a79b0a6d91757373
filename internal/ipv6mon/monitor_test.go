package ipv6mon

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// feed gives the monitor one fact or record built from a map.
func feed(m *Monitor, log string, rec map[string]any) {
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err)
	}
	m.Record(log, b)
}

func ra(ts float64, src, mac, pfx string, lifetime int, prf string) map[string]any {
	return map[string]any{"ts": ts, "type": "ra", "src": src, "dst": "ff02::1", "src_mac": mac, "hop_limit": 255,
		"flags": "", "prf": prf, "router_lifetime": lifetime, "ll_addr": mac,
		"prefixes": []any{map[string]any{"prefix": pfx, "flags": "LA", "valid": 86400, "preferred": 14400}}}
}

func na(ts float64, src, mac, target, flags string) map[string]any {
	return map[string]any{"ts": ts, "type": "na", "src": src, "dst": "ff02::1", "src_mac": mac, "hop_limit": 255,
		"flags": flags, "target": target, "ll_addr": mac}
}

func ns(ts float64, src, mac, target string) map[string]any {
	return map[string]any{"ts": ts, "type": "ns", "src": src, "dst": "ff02::1:ff00:1", "src_mac": mac, "hop_limit": 255, "target": target}
}

const (
	routerLL  = "fe80::1"
	routerMAC = "02:00:00:00:00:01"
)

// benignLink: a router advertising every 10 s for 10 minutes, hosts doing
// DAD and answering solicitations for themselves.
func benignLink(m *Monitor) {
	for i := 0; i < 60; i++ {
		feed(m, "_nd", ra(float64(i*10), routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
	}
	for h := 2; h < 12; h++ {
		mac := fmt.Sprintf("02:00:00:00:00:%02x", h)
		addr := fmt.Sprintf("2001:db8:1::%x", h)
		feed(m, "_nd", ns(float64(h), "::", mac, addr)) // DAD, nobody answers
		feed(m, "_nd", ns(float64(h)+100, routerLL, routerMAC, addr))
		feed(m, "_nd", na(float64(h)+100.01, addr, mac, addr, "SO"))
	}
}

func TestMonitorFindsAttacks(t *testing.T) {
	cases := []struct {
		name   string
		attack func(m *Monitor)
		class  string
		src    string
	}{
		{"rogue router after learning", func(m *Monitor) {
			feed(m, "_nd", ra(400, "fe80::bad", "02:00:00:00:0b:ad", "2001:db8:bad::/64", 1800, "high"))
		}, "ipv6.rogue_ra", "fe80::bad"},
		{"known router, new prefix", func(m *Monitor) {
			feed(m, "_nd", ra(400, routerLL, routerMAC, "2001:db8:666::/64", 1800, "medium"))
		}, "ipv6.rogue_ra", routerLL},
		// The router's address from another MAC: that MAC is named.
		{"kill router from another MAC", func(m *Monitor) {
			feed(m, "_nd", ra(400, routerLL, "02:00:00:00:0b:ad", "2001:db8:1::/64", 0, "medium"))
		}, "ipv6.kill_router", "02:00:00:00:0b:ad"},
		{"RA flood with random sources", func(m *Monitor) {
			for i := 0; i < 100; i++ {
				feed(m, "_nd", ra(400+float64(i)*0.01, fmt.Sprintf("fe80::%x", 0x1000+i), fmt.Sprintf("02:00:00:01:%02x:%02x", i>>8, i&255),
					fmt.Sprintf("2001:db8:%x::/64", 0x100+i), 1800, "high"))
			}
		}, "ipv6.ra_flood", ""},
		{"RA flood raises no rogue router per source", func(m *Monitor) {
			for i := 0; i < 100; i++ {
				feed(m, "_nd", ra(400+float64(i)*0.01, fmt.Sprintf("fe80::%x", 0x1000+i), fmt.Sprintf("02:00:00:01:%02x:%02x", i>>8, i&255),
					fmt.Sprintf("2001:db8:%x::/64", 0x100+i), 1800, "high"))
			}
			feed(m, "_nd", ra(500, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
			for _, f := range m.Findings() {
				if f.Class == "ipv6.rogue_ra" {
					panic("rogue_ra raised for a flood source: " + f.Summary)
				}
			}
		}, "ipv6.ra_flood", ""},
		// The thief is named by its MAC (it sends from the stolen
		// address), or by its own address once it has shown one.
		{"override NA steals an address", func(m *Monitor) {
			feed(m, "_nd", na(400, "2001:db8:1::5", "02:00:00:00:0b:ad", "2001:db8:1::5", "O"))
		}, "ipv6.na_spoof", "02:00:00:00:0b:ad"},
		{"override NA from a known host", func(m *Monitor) {
			feed(m, "_nd", na(390, "fe80::bad", "02:00:00:00:0b:ad", "fe80::bad", ""))
			feed(m, "_nd", na(400, "2001:db8:1::5", "02:00:00:00:0b:ad", "2001:db8:1::5", "O"))
		}, "ipv6.na_spoof", "fe80::bad"},
		// It answers for the hosts' addresses (without the override flag,
		// so that only this rule sees it) and for addresses nobody has.
		{"one MAC answers every solicitation", func(m *Monitor) {
			for i := 0; i < 20; i++ {
				feed(m, "_nd", na(400+float64(i), "fe80::bad", "02:00:00:00:0b:ad", fmt.Sprintf("2001:db8:1::%x", 2+i), "S"))
			}
		}, "ipv6.na_spoof", "02:00:00:00:0b:ad"},
		{"DAD answered by an attacker", func(m *Monitor) {
			for i := 0; i < 5; i++ {
				target := fmt.Sprintf("2001:db8:1::%x", 0x200+i)
				feed(m, "_nd", ns(400+float64(i), "::", "02:00:00:00:00:77", target))
				feed(m, "_nd", na(400+float64(i)+0.001, target, "02:00:00:00:0b:ad", target, "O"))
			}
		}, "ipv6.dad_dos", "02:00:00:00:0b:ad"},
		{"echo to all nodes from a global source", func(m *Monitor) {
			feed(m, "_icmp6", map[string]any{"ts": 400.0, "type": 128, "code": 0, "src": "2001:db8:1::5", "dst": "ff02::1", "hop_limit": 64, "len": 56})
		}, "ipv6.smurf", "2001:db8:1::5"},
		// With the frame's MAC known, the sender is named by it and the
		// source it forged is the victim.
		{"echo to all nodes from another host's address", func(m *Monitor) {
			feed(m, "_icmp6", map[string]any{"ts": 400.0, "type": 128, "code": 0, "src": "2001:db8:1::5", "dst": "ff02::1", "src_mac": "02:00:00:00:0b:ad", "hop_limit": 64, "len": 56})
		}, "ipv6.smurf", "02:00:00:00:0b:ad"},
		{"covert destination options", func(m *Monitor) {
			feed(m, "_ip6ext", map[string]any{"ts": 400.0, "src": "2001:db8:1::5", "dst": "2001:db8:2::1", "chain": "60,58", "unknown_opts": "30", "nonzero_pad": true, "opt_bytes": 16})
		}, "ipv6.evasion", "2001:db8:1::5"},
		{"overlapping fragments", func(m *Monitor) {
			feed(m, "weird", map[string]any{"ts": 400.0, "name": "fragment_overlap", "id.orig_h": "2001:db8:1::5", "id.resp_h": "2001:db8:2::1"})
		}, "ipv6.evasion", "2001:db8:1::5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(DefaultConfig(), nil)
			benignLink(m)
			if len(m.Findings()) != 0 {
				t.Fatalf("benign link raised %v", m.Findings())
			}
			c.attack(m)
			m.Close()
			seen := map[string]int{}
			for _, f := range m.Findings() {
				if seen[f.Class]++; seen[f.Class] > 1 && c.src != "" && f.Class == c.class {
					t.Errorf("%s raised more than once: %+v", f.Class, m.Findings())
				}
			}
			for _, f := range m.Findings() {
				if f.Class == c.class && (c.src == "" || f.Src == c.src) {
					if f.Summary == "" || len(f.Evidence) == 0 {
						t.Errorf("finding without summary or evidence: %+v", f)
					}
					return
				}
			}
			t.Errorf("want %s from %q, got %+v", c.class, c.src, m.Findings())
		})
	}
}

func TestBenignLinkIsQuiet(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	// A graceful router restart: same MAC, same prefix.
	feed(m, "_nd", ra(700, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
	m.Close()
	if f := m.Findings(); len(f) != 0 {
		t.Errorf("benign link raised %+v", f)
	}
	p := m.Posture()
	if p.Routers != 1 || p.Rogue != 0 || len(p.Prefixes) != 1 {
		t.Errorf("posture routers %d rogue %d prefixes %v", p.Routers, p.Rogue, p.Prefixes)
	}
}

func withRDNSS(ra map[string]any, servers ...string) map[string]any {
	ra["rdnss"] = servers
	return ra
}

// TestServerWithManyAddresses: a web server answering the router's
// solicitations for its forty addresses, one per site, holds nobody
// else's: no spoofing.
func TestServerWithManyAddresses(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	for i := 0; i < 40; i++ {
		addr := fmt.Sprintf("2001:db8:1::80:%x", i)
		feed(m, "_nd", ns(400+float64(i)/10, routerLL, routerMAC, addr))
		feed(m, "_nd", na(400+float64(i)/10+0.001, addr, "02:00:00:00:00:80", addr, "SO"))
	}
	m.Close()
	if f := m.Findings(); len(f) != 0 {
		t.Errorf("raised %+v", f)
	}
}

// TestEveryNSCountsOthersAddresses: made-up targets between the real
// ones do not dilute a spoofer that answers for the hosts' addresses
// (the third review's case), nor push them out of the bounded set (the
// fourth's), and a MAC's targets stay bounded however many it advertises.
func TestEveryNSCountsOthersAddresses(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	ts := 400.0
	for i := 0; i < 10; i++ {
		for k := 0; k < 40; k++ { // more than the bound on a MAC's targets
			ts += 0.05
			feed(m, "_nd", na(ts, "fe80::bad", "02:00:00:00:0b:ad", fmt.Sprintf("2001:db8:1::ff:%x", 40*i+k), "S"))
		}
		ts += 0.05
		feed(m, "_nd", na(ts, "fe80::bad", "02:00:00:00:0b:ad", fmt.Sprintf("2001:db8:1::%x", 2+i), "S"))
	}
	m.Close()
	if !slices.ContainsFunc(m.Findings(), func(f Finding) bool { return f.Class == "ipv6.na_spoof" }) {
		t.Errorf("padded spoofer not reported: %+v", m.Findings())
	}

	m = New(DefaultConfig(), nil)
	for i := 0; i < 5000; i++ {
		feed(m, "_nd", na(1000+float64(i)/1000, "fe80::bad", "02:00:00:00:0b:ad", fmt.Sprintf("2001:db8:9::%x", i), "S"))
	}
	if n, limit := len(m.nd.answers["02:00:00:00:0b:ad"]), m.nd.answerCap(); n > limit {
		t.Errorf("%d targets kept for one MAC, want at most %d", n, limit)
	}
}

// TestNonDefaultRouter: a router whose advertisements all say lifetime 0
// (no default route: an RFC 4191 router, or OpenWrt's odhcpd without an
// uplink announcing its ULA prefix, as in tcpdump's icmpv6_opt24.pcap)
// kills nothing. Once it has been a default router, lifetime 0 is
// reported; a router learned after the window is rogue whatever its
// lifetime, at severity 2 when it offers no default route nor DNS server.
func TestNonDefaultRouter(t *testing.T) {
	const ula = "fd8d:4fb3:5b2e::/64"
	cases := []struct {
		name string
		ras  []map[string]any
		want []string
	}{
		{"lifetime 0 throughout", []map[string]any{ra(0, routerLL, routerMAC, ula, 0, "medium"), ra(597, routerLL, routerMAC, ula, 0, "medium")}, nil},
		{"lifetime 0 after a default route", []map[string]any{ra(0, routerLL, routerMAC, ula, 1800, "medium"), ra(597, routerLL, routerMAC, ula, 0, "medium")}, []string{"ipv6.kill_router"}},
		{"lifetime 0 in its name from another MAC", []map[string]any{ra(0, routerLL, routerMAC, ula, 0, "medium"), ra(30, routerLL, "02:00:00:00:0b:ad", "", 0, "medium")}, []string{"ipv6.kill_router"}},
		{"new router after learning", []map[string]any{ra(0, routerLL, routerMAC, ula, 1800, "medium"), ra(400, "fe80::bad", "02:00:00:00:0b:ad", "2001:db8:bad::/64", 0, "medium")}, []string{"ipv6.rogue_ra"}},
		{"new router with a DNS server after learning", []map[string]any{ra(0, routerLL, routerMAC, ula, 1800, "medium"), withRDNSS(ra(400, "fe80::bad", "02:00:00:00:0b:ad", "2001:db8:bad::/64", 0, "medium"), "2001:db8:bad::53")}, []string{"ipv6.rogue_ra"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(DefaultConfig(), nil)
			for _, r := range c.ras {
				feed(m, "_nd", r)
			}
			m.Close()
			var got []string
			for _, f := range m.Findings() {
				got = append(got, f.Class)
				want := 2 // no default route
				if strings.Contains(c.name, "DNS") {
					want = 1 // it can still redirect names
				}
				if f.Class == "ipv6.rogue_ra" && f.Severity != want {
					t.Errorf("a rogue router with no default route: severity %d, want %d (%s)", f.Severity, want, f.Summary)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("raised %v, want %v", got, c.want)
			}
		})
	}
}

// TestDADAnnouncedByProber: a host tests its new address for duplicates
// and, a second later, announces it to all nodes from the same MAC (as
// Windows does, in suricata-verify's output-eve-ftp-data capture), again
// at each of its restarts: its own address, no denial of service.
func TestDADAnnouncedByProber(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	const addr, mac = "fe80::9154:c66f:8d0e:33cb", "68:5d:43:8b:f9:de"
	for i := 0; i < 6; i++ {
		ts := 400 + 5*float64(i)
		feed(m, "_nd", ns(ts, "::", mac, addr))
		feed(m, "_nd", na(ts+1.0, addr, mac, addr, "O"))
	}
	m.Close()
	for _, f := range m.Findings() {
		t.Errorf("raised %s: %s", f.Class, f.Summary)
	}

	// A denial at once from another frame source, its option naming the
	// prober's MAC (the review's case), or from the prober's MAC before
	// its timer ran out, is still a denial.
	for name, answer := range map[string]func(ts float64, target string) map[string]any{
		"option echoes the prober": func(ts float64, target string) map[string]any {
			a := na(ts+0.001, target, "02:00:00:00:0b:ad", target, "O")
			a["ll_addr"] = "02:00:00:00:00:77"
			return a
		},
		"forged frame, too soon": func(ts float64, target string) map[string]any {
			return na(ts+0.001, target, "02:00:00:00:00:77", target, "O")
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := New(DefaultConfig(), nil)
			benignLink(m)
			for i := 0; i < 5; i++ {
				target := fmt.Sprintf("2001:db8:1::%x", 0x200+i)
				ts := 400 + float64(i)
				feed(m, "_nd", ns(ts, "::", "02:00:00:00:00:77", target))
				feed(m, "_nd", answer(ts, target))
			}
			m.Close()
			for _, f := range m.Findings() {
				if f.Class == "ipv6.dad_dos" {
					return
				}
			}
			t.Errorf("no dad_dos: %+v", m.Findings())
		})
	}
}

func TestSecondRouterWhileLearning(t *testing.T) {
	for _, c := range []struct {
		name  string
		pfx   string
		rogue bool
	}{
		{"own prefix: rogue", "2001:db8:bad::/64", true},
		{"same prefix: redundant peer", "2001:db8:1::/64", false},
	} {
		m := New(DefaultConfig(), nil)
		feed(m, "_nd", ra(0, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
		feed(m, "_nd", ra(3, "fe80::2", "02:00:00:00:00:02", c.pfx, 1800, "high"))
		m.Close()
		got := false
		for _, f := range m.Findings() {
			got = got || f.Class == "ipv6.rogue_ra" && f.Src == "fe80::2"
		}
		if got != c.rogue {
			t.Errorf("%s: rogue_ra raised %v, want %v (%+v)", c.name, got, c.rogue, m.Findings())
		}
	}
}

func TestAllowlistReplacesLearning(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AllowedRouters = []string{routerMAC}
	cfg.AllowedPrefixes = []string{"2001:db8:1::/48"}
	m := New(cfg, nil)
	feed(m, "_nd", ra(0, "fe80::bad", "02:00:00:00:0b:ad", "2001:db8:bad::/64", 1800, "medium"))
	feed(m, "_nd", ra(1, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
	m.Close()
	var rogue []string
	for _, f := range m.Findings() {
		if f.Class == "ipv6.rogue_ra" {
			rogue = append(rogue, f.Src)
		}
	}
	if len(rogue) != 1 || rogue[0] != "fe80::bad" {
		t.Errorf("rogue routers %v, want only fe80::bad (the allowlisted router advertised first-hand)", rogue)
	}
}

func TestAddressKinds(t *testing.T) {
	cases := map[string]string{
		"fe80::1":                       kindLinkLocal,
		"2001:db8::200:5eff:fe00:1":     kindEUI64,
		"2001:db8::1":                   kindLowByte,
		"2001:db8::5efe:a00:1":          kindISATAP,
		"2001:0:4136:e378::1":           kindTeredo,
		"2002:c000:201::1":              kind6to4,
		"2001:db8::8e16:45ff:fee5:5ba2": kindEUI64,
		"2001:db8::306e:739d:dea6:99a4": kindRandom,
		"ff02::1":                       kindMulticast,
	}
	for s, want := range cases {
		if got := classify(mustAddr(s)); got != want {
			t.Errorf("%s: %s, want %s", s, got, want)
		}
	}
	if mac := eui64MAC(mustAddr("fe80::6600:6aff:fe5b:8eb3")); mac != "64:00:6a:5b:8e:b3" {
		t.Errorf("eui64MAC = %s", mac)
	}
	m := New(DefaultConfig(), nil)
	feed(m, "conn", map[string]any{"ts": 1.0, "uid": "C1", "id.orig_h": "2001:db8::200:5eff:fe00:1", "id.resp_h": "2001:db8::1",
		"proto": "tcp", "orig_ip_bytes": 100, "resp_ip_bytes": 300, "orig_l2_addr": "00:00:5e:00:00:01", "resp_l2_addr": "02:00:00:00:00:01"})
	feed(m, "conn", map[string]any{"ts": 2.0, "uid": "C2", "id.orig_h": "10.0.0.1", "id.resp_h": "10.0.0.2", "proto": "tcp", "orig_ip_bytes": 300, "resp_ip_bytes": 300})
	p := m.Posture()
	if p.LeakingMACs != 1 || p.Hosts != 2 || p.ShareBytes != 0.4 {
		t.Errorf("posture %+v", p)
	}
}

func FuzzRecord(f *testing.F) {
	f.Add("_nd", []byte(`{"ts":1,"type":"ra","src":"fe80::1","src_mac":"02:00:00:00:00:01","hop_limit":255,"router_lifetime":0,"prefixes":[{"prefix":"2001:db8::/64","flags":"LA"}]}`))
	f.Add("_icmp6", []byte(`{"ts":1,"type":2,"mtu":500,"src":"2001:db8::1","dst":"2001:db8::2"}`))
	f.Add("_ip6ext", []byte(`{"ts":1,"chain":"0,0,0,0,0,0,0,0,0,0,58","src":"::1"}`))
	f.Add("conn", []byte(`{"ts":1,"id.orig_h":"2002::1","id.resp_h":"::1","ip_proto":41}`))
	f.Fuzz(func(t *testing.T, log string, line []byte) {
		m := New(DefaultConfig(), nil)
		m.Record(log, line)
		m.Record(log, line)
		m.Close()
		_ = m.Posture()
	})
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// closedLog closes m and returns the ipv6.log it writes.
func closedLog(t *testing.T, m *Monitor) []byte {
	t.Helper()
	m.Close()
	dir := t.TempDir()
	if err := m.WriteLog(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "ipv6.log"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPrefixDelegationIsNoRogue: on a link whose routers announce no
// DHCPv6 (M and O off), a server that only delegates a prefix (an ISP's
// IA_PD over PPPoE, Zeek's pppoe.pcap) is no rogue; one that assigns
// addresses is.
func TestPrefixDelegationIsNoRogue(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	feed(m, "dhcp", map[string]any{"ts": 401.0, "dhcp_version": 6, "server_addr": "fe80::c801:eff:fe88:8", "client_addr": "fe80::ce05:eff:fe88:0",
		"delegated_prefix": "fc00:0:2:100::/56", "uids": []string{"C1"}})
	for _, f := range m.Findings() {
		t.Errorf("prefix delegation raised %s: %s", f.Class, f.Summary)
	}
	feed(m, "dhcp", map[string]any{"ts": 402.0, "dhcp_version": 6, "server_addr": "fe80::bad", "client_addr": "fe80::5",
		"assigned_addr": "2001:db8:1::99", "uids": []string{"C2"}})
	m.Close()
	if f := m.Findings(); len(f) != 1 || f[0].Class != "ipv6.rogue_dhcpv6" || f[0].Src != "fe80::bad" {
		t.Errorf("an assigning server on the same link: %+v", f)
	}

	// A rogue that delegates a prefix first, then assigns addresses (the
	// review's case), is judged by the assignment.
	m = New(DefaultConfig(), nil)
	benignLink(m)
	feed(m, "dhcp", map[string]any{"ts": 401.0, "dhcp_version": 6, "server_addr": "fe80::bad", "client_addr": "fe80::66",
		"delegated_prefix": "2001:db8:66::/56", "uids": []string{"C3"}})
	feed(m, "dhcp", map[string]any{"ts": 402.0, "dhcp_version": 6, "server_addr": "fe80::bad", "client_addr": "fe80::5",
		"assigned_addr": "2001:db8:1::99", "uids": []string{"C4"}})
	m.Close()
	if f := m.Findings(); len(f) != 1 || f[0].Class != "ipv6.rogue_dhcpv6" || f[0].Src != "fe80::bad" {
		t.Errorf("a delegation, then an assignment: %+v", f)
	}
}

func TestWriteLogHasStateLearned(t *testing.T) {
	m := New(DefaultConfig(), nil)
	benignLink(m)
	feed(m, "_nd", na(400, "2001:db8:1::5", "02:00:00:00:0b:ad", "2001:db8:1::5", "O"))
	feed(m, "dhcp", map[string]any{"ts": 401.0, "dhcp_version": 6, "server_addr": "fe80::1", "client_addr": "fe80::5", "uids": []string{"C1"}})
	b := closedLog(t, m)
	for _, want := range []string{
		`"kind":"router","mac":"02:00:00:00:00:01"`,
		`"kind":"binding","addr":"2001:db8:1::5","mac":"02:00:00:00:0b:ad","history":["02:00:00:00:00:05"]`,
		`"kind":"dhcpv6_server","addr":"fe80::1"`,
		`"kind":"summary"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("ipv6.log lacks %s:\n%s", want, b)
		}
	}
}

// TestTunnelRecordsInAnyOrder: IPv6 connections carried in a Teredo
// tunnel belong to the tunnel whether their records come before or after
// the tunnel's own UDP connection (its record is written when it ends,
// often last); a connection from an IP-level tunnel (no connection of
// its own) is a tunnel of its own.
func TestTunnelRecordsInAnyOrder(t *testing.T) {
	inner := func(uid, parent string) map[string]any {
		return map[string]any{"ts": 2.0, "uid": uid, "id.orig_h": "2001:0:4136:e378:8000:63bf:f5b2:fffe", "id.orig_p": 128,
			"id.resp_h": "2001:0:4136:e378:8000:63bf:f5b2:fffd", "id.resp_p": 129, "proto": "icmp",
			"orig_ip_bytes": 416, "resp_ip_bytes": 416, "tunnel_parents": []string{parent}}
	}
	outer := map[string]any{"ts": 1.0, "uid": "Cteredo", "id.orig_h": "10.77.0.1", "id.orig_p": 3544, "id.resp_h": "10.77.0.2",
		"id.resp_p": 3544, "proto": "udp", "service": "teredo", "orig_ip_bytes": 600, "resp_ip_bytes": 600}
	for _, innerFirst := range []bool{true, false} {
		var found []Finding
		m := New(DefaultConfig(), func(f Finding) { found = takeFinding(found, f) })
		if innerFirst {
			feed(m, "conn", inner("Cin", "Cteredo"))
			feed(m, "conn", outer)
		} else {
			feed(m, "conn", outer)
			feed(m, "conn", inner("Cin", "Cteredo"))
		}
		feed(m, "conn", inner("Cin4", "C6in4parent")) // an IP-level tunnel's inner connection
		m.Close()
		var summaries []string
		for _, f := range found {
			if f.Class == "ipv6.tunnel" {
				summaries = append(summaries, f.Summary)
			}
		}
		if len(summaries) != 2 || !strings.Contains(summaries[0], "teredo tunnel 10.77.0.1 ↔ 10.77.0.2") ||
			!strings.Contains(summaries[1], "IP-level tunnel (parent C6in4parent)") {
			t.Errorf("inner record first %v: tunnels %q", innerFirst, summaries)
		}
	}
}

// TestIPTunnelNamesOuterAddresses: an IP-level tunnel (6in4, GRE) makes
// no connection of its own; its tunnel.log DISCOVER record gives the
// outer addresses, which the ipv6.tunnel finding names as its source and
// destination, whether the inner connection's record comes before or
// after it. A tunnel without one is named by its uid, with no addresses.
func TestIPTunnelNamesOuterAddresses(t *testing.T) {
	inner := func(uid, parent string) map[string]any {
		return map[string]any{"ts": 2.0, "uid": uid, "id.orig_h": "2001:db8::1", "id.orig_p": 40000,
			"id.resp_h": "2001:db8::2", "id.resp_p": 80, "proto": "tcp",
			"orig_ip_bytes": 1000, "resp_ip_bytes": 2000, "tunnel_parents": []string{parent}}
	}
	disc := func(uid, orig, resp, typ string) map[string]any {
		return map[string]any{"ts": 1.5, "uid": uid, "id.orig_h": orig, "id.orig_p": 0, "id.resp_h": resp, "id.resp_p": 0,
			"tunnel_type": typ, "action": "Tunnel::DISCOVER"}
	}
	for _, tunnelFirst := range []bool{true, false} {
		var found []Finding
		m := New(DefaultConfig(), func(f Finding) { found = takeFinding(found, f) })
		if tunnelFirst {
			feed(m, "tunnel", disc("C6in4", "192.0.2.1", "198.51.100.7", "Tunnel::IP"))
		}
		feed(m, "conn", inner("Cin1", "C6in4"))
		feed(m, "conn", inner("Cin2", "C6in4"))
		feed(m, "conn", inner("Cin3", "Cgre"))
		feed(m, "conn", inner("Cin4", "Cunknown"))
		if !tunnelFirst {
			feed(m, "tunnel", disc("C6in4", "192.0.2.1", "198.51.100.7", "Tunnel::IP"))
		}
		feed(m, "tunnel", disc("Cgre", "2001:db8:f::1", "2001:db8:f::2", "Tunnel::GRE"))
		m.Close()
		var tunnels []Finding
		for _, f := range found {
			if f.Class == "ipv6.tunnel" {
				tunnels = append(tunnels, f)
			}
		}
		if len(tunnels) != 3 {
			t.Fatalf("tunnel.log first %v: %d tunnel findings, want 3: %+v", tunnelFirst, len(tunnels), tunnels)
		}
		want := []struct{ src, dst, summary string }{
			{"192.0.2.1", "198.51.100.7", "6in4 tunnel 192.0.2.1 ↔ 198.51.100.7: 2 connections, 6000 bytes"},
			{"2001:db8:f::1", "2001:db8:f::2", "GRE tunnel 2001:db8:f::1 ↔ 2001:db8:f::2: 1 connections, 3000 bytes"},
			{"", "", "IP-level tunnel (parent Cunknown): 1 connections, 3000 bytes"},
		}
		for i, w := range want {
			f := tunnels[i]
			if f.Src != w.src || f.Dst != w.dst || f.Summary != w.summary {
				t.Errorf("tunnel.log first %v: finding %d: src %q dst %q summary %q, want %q %q %q",
					tunnelFirst, i, f.Src, f.Dst, f.Summary, w.src, w.dst, w.summary)
			}
			if _, err := netip.ParseAddr(f.Src); f.Src != "" && err != nil {
				t.Errorf("finding %d: src %q is not an address", i, f.Src)
			}
		}
	}
}

// TestRFC4861FloodOneFinding: a few adverts from different sources
// breaking the same rules make one anomaly finding; another rule broken
// makes another. A flood (flood_router26) is one ra_flood finding that
// absorbs what its adverts break, the first ones included.
func TestRFC4861FloodOneFinding(t *testing.T) {
	count := func(m *Monitor, class string) int {
		n := 0
		for _, f := range m.Findings() {
			if f.Class == class {
				n++
			}
		}
		return n
	}
	m := New(DefaultConfig(), nil)
	for i := 0; i < 3; i++ {
		feed(m, "_nd", ra(100+float64(i)*5, fmt.Sprintf("fe80::%x", 0x1000+i), fmt.Sprintf("02:00:00:00:00:%02x", i),
			"2001:db8:1::/64", 65535, "high"))
	}
	feed(m, "_nd", ra(200, "fe80::77", "02:00:00:00:00:77", "2001:db8:2::/48", 1800, "high"))
	m.Close()
	if n := count(m, "anomaly"); n != 2 {
		t.Errorf("%d anomaly findings, want 2 (router lifetime; prefix length)", n)
	}

	m = New(DefaultConfig(), nil)
	for i := 0; i < 50; i++ {
		feed(m, "_nd", ra(100+float64(i)/100, fmt.Sprintf("fe80::%x", 0x1000+i), fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256),
			"2001:db8:1::/64", 65535, "high"))
	}
	m.Close()
	if n, floods := count(m, "anomaly"), count(m, "ipv6.ra_flood"); n != 0 || floods != 1 {
		t.Errorf("flood: %d anomaly and %d ra_flood findings, want 0 and 1", n, floods)
	}
}

// TestSmurfNeedsAnotherSource: an echo to all nodes from the sender's own
// EUI-64 address (ping6 ff02::1, scan6's discovery) is not a smurf; from
// an address made from another MAC it is.
func TestSmurfNeedsAnotherSource(t *testing.T) {
	echo := func(src, mac string) map[string]any {
		return map[string]any{"ts": 400.0, "type": 128, "code": 0, "src": src, "dst": "ff02::1", "src_mac": mac, "hop_limit": 64, "len": 56}
	}
	for _, c := range []struct {
		src, mac string
		smurf    bool
	}{
		{"2001:db8:1:0:66:ff:fe00:42", "02:66:00:00:00:42", false},
		{"2001:db8:1:0:66:ff:fe00:42", "02:66:00:00:00:99", true},
		{"2001:db8:1::5", "02:66:00:00:00:42", true},
	} {
		m := New(DefaultConfig(), nil)
		feed(m, "_icmp6", echo(c.src, c.mac))
		m.Close()
		got := false
		for _, f := range m.Findings() {
			got = got || f.Class == "ipv6.smurf"
		}
		if got != c.smurf {
			t.Errorf("echo from %s (%s) to ff02::1: smurf %v, want %v", c.src, c.mac, got, c.smurf)
		}
	}
}

// TestSmurfWaitsForTheOwner: an echo to all nodes from an address that is
// not EUI-64 is decided once the members have resolved its source: its
// owner answering from the sender's MAC makes it discovery (scan6 -L), from
// another MAC a smurf (smurf6 with a victim's address).
func TestSmurfWaitsForTheOwner(t *testing.T) {
	const src, sender, victim = "fd66::66", "02:66:00:00:00:42", "02:66:00:00:00:15"
	for _, c := range []struct {
		ownerMAC string
		smurf    bool
	}{{sender, false}, {victim, true}, {"", true}} {
		m := New(DefaultConfig(), nil)
		feed(m, "_icmp6", map[string]any{"ts": 10.0, "type": 128, "code": 0, "src": src, "dst": "ff02::1", "src_mac": sender, "hop_limit": 64, "len": 56})
		if c.ownerMAC != "" {
			feed(m, "_nd", na(10.001, src, c.ownerMAC, src, "S"))
		}
		feed(m, "_nd", ns(13, "fd66::1", "02:66:00:00:00:01", "fd66::2")) // time passes
		got := false
		for _, f := range m.Findings() {
			got = got || f.Class == "ipv6.smurf"
		}
		if got != c.smurf {
			t.Errorf("echo from %s (%s), owner %q: smurf %v, want %v", src, sender, c.ownerMAC, got, c.smurf)
		}
	}
}

// TestMulticastDiscovery: unknown options of type 10xxxxxx sent to a group
// are host discovery (scan.v6), and the members' parameter problems that
// answer them are not evasion; other unknown options still are.
func TestMulticastDiscovery(t *testing.T) {
	m := New(DefaultConfig(), nil)
	feed(m, "_ip6ext", map[string]any{"ts": 10.0, "src": "fd66::66", "dst": "ff02::1", "chain": "60,58", "unknown_opts": "128", "opt_bytes": 8})
	for i := 1; i <= 5; i++ {
		feed(m, "_icmp6", map[string]any{"ts": 10.01, "type": 4, "code": 2, "src": fmt.Sprintf("fd66::%d", i), "dst": "fd66::66",
			"src_mac": fmt.Sprintf("02:66:00:00:00:%02x", i), "hop_limit": 64, "len": 96, "pointer": 42})
	}
	m.Close()
	classes := map[string]int{}
	for _, f := range m.Findings() {
		classes[f.Class]++
	}
	if classes["scan.v6"] != 1 || classes["ipv6.evasion"] != 0 {
		t.Errorf("discovery probe and its answers: findings %v, want one scan.v6 and no ipv6.evasion", classes)
	}
	for _, c := range []struct{ dst, opts string }{{"ff02::1", "30"}, {"ff02::1", "128,194"}, {"fd66::10", "128"}} {
		m := New(DefaultConfig(), nil)
		feed(m, "_ip6ext", map[string]any{"ts": 10.0, "src": "fd66::66", "dst": c.dst, "chain": "60,58", "unknown_opts": c.opts, "opt_bytes": 8})
		m.Close()
		if len(m.Findings()) != 1 || m.Findings()[0].Class != "ipv6.evasion" {
			t.Errorf("options %s to %s: findings %v, want one ipv6.evasion", c.opts, c.dst, m.Findings())
		}
	}
}

// TestNeighbourAttacksNameVictims: a spoofed advert answering a host names
// that host (its cache is poisoned), the first owner taking its address
// back is no spoof, and a denied DAD names the host that probed.
func TestNeighbourAttacksNameVictims(t *testing.T) {
	const server, ws1, thief = "fd66::10", "fd66::21", "02:66:00:00:00:42"
	m := New(DefaultConfig(), nil)
	feed(m, "_nd", na(1, server, "02:66:00:00:00:0a", server, "S"))
	feed(m, "_nd", na(1.5, ws1, "02:66:00:00:00:15", ws1, "S"))
	spoof := na(2, server, thief, server, "SO")
	spoof["dst"] = ws1
	feed(m, "_nd", spoof)
	feed(m, "_nd", na(3, server, "02:66:00:00:00:0a", server, "O")) // the owner takes it back
	feed(m, "_nd", ns(10, "::", "02:66:00:00:00:15", "fd66::2222"))
	feed(m, "_nd", na(10.001, "fd66::2222", "02:66:31:a8:52:75", "fd66::2222", "O"))
	m.Close()
	var got []string
	for _, f := range m.Findings() {
		got = append(got, f.Class+" "+f.Src+" → "+f.Dst)
	}
	want := []string{"ipv6.na_spoof " + thief + " → " + ws1, "ipv6.dad_dos 02:66:31:a8:52:75 → " + ws1}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRedirects: the learned router telling a host that a destination is
// on-link is what redirects are for; the same router's address and MAC
// (forged by redir6) pointing a destination at a host that is no router,
// or another MAC sending in the router's name, is an attack.
func TestRedirects(t *testing.T) {
	redirect := func(mac, target, dst string) map[string]any {
		return map[string]any{"ts": 300.0, "type": "redirect", "src": routerLL, "dst": "2001:db8:1::5", "src_mac": mac,
			"hop_limit": 255, "target": target, "redirect_dst": dst}
	}
	stranger := func(fact map[string]any) map[string]any { fact["src"] = "fe80::5"; return fact }
	for _, c := range []struct {
		name string
		fact map[string]any
		src  string // the alert's source: "" for no alert
	}{
		{"on-link notice from the router", redirect(routerMAC, "2001:db8:1::9", "2001:db8:1::9"), ""},
		// redir6: the router's address and MAC, traffic sent to the attacker.
		{"the router's name, to a host", redirect(routerMAC, "fe80::bad", "2001:db8:ff::10"), "fe80::bad"},
		{"another MAC in the router's name", redirect("02:00:00:00:0b:ad", "2001:db8:1::9", "2001:db8:1::9"), "02:00:00:00:0b:ad"},
		{"a host that is no router", stranger(redirect("02:00:00:00:0b:ad", "fe80::bad", "2001:db8:ff::10")), "fe80::5"},
	} {
		m := New(DefaultConfig(), nil)
		feed(m, "_nd", ra(100, routerLL, routerMAC, "2001:db8:1::/64", 1800, "medium"))
		feed(m, "_nd", c.fact)
		src := ""
		for _, f := range m.Findings() {
			if f.Class == "ipv6.redirect" {
				src = f.Src
			}
		}
		if src != c.src {
			t.Errorf("%s: ipv6.redirect from %q, want %q", c.name, src, c.src)
		}
	}
}

// TestWriteLogHostLine: a host's line lists its addresses as text with
// their kinds (kept by address while running) and says whether an EUI-64
// address leaks its MAC.
func TestWriteLogHostLine(t *testing.T) {
	m := New(DefaultConfig(), nil)
	const mac = "00:00:00:00:0b:ad"
	feed(m, "_nd", na(400, "2001:db8::200:ff:fe00:bad", mac, "2001:db8::200:ff:fe00:bad", "O"))
	feed(m, "_nd", na(401, "2001:db8::5", mac, "2001:db8::5", "O"))
	feed(m, "_nd", na(402, "2001:db8::5", mac, "2001:db8::5", "O"))
	b := closedLog(t, m)
	want := `{"kind":"host","mac":"00:00:00:00:0b:ad","addresses":{"2001:db8::200:ff:fe00:bad":"eui64","2001:db8::5":"static"},"eui64_leaks_mac":true,"first_seen":400,"last_seen":402}` + "\n"
	if !strings.Contains(string(b), want) {
		t.Errorf("ipv6.log lacks %s:\n%s", want, b)
	}
	if p := m.Posture(); p.Hosts != 1 || p.LeakingMACs != 1 || p.AddressKinds["eui64"] != 1 || p.AddressKinds["static"] != 1 {
		t.Errorf("posture %+v", p)
	}
}

// takeFinding adds f to found, or, when it is an update (newer counts of
// a finding reported before), replaces that finding's description, as
// the engine refreshes its alert.
func takeFinding(found []Finding, f Finding) []Finding {
	if !f.Update {
		return append(found, f)
	}
	for i := len(found) - 1; i >= 0; i-- {
		if o := &found[i]; o.Class == f.Class && o.Src == f.Src && o.Dst == f.Dst {
			o.Summary, o.Evidence = f.Summary, f.Evidence
			break
		}
	}
	return found
}
