package assets

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestBuiltinRulesLoad(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	c := r.Counts()
	for section, min := range map[string]int{"match": 200, "tcp": 10, "ttl": 3, "credentials": 50, "ics_writes": 3, "findings": 12} {
		if c[section] < min {
			t.Errorf("%s: %d rules, want at least %d", section, c[section], min)
		}
	}
}

// TestMatchRuleTypes: one case per observation a rule can be on, with
// the rule that must fire and what it must say.
func TestMatchRuleTypes(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		on, value, rule, os, class, device, role, finding string
	}{
		{on: "dhcp.prl", value: "1,3,6,15,31,33,43,44,46,47,119,121,249,252", rule: "dhcp-prl-windows10", os: "Windows 10/11", class: "workstation"},
		{on: "dhcp.prl", value: "1,121,3,6,15,108,114,119,252,95,44,46", rule: "dhcp-prl-macos", os: "macOS"},
		{on: "dhcp.prl", value: "1,3,6,12,15,28,42,54,66,67,119", rule: "dhcp-prl-udhcpc", os: "Linux (BusyBox udhcpc)"},
		{on: "dhcp.vendor_class", value: "android-dhcp-13", rule: "dhcp-vc-android", os: "Android 13", class: "phone"},
		{on: "dhcp.vendor_class", value: "dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709", rule: "dhcp-vc-raspberrypi", device: "Raspberry Pi"},
		{on: "dhcpv6.vendor_class", value: "docsis3.0", rule: "dhcpv6-vc-docsis", class: "router", device: "cable modem"},
		{on: "dhcp.server_software", value: "ArubaAP", rule: "dhcp-server-aruba", device: "Aruba access point"},
		{on: "name", value: "Johns-iPhone", rule: "name-iphone", os: "iOS", class: "phone"},
		{on: "name", value: "BRW0080927AFBCE", rule: "name-brother", class: "printer"},
		{on: "name", value: "hs2011", rule: ""},
		{on: "mac.vendor", value: "Hangzhou Hikvision Digital Technology Co.,Ltd.", rule: "oui-camera", class: "camera", device: "Hikvision camera"},
		{on: "http.user_agent", value: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)", rule: "ua-iphone", os: "iOS 17.1", class: "phone"},
		{on: "http.server", value: "Microsoft-IIS/10.0", rule: "srv-iis", os: "Windows Server", class: "server"},
		{on: "ssh.server", value: "SSH-2.0-OpenSSH_7.4p1 Raspbian-10+deb9u7", rule: "ssh-raspbian", device: "Raspberry Pi"},
		{on: "ssh.client", value: "SSH-2.0-PuTTY_Release_0.78", rule: "ssh-client-putty", os: "Windows"},
		{on: "mysql.server", value: "8.0.36-0ubuntu0.22.04.1", rule: "mysql-ubuntu", os: "Linux (Ubuntu)"},
		{on: "mysql.server", value: "10.11.6-MariaDB-0+deb12u1", rule: "mysql-debian", os: "Linux (Debian)"},
		{on: "mysql.server", value: "8.0.36", rule: ""},
		{on: "ftp.syst", value: "215 Windows_NT", rule: "ftp-syst-windows", os: "Windows"},
		{on: "snmp.sysdescr", value: "Cisco IOS Software, C2960 Software", rule: "snmp-cisco", os: "Cisco IOS", class: "network"},
		{on: "ssl.cert_subject", value: "CN=synology.me,O=Synology Inc.", rule: "cert-nas", class: "nas"},
		{on: "ssl.cert_issuer", value: "O=Hikvision", rule: "cert-issuer-vendor", device: "Hikvision device"},
		{on: "ssl.version", value: "TLSv10", rule: "tls-deprecated", finding: "tls_deprecated"},
		{on: "ssdp.server", value: "Linux UPnP/1.0 Sonos/70.3-35220 (ZPS9)", rule: "ssdp-sonos", class: "speaker"},
		{on: "ssdp.server", value: "ipos/7.0 UPnP/1.0 TL-WDR3600/1.0", rule: "ssdp-tplink", class: "router", device: "TP-Link TL-WDR3600"},
		{on: "ssdp.type", value: "urn:Belkin:device:controllee:1", rule: "ssdp-type-wemo", class: "smart-plug"},
		{on: "ssdp.usn", value: "uuid:2f402f80-da50-11e1-9b23-001788000001::upnp:rootdevice", rule: "ssdp-usn-hue", class: "hub"},
		{on: "ssdp.user_agent", value: "Android/13 UPnP/1.1", rule: "ssdp-cp-android", os: "Android"},
		{on: "mdns.service", value: "_googlecast._tcp", rule: "mdns-googlecast", class: "media", role: "cast target"},
		{on: "mdns.txt", value: "model=MacBookPro18,3", rule: "mdns-txt-mac", os: "macOS", device: "Apple MacBookPro"},
		{on: "mdns.txt", value: "md=Google Nest Mini", rule: "mdns-txt-cast-model", device: "Google Nest Mini"},
		{on: "mqtt.client_id", value: "DVES_1A2B3C", rule: "mqtt-id-tasmota", class: "smart-plug"},
		{on: "mqtt.topic", value: "shellies/shellyplug-s-1/relay/0", rule: "mqtt-topic-shelly", class: "smart-plug"},
		{on: "mqtt.subscribe_topic", value: "zigbee2mqtt/#", rule: "mqtt-sub-controller", role: "home automation controller"},
		{on: "mqtt.connect", value: "anonymous accepted", rule: "mqtt-anonymous", finding: "mqtt_anonymous"},
		{on: "coap.uri_path", value: "/15001/65536", rule: "coap-ikea", class: "hub"},
		{on: "bacnet.sent", value: "unconfirmed_request i_am", rule: "bacnet-i-am", class: "ics", role: "bacnet device"},
		{on: "used.name", value: "n-devs.tplinkcloud.com", rule: "used-kasa", class: "smart-plug"},
		{on: "offers", value: "tcp/23", rule: "port-telnet", role: "telnet server", finding: "telnet_offered"},
		{on: "offers", value: "TCP/9100", rule: "port-jetdirect", class: "printer"},
		{on: "offers.service", value: "modbus", rule: "svc-modbus", class: "ics", role: "modbus server (PLC/RTU)"},
		{on: "offers.service", value: "pop3", rule: "svc-mail-clear", finding: "cleartext_mail"},
		{on: "uses.service", value: "dnp3", rule: "uses-dnp3", role: "dnp3 master"},
		{on: "nd.router", value: "ra", rule: "nd-router", class: "router"},
		{on: "l2.gateway", value: "12", rule: "gateway-mac", class: "router"},
		{on: "os", value: "iOS 17.1", rule: "os-ios", class: "phone"},
		{on: "os", value: "Windows Server", rule: "os-windows-server", class: "server"},
	} {
		hits := r.matchObservation(c.on, c.value)
		var hit *ruleHit
		for i := range hits {
			if hits[i].rule.ID == c.rule {
				hit = &hits[i]
			}
		}
		if c.rule == "" {
			if len(hits) > 0 {
				t.Errorf("%s=%q: no rule should fire, %s did", c.on, c.value, hits[0].rule.ID)
			}
			continue
		}
		if hit == nil {
			t.Errorf("%s=%q: rule %s did not fire (%d others did)", c.on, c.value, c.rule, len(hits))
			continue
		}
		if hit.os != c.os && c.os != "" || hit.class != c.class && c.class != "" || hit.device != c.device && c.device != "" ||
			hit.role != c.role && c.role != "" || hit.rule.Finding != c.finding {
			t.Errorf("%s=%q: %s said os %q class %q device %q role %q finding %q", c.on, c.value, c.rule,
				hit.os, hit.class, hit.device, hit.role, hit.rule.Finding)
		}
	}
}

