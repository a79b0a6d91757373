// Package dhcp is the DHCP analyzer: dhcp.log records that aggregate the
// messages of one exchange (one transaction id) the way Zeek's
// base/protocols/dhcp/main.zeek does, with the fields of its software and
// sub-opts policy scripts and, for device fingerprinting, the client's
// requested options (55) and vendor class (60). DHCPv6 exchanges go to
// the same log with the DHCPv6 counterparts of those fields, plus
// dhcp_version (6) and client_duid (Zeek has no DHCPv6 analyzer).
//
// An exchange spans several "connections" (client 0.0.0.0:68 to
// 255.255.255.255:67, server to client or broadcast …), each with its own
// Analyzer, possibly on different workers. The analyzers of one run
// therefore share one aggregator (keyed by the run's proto.Shared) that
// holds the open transactions under a mutex. A transaction is written
// when Zeek would write it — its expiry rule (no message for 5 s, checked
// 10 s after the first message and every 5 s after; at most 30 s), 10
// uids or 50 message types — noticed at the next DHCP message of the run,
// or when the last connection that took part in it ends (Zeek writes what
// is left at shutdown). Records are written through the Sink of the
// analyzer that runs at that moment, so no sink is used off its worker.
package dhcp

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"sync"

	"github.com/vigil-nsm/vigil/internal/proto"
	"github.com/vigil-nsm/vigil/internal/record"
)

// Bounds.
const (
	// maxTxns bounds the open transactions of one run; past it the oldest
	// is written early (Zeek's DHCP::max_tracked_transactions habit).
	maxTxns = 1000
	// maxHeld bounds the transactions one connection takes part in; past
	// it the connection lets go of its oldest.
	maxHeld = 64
	// maxText bounds each string kept from an option.
	maxText = 512
)

// MaxUIDsPerEntry and MaxMsgTypesPerEntry are Zeek's
// DHCP::max_uids_per_log_entry and DHCP::max_msg_types_per_log_entry: a
// record is written as soon as it has that many uids or message types.
// Set them (if at all) before a run starts.
var (
	MaxUIDsPerEntry     = 10
	MaxMsgTypesPerEntry = 50
)

// Zeek's expiry timing (ns).
const (
	createExpire = 10e9
	recheck      = 5e9
	idleLimit    = 5e9
	maxWatch     = 30e9
	sweepEvery   = 1e9
)

func init() {
	proto.Register(&proto.Factory{
		Name:       "dhcp",
		Transports: []uint8{17},
		Ports:      []uint16{67, 68, 4011, 546, 547},
		Detect:     Detect,
		New:        func(ci *proto.ConnInfo, out proto.Sink) proto.Analyzer { return New(ci, out) },
	})
}

// Detect says whether a datagram is DHCP: Sure for a BOOTP header with the
// DHCP cookie, Likely for a well-formed DHCPv6 message on 546/547 or one
// carrying a client DUID elsewhere, Maybe for the ports alone.
func Detect(dir proto.Direction, first []byte, respPort uint16, transport uint8) proto.Confidence {
	if transport != 17 {
		return proto.No
	}
	if len(first) >= headerLen && (first[0] == 1 || first[0] == 2) && first[236] == 0x63 && first[237] == 0x82 && first[238] == 0x53 && first[239] == 0x63 {
		return proto.Sure
	}
	v6port := respPort == 546 || respPort == 547
	if m, ok := ParseV6(first); ok && (v6port || len(m.ClientDUID) > 0 && m.Type <= 13) {
		return proto.Likely
	}
	switch respPort {
	case 67, 68, 4011, 546, 547:
		return proto.Maybe
	}
	return proto.No
}

// txn is one dhcp.log record under construction (Zeek's DHCP::Info).
type txn struct {
	key        uint64
	v6         bool
	ts, last   int64
	uids       []string
	msgTypes   []string
	holders    int
	done       bool
	clientAddr netip.Addr
	serverAddr netip.Addr
	mac        string
	chaddr     string
	hasChaddr  bool
	reqAddr    netip.Addr
	assigned   netip.Addr
	delegated  netip.Prefix // DHCPv6 prefix delegation (IA_PD)
	lease      int64
	hasLease   bool

	hostName, clientFQDN, domain    text
	clientMsg, serverMsg            text
	clientSoftware, serverSoftware  text
	circuitID, remoteID, subscriber text
	vendorClass                     text
	duid                            text
	reqOptions                      []uint16
	hasReqOptions                   bool
}

// text is an optional string.
type text struct {
	s  string
	ok bool
}

func set(t *text, b []byte) { *t = text{string(b[:min(len(b), maxText)]), true} }

