package alert

// Stage is a step of the kill chain an alert class belongs to; incidents
// order their alerts by it.
type Stage int

// The kill-chain stages, in order.
const (
	StageUnknown Stage = iota
	Reconnaissance
	InitialAccess
	CommandAndControl
	ActionsOnObjectives
)

var stageNames = [...]string{"unknown", "reconnaissance", "initial access", "command and control", "actions on objectives"}

// String returns the stage's name.
func (s Stage) String() string { return stageNames[s] }

// ClassInfo describes an alert class.
type ClassInfo struct {
	Class string
	Stage Stage
	// Severity is the default severity (1 critical … 4 info).
	Severity int
	// MITRE lists ATT&CK technique ids.
	MITRE []string
	// SID is the stable EVE signature_id of the class.
	SID int
	// Category is the EVE alert category (Suricata's classification
	// texts).
	Category string
	// Title is the EVE signature text.
	Title string
}

// sidBase is the first signature id; classes take sidBase + their position
// in catalogue. Append new classes at the end: never reorder, so the ids
// stay stable.
const sidBase = 9100001

var catalogue = []ClassInfo{
	{"scan.vertical", Reconnaissance, Medium, []string{"T1046"}, 0, "Detection of a Network Scan", "port scan of one host"},
	{"scan.horizontal", Reconnaissance, Medium, []string{"T1046", "T1595.001"}, 0, "Detection of a Network Scan", "one port scanned across many hosts"},
	{"scan.v6", Reconnaissance, Medium, []string{"T1046"}, 0, "Detection of a Network Scan", "IPv6 scan"},
	{"flood.syn", ActionsOnObjectives, High, []string{"T1499.001"}, 0, "Attempted Denial of Service", "TCP SYN flood"},
	{"flood.udp", ActionsOnObjectives, High, []string{"T1498.001"}, 0, "Attempted Denial of Service", "UDP flood"},
	{"flood.icmp", ActionsOnObjectives, High, []string{"T1498.001"}, 0, "Attempted Denial of Service", "ICMP flood"},
	{"flood.amplification", ActionsOnObjectives, High, []string{"T1498.002"}, 0, "Attempted Denial of Service", "reflection/amplification attack"},
	{"bruteforce.ssh", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted Administrator Privilege Gain", "SSH password guessing"},
	{"bruteforce.telnet", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted Administrator Privilege Gain", "telnet password guessing"},
	{"bruteforce.ftp", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted User Privilege Gain", "FTP password guessing"},
	{"bruteforce.http", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted User Privilege Gain", "HTTP authentication guessing"},
	{"bruteforce.mqtt", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted User Privilege Gain", "MQTT credential guessing"},
	{"c2.beacon", CommandAndControl, High, []string{"T1071"}, 0, "A Network Trojan was detected", "periodic beaconing"},
	{"dns.tunnel", CommandAndControl, High, []string{"T1071.004", "T1572"}, 0, "Potentially Bad Traffic", "DNS tunnel"},
	{"dns.dga", CommandAndControl, Medium, []string{"T1568.002"}, 0, "Potentially Bad Traffic", "algorithmically generated domain lookups"},
	{"exfil", ActionsOnObjectives, High, []string{"T1048"}, 0, "Potential Corporate Privacy Violation", "outbound volume far above the host's baseline"},
	{"conn.long", CommandAndControl, Info, []string{"T1071"}, 0, "Potentially Bad Traffic", "long-lived connection"},
	{"arp.spoof", InitialAccess, High, []string{"T1557.002"}, 0, "Potentially Bad Traffic", "ARP spoofing"},
	{"intel.match", CommandAndControl, High, []string{"T1071"}, 0, "A Network Trojan was detected", "threat-intelligence indicator"},
	{"tls.anomaly", CommandAndControl, Medium, []string{"T1573.002"}, 0, "Potentially Bad Traffic", "TLS anomaly"},
	{"iot.mirai_scan", Reconnaissance, High, []string{"T1595.001", "T1046"}, 0, "Detection of a Network Scan", "Mirai-style telnet scanning"},
	{"iot.default_creds", InitialAccess, Critical, []string{"T1078.001"}, 0, "Successful Administrator Privilege Gain", "login with default credentials"},
	{"iot.insecure_protocol", Reconnaissance, Info, []string{"T1040"}, 0, "Potential Corporate Privacy Violation", "insecure IoT protocol"},
	{"ipv6.rogue_ra", InitialAccess, High, []string{"T1557"}, 0, "Potentially Bad Traffic", "rogue IPv6 router advertisement"},
	{"ipv6.ra_flood", ActionsOnObjectives, High, []string{"T1498"}, 0, "Attempted Denial of Service", "IPv6 RA flood"},
	{"ipv6.kill_router", ActionsOnObjectives, High, []string{"T1498"}, 0, "Attempted Denial of Service", "IPv6 router kill"},
	{"ipv6.na_spoof", InitialAccess, High, []string{"T1557"}, 0, "Potentially Bad Traffic", "IPv6 neighbour advertisement spoofing"},
	{"ipv6.dad_dos", ActionsOnObjectives, High, []string{"T1498"}, 0, "Attempted Denial of Service", "IPv6 duplicate address detection DoS"},
	{"ipv6.redirect", InitialAccess, High, []string{"T1557"}, 0, "Potentially Bad Traffic", "IPv6 ICMP redirect"},
	{"ipv6.rogue_dhcpv6", InitialAccess, High, []string{"T1557.003"}, 0, "Potentially Bad Traffic", "rogue DHCPv6 server"},
	{"ipv6.smurf", ActionsOnObjectives, High, []string{"T1498.002"}, 0, "Attempted Denial of Service", "IPv6 smurf"},
	{"ipv6.evasion", StageUnknown, Medium, []string{"T1562", "T1027"}, 0, "Potentially Bad Traffic", "IPv6 extension-header evasion"},
	{"ipv6.tunnel", CommandAndControl, Medium, []string{"T1572"}, 0, "Potentially Bad Traffic", "IPv6 tunnel"},
	{"anomaly", StageUnknown, Info, nil, 0, "Misc activity", "anomaly"},
	{"bruteforce.rdp", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted Administrator Privilege Gain", "RDP password guessing"},
	{"bruteforce.smb", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted Administrator Privilege Gain", "SMB password guessing"},
	{"kerberos.kerberoast", ActionsOnObjectives, High, []string{"T1558.003"}, 0, "Attempted User Privilege Gain", "Kerberoasting"},
	{"kerberos.asreproast", ActionsOnObjectives, High, []string{"T1558.004"}, 0, "Attempted User Privilege Gain", "AS-REP roasting"},
	{"tunnel.websocket", CommandAndControl, Medium, []string{"T1572"}, 0, "Potentially Bad Traffic", "protocol tunnelled through WebSocket"},
	{"bruteforce.kerberos", InitialAccess, High, []string{"T1110.001", "T1558"}, 0, "Attempted Administrator Privilege Gain", "Kerberos password guessing"},
	{"bruteforce.mysql", InitialAccess, High, []string{"T1110.001"}, 0, "Attempted Administrator Privilege Gain", "MySQL password guessing"},
	{"ipv6.mld_abuse", ActionsOnObjectives, Medium, []string{"T1498"}, 0, "Attempted Denial of Service", "IPv6 MLD flood"},
	// Signature alerts of another IDS (Suricata EVE, internal/eve), by
	// its classification; Suricata's category and signature stay in the
	// alert's evidence.
	{"scan.signature", Reconnaissance, Medium, []string{"T1046"}, 0, "Detection of a Network Scan", "IDS signature: network scan"},
	{"ids.info_leak", Reconnaissance, Medium, nil, 0, "Attempted Information Leak", "IDS signature: information leak"},
	{"ids.exploit", InitialAccess, High, []string{"T1190"}, 0, "Attempted Administrator Privilege Gain", "IDS signature: exploitation attempt"},
	{"ids.compromise", InitialAccess, Critical, []string{"T1078"}, 0, "Successful Administrator Privilege Gain", "IDS signature: successful compromise"},
	{"c2.signature", CommandAndControl, High, []string{"T1071"}, 0, "A Network Trojan was detected", "IDS signature: malware or command and control"},
	{"ids.dos", ActionsOnObjectives, High, []string{"T1499"}, 0, "Attempted Denial of Service", "IDS signature: denial of service"},
	{"ids.policy", StageUnknown, Info, nil, 0, "Potential Corporate Privacy Violation", "IDS signature: policy violation"},
	{"ids.alert", StageUnknown, Info, nil, 0, "Misc activity", "IDS signature"},
	{"ics.disruptive", ActionsOnObjectives, High, []string{"T0816", "T0813", "T0858", "T0814"}, 0, "Attempted Denial of Service", "disruptive ICS command (restart, stop, listen-only)"},
	{"flood.dns", ActionsOnObjectives, High, []string{"T1499.002"}, 0, "Attempted Denial of Service", "DNS random-subdomain flood (water torture)"},
	{"flood.http", ActionsOnObjectives, High, []string{"T1499.002"}, 0, "Attempted Denial of Service", "HTTP request flood"},
	{"scan.web", Reconnaissance, Medium, []string{"T1595.003", "T1595.002"}, 0, "Attempted Information Leak", "web content or vulnerability scan"},
}

var byClass = func() map[string]ClassInfo {
	m := make(map[string]ClassInfo, len(catalogue))
	for i := range catalogue {
		catalogue[i].SID = sidBase + i
		m[catalogue[i].Class] = catalogue[i]
	}
	return m
}()

// Lookup returns the catalogue entry of class; unknown classes get the
// "anomaly" entry with their own name.
func Lookup(class string) ClassInfo {
	if c, ok := byClass[class]; ok {
		return c
	}
	c := byClass["anomaly"]
	c.Class = class
	return c
}

// Classes returns the catalogue in signature-id order.
func Classes() []ClassInfo {
	return append([]ClassInfo(nil), catalogue...)
}