func TestTCPRules(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		syn  synRec
		side string
		rule string
		conf float64
	}{
		{synRec{ttl: 64, win: 29200, mss: 1460, wscale: 7, df: true, opts: "M,S,T,N,W"}, "syn", "tcp-linux", 0.6},
		{synRec{ttl: 57, win: 65160, mss: 1448, wscale: 7, df: true, opts: "M,S,T,N,W"}, "synack", "tcp-linux-synack", 0.5},
		{synRec{ttl: 128, win: 8192, mss: 1460, wscale: 8, df: true, opts: "M,N,W,N,N,S"}, "syn", "tcp-windows7", 0.6},
		{synRec{ttl: 128, win: 64240, mss: 1460, wscale: 2, df: true, opts: "M,N,W,N,N,S"}, "syn", "tcp-windows10", 0.35},
		{synRec{ttl: 64, win: 65535, mss: 1460, wscale: 6, opts: "M,N,W,S,T"}, "syn", "tcp-freebsd", 0.6},
		{synRec{ttl: 250, win: 4128, mss: 536, opts: "M"}, "syn", "tcp-cisco-ios", 0.6},
		{synRec{ttl: 64, win: 29200, opts: "M,S,T,N,W"}, "synack", "tcp-linux-synack", 0.25},
		{synRec{ttl: 64, win: 29200, opts: "M,W"}, "syn", "", 0},
	} {
		c.syn.src = mustAddr("10.0.0.1")
		rule, conf := r.bestTCP(&c.syn, c.side, initialTTL(c.syn.ttl))
		got := ""
		if rule != nil {
			got = rule.ID
		}
		if got != c.rule || conf != c.conf {
			t.Errorf("%+v %s: %s %v, want %s %v", c.syn, c.side, got, conf, c.rule, c.conf)
		}
	}
	for ttl, want := range map[int]int{1: 32, 32: 32, 33: 64, 64: 64, 100: 128, 128: 128, 129: 255, 255: 255} {
		if got := initialTTL(ttl); got != want {
			t.Errorf("initialTTL(%d) = %d, want %d", ttl, got, want)
		}
	}
}

