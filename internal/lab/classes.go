package lab

import "slices"

// AlertClasses are the alert class names of DESIGN.md §3, the vocabulary
// of the labels' expected_classes (and of the exercise's technique
// question).
var AlertClasses = []string{
	"scan.vertical", "scan.horizontal", "scan.v6", "scan.web",
	"flood.syn", "flood.udp", "flood.icmp", "flood.amplification", "flood.dns", "flood.http",
	"bruteforce.ssh", "bruteforce.telnet", "bruteforce.ftp", "bruteforce.http", "bruteforce.mqtt",
	"bruteforce.smb", "bruteforce.rdp", "bruteforce.mysql", "bruteforce.kerberos", "kerberos.kerberoast", "kerberos.asreproast",
	"c2.beacon", "dns.tunnel", "dns.dga", "exfil", "conn.long", "arp.spoof", "intel.match", "tls.anomaly",
	"iot.mirai_scan", "iot.default_creds", "iot.insecure_protocol",
	"ipv6.rogue_ra", "ipv6.ra_flood", "ipv6.kill_router", "ipv6.na_spoof", "ipv6.dad_dos",
	"ipv6.redirect", "ipv6.rogue_dhcpv6", "ipv6.smurf", "ipv6.evasion", "ipv6.tunnel", "tunnel.websocket",
	"ics.disruptive",
	"anomaly",
}

// IsAlertClass reports whether c is one of AlertClasses.
func IsAlertClass(c string) bool { return slices.Contains(AlertClasses, c) }