// expiry is when Zeek's expiration check first finds t finished: the
// first check (10 s after creation, then every 5 s) more than 5 s after
// the last message, or the one past 30 s of watching.
func (t *txn) expiry() int64 {
	c := t.ts + createExpire
	if t.last+idleLimit >= c {
		k := (t.last+idleLimit-c)/recheck + 1
		c += k * recheck
	}
	return min(c, t.ts+maxWatch+recheck)
}

// aggregator holds one run's open transactions.
type aggregator struct {
	mu        sync.Mutex
	txns      map[uint64]*txn
	order     []*txn // by creation, for the maxTxns bound
	analyzers int    // live analyzers using this aggregator
	lastSweep int64
	line      []byte
}

var (
	runsMu sync.Mutex
	runs   = map[*proto.Shared]*aggregator{}
)

// aggregatorFor returns (and counts a user of) the run's aggregator; a nil
// Shared (unit tests) gets one of its own.
func aggregatorFor(s *proto.Shared) *aggregator {
	if s == nil {
		return &aggregator{txns: map[uint64]*txn{}, analyzers: 1}
	}
	runsMu.Lock()
	defer runsMu.Unlock()
	g := runs[s]
	if g == nil {
		g = &aggregator{txns: map[uint64]*txn{}}
		runs[s] = g
	}
	g.mu.Lock()
	g.analyzers++
	g.mu.Unlock()
	return g
}

// Analyzer is the DHCP analyzer of one UDP connection. Its own state is
// the list of open transactions it took part in (at most maxHeld).
type Analyzer struct {
	ci          *proto.ConnInfo
	out         proto.Sink
	g           *aggregator
	held        []*txn
	proto.Named // conn.log service, once confirmed
	ended       bool
}

// New returns an analyzer for the connection ci writing to out.
func New(ci *proto.ConnInfo, out proto.Sink) *Analyzer {
	return &Analyzer{ci: ci, out: out}
}

// Gap is unused (UDP).
func (a *Analyzer) Gap(proto.Direction, int) {}

// Data handles one datagram.
func (a *Analyzer) Data(dir proto.Direction, ts int64, data []byte) {
	if a.ended {
		return
	}
	if m, ok := Parse(data); ok {
		a.Confirm("dhcp")
		a.v4(dir, ts, &m)
		return
	}
	if a.ci.RespP == 546 || a.ci.RespP == 547 || a.ci.OrigP == 546 || a.ci.OrigP == 547 {
		if m, ok := ParseV6(data); ok {
			a.Confirm("dhcp")
			a.v6(dir, ts, &m)
		}
	}
}

// begin locks the aggregator, writes what expired by ts and returns the
// transaction for key (a new one when there is none or it expired).
func (a *Analyzer) begin(ts int64, key uint64, v6 bool) *txn {
	if a.g == nil {
		a.g = aggregatorFor(a.ci.Shared)
	}
	g := a.g
	g.mu.Lock()
	if ts-g.lastSweep >= sweepEvery || ts < g.lastSweep {
		g.lastSweep = ts
		for _, t := range g.order {
			if t.expiry() <= ts {
				a.write(t)
			}
		}
		g.compact()
	}
	t := g.txns[key]
	if t != nil && t.expiry() <= ts {
		a.write(t)
		g.compact()
		t = nil
	}
	if t == nil {
		if len(g.order) >= maxTxns {
			a.write(g.order[0])
			g.compact()
		}
		t = &txn{key: key, v6: v6, ts: ts}
		g.txns[key] = t
		g.order = append(g.order, t)
	}
	// This connection takes part in t.
	mine := false
	for _, h := range a.held {
		if h == t {
			mine = true
			break
		}
	}
	if !mine {
		if len(a.held) >= maxHeld {
			a.release(a.held[0])
			a.held = append(a.held[:0], a.held[1:]...)
			g.compact()
		}
		a.held = append(a.held, t)
		t.holders++
	}
	t.duration(ts)
	a.addUID(t)
	return t
}

func (t *txn) duration(ts int64) { t.last = max(t.last, ts) }

func (a *Analyzer) addUID(t *txn) {
	for _, u := range t.uids {
		if u == a.ci.UID {
			return
		}
	}
	t.uids = append(t.uids, a.ci.UID)
}

// finish ends the handling of a message: Zeek writes at once when the
// uids or message types reach their limits. Unlocks the aggregator.
func (a *Analyzer) finish(t *txn) {
	g := a.g
	if len(t.uids) >= max(MaxUIDsPerEntry, 1) || len(t.msgTypes) >= max(MaxMsgTypesPerEntry, 1) {
		a.write(t)
		g.compact()
	}
	g.mu.Unlock()
}

// release drops this connection's part in t, writing t when it was the
// last (the caller holds the lock and compacts).
func (a *Analyzer) release(t *txn) {
	t.holders--
	if t.holders <= 0 && !t.done {
		a.write(t)
	}
}