func TestUserRulesMergeOverBuiltins(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "site.json")
	writeFile(t, path, `{
  "match": [
    {"id": "name-sonos", "disabled": true},
    {"id": "site-lab-plc", "on": "name", "match": "^lab-plc-(\\d+)$", "class": "ics", "device": "Lab PLC $1", "confidence": 0.9},
    {"id": "port-telnet", "on": "offers", "values": ["tcp/23"], "service": "telnet", "confidence": 0.5}
  ],
  "credentials": [{"user": "plc", "password": "plc123", "protocols": ["ftp"], "source": "site"}],
  "refines": {"plc": "ics"}
}`)
	r, err := LoadRules(path)
	if err != nil {
		t.Fatal(err)
	}
	if hits := r.matchObservation("name", "sonos-kitchen"); len(hits) != 0 {
		t.Errorf("disabled rule fired: %s", hits[0].rule.ID)
	}
	if hits := r.matchObservation("name", "lab-plc-7"); len(hits) != 1 || hits[0].device != "Lab PLC 7" {
		t.Errorf("site rule: %+v", hits)
	}
	if hits := r.matchObservation("offers", "tcp/2323"); len(hits) != 0 {
		t.Errorf("replaced rule kept its old values: %+v", hits)
	}
	if hits := r.matchObservation("offers", "tcp/23"); len(hits) != 1 || hits[0].rule.Finding != "" {
		t.Errorf("replaced rule: %+v", hits)
	}
	last := r.credentials[len(r.credentials)-1]
	if last.User != "plc" || r.parent("PLC") != "ics" {
		t.Errorf("credentials %+v refines %v", last, r.refines)
	}
}

