package analyze

import (
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-nsm/vigil/internal/decode"
	"github.com/vigil-nsm/vigil/internal/record"
)

// maxTrackedHosts bounds the top-talker table per worker. Once full, only
// hosts already in it are counted (a random-source flood cannot grow it).
const maxTrackedHosts = 1 << 16

// protoClass indexes the protocol mix.
type protoClass uint8

const (
	classTCP protoClass = iota
	classUDP
	classICMP
	classOther
	numClasses
)

var classNames = [numClasses]string{"tcp", "udp", "icmp", "other"}

func classOf(proto uint8) protoClass {
	switch proto {
	case decode.ProtoTCP:
		return classTCP
	case decode.ProtoUDP:
		return classUDP
	case decode.ProtoICMP, decode.ProtoICMPv6:
		return classICMP
	}
	return classOther
}

// hostStats is one goroutine's share of the summary; merged at the end.
type hostStats struct {
	// byProto counts innermost datagrams by IP version (IPv4, IPv6) and
	// protocol number: one count a packet; ipTotals and classTotals sum
	// them for the summary.
	byProto  [2][256]ipCount
	conns    uint64
	services map[serviceKey]uint64
	records  logCounts // application-layer records per log
	// talkers holds the hosts counted, hosts their index in it: no
	// pointer per host to chase or for the collector to scan.
	talkers []talker
	hosts   map[netip.Addr]int32
	// commonServices counts the first maxCommonServices services seen,
	// services the others.
	commonServices []serviceCount
}

// maxCommonServices is how many services hostStats counts in its short
// list.
const maxCommonServices = 16

type serviceCount struct {
	key serviceKey
	n   uint64
}

// ipCount counts datagrams and their IP bytes.
type ipCount struct {
	pkts, bytes uint64
}

type talker struct {
	Addr  netip.Addr
	Bytes uint64
	Conns uint64
}

func newHostStats() *hostStats {
	return &hostStats{services: map[serviceKey]uint64{}, hosts: map[netip.Addr]int32{}}
}

func (h *hostStats) addPacket(d *decode.Datagram) {
	v := 0
	if d.Version == 6 {
		v = 1
	}
	n := &h.byProto[v][d.Proto]
	n.pkts++
	n.bytes += uint64(d.IPLen)
}

// ipTotals returns the packets and bytes counted for IPv4 ([0]) and IPv6
// ([1]).
func (h *hostStats) ipTotals() (pkts, bytes [2]uint64) {
	for v := range h.byProto {
		for _, n := range h.byProto[v] {
			pkts[v] += n.pkts
			bytes[v] += n.bytes
		}
	}
	return pkts, bytes
}

// classTotals returns the packets and bytes counted per protocol class.
func (h *hostStats) classTotals() (pkts, bytes [numClasses]uint64) {
	for v := range h.byProto {
		for p, n := range h.byProto[v] {
			c := classOf(uint8(p))
			pkts[c] += n.pkts
			bytes[c] += n.bytes
		}
	}
	return pkts, bytes
}

// serviceKey counts the connections of one transport protocol and
// service (conn.log's proto and service, "" for none).
type serviceKey struct{ proto, service string }

// name is the key as the summary shows it: "tcp/http", or "udp" alone.
func (k serviceKey) name() string {
	if k.service == "" {
		return k.proto
	}
	return k.proto + "/" + k.service
}

func (h *hostStats) addConn(c *record.Conn) {
	h.conns++
	h.addService(serviceKey{c.Proto, c.Service}, 1)
	bytes := c.OrigIPBytes + c.RespIPBytes
	h.addHost(c.OrigH, bytes)
	h.addHost(c.RespH, bytes)
}

// addService counts n connections of k. The first few services seen
// are counted in a short list, searched faster than a map with
// composite keys is; any further ones in the map.
func (h *hostStats) addService(k serviceKey, n uint64) {
	for i := range h.commonServices {
		if h.commonServices[i].key == k {
			h.commonServices[i].n += n
			return
		}
	}
	if have, ok := h.services[k]; ok {
		h.services[k] = have + n
		return
	}
	k = serviceKey{strings.Clone(k.proto), strings.Clone(k.service)}
	if len(h.commonServices) < maxCommonServices {
		h.commonServices = append(h.commonServices, serviceCount{k, n})
		return
	}
	h.services[k] = n
}

