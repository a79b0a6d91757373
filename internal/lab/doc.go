// Package lab is Vigil's cyber range: it builds a small dual-stack network
// out of Linux network namespaces, runs real services and real attack
// tools in it, captures the LAN and writes each scenario's ground truth.
//
// The network (hosts.go, topology.go): a switch namespace holding the LAN
// bridge; a router (IPv4/IPv6 forwarding, radvd for SLAAC) with a second
// link to an "outside" host (the C2 and exfiltration server, iodined); a
// server (sshd, telnetd, nginx HTTP/HTTPS, dnsmasq DNS+DHCP, vsftpd,
// mosquitto, chronyd); two workstations; an IoT hub (an emulated busybox
// telnet with a factory credential, an open MQTT broker, a CoAP server);
// and an attacker. Addresses are private or documentation ranges that
// exist only inside the namespaces; no namespace has a link to the host or
// a route beyond the lab. Every namespace's name starts with Prefix.
//
// A run (Lab.Run) takes a lock, removes a stale lab, then for each
// Scenario builds the network, starts the services, starts tcpdump on the
// bridge, runs the benign background (background.go) for the whole capture
// and the scenario's attack in the middle, timed, and writes
// DIR/SCENARIO.pcap and DIR/SCENARIO.labels.json (Labels). Every process is
// started by a supervisor (procs.go) in a process group of its own and
// stopped at the end; teardown kills whatever is left in the namespaces
// and deletes them, also on error and on cancellation.
//
// Scenarios (scenarios_*.go) register themselves with their tools, the
// alert classes of DESIGN.md §3 they should raise, MITRE technique IDs and
// a difficulty; every tool is bounded in rate and time. Exercise turns a
// labelled capture into an analyst's quiz scored against the labels.
//
// The lab needs root and the Debian packages of scripts/lab-deps.sh;
// CheckTools names what is missing and installs nothing.
package lab
