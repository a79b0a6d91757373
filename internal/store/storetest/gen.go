// Package storetest makes synthetic records for store tests and
// benchmarks: connections with a realistic spread of hosts, ports and
// services, and alerts, incidents and assets in the pipeline's formats.
package storetest

import (
	"fmt"
	"math/rand/v2"

	"github.com/vigil-nsm/vigil/internal/flow"
	"github.com/vigil-nsm/vigil/internal/store"
)

// Gen makes reproducible synthetic rows.
type Gen struct {
	r     *rand.Rand
	hosts []string
	T0    float64 // first timestamp
	Rate  float64 // connections per second of data time
	n     int
}

// New returns a generator over hosts internal hosts (a tenth of them IPv6).
func New(seed uint64, hosts int) *Gen {
	g := &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), T0: 1767225600, Rate: 1000}
	for i := range hosts {
		if i%10 == 9 {
			g.hosts = append(g.hosts, fmt.Sprintf("2001:db8:1::%x", i))
		} else {
			g.hosts = append(g.hosts, fmt.Sprintf("10.%d.%d.%d", 16+i/65536, (i/256)%256, i%256))
		}
	}
	return g
}

var services = []struct {
	proto, svc string
	port       uint16
}{{"tcp", "ssl", 443}, {"udp", "dns", 53}, {"tcp", "http", 80}, {"tcp", "ssh", 22}, {"udp", "", 123},
	{"tcp", "", 8080}, {"icmp", "", 8}, {"udp", "quic", 443}}

// Conn returns the next connection.
func (g *Gen) Conn() store.Conn {
	g.n++
	s := services[g.r.IntN(len(services))]
	o, r := g.hosts[g.r.IntN(len(g.hosts))], g.hosts[g.r.IntN(len(g.hosts))]
	ob, rb := int64(g.r.IntN(2000)), int64(g.r.IntN(50000))
	return store.Conn{TS: g.T0 + float64(g.n)/g.Rate, UID: flow.UID(g.r.Uint64()).String(),
		OrigH: o, OrigP: uint16(1024 + g.r.IntN(60000)), RespH: r, RespP: s.port, Proto: s.proto, Service: s.svc,
		Duration: g.r.Float64() * 10, OrigBytes: ob, RespBytes: rb, State: "SF", History: "ShADadFf",
		OrigPkts: 5, OrigIPBytes: ob + 200, RespPkts: 6, RespIPBytes: rb + 240, IPv: ipv(o)}
}

func ipv(a string) uint8 {
	for i := range len(a) {
		if a[i] == ':' {
			return 6
		}
	}
	return 4
}

// ConnJSON returns the next connection as a conn.log line.
func (g *Gen) ConnJSON() []byte {
	c := g.Conn()
	return fmt.Appendf(nil, `{"ts":%.6f,"uid":%q,"id.orig_h":%q,"id.orig_p":%d,"id.resp_h":%q,"id.resp_p":%d,`+
		`"proto":%q,"service":%q,"duration":%.6f,"orig_bytes":%d,"resp_bytes":%d,"conn_state":%q,"missed_bytes":0,`+
		`"history":%q,"orig_pkts":%d,"orig_ip_bytes":%d,"resp_pkts":%d,"resp_ip_bytes":%d}`,
		c.TS, c.UID, c.OrigH, c.OrigP, c.RespH, c.RespP, c.Proto, c.Service, c.Duration, c.OrigBytes, c.RespBytes,
		c.State, c.History, c.OrigPkts, c.OrigIPBytes, c.RespPkts, c.RespIPBytes)
}

// Host returns the i-th host.
func (g *Gen) Host(i int) string { return g.hosts[i%len(g.hosts)] }

// AlertJSON returns an alerts.log line.
func AlertJSON(ts float64, class string, sev int, src, dst string, uids ...string) []byte {
	u := "[]"
	if len(uids) > 0 {
		u = fmt.Sprintf("[%q]", uids[0])
	}
	return fmt.Appendf(nil, `{"ts":%.3f,"uids":%s,"src":%q,"dst":%q,"class":%q,"severity":%d,"confidence":0.9,`+
		`"mitre":["T1046"],"summary":"%s from %s to %s","evidence":{"n":12},"detector":"test"}`,
		ts, u, src, dst, class, sev, class, src, dst)
}

// IncidentJSON returns an incidents.log line.
func IncidentJSON(id string, first, last float64, attacker, victim string, sev, score int) []byte {
	return fmt.Appendf(nil, `{"id":%q,"first_seen":%.3f,"last_seen":%.3f,"attacker":%q,"victims":[%q],`+
		`"stages":["reconnaissance","initial-access"],"sequence":["reconnaissance"],"mitre":["T1046"],"score":%d,`+
		`"severity":%d,"alert_counts":{"scan.vertical":1,"bruteforce.ssh":2},"alerts":3,"narrative":"%s scanned %s, then tried passwords."}`,
		id, first, last, attacker, victim, score, sev, attacker, victim)
}

// AssetJSON returns an assets.log line.
func AssetJSON(mac, addr, class string, finding string) []byte {
	f := ""
	if finding != "" {
		f = fmt.Sprintf(`,"findings":[{"kind":"x","class":%q,"severity":2,"summary":"telnet open","count":1}]`, finding)
	}
	return fmt.Appendf(nil, `{"host":%q,"mac":%q,"vendor":"Acme","first_seen":1767225600,"last_seen":1767229200,`+
		`"addrs":[{"addr":%q,"first":1767225600,"last":1767229200}],"names":[{"name":"cam-1.lan","source":"dhcp"}],`+
		`"class":{"value":%q,"confidence":0.8,"evidence":[]},"services":[{"proto":"tcp","port":23,"service":"telnet"}],`+
		`"traffic":{"bytes_sent":1000,"bytes_recv":2000}%s}`, mac, mac, addr, class, f)
}
