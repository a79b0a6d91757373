// Package assets is Vigil's passive asset inventory and IoT
// identification: from the records an analysis writes (conn, dns, dhcp,
// http, ssl, x509, ssh, ftp, smtp, snmp, ssdp, mqtt_*, coap, modbus, dnp3,
// bacnet) and the reader's packet facts (_syn, _arp, _nd), it builds one
// Host per device — keyed by its MAC when one is known, else by its
// address — with its addresses, MAC vendor (IEEE registry, embedded),
// names and where each came from, OS, device class and device guesses
// with their evidence and confidence, the services it offers (with
// banners) and uses, and its traffic. It raises IoT and exposure
// findings (telnet, MQTT without authentication or TLS, wildcard
// subscriptions, CoAP and UPnP exposed, default credentials, cleartext
// logins, deprecated TLS, ICS writes from new hosts), each naming the
// records behind it, which also go out as alerts.
//
// Fingerprint knowledge is data, not code: the rule files in rules/
// (embedded) and the user's (Config.RuleFiles), documented in
// docs/ASSETS.md. The code turns record fields into observations ("the
// DHCP client 00:11:… asked for options 1,3,6,15,31,33,…"); the rules
// turn observations into votes and findings.
//
// Use:
//
//	inv, err := assets.New(assets.DefaultConfig())
//	inv.Record("conn", line) // every record, from one goroutine
//	inv.Close()
//	inv.WriteLog(dir)        // DIR/assets.log
//	hosts := inv.Hosts()
//	for _, f := range inv.Findings() { alerts.Write(f.Alert()) }
//
// Memory is bounded: Config.MaxHosts addresses and MACs, and fixed caps
// on what each keeps (names, votes, services, endpoints, evidence).
package assets