// serviceCounts returns every service's count.
func (h *hostStats) serviceCounts() map[serviceKey]uint64 {
	all := maps.Clone(h.services)
	for _, c := range h.commonServices {
		all[c.key] += c.n
	}
	return all
}

func (h *hostStats) addRecord(log string) { h.records.add(log, 1) }

// logCounts counts records per log. A run makes records of a few logs,
// most often of the one it counted last: a short list searched from that
// one costs less than hashing the name into a map twice per record.
type logCounts struct {
	logs []logCount
	last int // the index of the log counted last
}

type logCount struct {
	log string
	n   uint64
}

// add counts n more records of log (modulo 2^64: adding -n takes n away).
func (c *logCounts) add(log string, n uint64) {
	if i := c.last; i < len(c.logs) && c.logs[i].log == log {
		c.logs[i].n += n
		return
	}
	for i := range c.logs {
		if c.logs[i].log == log {
			c.logs[i].n += n
			c.last = i
			return
		}
	}
	c.last = len(c.logs)
	c.logs = append(c.logs, logCount{strings.Clone(log), n})
}

// counts returns every log's count.
func (c *logCounts) counts() map[string]uint64 {
	m := make(map[string]uint64, len(c.logs))
	for _, l := range c.logs {
		m[l.log] = l.n
	}
	return m
}

func (h *hostStats) addHost(a netip.Addr, bytes uint64) {
	if i, ok := h.hosts[a]; ok {
		t := &h.talkers[i]
		t.Bytes += bytes
		t.Conns++
		return
	}
	if len(h.talkers) < maxTrackedHosts {
		h.hosts[a] = int32(len(h.talkers))
		h.talkers = append(h.talkers, talker{Addr: a, Bytes: bytes, Conns: 1})
	}
}

func (h *hostStats) merge(o *hostStats) {
	for v := range h.byProto {
		for p, n := range o.byProto[v] {
			h.byProto[v][p].pkts += n.pkts
			h.byProto[v][p].bytes += n.bytes
		}
	}
	h.conns += o.conns
	for k, v := range o.serviceCounts() {
		h.addService(k, v)
	}
	for _, l := range o.records.logs {
		h.records.add(l.log, l.n)
	}
	for _, t := range o.talkers {
		if i, ok := h.hosts[t.Addr]; ok {
			h.talkers[i].Bytes += t.Bytes
			h.talkers[i].Conns += t.Conns
		} else {
			h.hosts[t.Addr] = int32(len(h.talkers))
			h.talkers = append(h.talkers, t)
		}
	}
}

func (h *hostStats) topTalkers(n int) []talker {
	all := slices.Clone(h.talkers)
	sort.Slice(all, func(i, j int) bool {
		if all[i].Bytes != all[j].Bytes {
			return all[i].Bytes > all[j].Bytes
		}
		return all[i].Addr.Less(all[j].Addr)
	})
	if len(all) > n {
		all = all[:n]
	}
	return all
}

// weirdDedup remembers which (connection, anomaly) pairs were logged so a
// connection's weird is written once, as Zeek does for flow weirds. It is
// bounded: when full it forgets everything and starts again.
type weirdDedup struct {
	seen map[weirdKey]struct{}
	max  int
}

type weirdKey struct {
	uid  uint64
	kind decode.AnomalyKind
}

func (d *weirdDedup) init(max int) {
	d.seen = make(map[weirdKey]struct{}, 64)
	d.max = max
}

func (d *weirdDedup) first(uid uint64, kind decode.AnomalyKind) bool {
	k := weirdKey{uid, kind}
	if _, ok := d.seen[k]; ok {
		return false
	}
	if len(d.seen) >= d.max {
		clear(d.seen)
	}
	d.seen[k] = struct{}{}
	return true
}