// compact drops written transactions from the order list.
func (g *aggregator) compact() {
	k := 0
	for _, t := range g.order {
		if !t.done {
			g.order[k] = t
			k++
		}
	}
	clear(g.order[k:])
	g.order = g.order[:k]
}

// End lets go of this connection's transactions, writing those no other
// connection takes part in.
func (a *Analyzer) End(int64) {
	if a.ended {
		return
	}
	a.ended = true
	g := a.g
	if g == nil {
		return
	}
	g.mu.Lock()
	for _, t := range a.held {
		a.release(t)
	}
	a.held = nil
	g.compact()
	g.analyzers--
	empty := g.analyzers <= 0
	if empty {
		// Nothing can reach the remaining ones any more.
		for _, t := range g.order {
			a.write(t)
		}
		g.compact()
	}
	g.mu.Unlock()
	if empty && a.ci.Shared != nil {
		runsMu.Lock()
		if runs[a.ci.Shared] == g {
			g.mu.Lock()
			if g.analyzers <= 0 {
				delete(runs, a.ci.Shared)
			}
			g.mu.Unlock()
		}
		runsMu.Unlock()
	}
}

// v4 is Zeek's DHCP::aggregate_msgs for one DHCPv4 message.
func (a *Analyzer) v4(dir proto.Direction, ts int64, m *Msg) {
	ci := a.ci
	isOrig := dir == proto.FromOrig
	t := a.begin(ts, uint64(m.Xid), false)
	defer a.finish(t)
	t.msgTypes = append(t.msgTypes, MessageTypeName(m.Type))
	unspec := netip.AddrFrom4([4]byte{})
	bcast := netip.AddrFrom4([4]byte{255, 255, 255, 255})
	origH := ci.OrigH.Unmap()
	isClient := isOrig && (origH == unspec || ci.OrigP == 68 || ci.RespP == 67)
	if m.HasMessage {
		if isClient {
			set(&t.clientMsg, m.Message)
		} else {
			set(&t.serverMsg, m.Message)
		}
	}
	if isClient {
		if origH != unspec && origH != bcast {
			t.clientAddr = origH
		}
		if m.HasHostName {
			set(&t.hostName, m.HostName)
		}
		if m.HasFQDN {
			set(&t.clientFQDN, m.ClientFQDN)
		}
		if m.HasClientID && m.ClientIDType == 1 {
			t.mac = FormatMAC(m.ClientID)
		} else {
			t.chaddr, t.hasChaddr = FormatMAC(m.CHAddr), true
		}
		if m.ReqAddr.IsValid() {
			t.reqAddr = m.ReqAddr
		}
		if m.HasParamList {
			t.reqOptions = t.reqOptions[:0]
			for _, p := range m.ParamList {
				t.reqOptions = append(t.reqOptions, uint16(p))
			}
			t.hasReqOptions = true
		}
		if m.HasVendorClass {
			set(&t.vendorClass, m.VendorClass)
		}
	} else {
		if m.YIAddr != unspec {
			if isOrig {
				t.serverAddr = origH
			} else {
				t.serverAddr = ci.RespH.Unmap()
			}
			t.assigned = m.YIAddr
		}
		if t.mac == "" {
			t.mac = FormatMAC(m.CHAddr)
		}
		if !t.clientAddr.IsValid() && t.assigned.IsValid() {
			t.clientAddr = t.assigned
		}
		if m.HasDomain {
			set(&t.domain, m.Domain)
		}
		if m.HasLease {
			t.lease, t.hasLease = int64(m.Lease)*1e9, true
		}
	}
	// policy/protocols/dhcp/software.zeek
	if m.HasVendorClass {
		if isOrig {
			set(&t.clientSoftware, m.VendorClass)
		} else {
			set(&t.serverSoftware, m.VendorClass)
		}
	}
	// policy/protocols/dhcp/sub-opts.zeek
	if m.HasCircuit {
		set(&t.circuitID, m.CircuitID)
	}
	if m.HasRemote {
		set(&t.remoteID, m.RemoteID)
	}
	if m.HasSubscriber {
		set(&t.subscriber, m.SubscriberID)
	}
}