func TestRuleFileErrors(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field":    `{"match": [{"id": "x", "on": "name", "match": "a", "confidence": 0.5, "colour": "red"}]}`,
		"bad regexp":       `{"match": [{"id": "x", "on": "name", "match": "(", "confidence": 0.5}]}`,
		"no confidence":    `{"match": [{"id": "x", "on": "name", "match": "a"}]}`,
		"match and values": `{"match": [{"id": "x", "on": "name", "match": "a", "values": ["a"], "confidence": 0.5}]}`,
		"no on":            `{"match": [{"id": "x", "match": "a", "confidence": 0.5}]}`,
		"unknown finding":  `{"match": [{"id": "x", "on": "name", "match": "a", "finding": "nope", "confidence": 0.5}]}`,
		"bad ttl":          `{"tcp": [{"id": "x", "ttl": 100, "opts": "M", "confidence": 0.5}]}`,
		"bad side":         `{"tcp": [{"id": "x", "ttl": 64, "opts": "M", "side": "fin", "confidence": 0.5}]}`,
		"bad severity":     `{"findings": [{"kind": "telnet_offered", "class": "iot.insecure_protocol", "severity": 7, "summary": "x"}]}`,
		"not json":         `{"match": [`,
	} {
		path := filepath.Join(t.TempDir(), "bad.json")
		writeFile(t, path, body)
		if _, err := LoadRules(path); err == nil || !strings.Contains(err.Error(), "assets:") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if _, err := LoadRules(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, set := range map[string]func(*Config){
		"local net":  func(c *Config) { c.LocalNets = []string{"10.0.0.0/33"} },
		"ics master": func(c *Config) { c.ICSMasters = []string{"plc"} },
		"max hosts":  func(c *Config) { c.MaxHosts = 0 },
		"evidence":   func(c *Config) { c.MaxEvidence = 0 },
		"gateway":    func(c *Config) { c.GatewayAddrs = 0 },
		"rule file":  func(c *Config) { c.RuleFiles = []string{"/nonexistent/rules.json"} },
		"oui file":   func(c *Config) { c.OUIFile = "/nonexistent/oui.csv" },
		"negative":   func(c *Config) { c.TopUsed = -1 },
		"ics learn":  func(c *Config) { c.ICSLearn = -1 },
	} {
		cfg := DefaultConfig()
		set(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDisableFindingKind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quiet.json")
	writeFile(t, path, `{"findings": [{"kind": "upnp_exposed", "disabled": true}, {"kind": "ics_write_new_writer", "disabled": true}]}`)
	inv := newInv(t, func(c *Config) { c.RuleFiles = []string{path} })
	scenario(inv)
	inv.Close()
	if f := findingsOf(inv, "upnp_exposed"); len(f) != 0 {
		t.Errorf("disabled kind raised: %+v", f)
	}
	if f := findingsOf(inv, "ics_write_new_writer"); len(f) != 0 {
		t.Errorf("disabled code kind raised: %+v", f)
	}
	if f := findingsOf(inv, "telnet_offered"); len(f) != 1 {
		t.Errorf("other kinds lost: %+v", f)
	}
}

// TestDocExampleLoads keeps docs/ASSETS.md's rule file example valid.
func TestDocExampleLoads(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ASSETS.md"))
	if err != nil {
		t.Skip("docs/ASSETS.md not found")
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no json example in docs/ASSETS.md")
	}
	path := filepath.Join(t.TempDir(), "example.json")
	writeFile(t, path, example)
	r, err := LoadRules(path)
	if err != nil {
		t.Fatal(err)
	}
	if hits := r.matchObservation("name", "lab-plc-3"); len(hits) != 1 || hits[0].device != "Lab PLC 3" {
		t.Errorf("example rule: %+v", hits)
	}
}

// TestBuiltinPatternsCompile compiles every built-in match expression:
// LoadRules checks only the syntax of a user's expressions, and compiles
// each when it is first used.
func TestBuiltinPatternsCompile(t *testing.T) {
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, list := range r.match {
		for _, m := range list {
			if !m.builtin || m.pattern.re != nil || m.pattern.literals != nil {
				t.Errorf("rule %s: builtin %v, compiled before its first use", m.ID, m.builtin)
			}
			if _, err := regexp.Compile(m.pattern.expr); err != nil {
				t.Errorf("rule %s: %v", m.ID, err)
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d expressions", n)
	}
}