// v6 aggregates one DHCPv6 message the same way: client messages give the
// client address (their source), DUID, FQDN, vendor class, requested
// options and requested address; server messages the server address,
// the first address assigned in an IA_NA and its valid lifetime.
func (a *Analyzer) v6(dir proto.Direction, ts int64, m *V6Msg) {
	ci := a.ci
	src := ci.OrigH
	if dir == proto.FromResp {
		src = ci.RespH
	}
	src = src.Unmap()
	t := a.begin(ts, 1<<32|uint64(m.Xid), true)
	defer a.finish(t)
	t.msgTypes = append(t.msgTypes, V6TypeName(m.Type))
	if len(m.ClientDUID) > 0 && !t.duid.ok {
		t.duid = text{hex.EncodeToString(m.ClientDUID[:min(len(m.ClientDUID), 130)]), true}
		if mac := duidMAC(m.ClientDUID); mac != "" {
			t.mac = mac
		}
	}
	if !v6FromServer(m.Type) {
		if src.IsValid() && !src.IsUnspecified() {
			t.clientAddr = src
		}
		if m.HasFQDN {
			t.clientFQDN = text{m.FQDN[:min(len(m.FQDN), maxText)], true}
			host := t.clientFQDN.s
			for i := 0; i < len(host); i++ {
				if host[i] == '.' {
					host = host[:i]
					break
				}
			}
			t.hostName = text{host, true}
		}
		if m.HasVendor {
			set(&t.vendorClass, m.VendorClass)
			set(&t.clientSoftware, m.VendorClass)
		}
		if m.HasORO {
			t.reqOptions = append(t.reqOptions[:0], m.ORO...)
			t.hasReqOptions = true
		}
		if m.Addr.IsValid() {
			t.reqAddr = m.Addr
		}
		if m.HasStatus {
			set(&t.clientMsg, m.Status)
		}
		return
	}
	if src.IsValid() {
		t.serverAddr = src
	}
	if m.Addr.IsValid() {
		t.assigned = m.Addr
		t.lease, t.hasLease = int64(m.Valid)*1e9, true
	}
	if m.Prefix.IsValid() {
		t.delegated = m.Prefix
	}
	if m.HasVendor {
		set(&t.serverSoftware, m.VendorClass)
	}
	if m.HasStatus {
		set(&t.serverMsg, m.Status)
	}
}

// write logs t and forgets it (the caller holds the lock).
func (a *Analyzer) write(t *txn) {
	if t.done {
		return
	}
	t.done = true
	g := a.g
	if g.txns[t.key] == t {
		delete(g.txns, t.key)
	}
	if t.mac == "" && t.hasChaddr {
		t.mac = t.chaddr
	}
	g.line = appendJSON(g.line[:0], t)
	a.out.Record("dhcp", g.line)
}

func appendJSON(dst []byte, t *txn) []byte {
	dst = append(dst, `{"ts":`...)
	dst = record.AppendTime(dst, t.ts)
	dst = record.AppendStringsField(dst, "uids", t.uids)
	dst = appendAddr(dst, "client_addr", t.clientAddr)
	dst = appendAddr(dst, "server_addr", t.serverAddr)
	if t.mac != "" {
		dst = appendText(dst, "mac", text{t.mac, true})
	}
	dst = appendText(dst, "host_name", t.hostName)
	dst = appendText(dst, "client_fqdn", t.clientFQDN)
	dst = appendText(dst, "domain", t.domain)
	dst = appendAddr(dst, "requested_addr", t.reqAddr)
	dst = appendAddr(dst, "assigned_addr", t.assigned)
	if t.delegated.IsValid() {
		dst = record.AppendStringField(dst, "delegated_prefix", t.delegated.String())
	}
	if t.hasLease {
		dst = append(dst, `,"lease_time":`...)
		dst = record.AppendInterval(dst, t.lease)
	}
	dst = appendText(dst, "client_message", t.clientMsg)
	dst = appendText(dst, "server_message", t.serverMsg)
	dst = record.AppendStringsField(dst, "msg_types", t.msgTypes)
	dst = append(dst, `,"duration":`...)
	dst = record.AppendInterval(dst, t.last-t.ts)
	dst = appendText(dst, "client_software", t.clientSoftware)
	dst = appendText(dst, "server_software", t.serverSoftware)
	dst = appendText(dst, "circuit_id", t.circuitID)
	dst = appendText(dst, "agent_remote_id", t.remoteID)
	dst = appendText(dst, "subscriber_id", t.subscriber)
	if t.hasReqOptions {
		dst = append(dst, `,"requested_options":[`...)
		for i, o := range t.reqOptions {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendUint(dst, uint64(o), 10)
		}
		dst = append(dst, ']')
	}
	dst = appendText(dst, "vendor_class", t.vendorClass)
	if t.v6 {
		dst = append(dst, `,"dhcp_version":6`...)
		dst = appendText(dst, "client_duid", t.duid)
	}
	return append(dst, '}')
}

func appendText(dst []byte, k string, v text) []byte {
	if !v.ok {
		return dst
	}
	return record.AppendStringField(dst, k, v.s)
}

func appendAddr(dst []byte, k string, v netip.Addr) []byte {
	if !v.IsValid() {
		return dst
	}
	return record.AppendAddrField(dst, k, v)
}
